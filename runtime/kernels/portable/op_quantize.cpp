// Reference kernels of the quantize/dequantize ops: PT2E's
// quantized_decomposed ops (ExecuTorch's kernel names) and torchao's affine
// ops. Each computes what PyTorch's own implementation computes, operation
// by operation in the same precision, so that a quantized model that runs
// here gives eager PyTorch's integers bit for bit:
//
//   quantize:   q = clamp(nearbyint(x * float(1 / scale)) + float(zp), qmin, qmax)
//               (float32; torch.round is round-half-to-even; a NaN becomes 0)
//   dequantize: x = (float(q) - float(zp)) * float(scale)
//
// They are what a quantized graph runs when no quantized kernel or backend
// takes a pattern (the passes in quantizer/ fold the common ones away).
// Tensors must be contiguous; scales float32 (float64 too for the
// one-element scale of the .tensor overloads); zero points any integer type
// (float32 too for torchao's).
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/quantize_util.h"

namespace ember {
namespace portable {
namespace {

using namespace quant;

/// The per-tensor quantize: scale as PyTorch's `1.0 / scale` in double,
/// then float32 for the multiply (a Python float scalar's precision in a
/// float32 tensor op).
bool run_quantize_per_tensor(KernelContext& ctx, const char* op, const Tensor& in, double scale,
                             int64_t zp, int64_t qmin, int64_t qmax, int64_t code, Tensor& out) {
  ScalarType dtype = ScalarType::Char;
  if (!check_float_input(ctx, op, "input", in) || !check_qrange(ctx, op, code, qmin, qmax,
                                                                &dtype) ||
      !check_scale(ctx, op, scale) || !check_zero_point(ctx, op, zp, qmin, qmax) ||
      !prepare_out(ctx, op, in, out, dtype) || !check_contiguous(ctx, op, "out", out)) {
    return false;
  }
  const float inv = static_cast<float>(1.0 / scale);
  const float fzp = static_cast<float>(zp), lo = static_cast<float>(qmin),
              hi = static_cast<float>(qmax);
  for (int64_t i = 0; i < in.numel(); ++i) {
    store_quantized(out, i, quantize_one(load_float(in, i), inv, fzp, lo, hi));
  }
  return true;
}

bool run_dequantize_per_tensor(KernelContext& ctx, const char* op, const Tensor& in, double scale,
                               int64_t zp, int64_t qmin, int64_t qmax, int64_t code,
                               int64_t out_code, Tensor& out) {
  ScalarType dtype = ScalarType::Char;
  if (!check_qrange(ctx, op, code, qmin, qmax, &dtype) || !check_scale(ctx, op, scale) ||
      !check_zero_point(ctx, op, zp, qmin, qmax)) {
    return false;
  }
  if (!(in.dtype() == dtype)) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "input dtype %d does not match dtype %d",
                       static_cast<int>(in.dtype()), static_cast<int>(dtype));
  }
  if (!check_contiguous(ctx, op, "input", in) || !check_float_out(ctx, op, in, out, out_code)) {
    return false;
  }
  if (out.dtype() == ScalarType::Double) {  // all in float64, as torch computes it
    for (int64_t i = 0; i < in.numel(); ++i) {
      out.data_as<double>()[i] = (static_cast<double>(load_integer(in, i)) - zp) * scale;
    }
    return true;
  }
  // float32 (and 16-bit outputs: each op's result rounded to the output
  // type, as torch's sub then mul on a 16-bit tensor do).
  const float fzp = static_cast<float>(zp), fscale = static_cast<float>(scale);
  const bool half = out.dtype() != ScalarType::Float;
  for (int64_t i = 0; i < in.numel(); ++i) {
    float d = static_cast<float>(load_integer(in, i)) - fzp;
    if (half) {
      store_float(out, i, d);
      d = load_float(out, i);
    }
    store_float(out, i, d * fscale);
  }
  return true;
}

/// A one-element scale and zero point of the .tensor overloads (torch reads
/// them with .item()).
bool read_one(KernelContext& ctx, const char* op, const Tensor& scale, const Tensor& zp,
              double* s, int64_t* z) {
  if (!(scale.numel() == 1 && zp.numel() == 1)) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "scale and zero_point must have one element, got %lld and %lld",
                       static_cast<long long>(scale.numel()), static_cast<long long>(zp.numel()));
  }
  if (!(scale.dtype() == ScalarType::Float || scale.dtype() == ScalarType::Double)) {
    return kernel_fail(ctx, Error::NotSupported, op,
                       "scale must be float32 or float64, got dtype %d",
                       static_cast<int>(scale.dtype()));
  }
  if (!(is_integer_dtype(zp.dtype()))) {
    return kernel_fail(ctx, Error::NotSupported, op,
                       "zero_point must be an integer tensor, got dtype %d",
                       static_cast<int>(zp.dtype()));
  }
  *s = load_number(scale, 0);
  *z = load_integer(zp, 0);
  return true;
}

}  // namespace

void quantize_per_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::quantize_per_tensor.out";
  ArgReader r(ctx, args, op, 8);
  Tensor* in = r.tensor(0, "input");
  const double scale = r.real(1, "scale");
  const int64_t zp = r.integer(2, "zero_point");
  const int64_t qmin = r.integer(3, "quant_min"), qmax = r.integer(4, "quant_max");
  const int64_t code = r.integer(5, "dtype");
  Tensor* out = r.tensor(6, "out");
  if (!r.ok()) return;
  run_quantize_per_tensor(ctx, op, *in, scale, zp, qmin, qmax, code, *out);
}

void quantize_per_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::quantize_per_tensor.Tensor_out";
  ArgReader r(ctx, args, op, 8);
  Tensor* in = r.tensor(0, "input");
  Tensor* scale = r.tensor(1, "scale");
  Tensor* zp = r.tensor(2, "zero_point");
  const int64_t qmin = r.integer(3, "quant_min"), qmax = r.integer(4, "quant_max");
  const int64_t code = r.integer(5, "dtype");
  Tensor* out = r.tensor(6, "out");
  if (!r.ok()) return;
  double s = 0.0;
  int64_t z = 0;
  if (!read_one(ctx, op, *scale, *zp, &s, &z)) return;
  run_quantize_per_tensor(ctx, op, *in, s, z, qmin, qmax, code, *out);
}

void dequantize_per_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::dequantize_per_tensor.out";
  ArgReader r(ctx, args, op, 9);
  Tensor* in = r.tensor(0, "input");
  const double scale = r.real(1, "scale");
  const int64_t zp = r.integer(2, "zero_point");
  const int64_t qmin = r.integer(3, "quant_min"), qmax = r.integer(4, "quant_max");
  const int64_t code = r.integer(5, "dtype");
  int64_t out_code = static_cast<int64_t>(ScalarType::Float);
  r.optional_integer(6, "out_dtype", &out_code);
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  run_dequantize_per_tensor(ctx, op, *in, scale, zp, qmin, qmax, code, out_code, *out);
}

void dequantize_per_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::dequantize_per_tensor.Tensor_out";
  ArgReader r(ctx, args, op, 9);
  Tensor* in = r.tensor(0, "input");
  Tensor* scale = r.tensor(1, "scale");
  Tensor* zp = r.tensor(2, "zero_point");
  const int64_t qmin = r.integer(3, "quant_min"), qmax = r.integer(4, "quant_max");
  const int64_t code = r.integer(5, "dtype");
  int64_t out_code = static_cast<int64_t>(ScalarType::Float);
  r.optional_integer(6, "out_dtype", &out_code);
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  double s = 0.0;
  int64_t z = 0;
  if (!read_one(ctx, op, *scale, *zp, &s, &z)) return;
  run_dequantize_per_tensor(ctx, op, *in, s, z, qmin, qmax, code, out_code, *out);
}

}  // namespace portable
}  // namespace ember
