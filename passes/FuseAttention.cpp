//===- FuseAttention.cpp - Attention written out, rewritten to one op -----===//
//
// Recognises the math form of scaled-dot-product attention, as torch's
// decomposition of scaled_dot_product_attention and hand-written attention
// (matmul, scale, mask, softmax, matmul) leave it, and rewrites it to
// edge.scaled_dot_product_attention, which runs on Ember's fused kernel.
//
// The match walks from each last-dim softmax:
// 1. Its input: scores [N, H, L, S], or scores + mask (add.Tensor, alpha 1,
//    an f32 mask that broadcasts to the scores without widening them).
// 2. Scores: view [N, H, L, S] of bmm([N*H, L, E], [N*H, E, S]), times or
//    divided by scalar constants; the bmm operands are views of (no-op
//    expands or clones of) q [N, H, L, E] and k^T = permute(k, [0, 1, 3, 2])
//    (q and k^T each possibly scaled by constants too). The product of every
//    scale is the op's scale.
// 3. Probabilities: the softmax, or torch's guard over it that sets a fully
//    masked row to 0 (where(not any(not (x == -inf), -1), full_like(p, 0), p)).
// 4. Output: view [N, H, L, Ev] of bmm(view [N*H, L, S] of the probabilities,
//    view [N*H, S, Ev] of v [N, H, S, Ev]).
// The fused kernel gives 0 for a fully masked row, as the guard does, while a
// bare softmax gives NaN; so without the guard the rewrite applies only when
// no row can be fully masked: no mask, or a constant mask without a row of
// -inf. Sizes computed at run time (symbolic views) are left alone.
// Then, on every attention op (fused here or kept whole by the front end),
// key and value heads repeated for grouped-query attention (repeat_kv:
// unsqueeze, expand, clone, view) become the op's grouped heads (enable_gqa),
// so the repeated copies are never made.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeConstants.h"
#include "exir/EdgeVerifierUtils.h"
#include "passes/Passes.h"

#include <cmath>
#include <optional>

#include "llvm/ADT/SetVector.h"

namespace ember {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"

using namespace mlir;

namespace {

using edge::verify::shapeOf;

bool isF32(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32();
}

/// The value of a one-element f32 constant.
std::optional<double> constantScalar(Value v) {
  FailureOr<SmallVector<float>> values = edge::readConstantF32(v);
  if (failed(values) || values->size() != 1)
    return std::nullopt;
  return (*values)[0];
}

/// What a match collects: the ops it walked (erased when dead after the
/// rewrite) and the product of the scales it peeled.
struct Walk {
  llvm::SetVector<Operation *> ops;
  double scale = 1.0;
};

/// Erase the walked ops that no longer have a user, consumers first.
void eraseDead(Walk &walk) {
  bool erased = true;
  while (erased) {
    erased = false;
    for (Operation *op : walk.ops) {
      if (op->use_empty()) {
        walk.ops.remove(op);
        op->erase();
        erased = true;
        break;
      }
    }
  }
}

/// `v` with multiplications and divisions by scalar constants peeled off
/// (their factors multiplied into walk.scale).
Value peelScale(Value v, Walk &walk) {
  while (Operation *def = v.getDefiningOp()) {
    std::optional<double> factor;
    Value input;
    if (auto mul = dyn_cast<edge::MulScalarOp>(def)) {
      if (!mul.getSymValues().empty())
        break;
      factor = edge::scalarValue(mul.getOtherAttr());
      input = mul.getSelf();
    } else if (auto div = dyn_cast<edge::DivScalarOp>(def)) {
      if (!div.getSymValues().empty())
        break;
      std::optional<double> d = edge::scalarValue(div.getOtherAttr());
      if (d && *d != 0.0)
        factor = 1.0 / *d;
      input = div.getSelf();
    } else if (auto mul = dyn_cast<edge::MulTensorOp>(def)) {
      if ((factor = constantScalar(mul.getOther())))
        input = mul.getSelf();
      else if ((factor = constantScalar(mul.getSelf())))
        input = mul.getOther();
    } else if (auto div = dyn_cast<edge::DivTensorOp>(def)) {
      std::optional<double> d = constantScalar(div.getOther());
      if (d && *d != 0.0)
        factor = 1.0 / *d;
      input = div.getSelf();
    }
    // The product keeps v's shape and type only when the factor is scalar.
    if (!factor || !input || shapeOf(input) != shapeOf(v) || !isF32(input))
      break;
    walk.scale *= *factor;
    walk.ops.insert(def);
    for (Value operand : def->getOperands())  // the factor's constant, if any
      if (auto c = operand.getDefiningOp<edge::ConstantOp>())
        walk.ops.insert(c);
    v = input;
  }
  return v;
}

/// `v` with value-preserving copies peeled off: expands to the same shape and
/// clones.
Value peelCopies(Value v, Walk &walk) {
  while (Operation *def = v.getDefiningOp()) {
    Value input;
    if (auto expand = dyn_cast<edge::ExpandOp>(def)) {
      if (!expand.getSymValues().empty())
        break;
      input = expand.getSelf();
    } else if (auto clone = dyn_cast<edge::CloneOp>(def)) {
      input = clone.getSelf();
    }
    if (!input || shapeOf(input) != shapeOf(v))
      break;
    walk.ops.insert(def);
    v = input;
  }
  return v;
}

/// The 4-d [N, H, X, Y] value `v` ([N*H, X, Y]) is a view of, through copies.
Value unflatten(Value v, Walk &walk) {
  auto view = v.getDefiningOp<edge::ViewOp>();
  if (!view || !view.getSymValues().empty())
    return {};
  Value src = peelCopies(view.getSelf(), walk);
  ArrayRef<int64_t> s = shapeOf(src), d = shapeOf(v);
  if (s.size() != 4 || d.size() != 3 || s[0] * s[1] != d[0] || s[2] != d[1] || s[3] != d[2])
    return {};
  walk.ops.insert(view);
  return src;
}

/// A view whose result is `src` [N*H, X, Y] split back into `shape4`.
bool splitsTo(edge::ViewOp view, ArrayRef<int64_t> shape4) {
  if (!view || !view.getSymValues().empty())
    return false;
  ArrayRef<int64_t> s = shapeOf(view.getSelf()), d = shapeOf(view.getResult());
  return s.size() == 3 && d == shape4 && d[0] * d[1] == s[0] && d[2] == s[1] && d[3] == s[2];
}

/// torch's guard over softmax `p` of `x`: where(not any(not (x == -inf),
/// dim -1, keepdim), full_like(p, 0), p); its result, or null.
Value matchGuard(edge::SoftmaxOp softmax, Walk &walk) {
  Value p = softmax.getResult();
  for (Operation *user : p.getUsers()) {
    auto where = dyn_cast<edge::WhereSelfOp>(user);
    if (!where || where.getOther() != p)
      continue;
    auto fill = where.getSelf().getDefiningOp<edge::FullLikeOp>();
    std::optional<double> fillValue = fill ? edge::scalarValue(fill.getFillValueAttr()) : std::nullopt;
    if (!fill || fill.getSelf() != p || fillValue != 0.0)
      continue;
    auto outerNot = where.getCondition().getDefiningOp<edge::LogicalNotOp>();
    auto any = outerNot ? outerNot.getSelf().getDefiningOp<edge::AnyDimOp>() : nullptr;
    auto innerNot = any ? any.getSelf().getDefiningOp<edge::LogicalNotOp>() : nullptr;
    auto eq = innerNot ? innerNot.getSelf().getDefiningOp<edge::EqScalarOp>() : nullptr;
    if (!eq || eq.getSelf() != softmax.getSelf() || !eq.getSymValues().empty() ||
        (any.getDim() != -1 && any.getDim() != 3) || !any.getKeepdim())
      continue;
    std::optional<double> inf = edge::scalarValue(eq.getOtherAttr());
    if (!inf || !std::isinf(*inf) || *inf > 0)
      continue;
    walk.ops.insert(where);
    walk.ops.insert(fill);
    walk.ops.insert(outerNot);
    walk.ops.insert(any);
    walk.ops.insert(innerNot);
    walk.ops.insert(eq);
    return where.getResult();
  }
  return {};
}

/// A constant f32 mask with no row (along the keys) of -inf only: a bare
/// softmax and the fused kernel then agree on every row.
bool neverFullyMasked(Value mask) {
  FailureOr<SmallVector<float>> values = edge::readConstantF32(mask);
  if (failed(values))
    return false;
  ArrayRef<int64_t> shape = shapeOf(mask);
  int64_t row = shape.empty() ? 1 : shape.back();
  if (row <= 0)
    return true;
  for (size_t start = 0; start < values->size(); start += row) {
    bool all = true;
    for (int64_t j = 0; j < row && all; ++j)
      all = std::isinf((*values)[start + j]) && (*values)[start + j] < 0;
    if (all)
      return false;
  }
  return true;
}

/// Rewrite the attention around `softmax`; false (nothing changed) when it
/// does not match.
bool fuse(edge::SoftmaxOp softmax) {
  Value x = softmax.getSelf();
  ArrayRef<int64_t> scores = shapeOf(x);
  if (scores.size() != 4 || !isF32(x) || softmax.getHalfToFloat() ||
      (softmax.getDim() != -1 && softmax.getDim() != 3))
    return false;
  Walk walk;
  walk.ops.insert(softmax);
  // 1. Mask.
  Value mask, raw = x;
  if (auto add = x.getDefiningOp<edge::AddTensorOp>()) {
    std::optional<double> alpha = edge::scalarValue(add.getAlphaAttr());
    ArrayRef<int64_t> m = shapeOf(add.getOther());
    bool broadcasts = m.size() <= 4 && isF32(add.getOther()) && alpha == 1.0 &&
                      shapeOf(add.getSelf()) == scores && add.getSymValues().empty();
    for (size_t i = 0; broadcasts && i < m.size(); ++i)
      broadcasts = m[i] == 1 || m[i] == scores[4 - m.size() + i];
    if (broadcasts) {
      walk.ops.insert(add);
      mask = add.getOther();
      raw = add.getSelf();
    }
  }
  // 2. Scores = scale * q k^T.
  raw = peelScale(raw, walk);
  auto scoresView = raw.getDefiningOp<edge::ViewOp>();
  auto qk = scoresView ? scoresView.getSelf().getDefiningOp<edge::BmmOp>() : nullptr;
  if (!qk || !splitsTo(scoresView, scores))
    return false;
  walk.ops.insert(scoresView);
  walk.ops.insert(qk);
  Value q = unflatten(qk.getSelf(), walk);
  Value kt = unflatten(qk.getMat2(), walk);
  if (!q || !kt)
    return false;
  q = peelScale(q, walk);
  kt = peelScale(kt, walk);
  auto transpose = kt.getDefiningOp<edge::PermuteOp>();
  if (!transpose || transpose.getDims() != ArrayRef<int64_t>{0, 1, 3, 2})
    return false;
  walk.ops.insert(transpose);
  Value k = transpose.getSelf();
  if (!isF32(q) || !isF32(k) || shapeOf(q).size() != 4 || shapeOf(q)[2] != scores[2] ||
      shapeOf(k)[2] != scores[3])
    return false;
  // 3. Probabilities.
  Value probs = matchGuard(softmax, walk);
  bool guarded = static_cast<bool>(probs);
  if (!guarded)
    probs = softmax.getResult();
  if (!guarded && mask && !neverFullyMasked(mask))
    return false;
  // 4. Output = probs v.
  edge::BmmOp pv;
  edge::ViewOp outView;
  Value v;
  for (Operation *user : probs.getUsers()) {
    Walk tail;
    // probs -> (expand) -> view [N*H, L, S] -> bmm -> view [N, H, L, Ev]
    Operation *cur = user;
    if (auto expand = dyn_cast<edge::ExpandOp>(cur)) {
      if (!expand.getSymValues().empty() || shapeOf(expand.getResult()) != scores ||
          !expand.getResult().hasOneUse())
        continue;
      cur = *expand.getResult().getUsers().begin();
    }
    auto flat = dyn_cast<edge::ViewOp>(cur);
    if (!flat || !flat.getResult().hasOneUse())
      continue;
    auto bmm = dyn_cast<edge::BmmOp>(*flat.getResult().getUsers().begin());
    if (!bmm || bmm.getSelf() != flat.getResult() || !bmm.getResult().hasOneUse())
      continue;
    Value vv = unflatten(bmm.getMat2(), tail);
    if (unflatten(flat.getResult(), tail) != probs || !vv || !isF32(vv))
      continue;
    auto view = dyn_cast<edge::ViewOp>(*bmm.getResult().getUsers().begin());
    ArrayRef<int64_t> vs = shapeOf(vv);
    SmallVector<int64_t> out = {scores[0], scores[1], scores[2], vs[3]};
    if (!splitsTo(view, out) || vs[0] != scores[0] || vs[1] != shapeOf(k)[1] ||
        vs[2] != scores[3])
      continue;
    walk.ops.insert(tail.ops.begin(), tail.ops.end());
    walk.ops.insert(flat);
    walk.ops.insert(bmm);
    pv = bmm;
    outView = view;
    v = vv;
    break;
  }
  if (!pv || shapeOf(k)[0] != scores[0] || shapeOf(k)[1] != scores[1] ||
      shapeOf(q)[0] != scores[0] || shapeOf(q)[1] != scores[1])
    return false;
  // Rewrite: one op in place of the output view.
  OpBuilder b(outView);
  Location loc = outView.getLoc();
  if (!mask)
    mask = b.create<edge::NoneOp>(loc, b.getNoneType()).getResult();
  auto sdpa = b.create<edge::ScaledDotProductAttentionOp>(
      loc, outView.getResult().getType(), q, k, v, mask, llvm::APFloat(0.0), false,
      b.getF64FloatAttr(walk.scale), false);
  outView.getResult().replaceAllUsesWith(sdpa.getResult());
  outView.erase();
  eraseDead(walk);
  return true;
}

/// The [N, Hk, S, E] value whose heads `v` [N, Hk * g, S, E] repeats g times
/// each (head h of v is head h / g of it), as repeat_kv writes it:
/// view(clone?(expand(unsqueeze(x, 2), [N, Hk, g, S, E]))); and g. Null when
/// `v` is not such a repeat.
std::pair<Value, int64_t> repeatedHeads(Value v, Walk &walk) {
  auto view = v.getDefiningOp<edge::ViewOp>();
  if (!view || !view.getSymValues().empty())
    return {};
  Value src = peelCopies(view.getSelf(), walk);
  auto expand = src.getDefiningOp<edge::ExpandOp>();
  auto unsq = expand ? expand.getSelf().getDefiningOp<edge::UnsqueezeOp>() : nullptr;
  if (!unsq || !expand.getSymValues().empty() || unsq.getDim() != 2)
    return {};
  Value x = unsq.getSelf();
  ArrayRef<int64_t> xs = shapeOf(x), es = shapeOf(expand.getResult()), vs = shapeOf(v);
  if (xs.size() != 4 || es.size() != 5 || es[0] != xs[0] || es[1] != xs[1] || es[3] != xs[2] ||
      es[4] != xs[3] || es[2] < 1 || vs[0] != xs[0] || vs[1] != xs[1] * es[2] ||
      vs[2] != xs[2] || vs[3] != xs[3])
    return {};
  walk.ops.insert(view);
  walk.ops.insert(expand);
  walk.ops.insert(unsq);
  return {x, es[2]};
}

/// Key and value heads repeated for grouped-query attention (repeat_kv)
/// become the op's grouped heads (enable_gqa): the repeated copies are not
/// made. Head h reads head h / g of the unrepeated tensors, as before.
void foldRepeatedHeads(edge::ScaledDotProductAttentionOp op) {
  if (op.getEnableGqa())
    return;
  Walk walk;
  auto [k, gk] = repeatedHeads(op.getKey(), walk);
  auto [v, gv] = repeatedHeads(op.getValue(), walk);
  if (!k || !v || gk != gv || shapeOf(k)[1] != shapeOf(v)[1])
    return;
  op.getKeyMutable().assign(k);
  op.getValueMutable().assign(v);
  op.setEnableGqa(true);
  eraseDead(walk);
}

struct FuseAttentionPass : impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<edge::SoftmaxOp> softmaxes;
    getOperation().walk([&](edge::SoftmaxOp op) { softmaxes.push_back(op); });
    for (edge::SoftmaxOp op : softmaxes)
      fuse(op);
    SmallVector<edge::ScaledDotProductAttentionOp> attentions;
    getOperation().walk(
        [&](edge::ScaledDotProductAttentionOp op) { attentions.push_back(op); });
    for (edge::ScaledDotProductAttentionOp op : attentions)
      foldRepeatedHeads(op);
  }
};

} // namespace
} // namespace ember
