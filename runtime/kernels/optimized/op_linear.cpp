// Matrix products over float32 on Ember's GEMM (gemm/gemm.h): aten::mm.out,
// aten::addmm.out and aten::bmm.out. Operands may have any strides (a
// transposed weight is read as such, not copied); out must be in the
// contiguous dim order. addmm's self is fused into the GEMM's epilogue when
// it is a bias (beta == 1, shape [n], [1, n] or [m, 1]), otherwise copied into
// out first and scaled by beta, as the portable kernel does. The workspace is
// the kernel context's scratch. Other dtypes and layouts, and every error,
// go to the portable kernel unchanged.
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/op_args.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

bool is_float(const Tensor& t, int rank) {
  return t.dtype() == ScalarType::Float && t.dim() == rank;
}

bool is_float_out(const Tensor& t) {
  return t.dtype() == ScalarType::Float && t.is_contiguous_order();
}

/// Dims `row` and `row + 1` of t (from `offset` elements in) as a matrix view.
gemm::MatrixView view_of(const Tensor& t, int row, int64_t offset = 0) {
  return gemm::MatrixView{t.data_as<const float>() + offset, t.stride(row), t.stride(row + 1)};
}

/// How addmm's self enters the product.
enum class SelfUse { bias_per_column, bias_per_row, copy };

}  // namespace

void mm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::mm.out";
  portable::ArgReader r(ctx, args, op, 4);
  const portable::MatmulArgs a = portable::read_matmul_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat2 = a.mat2, *out = a.out;
  size_t bytes = 0;
  void* ws = nullptr;
  const bool fast = is_float(*self, 2) && is_float(*mat2, 2) && is_float_out(*out) &&
                    self->size(1) == mat2->size(0) &&
                    (ws = gemm_workspace(ctx, 1, self->size(0), mat2->size(1), self->size(1),
                                         &bytes)) != nullptr;
  if (!fast) {
    portable::mm_out(ctx, args);
    return;
  }
  const int64_t m = self->size(0), k = self->size(1), n = mat2->size(1);
  const int64_t sizes[2] = {m, n};
  if (!portable::resize_out(ctx, op, "out", *out, sizes, 2)) return;
  const Error e = gemm::gemm(m, n, k, 1.0f, view_of(*self, 0), view_of(*mat2, 0), 0.0f,
                             out->data_as<float>(), n, gemm::Epilogue{}, ws, bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, "%s: gemm failed (%s)", op, error_name(e));
}

void addmm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::addmm.out";
  portable::ArgReader r(ctx, args, op, 7);
  const portable::AddmmArgs a = portable::read_addmm_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat1 = a.mat1, *mat2 = a.mat2, *out = a.out;
  const double beta = a.beta, alpha = a.alpha;
  bool fast = is_float(*mat1, 2) && is_float(*mat2, 2) && self->dtype() == ScalarType::Float &&
              self->dim() <= 2 && is_float_out(*out) && mat1->size(1) == mat2->size(0);
  const int64_t m = fast ? mat1->size(0) : 0, k = fast ? mat1->size(1) : 0;
  const int64_t n = fast ? mat2->size(1) : 0;
  // self must broadcast to [m, n] exactly (else portable reports it).
  int64_t bshape[2];
  int bdim = 0;
  const int32_t mn[2] = {static_cast<int32_t>(m), static_cast<int32_t>(n)};
  fast = fast && portable::broadcast_shapes(self->sizes(), Span<const int32_t>(mn, 2), bshape,
                                            &bdim) &&
         bdim == 2 && bshape[0] == m && bshape[1] == n;
  size_t bytes = 0;
  void* ws = fast ? gemm_workspace(ctx, 1, m, n, k, &bytes) : nullptr;
  if (ws == nullptr) {
    portable::addmm_out(ctx, args);
    return;
  }
  const int64_t sizes[2] = {m, n};
  if (!portable::resize_out(ctx, op, "out", *out, sizes, 2)) return;
  // A bias over columns ([n] or [1, n]) or rows ([m, 1]) rides in the
  // epilogue when beta is 1; anything else is copied into out and scaled.
  SelfUse use = SelfUse::copy;
  const int32_t last = self->dim() >= 1 ? self->size(self->dim() - 1) : 1;
  if (beta == 1.0 && self->numel() > 1) {
    if (last == n && self->numel() == n && self->stride(self->dim() - 1) == 1) {
      use = SelfUse::bias_per_column;
    } else if (self->dim() == 2 && last == 1 && self->size(0) == m && self->stride(0) == 1) {
      use = SelfUse::bias_per_row;
    }
  }
  gemm::Epilogue epi;
  float gemm_beta = static_cast<float>(beta);
  if (use != SelfUse::copy) {
    epi.bias = self->data_as<const float>();
    epi.bias_kind = use == SelfUse::bias_per_column ? gemm::BiasKind::per_column
                                                    : gemm::BiasKind::per_row;
    gemm_beta = 0.0f;
  } else if (beta != 0.0) {
    int64_t s_self[2], s_out[2];
    portable::broadcast_strides(*self, 2, sizes, s_self);
    portable::tensor_strides(*out, s_out);
    portable::copy_strided(2, sizes, self->data(), s_self, out->mutable_data(), s_out,
                           sizeof(float));
  }
  const Error e = gemm::gemm(m, n, k, static_cast<float>(alpha), view_of(*mat1, 0),
                             view_of(*mat2, 0), gemm_beta, out->data_as<float>(), n, epi, ws,
                             bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, "%s: gemm failed (%s)", op, error_name(e));
}

void bmm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::bmm.out";
  portable::ArgReader r(ctx, args, op, 4);
  const portable::MatmulArgs a = portable::read_matmul_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat2 = a.mat2, *out = a.out;
  size_t bytes = 0;
  void* ws = nullptr;
  const bool fast = is_float(*self, 3) && is_float(*mat2, 3) && is_float_out(*out) &&
                    mat2->size(0) == self->size(0) && mat2->size(1) == self->size(2) &&
                    (ws = gemm_workspace(ctx, self->size(0), self->size(1), mat2->size(2),
                                         self->size(2), &bytes)) != nullptr;
  if (!fast) {
    portable::bmm_out(ctx, args);
    return;
  }
  const int64_t b = self->size(0), m = self->size(1), k = self->size(2), n = mat2->size(2);
  const int64_t sizes[3] = {b, m, n};
  if (!portable::resize_out(ctx, op, "out", *out, sizes, 3)) return;
  const gemm::BatchStrides strides{self->stride(0), mat2->stride(0), m * n};
  const Error e = gemm::gemm_batched(b, m, n, k, 1.0f, view_of(*self, 1), view_of(*mat2, 1), 0.0f,
                                     out->data_as<float>(), n, strides, gemm::Epilogue{}, ws,
                                     bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, "%s: gemm failed (%s)", op, error_name(e));
}

}  // namespace optimized
}  // namespace ember
