#include "tests/runtime/kernels/kernel_test_util.h"
