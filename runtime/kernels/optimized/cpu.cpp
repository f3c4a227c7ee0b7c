// Instruction-set choice for the optimized kernels' vector loops (cpu.h).
#include "runtime/kernels/optimized/cpu.h"

namespace ember {
namespace optimized {
namespace {

/// The table of `isa`, or nullptr when this build has no copy for it.
const SimdKernels* table_of(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return &generic::simd_kernels();
#ifdef EMBER_HAVE_SIMD_AVX2
    case Isa::avx2:
      return &avx2::simd_kernels();
#endif
#ifdef EMBER_HAVE_SIMD_AVX512
    case Isa::avx512:
      return &avx512::simd_kernels();
#endif
#ifdef EMBER_HAVE_SIMD_NEON
    case Isa::neon:
      return &neon::simd_kernels();
#endif
    default:
      return nullptr;
  }
}

/// The int8 window table of `isa` (table_of's sets).
const QWindowKernels* qwindow_of(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return &generic::qwindow_kernels();
#ifdef EMBER_HAVE_SIMD_AVX2
    case Isa::avx2:
      return &avx2::qwindow_kernels();
#endif
#ifdef EMBER_HAVE_SIMD_AVX512
    case Isa::avx512:
#ifdef EMBER_HAVE_SIMD_AVX512VNNI
      if (cpu_has_avx512_vnni()) return &avx512vnni::qwindow_kernels();
#endif
      return &avx512::qwindow_kernels();
#endif
#ifdef EMBER_HAVE_SIMD_NEON
    case Isa::neon:
      return &neon::qwindow_kernels();
#endif
    default:
      return nullptr;
  }
}

Isa& current() {
  static const char* const kVars[] = {"EMBER_KERNELS_ISA", nullptr};
  static Isa isa = initial_isa(&isa_available, kVars);
  return isa;
}

}  // namespace

bool isa_available(Isa isa) { return table_of(isa) != nullptr && cpu_supports(isa); }

Isa active_isa() { return current(); }

bool set_isa(Isa isa) {
  if (!isa_available(isa)) return false;
  current() = isa;
  return true;
}

const SimdKernels& simd() { return *table_of(current()); }

const QWindowKernels& qwindow() { return *qwindow_of(current()); }

}  // namespace optimized
}  // namespace ember
