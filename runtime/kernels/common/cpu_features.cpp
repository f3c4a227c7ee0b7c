// CPU features and the EMBER_KERNELS_ISA setting (cpu_features.h).
#include "runtime/kernels/common/cpu_features.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "runtime/platform/platform.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace ember {

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

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
#if defined(__aarch64__)
    case Isa::neon:
      return true;  // baseline on aarch64
#endif
    default:
      return false;
  }
}

Isa initial_isa(bool (*available)(Isa), const char* const* env_vars) {
  Isa best = Isa::generic;
  for (Isa isa : {Isa::neon, Isa::avx2, Isa::avx512}) {
    if (available(isa)) best = isa;
  }
  const char* var = nullptr;
  const char* env = nullptr;
  for (const char* const* v = env_vars; v != nullptr && *v != nullptr && env == nullptr; ++v) {
    const char* value = std::getenv(*v);
    if (value != nullptr && value[0] != '\0') {
      var = *v;
      env = value;
    }
  }
  if (env == nullptr) return best;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (std::strcmp(env, isa_name(isa)) != 0) continue;
    if (available(isa)) return isa;
    Isa capped = Isa::generic;
    if (isa == Isa::avx512 && available(Isa::avx2)) capped = Isa::avx2;
    EMBER_LOG(Info, "%s=%s: not available in this build or CPU, using %s", var, env,
              isa_name(capped));
    return capped;
  }
  EMBER_LOG(Error, "%s=%s is not one of generic, avx2, avx512, neon; using %s", var, env,
            isa_name(best));
  return best;
}

bool cpu_has_avx512_vnni() {
#if defined(__x86_64__) || defined(__i386__)
  return cpu_supports(Isa::avx512) && __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

bool cpu_has_avx_vnni() {
#if defined(__x86_64__) || defined(__i386__)
  return cpu_supports(Isa::avx2) && __builtin_cpu_supports("avxvnni");
#else
  return false;
#endif
}

bool cpu_has_arm_dotprod() {
#if defined(__aarch64__) && defined(__linux__)
  // HWCAP_ASIMDDP (bit 20 of AT_HWCAP), spelled out for older libc headers.
  return (getauxval(AT_HWCAP) & (1ul << 20)) != 0;
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
  return true;  // the whole build assumes it
#else
  return false;
#endif
}

namespace {

/// The first line of /sys/devices/system/cpu/cpu0/cache/index<i>/<file>
/// into `out`; false if there is none.
bool read_cache_file(int index, const char* file, char* out, size_t size) {
  char path[96];
  std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, file);
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  const bool ok = std::fgets(out, static_cast<int>(size), f) != nullptr;
  std::fclose(f);
  return ok;
}

CacheGeometry read_l1_data_cache() {
  for (int i = 0; i < 8; ++i) {
    char level[16], type[32], ways[16], size[32];
    if (!read_cache_file(i, "level", level, sizeof(level)) ||
        !read_cache_file(i, "type", type, sizeof(type))) {
      break;
    }
    if (std::atoi(level) != 1 || std::strncmp(type, "Data", 4) != 0) continue;
    if (!read_cache_file(i, "ways_of_associativity", ways, sizeof(ways)) ||
        !read_cache_file(i, "size", size, sizeof(size))) {
      break;
    }
    char* unit = nullptr;
    unsigned long bytes = std::strtoul(size, &unit, 10);
    if (unit != nullptr && (*unit == 'K' || *unit == 'k')) bytes <<= 10;
    const long n = std::atol(ways);
    if (n <= 0 || bytes == 0 || bytes % static_cast<unsigned long>(n) != 0) break;
    return CacheGeometry{static_cast<uint32_t>(n), static_cast<uint32_t>(bytes / n)};
  }
  return CacheGeometry{0, 0};
}

}  // namespace

CacheGeometry l1_data_cache() {
  static const CacheGeometry geometry = read_l1_data_cache();
  return geometry;
}

}  // namespace ember
