// native_layer_norm over float32: contiguous input, weight and bias (or
// none), every row of the normalized trailing dims one vector pass for the
// mean, one for the variance (two passes, as the portable kernel, in float
// over vector lanes) and one for the output; rows split over the thread pool.
// ember::rms_norm the same way: one pass for the sum of squares, one for the
// output. Other dtypes and layouts run the portable kernel.
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/op_args.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

/// An absent parameter, or a dense float32 one of exactly `shape`.
bool param_ok(const Tensor* t, Span<const int64_t> shape) {
  if (t == nullptr) return true;
  if (!is_dense_float(*t) || t->dim() != static_cast<int32_t>(shape.size())) return false;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (t->size(static_cast<int32_t>(d)) != shape[d]) return false;
  }
  return true;
}

/// normalized_shape names 1 to rank trailing dims of a dense float32
/// `input` with their sizes, and `weight` and `bias` (absent, or of that
/// shape) are dense float32: the vector rows apply; `axis` is the first
/// normalized dim.
bool rows_apply(const Tensor& input, Span<const int64_t> shape, const Tensor* weight,
                const Tensor* bias, int* axis) {
  const int ndim = input.dim();
  const int k = static_cast<int>(shape.size());
  if (k < 1 || k > ndim || !is_dense_float(input) || !param_ok(weight, shape) ||
      !param_ok(bias, shape)) {
    return false;
  }
  *axis = ndim - k;
  for (int d = 0; d < k; ++d) {
    if (input.size(*axis + d) != shape[d]) return false;
  }
  return true;
}

}  // namespace

void native_layer_norm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::native_layer_norm.out";
  ArgReader r(ctx, args, op, 9);
  const portable::LayerNormArgs a = portable::read_layer_norm_args(r);
  if (!r.ok()) return;
  Tensor *input = a.input, *weight = a.weight, *bias = a.bias;
  Tensor *out0 = a.out0, *out1 = a.out1, *out2 = a.out2;
  const Span<const int64_t> shape = a.normalized_shape;
  const double eps = a.eps;
  const int ndim = input->dim();
  int axis = 0;
  const bool fast = rows_apply(*input, shape, weight, bias, &axis) &&
                    out0->dtype() == ScalarType::Float && out1->dtype() == ScalarType::Float &&
                    out2->dtype() == ScalarType::Float && out0->is_contiguous_order() &&
                    out1->is_contiguous_order() && out2->is_contiguous_order();
  if (!fast) {
    portable::native_layer_norm_out(ctx, args);
    return;
  }
  int64_t sizes[kMaxRank], stat_sizes[kMaxRank];
  tensor_sizes(*input, sizes);
  for (int d = 0; d < ndim; ++d) stat_sizes[d] = d < axis ? sizes[d] : 1;
  if (!resize_out(ctx, op, "out0", *out0, sizes, ndim) ||
      !resize_out(ctx, op, "out1", *out1, stat_sizes, ndim) ||
      !resize_out(ctx, op, "out2", *out2, stat_sizes, ndim)) {
    return;
  }
  int64_t len = 1;
  for (int d = axis; d < ndim; ++d) len *= sizes[d];
  int64_t rows = 1;
  for (int d = 0; d < axis; ++d) rows *= sizes[d];
  if (rows == 0) return;
  const float* x = input->data_as<const float>();
  float* y = out0->data_as<float>();
  float* mean = out1->data_as<float>();  // resized to one value per row above
  float* rstd = out2->data_as<float>();
  const float* w = weight != nullptr ? weight->data_as<const float>() : nullptr;
  const float* b = bias != nullptr ? bias->data_as<const float>() : nullptr;
  if (len == 0) {
    // torch: the mean of nothing is NaN, and so is its rstd.
    portable::native_layer_norm_out(ctx, args);
    return;
  }
  const SimdKernels& kern = simd();
  parallel_rows(rows, len, [&](int64_t i) {
    kern.layer_norm_row(x + i * len, y + i * len, len, w, b, static_cast<float>(eps),
                        mean + i, rstd + i);
  }, kMathGrain);
}

void rms_norm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::rms_norm.out";
  ArgReader r(ctx, args, op, 6);
  const portable::RmsNormArgs a = portable::read_rms_norm_args(r);
  if (!r.ok()) return;
  Tensor *input = a.input, *weight = a.weight, *out = a.out;
  const Span<const int64_t> shape = a.normalized_shape;
  const int ndim = input->dim();
  int axis = 0;
  const bool fast = a.eps >= 0.0 && rows_apply(*input, shape, weight, nullptr, &axis) &&
                    out->dtype() == ScalarType::Float && out->is_contiguous_order();
  int64_t len = 1;
  for (int d = axis; fast && d < ndim; ++d) len *= input->size(d);
  if (!fast || len == 0) {  // (the mean of nothing is NaN: the portable kernel's case)
    portable::rms_norm_out(ctx, args);
    return;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*input, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  int64_t rows = 1;
  for (int d = 0; d < axis; ++d) rows *= sizes[d];
  const float* x = input->data_as<const float>();
  float* y = out->data_as<float>();
  const float* w = weight != nullptr ? weight->data_as<const float>() : nullptr;
  const float eps = static_cast<float>(a.eps);
  const SimdKernels& kern = simd();
  parallel_rows(
      rows, len, [&](int64_t i) { kern.rms_norm_row(x + i * len, y + i * len, len, w, eps); },
      kMathGrain);
}

}  // namespace optimized
}  // namespace ember
