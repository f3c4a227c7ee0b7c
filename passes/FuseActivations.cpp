//===- FuseActivations.cpp - SiLU and hardswish as one op each -------------===//
//
// torch.export decomposes silu into sigmoid and mul, and hardswish into five
// ops (add 3, clamp at 0, clamp at 6, mul by the input, divide by 6); on
// Ember's kernels each op is a pass over the whole tensor. This pass puts
// them back together as edge.silu and edge.hardswish, one pass each. It runs
// after partitioning, on what the backends left: XNNPACK takes the pieces
// itself (its own fusion makes a hardswish node).
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeConstants.h"
#include "passes/Passes.h"

namespace ember {
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "passes/Passes.h.inc"

using namespace mlir;

namespace {

/// A floating tensor type (the activations' kernels are floating only).
bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

/// The defining op of `v` as OpTy when `v` has no other user.
template <typename OpTy>
OpTy soleProducer(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  return op && v.hasOneUse() ? op : OpTy();
}

/// Whether `v` is a constant of one element equal to `expected`.
bool isConstantValue(Value v, float expected) {
  FailureOr<SmallVector<float>> data = edge::readConstantF32(v);
  return succeeded(data) && data->size() == 1 && (*data)[0] == expected;
}

/// Whether a Scalar attribute is known at compile time and equals `expected`.
bool isScalar(Attribute attr, double expected) {
  return attr && edge::scalarValue(attr) == expected;
}

/// The x of `t` = x + 3 (add.Tensor with a constant 3 and alpha 1, or
/// add.Scalar), when `t` has no other user; else null.
Value plusThree(Value t) {
  if (auto add = soleProducer<edge::AddTensorOp>(t)) {
    if (add.getSymValues().empty() && isScalar(add.getAlphaAttr(), 1.0) &&
        isConstantValue(add.getOther(), 3.0f))
      return add.getSelf();
    return {};
  }
  if (auto add = soleProducer<edge::AddScalarOp>(t))
    if (add.getSymValues().empty() && isScalar(add.getAlphaAttr(), 1.0) &&
        isScalar(add.getOtherAttr(), 3.0))
      return add.getSelf();
  return {};
}

/// The x of `v` = clamp(x + 3, 0, 6): one clamp with both bounds, a clamp at
/// 0 then one at 6, or hardtanh(0, 6). Every op in the chain has no other
/// user. Null when `v` is something else.
Value relu6OfPlusThree(Value v) {
  if (auto ht = soleProducer<edge::HardtanhOp>(v)) {
    if (ht.getSymValues().empty() && isScalar(ht.getMinValAttr(), 0.0) &&
        isScalar(ht.getMaxValAttr(), 6.0))
      return plusThree(ht.getSelf());
    return {};
  }
  auto hi = soleProducer<edge::ClampOp>(v);
  if (!hi || !hi.getSymValues().empty() || !isScalar(hi.getMaxAttr(), 6.0))
    return {};
  if (hi.getMinAttr())
    return isScalar(hi.getMinAttr(), 0.0) ? plusThree(hi.getSelf()) : Value();
  auto lo = soleProducer<edge::ClampOp>(hi.getSelf());
  if (!lo || !lo.getSymValues().empty() || lo.getMaxAttr() || !isScalar(lo.getMinAttr(), 0.0))
    return {};
  return plusThree(lo.getSelf());
}

/// Replace `root` by `OpTy(x)`, which keeps root's discardable attributes
/// (edge.dynamic_results), and erase the ops of the chain that fed it (and
/// constants) left without a user.
template <typename OpTy>
void replace(Operation *root, Value x) {
  OpBuilder b(root);
  auto fused = b.create<OpTy>(root->getLoc(), root->getResult(0).getType(), x);
  fused->setDiscardableAttrs(root->getDiscardableAttrDictionary());
  root->getResult(0).replaceAllUsesWith(fused.getResult());
  SmallVector<Operation *> dead = {root};
  while (!dead.empty()) {
    Operation *op = dead.pop_back_val();
    SmallVector<Value> operands(op->getOperands());
    op->erase();
    for (Value v : operands) {
      Operation *def = v.getDefiningOp();
      if (def && def->use_empty() &&
          isa<edge::SigmoidOp, edge::MulTensorOp, edge::ClampOp, edge::HardtanhOp,
              edge::AddTensorOp, edge::AddScalarOp, edge::ConstantOp>(def))
        dead.push_back(def);
    }
  }
}

/// mul(x, sigmoid(x)) in either order: x, else null.
Value siluInput(edge::MulTensorOp mul) {
  for (auto [a, b] : {std::pair(mul.getSelf(), mul.getOther()),
                      std::pair(mul.getOther(), mul.getSelf())}) {
    auto sigmoid = soleProducer<edge::SigmoidOp>(b);
    if (sigmoid && sigmoid.getSelf() == a)
      return a;
  }
  return {};
}

/// (x * clamp(x + 3, 0, 6)) / 6 (div.Tensor by a constant 6, or div.Scalar):
/// x, else null.
Value hardswishInput(Operation *div) {
  Value product;
  if (auto d = dyn_cast<edge::DivTensorOp>(div)) {
    if (!isConstantValue(d.getOther(), 6.0f))
      return {};
    product = d.getSelf();
  } else if (auto d = dyn_cast<edge::DivScalarOp>(div)) {
    if (!d.getSymValues().empty() || !isScalar(d.getOtherAttr(), 6.0))
      return {};
    product = d.getSelf();
  } else {
    return {};
  }
  auto mul = soleProducer<edge::MulTensorOp>(product);
  if (!mul)
    return {};
  for (auto [a, b] : {std::pair(mul.getSelf(), mul.getOther()),
                      std::pair(mul.getOther(), mul.getSelf())})
    if (Value x = relu6OfPlusThree(b); x && x == a)
      return x;
  return {};
}

struct FuseActivationsPass : impl::FuseActivationsBase<FuseActivationsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> roots;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::MulTensorOp, edge::DivTensorOp, edge::DivScalarOp>(op))
        roots.push_back(op);
    });
    // A root erased as part of an earlier match is not visited: the walk
    // order puts a chain's last op after every op it erases.
    for (Operation *op : roots) {
      Value result = op->getResult(0);
      if (!isFloatTensor(result))
        continue;
      if (auto mul = dyn_cast<edge::MulTensorOp>(op)) {
        Value x = siluInput(mul);
        if (x && x.getType() == result.getType())
          replace<edge::SiluOp>(op, x);
        continue;
      }
      Value x = hardswishInput(op);
      if (x && x.getType() == result.getType())
        replace<edge::HardswishOp>(op, x);
    }
  }
};

} // namespace
} // namespace ember
