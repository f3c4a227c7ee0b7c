//===- FuseLinear.cpp - Matrix products with a transposed weight ----------===//
//
// mm(x, permute(w, [1, 0])) and addmm(b, x, permute(w, [1, 0])) become
// linear(x, w, b): the kernel reads w in its own layout, so the transpose,
// a full copy of w on every run, is never made. Constant folding already
// stores the transpose of a weight only one op reads; what reaches this pass
// is a weight folding must not duplicate (a tied embedding and LM head) or a
// run-time value.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeConstants.h"
#include "passes/Passes.h"

namespace ember {
#define GEN_PASS_DEF_FUSELINEAR
#include "passes/Passes.h.inc"

using namespace mlir;

namespace {

/// An f32, f16 or bf16 tensor: the element types linear's kernel takes.
bool isLinearFloat(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && (t.getElementType().isF32() || t.getElementType().isF16() ||
               t.getElementType().isBF16());
}

/// `w` when `v` is permute(w, [1, 0]) of a 2-d f32, f16 or bf16 tensor, else null.
Value transposedFrom(Value v) {
  auto permute = v.getDefiningOp<edge::PermuteOp>();
  if (!permute || !isLinearFloat(permute.getSelf()))
    return {};
  ArrayRef<int64_t> dims = permute.getDims();
  if (dims.size() != 2 || dims[0] != 1 || dims[1] != 0)
    return {};
  return permute.getSelf();
}

/// Replace `op` (a matrix product x @ `wt`, wt = permute(w)) by
/// linear(x, w, bias). The product's discardable attributes (a result whose
/// sizes vary at run time: edge.dynamic_results) carry over to the linear.
void replaceByLinear(Operation *op, Value x, Value wt, Value w, Value bias) {
  OpBuilder b(op);
  Operation *permute = wt.getDefiningOp();
  auto linear = b.create<edge::LinearOp>(op->getLoc(), op->getResult(0).getType(), x, w, bias);
  linear->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  op->getResult(0).replaceAllUsesWith(linear.getResult());
  op->erase();
  if (permute->use_empty())
    permute->erase();
}

struct FuseLinearPass : impl::FuseLinearBase<FuseLinearPass> {
  void runOnOperation() override {
    SmallVector<Operation *> products;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::MmOp, edge::AddmmOp>(op))
        products.push_back(op);
    });
    for (Operation *op : products) {
      if (auto mm = dyn_cast<edge::MmOp>(op)) {
        Value w = transposedFrom(mm.getMat2());
        if (!w || !isLinearFloat(mm.getSelf()))
          continue;
        OpBuilder b(mm);
        Value none = b.create<edge::NoneOp>(mm.getLoc(), b.getNoneType()).getResult();
        replaceByLinear(mm, mm.getSelf(), mm.getMat2(), w, none);
        continue;
      }
      auto addmm = cast<edge::AddmmOp>(op);
      Value w = transposedFrom(addmm.getMat2());
      if (!w || !isLinearFloat(addmm.getMat1()) || !isLinearFloat(addmm.getSelf()))
        continue;
      // linear adds the bias once and the product once: beta = alpha = 1
      // (known at compile time: not computed at run time), and the bias one
      // value per output column ([N]).
      if (!addmm.getSymValues().empty())
        continue;
      if (edge::scalarValue(addmm.getBetaAttr()).value_or(1.0) != 1.0 ||
          edge::scalarValue(addmm.getAlphaAttr()).value_or(1.0) != 1.0)
        continue;
      ArrayRef<int64_t> bias = cast<RankedTensorType>(addmm.getSelf().getType()).getShape();
      ArrayRef<int64_t> wshape = cast<RankedTensorType>(w.getType()).getShape();
      if (bias.size() != 1 || bias[0] != wshape[0])
        continue;
      replaceByLinear(addmm, addmm.getMat1(), addmm.getMat2(), w, addmm.getSelf());
    }
  }
};

} // namespace

} // namespace ember
