// A cache-blocked float32 matrix multiply shared by addmm, mm, bmm and the
// im2col path of convolution. Portable C++ (no intrinsics): the inner loops
// are written so that the compiler keeps a 4x8 tile of C in registers and
// vectorises over contiguous columns.
#pragma once

#include <cstdint>

namespace ember {
namespace portable {

/// A read-only matrix view: element (i, j) is data[i * row_stride + j * col_stride].
struct MatrixView {
  const float* data;
  int64_t row_stride;
  int64_t col_stride;
};

/// C[m, n] = alpha * A[m, k] * B[k, n] + beta * C, C row-major with leading
/// dimension ldc. With beta == 0, C is only written (NaNs in it are not
/// propagated, as in BLAS and torch.addmm). A and B may have any strides;
/// B with unit column stride (row-major) or unit row stride (transposed)
/// take fast paths. A and B must not overlap C.
void gemm_f32(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
              float beta, float* c, int64_t ldc);

}  // namespace portable
}  // namespace ember
