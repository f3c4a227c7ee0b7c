// Which int8 micro-kernel family runs: the CPU's best, EMBER_QGEMM_ISA or
// else EMBER_KERNELS_ISA (read at first use, capped at what the CPU has), or
// the last set_isa().
#include <cstdlib>
#include <cstring>

#include "runtime/kernels/common/cpu_features.h"
#include "runtime/kernels/optimized/qgemm/micro_kernel.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace qgemm {
namespace {

constexpr Isa kAll[] = {Isa::generic, Isa::avx2, Isa::avx512vnni, Isa::neon, Isa::neon_dot};

/// The next family down when `isa` is missing (generic has none).
Isa fallback(Isa isa) {
  switch (isa) {
    case Isa::avx512vnni:
      return Isa::avx2;
    case Isa::neon_dot:
      return Isa::neon;
    default:
      return Isa::generic;
  }
}

/// `isa`, or the best available family below it.
Isa capped(Isa isa) {
  while (!isa_available(isa)) isa = fallback(isa);
  return isa;
}

Isa best_available() {
  Isa best = Isa::generic;
  for (Isa isa : {Isa::neon, Isa::neon_dot, Isa::avx2, Isa::avx512vnni}) {
    if (isa_available(isa)) best = isa;
  }
  return best;
}

/// EMBER_QGEMM_ISA, else EMBER_KERNELS_ISA (its "avx512" is avx512vnni here),
/// else the best family.
Isa isa_from_environment() {
  for (const char* var : {"EMBER_QGEMM_ISA", "EMBER_KERNELS_ISA"}) {
    const char* env = std::getenv(var);
    if (env == nullptr || env[0] == '\0') continue;
    for (Isa isa : kAll) {
      const bool alias = isa == Isa::avx512vnni && std::strcmp(env, "avx512") == 0;
      if (std::strcmp(env, isa_name(isa)) != 0 && !alias) continue;
      const Isa got = capped(isa);
      if (got != isa) {
        EMBER_LOG(Info, "%s=%s: not available in this build or CPU, qgemm uses %s", var, env,
                  isa_name(got));
      }
      return got;
    }
    EMBER_LOG(Error, "%s=%s is not one of generic, avx2, avx512vnni, neon, neondot; qgemm uses %s",
              var, env, isa_name(best_available()));
    break;
  }
  return best_available();
}

IsaSlot<Isa> g_isa;

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return "generic";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512vnni:
      return "avx512vnni";
    case Isa::neon:
      return "neon";
    case Isa::neon_dot:
      return "neondot";
  }
  return "unknown";
}

const KernelSet* kernels_for(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return &generic_kernels();
#if defined(__x86_64__) || defined(__i386__)
    case Isa::avx2:
      return &avx2_kernels();
    case Isa::avx512vnni:
      return &avx512vnni_kernels();
#endif
#if defined(__aarch64__)
    case Isa::neon:
      return &neon_kernels();
    case Isa::neon_dot:
      return &neon_dot_kernels();
#endif
    default:
      return nullptr;
  }
}

const KernelSet& active_kernels() { return *kernels_for(active_isa()); }

bool isa_available(Isa isa) {
  if (kernels_for(isa) == nullptr) return false;
  switch (isa) {
    case Isa::generic:
      return true;
    case Isa::avx2:
      return cpu_supports(::ember::Isa::avx2);
    case Isa::avx512vnni:
      return cpu_has_avx512_vnni();
    case Isa::neon:
      return cpu_supports(::ember::Isa::neon);
    case Isa::neon_dot:
      return cpu_has_arm_dotprod();
  }
  return false;
}

Isa active_isa() { return g_isa.get(&isa_from_environment); }

Error set_isa(Isa isa) {
  return g_isa.set(isa, isa_available(isa), "qgemm", isa_name(isa));
}

}  // namespace qgemm
}  // namespace ember
