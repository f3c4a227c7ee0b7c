// Pointwise activations (relu, hardtanh, sigmoid, tanh, gelu) and softmax.
// Inputs and outputs may use any dim order: map_unary walks strides when
// the two orders differ.
#include <cmath>

#include "runtime/kernels/portable/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// Shared prologue of a unary op: out gets self's dtype and sizes.
bool prepare_unary(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out) {
  if (!check_dtype(ctx, op, "out", out, self.dtype())) return false;
  int64_t sizes[kMaxRank];
  tensor_sizes(self, sizes);
  return resize_out(ctx, op, "out", out, sizes, self.dim());
}

/// A float32-only unary op computing f(x).
template <typename F>
void float_unary(KernelContext& ctx, Span<EValue*> args, const char* op, F f) {
  ArgReader r(ctx, args, op, 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "self", *self, ScalarType::Float)) return;
  if (!prepare_unary(ctx, op, *self, *out)) return;
  map_unary<float, float>(*self, *out, f);
}

}  // namespace

void relu_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::relu.out";
  ArgReader r(ctx, args, op, 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  if (!prepare_unary(ctx, op, *self, *out)) return;
  EMBER_SWITCH_REAL(
      self->dtype(),
      EMBER_KERNEL_CHECK(ctx, false, NotSupported, "%s: unsupported dtype %s", op,
                         scalar_type_name(self->dtype())),
      map_unary<CTYPE, CTYPE>(*self, *out, [](CTYPE x) -> CTYPE {
        return x > CTYPE(0) ? x : (x != x ? x : CTYPE(0));  // NaN propagates
      }));
}

void hardtanh_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::hardtanh.out";
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  const double lo = r.scalar(1, "min_val");
  const double hi = r.scalar(2, "max_val");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  if (!prepare_unary(ctx, op, *self, *out)) return;
  EMBER_SWITCH_REAL(
      self->dtype(),
      EMBER_KERNEL_CHECK(ctx, false, NotSupported, "%s: unsupported dtype %s", op,
                         scalar_type_name(self->dtype())),
      {
        const CTYPE l = static_cast<CTYPE>(lo);
        const CTYPE h = static_cast<CTYPE>(hi);
        map_unary<CTYPE, CTYPE>(*self, *out, [l, h](CTYPE x) -> CTYPE {
          if (x != x) return x;
          return x < l ? l : (x > h ? h : x);
        });
      });
}

void sigmoid_out(KernelContext& ctx, Span<EValue*> args) {
  float_unary(ctx, args, "aten::sigmoid.out",
              [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
}

void tanh_out(KernelContext& ctx, Span<EValue*> args) {
  float_unary(ctx, args, "aten::tanh.out", [](float x) { return std::tanh(x); });
}

void gelu_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::gelu.out";
  ArgReader r(ctx, args, op, 4);
  Tensor* self = r.tensor(0, "self");
  Span<const char> approximate;
  const bool has_mode = r.optional_string(1, "approximate", &approximate);
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const bool use_tanh = has_mode && string_equals(approximate, "tanh");
  EMBER_KERNEL_CHECK(ctx, !has_mode || use_tanh || string_equals(approximate, "none"),
                     InvalidArgument, "%s: approximate must be \"none\" or \"tanh\", got \"%.*s\"",
                     op, static_cast<int>(approximate.size()), approximate.data());
  if (!check_dtype(ctx, op, "self", *self, ScalarType::Float)) return;
  if (!prepare_unary(ctx, op, *self, *out)) return;
  if (use_tanh) {
    const float k_beta = 0.7978845608028654f;  // sqrt(2 / pi)
    const float k_kappa = 0.044715f;
    map_unary<float, float>(*self, *out, [=](float x) {
      const float inner = k_beta * (x + k_kappa * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    });
  } else {
    const float k_alpha = 0.7071067811865476f;  // 1 / sqrt(2)
    map_unary<float, float>(*self, *out,
                            [=](float x) { return x * 0.5f * (1.0f + std::erf(x * k_alpha)); });
  }
}

}  // namespace portable
}  // namespace ember
