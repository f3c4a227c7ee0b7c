// Which low-bit kernel family runs: the best this CPU has of those built
// (the integer dot-product features come from
// runtime/kernels/common/cpu_features); EMBER_LOWBIT_ISA (read at first use)
// or set_isa() override it, and the choice stays this library's own.
#include <cstdlib>
#include <cstring>

#include "runtime/kernels/common/cpu_features.h"
#include "runtime/kernels/optimized/lowbit/kernels.h"
#include "runtime/platform/platform.h"


namespace ember {
namespace lowbit {
namespace {

constexpr Isa kAll[] = {Isa::generic, Isa::avx2, Isa::avx512_vnni, Isa::neon, Isa::neon_dotprod};

Isa best_available() {
  Isa best = Isa::generic;
  for (Isa isa : kAll) {
    if (isa_available(isa)) best = isa;  // kAll is in order of preference per architecture
  }
  return best;
}

Isa isa_from_environment() {
  const Isa best = best_available();
  const char* env = std::getenv("EMBER_LOWBIT_ISA");
  if (env == nullptr || env[0] == '\0') return best;
  for (Isa isa : kAll) {
    if (std::strcmp(env, isa_name(isa)) != 0) continue;
    if (isa_available(isa)) return isa;
    EMBER_LOG(Info, "EMBER_LOWBIT_ISA=%s: not available in this build or CPU, using %s", env,
              isa_name(best));
    return best;
  }
  EMBER_LOG(Error, "EMBER_LOWBIT_ISA=%s is not a low-bit kernel family; using %s", env,
            isa_name(best));
  return best;
}

IsaSlot<Isa> g_isa;

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return "generic";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512_vnni:
      return "avx512_vnni";
    case Isa::neon:
      return "neon";
    case Isa::neon_dotprod:
      return "neon_dotprod";
  }
  return "unknown";
}

bool cpu_has(Isa isa) {
  switch (isa) {
    case Isa::generic: return true;
    case Isa::avx2: return cpu_supports(::ember::Isa::avx2);
    case Isa::avx512_vnni: return cpu_has_avx512_vnni();  // AVX-512 F/DQ/BW/VL included
    case Isa::neon: return cpu_supports(::ember::Isa::neon);
    case Isa::neon_dotprod: return cpu_has_arm_dotprod();
  }
  return false;
}

const KernelSet* kernels_for(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return &generic_kernels();
#if defined(__x86_64__)
    case Isa::avx2:
      return &avx2_kernels();
    case Isa::avx512_vnni:
      return &avx512_vnni_kernels();
#endif
#if defined(__aarch64__)
    case Isa::neon:
      return &neon_kernels();
    case Isa::neon_dotprod:
      return &neon_dotprod_kernels();
#endif
    default:
      return nullptr;
  }
}

bool isa_available(Isa isa) { return kernels_for(isa) != nullptr && cpu_has(isa); }

Isa active_isa() { return g_isa.get(&isa_from_environment); }

Error set_isa(Isa isa) {
  return g_isa.set(isa, isa_available(isa), "lowbit", isa_name(isa));
}

}  // namespace lowbit
}  // namespace ember
