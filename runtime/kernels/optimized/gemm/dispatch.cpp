// Which micro-kernel family runs: the CPU's best, EMBER_GEMM_ISA or else
// EMBER_KERNELS_ISA (read at first use, capped at what the CPU has), or the
// last set_isa().

#include "runtime/kernels/optimized/gemm/micro_kernel.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace gemm {
namespace {

/// EMBER_GEMM_ISA, else EMBER_KERNELS_ISA (the optimized kernels' own
/// setting), else the best this build and CPU run (cpu_features.h).
Isa isa_from_environment() {
  static const char* const kVars[] = {"EMBER_GEMM_ISA", "EMBER_KERNELS_ISA", nullptr};
  return initial_isa(&isa_available, kVars);
}

IsaSlot<Isa> g_isa;

}  // namespace

const KernelSet* kernels_for(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return &generic_kernels();
#if defined(__x86_64__) || defined(__i386__)
    case Isa::avx2:
      return &avx2_kernels();
    case Isa::avx512:
      return &avx512_kernels();
#endif
#if defined(__aarch64__)
    case Isa::neon:
      return &neon_kernels();
#endif
    default:
      return nullptr;
  }
}

const KernelSet& active_kernels() { return *kernels_for(active_isa()); }

bool isa_available(Isa isa) { return kernels_for(isa) != nullptr && cpu_supports(isa); }

Isa active_isa() { return g_isa.get(&isa_from_environment); }

Error set_isa(Isa isa) {
  return g_isa.set(isa, isa_available(isa), "gemm", isa_name(isa));
}

}  // namespace gemm
}  // namespace ember
