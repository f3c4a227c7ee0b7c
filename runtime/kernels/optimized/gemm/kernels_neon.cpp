// NEON (AArch64) micro-kernels: 8 x 8 tiles (16 q-register accumulators,
// two q of B per depth step, A loaded 4 at a time and used by lane).
// Built only when targeting aarch64, where NEON is always present.
#include <arm_neon.h>

#include <utility>

#include "runtime/kernels/optimized/gemm/micro_kernel.h"

namespace ember {
namespace gemm {
namespace {

constexpr size_t kMr = 8;
constexpr size_t kNr = 8;

/// v * a[i] accumulated into acc, i known at compile time (lane of a0 or a1).
template <size_t I>
inline float32x4_t fma_lane(float32x4_t acc, float32x4_t b, float32x4_t a0, float32x4_t a1) {
  if constexpr (I < 4) {
    return vfmaq_laneq_f32(acc, b, a0, I);
  } else {
    return vfmaq_laneq_f32(acc, b, a1, I - 4);
  }
}

template <size_t M, size_t... I>
inline void step(float32x4_t* lo, float32x4_t* hi, float32x4_t b0, float32x4_t b1,
                 float32x4_t a0, float32x4_t a1, std::index_sequence<I...>) {
  ((lo[I] = fma_lane<I>(lo[I], b0, a0, a1), hi[I] = fma_lane<I>(hi[I], b1, a0, a1)), ...);
}

/// acc += A x B over kc steps, A packed: a[p * MR + i].
template <size_t M>
inline void accumulate_packed(size_t kc, const float* a, const float* b, size_t ldb,
                              float32x4_t* lo, float32x4_t* hi) {
  for (size_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    __builtin_prefetch(b + 8 * ldb);
    // Rows past M of a packed panel are not initialised: load only what is used.
    const float32x4_t a0 = M >= 4 ? vld1q_f32(a) : vdupq_n_f32(0.0f);
    const float32x4_t a1 = M == 8 ? vld1q_f32(a + 4) : vdupq_n_f32(0.0f);
    if constexpr (M < 4) {
      for (size_t i = 0; i < M; ++i) {
        const float32x4_t ai = vdupq_n_f32(a[i]);
        lo[i] = vfmaq_f32(lo[i], b0, ai);
        hi[i] = vfmaq_f32(hi[i], b1, ai);
      }
    } else if constexpr (M < 8) {
      // Lanes 0-3 from a0, the rest one by one.
      step<4>(lo, hi, b0, b1, a0, a1, std::make_index_sequence<4>());
      for (size_t i = 4; i < M; ++i) {
        const float32x4_t ai = vdupq_n_f32(a[i]);
        lo[i] = vfmaq_f32(lo[i], b0, ai);
        hi[i] = vfmaq_f32(hi[i], b1, ai);
      }
    } else {
      step<8>(lo, hi, b0, b1, a0, a1, std::make_index_sequence<8>());
    }
    a += kMr;
    b += ldb;
  }
}

/// acc += A x B over kc steps, A's rows lda apart: a[i * lda + p].
template <size_t M>
inline void accumulate_rows(size_t kc, const float* a, size_t lda, const float* b, size_t ldb,
                            float32x4_t* lo, float32x4_t* hi) {
  for (size_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    __builtin_prefetch(b + 8 * ldb);
    for (size_t i = 0; i < M; ++i) {
      const float32x4_t ai = vdupq_n_f32(a[i * lda + p]);
      lo[i] = vfmaq_f32(lo[i], b0, ai);
      hi[i] = vfmaq_f32(hi[i], b1, ai);
    }
    b += ldb;
  }
}

template <size_t M>
void kernel(size_t kc, const float* a, size_t lda, const float* b, size_t ldb, float* c,
            size_t ldc, const TileArgs& t) {
  float32x4_t lo[M];
  float32x4_t hi[M];
  for (size_t i = 0; i < M; ++i) {
    lo[i] = vdupq_n_f32(0.0f);
    hi[i] = vdupq_n_f32(0.0f);
  }
  if (lda == 0) {
    accumulate_packed<M>(kc, a, b, ldb, lo, hi);
  } else {
    accumulate_rows<M>(kc, a, lda, b, ldb, lo, hi);
  }
  const float32x4_t alpha = vdupq_n_f32(t.alpha);
  const float32x4_t beta = vdupq_n_f32(t.beta);
  const float32x4_t vmin = vdupq_n_f32(t.min);
  const float32x4_t vmax = vdupq_n_f32(t.max);
  for (size_t i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
    float32x4_t v0 = vmulq_f32(alpha, lo[i]);
    float32x4_t v1 = vmulq_f32(alpha, hi[i]);
    if (t.load_c) {
      v0 = vfmaq_f32(v0, beta, vld1q_f32(ci));
      v1 = vfmaq_f32(v1, beta, vld1q_f32(ci + 4));
    }
    if (t.bias_col != nullptr) {
      v0 = vaddq_f32(v0, vld1q_f32(t.bias_col));
      v1 = vaddq_f32(v1, vld1q_f32(t.bias_col + 4));
    }
    if (t.bias_row != nullptr) {
      const float32x4_t r = vdupq_n_f32(t.bias_row[i]);
      v0 = vaddq_f32(v0, r);
      v1 = vaddq_f32(v1, r);
    }
    if (t.clamp) {
      // FMAX/FMIN return NaN when either input is NaN.
      v0 = vminq_f32(vmax, vmaxq_f32(vmin, v0));
      v1 = vminq_f32(vmax, vmaxq_f32(vmin, v1));
    }
    vst1q_f32(ci, v0);
    vst1q_f32(ci + 4, v1);
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::neon, kMr, kNr, /*kc=*/256, /*mc=*/128, /*nc=*/512, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& neon_kernels() { return kSet; }

}  // namespace gemm
}  // namespace ember
