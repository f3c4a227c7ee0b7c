// Reference kernel of ember::quantized_cat, which ember-fold-quantized-cat
// makes from dequantize_per_tensor of each input, cat, quantize_per_tensor.
// It takes the pattern's float32 steps value by value: (q - zp_i) * scale_i,
// then quantize_per_tensor's round-half-even of x * float(1 / out_scale),
// plus the output zero point, clamped. Nothing is rounded differently, so the
// result is the reference path's bits. When an input has the output's
// parameters that round trip gives its values back (|q - zp| <= 255, so the
// product's rounding error is far below half a step), clamped: the optimized
// kernel copies bytes there.
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/quantize_util.h"
#include "runtime/kernels/portable/quantized_cat.h"

namespace ember {
namespace portable {
namespace {

using namespace quant;

/// A float[] argument (a DoubleList).
Span<const double> read_doubles(ArgReader& r, Span<EValue*> args, size_t i, const char* name) {
  if (!r.ok()) return {};
  const EValue* v = args[i];
  if (v == nullptr || v->tag != Tag::DoubleList) {
    r.fail(Error::InvalidArgument, "argument %zu (%s) should be a DoubleList", i, name);
    return {};
  }
  return Span<const double>(v->payload.as_double_list.items, v->payload.as_double_list.size);
}

}  // namespace

bool quantized_cat_prepare(KernelContext& ctx, Span<EValue*> args, QuantizedCatCall* call) {
  const char* op = "ember::quantized_cat.out";
  ArgReader r(ctx, args, op, 10);
  call->tensors = r.tensor_list(0, "tensors");
  call->scales = read_doubles(r, args, 1, "scales");
  call->zero_points = r.int_list(2, "zero_points");
  const int64_t dim_arg = r.integer(3, "dim");
  call->out_scale = r.real(4, "output_scale");
  call->out_zero_point = r.integer(5, "output_zero_point");
  call->qmin = r.integer(6, "quant_min");
  call->qmax = r.integer(7, "quant_max");
  call->out = r.tensor(8, "out");
  if (!r.ok()) return false;
  const Span<EValue* const> tensors = call->tensors;
  Tensor& out = *call->out;
  if (tensors.empty()) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "tensors is empty");
  }
  if (call->scales.size() != tensors.size() || call->zero_points.size() != tensors.size()) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "%zu tensors need as many scales and zero points, got %zu and %zu",
                       tensors.size(), call->scales.size(), call->zero_points.size());
  }
  const ScalarType dtype = out.dtype();
  if (dtype != ScalarType::Char && dtype != ScalarType::Byte) {
    return reject_dtype(ctx, op, "out", dtype);
  }
  const int64_t lo = dtype == ScalarType::Byte ? 0 : -128;
  ScalarType checked = dtype;
  if (!check_qrange(ctx, op, static_cast<int64_t>(dtype), call->qmin, call->qmax, &checked) ||
      !check_scale(ctx, op, call->out_scale) ||
      !check_zero_point(ctx, op, call->out_zero_point, lo, lo + 255) ||
      !check_contiguous(ctx, op, "out", out)) {
    return false;
  }
  const Tensor& first = tensors[0]->to_tensor();
  const int ndim = first.dim();
  int64_t dim = 0;
  if (!(ndim > 0 && normalize_dim(dim_arg, ndim, &dim))) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "dim %lld is out of range for %d-d tensors",
                       static_cast<long long>(dim_arg), ndim);
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(first, sizes);
  sizes[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i]->to_tensor();
    if (t.dtype() != dtype) {
      return kernel_fail(ctx, Error::InvalidArgument, op, "tensor %zu has dtype %s, out has %s", i,
                         scalar_type_name(t.dtype()), scalar_type_name(dtype));
    }
    if (!check_contiguous(ctx, op, "tensors", t) || !check_scale(ctx, op, call->scales[i]) ||
        !check_zero_point(ctx, op, call->zero_points[i], lo, lo + 255)) {
      return false;
    }
    bool fits = t.dim() == ndim;
    for (int d = 0; fits && d < ndim; ++d) fits = d == dim || t.size(d) == first.size(d);
    if (!fits) {
      return kernel_fail(ctx, Error::InvalidArgument, op,
                         "tensor %zu has sizes %s, incompatible with %s along dim %lld", i,
                         sizes_text(t.sizes()).text, sizes_text(first.sizes()).text,
                         static_cast<long long>(dim));
    }
    sizes[dim] += t.size(static_cast<int32_t>(dim));
  }
  if (!resize_out(ctx, op, "out", out, sizes, ndim)) return false;
  // out [outer, sum of the inputs' dim, inner]: input i fills a run of
  // size_i(dim) * inner values in each of the outer rows.
  call->outer = 1;
  call->inner = 1;
  for (int d = 0; d < dim; ++d) call->outer *= sizes[d];
  for (int d = static_cast<int>(dim) + 1; d < ndim; ++d) call->inner *= sizes[d];
  call->dim = dim;
  return true;
}

void quantized_cat_out(KernelContext& ctx, Span<EValue*> args) {
  QuantizedCatCall c;
  if (!quantized_cat_prepare(ctx, args, &c)) return;
  Tensor& out = *c.out;
  const int64_t row = out.numel() / (c.outer ? c.outer : 1);  // values per outer row of out
  const float inv = static_cast<float>(1.0 / c.out_scale);
  const float zo = static_cast<float>(c.out_zero_point);
  const float lo = static_cast<float>(c.qmin), hi = static_cast<float>(c.qmax);
  int64_t offset = 0;  // of input i's run within an outer row of out
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    const Tensor& t = c.tensors[i]->to_tensor();
    const int64_t run = t.size(static_cast<int32_t>(c.dim)) * c.inner;
    const float fs = static_cast<float>(c.scales[i]), fz = static_cast<float>(c.zero_points[i]);
    for (int64_t o = 0; o < c.outer; ++o) {
      for (int64_t j = 0; j < run; ++j) {
        const float x = (static_cast<float>(load_integer(t, o * run + j)) - fz) * fs;
        store_quantized(out, o * row + offset + j, quantize_one(x, inv, zo, lo, hi));
      }
    }
    offset += run;
  }
}

}  // namespace portable
}  // namespace ember
