// Generic micro-kernels in portable C++: 4 x 8 tiles kept in GCC/Clang
// vector-extension registers (two 4-float vectors per row), which map to
// SSE or NEON on any target without ISA flags. The fallback when the CPU
// has nothing better, and the reference family for the others.
#include <cstring>
#include <utility>

#include "runtime/kernels/optimized/gemm/micro_kernel.h"

namespace ember {
namespace gemm {
namespace {

constexpr size_t kMr = 4;
constexpr size_t kNr = 8;

typedef float Vec4 __attribute__((vector_size(16)));

inline Vec4 load4(const float* p) {
  Vec4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store4(float* p, Vec4 v) { std::memcpy(p, &v, sizeof(v)); }

inline Vec4 splat(float x) { return Vec4{x, x, x, x}; }

/// Clamp that lets NaN through: a comparison with NaN is false, so it keeps v.
inline Vec4 clamp4(Vec4 v, Vec4 lo, Vec4 hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/// acc += A x B over kc steps; A packed (lda == 0: a[p * MR + i]) or rows lda apart.
template <size_t M, bool kRows>
__attribute__((always_inline)) inline void accumulate(size_t kc, const float* a, size_t lda,
                                                      const float* b, size_t ldb, Vec4* lo,
                                                      Vec4* hi) {
  const float* rows[M];
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) rows[i] = a + i * lda;
  for (size_t p = 0; p < kc; ++p) {
    const Vec4 b0 = load4(b);
    const Vec4 b1 = load4(b + 4);
#pragma GCC unroll 16
    for (size_t i = 0; i < M; ++i) {
      const Vec4 ai = splat(kRows ? rows[i][p] : a[i]);
      lo[i] += ai * b0;
      hi[i] += ai * b1;
    }
    a += kMr;
    b += ldb;
  }
}

template <size_t M>
void kernel(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c,
            size_t ldc, const TileArgs& t) {
  Vec4 lo[M];
  Vec4 hi[M];
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    lo[i] = splat(0.0f);
    hi[i] = splat(0.0f);
  }
  if (lda == 0) {
    accumulate<M, false>(kc, a, 0, b, ldb, lo, hi);
  } else {
    accumulate<M, true>(kc, a, lda, b, ldb, lo, hi);
  }
  const Vec4 alpha = splat(t.alpha);
  const Vec4 beta = splat(t.beta);
  const Vec4 vmin = splat(t.min);
  const Vec4 vmax = splat(t.max);
#pragma GCC unroll 16
  for (size_t i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
    Vec4 v0 = alpha * lo[i];
    Vec4 v1 = alpha * hi[i];
    if (t.load_c) {
      v0 += beta * load4(ci);
      v1 += beta * load4(ci + 4);
    }
    if (t.bias_col != nullptr) {
      v0 += load4(t.bias_col);
      v1 += load4(t.bias_col + 4);
    }
    if (t.bias_row != nullptr) {
      const Vec4 r = splat(t.bias_row[i]);
      v0 += r;
      v1 += r;
    }
    if (t.clamp) {
      v0 = clamp4(v0, vmin, vmax);
      v1 = clamp4(v1, vmin, vmax);
    }
    store4(ci, v0);
    store4(ci + 4, v1);
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::generic, kMr, kNr, /*kc=*/256, /*mc=*/128, /*nc=*/512, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& generic_kernels() { return kSet; }

}  // namespace gemm
}  // namespace ember
