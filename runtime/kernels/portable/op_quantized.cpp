// Reference kernels of Ember's quantized ops (ember::quantized_convolution,
// quantized_linear, quantized_add, quantized_mul, quantized_mean,
// quantized_lut, linear_dynamic_int8, linear_lowbit), the ops quantizer/ folds
// dequantize -> op -> quantize patterns into. Each
// computes literally what the pattern it replaces computes in eager PyTorch:
// dequantize to float32 (quantize_util.h's formulas), the float op, then
// quantize. They are the ground truth the optimized kernels
// (runtime/kernels/optimized, integer GEMMs) are tested against, and the
// fallback off those kernels' fast paths. Dequantized copies live in the
// method's temp memory (KernelContext::allocate_temp).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/convolution.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/quantize_util.h"
#include "runtime/kernels/portable/reduce_util.h"

namespace ember {
namespace portable {
namespace {

using namespace quant;

/// Temp memory of `count` floats, or nullptr after failing the call.
float* temp_floats(KernelContext& ctx, const char* op, int64_t count, const char* what) {
  const size_t bytes = static_cast<size_t>(count > 0 ? count : 1) * sizeof(float);
  void* p = ctx.allocate_temp(bytes);
  if (p == nullptr) {
    kernel_fail(ctx, Error::MemoryAllocationFailed, op,
                "needs %zu bytes of temp memory for the float %s", bytes, what);
  }
  return static_cast<float*>(p);
}

/// A quantized activation (int8 or uint8, contiguous) with its parameters.
bool check_activation(KernelContext& ctx, const char* op, const char* name, const Tensor& t,
                      double scale, int64_t zp) {
  if (t.dtype() != ScalarType::Char && t.dtype() != ScalarType::Byte) {
    return reject_dtype(ctx, op, name, t.dtype());
  }
  const int64_t lo = t.dtype() == ScalarType::Byte ? 0 : -128;
  return check_contiguous(ctx, op, name, t) && check_scale(ctx, op, scale) &&
         check_zero_point(ctx, op, zp, lo, lo + 255);
}

/// dequantize_per_tensor of a whole activation into `dst`.
void dequantize_activation(const Tensor& t, double scale, int64_t zp, float* dst) {
  const float fzp = static_cast<float>(zp), fs = static_cast<float>(scale);
  for (int64_t i = 0; i < t.numel(); ++i) {
    dst[i] = (static_cast<float>(load_integer(t, i)) - fzp) * fs;
  }
}

/// int8 weight [N, ...] with float32 scales [N] or [1] (zero point 0),
/// dequantized per output channel into `dst` (torch's dequantize_per_channel:
/// float(q) * scale).
bool check_weight(KernelContext& ctx, const char* op, const Tensor& w, const Tensor& scales) {
  if (w.dtype() != ScalarType::Char) return reject_dtype(ctx, op, "weight", w.dtype());
  if (scales.dtype() != ScalarType::Float) {
    return reject_dtype(ctx, op, "weight_scales", scales.dtype());
  }
  if (w.dim() < 1 || !(scales.numel() == 1 || scales.numel() == w.size(0))) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "weight_scales has %lld entries for a weight of %d output channels",
                       static_cast<long long>(scales.numel()), w.dim() ? w.size(0) : 0);
  }
  for (int64_t i = 0; i < scales.numel(); ++i) {
    if (!check_scale(ctx, op, scales.data_as<const float>()[i])) return false;
  }
  return check_contiguous(ctx, op, "weight", w) && check_contiguous(ctx, op, "weight_scales",
                                                                    scales);
}

void dequantize_weight(const Tensor& w, const Tensor& scales, float* dst) {
  const int64_t n = w.size(0), per = n ? w.numel() / n : 0;
  const float* s = scales.data_as<const float>();
  const int8_t* q = w.data_as<const int8_t>();
  for (int64_t o = 0; o < n; ++o) {
    const float so = s[scales.numel() == 1 ? 0 : o];
    for (int64_t i = 0; i < per; ++i) dst[o * per + i] = static_cast<float>(q[o * per + i]) * so;
  }
}

bool check_bias(KernelContext& ctx, const char* op, const Tensor* bias, int64_t n) {
  if (bias == nullptr) return true;
  if (bias->dtype() != ScalarType::Float) return reject_dtype(ctx, op, "bias", bias->dtype());
  if (bias->numel() != n) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "bias has %lld entries, expected %lld",
                       static_cast<long long>(bias->numel()), static_cast<long long>(n));
  }
  return check_contiguous(ctx, op, "bias", *bias);
}

/// The quantized output: int8 or uint8, clamp inside it, parameters valid.
bool check_output(KernelContext& ctx, const char* op, const Tensor& out, double scale, int64_t zp,
                  int64_t qmin, int64_t qmax) {
  ScalarType dtype = ScalarType::Char;
  if (out.dtype() != ScalarType::Char && out.dtype() != ScalarType::Byte) {
    return reject_dtype(ctx, op, "out", out.dtype());
  }
  const int64_t code = static_cast<int64_t>(out.dtype());
  const int64_t lo = out.dtype() == ScalarType::Byte ? 0 : -128;
  return check_qrange(ctx, op, code, qmin, qmax, &dtype) && check_scale(ctx, op, scale) &&
         check_zero_point(ctx, op, zp, lo, lo + 255) && check_contiguous(ctx, op, "out", out);
}

/// quantize_per_tensor of float results into the quantized out.
void quantize_output(const float* y, int64_t count, double scale, int64_t zp, int64_t qmin,
                     int64_t qmax, Tensor& out) {
  const float inv = static_cast<float>(1.0 / scale), fzp = static_cast<float>(zp);
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  for (int64_t i = 0; i < count; ++i) store_quantized(out, i, quantize_one(y[i], inv, fzp, lo, hi));
}

/// y[m, n] = x[m, k] . w[n, k]^T + bias[n], accumulated in double: the
/// exact product rounded once, the reference the fast kernels are held to.
void linear_rows(const float* x, const float* w, const Tensor* bias, int64_t m, int64_t n,
                 int64_t k, float* y) {
  const float* b = bias ? bias->data_as<const float>() : nullptr;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(x[i * k + p]) * w[j * k + p];
      y[i * n + j] = static_cast<float>(acc) + (b ? b[j] : 0.0f);
    }
  }
}

/// out's sizes: input's with the last dim replaced by n.
bool resize_linear_out(KernelContext& ctx, const char* op, const Tensor& in, int64_t n,
                       Tensor& out) {
  int64_t sizes[kMaxRank];
  tensor_sizes(in, sizes);
  sizes[in.dim() - 1] = n;
  return resize_out(ctx, op, "out", out, sizes, in.dim());
}

/// input [..., K] against weight [N, K] (or [N, K / 2] packed for 4 bits).
bool check_linear_shapes(KernelContext& ctx, const char* op, const Tensor& in, const Tensor& w,
                         int64_t k_of_weight) {
  if (in.dim() < 1 || w.dim() != 2 || in.size(in.dim() - 1) != k_of_weight) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "input %s does not match weight %s ([..., K] by [N, K])",
                       sizes_text(in.sizes()).text, sizes_text(w.sizes()).text);
  }
  return true;
}

}  // namespace

void quantized_linear_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_linear.out";
  ArgReader r(ctx, args, op, 12);
  Tensor* in = r.tensor(0, "input");
  const double in_scale = r.real(1, "input_scale");
  const int64_t in_zp = r.integer(2, "input_zero_point");
  Tensor* w = r.tensor(3, "weight");
  Tensor* scales = r.tensor(4, "weight_scales");
  Tensor* bias = r.optional_tensor(5, "bias");
  const double out_scale = r.real(6, "output_scale");
  const int64_t out_zp = r.integer(7, "output_zero_point");
  const int64_t qmin = r.integer(8, "quant_min"), qmax = r.integer(9, "quant_max");
  Tensor* out = r.tensor(10, "out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, w->dim() == 2, InvalidArgument, op, "weight must be 2-d");
  if (!check_activation(ctx, op, "input", *in, in_scale, in_zp) ||
      !check_weight(ctx, op, *w, *scales) || !check_linear_shapes(ctx, op, *in, *w, w->size(1)) ||
      !check_bias(ctx, op, bias, w->size(0)) ||
      !check_output(ctx, op, *out, out_scale, out_zp, qmin, qmax) ||
      !resize_linear_out(ctx, op, *in, w->size(0), *out)) {
    return;
  }
  const int64_t n = w->size(0), k = w->size(1), m = k ? in->numel() / k : 0;
  float* x = temp_floats(ctx, op, in->numel(), "input");
  float* wf = x ? temp_floats(ctx, op, w->numel(), "weight") : nullptr;
  float* y = wf ? temp_floats(ctx, op, m * n, "output") : nullptr;
  if (y == nullptr) return;
  dequantize_activation(*in, in_scale, in_zp, x);
  dequantize_weight(*w, *scales, wf);
  linear_rows(x, wf, bias, m, n, k, y);
  quantize_output(y, m * n, out_scale, out_zp, qmin, qmax, *out);
}

namespace {


/// quantized_convolution(_nhwc): channels-last activations are [N, H, W, C]
/// (2-d only), computed as the NCHW convolution of their transposes.
void quantized_conv(KernelContext& ctx, Span<EValue*> args, const char* op, bool nhwc) {
  ArgReader r(ctx, args, op, 16);
  Tensor* in = r.tensor(0, "input");
  const double in_scale = r.real(1, "input_scale");
  const int64_t in_zp = r.integer(2, "input_zero_point");
  Tensor* w = r.tensor(3, "weight");
  Tensor* scales = r.tensor(4, "weight_scales");
  Tensor* bias = r.optional_tensor(5, "bias");
  Span<const int64_t> stride = r.int_list(6, "stride");
  Span<const int64_t> padding = r.int_list(7, "padding");
  Span<const int64_t> dilation = r.int_list(8, "dilation");
  const int64_t groups = r.integer(9, "groups");
  const double out_scale = r.real(10, "output_scale");
  const int64_t out_zp = r.integer(11, "output_zero_point");
  const int64_t qmin = r.integer(12, "quant_min"), qmax = r.integer(13, "quant_max");
  Tensor* out = r.tensor(14, "out");
  if (!r.ok()) return;
  if (!check_activation(ctx, op, "input", *in, in_scale, in_zp) ||
      !check_weight(ctx, op, *w, *scales) ||
      !check_output(ctx, op, *out, out_scale, out_zp, qmin, qmax)) {
    return;
  }
  const int rank = in->dim(), spatial = rank - 2;
  EMBER_KERNEL_CHECK(ctx, !nhwc || rank == 4, InvalidArgument, op,
                     "expects a 4-d channels-last input [N, H, W, C], got %s",
                     sizes_text(in->sizes()).text);
  EMBER_KERNEL_CHECK(ctx, (rank == 3 || rank == 4) && w->dim() == rank &&
                              static_cast<int>(stride.size()) == spatial &&
                              static_cast<int>(padding.size()) == spatial &&
                              static_cast<int>(dilation.size()) == spatial,
                     InvalidArgument, op,
                     "expects a 3-d or 4-d input, a weight of its rank and %d-entry stride, "
                     "padding and dilation", spatial);
  ConvShape s{};
  s.n = in->size(0);
  s.in_c = in->size(nhwc ? 3 : 1);
  s.out_c = w->size(0);
  s.groups = groups;
  s.in_h = spatial == 2 ? in->size(nhwc ? 1 : 2) : 1;
  s.in_w = in->size(nhwc ? 2 : rank - 1);
  s.k_h = spatial == 2 ? w->size(2) : 1;
  s.k_w = w->size(rank - 1);
  s.stride_h = spatial == 2 ? stride[0] : 1;
  s.stride_w = stride[spatial - 1];
  s.pad_h = spatial == 2 ? padding[0] : 0;
  s.pad_w = padding[spatial - 1];
  s.dil_h = spatial == 2 ? dilation[0] : 1;
  s.dil_w = dilation[spatial - 1];
  EMBER_KERNEL_CHECK(ctx, groups >= 1 && s.out_c % groups == 0 && s.in_c == w->size(1) * groups,
                     InvalidArgument, op,
                     "input channels %lld do not match weight %s with %lld group(s)",
                     static_cast<long long>(s.in_c), sizes_text(w->sizes()).text,
                     static_cast<long long>(groups));
  EMBER_KERNEL_CHECK(ctx, s.stride_h >= 1 && s.stride_w >= 1 && s.dil_h >= 1 && s.dil_w >= 1 &&
                              s.pad_h >= 0 && s.pad_w >= 0,
                     InvalidArgument, op,
                     "stride and dilation must be positive, padding not negative");
  const int64_t span_h = s.dil_h * (s.k_h - 1) + 1, span_w = s.dil_w * (s.k_w - 1) + 1;
  EMBER_KERNEL_CHECK(ctx, s.in_h + 2 * s.pad_h >= span_h && s.in_w + 2 * s.pad_w >= span_w,
                     InvalidArgument, op, "the kernel is larger than the padded input");
  s.out_h = (s.in_h + 2 * s.pad_h - span_h) / s.stride_h + 1;
  s.out_w = (s.in_w + 2 * s.pad_w - span_w) / s.stride_w + 1;
  s.in_cg = s.in_c / groups;
  s.out_cg = s.out_c / groups;
  if (!check_bias(ctx, op, bias, s.out_c)) return;
  const int64_t sizes[4] = {s.n, s.out_c, spatial == 2 ? s.out_h : s.out_w, s.out_w};
  const int64_t nhwc_sizes[4] = {s.n, s.out_h, s.out_w, s.out_c};
  if (!resize_out(ctx, op, "out", *out, nhwc ? nhwc_sizes : sizes, rank)) return;
  // Channels-last: x and `moved` swap roles, each must hold input or output.
  const int64_t moved_count = std::max(in->numel(), out->numel());
  float* x = temp_floats(ctx, op, nhwc ? moved_count : in->numel(), "input");
  float* wf = x ? temp_floats(ctx, op, w->numel(), "weight") : nullptr;
  float* y = wf ? temp_floats(ctx, op, out->numel(), "output") : nullptr;
  float* moved = y && nhwc ? temp_floats(ctx, op, moved_count, "channels-last copy") : nullptr;
  if (y == nullptr || (nhwc && moved == nullptr)) return;
  dequantize_activation(*in, in_scale, in_zp, x);
  if (nhwc) {
    transpose_floats(x, s.n, s.in_h * s.in_w, s.in_c, moved);
    std::swap(x, moved);
  }
  dequantize_weight(*w, *scales, wf);
  ConvCall call;
  call.s = s;
  call.input = x;
  call.weight = wf;
  call.bias = bias ? bias->data_as<const float>() : nullptr;
  call.out = y;
  run_convolution(ctx, call);
  if (nhwc) {
    transpose_floats(y, s.n, s.out_c, s.out_h * s.out_w, moved);
    y = moved;
  }
  quantize_output(y, out->numel(), out_scale, out_zp, qmin, qmax, *out);
}

}  // namespace

void quantized_convolution_out(KernelContext& ctx, Span<EValue*> args) {
  quantized_conv(ctx, args, "ember::quantized_convolution.out", /*nhwc=*/false);
}

void quantized_convolution_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  quantized_conv(ctx, args, "ember::quantized_convolution_nhwc.out", /*nhwc=*/true);
}

void quantized_lut_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_lut.out";
  ArgReader r(ctx, args, op, 4);
  Tensor* in = r.tensor(0, "self");
  Tensor* table = r.tensor(1, "table");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const ScalarType d = in->dtype(), t = table->dtype();
  EMBER_KERNEL_CHECK(ctx, (d == ScalarType::Char || d == ScalarType::Byte) &&
                              (t == ScalarType::Char || t == ScalarType::Byte) &&
                              table->numel() == 256 && out->dtype() == t,
                     InvalidArgument, op,
                     "expects int8 or uint8 self, a table of 256 int8 or uint8 and out of the "
                     "table's dtype");
  if (!check_contiguous(ctx, op, "self", *in) || !check_contiguous(ctx, op, "table", *table) ||
      !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*in, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, in->dim())) return;
  // Index = the value's byte read as unsigned, plus 128 for int8 (table[0]
  // is the value -128): every byte names an entry, none reads outside.
  const uint8_t* x = in->data_as<const uint8_t>();
  const uint8_t* lut = table->data_as<const uint8_t>();
  uint8_t* y = out->data_as<uint8_t>();
  const uint8_t bias = d == ScalarType::Char ? 0x80 : 0;
  for (int64_t i = 0; i < in->numel(); ++i) y[i] = lut[static_cast<uint8_t>(x[i] ^ bias)];
}

namespace {

/// quantized_add and quantized_mul: both operands dequantized to float32,
/// combined, quantized (broadcasting; the same argument list).
template <typename Combine>
void quantized_binary(KernelContext& ctx, Span<EValue*> args, const char* op, Combine combine) {
  ArgReader r(ctx, args, op, 12);
  Tensor* a = r.tensor(0, "self");
  const double a_scale = r.real(1, "self_scale");
  const int64_t a_zp = r.integer(2, "self_zero_point");
  Tensor* b = r.tensor(3, "other");
  const double b_scale = r.real(4, "other_scale");
  const int64_t b_zp = r.integer(5, "other_zero_point");
  const double out_scale = r.real(6, "output_scale");
  const int64_t out_zp = r.integer(7, "output_zero_point");
  const int64_t qmin = r.integer(8, "quant_min"), qmax = r.integer(9, "quant_max");
  Tensor* out = r.tensor(10, "out");
  if (!r.ok()) return;
  if (!check_activation(ctx, op, "self", *a, a_scale, a_zp) ||
      !check_activation(ctx, op, "other", *b, b_scale, b_zp) ||
      !check_output(ctx, op, *out, out_scale, out_zp, qmin, qmax)) {
    return;
  }
  int64_t sizes[kMaxRank];
  int ndim = 0;
  EMBER_KERNEL_CHECK(ctx, broadcast_shapes(a->sizes(), b->sizes(), sizes, &ndim), InvalidArgument,
                     op, "shapes %s and %s do not broadcast", sizes_text(a->sizes()).text,
                     sizes_text(b->sizes()).text);
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  int64_t sa[kMaxRank], sb[kMaxRank], coord[kMaxRank] = {};
  broadcast_strides(*a, ndim, sizes, sa);
  broadcast_strides(*b, ndim, sizes, sb);
  const float fa = static_cast<float>(a_scale), fb = static_cast<float>(b_scale);
  const float za = static_cast<float>(a_zp), zb = static_cast<float>(b_zp);
  const float inv = static_cast<float>(1.0 / out_scale), zo = static_cast<float>(out_zp);
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < out->numel(); ++i) {
    const float y = combine((static_cast<float>(load_integer(*a, ia)) - za) * fa,
                            (static_cast<float>(load_integer(*b, ib)) - zb) * fb);
    store_quantized(*out, i, quantize_one(y, inv, zo, lo, hi));
    for (int d = ndim - 1; d >= 0; --d) {  // odometer over the output's coordinates
      ia += sa[d];
      ib += sb[d];
      if (++coord[d] < sizes[d]) break;
      ia -= sa[d] * sizes[d];
      ib -= sb[d] * sizes[d];
      coord[d] = 0;
    }
  }
}

}  // namespace

void quantized_add_out(KernelContext& ctx, Span<EValue*> args) {
  quantized_binary(ctx, args, "ember::quantized_add.out", [](float x, float y) { return x + y; });
}

void quantized_mul_out(KernelContext& ctx, Span<EValue*> args) {
  quantized_binary(ctx, args, "ember::quantized_mul.out", [](float x, float y) { return x * y; });
}

void quantized_mean_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_mean.out";
  ArgReader r(ctx, args, op, 11);
  Tensor* in = r.tensor(0, "self");
  const double in_scale = r.real(1, "self_scale");
  const int64_t in_zp = r.integer(2, "self_zero_point");
  Span<const int64_t> dims = r.int_list(3, "dim");
  const bool keepdim = r.boolean(4, "keepdim");
  const double out_scale = r.real(5, "output_scale");
  const int64_t out_zp = r.integer(6, "output_zero_point");
  const int64_t qmin = r.integer(7, "quant_min"), qmax = r.integer(8, "quant_max");
  Tensor* out = r.tensor(9, "out");
  if (!r.ok()) return;
  if (!check_activation(ctx, op, "self", *in, in_scale, in_zp) ||
      !check_output(ctx, op, *out, out_scale, out_zp, qmin, qmax)) {
    return;
  }
  EMBER_KERNEL_CHECK(ctx, !dims.empty(), InvalidArgument, op, "needs at least one dim");
  ReducePlan plan;
  const char* names[1] = {"out"};
  if (!plan_reduce(ctx, op, *in, dims, false, keepdim, &out, names, 1, &plan)) return;
  // aten::mean.out's steps on the dequantized values: a double sum, divided
  // by the count, rounded to float32; then quantize_per_tensor's.
  const float s = static_cast<float>(in_scale), z = static_cast<float>(in_zp);
  const float inv = static_cast<float>(1.0 / out_scale), zo = static_cast<float>(out_zp);
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  const double count = static_cast<double>(plan.count);
  for_each_output(plan, [&](const int64_t* off) {
    double acc = 0.0;
    for_each_reduced(plan, [&](int64_t i) {
      acc += static_cast<double>((static_cast<float>(load_integer(*in, off[0] + i)) - z) * s);
    });
    const float mean = plan.count == 0 ? NAN : static_cast<float>(acc / count);
    store_quantized(*out, off[1], quantize_one(mean, inv, zo, lo, hi));
  });
}

void linear_dynamic_int8_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::linear_dynamic_int8.out";
  ArgReader r(ctx, args, op, 9);
  Tensor* in = r.tensor(0, "input");
  Tensor* w = r.tensor(1, "weight");
  Tensor* scales = r.tensor(2, "weight_scales");
  Tensor* bias = r.optional_tensor(3, "bias");
  const int64_t qmin = r.integer(4, "quant_min"), qmax = r.integer(5, "quant_max");
  const double eps = r.real(6, "eps");
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  ScalarType dtype = ScalarType::Char;
  if (in->dtype() != ScalarType::Float) {
    reject_dtype(ctx, op, "input", in->dtype());
    return;
  }
  if (!check_contiguous(ctx, op, "input", *in) || !check_weight(ctx, op, *w, *scales) ||
      !check_qrange(ctx, op, static_cast<int64_t>(ScalarType::Char), qmin, qmax, &dtype)) {
    return;
  }
  EMBER_KERNEL_CHECK(ctx, qmin <= 0 && qmax >= 0 && qmin < qmax && eps >= 0.0, InvalidArgument,
                     op, "quantization range [%lld, %lld] must include 0, eps %g not negative",
                     static_cast<long long>(qmin), static_cast<long long>(qmax), eps);
  EMBER_KERNEL_CHECK(ctx, w->dim() == 2, InvalidArgument, op, "weight must be 2-d");
  if (!check_linear_shapes(ctx, op, *in, *w, w->size(1)) || !check_bias(ctx, op, bias,
                                                                        w->size(0)) ||
      !check_dtype(ctx, op, "out", *out, ScalarType::Float) ||
      !resize_linear_out(ctx, op, *in, w->size(0), *out) || !check_contiguous(ctx, op, "out",
                                                                              *out)) {
    return;
  }
  const int64_t n = w->size(0), k = w->size(1), m = k ? in->numel() / k : 0;
  float* x = temp_floats(ctx, op, in->numel(), "input");
  float* wf = x ? temp_floats(ctx, op, w->numel(), "weight") : nullptr;
  if (wf == nullptr) return;
  // choose_qparams.tensor, quantize_per_tensor.tensor, dequantize_per_tensor.tensor.
  const float* src = in->data_as<const float>();
  double scale = 1.0;
  int64_t zp = 0;
  choose_qparams_per_tensor(src, in->numel(), qmin, qmax, eps, &scale, &zp);
  const float inv = static_cast<float>(1.0 / scale), fzp = static_cast<float>(zp);
  const float fs = static_cast<float>(scale);
  for (int64_t i = 0; i < in->numel(); ++i) {
    const float q = quantize_one(src[i], inv, fzp, static_cast<float>(qmin),
                                 static_cast<float>(qmax));
    x[i] = (q - fzp) * fs;
  }
  dequantize_weight(*w, *scales, wf);
  linear_rows(x, wf, bias, m, n, k, out->data_as<float>());
}

void linear_lowbit_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::linear_lowbit.out";
  ArgReader r(ctx, args, op, 10);
  Tensor* in = r.tensor(0, "input");
  Tensor* w = r.tensor(1, "weight");
  Tensor* scales = r.tensor(2, "weight_scales");
  Tensor* zps = r.optional_tensor(3, "weight_zero_points");
  const int64_t bits = r.integer(4, "bits");
  const int64_t group = r.integer(5, "group_size");
  const bool quantize_input = r.boolean(6, "quantize_input");
  Tensor* bias = r.optional_tensor(7, "bias");
  Tensor* out = r.tensor(8, "out");
  if (!r.ok()) return;
  if (in->dtype() != ScalarType::Float) {
    reject_dtype(ctx, op, "input", in->dtype());
    return;
  }
  EMBER_KERNEL_CHECK(ctx, bits == 4 || bits == 8, InvalidArgument, op,
                     "bits must be 4 or 8, got %lld",
                     static_cast<long long>(bits));
  const ScalarType wtype = bits == 4 ? ScalarType::Byte : ScalarType::Char;
  EMBER_KERNEL_CHECK(ctx, w->dim() == 2 && w->dtype() == wtype && in->dim() >= 1, InvalidArgument,
                     op, "a %lld-bit weight must be 2-d %s", static_cast<long long>(bits),
                     bits == 4 ? "uint8 [N, K / 2]" : "int8 [N, K]");
  const int64_t n = w->size(0), k = bits == 4 ? w->size(1) * 2 : w->size(1);
  EMBER_KERNEL_CHECK(ctx, group >= 1 && k % group == 0 && (bits == 8 || group % 2 == 0),
                     InvalidArgument, op, "group size %lld does not divide K = %lld",
                     static_cast<long long>(group), static_cast<long long>(k));
  const int64_t groups = k / group;
  const ScalarType st = scales->dtype();
  EMBER_KERNEL_CHECK(ctx, (st == ScalarType::Float || st == ScalarType::Half ||
                           st == ScalarType::BFloat16) && scales->numel() == n * groups &&
                              (zps == nullptr || (zps->dtype() == ScalarType::Char &&
                                                  zps->numel() == n * groups)),
                     InvalidArgument, op,
                     "weight_scales (float32, float16 or bfloat16) and weight_zero_points (int8) "
                     "need %lld entries", static_cast<long long>(n * groups));
  // A 16-bit scale is exactly a float32 (torchao's dequantize_affine
  // multiplies in float32 with it).
  auto scale_at = [&](int64_t i) -> float {
    if (st == ScalarType::Half) return scales->data_as<const Half>()[i];
    if (st == ScalarType::BFloat16) return scales->data_as<const BFloat16>()[i];
    return scales->data_as<const float>()[i];
  };
  const int64_t wlo = bits == 4 ? -8 : -128, whi = bits == 4 ? 7 : 127;
  if (!check_linear_shapes(ctx, op, *in, *w, k) || !check_contiguous(ctx, op, "input", *in) ||
      !check_contiguous(ctx, op, "weight", *w) || !check_contiguous(ctx, op, "weight_scales",
                                                                    *scales) ||
      (zps && !check_contiguous(ctx, op, "weight_zero_points", *zps)) ||
      !check_bias(ctx, op, bias, n) || !check_dtype(ctx, op, "out", *out, ScalarType::Float) ||
      !resize_linear_out(ctx, op, *in, n, *out) || !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  for (int64_t i = 0; i < n * groups; ++i) {
    if (!check_scale(ctx, op, scale_at(i))) return;
    if (zps && !check_zero_point(ctx, op, zps->data_as<const int8_t>()[i], wlo, whi)) return;
  }
  const int64_t m = k ? in->numel() / k : 0;
  float* x = temp_floats(ctx, op, in->numel(), "input");
  float* wf = x ? temp_floats(ctx, op, n * k, "weight") : nullptr;
  if (wf == nullptr) return;
  const float* src = in->data_as<const float>();
  std::memcpy(x, src, static_cast<size_t>(in->numel()) * sizeof(float));
  if (quantize_input) {
    // torchao: choose_qparams_affine ASYMMETRIC per token (int8, eps the
    // smallest normal), quantize_affine, dequantize_affine.
    for (int64_t i = 0; i < m; ++i) {
      float lo = src[i * k], hi = src[i * k];
      for (int64_t p = 1; p < k; ++p) {
        lo = nan_min(lo, src[i * k + p]);
        hi = nan_max(hi, src[i * k + p]);
      }
      float scale = 1.0f, zp = 0.0f;
      asymmetric_qparams(lo, hi, -128.0f, 127.0f, kSmallestNormal, &scale, &zp);
      const float inv = 1.0f / scale;
      for (int64_t p = 0; p < k; ++p) {
        x[i * k + p] = (quantize_one(src[i * k + p], inv, zp, -128.0f, 127.0f) - zp) * scale;
      }
    }
  }
  // dequantize_affine of the weight: (float(q) - float(zp)) * scale per group.
  const uint8_t* packed = w->data_as<const uint8_t>();
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t p = 0; p < k; ++p) {
      int64_t q;
      if (bits == 4) {
        const uint8_t byte = packed[j * (k / 2) + p / 2];
        const int nib = (p % 2 == 0) ? (byte & 0xF) : (byte >> 4);
        q = nib >= 8 ? nib - 16 : nib;
      } else {
        q = w->data_as<const int8_t>()[j * k + p];
      }
      const int64_t g = j * groups + p / group;
      const float z = zps ? static_cast<float>(zps->data_as<const int8_t>()[g]) : 0.0f;
      wf[j * k + p] = (static_cast<float>(q) - z) * scale_at(g);
    }
  }
  linear_rows(x, wf, bias, m, n, k, out->data_as<float>());
}

}  // namespace portable
}  // namespace ember
