// AVX2 int8 micro-kernels (no VNNI): 6 x 16 tiles, one int32 lane per
// column. vpmaddwd multiplies int16 pairs exactly and sums each pair into an
// int32 lane (vpmaddubsw would be twice as wide but its u8 x s8 pair sums
// saturate), so both operands enter the multiply as int16 pairs of depth:
//   - A is packed as int16 (its uint8 values zero-extended, this family's own
//     pack_a): a row's pair of depth steps is one 32-bit broadcast load;
//   - B stays int8 in the packed panel (weights keep their size), laid out
//     by pairs ([kp / 4][2][16][2]: per group of 4 depth steps, the first
//     pair of all 16 columns, then the second), and is sign-extended by
//     vpmovsxbw as it is loaded: 8 columns' pairs a load.
// Per pair of depth steps: 2 loads of B, 6 broadcasts of A, 12 vpmaddwd and
// 12 vpaddd into 12 accumulators (two vpmaddwd a cycle on Zen 3 and Intel
// cores: the family's peak is 32 multiply-adds a cycle).
// Compiled with -mavx2 -mfma only.
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"

namespace ember {
namespace qgemm {
namespace {

constexpr size_t kMr = 6;
constexpr size_t kNr = 16;

/// What the epilogue of micro_kernel.h needs for 8 columns of a tile, in
/// registers: the columns' sums, weight scales and bias, and for the current
/// row's activation scale and zero point a_zp * colsum and a_scale * b_scale
/// (recomputed only when a row's differ from the last row's: never for a
/// per-tensor activation).
struct Columns8 {
  __m256i colsum, zc;
  __m256 b_scale, s, bias;
};

/// The requantization's constants, broadcast once a tile: qmin and qmax less
/// the zero point (see requant8), the f32 output's min and max.
struct Requant8 {
  __m256 inv_out;
  __m256i out_zp;
  __m256 qmin, qmax, min, max;
};

inline Columns8 columns8(const TileArgs& t, size_t j0) {
  Columns8 k;
  k.colsum = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.colsum + j0));
  k.b_scale = _mm256_loadu_ps(t.b_scale + j0);
  k.bias = t.bias != nullptr ? _mm256_loadu_ps(t.bias + j0) : _mm256_setzero_ps();
  k.zc = _mm256_setzero_si256();
  k.s = _mm256_setzero_ps();
  return k;
}

inline void set_row(Columns8& k, float a_scale, int32_t a_zp) {
  k.zc = _mm256_mullo_epi32(_mm256_set1_epi32(a_zp), k.colsum);
  k.s = _mm256_mul_ps(_mm256_set1_ps(a_scale), k.b_scale);
}

/// The epilogue's float32 steps on 8 columns of one row, in the scalar
/// reference's order (a missing bias adds nothing: y + 0 is not y for -0).
template <bool kBias>
inline __m256 scaled8(__m256i dot, const Columns8& k) {
  __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(dot, k.zc)), k.s);
  if constexpr (kBias) y = _mm256_add_ps(y, k.bias);
  return y;
}

/// y requantized to 8 int32 lanes within [qmin, qmax]: the reference's
/// rint(y * inv_out) + out_zp clamped, computed as rint(clamp(y * inv_out,
/// qmin - out_zp, qmax - out_zp)) + out_zp (integer bounds: the same; MAXPS
/// gives its second operand for NaN, so NaN still ends at qmin). Rounded by
/// vroundps to nearest even whatever MXCSR says.
inline __m256i requant8(__m256 y, const Requant8& r) {
  __m256 v = _mm256_mul_ps(y, r.inv_out);
  v = _mm256_max_ps(v, r.qmin);
  v = _mm256_min_ps(v, r.qmax);
  v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm256_add_epi32(_mm256_cvttps_epi32(v), r.out_zp);
}

/// Columns [0, 8 * kHalves) of rows [0, M) of a tile whose accumulators are
/// dot (lanes 0-7, then 8-15): the parameters read into registers once (a
/// byte store may alias anything, so a loop reading them through t would
/// reload them after every store).
template <size_t M, size_t kHalves, OutType kOut, bool kBias, bool kClamp>
void epilogue_tile(const __m256i (*dot)[2], void* c, size_t ldc, const TileArgs& t) {
  const size_t elem = kOut == OutType::f32 ? sizeof(float) : 1;
  const Requant8 r{_mm256_set1_ps(t.inv_out),         _mm256_set1_epi32((int32_t)t.out_zp),
                   _mm256_set1_ps(t.qmin - t.out_zp), _mm256_set1_ps(t.qmax - t.out_zp),
                   _mm256_set1_ps(t.min),             _mm256_set1_ps(t.max)};
  Columns8 k[kHalves];
  for (size_t h = 0; h < kHalves; ++h) k[h] = columns8(t, 8 * h);
  float a_scale[M];
  int32_t a_zp[M];
  std::memcpy(a_scale, t.a_scale, sizeof a_scale);
  std::memcpy(a_zp, t.a_zp, sizeof a_zp);
  for (size_t i = 0; i < M; ++i) {
    if (i == 0 || a_scale[i] != a_scale[i - 1] || a_zp[i] != a_zp[i - 1] ||
        std::signbit(a_scale[i]) != std::signbit(a_scale[i - 1])) {
      for (size_t h = 0; h < kHalves; ++h) set_row(k[h], a_scale[i], a_zp[i]);
    }
    void* row = static_cast<uint8_t*>(c) + i * ldc * elem;
    __m256 y[kHalves];
    for (size_t h = 0; h < kHalves; ++h) y[h] = scaled8<kBias>(_mm256_load_si256(&dot[i][h]), k[h]);
    if constexpr (kOut == OutType::f32) {
      for (size_t h = 0; h < kHalves; ++h) {
        if constexpr (kClamp) y[h] = _mm256_min_ps(r.max, _mm256_max_ps(r.min, y[h]));
        _mm256_storeu_ps(static_cast<float*>(row) + 8 * h, y[h]);
      }
    } else if constexpr (kHalves == 1) {
      const __m256i q = requant8(y[0], r);
      const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
      const __m128i b = kOut == OutType::s8 ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
      _mm_storel_epi64(static_cast<__m128i*>(row), b);
    } else {
      // 16 lanes within [qmin, qmax] (inside int8's or uint8's range): the
      // saturating packs are exact. vpackssdw packs within 128-bit halves
      // (y0's lanes 0-3, y1's 0-3 | y0's 4-7, y1's 4-7); the 64-bit permute
      // puts the row's 16 words in order, then one 128-bit pack to bytes.
      const __m256i w = _mm256_permute4x64_epi64(
          _mm256_packs_epi32(requant8(y[0], r), requant8(y[1], r)), 0xd8);
      const __m128i lo = _mm256_castsi256_si128(w), hi = _mm256_extracti128_si256(w, 1);
      const __m128i b = kOut == OutType::s8 ? _mm_packs_epi16(lo, hi) : _mm_packus_epi16(lo, hi);
      _mm_storeu_si128(static_cast<__m128i*>(row), b);
    }
  }
}

/// epilogue_tile for the tile's output type, bias and clamp.
template <size_t M, size_t kHalves>
void vector_epilogue(const __m256i (*dot)[2], void* c, size_t ldc, const TileArgs& t) {
  const bool bias = t.bias != nullptr;
  if (t.out == OutType::f32) {
    if (t.clamp) {
      bias ? epilogue_tile<M, kHalves, OutType::f32, true, true>(dot, c, ldc, t)
           : epilogue_tile<M, kHalves, OutType::f32, false, true>(dot, c, ldc, t);
    } else {
      bias ? epilogue_tile<M, kHalves, OutType::f32, true, false>(dot, c, ldc, t)
           : epilogue_tile<M, kHalves, OutType::f32, false, false>(dot, c, ldc, t);
    }
  } else if (t.out == OutType::s8) {
    bias ? epilogue_tile<M, kHalves, OutType::s8, true, false>(dot, c, ldc, t)
         : epilogue_tile<M, kHalves, OutType::s8, false, false>(dot, c, ldc, t);
  } else {
    bias ? epilogue_tile<M, kHalves, OutType::u8, true, false>(dot, c, ldc, t)
         : epilogue_tile<M, kHalves, OutType::u8, false, false>(dot, c, ldc, t);
  }
}

/// dot[i] = the int32 sums of a's row i times b's 16 columns over kg groups.
/// Through memory: the epilogue's constants need the registers.
template <size_t M>
__attribute__((always_inline)) inline void accumulate(size_t kg, const uint8_t* a, const int8_t* b,
                                                      __m256i (*dot)[2]) {
  // Every loop over the rows is unrolled so that the arrays live in
  // registers (a loop GCC keeps rolled indexes them in memory: the
  // accumulators then round-trip through the stack each step).
  __m256i lo[M], hi[M];
#pragma GCC unroll 8
  for (size_t i = 0; i < M; ++i) lo[i] = hi[i] = _mm256_setzero_si256();
  for (size_t step = 0; step < 2 * kg; ++step) {
    const __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    const __m256i b1 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kNr * 4), _MM_HINT_T0);
#pragma GCC unroll 8
    for (size_t i = 0; i < M; ++i) {
      int32_t pair;
      std::memcpy(&pair, a + 4 * i, 4);
      const __m256i ai = _mm256_set1_epi32(pair);
      lo[i] = _mm256_add_epi32(lo[i], _mm256_madd_epi16(b0, ai));
      hi[i] = _mm256_add_epi32(hi[i], _mm256_madd_epi16(b1, ai));
    }
    a += kMr * 4;
    b += kNr * 2;
  }
#pragma GCC unroll 8
  for (size_t i = 0; i < M; ++i) {
    _mm256_store_si256(&dot[i][0], lo[i]);
    _mm256_store_si256(&dot[i][1], hi[i]);
  }
}

/// `a`: the panel as int16 pairs, [kg][2][kMr] of 32 bits; `b`: [kg][2][kNr][2] int8.
/// Whole 8-column halves take the vector epilogue, the last panel's columns
/// past them the scalar one (the same values).
template <size_t M>
void kernel(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  __m256i dot[M][2];
  accumulate<M>(kg, a, b, dot);
  const size_t halves = t.cols / 8;
  if (halves == 2) {
    vector_epilogue<M, 2>(dot, c, ldc, t);
    return;
  }
  if (halves == 1) vector_epilogue<M, 1>(dot, c, ldc, t);
  const size_t j0 = 8 * halves;
  if (j0 == t.cols) return;
  TileArgs rest = t;
  rest.cols = t.cols - j0;
  rest.colsum += j0;
  rest.b_scale += j0;
  if (rest.bias != nullptr) rest.bias += j0;
  const size_t elem = t.out == OutType::f32 ? sizeof(float) : 1;
  for (size_t i = 0; i < M; ++i) {
    alignas(32) int32_t tmp[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), dot[i][halves]);
    uint8_t* row = static_cast<uint8_t*>(c) + (i * ldc + j0) * elem;
    epilogue_row_scalar(tmp, t.a_scale[i], t.a_zp[i], rest, row);
  }
}

/// The 8 x 8 transpose of 32-bit elements: r[i] lane j -> r[j] lane i.
inline void transpose8(__m256i r[8]) {
  __m256i t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  __m256i u[8];
  for (int i = 0; i < 2; ++i) {
    u[4 * i] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x20);
    r[4 + i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x31);
  }
}

/// A's rows into kMr-row panels of int16 pairs: panel r0 at dst + r0 * kp * 2
/// bytes, pair q (depth 2q, 2q + 1) of row i at [(q * kMr + i) * 4] (rows past
/// `rows` and depth past k zero; bytes XORed with `flip` first, padding not).
/// The depth in runs of 16 bytes: each row's run flipped and zero-extended to
/// 8 pairs, the 8 (6 + 2 zero) rows transposed as dwords, each pair's 6 rows
/// stored as 24 bytes.
void pack_a(const uint8_t* a, size_t lda, size_t rows, size_t k, uint8_t flip, uint8_t* dst) {
  const size_t kp = (k + 3) / 4 * 4;
  const size_t pairs = kp / 2;
  const __m128i flip16 = _mm_set1_epi8(static_cast<char>(flip));
  for (size_t r0 = 0; r0 < rows; r0 += kMr) {
    const size_t n = rows - r0 < kMr ? rows - r0 : kMr;
    uint8_t* panel = dst + r0 * kp * 2;
    const uint8_t* src = a + r0 * lda;
    for (size_t p0 = 0; p0 < kp; p0 += 16) {
      const size_t left = k > p0 ? (k - p0 < 16 ? k - p0 : 16) : 0;
      __m256i r[8];
      for (size_t i = 0; i < 8; ++i) {
        __m128i x = _mm_setzero_si128();
        if (i < n && left == 16) {
          x = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * lda + p0)),
                            flip16);
        } else if (i < n) {
          alignas(16) uint8_t tail[16] = {};
          for (size_t p = 0; p < left; ++p) tail[p] = src[i * lda + p0 + p] ^ flip;
          x = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
        }
        r[i] = _mm256_cvtepu8_epi16(x);
      }
      transpose8(r);
      const size_t q0 = p0 / 2, count = pairs - q0 < 8 ? pairs - q0 : 8;
      for (size_t q = 0; q < count; ++q) {
        uint8_t* out = panel + (q0 + q) * kMr * 4;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(r[q]));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 16), _mm256_extracti128_si256(r[q], 1));
      }
    }
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::avx2,       kMr, kNr, /*a_signed=*/false, {&kernel<I + 1>...}, &pack_a,
                   /*a_bytes=*/2, BLayout::pairs};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& avx2_kernels() { return kSet; }

}  // namespace qgemm
}  // namespace ember
