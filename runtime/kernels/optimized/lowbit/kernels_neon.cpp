// AArch64 baseline low-bit kernels (kernels_neon.h, widening multiplies).
#define EMBER_LOWBIT_SDOT 0
#define EMBER_LOWBIT_NEON_NS neon_base
#include "runtime/kernels/optimized/lowbit/kernels_neon.h"

namespace ember {
namespace lowbit {

const KernelSet& neon_kernels() {
  static const KernelSet kSet = {Isa::neon, 0, 2, &neon_base::dynamic_int8, &neon_base::float32};
  return kSet;
}

}  // namespace lowbit
}  // namespace ember
