// AVX-512F micro-kernels: 12 x 32 tiles (24 zmm accumulators, two zmm of B
// per depth step, A broadcast from memory). Compiled with -mavx512f only;
// the driver calls them only when the CPU has AVX-512F.
#include <immintrin.h>

// GCC 12's _mm512_max_ps/_mm512_min_ps pass _mm512_undefined_ps() as the
// unused merge source, which -Wmaybe-uninitialized reports at every use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <utility>

#include "runtime/kernels/optimized/gemm/micro_kernel.h"

namespace ember {
namespace gemm {
namespace {

constexpr size_t kMr = 12;
constexpr size_t kNr = 32;

/// acc += A x B over kc steps; A packed (lda == 0: a[p * MR + i]) or rows lda apart.
template <size_t M, bool kRows>
__attribute__((always_inline)) inline void accumulate(size_t kc, const float* a, size_t lda,
                                                      const float* b, size_t ldb, __m512* lo,
                                                      __m512* hi) {
  const float* rows[M];
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) rows[i] = a + i * lda;
  for (size_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    // B's panel streams from L2: ask for it 8 steps ahead (+5-15% measured).
    _mm_prefetch((const char*)(b + 8 * ldb), _MM_HINT_T0);
    _mm_prefetch((const char*)(b + 8 * ldb + 16), _MM_HINT_T0);
#pragma GCC unroll 16
    for (size_t i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(kRows ? rows[i][p] : a[i]);
      lo[i] = _mm512_fmadd_ps(ai, b0, lo[i]);
      hi[i] = _mm512_fmadd_ps(ai, b1, hi[i]);
    }
    a += kMr;
    b += ldb;
  }
}

template <size_t M>
void kernel(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c,
            size_t ldc, const TileArgs& t) {
  __m512 lo[M];
  __m512 hi[M];
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    lo[i] = _mm512_setzero_ps();
    hi[i] = _mm512_setzero_ps();
  }
  if (lda == 0) {
    accumulate<M, false>(kc, a, 0, b, ldb, lo, hi);
  } else {
    accumulate<M, true>(kc, a, lda, b, ldb, lo, hi);
  }
  // Epilogue: the clamp's max/min take the value as the second operand, so
  // a NaN passes through (MAXPS/MINPS return the second operand on NaN).
  const __m512 alpha = _mm512_set1_ps(t.alpha);
  const __m512 beta = _mm512_set1_ps(t.beta);
  const __m512 vmin = _mm512_set1_ps(t.min);
  const __m512 vmax = _mm512_set1_ps(t.max);
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
    __m512 v0 = _mm512_mul_ps(alpha, lo[i]);
    __m512 v1 = _mm512_mul_ps(alpha, hi[i]);
    if (t.load_c) {
      v0 = _mm512_fmadd_ps(beta, _mm512_loadu_ps(ci), v0);
      v1 = _mm512_fmadd_ps(beta, _mm512_loadu_ps(ci + 16), v1);
    }
    if (t.bias_col != nullptr) {
      v0 = _mm512_add_ps(v0, _mm512_loadu_ps(t.bias_col));
      v1 = _mm512_add_ps(v1, _mm512_loadu_ps(t.bias_col + 16));
    }
    if (t.bias_row != nullptr) {
      const __m512 r = _mm512_set1_ps(t.bias_row[i]);
      v0 = _mm512_add_ps(v0, r);
      v1 = _mm512_add_ps(v1, r);
    }
    if (t.clamp) {
      v0 = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v0));
      v1 = _mm512_min_ps(vmax, _mm512_max_ps(vmin, v1));
    }
    _mm512_storeu_ps(ci, v0);
    _mm512_storeu_ps(ci + 16, v1);
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::avx512, kMr, kNr, /*kc=*/256, /*mc=*/144, /*nc=*/512, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& avx512_kernels() { return kSet; }

}  // namespace gemm
}  // namespace ember
