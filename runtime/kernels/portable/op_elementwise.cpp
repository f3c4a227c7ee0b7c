// Binary arithmetic with NumPy broadcasting: add, sub, mul, div (true,
// trunc and floor division), for float32, int32 and int64.
//
// Type promotion is deliberately narrow: both operands share a dtype, or one
// of them is a 0-d tensor (a Python scalar captured by export) whose dtype is
// of a lower or equal category than the other's (e.g. float32 tensor * 0-d
// int64). Any other mix is rejected with NotSupported rather than guessed.
#include <cmath>
#include <type_traits>

#include "runtime/kernels/portable/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

enum class BinaryKind { Add, Sub, Mul, Div, DivTrunc, DivFloor };

bool is_integral(ScalarType t) {
  return t == ScalarType::Int || t == ScalarType::Long || t == ScalarType::Bool;
}

/// The dtype the operation computes in, or false if the pair is not handled.
bool compute_dtype(const Tensor& a, const Tensor& b, ScalarType* out) {
  const ScalarType ta = a.dtype();
  const ScalarType tb = b.dtype();
  ScalarType result;
  if (ta == tb) {
    result = ta;
  } else if (a.dim() == 0 && b.dim() != 0) {
    result = tb;
    if (is_integral(tb) && !is_integral(ta)) return false;
  } else if (b.dim() == 0 && a.dim() != 0) {
    result = ta;
    if (is_integral(ta) && !is_integral(tb)) return false;
  } else {
    return false;
  }
  if (result != ScalarType::Float && result != ScalarType::Int && result != ScalarType::Long) {
    return false;
  }
  *out = result;
  return true;
}

/// The single element of a 0-d (or one-element) tensor converted to T.
template <typename T>
bool read_scalar(const Tensor& t, T* value) {
  switch (t.dtype()) {
    case ScalarType::Float: *value = static_cast<T>(*t.data_as<const float>()); return true;
    case ScalarType::Double: *value = static_cast<T>(*t.data_as<const double>()); return true;
    case ScalarType::Int: *value = static_cast<T>(*t.data_as<const int32_t>()); return true;
    case ScalarType::Long: *value = static_cast<T>(*t.data_as<const int64_t>()); return true;
    case ScalarType::Bool:
      *value = static_cast<T>(load(t.data_as<const bool>()) ? 1 : 0);
      return true;
    default: return false;
  }
}

template <typename A, typename B, typename O, typename F>
void binary_loop(const StridedLoop& loop, const A* a, const B* b, O* o, F f) {
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    O* po = o + off[0];
    const A* pa = a + off[1];
    const B* pb = b + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
      const B bv = *pb;
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], bv);
    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
      const A av = *pa;
      for (int64_t i = 0; i < n; ++i) po[i] = f(av, pb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * st[0]] = f(pa[i * st[1]], pb[i * st[2]]);
    }
  });
}

/// Integer arithmetic that wraps on overflow (as torch does) without UB.
template <typename T>
T wrap(uint64_t v) {
  return static_cast<T>(static_cast<std::make_unsigned_t<T>>(v));
}

float floor_divide_float(float a, float b) {
  if (b == 0.0f) return a / b;
  const float mod = std::fmod(a, b);
  float div = (a - mod) / b;
  if (mod != 0.0f && (b < 0.0f) != (mod < 0.0f)) div -= 1.0f;
  if (div == 0.0f) return std::copysign(0.0f, a / b);
  float floordiv = std::floor(div);
  if (div - floordiv > 0.5f) floordiv += 1.0f;
  return floordiv;
}

/// Integer division with torch's rounding; sets *div_by_zero instead of trapping.
template <typename T>
T divide_int(T a, T b, bool floor_mode, bool* div_by_zero) {
  if (b == 0) {
    *div_by_zero = true;
    return 0;
  }
  if (b == -1) return wrap<T>(0 - static_cast<uint64_t>(a));  // avoids the MIN / -1 trap
  T q = a / b;
  if (floor_mode && (a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
  return q;
}

void binary_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, BinaryKind kind,
                   size_t nargs) {
  ArgReader r(ctx, args, op, nargs);
  Tensor* a = r.tensor(0, "self");
  Tensor* b = r.tensor(1, "other");
  const bool has_alpha = kind == BinaryKind::Add || kind == BinaryKind::Sub;
  const bool has_mode = nargs == 5 && !has_alpha;
  double alpha = has_alpha ? r.scalar(2, "alpha") : 1.0;
  bool alpha_integral = has_alpha ? r.scalar_is_integral(2) : true;
  if (has_mode) {
    Span<const char> mode;
    if (r.optional_string(2, "rounding_mode", &mode)) {
      if (string_equals(mode, "trunc")) {
        kind = BinaryKind::DivTrunc;
      } else if (string_equals(mode, "floor")) {
        kind = BinaryKind::DivFloor;
      } else {
        r.fail(Error::InvalidArgument, "rounding_mode must be \"trunc\" or \"floor\", got \"%.*s\"",
               static_cast<int>(mode.size()), mode.data());
      }
    }
  }
  Tensor* out = r.tensor(nargs - 2, "out");
  if (!r.ok()) return;

  ScalarType ct;
  EMBER_KERNEL_CHECK(ctx, compute_dtype(*a, *b, &ct), NotSupported,
                     "%s: unsupported dtype mix self=%s (%d-d), other=%s (%d-d)", op,
                     scalar_type_name(a->dtype()), static_cast<int>(a->dim()),
                     scalar_type_name(b->dtype()), static_cast<int>(b->dim()));
  const bool true_div_int = kind == BinaryKind::Div && ct != ScalarType::Float;
  const ScalarType rt = true_div_int ? ScalarType::Float : ct;
  if (!check_dtype(ctx, op, "out", *out, rt)) return;
  EMBER_KERNEL_CHECK(ctx, ct == ScalarType::Float || alpha_integral ||
                              alpha == std::trunc(alpha),
                     InvalidArgument, "%s: alpha = %g must be integral for integer tensors", op,
                     alpha);

  int64_t sizes[kMaxRank];
  int ndim = 0;
  EMBER_KERNEL_CHECK(ctx, broadcast_shapes(a->sizes(), b->sizes(), sizes, &ndim), InvalidArgument,
                     "%s: shapes %s and %s do not broadcast", op, sizes_text(a->sizes()).text,
                     sizes_text(b->sizes()).text);
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;

  int64_t s_out[kMaxRank], s_a[kMaxRank], s_b[kMaxRank];
  tensor_strides(*out, s_out);
  broadcast_strides(*a, ndim, sizes, s_a);
  broadcast_strides(*b, ndim, sizes, s_b);
  const int64_t* strides[3] = {s_out, s_a, s_b};
  StridedLoop loop;
  loop.init(ndim, sizes, 3, strides);

  bool div_by_zero = false;
  EMBER_SWITCH_REAL(ct, EMBER_KERNEL_CHECK(ctx, false, Internal, "%s: bad dtype", op), {
    // Operands of another dtype are 0-d: convert their one element up front.
    CTYPE a_value = 0, b_value = 0;
    const CTYPE* pa = a->data_as<const CTYPE>();
    const CTYPE* pb = b->data_as<const CTYPE>();
    if (a->dtype() != ct) {
      read_scalar(*a, &a_value);
      pa = &a_value;
    }
    if (b->dtype() != ct) {
      read_scalar(*b, &b_value);
      pb = &b_value;
    }
    constexpr bool kFloat = std::is_floating_point<CTYPE>::value;
    const CTYPE alpha_c = static_cast<CTYPE>(alpha);
    switch (kind) {
      case BinaryKind::Add:
      case BinaryKind::Sub: {
        const CTYPE sa = kind == BinaryKind::Sub ? static_cast<CTYPE>(-alpha) : alpha_c;
        binary_loop(loop, pa, pb, out->data_as<CTYPE>(), [sa](CTYPE x, CTYPE y) -> CTYPE {
          if constexpr (kFloat) {
            return x + sa * y;
          } else {
            return wrap<CTYPE>(static_cast<uint64_t>(x) +
                               static_cast<uint64_t>(sa) * static_cast<uint64_t>(y));
          }
        });
        break;
      }
      case BinaryKind::Mul:
        binary_loop(loop, pa, pb, out->data_as<CTYPE>(), [](CTYPE x, CTYPE y) -> CTYPE {
          if constexpr (kFloat) {
            return x * y;
          } else {
            return wrap<CTYPE>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
          }
        });
        break;
      case BinaryKind::Div:
        binary_loop(loop, pa, pb, out->data_as<float>(), [](CTYPE x, CTYPE y) -> float {
          return static_cast<float>(x) / static_cast<float>(y);
        });
        break;
      case BinaryKind::DivTrunc:
      case BinaryKind::DivFloor: {
        const bool floor_mode = kind == BinaryKind::DivFloor;
        binary_loop(loop, pa, pb, out->data_as<CTYPE>(), [&](CTYPE x, CTYPE y) -> CTYPE {
          if constexpr (kFloat) {
            return floor_mode ? floor_divide_float(x, y) : std::trunc(x / y);
          } else {
            return divide_int<CTYPE>(x, y, floor_mode, &div_by_zero);
          }
        });
        break;
      }
    }
  });
  EMBER_KERNEL_CHECK(ctx, !div_by_zero, KernelFailed, "%s: integer division by zero", op);
}

}  // namespace

void add_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::add.out", BinaryKind::Add, 5);
}

void sub_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::sub.out", BinaryKind::Sub, 5);
}

void mul_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::mul.out", BinaryKind::Mul, 4);
}

void div_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::div.out", BinaryKind::Div, 4);
}

void div_out_mode(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::div.out_mode", BinaryKind::Div, 5);
}

}  // namespace portable
}  // namespace ember
