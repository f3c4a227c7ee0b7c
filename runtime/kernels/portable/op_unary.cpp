// Unary math: each kernel is one formula handed to a dispatch helper of
// op_unary.h, which picks the result dtype as torch does (exp of an integer
// tensor is float32, floor of one is itself, isnan of anything is bool) and
// walks any dim order.
#include "runtime/kernels/portable/op_unary.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

template <typename T>
constexpr bool kIsInt = std::is_integral<T>::value && !std::is_same<T, bool>::value;

/// -x; integers wrap (the negation of the most negative value is itself).
template <typename T>
T negate(T x) {
  if constexpr (kIsInt<T>) {
    return static_cast<T>(0u - static_cast<uint64_t>(x));
  } else {
    return -x;
  }
}

/// An integer tensor is already rounded: floor, ceil, trunc and round keep it.
template <typename F>
void rounding_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, F round) {
  same_dtype_kernel<true, false>(ctx, args, op, [&round](auto x) {
    if constexpr (kIsInt<decltype(x)>) {
      return x;
    } else {
      return round(x);
    }
  });
}

}  // namespace

void neg_out(KernelContext& ctx, Span<EValue*> args) {
  same_dtype_kernel<true, false>(ctx, args, "aten::neg.out", [](auto x) { return negate(x); });
}

void abs_out(KernelContext& ctx, Span<EValue*> args) {
  same_dtype_kernel<true, false>(ctx, args, "aten::abs.out", [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_unsigned<T>::value) {
      return x;
    } else if constexpr (kIsInt<T>) {
      return x < 0 ? negate(x) : x;
    } else {
      return std::fabs(x);
    }
  });
}

void exp_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::exp.out", [](auto x) { return std::exp(x); });
}

void expm1_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::expm1.out", [](auto x) { return std::expm1(x); });
}

void log_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::log.out", [](auto x) { return std::log(x); });
}

void log1p_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::log1p.out", [](auto x) { return std::log1p(x); });
}

void log2_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::log2.out", [](auto x) { return std::log2(x); });
}

void sqrt_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::sqrt.out", [](auto x) { return std::sqrt(x); });
}

void rsqrt_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::rsqrt.out", [](auto x) {
    return decltype(x)(1) / std::sqrt(x);
  });
}

void reciprocal_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::reciprocal.out", [](auto x) { return decltype(x)(1) / x; });
}

void sin_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::sin.out", [](auto x) { return std::sin(x); });
}

void cos_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::cos.out", [](auto x) { return std::cos(x); });
}

void tan_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::tan.out", [](auto x) { return std::tan(x); });
}

void atan_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::atan.out", [](auto x) { return std::atan(x); });
}

void asin_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::asin.out", [](auto x) { return std::asin(x); });
}

void acos_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::acos.out", [](auto x) { return std::acos(x); });
}

void sinh_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::sinh.out", [](auto x) { return std::sinh(x); });
}

void cosh_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::cosh.out", [](auto x) { return std::cosh(x); });
}

void erf_out(KernelContext& ctx, Span<EValue*> args) {
  float_math_kernel(ctx, args, "aten::erf.out", [](auto x) { return std::erf(x); });
}

void floor_out(KernelContext& ctx, Span<EValue*> args) {
  rounding_kernel(ctx, args, "aten::floor.out", [](auto x) { return std::floor(x); });
}

void ceil_out(KernelContext& ctx, Span<EValue*> args) {
  rounding_kernel(ctx, args, "aten::ceil.out", [](auto x) { return std::ceil(x); });
}

void trunc_out(KernelContext& ctx, Span<EValue*> args) {
  rounding_kernel(ctx, args, "aten::trunc.out", [](auto x) { return std::trunc(x); });
}

void round_out(KernelContext& ctx, Span<EValue*> args) {
  // Half to even, as torch (std::nearbyint in the default rounding mode).
  rounding_kernel(ctx, args, "aten::round.out", [](auto x) { return std::nearbyint(x); });
}

void round_decimals_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::round.decimals_out";
  ArgReader r(ctx, args, op, 4);
  Tensor* self = r.tensor(0, "self");
  const int64_t decimals = r.integer(1, "decimals");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  if (!is_floating_type(self->dtype())) {
    reject_dtype(ctx, op, "self", self->dtype());
    return;
  }
  if (!prepare_out(ctx, op, *self, *out, self->dtype())) return;
  // As torch: scale by 10^|decimals| in the compute type (a power that
  // overflows it is inf, and the result NaN, as in torch), round, unscale.
  const bool negative = decimals < 0;
  const double ten_pow = std::pow(10.0, negative ? -static_cast<double>(decimals)
                                                 : static_cast<double>(decimals));
  map_floating(r, *self, *out, [ten_pow, negative](auto x) {
    using C = decltype(x);
    const C p = ten_pow > static_cast<double>(std::numeric_limits<C>::max())
                    ? std::numeric_limits<C>::infinity()
                    : static_cast<C>(ten_pow);
    return negative ? std::nearbyint(x / p) * p : std::nearbyint(x * p) / p;
  });
}

void sign_out(KernelContext& ctx, Span<EValue*> args) {
  same_dtype_kernel<true, true>(ctx, args, "aten::sign.out", [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_same<T, bool>::value || std::is_unsigned<T>::value) {
      return static_cast<T>(x > 0);
    } else {
      return static_cast<T>((T(0) < x) - (x < T(0)));  // 0 for NaN, as torch
    }
  });
}

void isnan_out(KernelContext& ctx, Span<EValue*> args) {
  predicate_kernel(ctx, args, "aten::isnan.out", [](auto x) { return is_nan(x); });
}

void isinf_out(KernelContext& ctx, Span<EValue*> args) {
  predicate_kernel(ctx, args, "aten::isinf.out", [](auto x) {
    if constexpr (std::is_floating_point<decltype(x)>::value) {
      return std::isinf(x);
    } else {
      (void)x;
      return false;
    }
  });
}

void logical_not_out(KernelContext& ctx, Span<EValue*> args) {
  predicate_kernel(ctx, args, "aten::logical_not.out",
                   [](auto x) { return !(x != decltype(x)(0)); });
}

void bitwise_not_out(KernelContext& ctx, Span<EValue*> args) {
  same_dtype_kernel<false, true>(ctx, args, "aten::bitwise_not.out", [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_same<T, bool>::value) {
      return !x;
    } else {
      return static_cast<T>(~x);
    }
  });
}

}  // namespace portable
}  // namespace ember
