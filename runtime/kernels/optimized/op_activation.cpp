// Pointwise activations over float32 (gelu, sigmoid, tanh, exp, silu,
// hardswish; relu,
// hardtanh and clamp with Scalar bounds): the vector loops of simd_kernels.h
// over the flat data, split over the thread pool.
// Off the fast path (another dtype, different dim orders) the portable
// kernel runs.
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

/// Whether self -> out can run as one flat float32 loop.
bool flat_float(const Tensor& self, const Tensor& out) {
  if (self.dtype() != ScalarType::Float || out.dtype() != ScalarType::Float) return false;
  for (int32_t d = 0; d < self.dim(); ++d) {
    if (d >= out.dim() || self.dim_order()[d] != out.dim_order()[d]) return false;
  }
  return self.dim() == out.dim();
}

/// out = op(self), elementwise; false (nothing done, nothing failed) when
/// the call is off the fast path. Fails the call if out cannot take self's sizes.
bool run_unary(KernelContext& ctx, const char* op, UnaryOp kind, const Tensor& self, Tensor& out) {
  if (!flat_float(self, out)) return false;
  const SimdKernels& k = simd();
  map_flat(
      ctx, op, self, out, [&](const float* x, float* y, int64_t n) { k.unary(kind, x, y, n); },
      kMathGrain);
  return true;
}

/// out = clamp(self, lo, hi) elementwise, as run_unary.
bool run_clamp(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out, float lo,
               float hi) {
  if (!flat_float(self, out) || lo != lo || hi != hi) return false;  // NaN bounds: portable
  const SimdKernels& k = simd();
  map_flat(ctx, op, self, out,
           [&](const float* x, float* y, int64_t n) { k.clamp(x, y, n, lo, hi); });
  return true;
}

/// A kernel of schema (Tensor self, *, Tensor(a!) out).
void simple_unary(KernelContext& ctx, Span<EValue*> args, const char* op, UnaryOp kind,
                  KernelFn reference) {
  if (args.size() == 3 && args[0]->is_tensor() && args[1]->is_tensor() &&
      run_unary(ctx, op, kind, args[0]->to_tensor(), args[1]->to_tensor())) {
    return;
  }
  reference(ctx, args);
}

}  // namespace

void gelu_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::gelu.out";
  ArgReader r(ctx, args, op, 4);
  Tensor* self = r.tensor(0, "self");
  Span<const char> approximate;
  const bool has_mode = r.optional_string(1, "approximate", &approximate);
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const bool is_tanh = has_mode && string_equals(approximate, "tanh");
  const bool is_none = !has_mode || string_equals(approximate, "none");
  if ((is_tanh || is_none) &&
      run_unary(ctx, op, is_tanh ? UnaryOp::GeluTanh : UnaryOp::GeluErf, *self, *out)) {
    return;
  }
  portable::gelu_out(ctx, args);  // other dtypes and layouts, and the errors
}

void relu_out(KernelContext& ctx, Span<EValue*> args) {
  if (args.size() == 3 && args[0]->is_tensor() && args[1]->is_tensor() &&
      run_clamp(ctx, "aten::relu.out", args[0]->to_tensor(), args[1]->to_tensor(), 0.0f,
                INFINITY)) {
    return;
  }
  portable::relu_out(ctx, args);
}

void hardtanh_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::hardtanh.out";
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  const Scalar lo = r.scalar(1, "min_val");
  const Scalar hi = r.scalar(2, "max_val");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  float flo = 0.0f, fhi = 0.0f;
  // A bound that does not fit float32 runs the portable kernel, which reports it.
  if (lo.to(&flo) && hi.to(&fhi) && run_clamp(ctx, op, *self, *out, flo, fhi)) {
    return;
  }
  portable::hardtanh_out(ctx, args);
}

void clamp_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::clamp.out";
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  const bool has_lo = r.ok() && !arg_is_none(args, 1);
  const bool has_hi = r.ok() && !arg_is_none(args, 2);
  const Scalar lo = has_lo ? r.scalar(1, "min") : Scalar();
  const Scalar hi = has_hi ? r.scalar(2, "max") : Scalar();
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  float flo = -INFINITY, fhi = INFINITY;
  if ((has_lo || has_hi) && (!has_lo || lo.to(&flo)) && (!has_hi || hi.to(&fhi)) &&
      run_clamp(ctx, op, *self, *out, flo, fhi)) {
    return;
  }
  portable::clamp_out(ctx, args);
}

void sigmoid_out(KernelContext& ctx, Span<EValue*> args) {
  simple_unary(ctx, args, "aten::sigmoid.out", UnaryOp::Sigmoid, &portable::sigmoid_out);
}

void tanh_out(KernelContext& ctx, Span<EValue*> args) {
  simple_unary(ctx, args, "aten::tanh.out", UnaryOp::Tanh, &portable::tanh_out);
}

void silu_out(KernelContext& ctx, Span<EValue*> args) {
  simple_unary(ctx, args, "aten::silu.out", UnaryOp::Silu, &portable::silu_out);
}

void hardswish_out(KernelContext& ctx, Span<EValue*> args) {
  simple_unary(ctx, args, "aten::hardswish.out", UnaryOp::Hardswish, &portable::hardswish_out);
}

void exp_out(KernelContext& ctx, Span<EValue*> args) {
  simple_unary(ctx, args, "aten::exp.out", UnaryOp::Exp, &portable::exp_out);
}

}  // namespace optimized
}  // namespace ember
