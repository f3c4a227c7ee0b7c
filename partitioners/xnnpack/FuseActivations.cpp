//===- FuseActivations.cpp - Clamps into the output clamp of their producer -===//
//
// 1. In program order, a clamp whose input comes from a node that clamps its
//    output and has no other user disappears into that node: the node's
//    range becomes the intersection of both (clamp(clamp(x, a, b), c, d) is
//    clamp(x, max(a, c), min(b, d)) when the ranges meet). A chain of clamps
//    collapses the same way.
// 2. x * clamp(x + 3, 0, 6) / 6, PyTorch's hardswish after decomposition
//    (the clamp already fused into the add by step 1), becomes one node.
//
//===----------------------------------------------------------------------===//
#include "partitioners/xnnpack/XnnpackPasses.h"

#include <limits>

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackDialect.h"
#include "partitioners/xnnpack/XnnpackUtils.h"

using namespace mlir;

namespace ember::xnnpack {
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "partitioners/xnnpack/XnnpackPasses.h.inc"

namespace {

struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

Range rangeOf(Operation *op) {
  Range r;
  if (auto min = op->getAttrOfType<FloatAttr>(kOutputMinAttr))
    r.min = min.getValueAsDouble();
  if (auto max = op->getAttrOfType<FloatAttr>(kOutputMaxAttr))
    r.max = max.getValueAsDouble();
  return r;
}

bool hasClamp(Operation *op) {
  return op->hasAttr(kOutputMinAttr) || op->hasAttr(kOutputMaxAttr);
}

/// Step 1 for one clamp; returns whether it was fused.
bool fuseClamp(ClampOp clamp) {
  Operation *producer = clamp.getInput().getDefiningOp();
  if (!producer || !producer->hasTrait<ClampsOutput>() || !producer->hasOneUse())
    return false;
  Range outer = rangeOf(clamp), inner = rangeOf(producer);
  Range fused{std::max(outer.min, inner.min), std::min(outer.max, inner.max)};
  if (fused.min > fused.max)
    return false;  // disjoint ranges: the result is a constant, leave it
  Builder b(clamp.getContext());
  if (fused.min != -std::numeric_limits<double>::infinity())
    producer->setAttr(kOutputMinAttr, b.getF32FloatAttr(fused.min));
  if (fused.max != std::numeric_limits<double>::infinity())
    producer->setAttr(kOutputMaxAttr, b.getF32FloatAttr(fused.max));
  clamp.getResult().replaceAllUsesWith(producer->getResult(0));
  clamp.erase();
  return true;
}

/// Whether `v` is a constant whose every element is `value`.
bool isSplat(Value v, float value) {
  FailureOr<SmallVector<float>> data = edge::readConstantF32(v);
  return succeeded(data) && !data->empty() &&
         llvm::all_of(*data, [&](float x) { return x == value; });
}

/// Step 2 for one divide: x * clamp(x + 3, 0, 6) / 6.
bool fuseHardswish(DivideOp div) {
  auto mul = div.getLhs().getDefiningOp<MultiplyOp>();
  if (!mul || !mul->hasOneUse() || hasClamp(mul) || hasClamp(div) || !isSplat(div.getRhs(), 6.0f))
    return false;
  for (auto [x, other] : {std::pair(mul.getLhs(), mul.getRhs()), std::pair(mul.getRhs(), mul.getLhs())}) {
    auto add = other.getDefiningOp<AddOp>();
    if (!add || !add->hasOneUse() || add.getLhs() != x || !isSplat(add.getRhs(), 3.0f))
      continue;
    Range r = rangeOf(add);
    if (r.min != 0.0 || r.max != 6.0 || x.getType() != div.getType())
      continue;
    OpBuilder b(div);
    Value y = b.create<HardswishOp>(div.getLoc(), div.getType(), x).getResult();
    div.getResult().replaceAllUsesWith(y);
    div.erase();
    mul.erase();
    add.erase();
    return true;
  }
  return false;
}

struct FuseActivationsPass : impl::FuseActivationsBase<FuseActivationsPass> {
  void runOnOperation() override {
    if (getOperation().isExternal())
      return;
    Block &body = getOperation().getBody().front();
    for (auto clamp : llvm::make_early_inc_range(body.getOps<ClampOp>()))
      fuseClamp(clamp);
    for (auto div : llvm::make_early_inc_range(body.getOps<DivideOp>()))
      fuseHardswish(div);
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isa<edge::ConstantOp>(op) && op.use_empty())
        op.erase();
  }
};

} // namespace
} // namespace ember::xnnpack
