// PT2E's per-tensor quantize and dequantize (quantized_decomposed::
// quantize_per_tensor.out and dequantize_per_tensor.out) over contiguous
// float32 and int8/uint8: vector loops (simd_kernels.h) in chunks over the
// thread pool. They sit at the edges of what the quantized kernels take (a
// model's input and output, a float op between quantized ones) and compute
// exactly what the portable kernels compute; every other call (16-bit
// floats, int16/int32, a non-contiguous tensor, an out_dtype) runs the
// portable kernel, which also checks and reports bad parameters.
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

bool is_byte_type(ScalarType t) { return t == ScalarType::Char || t == ScalarType::Byte; }

/// Parameters the portable kernel would accept without a message: anything
/// else goes to it, so that it reports the problem.
bool plain_params(double scale, int64_t zp, int64_t qmin, int64_t qmax, ScalarType q) {
  const int64_t lo = q == ScalarType::Byte ? 0 : -128;
  return scale > 0.0 && std::isfinite(scale) && qmin >= lo && qmax <= lo + 255 && qmin <= qmax &&
         zp >= qmin && zp <= qmax;
}

/// The 1-element scale and zero point of the .tensor overloads, when they
/// are the plain kind (float32/64 scale, int64 zero point).
bool read_one(const Tensor& scale, const Tensor& zp, double* s, int64_t* z) {
  if (scale.numel() != 1 || zp.numel() != 1 || zp.dtype() != ScalarType::Long) return false;
  if (scale.dtype() == ScalarType::Float) {
    *s = scale.data_as<const float>()[0];
  } else if (scale.dtype() == ScalarType::Double) {
    *s = scale.data_as<const double>()[0];
  } else {
    return false;
  }
  *z = zp.data_as<const int64_t>()[0];
  return true;
}

/// Arguments of both quantize overloads (the scale and zero point read).
struct QuantizeCall {
  Tensor* input;
  double scale;
  int64_t zp, qmin, qmax, dtype;
  Tensor* out;
};

/// quantize_per_tensor in chunks; false when the call is off the fast path.
bool run_quantize(KernelContext& ctx, const char* op, const QuantizeCall& c) {
  const ScalarType q = static_cast<ScalarType>(c.dtype);
  if (c.dtype < 0 || c.dtype > 255 || !is_byte_type(q) || !is_dense_float(*c.input) ||
      c.out->dtype() != q || !c.out->is_contiguous_order() ||
      !plain_params(c.scale, c.zp, c.qmin, c.qmax, q)) {
    return false;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*c.input, sizes);
  if (!resize_out(ctx, op, "out", *c.out, sizes, c.input->dim())) return true;  // reported
  const float inv = static_cast<float>(1.0 / c.scale), zp = static_cast<float>(c.zp);
  const float lo = static_cast<float>(c.qmin), hi = static_cast<float>(c.qmax);
  const bool is_unsigned = q == ScalarType::Byte;
  const float* x = c.input->data_as<const float>();
  uint8_t* y = c.out->data_as<uint8_t>();
  const SimdKernels& k = simd();
  parallel_for(c.input->numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    k.quantize(x + begin, y + begin, end - begin, inv, zp, lo, hi, is_unsigned);
  });
  return true;
}

/// dequantize_per_tensor to float32 in chunks; false off the fast path.
bool run_dequantize(KernelContext& ctx, const char* op, const Tensor& in, double scale, int64_t zp,
                    int64_t qmin, int64_t qmax, int64_t dtype, bool has_out_dtype, Tensor& out) {
  const ScalarType q = static_cast<ScalarType>(dtype);
  if (dtype < 0 || dtype > 255 || !is_byte_type(q) || in.dtype() != q || has_out_dtype ||
      !in.is_contiguous_order() || out.dtype() != ScalarType::Float ||
      !out.is_contiguous_order() || !plain_params(scale, zp, qmin, qmax, q)) {
    return false;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(in, sizes);
  if (!resize_out(ctx, op, "out", out, sizes, in.dim())) return true;  // reported
  const bool is_unsigned = q == ScalarType::Byte;
  const float s = static_cast<float>(scale), z = static_cast<float>(zp);
  const uint8_t* x = in.data_as<const uint8_t>();
  float* y = out.data_as<float>();
  const SimdKernels& k = simd();
  parallel_for(in.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    k.dequantize(x + begin, y + begin, end - begin, s, z, is_unsigned);
  });
  return true;
}

}  // namespace

void quantize_per_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::quantize_per_tensor.out";
  ArgReader r(ctx, args, op, 8);
  QuantizeCall c{r.tensor(0, "input"), r.real(1, "scale"), r.integer(2, "zero_point"),
                 r.integer(3, "quant_min"), r.integer(4, "quant_max"), r.integer(5, "dtype"),
                 r.tensor(6, "out")};
  if (!r.ok()) return;
  if (!run_quantize(ctx, op, c)) portable::quantize_per_tensor_out(ctx, args);
}

void quantize_per_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::quantize_per_tensor.Tensor_out";
  ArgReader r(ctx, args, op, 8);
  Tensor* input = r.tensor(0, "input");
  Tensor* scale = r.tensor(1, "scale");
  Tensor* zp = r.tensor(2, "zero_point");
  QuantizeCall c{input, 0.0, 0, r.integer(3, "quant_min"), r.integer(4, "quant_max"),
                 r.integer(5, "dtype"), r.tensor(6, "out")};
  if (!r.ok()) return;
  if (!read_one(*scale, *zp, &c.scale, &c.zp) || !run_quantize(ctx, op, c)) {
    portable::quantize_per_tensor_tensor_out(ctx, args);
  }
}

void dequantize_per_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::dequantize_per_tensor.out";
  ArgReader r(ctx, args, op, 9);
  Tensor* in = r.tensor(0, "input");
  const double scale = r.real(1, "scale");
  const int64_t zp = r.integer(2, "zero_point");
  const int64_t qmin = r.integer(3, "quant_min"), qmax = r.integer(4, "quant_max");
  const int64_t dtype = r.integer(5, "dtype");
  int64_t out_dtype = 0;
  const bool has_out_dtype = r.optional_integer(6, "out_dtype", &out_dtype) &&
                             out_dtype != static_cast<int64_t>(ScalarType::Float);
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  if (!run_dequantize(ctx, op, *in, scale, zp, qmin, qmax, dtype, has_out_dtype, *out)) {
    portable::dequantize_per_tensor_out(ctx, args);
  }
}

void dequantize_per_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::dequantize_per_tensor.Tensor_out";
  ArgReader r(ctx, args, op, 9);
  Tensor* in = r.tensor(0, "input");
  Tensor* scale_t = r.tensor(1, "scale");
  Tensor* zp_t = r.tensor(2, "zero_point");
  const int64_t qmin = r.integer(3, "quant_min"), qmax = r.integer(4, "quant_max");
  const int64_t dtype = r.integer(5, "dtype");
  int64_t out_dtype = 0;
  const bool has_out_dtype = r.optional_integer(6, "out_dtype", &out_dtype) &&
                             out_dtype != static_cast<int64_t>(ScalarType::Float);
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  double scale = 0.0;
  int64_t zp = 0;
  if (!read_one(*scale_t, *zp_t, &scale, &zp) ||
      !run_dequantize(ctx, op, *in, scale, zp, qmin, qmax, dtype, has_out_dtype, *out)) {
    portable::dequantize_per_tensor_tensor_out(ctx, args);
  }
}

}  // namespace optimized
}  // namespace ember
