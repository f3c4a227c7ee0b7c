// Binary arithmetic with NumPy broadcasting and torch's type promotion: add,
// sub, mul, div (true, trunc and floor division), pow, remainder, fmod,
// maximum, minimum and atan2, each over tensors or with a Scalar operand,
// for bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32 and
// float64.
//
// The operands promote as torch.result_type says (binary_util.h) and the op
// computes in that dtype (float for float16/bfloat16, rounded once on store);
// true division and atan2 of integers compute in float32. Integer arithmetic
// wraps modulo 2^n as torch's does, without undefined behaviour; integer
// division or remainder by zero fails the call, as torch raises.
#include <cmath>
#include <type_traits>

#include "runtime/kernels/portable/binary_util.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

enum class Arith { Add, Sub, Mul, Div, DivTrunc, DivFloor, Pow, Remainder, Fmod, Max, Min, Atan2 };

/// How a kernel's arguments are laid out: which operand is a Scalar, whether
/// alpha or rounding_mode follows the operands.
struct Call {
  const char* op;
  Arith kind;
  size_t nargs;  ///< every entry of args: schema args, out, result
  bool self_scalar = false;
  bool other_scalar = false;
  bool has_alpha = false;
  bool has_mode = false;
};

/// The extra arguments, read and checked.
struct Extras {
  Scalar alpha = Scalar::of_int(1);  ///< add: alpha; sub: -alpha (as torch); else 1
  bool pow_scalar = false; ///< pow.Tensor_Scalar: the exponent is operand 1, a Scalar
};

/// Integer arithmetic modulo 2^n (as torch's wraps), free of signed overflow.
template <typename T>
T wrap(uint64_t v) {
  return static_cast<T>(static_cast<std::make_unsigned_t<T>>(v));
}
template <typename T>
T wrap_add(T a, T b) {
  return wrap<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
template <typename T>
T wrap_mul(T a, T b) {
  return wrap<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

/// torch's div_floor_floating: floor of a / b that stays exact where
/// floor(a / b) would round the quotient first.
template <typename T>
T floor_divide_float(T a, T b) {
  if (b == T(0)) return a / b;
  const T mod = std::fmod(a, b);
  T div = (a - mod) / b;
  if (mod != T(0) && (b < T(0)) != (mod < T(0))) div -= T(1);
  if (div == T(0)) return std::copysign(T(0), a / b);
  T floordiv = std::floor(div);
  if (div - floordiv > T(0.5)) floordiv += T(1);
  return floordiv;
}

/// Integer division rounded toward zero or down; sets *div_by_zero instead
/// of trapping, and MIN / -1 wraps.
template <typename T>
T divide_int(T a, T b, bool floor_mode, bool* div_by_zero) {
  if (b == 0) {
    *div_by_zero = true;
    return 0;
  }
  if constexpr (std::is_signed<T>::value) {
    if (b == -1) return wrap<T>(0 - static_cast<uint64_t>(a));
    T q = static_cast<T>(a / b);
    if (floor_mode && a % b != 0 && ((a < 0) != (b < 0))) q = static_cast<T>(q - 1);
    return q;
  } else {
    (void)floor_mode;
    return static_cast<T>(a / b);
  }
}

/// a % b with the sign of b (Python's %) or of a (C's fmod).
template <typename T>
T remainder_int(T a, T b, bool python_sign, bool* div_by_zero) {
  if (b == 0) {
    *div_by_zero = true;
    return 0;
  }
  if constexpr (std::is_signed<T>::value) {
    if (b == -1) return 0;  // avoids the MIN % -1 trap
    T r = static_cast<T>(a % b);
    if (python_sign && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
    return r;
  } else {
    (void)python_sign;
    return static_cast<T>(a % b);
  }
}

/// torch's integer pow: exact modulo 2^n; a negative exponent gives 0 except
/// for bases 1 and -1.
template <typename T>
T pow_int(T base, T exp) {
  if constexpr (std::is_signed<T>::value) {
    if (exp < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exp & 1) != 0 ? T(-1) : T(1);
      return 0;
    }
  }
  uint64_t result = 1;
  uint64_t b = static_cast<uint64_t>(base);
  for (uint64_t e = static_cast<uint64_t>(exp); e != 0; e >>= 1) {
    if ((e & 1) != 0) result *= b;
    b *= b;
  }
  return wrap<T>(result);
}

/// Floating self ** exponent for a Scalar exponent, with torch's special
/// cases (sqrt, rsqrt, reciprocal, squares and cubes) where it takes them.
template <typename CT>
void pow_float_scalar(const StridedLoop& loop, CT* out, const Operand& self,
                      const Operand& exponent) {
  using M = compute_t<CT>;
  const double e = exponent.scalar.to_double();
  // torch rounds the exponent to the tensor's dtype; float16 takes no
  // special case.
  const M exp_c = static_cast<M>(static_cast<CT>(e));
  auto run = [&](auto f) { run_binary<CT>(loop, out, self, exponent, f); };
  if (std::is_same<CT, Half>::value) {
    run([exp_c](M x, M) -> M { return std::pow(x, exp_c); });
  } else if (e == 0.5) {
    run([](M x, M) -> M { return std::sqrt(x); });
  } else if (e == -0.5) {
    run([](M x, M) -> M { return M(1) / std::sqrt(x); });
  } else if (e == -1.0) {
    run([](M x, M) -> M { return M(1) / x; });
  } else if (e == 2.0) {
    run([](M x, M) -> M { return x * x; });
  } else if (e == 3.0) {
    run([](M x, M) -> M { return x * x * x; });
  } else if (e == -2.0) {
    run([](M x, M) -> M { return M(1) / (x * x); });
  } else {
    run([exp_c](M x, M) -> M { return std::pow(x, exp_c); });
  }
}

/// Run `kind` with compute type CT (the output's element type).
template <typename CT>
void arith_typed(Arith kind, const StridedLoop& loop, CT* out, const Operand& a,
                 const Operand& b, const Extras& x, bool* div_by_zero) {
  using M = compute_t<CT>;
  constexpr bool kFloat = std::is_floating_point<M>::value;
  constexpr bool kBool = std::is_same<CT, bool>::value;
  switch (kind) {
    case Arith::Add:
    case Arith::Sub: {
      // The alpha fits CT (arith_kernel checked it); floats apply it in opmath.
      if constexpr (kFloat) {
        const M alpha = static_cast<M>(x.alpha.to_double());
        run_binary<CT>(loop, out, a, b, [alpha](M p, M q) -> M { return p + alpha * q; });
      } else if constexpr (kBool) {
        const bool alpha = x.alpha.to_double() != 0.0;
        run_binary<CT>(loop, out, a, b, [alpha](M p, M q) -> M { return p || (alpha && q); });
      } else {
        CT alpha = 0;
        x.alpha.to(&alpha);
        run_binary<CT>(loop, out, a, b,
                       [alpha](M p, M q) -> M { return wrap_add<CT>(p, wrap_mul<CT>(alpha, q)); });
      }
      break;
    }
    case Arith::Mul:
      if constexpr (kFloat) {
        run_binary<CT>(loop, out, a, b, [](M p, M q) -> M { return p * q; });
      } else if constexpr (kBool) {
        run_binary<CT>(loop, out, a, b, [](M p, M q) -> M { return p && q; });
      } else {
        run_binary<CT>(loop, out, a, b, [](M p, M q) -> M { return wrap_mul<CT>(p, q); });
      }
      break;
    case Arith::Div:
      if constexpr (kFloat) run_binary<CT>(loop, out, a, b, [](M p, M q) -> M { return p / q; });
      break;
    case Arith::DivTrunc:
    case Arith::DivFloor: {
      const bool floor_mode = kind == Arith::DivFloor;
      if constexpr (kFloat) {
        run_binary<CT>(loop, out, a, b, [floor_mode](M p, M q) -> M {
          return floor_mode ? floor_divide_float(p, q) : std::trunc(p / q);
        });
      } else if constexpr (!kBool) {
        run_binary<CT>(loop, out, a, b, [=](M p, M q) -> M {
          return divide_int(p, q, floor_mode, div_by_zero);
        });
      }
      break;
    }
    case Arith::Pow:
      if constexpr (kFloat) {
        if (x.pow_scalar) {
          pow_float_scalar<CT>(loop, out, a, b);
        } else {
          run_binary<CT>(loop, out, a, b, [](M p, M q) -> M { return std::pow(p, q); });
        }
      } else if constexpr (!kBool) {
        run_binary<CT>(loop, out, a, b, [](M p, M q) -> M { return pow_int(p, q); });
      }
      break;
    case Arith::Remainder:
    case Arith::Fmod: {
      const bool python_sign = kind == Arith::Remainder;
      if constexpr (kFloat) {
        run_binary<CT>(loop, out, a, b, [python_sign](M p, M q) -> M {
          M mod = std::fmod(p, q);
          if (python_sign && mod != M(0) && ((q < M(0)) != (mod < M(0)))) mod += q;
          return mod;
        });
      } else if constexpr (!kBool) {
        run_binary<CT>(loop, out, a, b, [=](M p, M q) -> M {
          return remainder_int(p, q, python_sign, div_by_zero);
        });
      }
      break;
    }
    case Arith::Max:
    case Arith::Min: {
      const bool is_max = kind == Arith::Max;
      run_binary<CT>(loop, out, a, b, [is_max](M p, M q) -> M {
        if constexpr (kFloat) {
          if (p != p) return p;  // NaN propagates
          if (q != q) return q;
        }
        return (is_max ? p < q : q < p) ? q : p;
      });
      break;
    }
    case Arith::Atan2:
      if constexpr (kFloat) {
        run_binary<CT>(loop, out, a, b, [](M p, M q) -> M { return std::atan2(p, q); });
      }
      break;
  }
}

/// The dtype the op computes in and writes, from the promoted dtype; false
/// (logged, failed) for a combination torch rejects too.
bool compute_dtype(KernelContext& ctx, Arith kind, const char* op, const Operand* in,
                   const Extras& x, ScalarType common, ScalarType* ct) {
  const bool is_bool = common == ScalarType::Bool;
  const bool is_float = is_floating_type(common);
  *ct = common;
  switch (kind) {
    case Arith::Sub:
      if (in[0].dtype == ScalarType::Bool || in[1].dtype == ScalarType::Bool) {
        return reject_dtype(ctx, op, "subtraction with a bool operand (use logical_not)",
                            ScalarType::Bool);
      }
      [[fallthrough]];
    case Arith::Add:
      if (x.alpha.is_bool() && !is_bool) {
        return kernel_fail(ctx, Error::InvalidArgument, op,
                           "a bool alpha needs a bool result, not %s", scalar_type_name(common));
      }
      if (x.alpha.is_double() && !is_float) {
        return kernel_fail(ctx, Error::InvalidArgument, op,
                           "alpha must not be a floating point number for %s operands",
                           scalar_type_name(common));
      }
      return true;
    case Arith::Div:
    case Arith::Atan2:
      if (!is_float) *ct = ScalarType::Float;  // integers compute in the default float dtype
      return true;
    case Arith::Pow:
      if (x.pow_scalar && !is_floating_type(in[0].dtype) && in[1].dtype == ScalarType::Long &&
          in[1].scalar.int_value() < 0) {
        return kernel_fail(ctx, Error::InvalidArgument, op,
                           "integers to negative integer powers are not allowed");
      }
      [[fallthrough]];
    case Arith::DivTrunc:
    case Arith::DivFloor:
    case Arith::Remainder:
    case Arith::Fmod:
      return is_bool ? reject_dtype(ctx, op, "this op", common) : true;
    case Arith::Mul:
    case Arith::Max:
    case Arith::Min:
      return true;
  }
  return true;
}

/// The Scalars the op converts to its dtype CT, checked as torch's
/// Scalar::to: add/sub's alpha (sub's negated), and an integer op's Scalar
/// exponent. False (failed) if one does not fit.
template <typename CT>
bool scalars_fit(KernelContext& ctx, const char* op, Arith kind, const Extras& x,
                 const Operand& exponent) {
  CT v{};
  if (kind == Arith::Add || kind == Arith::Sub) {
    return scalar_arg_to(ctx, op, kind == Arith::Sub ? "-alpha" : "alpha", x.alpha, &v);
  }
  if constexpr (std::is_integral<CT>::value && !std::is_same<CT, bool>::value) {
    if (x.pow_scalar) return scalar_arg_to(ctx, op, "exponent", exponent.scalar, &v);
  }
  return true;
}

void arith_kernel(KernelContext& ctx, Span<EValue*> args, const Call& call) {
  const char* op = call.op;
  ArgReader r(ctx, args, op, call.nargs);
  const char* other_name = call.kind == Arith::Pow ? "exponent" : "other";
  Operand in[2];
  Extras x;
  x.pow_scalar = call.kind == Arith::Pow && call.other_scalar;
  if (call.self_scalar) {
    read_scalar_operand(r, 0, "self", &in[0]);
  } else {
    read_tensor_operand(r, 0, "self", &in[0]);
  }
  if (call.other_scalar) {
    read_scalar_operand(r, 1, other_name, &in[1]);
  } else {
    read_tensor_operand(r, 1, other_name, &in[1]);
  }
  Arith kind = call.kind;
  if (call.has_alpha) {
    // As torch, sub is add with -alpha (an Int negates modulo 2^64).
    const Scalar alpha = r.scalar(2, "alpha");
    x.alpha = call.kind != Arith::Sub ? alpha
              : alpha.is_int()        ? Scalar::of_int(static_cast<int64_t>(
                                            0 - static_cast<uint64_t>(alpha.int_value())))
              : alpha.is_double()     ? Scalar::of_double(-alpha.to_double())
                                      : alpha;
  }
  if (call.has_mode) {
    Span<const char> mode;
    if (r.optional_string(2, "rounding_mode", &mode)) {
      if (string_equals(mode, "trunc")) {
        kind = Arith::DivTrunc;
      } else if (string_equals(mode, "floor")) {
        kind = Arith::DivFloor;
      } else {
        r.fail(Error::InvalidArgument, "rounding_mode must be \"trunc\" or \"floor\", got \"%.*s\"",
               static_cast<int>(mode.size()), mode.data());
      }
    }
  }
  Tensor* out = r.tensor(call.nargs - 2, "out");
  if (!r.ok()) return;

  ScalarType ct;
  if (!compute_dtype(ctx, kind, op, in, x, result_type(in, 2), &ct)) return;
  StridedLoop loop;
  if (!prepare_elementwise(ctx, op, in, 2, *out, ct, &loop)) return;

  bool div_by_zero = false;
  EMBER_SWITCH_ALL(ct, reject_dtype(ctx, op, "this op", ct), {
    if (!scalars_fit<CTYPE>(ctx, op, kind, x, in[1])) return;
    arith_typed<CTYPE>(kind, loop, out->data_as<CTYPE>(), in[0], in[1], x, &div_by_zero);
  });
  EMBER_KERNEL_CHECK(ctx, !div_by_zero, KernelFailed, op, "integer division by zero");
}

}  // namespace

void add_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::add.out", Arith::Add, 5};
  c.has_alpha = true;
  arith_kernel(ctx, args, c);
}

void add_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::add.Scalar_out", Arith::Add, 5};
  c.other_scalar = c.has_alpha = true;
  arith_kernel(ctx, args, c);
}

void sub_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::sub.out", Arith::Sub, 5};
  c.has_alpha = true;
  arith_kernel(ctx, args, c);
}

void sub_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::sub.Scalar_out", Arith::Sub, 5};
  c.other_scalar = c.has_alpha = true;
  arith_kernel(ctx, args, c);
}

void mul_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::mul.out", Arith::Mul, 4});
}

void mul_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::mul.Scalar_out", Arith::Mul, 4};
  c.other_scalar = true;
  arith_kernel(ctx, args, c);
}

void div_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::div.out", Arith::Div, 4});
}

void div_out_mode(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::div.out_mode", Arith::Div, 5};
  c.has_mode = true;
  arith_kernel(ctx, args, c);
}

void div_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::div.Scalar_out", Arith::Div, 4};
  c.other_scalar = true;
  arith_kernel(ctx, args, c);
}

void div_scalar_mode_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::div.Scalar_mode_out", Arith::Div, 5};
  c.other_scalar = c.has_mode = true;
  arith_kernel(ctx, args, c);
}

void pow_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::pow.Tensor_Tensor_out", Arith::Pow, 4});
}

void pow_tensor_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::pow.Tensor_Scalar_out", Arith::Pow, 4};
  c.other_scalar = true;
  arith_kernel(ctx, args, c);
}

void pow_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::pow.Scalar_out", Arith::Pow, 4};
  c.self_scalar = true;
  arith_kernel(ctx, args, c);
}

void remainder_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::remainder.Tensor_out", Arith::Remainder, 4});
}

void remainder_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::remainder.Scalar_out", Arith::Remainder, 4};
  c.other_scalar = true;
  arith_kernel(ctx, args, c);
}

void remainder_scalar_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::remainder.Scalar_Tensor_out", Arith::Remainder, 4};
  c.self_scalar = true;
  arith_kernel(ctx, args, c);
}

void fmod_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::fmod.Tensor_out", Arith::Fmod, 4});
}

void fmod_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  Call c{"aten::fmod.Scalar_out", Arith::Fmod, 4};
  c.other_scalar = true;
  arith_kernel(ctx, args, c);
}

void maximum_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::maximum.out", Arith::Max, 4});
}

void minimum_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::minimum.out", Arith::Min, 4});
}

void atan2_out(KernelContext& ctx, Span<EValue*> args) {
  arith_kernel(ctx, args, Call{"aten::atan2.out", Arith::Atan2, 4});
}

}  // namespace portable
}  // namespace ember
