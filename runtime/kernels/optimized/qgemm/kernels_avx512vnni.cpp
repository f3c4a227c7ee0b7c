// AVX-512 VNNI int8 micro-kernels: 14 x 32 tiles (28 zmm int32 accumulators,
// two zmm of B per group of 4 depth steps, A's 4 bytes broadcast per row,
// one vpdpbusd per row and zmm: uint8 A x int8 B summed 4 at a time without
// saturation), or 14 x 16 for a panel of 16 columns or fewer (the last of
// N = 16, 48, 80, 144: half the products and half the epilogue). Compiled
// with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; the driver calls it only
// when the CPU has all of them.
#include <immintrin.h>

// GCC 12's _mm512_max_ps/_mm512_min_ps/_mm512_cvtepi32_ps pass _mm512_undefined_*() as the
// unused merge source, which -Wmaybe-uninitialized reports at every use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <cmath>
#include <cstring>
#include <utility>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"
#include "runtime/kernels/optimized/requant_avx512.h"
#include "runtime/kernels/optimized/qgemm/packing.h"

namespace ember {
namespace qgemm {
namespace {

constexpr size_t kMr = 14;
constexpr size_t kNr = 32;

/// What the epilogue of micro_kernel.h needs for 16 columns of a tile, in
/// registers: the columns' sums, weight scales and bias, and for the current
/// row's activation scale and zero point the products a_zp * colsum and
/// a_scale * b_scale (recomputed only when a row's differ from the last
/// row's: never for a per-tensor activation).
struct Columns16 {
  __m512i colsum, zc;
  __m512 b_scale, s, bias;
};

/// The f32 output's clamp, broadcast once a tile.
struct Clamp16 {
  __m512 min, max;
};

inline Columns16 columns16(const TileArgs& t, size_t j0) {
  Columns16 k;
  k.colsum = _mm512_loadu_si512(t.colsum + j0);
  k.b_scale = _mm512_loadu_ps(t.b_scale + j0);
  k.bias = t.bias != nullptr ? _mm512_loadu_ps(t.bias + j0) : _mm512_setzero_ps();
  k.zc = _mm512_setzero_si512();
  k.s = _mm512_setzero_ps();
  return k;
}

inline void set_row(Columns16& k, float a_scale, int32_t a_zp) {
  k.zc = _mm512_mullo_epi32(_mm512_set1_epi32(a_zp), k.colsum);
  k.s = _mm512_mul_ps(_mm512_set1_ps(a_scale), k.b_scale);
}

/// The epilogue's float32 steps on 16 columns of one row: y, the float
/// result. The same operations in the same order as the scalar reference,
/// with or without the bias (y + 0 is not y for y = -0, so a missing bias
/// adds nothing rather than zero).
template <bool kBias>
inline __m512 scaled16(__m512i dot, const Columns16& k) {
  __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(dot, k.zc)), k.s);
  if constexpr (kBias) y = _mm512_add_ps(y, k.bias);
  return y;
}

/// The f32 output: y clamped to [min, max] (MAXPS / MINPS: NaN propagates)
/// when kClamp, its first `mask` lanes stored.
template <bool kClamp>
inline void store_f32(__m512 y, const Clamp16& r, __mmask16 mask, float* c) {
  if constexpr (kClamp) {
    y = _mm512_max_ps(r.min, y);
    y = _mm512_min_ps(r.max, y);
  }
  _mm512_mask_storeu_ps(c, mask, y);
}

/// Whether row i's scale or zero point differs from row i - 1's (a new
/// set_row); -0 and +0 compare equal but give different products' signs.
template <size_t M>
inline bool new_row(const float (&a_scale)[M], const int32_t (&a_zp)[M], size_t i) {
  return i == 0 || a_scale[i] != a_scale[i - 1] || a_zp[i] != a_zp[i - 1] ||
         std::signbit(a_scale[i]) != std::signbit(a_scale[i - 1]);
}

/// Rows [0, M) of a tile whose accumulators are dot, to float32: the
/// parameters are read into registers once (a store may alias anything, so
/// a loop reading them through t would reload them after every store).
/// kUniform: every row has row 0's scale and zero point (t.uniform_rows),
/// and dot holds acc already (the accumulators started at -a_zp * colsum).
template <size_t M, size_t kV, bool kBias, bool kClamp, bool kUniform>
void epilogue_f32(const int32_t (*dot)[kNr], float* c, size_t ldc, const TileArgs& t) {
  const __mmask16 m0 = t.cols >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << t.cols) - 1);
  const __mmask16 m1 = t.cols >= 32 ? (__mmask16)0xffff
                                    : (__mmask16)(t.cols > 16 ? (1u << (t.cols - 16)) - 1 : 0);
  const Clamp16 r{_mm512_set1_ps(t.min), _mm512_set1_ps(t.max)};
  Columns16 k0 = columns16(t, 0), k1 = columns16(t, 16);
  float a_scale[M];
  int32_t a_zp[M];
  std::memcpy(a_scale, t.a_scale, sizeof a_scale);
  std::memcpy(a_zp, t.a_zp, sizeof a_zp);
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    if (kUniform ? i == 0 : new_row(a_scale, a_zp, i)) {
      set_row(k0, a_scale[i], kUniform ? 0 : a_zp[i]);
      if (kV == 2) set_row(k1, a_scale[i], kUniform ? 0 : a_zp[i]);
    }
    float* row = c + i * ldc;
    store_f32<kClamp>(scaled16<kBias>(_mm512_load_si512(dot[i]), k0), r, m0, row);
    if (kV == 2 && m1 != 0) {
      store_f32<kClamp>(scaled16<kBias>(_mm512_load_si512(dot[i] + 16), k1), r, m1, row + 16);
    }
  }
}

/// The same to int8 (s8, or u8 when kU8) through requant_narrow4 (two FP
/// operations a vector fewer than clamping both ends in float, and no
/// vpmovdb). 32 columns (kV = 2): two rows at a time, row i in the low 256
/// bits and row i + 1 in the high, an odd last row beside itself. 16
/// columns: four rows at a time, 128-bit lane r row i + r (the rows past M
/// repeat the last one and are not stored).
template <size_t M, size_t kV, bool kU8, bool kBias, bool kUniform>
void epilogue_int8(const int32_t (*dot)[kNr], uint8_t* c, size_t ldc, const TileArgs& t) {
  const bool full = t.cols >= 16 * kV;
  const __mmask32 mask = full ? ~(__mmask32)0 : (((__mmask32)1 << t.cols) - 1);
  const optimized::Narrow4 r(t.inv_out, (int32_t)t.out_zp, (int32_t)t.qmin, (int32_t)t.qmax);
  const __m512i order = optimized::narrow4_order();
  Columns16 k0 = columns16(t, 0), k1 = columns16(t, 16);
  float a_scale[M];
  int32_t a_zp[M];
  std::memcpy(a_scale, t.a_scale, sizeof a_scale);
  std::memcpy(a_zp, t.a_zp, sizeof a_zp);
  const auto scaled_row = [&](size_t i, __m512& y0, __m512& y1) {
    if (kUniform ? i == 0 : new_row(a_scale, a_zp, i)) {
      set_row(k0, a_scale[i], kUniform ? 0 : a_zp[i]);
      if (kV == 2) set_row(k1, a_scale[i], kUniform ? 0 : a_zp[i]);
    }
    y0 = scaled16<kBias>(_mm512_load_si512(dot[i]), k0);
    if (kV == 2) y1 = scaled16<kBias>(_mm512_load_si512(dot[i] + 16), k1);
  };
  // A row's bytes in one store (masked stores cost more).
  const auto store = [&](size_t i, __m256i bytes) {
    if (kV == 1) {
      if (full) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(c + i * ldc), _mm256_castsi256_si128(bytes));
      } else {
        _mm_mask_storeu_epi8(c + i * ldc, (__mmask16)mask, _mm256_castsi256_si128(bytes));
      }
    } else if (full) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + i * ldc), bytes);
    } else {
      _mm256_mask_storeu_epi8(c + i * ldc, mask, bytes);
    }
  };
  if constexpr (kV == 2) {
    __m512 y00, y01, y10, y11;
#pragma GCC unroll 8
    for (size_t i = 0; i + 1 < M; i += 2) {
      scaled_row(i, y00, y01);
      scaled_row(i + 1, y10, y11);
      const __m512i b = optimized::requant_narrow4_ordered<kU8>(y00, y01, y10, y11, r, order);
      store(i, _mm512_castsi512_si256(b));
      store(i + 1, _mm512_extracti64x4_epi64(b, 1));
    }
    if constexpr (M % 2 == 1) {
      scaled_row(M - 1, y00, y01);
      const __m512i b = optimized::requant_narrow4_ordered<kU8>(y00, y01, y00, y01, r, order);
      store(M - 1, _mm512_castsi512_si256(b));
    }
  } else {
    __m512 y[4], unused;
#pragma GCC unroll 4
    for (size_t i = 0; i < M; i += 4) {
      for (size_t j = 0; j < 4; ++j) {
        if (i + j < M) {
          scaled_row(i + j, y[j], unused);
        } else {
          y[j] = y[j - 1];
        }
      }
      const __m512i b = optimized::requant_narrow4_ordered<kU8>(y[0], y[1], y[2], y[3], r, order);
      store(i, _mm512_castsi512_si256(b));
      if (i + 1 < M) store(i + 1, _mm256_castsi128_si256(_mm512_extracti32x4_epi32(b, 1)));
      if (i + 2 < M) store(i + 2, _mm256_castsi128_si256(_mm512_extracti32x4_epi32(b, 2)));
      if (i + 3 < M) store(i + 3, _mm256_castsi128_si256(_mm512_extracti32x4_epi32(b, 3)));
    }
  }
}

/// dot[i][0 .. 16 kV) = init + the sum over kg groups of a's row i times
/// b's first 16 kV columns (wrapping int32, as vpdpbusd adds). Its own
/// function: inlined beside the epilogues, GCC 12 spills accumulators inside
/// the depth loop.
template <size_t M, size_t kV>
__attribute__((noinline)) void accumulate(size_t kg, const uint8_t* a, const int8_t* b,
                                          const int32_t* init, int32_t (*dot)[kNr]) {
  __m512i lo[M], hi[M];
  {
    const __m512i l = _mm512_loadu_si512(init), h = _mm512_loadu_si512(init + 16);
#pragma GCC unroll 16
    for (size_t i = 0; i < M; ++i) {
      lo[i] = l;
      if (kV == 2) hi[i] = h;
    }
  }
  for (size_t g = 0; g < kg; ++g) {
    const __m512i b0 = _mm512_loadu_si512(b);
    _mm_prefetch((const char*)(b + 8 * kNr * 4), _MM_HINT_T0);
    if constexpr (kV == 2) {
      const __m512i b1 = _mm512_loadu_si512(b + 64);
      _mm_prefetch((const char*)(b + 8 * kNr * 4 + 64), _MM_HINT_T0);
#pragma GCC unroll 16
      for (size_t i = 0; i < M; ++i) {
        int32_t a4;
        std::memcpy(&a4, a + 4 * i, 4);
        const __m512i ai = _mm512_set1_epi32(a4);
        lo[i] = _mm512_dpbusd_epi32(lo[i], ai, b0);
        hi[i] = _mm512_dpbusd_epi32(hi[i], ai, b1);
      }
    } else {
#pragma GCC unroll 16
      for (size_t i = 0; i < M; ++i) {
        int32_t a4;
        std::memcpy(&a4, a + 4 * i, 4);
        lo[i] = _mm512_dpbusd_epi32(lo[i], _mm512_set1_epi32(a4), b0);
      }
    }
    a += kMr * 4;
    b += kNr * 4;
  }
  // Through memory: with the accumulators live into the epilogue GCC 12
  // spills and copies them inside the loop (-25%).
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    _mm512_store_si512(dot[i], lo[i]);
    if (kV == 2) _mm512_store_si512(dot[i] + 16, hi[i]);
  }
}

template <size_t M, size_t kV, bool kUniform>
void epilogue(const int32_t (*dot)[kNr], void* c, size_t ldc, const TileArgs& t) {
  const bool bias = t.bias != nullptr;
  float* f = static_cast<float*>(c);
  uint8_t* q = static_cast<uint8_t*>(c);
  switch (t.out) {
    case OutType::f32:
      if (t.clamp) {
        bias ? epilogue_f32<M, kV, true, true, kUniform>(dot, f, ldc, t)
             : epilogue_f32<M, kV, false, true, kUniform>(dot, f, ldc, t);
      } else {
        bias ? epilogue_f32<M, kV, true, false, kUniform>(dot, f, ldc, t)
             : epilogue_f32<M, kV, false, false, kUniform>(dot, f, ldc, t);
      }
      break;
    case OutType::s8:
      bias ? epilogue_int8<M, kV, false, true, kUniform>(dot, q, ldc, t)
           : epilogue_int8<M, kV, false, false, kUniform>(dot, q, ldc, t);
      break;
    case OutType::u8:
      bias ? epilogue_int8<M, kV, true, true, kUniform>(dot, q, ldc, t)
           : epilogue_int8<M, kV, true, false, kUniform>(dot, q, ldc, t);
      break;
  }
}

/// One tile of 16 kV columns (t.cols <= 16 kV).
template <size_t M, size_t kV>
void tile(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  alignas(64) int32_t dot[M][kNr];
  alignas(64) int32_t init[kNr];
  const __m512i zp = _mm512_set1_epi32(t.uniform_rows ? t.a_zp[0] : 0);
  for (size_t j = 0; j < kNr; j += 16) {
    const __m512i zc = _mm512_mullo_epi32(zp, _mm512_loadu_si512(t.colsum + j));
    _mm512_store_si512(init + j, _mm512_sub_epi32(_mm512_setzero_si512(), zc));
  }
  accumulate<M, kV>(kg, a, b, init, dot);
  t.uniform_rows ? epilogue<M, kV, true>(dot, c, ldc, t) : epilogue<M, kV, false>(dot, c, ldc, t);
}

template <size_t M>
void kernel(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  t.cols <= 16 ? tile<M, 1>(kg, a, b, c, ldc, t) : tile<M, 2>(kg, a, b, c, ldc, t);
}

inline void transpose16(__m512i r[16]) {
  __m512i a[16], b[16];
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // b[4j + c], lane l: column 4l + c of rows 4j .. 4j + 3.
  for (int j = 0; j < 4; ++j) {
    b[4 * j] = _mm512_unpacklo_epi64(a[4 * j], a[4 * j + 2]);
    b[4 * j + 1] = _mm512_unpackhi_epi64(a[4 * j], a[4 * j + 2]);
    b[4 * j + 2] = _mm512_unpacklo_epi64(a[4 * j + 1], a[4 * j + 3]);
    b[4 * j + 3] = _mm512_unpackhi_epi64(a[4 * j + 1], a[4 * j + 3]);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512i p01 = _mm512_shuffle_i32x4(b[c], b[4 + c], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512i q01 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512i p23 = _mm512_shuffle_i32x4(b[c], b[4 + c], _MM_SHUFFLE(3, 2, 3, 2));
    const __m512i q23 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], _MM_SHUFFLE(3, 2, 3, 2));
    r[c] = _mm512_shuffle_i32x4(p01, q01, _MM_SHUFFLE(2, 0, 2, 0));
    r[4 + c] = _mm512_shuffle_i32x4(p01, q01, _MM_SHUFFLE(3, 1, 3, 1));
    r[8 + c] = _mm512_shuffle_i32x4(p23, q23, _MM_SHUFFLE(2, 0, 2, 0));
    r[12 + c] = _mm512_shuffle_i32x4(p23, q23, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

/// pack_a_block for kMr = 14: each panel's depth in runs of 64 bytes (16
/// groups of 4), the 14 rows' runs loaded, flipped and transposed as dwords
/// so that each group's 14 words are one masked store; the depth left over
/// (under 64 bytes) the same way from masked loads.
void pack_a(const uint8_t* a, size_t lda, size_t rows, size_t k, uint8_t flip, uint8_t* dst) {
  const size_t kg = (k + 3) / 4;
  const size_t runs = k / 64;
  const __m512i flip64 = _mm512_set1_epi8(static_cast<char>(flip));
  for (size_t r0 = 0; r0 < rows; r0 += kMr) {
    const size_t n = rows - r0 < kMr ? rows - r0 : kMr;
    uint8_t* panel = dst + r0 * kg * 4;
    const uint8_t* src = a + r0 * lda;
    for (size_t run = 0; run < runs; ++run) {
      __m512i r[16];
      for (size_t i = 0; i < 16; ++i) {
        r[i] = i < n ? _mm512_xor_si512(_mm512_loadu_si512(src + i * lda + run * 64), flip64)
                     : _mm512_setzero_si512();
      }
      transpose16(r);
      uint8_t* out = panel + run * 16 * kMr * 4;
      for (size_t g = 0; g < 16; ++g) {
        _mm512_mask_storeu_epi32(out + g * kMr * 4, (__mmask16)0x3fff, r[g]);
      }
    }
    if (runs * 64 < k) {
      // The last groups the same way, from masked loads: bytes past k load
      // as zero and are not flipped (pack_a_block's padding), and masked-off
      // bytes are never read.
      const size_t done = runs * 64, left = k - done;  // 1 .. 63
      const __mmask64 m = ~__mmask64{0} >> (64 - left);
      const __m512i f = _mm512_maskz_mov_epi8(m, flip64);
      __m512i r[16];
      for (size_t i = 0; i < 16; ++i) {
        r[i] = i < n ? _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i * lda + done), f)
                     : _mm512_setzero_si512();
      }
      transpose16(r);
      uint8_t* out = panel + done * kMr;  // done / 4 groups of kMr words
      for (size_t g = 0; g < kg - done / 4; ++g) {
        _mm512_mask_storeu_epi32(out + g * kMr * 4, (__mmask16)0x3fff, r[g]);
      }
    }
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::avx512vnni, kMr, kNr, /*a_signed=*/false, {&kernel<I + 1>...}, &pack_a};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& avx512vnni_kernels() { return kSet; }

}  // namespace qgemm
}  // namespace ember
