// Which micro-kernel family runs: the CPU's best, EMBER_GEMM_ISA or else
// EMBER_KERNELS_ISA (read at first use, capped at what the CPU has), or the
// last set_isa().
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "runtime/kernels/optimized/gemm/micro_kernel.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace gemm {
namespace {

Isa best_isa() {
#if defined(__x86_64__) || defined(__i386__)
  if (isa_available(Isa::avx512)) return Isa::avx512;
  if (isa_available(Isa::avx2)) return Isa::avx2;
#elif defined(__aarch64__)
  return Isa::neon;
#endif
  return Isa::generic;
}

/// EMBER_GEMM_ISA (else EMBER_KERNELS_ISA, the optimized kernels' own
/// setting), or the best ISA when unset, unknown or unavailable.
Isa isa_from_environment() {
  const Isa best = best_isa();
  const char* var = "EMBER_GEMM_ISA";
  const char* env = std::getenv(var);
  if (env == nullptr || *env == '\0') {
    var = "EMBER_KERNELS_ISA";
    env = std::getenv(var);
  }
  if (env == nullptr || *env == '\0') return best;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (std::strcmp(env, isa_name(isa)) != 0) continue;
    if (isa_available(isa)) return isa;
    // Capped at what the CPU has: avx512 on an AVX2-only CPU runs avx2.
    Isa capped = best;
    if (isa == Isa::avx512 && isa_available(Isa::avx2)) capped = Isa::avx2;
    EMBER_LOG(Info, "%s=%s: not available on this CPU, using %s", var, env, isa_name(capped));
    return capped;
  }
  EMBER_LOG(Error, "%s=%s is not one of generic, avx2, avx512, neon; using %s", var, env,
            isa_name(best));
  return best;
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

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return "generic";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
    case Isa::neon:
      return "neon";
  }
  return "unknown";
}

bool isa_available(Isa isa) {
  if (kernels_for(isa) == nullptr) return false;
  switch (isa) {
#if defined(__x86_64__) || defined(__i386__)
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f");
#endif
    default:
      return true;  // generic everywhere, NEON on every aarch64 CPU
  }
}

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
