// Which micro-kernel family runs: the CPU's best, EMBER_GEMM_ISA or else
// EMBER_KERNELS_ISA (read at first use, capped at what the CPU has), or the
// last set_isa().
#include <atomic>

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

std::atomic<int> g_isa{-1};

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

Isa active_isa() {
  int isa = g_isa.load(std::memory_order_relaxed);
  if (isa < 0) {
    int expected = -1;
    g_isa.compare_exchange_strong(expected, (int)isa_from_environment());
    isa = g_isa.load();
  }
  return (Isa)isa;
}

Error set_isa(Isa isa) {
  if (!isa_available(isa)) {
    EMBER_LOG(Error, "gemm::set_isa: %s is not available on this CPU or build", isa_name(isa));
    return Error::NotSupported;
  }
  g_isa.store((int)isa);
  return Error::Ok;
}

}  // namespace gemm
}  // namespace ember
