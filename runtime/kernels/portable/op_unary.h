// Dtype dispatch shared by the unary math kernels (op_unary.cpp) and the
// activations (op_activation.cpp): one map per result rule, so that each
// kernel is a formula plus a name.
//
//   float_math_kernel   floats keep their dtype, integers and bool give float32
//                       (exp, sin, sigmoid, ...)
//   same_dtype_kernel   out has self's dtype (neg, abs, floor, relu, ...)
//   predicate_kernel    out is bool (isnan, isinf, logical_not)
//
// Formulas are generic lambdas called with the compute type: float for
// float32, float16 and bfloat16 (as torch's opmath), double for float64, the
// element type itself for integers and bool.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// x != x without a self-comparison warning for integer types.
template <typename T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point<T>::value) {
    return std::isnan(x);
  } else {
    (void)x;
    return false;
  }
}

/// out = f(self) for a floating self, computed in opmath and stored rounded.
/// Fails with NotSupported for other dtypes.
template <typename F>
void map_floating(ArgReader& r, const Tensor& self, Tensor& out, F f) {
  EMBER_SWITCH_FLOAT(self.dtype(), reject_dtype(r.ctx(), r.op(), "self", self.dtype()),
                     map_unary<CTYPE, CTYPE>(self, out, [&f](CTYPE x) -> CTYPE {
                       return static_cast<CTYPE>(f(static_cast<compute_t<CTYPE>>(x)));
                     }));
}

/// A kernel with args (self, out, ret) computing f on floats: a floating
/// self keeps its dtype, an integer or bool self gives float32 (computed
/// from the element converted to float, as torch does), or with
/// kIntegers false is refused (silu, hardswish: torch has no integer kernel).
template <bool kIntegers = true, typename F>
void float_math_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, F f) {
  ArgReader r(ctx, args, op, 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  const ScalarType in = self->dtype();
  if (!kIntegers && !is_floating_type(in)) {
    reject_dtype(ctx, op, "self", in);
    return;
  }
  const ScalarType result = is_floating_type(in) ? in : ScalarType::Float;
  if (!prepare_out(ctx, op, *self, *out, result)) return;
  if (is_floating_type(in)) {
    map_floating(r, *self, *out, f);
    return;
  }
  EMBER_SWITCH_ALL(in, reject_dtype(ctx, op, "self", in), {
    map_unary<CTYPE, float>(*self, *out, [&f](CTYPE x) -> float {
      return static_cast<float>(f(static_cast<float>(x)));
    });
  });
}

namespace detail {

template <typename T, typename F>
void map_same(const Tensor& self, Tensor& out, F& f) {
  map_unary<T, T>(self, out,
                  [&f](T x) -> T { return static_cast<T>(f(static_cast<compute_t<T>>(x))); });
}

}  // namespace detail

/// A kernel with args (self, out, ret) whose out has self's dtype. Floating
/// dtypes need kFloat, bool needs kBool; integers are always accepted.
template <bool kFloat, bool kBool, typename F>
void same_dtype_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, F f) {
  ArgReader r(ctx, args, op, 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  const ScalarType in = self->dtype();
  if ((!kFloat && is_floating_type(in)) || (!kBool && in == ScalarType::Bool)) {
    reject_dtype(ctx, op, "self", in);
    return;
  }
  if (!prepare_out(ctx, op, *self, *out, in)) return;
  EMBER_SWITCH_ALL(in, reject_dtype(ctx, op, "self", in), {
    if constexpr ((kFloat || !is_floating_v<CTYPE>) && (kBool || !std::is_same<CTYPE, bool>::value)) {
      detail::map_same<CTYPE>(*self, *out, f);
    }
  });
}

/// A kernel with args (self, out, ret) whose out is bool: f(x) for every
/// dtype (floats given in opmath).
template <typename F>
void predicate_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, F f) {
  ArgReader r(ctx, args, op, 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  if (!prepare_out(ctx, op, *self, *out, ScalarType::Bool)) return;
  EMBER_SWITCH_ALL(self->dtype(), reject_dtype(ctx, op, "self", self->dtype()), {
    map_unary<CTYPE, bool>(*self, *out, [&f](CTYPE x) -> bool {
      return f(static_cast<compute_t<CTYPE>>(x));
    });
  });
}

}  // namespace portable
}  // namespace ember
