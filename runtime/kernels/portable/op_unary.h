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
#include <limits>
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

/// Largest finite value of a floating storage type.
template <typename T>
constexpr double max_finite() {
  if constexpr (std::is_same<T, Half>::value) {
    return 65504.0;
  } else if constexpr (std::is_same<T, BFloat16>::value) {
    return 3.3895313892515355e38;
  } else {
    return static_cast<double>(std::numeric_limits<T>::max());
  }
}

/// A Scalar argument as the program gave it (an Int, a Bool or a Double).
struct UnaryScalar {
  bool is_float = false;  ///< a Double (else an Int or a Bool, held in `i`)
  bool is_bool = false;
  int64_t i = 0;
  double d = 0.0;

  /// Convert to T as torch's Scalar::to<T> does, but fail instead of
  /// overflowing: a finite value beyond T's range (and, for an integer T, a
  /// NaN or infinity) does not convert. Doubles truncate toward zero.
  template <typename T>
  bool to(T* out) const {
    if constexpr (is_floating_v<T>) {
      const double v = is_float ? d : static_cast<double>(i);
      if (std::isfinite(v) && std::fabs(v) > max_finite<T>()) return false;
      *out = static_cast<T>(static_cast<compute_t<T>>(v));
      return true;
    } else {
      int64_t v = i;
      if (is_float) {
        // [-2^63, 2^63) converts to int64 without overflow; NaN fails too.
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
        v = static_cast<int64_t>(d);
      }
      const int64_t lowest = static_cast<int64_t>(std::numeric_limits<T>::lowest());
      const uint64_t highest = static_cast<uint64_t>(std::numeric_limits<T>::max());
      if (v < lowest || (v > 0 && static_cast<uint64_t>(v) > highest)) return false;
      *out = static_cast<T>(v);
      return true;
    }
  }
};

/// Read Scalar argument i of args (r logs and fails on a wrong tag).
inline UnaryScalar read_scalar_arg(ArgReader& r, Span<EValue*> args, size_t i, const char* name) {
  UnaryScalar s;
  s.is_float = !r.scalar_is_integral(i);
  s.d = r.scalar(i, name);
  if (r.ok() && !s.is_float) {
    s.i = r.scalar_as_int(i, name);
    s.is_bool = args[i]->is_bool();
  }
  return s;
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
/// from the element converted to float, as torch does).
template <typename F>
void float_math_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, F f) {
  ArgReader r(ctx, args, op, 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  const ScalarType in = self->dtype();
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
