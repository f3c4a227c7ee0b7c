// A float32 vector of the widest kind the translation unit is compiled for:
// 16 lanes with AVX-512, 8 with AVX2+FMA, 4 with NEON, 4 plain floats
// otherwise. Only simd_kernels.cpp includes it; the build compiles that file
// once per instruction set (see CMakeLists.txt), so each copy sees one kind.
//
// Every operation is lane-wise and rounds like IEEE float32; fmadd fuses
// (one rounding) on AVX2, AVX-512 and NEON, and is a * b + c on the generic
// kind. Loads and stores are unaligned; a tail shorter than a vector goes
// through load_partial/store_partial, which compute the same lanes the same
// way as full vectors.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#define EMBER_VEC_AVX512 1
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define EMBER_VEC_AVX2 1
#elif defined(__ARM_NEON) && defined(__aarch64__) && !defined(EMBER_SIMD_ISA_GENERIC)
// NEON is baseline on aarch64: the generic copy asks for plain floats by name.
#include <arm_neon.h>
#define EMBER_VEC_NEON 1
#else
#define EMBER_VEC_GENERIC 1
#endif

namespace ember {
namespace optimized {
namespace EMBER_SIMD_ISA {
namespace simd {

#if defined(EMBER_VEC_AVX512)

struct Vec {
  static constexpr int kLanes = 16;
  __m512 v;
  Vec() = default;
  explicit Vec(__m512 x) : v(x) {}
  explicit Vec(float x) : v(_mm512_set1_ps(x)) {}
  static Vec load(const float* p) { return Vec(_mm512_loadu_ps(p)); }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
};
using Mask = __mmask16;
inline Vec operator+(Vec a, Vec b) { return Vec(_mm512_add_ps(a.v, b.v)); }
inline Vec operator-(Vec a, Vec b) { return Vec(_mm512_sub_ps(a.v, b.v)); }
inline Vec operator*(Vec a, Vec b) { return Vec(_mm512_mul_ps(a.v, b.v)); }
inline Vec operator/(Vec a, Vec b) { return Vec(_mm512_div_ps(a.v, b.v)); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return Vec(_mm512_fmadd_ps(a.v, b.v, c.v)); }
/// max/min as maxps: the second operand when either is NaN.
inline Vec max(Vec a, Vec b) { return Vec(_mm512_max_ps(a.v, b.v)); }
inline Vec min(Vec a, Vec b) { return Vec(_mm512_min_ps(a.v, b.v)); }
inline Vec abs(Vec a) { return Vec(_mm512_abs_ps(a.v)); }
inline Vec round_nearest(Vec a) {
  return Vec(_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
inline Mask less(Vec a, Vec b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ); }
inline Mask greater(Vec a, Vec b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ); }
inline Mask is_nan(Vec a) { return _mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q); }
/// Lanes of `a` where the mask is set, of `b` elsewhere.
inline Vec select(Mask m, Vec a, Vec b) { return Vec(_mm512_mask_blend_ps(m, b.v, a.v)); }
/// 2^n for integral n in [-126, 127] held as floats.
inline Vec exp2_int(Vec n) {
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n.v),
                                                          _mm512_set1_epi32(127)), 23);
  return Vec(_mm512_castsi512_ps(bits));
}
/// Copy the sign bit of `s` onto `a` (a must be non-negative).
inline Vec with_sign_of(Vec a, Vec s) {
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(s.v), _mm512_set1_epi32(INT32_MIN));
  return Vec(_mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a.v), sign)));
}
/// p[0], p[2], ..., p[2 * (kLanes - 1)] (reads p[0 .. 2 * kLanes - 1)).
inline Vec load_stride2(const float* p) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return Vec(_mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_loadu_ps(p + 16)));
}
/// 1 / a within about 1 ulp: the 14-bit estimate and a Newton step.
inline Vec reciprocal(Vec a) {
  const __m512 r = _mm512_rcp14_ps(a.v);
  return Vec(_mm512_fmadd_ps(r, _mm512_fnmadd_ps(a.v, r, _mm512_set1_ps(1.0f)), r));
}
inline float reduce_add(Vec a) { return _mm512_reduce_add_ps(a.v); }
inline float reduce_max(Vec a) { return _mm512_reduce_max_ps(a.v); }
inline Vec load_partial(const float* p, int n) {
  return Vec(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p));
}
inline void store_partial(float* p, Vec a, int n) {
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), a.v);
}

#elif defined(EMBER_VEC_AVX2)

struct Vec {
  static constexpr int kLanes = 8;
  __m256 v;
  Vec() = default;
  explicit Vec(__m256 x) : v(x) {}
  explicit Vec(float x) : v(_mm256_set1_ps(x)) {}
  static Vec load(const float* p) { return Vec(_mm256_loadu_ps(p)); }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
};
using Mask = __m256;
inline Vec operator+(Vec a, Vec b) { return Vec(_mm256_add_ps(a.v, b.v)); }
inline Vec operator-(Vec a, Vec b) { return Vec(_mm256_sub_ps(a.v, b.v)); }
inline Vec operator*(Vec a, Vec b) { return Vec(_mm256_mul_ps(a.v, b.v)); }
inline Vec operator/(Vec a, Vec b) { return Vec(_mm256_div_ps(a.v, b.v)); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return Vec(_mm256_fmadd_ps(a.v, b.v, c.v)); }
inline Vec max(Vec a, Vec b) { return Vec(_mm256_max_ps(a.v, b.v)); }
inline Vec min(Vec a, Vec b) { return Vec(_mm256_min_ps(a.v, b.v)); }
inline Vec abs(Vec a) {
  return Vec(_mm256_and_ps(a.v, _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX))));
}
inline Vec round_nearest(Vec a) {
  return Vec(_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
inline Mask less(Vec a, Vec b) { return _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ); }
inline Mask greater(Vec a, Vec b) { return _mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ); }
inline Mask is_nan(Vec a) { return _mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q); }
inline Vec select(Mask m, Vec a, Vec b) { return Vec(_mm256_blendv_ps(b.v, a.v, m)); }
inline Vec exp2_int(Vec n) {
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n.v),
                                                          _mm256_set1_epi32(127)), 23);
  return Vec(_mm256_castsi256_ps(bits));
}
inline Vec with_sign_of(Vec a, Vec s) {
  return Vec(_mm256_or_ps(a.v, _mm256_and_ps(s.v, _mm256_castsi256_ps(
                                                      _mm256_set1_epi32(INT32_MIN)))));
}
inline Vec load_stride2(const float* p) {
  const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
  // [0 2 8 10 | 4 6 12 14] per 128-bit lane, then put the 64-bit pairs in order.
  const __m256 even = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  return Vec(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0))));
}
/// 1 / a within about 2 ulp: the 12-bit estimate and a Newton step (a
/// reciprocal above 2^126 or below 2^-126 flushes to 0 or inf).
inline Vec reciprocal(Vec a) {
  const __m256 r = _mm256_rcp_ps(a.v);
  return Vec(_mm256_fmadd_ps(r, _mm256_fnmadd_ps(a.v, r, _mm256_set1_ps(1.0f)), r));
}
inline float reduce_add(Vec a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float reduce_max(Vec a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline __m256i tail_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec load_partial(const float* p, int n) { return Vec(_mm256_maskload_ps(p, tail_mask(n))); }
inline void store_partial(float* p, Vec a, int n) { _mm256_maskstore_ps(p, tail_mask(n), a.v); }

#elif defined(EMBER_VEC_NEON)

struct Vec {
  static constexpr int kLanes = 4;
  float32x4_t v;
  Vec() = default;
  explicit Vec(float32x4_t x) : v(x) {}
  explicit Vec(float x) : v(vdupq_n_f32(x)) {}
  static Vec load(const float* p) { return Vec(vld1q_f32(p)); }
  void store(float* p) const { vst1q_f32(p, v); }
};
using Mask = uint32x4_t;
inline Vec operator+(Vec a, Vec b) { return Vec(vaddq_f32(a.v, b.v)); }
inline Vec operator-(Vec a, Vec b) { return Vec(vsubq_f32(a.v, b.v)); }
inline Vec operator*(Vec a, Vec b) { return Vec(vmulq_f32(a.v, b.v)); }
inline Vec operator/(Vec a, Vec b) { return Vec(vdivq_f32(a.v, b.v)); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return Vec(vfmaq_f32(c.v, a.v, b.v)); }
/// As maxps on x86: the second operand when either is NaN.
inline Vec max(Vec a, Vec b) { return Vec(vbslq_f32(vcgtq_f32(a.v, b.v), a.v, b.v)); }
inline Vec min(Vec a, Vec b) { return Vec(vbslq_f32(vcltq_f32(a.v, b.v), a.v, b.v)); }
inline Vec abs(Vec a) { return Vec(vabsq_f32(a.v)); }
inline Vec round_nearest(Vec a) { return Vec(vrndnq_f32(a.v)); }
inline Mask less(Vec a, Vec b) { return vcltq_f32(a.v, b.v); }
inline Mask greater(Vec a, Vec b) { return vcgtq_f32(a.v, b.v); }
inline Mask is_nan(Vec a) { return vmvnq_u32(vceqq_f32(a.v, a.v)); }
inline Vec select(Mask m, Vec a, Vec b) { return Vec(vbslq_f32(m, a.v, b.v)); }
inline Vec exp2_int(Vec n) {
  const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n.v), vdupq_n_s32(127)), 23);
  return Vec(vreinterpretq_f32_s32(bits));
}
inline Vec with_sign_of(Vec a, Vec s) {
  const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(s.v), vdupq_n_u32(0x80000000u));
  return Vec(vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(a.v), sign)));
}
inline Vec load_stride2(const float* p) { return Vec(vld2q_f32(p).val[0]); }
/// 1 / a within about 1 ulp: the 8-bit estimate and two Newton steps.
inline Vec reciprocal(Vec a) {
  float32x4_t r = vrecpeq_f32(a.v);
  r = vmulq_f32(r, vrecpsq_f32(a.v, r));
  return Vec(vmulq_f32(r, vrecpsq_f32(a.v, r)));
}
inline float reduce_add(Vec a) { return vaddvq_f32(a.v); }
inline float reduce_max(Vec a) { return vmaxvq_f32(a.v); }
inline Vec load_partial(const float* p, int n) {
  float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  std::memcpy(buf, p, static_cast<size_t>(n) * sizeof(float));
  return Vec(vld1q_f32(buf));
}
inline void store_partial(float* p, Vec a, int n) {
  float buf[4];
  vst1q_f32(buf, a.v);
  std::memcpy(p, buf, static_cast<size_t>(n) * sizeof(float));
}

#else  // generic: four plain floats; the compiler vectorizes what it can

struct Vec {
  static constexpr int kLanes = 4;
  float v[4];
  Vec() = default;
  explicit Vec(float x) : v{x, x, x, x} {}
  static Vec load(const float* p) {
    Vec r;
    std::memcpy(r.v, p, sizeof(r.v));
    return r;
  }
  void store(float* p) const { std::memcpy(p, v, sizeof(v)); }
};
struct Mask {
  bool m[4];
};
template <typename F>
inline Vec lanewise(Vec a, Vec b, F f) {
  Vec r;
  for (int i = 0; i < 4; ++i) r.v[i] = f(a.v[i], b.v[i]);
  return r;
}
inline Vec operator+(Vec a, Vec b) { return lanewise(a, b, [](float x, float y) { return x + y; }); }
inline Vec operator-(Vec a, Vec b) { return lanewise(a, b, [](float x, float y) { return x - y; }); }
inline Vec operator*(Vec a, Vec b) { return lanewise(a, b, [](float x, float y) { return x * y; }); }
inline Vec operator/(Vec a, Vec b) { return lanewise(a, b, [](float x, float y) { return x / y; }); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return a * b + c; }
inline Vec max(Vec a, Vec b) { return lanewise(a, b, [](float x, float y) { return x > y ? x : y; }); }
inline Vec min(Vec a, Vec b) { return lanewise(a, b, [](float x, float y) { return x < y ? x : y; }); }
inline Vec abs(Vec a) {
  Vec r;
  for (int i = 0; i < 4; ++i) r.v[i] = a.v[i] < 0.0f ? -a.v[i] : (a.v[i] == 0.0f ? 0.0f : a.v[i]);
  return r;
}
inline Vec round_nearest(Vec a) {
  Vec r;
  for (int i = 0; i < 4; ++i) r.v[i] = __builtin_nearbyintf(a.v[i]);
  return r;
}
inline Mask less(Vec a, Vec b) { return Mask{{a.v[0] < b.v[0], a.v[1] < b.v[1], a.v[2] < b.v[2], a.v[3] < b.v[3]}}; }
inline Mask greater(Vec a, Vec b) { return less(b, a); }
inline Mask is_nan(Vec a) {
  return Mask{{a.v[0] != a.v[0], a.v[1] != a.v[1], a.v[2] != a.v[2], a.v[3] != a.v[3]}};
}
inline Vec select(Mask m, Vec a, Vec b) {
  Vec r;
  for (int i = 0; i < 4; ++i) r.v[i] = m.m[i] ? a.v[i] : b.v[i];
  return r;
}
inline Vec exp2_int(Vec n) {
  Vec r;
  for (int i = 0; i < 4; ++i) {
    const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n.v[i]) + 127) << 23;
    std::memcpy(&r.v[i], &bits, sizeof(float));
  }
  return r;
}
inline Vec with_sign_of(Vec a, Vec s) {
  Vec r;
  for (int i = 0; i < 4; ++i) {
    uint32_t x, y;
    std::memcpy(&x, &a.v[i], 4);
    std::memcpy(&y, &s.v[i], 4);
    x |= y & 0x80000000u;
    std::memcpy(&r.v[i], &x, 4);
  }
  return r;
}
inline Vec load_stride2(const float* p) {
  Vec r;
  for (int i = 0; i < 4; ++i) r.v[i] = p[2 * i];
  return r;
}
inline Vec reciprocal(Vec a) { return Vec(1.0f) / a; }
inline float reduce_add(Vec a) { return (a.v[0] + a.v[2]) + (a.v[1] + a.v[3]); }
inline float reduce_max(Vec a) {
  const float x = a.v[0] > a.v[2] ? a.v[0] : a.v[2];
  const float y = a.v[1] > a.v[3] ? a.v[1] : a.v[3];
  return x > y ? x : y;
}
inline Vec load_partial(const float* p, int n) {
  Vec r(0.0f);
  std::memcpy(r.v, p, static_cast<size_t>(n) * sizeof(float));
  return r;
}
inline void store_partial(float* p, Vec a, int n) {
  std::memcpy(p, a.v, static_cast<size_t>(n) * sizeof(float));
}

#endif

}  // namespace simd
}  // namespace EMBER_SIMD_ISA
}  // namespace optimized
}  // namespace ember
