// Instruction-set choice for the optimized kernels (cpu.h).
#include "runtime/kernels/optimized/cpu.h"

#include <cstdlib>
#include <cstring>

#include "runtime/platform/platform.h"

namespace ember {
namespace optimized {
namespace {

bool cpu_has(Isa isa) {
  switch (isa) {
    case Isa::Generic:
      return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
#if defined(__aarch64__)
    case Isa::Neon:
      return true;  // baseline on aarch64
#endif
    default:
      return false;
  }
}

bool compiled_in(Isa isa) {
  switch (isa) {
    case Isa::Generic:
      return true;
    case Isa::Avx2:
#ifdef EMBER_HAVE_SIMD_AVX2
      return true;
#else
      return false;
#endif
    case Isa::Avx512:
#ifdef EMBER_HAVE_SIMD_AVX512
      return true;
#else
      return false;
#endif
    case Isa::Neon:
#ifdef EMBER_HAVE_SIMD_NEON
      return true;
#else
      return false;
#endif
  }
  return false;
}

const SimdKernels& table_of(Isa isa) {
  switch (isa) {
#ifdef EMBER_HAVE_SIMD_AVX512
    case Isa::Avx512:
      return avx512::simd_kernels();
#endif
#ifdef EMBER_HAVE_SIMD_AVX2
    case Isa::Avx2:
      return avx2::simd_kernels();
#endif
#ifdef EMBER_HAVE_SIMD_NEON
    case Isa::Neon:
      return neon::simd_kernels();
#endif
    default:
      return generic::simd_kernels();
  }
}

Isa best_isa() {
  const Isa order[] = {Isa::Avx512, Isa::Avx2, Isa::Neon};
  for (const Isa isa : order) {
    if (isa_available(isa)) return isa;
  }
  return Isa::Generic;
}

/// The best set, capped by EMBER_KERNELS_ISA.
Isa initial_isa() {
  const Isa best = best_isa();
  const char* env = std::getenv("EMBER_KERNELS_ISA");
  if (env == nullptr || env[0] == '\0') return best;
  const Isa all[] = {Isa::Generic, Isa::Avx2, Isa::Avx512, Isa::Neon};
  for (const Isa isa : all) {
    if (std::strcmp(env, isa_name(isa)) != 0) continue;
    if (isa_available(isa)) return isa;
    EMBER_LOG(Error, "EMBER_KERNELS_ISA=%s: this build or CPU cannot run it; using %s", env,
              isa_name(best));
    return best;
  }
  EMBER_LOG(Error, "EMBER_KERNELS_ISA=%s is not one of generic, avx2, avx512, neon; using %s",
            env, isa_name(best));
  return best;
}

Isa& current() {
  static Isa isa = initial_isa();
  return isa;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic:
      return "generic";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
    case Isa::Neon:
      return "neon";
  }
  return "unknown";
}

bool isa_available(Isa isa) { return compiled_in(isa) && cpu_has(isa); }

Isa active_isa() { return current(); }

bool set_isa(Isa isa) {
  if (!isa_available(isa)) return false;
  current() = isa;
  return true;
}

const SimdKernels& simd() { return table_of(current()); }

}  // namespace optimized
}  // namespace ember
