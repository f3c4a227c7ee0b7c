// AArch64 low-bit kernels with sdot (kernels_neon.h). Compiled with
// -march=armv8.2-a+dotprod only here; cpu_dot.cpp runs them only when the
// CPU reports the dot-product extension (HWCAP_ASIMDDP).
#define EMBER_LOWBIT_SDOT 1
#define EMBER_LOWBIT_NEON_NS neon_sdot
#include "runtime/kernels/optimized/lowbit/kernels_neon.h"

namespace ember {
namespace lowbit {

const KernelSet& neon_dotprod_kernels() {
  static const KernelSet kSet = {Isa::neon_dotprod, 0, 2, &neon_sdot::dynamic_int8,
                                 &neon_sdot::float32};
  return kSet;
}

}  // namespace lowbit
}  // namespace ember
