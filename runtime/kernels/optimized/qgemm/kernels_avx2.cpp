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

#include <cstring>
#include <utility>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"

namespace ember {
namespace qgemm {
namespace {

constexpr size_t kMr = 6;
constexpr size_t kNr = 16;

/// The epilogue of micro_kernel.h on 8 columns from `j` of a row.
inline void epilogue8(__m256i dot, float a_scale, int32_t a_zp, const TileArgs& t, size_t j,
                      void* c) {
  const __m256i colsum = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.colsum + j));
  const __m256i acc = _mm256_sub_epi32(dot, _mm256_mullo_epi32(_mm256_set1_epi32(a_zp), colsum));
  const __m256 s = _mm256_mul_ps(_mm256_set1_ps(a_scale), _mm256_loadu_ps(t.b_scale + j));
  __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), s);
  if (t.bias != nullptr) y = _mm256_add_ps(y, _mm256_loadu_ps(t.bias + j));
  if (t.out == OutType::f32) {
    if (t.clamp) {
      y = _mm256_max_ps(_mm256_set1_ps(t.min), y);
      y = _mm256_min_ps(_mm256_set1_ps(t.max), y);
    }
    _mm256_storeu_ps(static_cast<float*>(c) + j, y);
    return;
  }
  __m256 v = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps(t.inv_out)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  v = _mm256_add_ps(v, _mm256_set1_ps(t.out_zp));
  v = _mm256_max_ps(v, _mm256_set1_ps(t.qmin));  // MAXPS gives its second operand on NaN
  v = _mm256_min_ps(v, _mm256_set1_ps(t.qmax));
  const __m256i q = _mm256_cvtps_epi32(v);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  const __m128i bytes = t.out == OutType::s8 ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(static_cast<uint8_t*>(c) + j), bytes);
}

/// `a`: the panel as int16 pairs, [kg][2][kMr] of 32 bits; `b`: [kg][2][kNr][2] int8.
template <size_t M>
void kernel(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  // Columns 0-7 and 8-15 of each row. Every loop over the rows is unrolled so
  // that the arrays live in registers (a loop GCC keeps rolled indexes them
  // in memory: the accumulators then round-trip through the stack each step).
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
  const size_t elem = t.out == OutType::f32 ? sizeof(float) : 1;
#pragma GCC unroll 8
  for (size_t i = 0; i < M; ++i) {
    void* row = static_cast<uint8_t*>(c) + i * ldc * elem;
    if (t.cols == kNr) {
      epilogue8(lo[i], t.a_scale[i], t.a_zp[i], t, 0, row);
      epilogue8(hi[i], t.a_scale[i], t.a_zp[i], t, 8, row);
    } else {
      alignas(32) int32_t tmp[kNr];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), lo[i]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 8), hi[i]);
      epilogue_row_scalar(tmp, t.a_scale[i], t.a_zp[i], t, row);
    }
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
