// AVX2 int8 micro-kernels (no VNNI): 6 x 8 tiles. Per group of 4 depth
// steps, B's 8 columns x 4 bytes are sign-extended to two ymm of int16 and
// each row's 4 A bytes zero-extended and broadcast; vpmaddwd then sums pairs
// of exact int16 products into int32 (vpmaddubsw would saturate u8 x s8
// pair sums). Each accumulator lane holds one column's half of a group;
// vphaddd folds the halves at the end. Compiled with -mavx2 -mfma only.
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"

namespace ember {
namespace qgemm {
namespace {

constexpr size_t kMr = 6;
constexpr size_t kNr = 8;

/// The epilogue of micro_kernel.h on a full row of 8 columns.
inline void epilogue8(__m256i dot, float a_scale, int32_t a_zp, const TileArgs& t, void* c) {
  const __m256i colsum = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.colsum));
  const __m256i acc = _mm256_sub_epi32(dot, _mm256_mullo_epi32(_mm256_set1_epi32(a_zp), colsum));
  const __m256 s = _mm256_mul_ps(_mm256_set1_ps(a_scale), _mm256_loadu_ps(t.b_scale));
  __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), s);
  if (t.bias != nullptr) y = _mm256_add_ps(y, _mm256_loadu_ps(t.bias));
  if (t.out == OutType::f32) {
    if (t.clamp) {
      y = _mm256_max_ps(_mm256_set1_ps(t.min), y);
      y = _mm256_min_ps(_mm256_set1_ps(t.max), y);
    }
    _mm256_storeu_ps(static_cast<float*>(c), y);
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
  _mm_storel_epi64(static_cast<__m128i*>(c), bytes);
}

template <size_t M>
void kernel(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  __m256i lo[M], hi[M];
  for (size_t i = 0; i < M; ++i) lo[i] = hi[i] = _mm256_setzero_si256();
  for (size_t g = 0; g < kg; ++g) {
    const __m256i braw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(braw));       // columns 0-3
    const __m256i b1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(braw, 1));  // columns 4-7
    _mm_prefetch((const char*)(b + 16 * kNr * 4), _MM_HINT_T0);
#pragma GCC unroll 8
    for (size_t i = 0; i < M; ++i) {
      int32_t a4;
      std::memcpy(&a4, a + 4 * i, 4);
      const __m256i ai = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(a4)));
      lo[i] = _mm256_add_epi32(lo[i], _mm256_madd_epi16(b0, ai));
      hi[i] = _mm256_add_epi32(hi[i], _mm256_madd_epi16(b1, ai));
    }
    a += kMr * 4;
    b += kNr * 4;
  }
  const size_t elem = t.out == OutType::f32 ? sizeof(float) : 1;
  for (size_t i = 0; i < M; ++i) {
    // hadd: [c0 c1 c4 c5 | c2 c3 c6 c7]; the 64-bit permute puts them in order.
    const __m256i dot = _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo[i], hi[i]), 0xd8);
    void* row = static_cast<uint8_t*>(c) + i * ldc * elem;
    if (t.cols == kNr) {
      epilogue8(dot, t.a_scale[i], t.a_zp[i], t, row);
    } else {
      alignas(32) int32_t tmp[kNr];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), dot);
      epilogue_row_scalar(tmp, t.a_scale[i], t.a_zp[i], t, row);
    }
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::avx2, kMr, kNr, /*a_signed=*/false, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& avx2_kernels() { return kSet; }

}  // namespace qgemm
}  // namespace ember
