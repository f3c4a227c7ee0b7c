// Matrix products over float32 on Ember's GEMM (gemm/gemm.h): aten::mm.out,
// aten::addmm.out, aten::bmm.out and aten::linear.out (its weight [n, k]
// read as the transposed right operand, its bias in the epilogue). Operands may have any strides (a
// transposed weight is read as such, not copied); out must be in the
// contiguous dim order. addmm's self is fused into the GEMM's epilogue when
// it is a bias (beta == 1, shape [n], [1, n] or [m, 1]), otherwise copied into
// out first and scaled by beta, as the portable kernel does. The workspace is
// the kernel context's scratch. Other dtypes and layouts, and every error,
// go to the portable kernel unchanged.
//
// A constant right operand (a weight) of mm, addmm and linear is packed once
// at load (the kernels' KernelPrepareFn) into the GEMM's panel layout for
// this CPU, so no call packs it again: a copy of each such weight is kept
// (heap, freed with the method). EMBER_PREPACK=0 in the environment at load
// keeps memory to the file's weights alone (each call then packs).
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
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

/// A constant right operand B [k, n] packed for the active GEMM ISA, or nullptr.
void* pack_weight(const Tensor& source, gemm::MatrixView b, int64_t k, int64_t n) {
  const GemmB context{b, k, n};
  return make_prepacked(source.data(), 1, gemm::packed_b_bytes(k, n), &pack_gemm_b, &context);
}

/// The panels of `b` this call's instruction packed at load, or nullptr.
const void* packed_for(const KernelContext& ctx, const Tensor& b) {
  const Prepacked* p = prepacked_for(ctx, b.data());
  return p != nullptr ? p->part(0) : nullptr;
}

/// C [m, n] (row-major, ldc n) = alpha * A * B + beta * C with the epilogue:
/// on B's panels packed at load when `packed` is set, else on B itself.
Error product(int64_t m, int64_t n, int64_t k, float alpha, gemm::MatrixView a,
              gemm::MatrixView b, const void* packed, float beta, float* c,
              const gemm::Epilogue& epi, void* ws, size_t bytes) {
  return packed != nullptr ? gemm::gemm_packed(m, n, k, alpha, a, packed, beta, c, n, epi, ws, bytes)
                           : gemm::gemm(m, n, k, alpha, a, b, beta, c, n, epi, ws, bytes);
}

}  // namespace

namespace {

/// Pack constant argument `index` (the product's B, [k, n] in `b`) for the
/// calls, and say so in `packed`.
void* prepare_b(const Tensor& source, gemm::MatrixView b, int64_t k, int64_t n, size_t index,
                Span<bool> packed) {
  void* state = pack_weight(source, b, k, n);
  if (state != nullptr && index < packed.size()) packed[index] = true;
  return state;
}

}  // namespace

void* prepare_mm(Span<EValue* const> args, Span<const bool> constant, Span<bool> packed) {
  const Tensor* b = constant_float(args, constant, 1, 2);  // mm.out(self, mat2, out)
  return b != nullptr ? prepare_b(*b, view_of(*b, 0), b->size(0), b->size(1), 1, packed) : nullptr;
}

void* prepare_addmm(Span<EValue* const> args, Span<const bool> constant, Span<bool> packed) {
  const Tensor* b = constant_float(args, constant, 2, 2);  // addmm.out(self, mat1, mat2, ...)
  return b != nullptr ? prepare_b(*b, view_of(*b, 0), b->size(0), b->size(1), 2, packed) : nullptr;
}

void* prepare_linear(Span<EValue* const> args, Span<const bool> constant, Span<bool> packed) {
  const Tensor* w = constant_float(args, constant, 1, 2);  // linear.out(input, weight, bias, out)
  if (w == nullptr) return nullptr;
  const gemm::MatrixView wt{w->data_as<const float>(), w->stride(1), w->stride(0)};
  return prepare_b(*w, wt, w->size(1), w->size(0), 1, packed);
}

void mm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::mm.out";
  ArgReader r(ctx, args, op, 4);
  const portable::MatmulArgs a = portable::read_matmul_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat2 = a.mat2, *out = a.out;
  size_t bytes = 0;
  void* ws = nullptr;
  const void* packed = packed_for(ctx, *mat2);
  const bool fast = is_float(*self, 2) && is_float(*mat2, 2) && is_float_out(*out) &&
                    self->size(1) == mat2->size(0) &&
                    (ws = gemm_workspace(ctx, 1, self->size(0), mat2->size(1), self->size(1),
                                         &bytes, packed != nullptr)) != nullptr;
  if (!fast) {
    portable::mm_out(ctx, args);
    return;
  }
  const int64_t m = self->size(0), k = self->size(1), n = mat2->size(1);
  const int64_t sizes[2] = {m, n};
  if (!resize_out(ctx, op, "out", *out, sizes, 2)) return;
  const Error e = product(m, n, k, 1.0f, view_of(*self, 0), view_of(*mat2, 0), packed, 0.0f,
                          out->data_as<float>(), gemm::Epilogue{}, ws, bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, op, "gemm failed (%s)", error_name(e));
}

void addmm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::addmm.out";
  ArgReader r(ctx, args, op, 7);
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
  fast = fast && broadcast_shapes(self->sizes(), Span<const int32_t>(mn, 2), bshape,
                                            &bdim) &&
         bdim == 2 && bshape[0] == m && bshape[1] == n;
  size_t bytes = 0;
  const void* packed = packed_for(ctx, *mat2);
  void* ws = fast ? gemm_workspace(ctx, 1, m, n, k, &bytes, packed != nullptr) : nullptr;
  if (ws == nullptr) {
    portable::addmm_out(ctx, args);
    return;
  }
  const int64_t sizes[2] = {m, n};
  if (!resize_out(ctx, op, "out", *out, sizes, 2)) return;
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
    broadcast_strides(*self, 2, sizes, s_self);
    tensor_strides(*out, s_out);
    copy_strided(2, sizes, self->data(), s_self, out->mutable_data(), s_out,
                           sizeof(float));
  }
  const Error e = product(m, n, k, static_cast<float>(alpha), view_of(*mat1, 0),
                          view_of(*mat2, 0), packed, gemm_beta, out->data_as<float>(), epi, ws,
                          bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, op, "gemm failed (%s)", error_name(e));
}

void bmm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::bmm.out";
  ArgReader r(ctx, args, op, 4);
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
  if (!resize_out(ctx, op, "out", *out, sizes, 3)) return;
  const gemm::BatchStrides strides{self->stride(0), mat2->stride(0), m * n};
  const Error e = gemm::gemm_batched(b, m, n, k, 1.0f, view_of(*self, 1), view_of(*mat2, 1), 0.0f,
                                     out->data_as<float>(), n, strides, gemm::Epilogue{}, ws,
                                     bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, op, "gemm failed (%s)", error_name(e));
}

void linear_out(KernelContext& ctx, Span<EValue*> args) {
  portable::LinearCall c;
  if (!portable::prepare_linear(ctx, args, &c)) return;
  size_t bytes = 0;
  const void* packed = packed_for(ctx, *c.weight);
  void* ws =
      c.rows_collapse ? gemm_workspace(ctx, 1, c.m, c.n, c.k, &bytes, packed != nullptr) : nullptr;
  if (ws == nullptr) {
    portable::run_linear(c);
    return;
  }
  gemm::Epilogue epi;
  if (c.bias != nullptr) {
    if (c.bias->stride(0) != 1 && c.n > 1) {
      portable::run_linear(c);
      return;
    }
    epi.bias = c.bias->data_as<const float>();
    epi.bias_kind = gemm::BiasKind::per_column;
  }
  const gemm::MatrixView a{c.input->data_as<const float>(), c.row_stride,
                           c.input->stride(c.input->dim() - 1)};
  const gemm::MatrixView w{c.weight->data_as<const float>(), c.weight->stride(1),
                           c.weight->stride(0)};
  const Error e =
      product(c.m, c.n, c.k, 1.0f, a, w, packed, 0.0f, c.out->data_as<float>(), epi, ws, bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, "aten::linear.out", "gemm failed (%s)",
                     error_name(e));
}

}  // namespace optimized
}  // namespace ember
