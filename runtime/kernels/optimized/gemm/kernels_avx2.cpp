// AVX2+FMA micro-kernels: 6 x 16 tiles (12 ymm accumulators, two ymm of B
// per depth step, A broadcast from memory). Compiled with -mavx2 -mfma only;
// the driver calls them only when the CPU has AVX2 and FMA.
#include <immintrin.h>


#include <utility>

#include "runtime/kernels/optimized/gemm/micro_kernel.h"

namespace ember {
namespace gemm {
namespace {

constexpr size_t kMr = 6;
constexpr size_t kNr = 16;

/// acc += A x B over kc steps; A packed (lda == 0: a[p * MR + i]) or rows lda apart.
template <size_t M, bool kRows>
__attribute__((always_inline)) inline void accumulate(size_t kc, const float* a, size_t lda,
                                                      const float* b, size_t ldb, __m256* lo,
                                                      __m256* hi) {
  const float* rows[M];
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) rows[i] = a + i * lda;
  for (size_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    // B's panel streams from L2: ask for it 8 steps ahead (one line per step).
    _mm_prefetch((const char*)(b + 8 * ldb), _MM_HINT_T0);
#pragma GCC unroll 16
    for (size_t i = 0; i < M; ++i) {
      const __m256 ai = _mm256_set1_ps(kRows ? rows[i][p] : a[i]);
      lo[i] = _mm256_fmadd_ps(ai, b0, lo[i]);
      hi[i] = _mm256_fmadd_ps(ai, b1, hi[i]);
    }
    a += kMr;
    b += ldb;
  }
}

template <size_t M>
void kernel(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c,
            size_t ldc, const TileArgs& t) {
  __m256 lo[M];
  __m256 hi[M];
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    lo[i] = _mm256_setzero_ps();
    hi[i] = _mm256_setzero_ps();
  }
  if (lda == 0) {
    accumulate<M, false>(kc, a, 0, b, ldb, lo, hi);
  } else {
    accumulate<M, true>(kc, a, lda, b, ldb, lo, hi);
  }
  // Epilogue: the clamp's max/min take the value as the second operand, so
  // a NaN passes through (MAXPS/MINPS return the second operand on NaN).
  const __m256 alpha = _mm256_set1_ps(t.alpha);
  const __m256 beta = _mm256_set1_ps(t.beta);
  const __m256 vmin = _mm256_set1_ps(t.min);
  const __m256 vmax = _mm256_set1_ps(t.max);
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
    __m256 v0 = _mm256_mul_ps(alpha, lo[i]);
    __m256 v1 = _mm256_mul_ps(alpha, hi[i]);
    if (t.load_c) {
      v0 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(ci), v0);
      v1 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(ci + 8), v1);
    }
    if (t.bias_col != nullptr) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(t.bias_col));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(t.bias_col + 8));
    }
    if (t.bias_row != nullptr) {
      const __m256 r = _mm256_set1_ps(t.bias_row[i]);
      v0 = _mm256_add_ps(v0, r);
      v1 = _mm256_add_ps(v1, r);
    }
    if (t.clamp) {
      v0 = _mm256_min_ps(vmax, _mm256_max_ps(vmin, v0));
      v1 = _mm256_min_ps(vmax, _mm256_max_ps(vmin, v1));
    }
    _mm256_storeu_ps(ci, v0);
    _mm256_storeu_ps(ci + 8, v1);
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::avx2, kMr, kNr, /*kc=*/256, /*mc=*/144, /*nc=*/512, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& avx2_kernels() { return kSet; }

}  // namespace gemm
}  // namespace ember
