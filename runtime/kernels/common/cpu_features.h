// The instruction sets Ember's kernel libraries are built for, what this CPU
// runs, and the EMBER_KERNELS_ISA setting: one place for the optimized
// kernels (runtime/kernels/optimized) and the GEMM (optimized/gemm), which
// each keep their own choice so that tests can pin one and not the other.
#pragma once

#include <atomic>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/platform/platform.h"

namespace ember {

/// Order on x86: generic < avx2 < avx512. neon: aarch64 only.
enum class Isa : uint8_t { generic = 0, avx2 = 1, avx512 = 2, neon = 3 };

/// "generic", "avx2", "avx512" or "neon".
const char* isa_name(Isa isa);

/// True if this CPU runs the set: avx2 means AVX2 and FMA; avx512 means
/// AVX-512 F, DQ, BW and VL; neon every aarch64 CPU; generic every CPU.
bool cpu_supports(Isa isa);

/// The set a kernel library starts with: the best one `available` accepts
/// (the library's build and cpu_supports), unless the first of `env_vars`
/// (a nullptr-ended list, e.g. {"EMBER_KERNELS_ISA", nullptr}) that is set
/// names one: then that one, or if it is not available the best available
/// one below it (avx512 -> avx2 -> generic), with a log line. An unknown
/// name is logged and ignored.
Isa initial_isa(bool (*available)(Isa), const char* const* env_vars);

/// Integer dot-product extensions (the int8 GEMM's fast paths), outside the
/// Isa order: each is an addition to one of its sets.
/// AVX512_VNNI (EVEX vpdpbusd on zmm) together with cpu_supports(Isa::avx512).
bool cpu_has_avx512_vnni();
/// AVX-VNNI (the VEX vpdpbusd on ymm of Alder Lake and later), with AVX2.
bool cpu_has_avx_vnni();
/// The Armv8.2 dot-product extension (FEAT_DotProd: sdot/udot); false off aarch64.
bool cpu_has_arm_dotprod();

/// The level-1 data cache's shape: addresses `way_bytes` apart share a set,
/// and a set holds `ways` lines. {0, 0} when the system does not say (read
/// once, from Linux's /sys/devices/system/cpu/cpu0/cache).
struct CacheGeometry {
  uint32_t ways;
  uint32_t way_bytes;
};
CacheGeometry l1_data_cache();

/// One kernel library's instruction-set choice (gemm, qgemm, lowbit each
/// keep one, with their own enum E): made by `initial` at the first get()
/// (the CPU's best, or an environment variable), replaced by set() (tests,
/// benchmarks). get() and set() are thread-safe.
template <typename E>
class IsaSlot {
 public:
  E get(E (*initial)()) {
    int isa = value_.load(std::memory_order_relaxed);
    if (isa < 0) {
      int expected = -1;
      value_.compare_exchange_strong(expected, static_cast<int>(initial()));
      isa = value_.load();
    }
    return static_cast<E>(isa);
  }
  /// Stores `isa` if `available`; else logs "<library>::set_isa: <name> is
  /// not available" and returns NotSupported.
  Error set(E isa, bool available, const char* library, const char* name) {
    if (!available) {
      EMBER_LOG(Error, "%s::set_isa: %s is not available on this CPU or build", library, name);
      return Error::NotSupported;
    }
    value_.store(static_cast<int>(isa));
    return Error::Ok;
  }

 private:
  std::atomic<int> value_{-1};
};

}  // namespace ember
