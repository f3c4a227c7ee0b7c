// Cache-blocked matrix multiplies shared by addmm, mm, bmm and the im2col
// path of convolution: gemm_f32 for float32, gemm_half for float16 and
// bfloat16 (accumulated in float32). Portable C++ (no intrinsics): the inner
// loops are written so that the compiler keeps a tile of C in registers and
// vectorises over contiguous columns.
#pragma once

#include <cstdint>

#include "runtime/core/half.h"

namespace ember {
namespace portable {

/// A read-only matrix view: element (i, j) is data[i * row_stride + j * col_stride].
template <typename T>
struct MatrixViewOf {
  const T* data;
  int64_t row_stride;
  int64_t col_stride;
};
using MatrixView = MatrixViewOf<float>;

/// C[m, n] = alpha * A[m, k] * B[k, n] + beta * C, C row-major with leading
/// dimension ldc. With beta == 0, C is only written (NaNs in it are not
/// propagated, as in BLAS and torch.addmm). A and B may have any strides;
/// B with unit column stride (row-major) or unit row stride (transposed)
/// take fast paths. A and B must not overlap C.
void gemm_f32(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
              float beta, float* c, int64_t ldc);

/// The same for T = Half or BFloat16: every product is accumulated in float32
/// over the whole depth k, and each element of C is rounded to T once, as
/// alpha * sum + beta * C (C not read when beta == 0). Any strides.
template <typename T>
void gemm_half(int64_t m, int64_t n, int64_t k, float alpha, MatrixViewOf<T> a,
               MatrixViewOf<T> b, float beta, T* c, int64_t ldc);

extern template void gemm_half<Half>(int64_t, int64_t, int64_t, float, MatrixViewOf<Half>,
                                     MatrixViewOf<Half>, float, Half*, int64_t);
extern template void gemm_half<BFloat16>(int64_t, int64_t, int64_t, float,
                                         MatrixViewOf<BFloat16>, MatrixViewOf<BFloat16>, float,
                                         BFloat16*, int64_t);

}  // namespace portable
}  // namespace ember
