// Pointwise activations (relu, hardtanh, sigmoid, tanh, gelu, silu,
// hardswish, leaky_relu, elu, clamp with Scalar or Tensor bounds). Inputs
// and outputs may use any dim order: map_unary and StridedLoop walk strides.
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/op_unary.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// Shared prologue of a unary op: out gets self's dtype and sizes.
bool prepare_unary(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out) {
  return prepare_out(ctx, op, self, out, self.dtype());
}

/// min(max(x, lo), hi) over the bounds given, as torch's clamp: a NaN
/// element or a NaN bound gives NaN; lo > hi gives hi.
template <typename C>
C clamp_value(C x, C lo, C hi, bool has_lo, bool has_hi) {
  if (is_nan(x)) return x;
  if (has_lo) {
    if (is_nan(lo)) return lo;
    if (x < lo) x = lo;
  }
  if (has_hi) {
    if (is_nan(hi)) return hi;
    if (x > hi) x = hi;
  }
  return x;
}

/// An element of In converted to the compute type C (bool gives 0 or 1).
template <typename C, typename In>
C to_compute(In x) {
  return static_cast<C>(static_cast<compute_t<In>>(x));
}

/// out (of dtype Out) = self clamped to Scalar bounds converted to Out;
/// fails with InvalidArgument if a bound does not fit in Out (as torch).
template <typename In, typename Out>
void clamp_scalars(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out,
                   const Scalar& lo, const Scalar& hi, bool has_lo, bool has_hi) {
  Out lo_v{}, hi_v{};
  if ((has_lo && !scalar_arg_to(ctx, op, "min", lo, &lo_v)) ||
      (has_hi && !scalar_arg_to(ctx, op, "max", hi, &hi_v))) {
    return;
  }
  using C = compute_t<Out>;
  const C l = static_cast<C>(lo_v);
  const C h = static_cast<C>(hi_v);
  map_unary<In, Out>(self, out, [=](In x) -> Out {
    return static_cast<Out>(clamp_value(to_compute<C>(x), l, h, has_lo, has_hi));
  });
}

/// A Scalar argument converted to the compute type of a floating self
/// (float, or double for float64); false (failed) if it overflows it.
struct OpMathScalar {
  float f = 0.0f;
  double d = 0.0;
  template <typename C>
  C get() const {
    if constexpr (std::is_same<C, double>::value) {
      return d;
    } else {
      return f;
    }
  }
};

bool read_opmath_scalar(ArgReader& r, size_t i, const char* name, ScalarType dtype,
                        OpMathScalar* out) {
  const Scalar s = r.scalar(i, name);
  if (!r.ok()) return false;
  return dtype == ScalarType::Double ? scalar_arg_to(r.ctx(), r.op(), name, s, &out->d)
                                     : scalar_arg_to(r.ctx(), r.op(), name, s, &out->f);
}

/// torch's result_type of tensors: the tensors with dims decide, unless a
/// 0-d tensor is of a higher category (bool < integer < float).
ScalarType result_type(const Tensor* const* tensors, int n) {
  bool has_dim = false, has_zero = false;
  ScalarType dim = ScalarType::Bool, zero = ScalarType::Bool;
  for (int k = 0; k < n; ++k) {
    if (tensors[k] == nullptr) continue;
    bool& has = tensors[k]->dim() > 0 ? has_dim : has_zero;
    ScalarType& t = tensors[k]->dim() > 0 ? dim : zero;
    t = has ? promote_types(t, tensors[k]->dtype()) : tensors[k]->dtype();
    has = true;
  }
  if (!has_dim) return zero;
  if (!has_zero || is_floating_type(dim)) return dim;
  if (dim == ScalarType::Bool || is_floating_type(zero)) return promote_types(dim, zero);
  return dim;
}

bool is_known_dtype(ScalarType t) {
  bool known = false;
  EMBER_SWITCH_ALL(t, (void)0, known = sizeof(CTYPE) > 0);
  return known;
}

/// Element i of `data` (of `dtype`) converted to the compute type C.
template <typename C>
C load_as(const void* data, ScalarType dtype, int64_t i) {
  EMBER_SWITCH_ALL(dtype, (void)0,
                   return to_compute<C>(load(static_cast<const CTYPE*>(data) + i)));
  return C();
}

/// The clamp.Tensor loop for the result dtype Out: operands 1-3 of `loop`
/// are self, min and max (a missing bound is never read).
template <typename Out>
void clamp_tensors(const StridedLoop& loop, const Tensor& self, const Tensor* lo,
                   const Tensor* hi, Tensor& out) {
  using C = compute_t<Out>;
  Out* dst = out.data_as<Out>();
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t k = 0; k < n; ++k) {
      const C x = load_as<C>(self.data(), self.dtype(), off[1] + k * st[1]);
      const C l = lo ? load_as<C>(lo->data(), lo->dtype(), off[2] + k * st[2]) : C();
      const C h = hi ? load_as<C>(hi->data(), hi->dtype(), off[3] + k * st[3]) : C();
      const C y = clamp_value(x, l, h, lo != nullptr, hi != nullptr);
      dst[off[0] + k * st[0]] = static_cast<Out>(y);
    }
  });
}

}  // namespace

void relu_out(KernelContext& ctx, Span<EValue*> args) {
  same_dtype_kernel<true, false>(ctx, args, "aten::relu.out", [](auto x) {
    using T = decltype(x);
    return x > T(0) || is_nan(x) ? x : T(0);  // NaN propagates
  });
}

void hardtanh_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::hardtanh.out";
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  Scalar lo = r.scalar(1, "min_val");
  Scalar hi = r.scalar(2, "max_val");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  const ScalarType in = self->dtype();
  if (in == ScalarType::Bool) {
    reject_dtype(ctx, op, "self", in);
    return;
  }
  // As torch: an integer self takes its bounds as int64 (a double truncates)
  // before they convert to its dtype.
  if (!is_floating_type(in)) {
    int64_t lo_i = 0, hi_i = 0;
    if (!scalar_arg_to(ctx, op, "min_val", lo, &lo_i) ||
        !scalar_arg_to(ctx, op, "max_val", hi, &hi_i)) {
      return;
    }
    EMBER_KERNEL_CHECK(ctx, in != ScalarType::Byte || (lo_i >= 0 && hi_i >= 0), InvalidArgument,
                       op, "cannot do hardtanh on an unsigned type with negative limits");
    lo = Scalar::of_int(lo_i);
    hi = Scalar::of_int(hi_i);
  }
  if (!prepare_unary(ctx, op, *self, *out)) return;
  EMBER_SWITCH_ALL(in, reject_dtype(ctx, op, "self", in),
                   clamp_scalars<CTYPE, CTYPE>(ctx, op, *self, *out, lo, hi, true, true));
}

void sigmoid_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::sigmoid.out", [](auto x) {
    using C = decltype(x);
    return C(1) / (C(1) + std::exp(-x));
  });
}

void tanh_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::tanh.out", [](auto x) { return std::tanh(x); });
}

void leaky_relu_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::leaky_relu.out";
  ArgReader r(ctx, args, op, 4);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  OpMathScalar slope;
  if (!read_opmath_scalar(r, 1, "negative_slope", self->dtype(), &slope)) return;
  if (!prepare_unary(ctx, op, *self, *out)) return;
  map_floating(r, *self, *out, [slope](auto x) {
    using C = decltype(x);
    return x > C(0) ? x : x * slope.get<C>();
  });
}

void elu_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::elu.out";
  ArgReader r(ctx, args, op, 6);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;
  OpMathScalar alpha, scale, input_scale;
  if (!read_opmath_scalar(r, 1, "alpha", self->dtype(), &alpha) ||
      !read_opmath_scalar(r, 2, "scale", self->dtype(), &scale) ||
      !read_opmath_scalar(r, 3, "input_scale", self->dtype(), &input_scale)) {
    return;
  }
  if (!prepare_unary(ctx, op, *self, *out)) return;
  // As torch: x <= 0 ? (exp(x * input_scale) - 1) * alpha * scale : x * scale.
  map_floating(r, *self, *out, [=](auto x) {
    using C = decltype(x);
    const C neg_coef = alpha.get<C>() * scale.get<C>();
    return x <= C(0) ? std::expm1(x * input_scale.get<C>()) * neg_coef : x * scale.get<C>();
  });
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
                     InvalidArgument, op, "approximate must be \"none\" or \"tanh\", got \"%.*s\"",
                     static_cast<int>(approximate.size()), approximate.data());
  if (!prepare_unary(ctx, op, *self, *out)) return;
  map_floating(r, *self, *out, [use_tanh](auto x) {
    using C = decltype(x);
    if (use_tanh) {
      const C beta = C(0.7978845608028654);  // sqrt(2 / pi)
      const C kappa = C(0.044715);
      return C(0.5) * x * (C(1) + std::tanh(beta * (x + kappa * x * x * x)));
    }
    return x * C(0.5) * (C(1) + std::erf(x * C(0.7071067811865476)));  // 1 / sqrt(2)
  });
}

void silu_out(KernelContext& ctx, Span<EValue*> args) {
  // x * sigmoid(x), the two ops ember-fuse-activations replaces, in that
  // order (the sigmoid no longer rounded to a 16-bit type in between).
  float_math_kernel<false>(ctx, args, "aten::silu.out", [](auto x) {
    using C = decltype(x);
    return x * (C(1) / (C(1) + std::exp(-x)));
  });
}

void hardswish_out(KernelContext& ctx, Span<EValue*> args) {
  // x * clamp(x + 3, 0, 6) / 6 in the order of the five ops it replaces
  // (and of torch's own kernel): in float32 the same bits. NaN propagates.
  float_math_kernel<false>(ctx, args, "aten::hardswish.out", [](auto x) {
    using C = decltype(x);
    C t = x + C(3);
    t = t < C(0) ? C(0) : t;
    t = t > C(6) ? C(6) : t;
    return x * t / C(6);
  });
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
  EMBER_KERNEL_CHECK(ctx, has_lo || has_hi, InvalidArgument, op,
                     "at least one of min and max must be given");
  // The result dtype as torch's promotion of self with the bounds: an integer
  // or bool tensor with a float bound gives float32, a bool tensor with an
  // int bound int64.
  const ScalarType in = self->dtype();
  const bool float_bound = (has_lo && lo.is_double()) || (has_hi && hi.is_double());
  const bool int_bound = (has_lo && lo.is_int()) || (has_hi && hi.is_int());
  ScalarType result = in;
  if (!is_floating_type(in) && float_bound) {
    result = ScalarType::Float;
  } else if (in == ScalarType::Bool && int_bound) {
    result = ScalarType::Long;
  }
  EMBER_KERNEL_CHECK(ctx, result != ScalarType::Bool, NotSupported, op,
                     "a bool tensor needs int or float bounds");
  if (!is_known_dtype(in)) {
    reject_dtype(ctx, op, "self", in);
    return;
  }
  if (!prepare_out(ctx, op, *self, *out, result)) return;
  if (result == in) {
    EMBER_SWITCH_ALL(in, reject_dtype(ctx, op, "self", in),
                     clamp_scalars<CTYPE, CTYPE>(ctx, op, *self, *out, lo, hi, has_lo, has_hi));
  } else if (result == ScalarType::Float) {
    EMBER_SWITCH_ALL(in, reject_dtype(ctx, op, "self", in),
                     clamp_scalars<CTYPE, float>(ctx, op, *self, *out, lo, hi, has_lo, has_hi));
  } else {
    clamp_scalars<bool, int64_t>(ctx, op, *self, *out, lo, hi, has_lo, has_hi);
  }
}

void clamp_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::clamp.Tensor_out";
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  Tensor* lo = r.optional_tensor(1, "min");
  Tensor* hi = r.optional_tensor(2, "max");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, lo != nullptr || hi != nullptr, InvalidArgument, op,
                     "at least one of min and max must be given");
  const Tensor* operands[3] = {self, lo, hi};
  const char* names[3] = {"self", "min", "max"};
  for (int k = 0; k < 3; ++k) {
    EMBER_KERNEL_CHECK(ctx, operands[k] == nullptr || is_known_dtype(operands[k]->dtype()),
                       NotSupported, op, "unsupported dtype %s for %s",
                       scalar_type_name(operands[k]->dtype()), names[k]);
  }
  const ScalarType result = result_type(operands, 3);
  EMBER_KERNEL_CHECK(ctx, result != ScalarType::Bool, NotSupported, op,
                     "clamp of bool tensors is not supported");
  if (!check_dtype(ctx, op, "out", *out, result)) return;

  // Broadcast self, min and max together (an absent bound broadcasts as self).
  int64_t sizes[kMaxRank];
  int ndim = 0;
  int32_t partial[kMaxRank];
  const Tensor& a = lo ? *lo : *self;
  const Tensor& b = hi ? *hi : *self;
  bool ok = broadcast_shapes(self->sizes(), a.sizes(), sizes, &ndim);
  for (int d = 0; ok && d < ndim; ++d) partial[d] = static_cast<int32_t>(sizes[d]);
  ok = ok && broadcast_shapes(Span<const int32_t>(partial, static_cast<size_t>(ndim)), b.sizes(),
                              sizes, &ndim);
  EMBER_KERNEL_CHECK(ctx, ok, InvalidArgument, op, "shapes %s, %s and %s do not broadcast",
                     sizes_text(self->sizes()).text, sizes_text(a.sizes()).text,
                     sizes_text(b.sizes()).text);
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;

  int64_t strides[4][kMaxRank] = {};
  tensor_strides(*out, strides[0]);
  broadcast_strides(*self, ndim, sizes, strides[1]);
  if (lo) broadcast_strides(*lo, ndim, sizes, strides[2]);
  if (hi) broadcast_strides(*hi, ndim, sizes, strides[3]);
  const int64_t* stride_ptrs[4] = {strides[0], strides[1], strides[2], strides[3]};
  StridedLoop loop;
  loop.init(ndim, sizes, 4, stride_ptrs);
  EMBER_SWITCH_ALL(result, reject_dtype(ctx, op, "self", self->dtype()),
                   clamp_tensors<CTYPE>(loop, *self, lo, hi, *out));
}

}  // namespace portable
}  // namespace ember
