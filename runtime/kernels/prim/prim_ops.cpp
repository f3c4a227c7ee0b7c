// The primitive operators of dynamic shapes, under ExecuTorch's names: read a
// tensor's size at run time (aten::sym_size.int, aten::sym_numel), do the
// integer and float arithmetic torch.export records on symbolic sizes
// (executorch_prim::*.Scalar), and view a tensor at sizes computed that way
// without copying it (executorch_prim::et_view.default). Arguments arrive as
// [inputs..., result]: the result is an Int, Double or Bool EValue these
// kernels overwrite (boxed IntLists that hold it see the new value).
#include <cmath>
#include <cstdint>

#include "runtime/core/evalue.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace {

bool is_number(const EValue* v) {
  return v != nullptr && (v->is_int() || v->is_double() || v->is_bool());
}

double as_double(const EValue& v) {
  return v.is_double() ? v.to_double() : v.is_bool() ? (v.to_bool() ? 1.0 : 0.0)
                                                     : static_cast<double>(v.to_int());
}

int64_t as_int(const EValue& v) { return v.is_bool() ? (v.to_bool() ? 1 : 0) : v.to_int(); }

void set_int(EValue* out, int64_t v) {
  out->tag = Tag::Int;
  out->payload.as_int = v;
}

void set_double(EValue* out, double v) {
  out->tag = Tag::Double;
  out->payload.as_double = v;
}

void set_bool(EValue* out, bool v) {
  out->tag = Tag::Bool;
  out->payload.as_bool = v;
}

/// Two-operand prims: [a, b, result], numbers only.
bool binary_args(KernelContext& ctx, Span<EValue*> args, const char* op) {
  if (args.size() != 3 || !is_number(args[0]) || !is_number(args[1]) || args[2] == nullptr) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "expects two numbers and a result");
  }
  return true;
}

/// Wrapping integer arithmetic (as torch's SymInt on int64), without UB.
int64_t wrap(uint64_t v) { return static_cast<int64_t>(v); }

enum class Arith { Add, Sub, Mul };

template <Arith kind>
void arith(KernelContext& ctx, Span<EValue*> args) {
  static const char* const kNames[] = {"executorch_prim::add.Scalar",
                                       "executorch_prim::sub.Scalar",
                                       "executorch_prim::mul.Scalar"};
  const char* op = kNames[static_cast<int>(kind)];
  if (!binary_args(ctx, args, op)) return;
  const EValue& a = *args[0];
  const EValue& b = *args[1];
  if (!a.is_double() && !b.is_double()) {
    const uint64_t x = static_cast<uint64_t>(as_int(a));
    const uint64_t y = static_cast<uint64_t>(as_int(b));
    set_int(args[2], wrap(kind == Arith::Add ? x + y : kind == Arith::Sub ? x - y : x * y));
    return;
  }
  const double x = as_double(a), y = as_double(b);
  set_double(args[2], kind == Arith::Add ? x + y : kind == Arith::Sub ? x - y : x * y);
}

/// Python's floor division and modulo on ints (the sign follows the divisor).
bool int_floordiv_mod(KernelContext& ctx, const char* op, int64_t a, int64_t b, int64_t* q,
                      int64_t* r) {
  if (b == 0) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "integer division by zero");
  }
  if (b == -1) {  // INT64_MIN / -1 overflows: wrap as torch does
    *q = wrap(0 - static_cast<uint64_t>(a));
    *r = 0;
    return true;
  }
  int64_t qq = a / b, rr = a % b;
  if (rr != 0 && ((rr < 0) != (b < 0))) {
    qq -= 1;
    rr += b;
  }
  *q = qq;
  *r = rr;
  return true;
}

void floordiv(KernelContext& ctx, Span<EValue*> args, const char* op) {
  if (!binary_args(ctx, args, op)) return;
  const EValue& a = *args[0];
  const EValue& b = *args[1];
  if (!a.is_double() && !b.is_double()) {
    int64_t q = 0, r = 0;
    if (!int_floordiv_mod(ctx, op, as_int(a), as_int(b), &q, &r)) return;
    set_int(args[2], q);
    return;
  }
  set_double(args[2], std::floor(as_double(a) / as_double(b)));
}

void floordiv_scalar(KernelContext& ctx, Span<EValue*> args) {
  floordiv(ctx, args, "executorch_prim::floordiv.Scalar");
}

void floordiv_int(KernelContext& ctx, Span<EValue*> args) {
  floordiv(ctx, args, "executorch_prim::floordiv.int");
}

void mod(KernelContext& ctx, Span<EValue*> args, const char* op) {
  if (!binary_args(ctx, args, op)) return;
  const EValue& a = *args[0];
  const EValue& b = *args[1];
  if (!a.is_double() && !b.is_double()) {
    int64_t q = 0, r = 0;
    if (!int_floordiv_mod(ctx, op, as_int(a), as_int(b), &q, &r)) return;
    set_int(args[2], r);
    return;
  }
  const double x = as_double(a), y = as_double(b);
  double r = std::fmod(x, y);
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  set_double(args[2], r);
}

void mod_scalar(KernelContext& ctx, Span<EValue*> args) {
  mod(ctx, args, "executorch_prim::mod.Scalar");
}

void mod_int(KernelContext& ctx, Span<EValue*> args) { mod(ctx, args, "executorch_prim::mod.int"); }

void truediv(KernelContext& ctx, Span<EValue*> args) {
  if (!binary_args(ctx, args, "executorch_prim::truediv.Scalar")) return;
  set_double(args[2], as_double(*args[0]) / as_double(*args[1]));
}

enum class Cmp { Eq, Gt, Lt, Ge, Le };

template <Cmp kind>
void compare(KernelContext& ctx, Span<EValue*> args) {
  static const char* const kNames[] = {
      "executorch_prim::eq.Scalar", "executorch_prim::gt.Scalar", "executorch_prim::lt.Scalar",
      "executorch_prim::ge.Scalar", "executorch_prim::le.Scalar"};
  if (!binary_args(ctx, args, kNames[static_cast<int>(kind)])) return;
  const EValue& a = *args[0];
  const EValue& b = *args[1];
  int c;
  if (!a.is_double() && !b.is_double()) {
    const int64_t x = as_int(a), y = as_int(b);
    c = x < y ? -1 : x > y ? 1 : 0;
  } else {
    const double x = as_double(a), y = as_double(b);
    if (x != x || y != y) {  // NaN: every comparison is false
      set_bool(args[2], false);
      return;
    }
    c = x < y ? -1 : x > y ? 1 : 0;
  }
  bool r = false;
  switch (kind) {
    case Cmp::Eq: r = c == 0; break;
    case Cmp::Gt: r = c > 0; break;
    case Cmp::Lt: r = c < 0; break;
    case Cmp::Ge: r = c >= 0; break;
    case Cmp::Le: r = c <= 0; break;
  }
  set_bool(args[2], r);
}

/// One-operand prims: [a, result].
bool unary_args(KernelContext& ctx, Span<EValue*> args, const char* op) {
  if (args.size() != 2 || !is_number(args[0]) || args[1] == nullptr) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "expects a number and a result");
  }
  return true;
}

void neg(KernelContext& ctx, Span<EValue*> args) {
  if (!unary_args(ctx, args, "executorch_prim::neg.Scalar")) return;
  if (args[0]->is_double()) {
    set_double(args[1], -args[0]->to_double());
  } else {
    set_int(args[1], wrap(0 - static_cast<uint64_t>(as_int(*args[0]))));
  }
}

void sym_float(KernelContext& ctx, Span<EValue*> args) {
  if (!unary_args(ctx, args, "executorch_prim::sym_float.Scalar")) return;
  set_double(args[1], as_double(*args[0]));
}

/// ceil / round / trunc of a number to an Int (Python's int results).
enum class Rounding { Ceil, Round, Trunc };

template <Rounding kind>
void to_int(KernelContext& ctx, Span<EValue*> args) {
  static const char* const kNames[] = {"executorch_prim::ceil.Scalar",
                                       "executorch_prim::round.Scalar",
                                       "executorch_prim::trunc.Scalar"};
  const char* op = kNames[static_cast<int>(kind)];
  if (!unary_args(ctx, args, op)) return;
  if (!args[0]->is_double()) {
    set_int(args[1], as_int(*args[0]));
    return;
  }
  const double x = args[0]->to_double();
  // Python rounds half to even.
  const double r = kind == Rounding::Ceil ? std::ceil(x)
                   : kind == Rounding::Trunc ? std::trunc(x)
                                             : std::nearbyint(x);
  EMBER_KERNEL_CHECK(ctx, r >= -9.2233720368547758e18 && r < 9.2233720368547758e18, InvalidArgument,
                     op, "%g does not fit in int64", x);
  set_int(args[1], static_cast<int64_t>(r));
}

/// aten::sym_size.int(Tensor self, int dim) -> SymInt: [self, dim, result].
void sym_size(KernelContext& ctx, Span<EValue*> args) {
  EMBER_KERNEL_CHECK(ctx,
                     args.size() == 3 && args[0] != nullptr && args[0]->is_tensor() &&
                         args[1] != nullptr && args[1]->is_int() && args[2] != nullptr,
                     InvalidArgument, "aten::sym_size.int", "expects a tensor, a dim and a result");
  const Tensor& t = args[0]->to_tensor();
  const int64_t ndim = t.dim();
  int64_t dim = args[1]->to_int();
  if (dim < 0) dim += ndim;
  EMBER_KERNEL_CHECK(ctx, dim >= 0 && dim < ndim, InvalidArgument, "aten::sym_size.int",
                     "dim %lld out of range for a %lld-d tensor",
                     static_cast<long long>(args[1]->to_int()), static_cast<long long>(ndim));
  set_int(args[2], t.sizes()[dim]);
}

/// aten::sym_numel(Tensor self) -> SymInt: [self, result].
void sym_numel(KernelContext& ctx, Span<EValue*> args) {
  EMBER_KERNEL_CHECK(ctx,
                     args.size() == 2 && args[0] != nullptr && args[0]->is_tensor() &&
                         args[1] != nullptr,
                     InvalidArgument, "aten::sym_numel", "expects a tensor and a result");
  set_int(args[1], args[0]->to_tensor().numel());
}

/// executorch_prim::et_view.default(Tensor self, int[] size) -> Tensor:
/// [self, size, out]. `out` shares self's memory at the new sizes (one -1
/// inferred); the element count must stay the same.
void et_view(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "executorch_prim::et_view.default";
  EMBER_KERNEL_CHECK(ctx,
                     args.size() == 3 && args[0] != nullptr && args[0]->is_tensor() &&
                         args[1] != nullptr && args[1]->is_int_list() && args[2] != nullptr &&
                         args[2]->is_tensor(),
                     InvalidArgument, op, "expects a tensor, a size list and an out tensor");
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  const Span<const int64_t> size = args[1]->to_int_list();
  EMBER_KERNEL_CHECK(ctx, static_cast<int64_t>(size.size()) == out.dim(), InvalidArgument, op,
                     "%zu sizes for a %d-d out", size.size(), static_cast<int>(out.dim()));
  EMBER_KERNEL_CHECK(ctx, out.dtype() == self.dtype(), InvalidArgument, op,
                     "out dtype differs from self's");
  int32_t sizes[kMaxRank];
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < size.size(); ++i) {
    if (size[i] == -1) {
      EMBER_KERNEL_CHECK(ctx, infer < 0, InvalidArgument, op, "more than one -1 in the sizes");
      infer = static_cast<int>(i);
      continue;
    }
    EMBER_KERNEL_CHECK(ctx, size[i] >= 0 && size[i] <= INT32_MAX, InvalidArgument, op,
                       "invalid size %lld at dim %zu", static_cast<long long>(size[i]), i);
    sizes[i] = static_cast<int32_t>(size[i]);
    EMBER_KERNEL_CHECK(ctx, !__builtin_mul_overflow(known, int64_t{sizes[i]}, &known),
                       InvalidArgument, op, "sizes overflow");
  }
  const int64_t numel = self.numel();
  if (infer >= 0) {
    EMBER_KERNEL_CHECK(ctx, known != 0 && numel % known == 0 && numel / known <= INT32_MAX,
                       InvalidArgument, op, "cannot infer the -1 size for %lld elements",
                       static_cast<long long>(numel));
    sizes[infer] = static_cast<int32_t>(numel / known);
    known = numel;
  }
  EMBER_KERNEL_CHECK(ctx, known == numel, InvalidArgument, op, "%lld elements viewed as %lld",
                     static_cast<long long>(numel), static_cast<long long>(known));
  const Error err = out.resize(Span<const int32_t>(sizes, size.size()));
  EMBER_KERNEL_CHECK(ctx, err == Error::Ok, InvalidArgument, op,
                     "out cannot take the view's sizes");
  out.set_data(self.mutable_data());
}

const Kernel kPrimOps[] = {
    {"aten::sym_size.int", &sym_size, KernelKey{}},
    {"aten::sym_numel", &sym_numel, KernelKey{}},
    {"executorch_prim::add.Scalar", &arith<Arith::Add>, KernelKey{}},
    {"executorch_prim::sub.Scalar", &arith<Arith::Sub>, KernelKey{}},
    {"executorch_prim::mul.Scalar", &arith<Arith::Mul>, KernelKey{}},
    {"executorch_prim::floordiv.Scalar", &floordiv_scalar, KernelKey{}},
    {"executorch_prim::floordiv.int", &floordiv_int, KernelKey{}},
    {"executorch_prim::truediv.Scalar", &truediv, KernelKey{}},
    {"executorch_prim::mod.Scalar", &mod_scalar, KernelKey{}},
    {"executorch_prim::mod.int", &mod_int, KernelKey{}},
    {"executorch_prim::eq.Scalar", &compare<Cmp::Eq>, KernelKey{}},
    {"executorch_prim::gt.Scalar", &compare<Cmp::Gt>, KernelKey{}},
    {"executorch_prim::lt.Scalar", &compare<Cmp::Lt>, KernelKey{}},
    {"executorch_prim::ge.Scalar", &compare<Cmp::Ge>, KernelKey{}},
    {"executorch_prim::le.Scalar", &compare<Cmp::Le>, KernelKey{}},
    {"executorch_prim::neg.Scalar", &neg, KernelKey{}},
    {"executorch_prim::sym_float.Scalar", &sym_float, KernelKey{}},
    {"executorch_prim::ceil.Scalar", &to_int<Rounding::Ceil>, KernelKey{}},
    {"executorch_prim::round.Scalar", &to_int<Rounding::Round>, KernelKey{}},
    {"executorch_prim::trunc.Scalar", &to_int<Rounding::Trunc>, KernelKey{}},
    {"executorch_prim::et_view.default", &et_view, KernelKey{}},
};

/// What each prim op writes: only its result (a scalar, or et_view's view of self).
const OperatorWrites kPrimWrites[] = {
    {"aten::sym_size.int", 2, 0},
    {"aten::sym_numel", 1, 0},
    {"executorch_prim::add.Scalar", 2, 0},
    {"executorch_prim::sub.Scalar", 2, 0},
    {"executorch_prim::mul.Scalar", 2, 0},
    {"executorch_prim::floordiv.Scalar", 2, 0},
    {"executorch_prim::floordiv.int", 2, 0},
    {"executorch_prim::truediv.Scalar", 2, 0},
    {"executorch_prim::mod.Scalar", 2, 0},
    {"executorch_prim::mod.int", 2, 0},
    {"executorch_prim::eq.Scalar", 2, 0},
    {"executorch_prim::gt.Scalar", 2, 0},
    {"executorch_prim::lt.Scalar", 2, 0},
    {"executorch_prim::ge.Scalar", 2, 0},
    {"executorch_prim::le.Scalar", 2, 0},
    {"executorch_prim::neg.Scalar", 1, 0},
    {"executorch_prim::sym_float.Scalar", 1, 0},
    {"executorch_prim::ceil.Scalar", 1, 0},
    {"executorch_prim::round.Scalar", 1, 0},
    {"executorch_prim::trunc.Scalar", 1, 0},
    {"executorch_prim::et_view.default", 2, 0, /*result_aliases=*/0},
};

bool g_registered = false;

}  // namespace

Error register_prim_ops() {
  if (g_registered) return Error::Ok;
  EMBER_TRY(register_operator_writes(
      Span<const OperatorWrites>(kPrimWrites, sizeof(kPrimWrites) / sizeof(kPrimWrites[0]))));
  const Error err =
      register_kernels(Span<const Kernel>(kPrimOps, sizeof(kPrimOps) / sizeof(kPrimOps[0])));
  if (err == Error::Ok) g_registered = true;
  return err;
}

}  // namespace ember
