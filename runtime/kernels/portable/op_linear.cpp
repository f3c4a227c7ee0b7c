// Matrix products: addmm, mm and bmm over float32, all through gemm_f32
// (matmul.h). Inputs may have any dim order (their strides are passed to
// the gemm); outputs must be in the contiguous order.
#include "runtime/kernels/portable/kernel_utils.h"
#include "runtime/kernels/portable/matmul.h"
#include "runtime/kernels/portable/op_args.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

bool check_float_matrix(ArgReader& r, const Tensor& t, const char* name, int rank) {
  if (!check_dtype(r.ctx(), r.op(), name, t, ScalarType::Float)) return false;
  if (t.dim() != rank) {
    r.fail(Error::InvalidArgument, "%s has sizes %s, expected a %d-d tensor", name,
           sizes_text(t.sizes()).text, rank);
    return false;
  }
  return true;
}

MatrixView view_of(const Tensor& t, int row_dim, int64_t offset) {
  return MatrixView{t.data_as<const float>() + offset, t.stride(row_dim), t.stride(row_dim + 1)};
}

}  // namespace

void addmm_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::addmm.out", 7);
  const AddmmArgs a = read_addmm_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat1 = a.mat1, *mat2 = a.mat2, *out = a.out;
  const double beta = a.beta, alpha = a.alpha;
  const char* op = r.op();
  if (!check_float_matrix(r, *mat1, "mat1", 2) || !check_float_matrix(r, *mat2, "mat2", 2) ||
      !check_dtype(ctx, op, "self", *self, ScalarType::Float) ||
      !check_dtype(ctx, op, "out", *out, ScalarType::Float) ||
      !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  const int64_t m = mat1->size(0), k = mat1->size(1), n = mat2->size(1);
  EMBER_KERNEL_CHECK(ctx, mat2->size(0) == k, InvalidArgument,
                     "%s: mat1 %s and mat2 %s cannot be multiplied", op,
                     sizes_text(mat1->sizes()).text, sizes_text(mat2->sizes()).text);
  const int64_t sizes[2] = {m, n};
  int64_t bshape[2];
  int bdim = 0;
  const int32_t mn[2] = {static_cast<int32_t>(m), static_cast<int32_t>(n)};
  EMBER_KERNEL_CHECK(ctx,
                     self->dim() <= 2 && broadcast_shapes(self->sizes(), Span<const int32_t>(mn, 2),
                                                          bshape, &bdim) &&
                         bshape[0] == m && bshape[1] == n,
                     InvalidArgument, "%s: self %s does not broadcast to [%lld, %lld]", op,
                     sizes_text(self->sizes()).text, static_cast<long long>(m),
                     static_cast<long long>(n));
  if (!resize_out(ctx, op, "out", *out, sizes, 2)) return;
  if (beta != 0.0) {
    int64_t s_self[2], s_out[2];
    broadcast_strides(*self, 2, sizes, s_self);
    tensor_strides(*out, s_out);
    copy_strided(2, sizes, self->data(), s_self, out->mutable_data(), s_out, sizeof(float));
  }
  gemm_f32(m, n, k, static_cast<float>(alpha), view_of(*mat1, 0, 0), view_of(*mat2, 0, 0),
           static_cast<float>(beta), out->data_as<float>(), n);
}

void mm_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::mm.out", 4);
  const MatmulArgs a = read_matmul_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat2 = a.mat2, *out = a.out;
  const char* op = r.op();
  if (!check_float_matrix(r, *self, "self", 2) || !check_float_matrix(r, *mat2, "mat2", 2) ||
      !check_dtype(ctx, op, "out", *out, ScalarType::Float) ||
      !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  const int64_t m = self->size(0), k = self->size(1), n = mat2->size(1);
  EMBER_KERNEL_CHECK(ctx, mat2->size(0) == k, InvalidArgument,
                     "%s: self %s and mat2 %s cannot be multiplied", op,
                     sizes_text(self->sizes()).text, sizes_text(mat2->sizes()).text);
  const int64_t sizes[2] = {m, n};
  if (!resize_out(ctx, op, "out", *out, sizes, 2)) return;
  gemm_f32(m, n, k, 1.0f, view_of(*self, 0, 0), view_of(*mat2, 0, 0), 0.0f,
           out->data_as<float>(), n);
}

void bmm_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::bmm.out", 4);
  const MatmulArgs a = read_matmul_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat2 = a.mat2, *out = a.out;
  const char* op = r.op();
  if (!check_float_matrix(r, *self, "self", 3) || !check_float_matrix(r, *mat2, "mat2", 3) ||
      !check_dtype(ctx, op, "out", *out, ScalarType::Float) ||
      !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  const int64_t b = self->size(0), m = self->size(1), k = self->size(2), n = mat2->size(2);
  EMBER_KERNEL_CHECK(ctx, mat2->size(0) == b && mat2->size(1) == k, InvalidArgument,
                     "%s: self %s and mat2 %s cannot be batch-multiplied", op,
                     sizes_text(self->sizes()).text, sizes_text(mat2->sizes()).text);
  const int64_t sizes[3] = {b, m, n};
  if (!resize_out(ctx, op, "out", *out, sizes, 3)) return;
  for (int64_t i = 0; i < b; ++i) {
    gemm_f32(m, n, k, 1.0f, view_of(*self, 1, i * self->stride(0)),
             view_of(*mat2, 1, i * mat2->stride(0)), 0.0f, out->data_as<float>() + i * m * n, n);
  }
}

}  // namespace portable
}  // namespace ember
