// Comparisons (eq, ne, lt, le, gt, ge), logical and/or/xor, bitwise
// and/or/xor and where, with NumPy broadcasting, over tensors or with a
// Scalar operand.
//
// Comparisons and logical ops compare in the promoted dtype of their operands
// (torch.result_type, binary_util.h) and write bool; bitwise ops take integer
// or bool operands and write the promoted dtype; where picks from self and
// other promoted to their common dtype, under a bool (or uint8) condition.
#include <type_traits>

#include "runtime/kernels/portable/binary_util.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

enum class Cmp { Eq, Ne, Lt, Le, Gt, Ge };
enum class Logic { And, Or, Xor };

/// Read (self, other) with `other` a Tensor or a Scalar; false if a read
/// failed (already logged).
bool read_pair(ArgReader& r, bool other_scalar, Operand* in) {
  read_tensor_operand(r, 0, "self", &in[0]);
  if (other_scalar) {
    read_scalar_operand(r, 1, "other", &in[1]);
  } else {
    read_tensor_operand(r, 1, "other", &in[1]);
  }
  return r.ok();
}

template <typename CT>
void compare_typed(Cmp kind, const StridedLoop& loop, bool* out, const Operand& a,
                   const Operand& b) {
  using M = compute_t<CT>;
  switch (kind) {
    case Cmp::Eq: run_binary<CT>(loop, out, a, b, [](M p, M q) { return p == q; }); break;
    case Cmp::Ne: run_binary<CT>(loop, out, a, b, [](M p, M q) { return p != q; }); break;
    case Cmp::Lt: run_binary<CT>(loop, out, a, b, [](M p, M q) { return p < q; }); break;
    case Cmp::Le: run_binary<CT>(loop, out, a, b, [](M p, M q) { return p <= q; }); break;
    case Cmp::Gt: run_binary<CT>(loop, out, a, b, [](M p, M q) { return p > q; }); break;
    case Cmp::Ge: run_binary<CT>(loop, out, a, b, [](M p, M q) { return p >= q; }); break;
  }
}

void compare_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, Cmp kind,
                    bool other_scalar) {
  ArgReader r(ctx, args, op, 4);
  Operand in[2];
  if (!read_pair(r, other_scalar, in)) return;
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const ScalarType ct = result_type(in, 2);
  StridedLoop loop;
  if (!prepare_elementwise(ctx, op, in, 2, *out, ScalarType::Bool, &loop)) return;
  EMBER_SWITCH_ALL(ct, reject_dtype(ctx, op, "comparison", ct),
                   compare_typed<CTYPE>(kind, loop, out->data_as<bool>(), in[0], in[1]));
}

template <typename CT>
void logical_typed(Logic kind, const StridedLoop& loop, bool* out, const Operand& a,
                   const Operand& b) {
  using M = compute_t<CT>;
  switch (kind) {
    case Logic::And:
      run_binary<CT>(loop, out, a, b, [](M p, M q) { return p != M(0) && q != M(0); });
      break;
    case Logic::Or:
      run_binary<CT>(loop, out, a, b, [](M p, M q) { return p != M(0) || q != M(0); });
      break;
    case Logic::Xor:
      run_binary<CT>(loop, out, a, b, [](M p, M q) { return (p != M(0)) != (q != M(0)); });
      break;
  }
}

void logical_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, Logic kind) {
  ArgReader r(ctx, args, op, 4);
  Operand in[2];
  if (!read_pair(r, false, in)) return;
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  // Truth values are taken in the promoted dtype, as torch does (a float64
  // 1e-50 against float32 is false).
  const ScalarType ct = result_type(in, 2);
  StridedLoop loop;
  if (!prepare_elementwise(ctx, op, in, 2, *out, ScalarType::Bool, &loop)) return;
  EMBER_SWITCH_ALL(ct, reject_dtype(ctx, op, "logical op", ct),
                   logical_typed<CTYPE>(kind, loop, out->data_as<bool>(), in[0], in[1]));
}

template <typename CT>
void bitwise_typed(Logic kind, const StridedLoop& loop, CT* out, const Operand& a,
                   const Operand& b) {
  if constexpr (std::is_integral<CT>::value) {
    switch (kind) {
      case Logic::And:
        run_binary<CT>(loop, out, a, b, [](CT p, CT q) -> CT { return static_cast<CT>(p & q); });
        break;
      case Logic::Or:
        run_binary<CT>(loop, out, a, b, [](CT p, CT q) -> CT { return static_cast<CT>(p | q); });
        break;
      case Logic::Xor:
        run_binary<CT>(loop, out, a, b, [](CT p, CT q) -> CT { return static_cast<CT>(p ^ q); });
        break;
    }
  }
}

void bitwise_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, Logic kind,
                    bool other_scalar) {
  ArgReader r(ctx, args, op, 4);
  Operand in[2];
  if (!read_pair(r, other_scalar, in)) return;
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const ScalarType ct = result_type(in, 2);
  if (is_floating_type(ct)) {
    reject_dtype(ctx, op, "a bitwise op (integer or bool operands only)", ct);
    return;
  }
  StridedLoop loop;
  if (!prepare_elementwise(ctx, op, in, 2, *out, ct, &loop)) return;
  EMBER_SWITCH_ALL(ct, reject_dtype(ctx, op, "bitwise op", ct),
                   bitwise_typed<CTYPE>(kind, loop, out->data_as<CTYPE>(), in[0], in[1]));
}

/// out = cond ? a : b over `loop` (operands out, cond, a, b); cond is read as
/// bool, a and b as CT.
template <typename CT>
void where_typed(const StridedLoop& loop, CT* out, const Operand& cond, const Operand& a,
                 const Operand& b) {
  constexpr ScalarType kCt = DtypeOf<CT>::value;
  const bool convert_c = cond.dtype != ScalarType::Bool;
  const bool convert_a = a.dtype != kCt;
  const bool convert_b = b.dtype != kCt;
  bool buf_c[kConvertBlock];
  CT buf_a[kConvertBlock];
  CT buf_b[kConvertBlock];
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    const bool blocked =
        (convert_c && st[1] != 0) || (convert_a && st[2] != 0) || (convert_b && st[3] != 0);
    const int64_t block = blocked ? kConvertBlock : n;
    for (int64_t start = 0; start < n; start += block) {
      const int64_t m = n - start < block ? n - start : block;
      const Row<bool> rc = fetch_row(cond, off[1] + start * st[1], st[1], m, buf_c);
      const Row<CT> ra = fetch_row(a, off[2] + start * st[2], st[2], m, buf_a);
      const Row<CT> rb = fetch_row(b, off[3] + start * st[3], st[3], m, buf_b);
      CT* o = out + off[0] + start * st[0];
      for (int64_t i = 0; i < m; ++i) {
        o[i * st[0]] = load(rc.p + i * rc.s) ? load(ra.p + i * ra.s) : load(rb.p + i * rb.s);
      }
    }
  });
}

}  // namespace

void eq_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::eq.Tensor_out", Cmp::Eq, false);
}
void eq_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::eq.Scalar_out", Cmp::Eq, true);
}
void ne_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::ne.Tensor_out", Cmp::Ne, false);
}
void ne_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::ne.Scalar_out", Cmp::Ne, true);
}
void lt_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::lt.Tensor_out", Cmp::Lt, false);
}
void lt_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::lt.Scalar_out", Cmp::Lt, true);
}
void le_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::le.Tensor_out", Cmp::Le, false);
}
void le_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::le.Scalar_out", Cmp::Le, true);
}
void gt_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::gt.Tensor_out", Cmp::Gt, false);
}
void gt_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::gt.Scalar_out", Cmp::Gt, true);
}
void ge_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::ge.Tensor_out", Cmp::Ge, false);
}
void ge_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  compare_kernel(ctx, args, "aten::ge.Scalar_out", Cmp::Ge, true);
}

void logical_and_out(KernelContext& ctx, Span<EValue*> args) {
  logical_kernel(ctx, args, "aten::logical_and.out", Logic::And);
}
void logical_or_out(KernelContext& ctx, Span<EValue*> args) {
  logical_kernel(ctx, args, "aten::logical_or.out", Logic::Or);
}
void logical_xor_out(KernelContext& ctx, Span<EValue*> args) {
  logical_kernel(ctx, args, "aten::logical_xor.out", Logic::Xor);
}

void bitwise_and_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  bitwise_kernel(ctx, args, "aten::bitwise_and.Tensor_out", Logic::And, false);
}
void bitwise_and_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  bitwise_kernel(ctx, args, "aten::bitwise_and.Scalar_out", Logic::And, true);
}
void bitwise_or_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  bitwise_kernel(ctx, args, "aten::bitwise_or.Tensor_out", Logic::Or, false);
}
void bitwise_or_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  bitwise_kernel(ctx, args, "aten::bitwise_or.Scalar_out", Logic::Or, true);
}
void bitwise_xor_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  bitwise_kernel(ctx, args, "aten::bitwise_xor.Tensor_out", Logic::Xor, false);
}
void bitwise_xor_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  bitwise_kernel(ctx, args, "aten::bitwise_xor.Scalar_out", Logic::Xor, true);
}

void where_self_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::where.self_out";
  ArgReader r(ctx, args, op, 5);
  Operand in[3];
  read_tensor_operand(r, 0, "condition", &in[0]);
  read_tensor_operand(r, 1, "self", &in[1]);
  read_tensor_operand(r, 2, "other", &in[2]);
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, in[0].dtype == ScalarType::Bool || in[0].dtype == ScalarType::Byte,
                     NotSupported, op, "condition must be bool (or uint8), got %s",
                     scalar_type_name(in[0].dtype));
  const ScalarType ct = result_type(in + 1, 2);
  StridedLoop loop;
  if (!prepare_elementwise(ctx, op, in, 3, *out, ct, &loop)) return;
  EMBER_SWITCH_ALL(ct, reject_dtype(ctx, op, "where", ct),
                   where_typed<CTYPE>(loop, out->data_as<CTYPE>(), in[0], in[1], in[2]));
}

}  // namespace portable
}  // namespace ember
