// The int8 depthwise convolution plane of simd_qwindow.h, compiled once per
// instruction set (EMBER_SIMD_ISA names the copy's namespace; only that
// set's flags, and -ffp-contract=off so that the requantization rounds as
// quant::Requant does).
//
// Every output column is an int32 lane, and each lane multiplies a pair of
// int16 taps at once (vpmaddwd on x86, vmull + vpadd on NEON):
//   1. each input row of a band of output rows is widened once to int16
//      x - zp (0 in the padding: a padding tap adds nothing) and stored as
//      pairs, pair c = (x[c - pad_w], x[c - pad_w + dil_w]): pair c holds
//      the taps kj and kj + 1 of any output column that reads column c for
//      tap kj, so taps (0, 1), (2, 3), ... of a kernel row are one load and
//      one multiply-add each (an odd last tap pairs with weight 0);
//   2. 4 output rows by 1 or 2 blocks of kLanes columns accumulate in
//      registers: stride 1 loads are plain, stride 2 loads take every other
//      pair, other strides gather; rows off the plane read a zero row;
//   3. the exact int32 sums are requantized in float lanes with
//      quant::Requant's operations in its order and narrowed to bytes.
// |x - zp| <= 255 and |w| <= 128, so a pair's products and their sum fit
// int32 exactly, as does a plane's sum over <= 65536 taps.
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "runtime/kernels/optimized/simd_qwindow.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include "runtime/kernels/optimized/requant_avx512.h"
#define EMBER_QW_AVX512 1
#elif defined(__AVX2__)
#include <immintrin.h>
#define EMBER_QW_AVX2 1
#elif defined(__ARM_NEON) && defined(__aarch64__) && !defined(EMBER_SIMD_ISA_GENERIC)
#include <arm_neon.h>
#define EMBER_QW_NEON 1
#endif

#ifndef EMBER_SIMD_ISA
#error "simd_qwindow.cpp is compiled once per instruction set with EMBER_SIMD_ISA defined"
#endif

namespace ember {
namespace optimized {
namespace EMBER_SIMD_ISA {
namespace {

// ---- The vector kinds: IVec holds kLanes int32 lanes (before a multiply,
// each lane is a pair of int16: the pair's memory image), FVec as many floats.

#if defined(EMBER_QW_AVX512)

constexpr int kLanes = 16;
struct IVec { __m512i v; };
struct FVec { __m512 v; };
inline IVec izero() { return {_mm512_setzero_si512()}; }
inline IVec broadcast_pair(int32_t x) { return {_mm512_set1_epi32(x)}; }
/// Pairs 0 .. kLanes - 1 from p (int16 p[2 i], p[2 i + 1] in lane i).
inline IVec load_pairs(const int16_t* p) { return {_mm512_loadu_si512(p)}; }
/// Pairs 0, 2, ..., 2 (kLanes - 1) from p (reads 2 kLanes pairs).
inline IVec load_pairs_stride2(const int16_t* p) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return {_mm512_permutex2var_epi32(_mm512_loadu_si512(p), even, _mm512_loadu_si512(p + 32))};
}
/// acc + a.lo * w.lo + a.hi * w.hi per lane (one vpdpwssd with AVX512_VNNI:
/// the avx512vnni copy).
inline IVec madd(IVec acc, IVec a, IVec w) {
#if defined(__AVX512VNNI__)
  return {_mm512_dpwssd_epi32(acc.v, a.v, w.v)};
#else
  return {_mm512_add_epi32(acc.v, _mm512_madd_epi16(a.v, w.v))};
#endif
}
inline FVec to_float(IVec a) { return {_mm512_cvtepi32_ps(a.v)}; }
inline FVec fset(float x) { return {_mm512_set1_ps(x)}; }
inline FVec operator+(FVec a, FVec b) { return {_mm512_add_ps(a.v, b.v)}; }
inline FVec operator-(FVec a, FVec b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline FVec operator*(FVec a, FVec b) { return {_mm512_mul_ps(a.v, b.v)}; }
/// a > b ? a : b and a < b ? a : b lane by lane (maxps / minps are exactly these).
inline FVec above(FVec a, FVec b) { return {_mm512_max_ps(a.v, b.v)}; }
inline FVec below(FVec a, FVec b) { return {_mm512_min_ps(a.v, b.v)}; }
/// Rounded to the nearest integer, ties to even (|a| < 2^22: what adding and
/// subtracting 1.5 * 2^23 gives).
inline IVec round_to_int(FVec a) { return {_mm512_cvtps_epi32(a.v)}; }
inline IVec iadd(IVec a, IVec b) { return {_mm512_add_epi32(a.v, b.v)}; }
inline IVec imax(IVec a, IVec b) { return {_mm512_max_epi32(a.v, b.v)}; }
inline IVec imin(IVec a, IVec b) { return {_mm512_min_epi32(a.v, b.v)}; }
/// The low bytes of the first n lanes (values within [-128, 255]).
inline void store_bytes(uint8_t* p, IVec v, int n) {
  const __mmask16 m = n >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  _mm512_mask_cvtepi32_storeu_epi8(p, m, v.v);
}
/// dst[i] = src[i] - zp for i < n.
inline void widen(const int8_t* src, int16_t zp, int16_t* dst, int64_t n) {
  const __m512i z = _mm512_set1_epi16(zp);
  for (int64_t i = 0; i < n; i += 32) {
    const __mmask32 m = n - i >= 32 ? ~__mmask32{0} : (__mmask32{1} << (n - i)) - 1;
    const __m512i x = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, src + i));
    _mm512_mask_storeu_epi16(dst + i, m, _mm512_sub_epi16(x, z));
  }
}
inline void widen(const uint8_t* src, int16_t zp, int16_t* dst, int64_t n) {
  const __m512i z = _mm512_set1_epi16(zp);
  for (int64_t i = 0; i < n; i += 32) {
    const __mmask32 m = n - i >= 32 ? ~__mmask32{0} : (__mmask32{1} << (n - i)) - 1;
    const __m512i x = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, src + i));
    _mm512_mask_storeu_epi16(dst + i, m, _mm512_sub_epi16(x, z));
  }
}
/// dst[2 i] = a[i], dst[2 i + 1] = b[i] for i < n rounded up to kInterleave
/// (a and b readable, dst writable that far).
constexpr int64_t kInterleave = 32;
inline void interleave(const int16_t* a, const int16_t* b, int16_t* dst, int64_t n) {
  alignas(64) static const int16_t kLow[32] = {0,  32, 1,  33, 2,  34, 3,  35, 4,  36, 5,
                                               37, 6,  38, 7,  39, 8,  40, 9,  41, 10, 42,
                                               11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
  const __m512i lo = _mm512_load_si512(kLow);
  const __m512i hi = _mm512_add_epi16(lo, _mm512_set1_epi16(16));
  for (int64_t i = 0; i < n; i += 32) {
    const __m512i x = _mm512_loadu_si512(a + i), y = _mm512_loadu_si512(b + i);
    _mm512_storeu_si512(dst + 2 * i, _mm512_permutex2var_epi16(x, lo, y));
    _mm512_storeu_si512(dst + 2 * i + 32, _mm512_permutex2var_epi16(x, hi, y));
  }
}

#elif defined(EMBER_QW_AVX2)

constexpr int kLanes = 8;
struct IVec { __m256i v; };
struct FVec { __m256 v; };
inline IVec izero() { return {_mm256_setzero_si256()}; }
inline IVec broadcast_pair(int32_t x) { return {_mm256_set1_epi32(x)}; }
inline IVec load_pairs(const int16_t* p) {
  return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))};
}
inline IVec load_pairs_stride2(const int16_t* p) {
  const __m256 a = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  const __m256 b =
      _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16)));
  // Per 128-bit half: a0 a2 b0 b2 | a4 a6 b4 b6; then the 64-bit quarters in order 0 2 1 3.
  const __m256d even = _mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
  return {_mm256_castpd_si256(_mm256_permute4x64_pd(even, _MM_SHUFFLE(3, 1, 2, 0)))};
}
inline IVec madd(IVec acc, IVec a, IVec w) {
  return {_mm256_add_epi32(acc.v, _mm256_madd_epi16(a.v, w.v))};
}
inline FVec to_float(IVec a) { return {_mm256_cvtepi32_ps(a.v)}; }
inline FVec fset(float x) { return {_mm256_set1_ps(x)}; }
inline FVec operator+(FVec a, FVec b) { return {_mm256_add_ps(a.v, b.v)}; }
inline FVec operator-(FVec a, FVec b) { return {_mm256_sub_ps(a.v, b.v)}; }
inline FVec operator*(FVec a, FVec b) { return {_mm256_mul_ps(a.v, b.v)}; }
inline FVec above(FVec a, FVec b) { return {_mm256_max_ps(a.v, b.v)}; }
inline FVec below(FVec a, FVec b) { return {_mm256_min_ps(a.v, b.v)}; }
inline IVec round_to_int(FVec a) { return {_mm256_cvtps_epi32(a.v)}; }
inline IVec iadd(IVec a, IVec b) { return {_mm256_add_epi32(a.v, b.v)}; }
inline IVec imax(IVec a, IVec b) { return {_mm256_max_epi32(a.v, b.v)}; }
inline IVec imin(IVec a, IVec b) { return {_mm256_min_epi32(a.v, b.v)}; }
inline void store_bytes(uint8_t* p, IVec v, int n) {
  const __m256i low_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                             -1, -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1,
                                             -1, -1, -1, -1);
  const __m256i b = _mm256_shuffle_epi8(v.v, low_bytes);
  const int32_t lo = _mm256_cvtsi256_si32(b), hi = _mm256_extract_epi32(b, 4);
  uint8_t bytes[8];
  std::memcpy(bytes, &lo, 4);
  std::memcpy(bytes + 4, &hi, 4);
  std::memcpy(p, bytes, static_cast<size_t>(n < kLanes ? n : kLanes));
}
inline void widen(const int8_t* src, int16_t zp, int16_t* dst, int64_t n) {
  const __m256i z = _mm256_set1_epi16(zp);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_sub_epi16(_mm256_cvtepi8_epi16(b), z));
  }
  for (; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
}
inline void widen(const uint8_t* src, int16_t zp, int16_t* dst, int64_t n) {
  const __m256i z = _mm256_set1_epi16(zp);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_sub_epi16(_mm256_cvtepu8_epi16(b), z));
  }
  for (; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
}
constexpr int64_t kInterleave = 16;
inline void interleave(const int16_t* a, const int16_t* b, int16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
    const __m256i lo = _mm256_unpacklo_epi16(x, y), hi = _mm256_unpackhi_epi16(x, y);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * i), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * i + 16),
                        _mm256_permute2x128_si256(lo, hi, 0x31));
  }
}

#elif defined(EMBER_QW_NEON)

constexpr int kLanes = 4;
struct IVec { int32x4_t v; };
struct FVec { float32x4_t v; };
inline IVec izero() { return {vdupq_n_s32(0)}; }
inline IVec broadcast_pair(int32_t x) { return {vdupq_n_s32(x)}; }
inline IVec load_pairs(const int16_t* p) { return {vreinterpretq_s32_s16(vld1q_s16(p))}; }
inline IVec load_pairs_stride2(const int16_t* p) {
  const int32x4x2_t pairs = vld2q_s32(reinterpret_cast<const int32_t*>(p));
  return {pairs.val[0]};
}
inline IVec madd(IVec acc, IVec a, IVec w) {
  const int16x8_t a16 = vreinterpretq_s16_s32(a.v), w16 = vreinterpretq_s16_s32(w.v);
  const int32x4_t lo = vmull_s16(vget_low_s16(a16), vget_low_s16(w16));
  const int32x4_t hi = vmull_high_s16(a16, w16);
  return {vaddq_s32(acc.v, vpaddq_s32(lo, hi))};
}
inline FVec to_float(IVec a) { return {vcvtq_f32_s32(a.v)}; }
inline FVec fset(float x) { return {vdupq_n_f32(x)}; }
inline FVec operator+(FVec a, FVec b) { return {vaddq_f32(a.v, b.v)}; }
inline FVec operator-(FVec a, FVec b) { return {vsubq_f32(a.v, b.v)}; }
inline FVec operator*(FVec a, FVec b) { return {vmulq_f32(a.v, b.v)}; }
// vmaxq / vminq propagate NaN: select on the comparison instead.
inline FVec above(FVec a, FVec b) { return {vbslq_f32(vcgtq_f32(a.v, b.v), a.v, b.v)}; }
inline FVec below(FVec a, FVec b) { return {vbslq_f32(vcltq_f32(a.v, b.v), a.v, b.v)}; }
inline IVec round_to_int(FVec a) { return {vcvtnq_s32_f32(a.v)}; }
inline IVec iadd(IVec a, IVec b) { return {vaddq_s32(a.v, b.v)}; }
inline IVec imax(IVec a, IVec b) { return {vmaxq_s32(a.v, b.v)}; }
inline IVec imin(IVec a, IVec b) { return {vminq_s32(a.v, b.v)}; }
inline void store_bytes(uint8_t* p, IVec v, int n) {
  const int16x4_t h = vmovn_s32(v.v);
  uint8_t bytes[8];
  vst1_u8(bytes, vreinterpret_u8_s8(vmovn_s16(vcombine_s16(h, h))));
  std::memcpy(p, bytes, static_cast<size_t>(n < kLanes ? n : kLanes));
}
inline void widen(const int8_t* src, int16_t zp, int16_t* dst, int64_t n) {
  const int16x8_t z = vdupq_n_s16(zp);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vst1q_s16(dst + i, vsubq_s16(vmovl_s8(vld1_s8(src + i)), z));
  for (; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
}
inline void widen(const uint8_t* src, int16_t zp, int16_t* dst, int64_t n) {
  const int16x8_t z = vdupq_n_s16(zp);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    vst1q_s16(dst + i, vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(src + i))), z));
  }
  for (; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
}
constexpr int64_t kInterleave = 8;
inline void interleave(const int16_t* a, const int16_t* b, int16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    const int16x8_t x = vld1q_s16(a + i), y = vld1q_s16(b + i);
    vst1q_s16(dst + 2 * i, vzip1q_s16(x, y));
    vst1q_s16(dst + 2 * i + 8, vzip2q_s16(x, y));
  }
}

#else
// generic: no vector plane. Emulating the lanes in plain C++ measured 1.9
// GOP/s on the 3x3 32-channel 112x112 plane, the plain loop of
// op_quantized_conv.cpp (which the compiler vectorizes on the baseline) 7.7.
#define EMBER_QW_NONE 1
#endif

#if !defined(EMBER_QW_NONE)

// ---- The plane.

constexpr int kRows = 4;            ///< output rows accumulated together
constexpr int64_t kMaxKh = 16;      ///< tallest kernel taken
constexpr int64_t kMaxPairs = 16;   ///< widest kernel taken: 32 taps
constexpr int64_t kUnits = 8192;    ///< pairs in the band buffer (32 KiB)
constexpr int64_t kCachedBytes = 16384;  ///< a band's pairs and widened rows, if they can
constexpr int64_t kWiden = 8192;    ///< int16 of a band's widened rows (16 KiB)

/// quant::Requant's constants in lanes (its zero point and clamp as int32).
struct Epilogue {
  FVec scale, bias, inv_out, lo, hi;
  IVec zp, qmin, qmax;
  explicit Epilogue(const QDepthwiseParams& q)
      : scale(fset(q.scale)), bias(fset(q.bias)), inv_out(fset(q.inv_out)), lo(fset(q.lo)),
        hi(fset(q.hi)), zp(broadcast_pair(static_cast<int32_t>(q.out_zp))),
        qmin(broadcast_pair(static_cast<int32_t>(q.qmin))),
        qmax(broadcast_pair(static_cast<int32_t>(q.qmax))) {}
};

/// float(acc) * scale + bias, then quant::Requant::operator() step by step:
/// v = y * inv_out clamped to [lo, hi] (NaN to lo), so |v| <= 2^9 and its
/// rounding (ties to even, as adding and subtracting 1.5 * 2^23 does), the
/// zero point and the clamp to [qmin, qmax] are exact in int32 as in float.
inline IVec requantize(IVec acc, const Epilogue& e) {
  const FVec y = to_float(acc) * e.scale + e.bias;
  FVec v = y * e.inv_out;
  v = above(v, e.lo);
  v = below(v, e.hi);
  return imin(imax(iadd(round_to_int(v), e.zp), e.qmin), e.qmax);
}

/// Pairs p[0], p[stride], ... (each two int16); kStride 0: any stride.
template <int kStride>
inline IVec load_columns(const int16_t* p, int64_t stride) {
  if (kStride == 1) return load_pairs(p);
  if (kStride == 2) return load_pairs_stride2(p);
  alignas(64) int16_t lanes[2 * kLanes];
  for (int i = 0; i < kLanes; ++i) {
    lanes[2 * i] = p[2 * i * stride];
    lanes[2 * i + 1] = p[2 * i * stride + 1];
  }
  return load_pairs(lanes);
}

/// Output rows oh0 .. oh0 + rows - 1 (rows <= kRows), kC column blocks of
/// kLanes from ow. rowp[r * k_h + ki]: the pair row tap row ki of output row
/// r reads (pair 0 at input column -pad_w); wp[ki * pairs + p]: the weights
/// of taps (2p, 2p + 1) of kernel row ki as a pair's memory image.
template <int kStride, int kC>
inline void block(const WindowShape& s, int64_t pairs, const int16_t* const* rowp,
                  const int32_t* wp, const Epilogue& e, uint8_t* out, int64_t oh0, int rows,
                  int64_t ow) {
  IVec acc[kRows][kC];
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < kC; ++c) acc[r][c] = izero();
  }
  const int64_t sw = s.stride_w;
  for (int64_t ki = 0; ki < s.k_h; ++ki) {
    for (int64_t p = 0; p < pairs; ++p) {
      const IVec wv = broadcast_pair(wp[ki * pairs + p]);
      const int64_t col = ow * sw + 2 * p * s.dil_w;
      for (int r = 0; r < kRows; ++r) {
        const int16_t* q = rowp[r * s.k_h + ki] + 2 * col;
        for (int c = 0; c < kC; ++c) {
          acc[r][c] = madd(acc[r][c], load_columns<kStride>(q + 2 * c * kLanes * sw, sw), wv);
        }
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    uint8_t* dst = out + (oh0 + r) * s.out_w + ow;
    for (int c = 0; c < kC; ++c) {
      const int64_t left = s.out_w - ow - c * kLanes;
      if (left > 0) {
        store_bytes(dst + c * kLanes, requantize(acc[r][c], e),
                    static_cast<int>(left < kLanes ? left : kLanes));
      }
    }
  }
}

/// Pairs in a plane's rows: every lane of every block of kLanes output
/// columns from column 0 (the last block rounded up to a whole vector, plus
/// the odd pair a stride-2 load reads past its last lane) reads inside.
int64_t row_pairs(const WindowShape& s, int64_t pairs) {
  const int64_t blocks = (s.out_w + kLanes - 1) / kLanes;
  const int64_t last = (blocks * kLanes - 1) * s.stride_w + (s.stride_w == 2 ? 1 : 0) +
                       2 * (pairs - 1) * s.dil_w;
  const int64_t w = last + 1 > s.pad_w + s.in_w ? last + 1 : s.pad_w + s.in_w;
  return (w + 15) / 16 * 16;  // rows start on 64 bytes: a block's first load stays in one line
}

/// row_w rounded up to whole interleave steps: the pairs a row's widening writes.
int64_t written_pairs(int64_t row_w) { return (row_w + kInterleave - 1) / kInterleave * kInterleave; }

/// Widens the band's input rows [ih0, ih1) into pair rows of 2 row_w int16
/// from `rows`, through x16 (rows of x16_w = written_pairs(row_w) + dil_w
/// int16, x - zp between pad_w zeros on the left and zeros on the right):
/// all rows are widened first, then interleaved, as an interleave's loads
/// (offset by dil_w from the widening's stores) right after those stores
/// would wait for them. `rows` has room for written_pairs(row_w) pairs of
/// the last row (those past row_w are not read).
template <typename In>
void widen_band(const WindowShape& s, const In* in, int16_t zp, int64_t row_w, int64_t ih0,
                int64_t ih1, int16_t* x16, int64_t x16_w, int16_t* rows) {
  for (int64_t ih = ih0; ih < ih1; ++ih) {
    int16_t* x = x16 + (ih - ih0) * x16_w;
    for (int64_t i = 0; i < s.pad_w; ++i) x[i] = 0;
    widen(in + ih * s.in_w, zp, x + s.pad_w, s.in_w);
    for (int64_t i = s.pad_w + s.in_w; i < x16_w; ++i) x[i] = 0;
  }
  for (int64_t ih = ih0; ih < ih1; ++ih) {
    const int16_t* x = x16 + (ih - ih0) * x16_w;
    interleave(x, x + s.dil_w, rows + (ih - ih0) * 2 * row_w, row_w);
  }
}

/// One plane at column stride kStride (1, 2, or 0 for any); false, nothing
/// written, when it does not fit the buffers.
template <typename In, int kStride>
bool plane(const WindowShape& s, const In* in, const int8_t* w, const QDepthwiseParams& q,
           uint8_t* out) {
  const int64_t pairs = (s.k_w + 1) / 2;
  if (s.k_h > kMaxKh || pairs > kMaxPairs) return false;
  const int64_t row_w = row_pairs(s, pairs);
  if (2 * row_w > kUnits) return false;
  const int64_t span = (s.k_h - 1) * s.dil_h + 1;  // input rows of one output row
  const int64_t x16_w = written_pairs(row_w) + s.dil_w;
  int64_t fit = (kUnits - row_w) / row_w;          // rows beside the zero row
  fit = fit < kWiden / x16_w ? fit : kWiden / x16_w;  // and their widened copies
  const int64_t least = (kRows - 1) * s.stride_h + span;
  if (fit < least) return false;
  // Bands whose rows stay in L1 (more overlap between bands, far fewer misses).
  int64_t cached = kCachedBytes / (4 * row_w + 2 * x16_w);
  cached = cached < least ? least : cached;
  fit = fit < cached ? fit : cached;
  const int64_t band = ((fit - span) / s.stride_h + 1) / kRows * kRows;

  alignas(64) int16_t buf[2 * (kUnits + kInterleave)];  // the last row's widening writes past
  alignas(64) int16_t x16[kWiden];
  int32_t wp[kMaxKh * kMaxPairs];
  for (int64_t ki = 0; ki < s.k_h; ++ki) {
    for (int64_t p = 0; p < pairs; ++p) {
      const int16_t pair[2] = {w[ki * s.k_w + 2 * p],
                               static_cast<int16_t>(2 * p + 1 < s.k_w ? w[ki * s.k_w + 2 * p + 1] : 0)};
      std::memcpy(&wp[ki * pairs + p], pair, 4);
    }
  }
  int16_t* zero = buf;  // the row taps off the plane read
  std::memset(zero, 0, static_cast<size_t>(row_w) * 4);
  int16_t* rows = buf + 2 * row_w;
  const Epilogue e(q);
  const int16_t zp = static_cast<int16_t>(q.in_zero_point);
  const int16_t* rowp[kRows * kMaxKh];
  for (int64_t oh0 = 0; oh0 < s.out_h; oh0 += band) {
    const int64_t oh1 = oh0 + band < s.out_h ? oh0 + band : s.out_h;
    int64_t ih0 = oh0 * s.stride_h - s.pad_h, ih1 = (oh1 - 1) * s.stride_h - s.pad_h + span;
    ih0 = ih0 < 0 ? 0 : ih0;
    ih1 = ih1 > s.in_h ? s.in_h : ih1;
    widen_band(s, in, zp, row_w, ih0, ih1, x16, x16_w, rows);
    for (int64_t oh = oh0; oh < oh1; oh += kRows) {
      const int here = static_cast<int>(oh1 - oh < kRows ? oh1 - oh : kRows);
      for (int r = 0; r < kRows; ++r) {
        for (int64_t ki = 0; ki < s.k_h; ++ki) {
          const int64_t ih = (oh + r) * s.stride_h - s.pad_h + ki * s.dil_h;
          const bool inside = r < here && ih >= ih0 && ih < ih1;
          rowp[r * s.k_h + ki] = inside ? rows + (ih - ih0) * 2 * row_w : zero;
        }
      }
      int64_t ow = 0;
      for (; ow + kLanes < s.out_w; ow += 2 * kLanes) {
        block<kStride, 2>(s, pairs, rowp, wp, e, out, oh, here, ow);
      }
      if (ow < s.out_w) block<kStride, 1>(s, pairs, rowp, wp, e, out, oh, here, ow);
    }
  }
  return true;
}

template <typename In>
bool plane_of(const WindowShape& s, const In* in, const int8_t* w, const QDepthwiseParams& q,
              uint8_t* out) {
  if (s.stride_w == 1) return plane<In, 1>(s, in, w, q, out);
  if (s.stride_w == 2) return plane<In, 2>(s, in, w, q, out);
  return plane<In, 0>(s, in, w, q, out);
}

bool depthwise_plane(const WindowShape& s, const void* in, const int8_t* w,
                     const QDepthwiseParams& q, void* out) {
  uint8_t* y = static_cast<uint8_t*>(out);
  return q.in_unsigned ? plane_of(s, static_cast<const uint8_t*>(in), w, q, y)
                       : plane_of(s, static_cast<const int8_t*>(in), w, q, y);
}

#else

bool depthwise_plane(const WindowShape&, const void*, const int8_t*, const QDepthwiseParams&,
                     void*) {
  return false;  // the caller's plain loop
}

#endif

/// quant::Requant's steps on one float (y * inv_out clamped to [lo, hi],
/// NaN to lo, rounded half to even by adding and subtracting 1.5 * 2^23,
/// plus the zero point, clamped to [qmin, qmax]), as an integer.
inline int32_t requant_scalar(float y, const QDepthwiseParams& p) {
  constexpr float kMagic = 12582912.0f;
  float v = y * p.inv_out;
  v = v > p.lo ? v : p.lo;
  v = v < p.hi ? v : p.hi;
  v = (v + kMagic) - kMagic + p.out_zp;
  v = v > p.qmin ? v : p.qmin;
  v = v < p.qmax ? v : p.qmax;
  return static_cast<int32_t>(v);
}

#if defined(EMBER_QW_AVX512)
/// requant_scalar's constants for requant_narrow4 (QDepthwiseParams'
/// margins lo / hi change nothing once the clamp is to the integer bounds).
inline Narrow4 narrow4_of(const QDepthwiseParams& q) {
  return Narrow4(q.inv_out, static_cast<int32_t>(q.out_zp), static_cast<int32_t>(q.qmin),
                 static_cast<int32_t>(q.qmax));
}

/// 16 bytes at p widened to float32 (sign- or zero-extended as T).
template <typename T>
inline __m512 load16_float(const T* p) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm512_cvtepi32_ps(std::is_signed<T>::value ? _mm512_cvtepi8_epi32(b)
                                                     : _mm512_cvtepu8_epi32(b));
}

/// add_of's elements [0, n / 64 * 64), 64 a step: the same float32 steps,
/// then requant_narrow4_ordered. The compiler's vectorisation of the scalar loop took about 0.45
/// cycles an element (6% of int8 ResNet-50).
/// Returns the first element left.
template <typename T>
int64_t add_avx512(const T* a, float sa, float za, const T* b, float sb, float zb, T* out,
                   int64_t n, const QDepthwiseParams& p) {
  const __m512 vsa = _mm512_set1_ps(sa), vza = _mm512_set1_ps(za);
  const __m512 vsb = _mm512_set1_ps(sb), vzb = _mm512_set1_ps(zb);
  const Narrow4 rq = narrow4_of(p);
  const __m512i order = narrow4_order();
  const int64_t n64 = n / 64 * 64;
  for (int64_t i = 0; i < n64; i += 64) {
    __m512 y[4];
    for (int q = 0; q < 4; ++q) {
      const __m512 x = _mm512_mul_ps(_mm512_sub_ps(load16_float(a + i + 16 * q), vza), vsa);
      const __m512 z = _mm512_mul_ps(_mm512_sub_ps(load16_float(b + i + 16 * q), vzb), vsb);
      y[q] = _mm512_add_ps(x, z);
    }
    _mm512_storeu_si512(out + i, requant_narrow4_ordered<!std::is_signed<T>::value>(
                                     y[0], y[1], y[2], y[3], rq, order));
  }
  return n64;
}
#endif

/// The quantized add's loop; -ffp-contract=off on this file keeps each
/// multiply and add its own rounding, as in the portable kernel.
template <typename T>
void add_of(const T* a, float sa, float za, const T* b, float sb, float zb, T* out, int64_t n,
            const QDepthwiseParams& p) {
  int64_t start = 0;
#if defined(EMBER_QW_AVX512)
  start = add_avx512(a, sa, za, b, sb, zb, out, n, p);
#endif
  for (int64_t i = start; i < n; ++i) {
    const float y = (static_cast<float>(a[i]) - za) * sa + (static_cast<float>(b[i]) - zb) * sb;
    out[i] = static_cast<T>(requant_scalar(y, p));
  }
}

void add(const void* a, float sa, float za, const void* b, float sb, float zb, void* out,
         int64_t n, bool is_unsigned, const QDepthwiseParams& p) {
  if (is_unsigned) {
    add_of(static_cast<const uint8_t*>(a), sa, za, static_cast<const uint8_t*>(b), sb, zb,
           static_cast<uint8_t*>(out), n, p);
  } else {
    add_of(static_cast<const int8_t*>(a), sa, za, static_cast<const int8_t*>(b), sb, zb,
           static_cast<int8_t*>(out), n, p);
  }
}

// ---- Channels-last windows: a pixel's channels are contiguous, so every
// tap is a run of `channels` lanes (no widening of rows, no pairs).


/// The taps of output (oh, ow) inside the image: [kh0, kh1) x [kw0, kw1)
/// in steps of one tap (dilated positions computed by the caller).
struct TapRange {
  int64_t kh0, kh1, kw0, kw1;
};
inline int64_t first_tap(int64_t start, int64_t dil) {  // first k with start + k * dil >= 0
  if (start >= 0) return 0;
  return dil == 1 ? -start : (-start + dil - 1) / dil;  // no division in the common case
}
inline int64_t end_tap(int64_t start, int64_t dil, int64_t k, int64_t size) {
  // one past the last k < taps with start + k * dil < size
  if (start >= size) return 0;
  const int64_t e = dil == 1 ? size - start : (size - 1 - start) / dil + 1;
  return e < k ? e : k;
}
inline TapRange taps_of(const WindowShape& s, int64_t oh, int64_t ow) {
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  return {first_tap(h, s.dil_h), end_tap(h, s.dil_h, s.k_h, s.in_h), first_tap(w, s.dil_w),
          end_tap(w, s.dil_w, s.k_w, s.in_w)};
}

// kCh channels a vector, in GCC's generic vectors of the copy's register
// width: one zmm (16 lanes), one ymm (8) or one xmm / NEON register (4).
// Wider generic vectors than the registers would be split by GCC, which
// then keeps arrays of them (the accumulators of several pixels) in memory.
// (GCC warns that passing such a vector by value differs between ABIs;
// these helpers are internal and inlined, so no call crosses a boundary.)
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__AVX512F__)
constexpr int kCh = 16;
#elif defined(__AVX2__)
constexpr int kCh = 8;
#else
constexpr int kCh = 4;
#endif
typedef int32_t IChan __attribute__((vector_size(kCh * 4)));
typedef float FChan __attribute__((vector_size(kCh * 4)));
typedef int8_t I8Chan __attribute__((vector_size(kCh)));
typedef uint8_t U8Chan __attribute__((vector_size(kCh)));

template <typename T>
struct ChanBytes;
template <>
struct ChanBytes<int8_t> { using type = I8Chan; };
template <>
struct ChanBytes<uint8_t> { using type = U8Chan; };

// kCh bytes widened to int32 lanes. GCC builds the generic conversion
// element by element on x86, so the x86 sets widen with their instruction.
#if defined(__AVX512F__)
inline IChan load_chan(const int8_t* p) {
  return (IChan)_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline IChan load_chan(const uint8_t* p) {
  return (IChan)_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
#elif defined(__AVX2__)
inline IChan load_chan(const int8_t* p) {
  return (IChan)_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline IChan load_chan(const uint8_t* p) {
  return (IChan)_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
#else
template <typename T>
inline IChan load_chan(const T* p) {
  typename ChanBytes<T>::type b;
  std::memcpy(&b, p, kCh);
  return __builtin_convertvector(b, IChan);
}
#endif
inline IChan load_ints(const int32_t* p) {
  IChan v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// quant::Requant's steps on kCh lanes (comparisons select as its scalar
/// code does: NaN goes to lo).
inline IChan requant_chan(IChan acc, const float* scale, const float* bias,
                          const QDepthwiseParams& q) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  FChan sc, bi;
  std::memcpy(&sc, scale, sizeof sc);
  std::memcpy(&bi, bias, sizeof bi);
  const FChan y = __builtin_convertvector(acc, FChan) * sc + bi;
  FChan v = y * q.inv_out;
  v = v > q.lo ? v : q.lo;
  v = v < q.hi ? v : q.hi;
  v = (v + kMagic) - kMagic + q.out_zp;
  v = v > q.qmin ? v : q.qmin;
  v = v < q.qmax ? v : q.qmax;
  return __builtin_convertvector(v, IChan);
}

/// o[l] = v[l] for the kCh lanes, each within its byte type's range. The
/// x86 sets narrow in registers (saturating packs, exact on in-range values;
/// AVX-512's vpmovdb truncates, exact too) and store once: a lane-by-lane
/// loop became 8 extracts and a chain of shifts and ors a vector.
#if defined(__AVX512F__)
template <typename Out>
inline void store_lanes(IChan v, Out* o) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm512_cvtepi32_epi8((__m512i)v));
}
#elif defined(__AVX2__)
template <typename Out>
inline void store_lanes(IChan v, Out* o) {
  const __m256i x = (__m256i)v;
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
  const __m128i b = std::is_signed<Out>::value ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(o), b);
}
#else
template <typename Out>
inline void store_lanes(IChan v, Out* o) {
  for (int l = 0; l < kCh; ++l) o[l] = static_cast<Out>(v[l]);
}
#endif

/// The kCh-channel block at c0 of one output pixel whose int32 sums are
/// acc: requantized and stored. The callers pass copies of the parameters
/// held in locals: a byte store may alias anything the compiler cannot see
/// is local, and it would reload each parameter after every store.
template <typename Out>
inline void store_chan(const float* scale, const float* bias, const QDepthwiseParams& q,
                       int64_t c0, IChan acc, Out* o) {
  store_lanes(requant_chan(acc, scale + c0, bias + c0, q), o + c0);
}

/// Channel c of output (oh, ow), one tap at a time over the taps t: the
/// path of the last channels (past a multiple of kCh).
template <typename In>
inline int32_t channel_sum(const QDepthwiseNhwc& p, const In* in, const TapRange& t, int64_t h,
                           int64_t w, int64_t c) {
  const WindowShape& s = p.s;
  const int64_t c_all = p.channels;
  int32_t acc = 0;
  for (int64_t ki = t.kh0; ki < t.kh1; ++ki) {
    for (int64_t kj = t.kw0; kj < t.kw1; ++kj) {
      const In x = in[((h + ki * s.dil_h) * s.in_w + w + kj * s.dil_w) * c_all + c];
      acc += (static_cast<int32_t>(x) - p.q.in_zero_point) * p.weight[(ki * s.k_w + kj) * c_all + c];
    }
  }
  return acc;
}

#if defined(__AVX512VNNI__)
/// The 64 bytes at x of kPer pixels `step` elements apart, 64 / kPer each
/// (one 128-bit lane or more a pixel).
template <int kPer, typename T>
inline __m512i load_pixels(const T* x, int64_t step) {
  if constexpr (kPer == 1) {
    return _mm512_loadu_si512(x);
  } else if constexpr (kPer == 2) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + step));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  } else {
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + step)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 2 * step)), 2);
    return _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 3 * step)),
                              3);
  }
}

/// load_pixels' inverse for the output.
template <int kPer, typename T>
inline void store_pixels(T* o, int64_t step, __m512i v) {
  if constexpr (kPer == 1) {
    _mm512_storeu_si512(o, v);
  } else if constexpr (kPer == 2) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm512_castsi512_si256(v));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + step), _mm512_extracti64x4_epi64(v, 1));
  } else {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm512_castsi512_si128(v));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + step), _mm512_extracti32x4_epi32(v, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 2 * step), _mm512_extracti32x4_epi32(v, 2));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 3 * step), _mm512_extracti32x4_epi32(v, 3));
  }
}

/// Where a pixel's taps are: inside the image, tap t of the pixel j pixels
/// on at base + offset[t] + j * step.
template <typename In>
struct InsideTaps {
  const In* base;
  const int64_t* offset;
  int64_t step;
  const In* at(int64_t t) const { return base + offset[t]; }
  int64_t step_of(int64_t) const { return step; }
};

/// Any pixel: tap t at tap[t] + j * step[t] (a tap off the image reads
/// p.zp_row, step 0: x - zp = 0, exact with the zero point folded).
template <typename In>
struct TableTaps {
  const In* const* tap;
  const int64_t* step;
  const In* at(int64_t t) const { return tap[t]; }
  int64_t step_of(int64_t t) const { return step[t]; }
};

/// Quad block b (first channel c0) of kG x kPer pixels from the first,
/// whose taps `taps` locates.
template <int kG, int kPer, typename In, typename Taps, typename Out>
void quad_block_pixels(const QDepthwiseNhwc& p, const Taps& taps, int64_t b, int64_t c0,
                       const Narrow4& e, Out* o) {
  const int64_t c_all = p.channels, quads = (p.s.k_h * p.s.k_w + 3) / 4;
  const __m512i flip = _mm512_set1_epi8(std::is_signed<In>::value ? -128 : 0);
  const int8_t* wq = p.weight_quads + b * quads * 256;
  // The sums start at -zp_sum: the zero point (+ 128) off before the taps.
  const int32_t* zp_sum = p.quad_zp_sum + b * 64;
  __m512i acc[kG][4];
  for (int k = 0; k < 4; ++k) {
    const __m512i start = _mm512_sub_epi32(_mm512_setzero_si512(),
                                           _mm512_loadu_si512(zp_sum + 16 * k));
    for (int q = 0; q < kG; ++q) acc[q][k] = start;
  }
  for (int64_t g = 0; g < quads; ++g) {
    const __m512i* wv = reinterpret_cast<const __m512i*>(wq + g * 256);
    const __m512i w0 = _mm512_load_si512(wv), w1 = _mm512_load_si512(wv + 1);
    const __m512i w2 = _mm512_load_si512(wv + 2), w3 = _mm512_load_si512(wv + 3);
    const In *x0 = taps.at(4 * g) + c0, *x1 = taps.at(4 * g + 1) + c0;
    const In *x2 = taps.at(4 * g + 2) + c0, *x3 = taps.at(4 * g + 3) + c0;
    const int64_t s0 = taps.step_of(4 * g), s1 = taps.step_of(4 * g + 1);
    const int64_t s2 = taps.step_of(4 * g + 2), s3 = taps.step_of(4 * g + 3);
    for (int q = 0; q < kG; ++q) {
      const int64_t d = q * kPer;
      const __m512i t0 = _mm512_xor_si512(load_pixels<kPer>(x0 + d * s0, s0), flip);
      const __m512i t1 = _mm512_xor_si512(load_pixels<kPer>(x1 + d * s1, s1), flip);
      const __m512i t2 = _mm512_xor_si512(load_pixels<kPer>(x2 + d * s2, s2), flip);
      const __m512i t3 = _mm512_xor_si512(load_pixels<kPer>(x3 + d * s3, s3), flip);
      const __m512i lo = _mm512_unpacklo_epi8(t0, t1), hi = _mm512_unpackhi_epi8(t0, t1);
      const __m512i lo2 = _mm512_unpacklo_epi8(t2, t3), hi2 = _mm512_unpackhi_epi8(t2, t3);
      acc[q][0] = _mm512_dpbusd_epi32(acc[q][0], _mm512_unpacklo_epi16(lo, lo2), w0);
      acc[q][1] = _mm512_dpbusd_epi32(acc[q][1], _mm512_unpackhi_epi16(lo, lo2), w1);
      acc[q][2] = _mm512_dpbusd_epi32(acc[q][2], _mm512_unpacklo_epi16(hi, hi2), w2);
      acc[q][3] = _mm512_dpbusd_epi32(acc[q][3], _mm512_unpackhi_epi16(hi, hi2), w3);
    }
  }
  const float* scale = p.quad_scale + b * 64;
  const float* bias = p.quad_bias + b * 64;
  for (int q = 0; q < kG; ++q) {
    __m512 y[4];
    for (int k = 0; k < 4; ++k) {  // y = float(acc - zp_sum) * scale + bias
      y[k] = _mm512_add_ps(
          _mm512_mul_ps(_mm512_cvtepi32_ps(acc[q][k]), _mm512_loadu_ps(scale + 16 * k)),
          _mm512_loadu_ps(bias + 16 * k));
    }
    const __m512i bytes =
        requant_narrow4<!std::is_signed<Out>::value>(y[0], y[1], y[2], y[3], e);
    store_pixels<kPer>(o + q * kPer * c_all + c0, c_all, bytes);
  }
}

/// The quad blocks that fit kP pixels from (oh, ow), whose taps `taps`
/// locates; the first channel left to the caller.
template <int kP, typename In, typename Taps, typename Out>
int64_t quad_blocks_of(const QDepthwiseNhwc& p, const Taps& taps, int64_t oh, int64_t ow,
                       Out* out) {
  const int64_t c_all = p.channels, blocks = quad_blocks(c_all);
  const Narrow4 e = narrow4_of(p.q);
  Out* o = out + (oh * p.s.out_w + ow) * c_all;
  int64_t done = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t c0, width;
    quad_block(c_all, b, &c0, &width);
    if (width == 64) {
      quad_block_pixels<kP, 1, In>(p, taps, b, c0, e, o);
    } else if (kP < 64 / width) {
      break;
    } else if constexpr (kP >= 4) {
      if (width == 32) {
        quad_block_pixels<kP / 2, 2, In>(p, taps, b, c0, e, o);
      } else {
        quad_block_pixels<kP / 4, 4, In>(p, taps, b, c0, e, o);
      }
    }
    done = c0 + width;
  }
  return done;
}

/// Most taps a pixel may have for nhwc_quads (its stack tables).
constexpr int64_t kMaxQuadTaps = 128;

/// kP output pixels (oh, ow .. ow + kP - 1) over the quad blocks
/// (QDepthwiseNhwc::weight_quads) that fit: per pixel the 4 taps' 64 bytes
/// are interleaved by bytes then by words (vpunpck{l,h}bw, then {l,h}wd,
/// within 128-bit lanes) into 4 vectors of 16 channels x 4 taps, and
/// vpdpbusd adds 4 products a lane: 8 shuffles and 4 multiply-adds for 256
/// products, where the 32-bit path spends 16 widenings, 16 vpmulld and 16
/// adds. A block of 32 or 16 channels puts 2 or 4 pixels in a vector (only
/// with that many pixels). int8 input goes in as x ^ 0x80 (x + 128, an
/// unsigned byte); the zero point (+ 128) comes off once a channel
/// (p.quad_zp_sum), so a tap off the image reads p.zp_row (bytes equal to
/// the zero point, which add nothing). `inside`: every tap of the kP pixels
/// lies inside the image (their offsets are p.quad_offsets); else every
/// column tap must, or kP be 1. The lanes' channels are permuted
/// (quad_channel); the packs, also within 128-bit lanes, put them back in
/// order (exact: the values are within the output's range). The same
/// integers as the 32-bit path. Returns the first channel left to the caller.
template <int kP, typename In, typename Out>
int64_t nhwc_quads(const QDepthwiseNhwc& p, const In* in, int64_t oh, int64_t ow, bool inside,
                   Out* out) {
  const WindowShape s = p.s;  // a local: see store_chan
  const int64_t taps = s.k_h * s.k_w, slots = (taps + 3) / 4 * 4;
  if (p.weight_quads == nullptr || slots > kMaxQuadTaps) return 0;
  const int64_t c_all = p.channels, step = s.stride_w * c_all;
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  if (inside) {
    const InsideTaps<In> at{in + (h * s.in_w + w) * c_all, p.quad_offsets, step};
    return quad_blocks_of<kP, In>(p, at, oh, ow, out);
  }
  const In* zp_row = static_cast<const In*>(p.zp_row);
  const In* tap[kMaxQuadTaps];
  int64_t tap_step[kMaxQuadTaps];
  int64_t ih = h, iw = w, kj = 0;  // tap t's input row and column (no division a tap)
  for (int64_t t = 0; t < slots; ++t) {
    const bool in_image = t < taps && ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
    tap[t] = in_image ? in + (ih * s.in_w + iw) * c_all : zp_row;
    tap_step[t] = in_image ? step : 0;
    iw += s.dil_w;
    if (++kj == s.k_w) {
      kj = 0;
      iw = w;
      ih += s.dil_h;
    }
  }
  return quad_blocks_of<kP, In>(p, TableTaps<In>{tap, tap_step}, oh, ow, out);
}
#endif

/// One output pixel (oh, ow) over its taps inside the image (any pixel).
template <typename In, typename Out>
void nhwc_pixel(const QDepthwiseNhwc& p, const In* in, int64_t oh, int64_t ow, Out* out) {
  const WindowShape s = p.s;  // a local: see store_chan
  const int64_t c_all = p.channels, c_vec = c_all / kCh * kCh;
  const int32_t zp = p.q.in_zero_point;
  const TapRange t = taps_of(s, oh, ow);
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  const QDepthwiseParams q = p.q;
  const float *scale = p.scale, *bias = p.bias;
  Out* o = out + (oh * s.out_w + ow) * c_all;
  int64_t c_start = 0;
#if defined(__AVX512VNNI__)
  if (p.channels >= 64) c_start = nhwc_quads<1>(p, in, oh, ow, false, out);  // as nhwc_interior
#endif
  for (int64_t c0 = c_start; c0 < c_vec; c0 += kCh) {
    IChan acc = {};
    for (int64_t ki = t.kh0; ki < t.kh1; ++ki) {
      const In* row = in + (h + ki * s.dil_h) * s.in_w * c_all + c0;
      const int32_t* wrow = p.weight + ki * s.k_w * c_all + c0;
      for (int64_t kj = t.kw0; kj < t.kw1; ++kj) {
        acc += (load_chan(row + (w + kj * s.dil_w) * c_all) - zp) * load_ints(wrow + kj * c_all);
      }
    }
    store_chan(scale, bias, q, c0, acc, o);
  }
  for (int64_t c = c_vec; c < c_all; ++c) {
    const float y = static_cast<float>(channel_sum(p, in, t, h, w, c)) * scale[c] + bias[c];
    o[c] = static_cast<Out>(requant_scalar(y, q));
  }
}

#if defined(EMBER_QW_AVX2)
/// kP interior pixels (all taps inside: nhwc_interior's kFold case) over
/// channels [0, c16), 16 at a time, taps in pairs (p.weight_pairs): for each
/// pixel the two taps' 16 bytes are interleaved (vpunpck{l,h}bw), widened to
/// int16 and multiplied by the pair's weights with vpmaddwd, one multiply-add
/// of two taps per lane where the 32-bit path (vpmulld) does one tap. The
/// taps' input offsets come with the weights (p.pair_offsets, built once a
/// call); an odd last tap pairs with itself, its weight's high half 0. The
/// zero point comes off once a channel (p.zp_sum); the same integers as the
/// 32-bit path.
/// Returns c16, where the caller goes on.
template <int kP, typename In, typename Out>
int64_t nhwc_interior_pairs(const QDepthwiseNhwc& p, const In* in, int64_t oh, int64_t ow,
                            Out* out) {
  const WindowShape s = p.s;  // a local: see store_chan
  const int64_t c_all = p.channels, c16 = c_all / 16 * 16;
  const int64_t pairs = (s.k_h * s.k_w + 1) / 2;
  if (p.weight_pairs == nullptr || c16 == 0) return 0;
  const int64_t* offset = p.pair_offsets;
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  const In* base = in + (h * s.in_w + w) * c_all;
  const int64_t step = s.stride_w * c_all;
  const QDepthwiseParams rq = p.q;
  const float *scale = p.scale, *bias = p.bias;
  const int32_t *wp = p.weight_pairs, *zp_sum = p.zp_sum;
  Out* o = out + (oh * s.out_w + ow) * c_all;
  for (int64_t c0 = 0; c0 < c16; c0 += 16) {
    __m256i acc[kP][2];
    for (int q = 0; q < kP; ++q) acc[q][0] = acc[q][1] = _mm256_setzero_si256();
    for (int64_t t = 0; t < pairs; ++t) {
      const __m256i* wv = reinterpret_cast<const __m256i*>(wp + t * c_all + c0);
      const __m256i w0 = _mm256_loadu_si256(wv), w1 = _mm256_loadu_si256(wv + 1);
      const In* x0 = base + offset[2 * t] + c0;
      const In* x1 = base + offset[2 * t + 1] + c0;
      for (int q = 0; q < kP; ++q) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x0 + q * step));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x1 + q * step));
        const __m128i lo = _mm_unpacklo_epi8(a, b), hi = _mm_unpackhi_epi8(a, b);
        __m256i l16, h16;
        if constexpr (std::is_signed<In>::value) {
          l16 = _mm256_cvtepi8_epi16(lo);
          h16 = _mm256_cvtepi8_epi16(hi);
        } else {
          l16 = _mm256_cvtepu8_epi16(lo);
          h16 = _mm256_cvtepu8_epi16(hi);
        }
        acc[q][0] = _mm256_add_epi32(acc[q][0], _mm256_madd_epi16(l16, w0));
        acc[q][1] = _mm256_add_epi32(acc[q][1], _mm256_madd_epi16(h16, w1));
      }
    }
    const IChan z0 = load_ints(zp_sum + c0), z1 = load_ints(zp_sum + c0 + 8);
    for (int q = 0; q < kP; ++q) {
      store_chan(scale, bias, rq, c0, (IChan)acc[q][0] - z0, o + q * c_all);
      store_chan(scale, bias, rq, c0 + 8, (IChan)acc[q][1] - z1, o + q * c_all);
    }
  }
  return c16;
}
#endif

/// kP output pixels (oh, ow .. ow + kP - 1) whose every column tap lies
/// inside the image, over kernel rows [kh0, kh1): one weight load serves kP
/// pixels, and the kP sums are independent chains. With kFold (all kernel
/// rows inside, p.zp_sum given) the zero point is taken off once per
/// channel, as zp * sum of the channel's weights, instead of per tap: the
/// same integers.
template <int kP, bool kFold, typename In, typename Out>
void nhwc_interior(const QDepthwiseNhwc& p, const In* in, int64_t oh, int64_t kh0, int64_t kh1,
                   int64_t ow, Out* out) {
  const WindowShape s = p.s;  // a local: see store_chan
  const int64_t c_all = p.channels, c_vec = c_all / kCh * kCh;
  const int32_t zp = p.q.in_zero_point;
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  const int64_t step = s.stride_w * c_all;  // from one pixel's taps to the next one's
  const QDepthwiseParams rq = p.q;
  const float *scale = p.scale, *bias = p.bias;
  const int32_t *weight = p.weight, *zp_sum = p.zp_sum;
  Out* o = out + (oh * s.out_w + ow) * c_all;
  int64_t c_start = 0;
#if defined(__AVX512VNNI__)
  // Rows off the image read zp_row; with fewer than 64 channels building
  // the taps' table for them costs more than the quads save.
  if (kFold || p.channels >= 64) c_start = nhwc_quads<kP>(p, in, oh, ow, kFold, out);
#endif
#if defined(EMBER_QW_AVX2)
  if constexpr (kFold) c_start = nhwc_interior_pairs<kP>(p, in, oh, ow, out);
#endif
  for (int64_t c0 = c_start; c0 < c_vec; c0 += kCh) {
    IChan acc[kP] = {};
    for (int64_t ki = kh0; ki < kh1; ++ki) {
      const In* row = in + ((h + ki * s.dil_h) * s.in_w + w) * c_all + c0;
      const int32_t* wrow = weight + ki * s.k_w * c_all + c0;
      for (int64_t kj = 0; kj < s.k_w; ++kj) {
        const IChan wv = load_ints(wrow + kj * c_all);
        const In* x = row + kj * s.dil_w * c_all;
        for (int q = 0; q < kP; ++q) {
          if constexpr (kFold) {
            acc[q] += load_chan(x + q * step) * wv;
          } else {
            acc[q] += (load_chan(x + q * step) - zp) * wv;
          }
        }
      }
    }
    if constexpr (kFold) {
      const IChan z = load_ints(zp_sum + c0);
      for (int q = 0; q < kP; ++q) acc[q] -= z;
    }
    for (int q = 0; q < kP; ++q) store_chan(scale, bias, rq, c0, acc[q], o + q * c_all);
  }
  if (c_vec == c_all) return;
  const TapRange t{kh0, kh1, 0, s.k_w};
  for (int q = 0; q < kP; ++q) {
    for (int64_t c = c_vec; c < c_all; ++c) {
      const float y =
          static_cast<float>(channel_sum(p, in, t, h, w + q * s.stride_w, c)) * scale[c] +
          bias[c];
      o[q * c_all + c] = static_cast<Out>(requant_scalar(y, rq));
    }
  }
}

template <bool kFold, typename In, typename Out>
void nhwc_interior_run(const QDepthwiseNhwc& p, const In* in, int64_t oh, int64_t kh0,
                       int64_t kh1, int64_t ow0, int64_t ow1, Out* out) {
  int64_t ow = ow0;
  for (; ow + 4 <= ow1; ow += 4) nhwc_interior<4, kFold>(p, in, oh, kh0, kh1, ow, out);
  for (; ow < ow1; ++ow) nhwc_interior<1, kFold>(p, in, oh, kh0, kh1, ow, out);
}

template <typename In, typename Out>
void depthwise_nhwc_of(const QDepthwiseNhwc& p, const In* in, int64_t oh0, int64_t oh1, Out* out) {
  const WindowShape& s = p.s;
  // Output columns [ow_lo, ow_hi) read all k_w column taps inside the image.
  const int64_t span = (s.k_w - 1) * s.dil_w;
  const int64_t ow_lo = std::min<int64_t>((s.pad_w + s.stride_w - 1) / s.stride_w, s.out_w);
  const int64_t ow_hi = s.in_w - 1 - span + s.pad_w < 0
                            ? ow_lo
                            : std::clamp<int64_t>((s.in_w - 1 - span + s.pad_w) / s.stride_w + 1,
                                                  ow_lo, s.out_w);
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    const int64_t h = oh * s.stride_h - s.pad_h;
    const int64_t kh0 = first_tap(h, s.dil_h), kh1 = end_tap(h, s.dil_h, s.k_h, s.in_h);
    for (int64_t ow = 0; ow < ow_lo; ++ow) nhwc_pixel(p, in, oh, ow, out);
    if (kh0 < kh1) {
      if (p.zp_sum != nullptr && kh0 == 0 && kh1 == s.k_h) {
        nhwc_interior_run<true>(p, in, oh, kh0, kh1, ow_lo, ow_hi, out);
      } else {
        nhwc_interior_run<false>(p, in, oh, kh0, kh1, ow_lo, ow_hi, out);
      }
    } else {
      for (int64_t ow = ow_lo; ow < ow_hi; ++ow) nhwc_pixel(p, in, oh, ow, out);
    }
    for (int64_t ow = ow_hi; ow < s.out_w; ++ow) nhwc_pixel(p, in, oh, ow, out);
  }
}

void depthwise_nhwc_rows(const QDepthwiseNhwc& p, const void* in, int64_t oh0, int64_t oh1,
                         void* out) {
  const bool out_unsigned = p.out_unsigned;
  if (p.q.in_unsigned) {
    const auto* x = static_cast<const uint8_t*>(in);
    if (out_unsigned) {
      depthwise_nhwc_of(p, x, oh0, oh1, static_cast<uint8_t*>(out));
    } else {
      depthwise_nhwc_of(p, x, oh0, oh1, static_cast<int8_t*>(out));
    }
  } else {
    const auto* x = static_cast<const int8_t*>(in);
    if (out_unsigned) {
      depthwise_nhwc_of(p, x, oh0, oh1, static_cast<uint8_t*>(out));
    } else {
      depthwise_nhwc_of(p, x, oh0, oh1, static_cast<int8_t*>(out));
    }
  }
}

template <typename T>
void max_pool_nhwc_of(const QMaxPoolNhwc& p, const T* in, int64_t oh0, int64_t oh1, T* out) {
  const WindowShape& s = p.s;
  const int64_t c_all = p.channels;
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    for (int64_t ow = 0; ow < s.out_w; ++ow) {
      const TapRange t = taps_of(s, oh, ow);
      const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
      T* o = out + (oh * s.out_w + ow) * c_all;
      for (int64_t c = 0; c < c_all; ++c) o[c] = std::numeric_limits<T>::lowest();
      for (int64_t ki = t.kh0; ki < t.kh1; ++ki) {
        for (int64_t kj = t.kw0; kj < t.kw1; ++kj) {
          const T* x = in + ((h + ki * s.dil_h) * s.in_w + w + kj * s.dil_w) * c_all;
          for (int64_t c = 0; c < c_all; ++c) o[c] = x[c] > o[c] ? x[c] : o[c];
        }
      }
    }
  }
}

void max_pool_nhwc_rows(const QMaxPoolNhwc& p, const void* in, int64_t oh0, int64_t oh1,
                        void* out) {
  if (p.is_unsigned) {
    max_pool_nhwc_of(p, static_cast<const uint8_t*>(in), oh0, oh1, static_cast<uint8_t*>(out));
  } else {
    max_pool_nhwc_of(p, static_cast<const int8_t*>(in), oh0, oh1, static_cast<int8_t*>(out));
  }
}

}  // namespace

const QWindowKernels& qwindow_kernels() {
#if defined(__AVX512VNNI__)
  constexpr bool kQuads = true;
#else
  constexpr bool kQuads = false;
#endif
  static constexpr QWindowKernels kTable = {&depthwise_plane, &add, &depthwise_nhwc_rows,
                                            &max_pool_nhwc_rows, kQuads};
  return kTable;
}

}  // namespace EMBER_SIMD_ISA
}  // namespace optimized
}  // namespace ember
