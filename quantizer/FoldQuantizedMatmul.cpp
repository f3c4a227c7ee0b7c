//===- FoldQuantizedMatmul.cpp - Products of two int8 activations ---------===//
//
// Attention's Q @ K^T and P @ V multiply two activations. Quantized (Ember's
// quantizer annotates matmul and bmm), each is a dequantize of both
// operands, the float product and a quantize; torch.export spells the
// matmul as expand and view of each operand, bmm, and a view of the
// result. edge.quantized_matmul reads the two int8 operands and writes the
// int8 product. Per-tensor dequantization commutes with views, expands and
// clones, so those run on the int8 tensors instead (dropped when they keep
// the shape, as a 3-d matmul's and every clone do). A linear's mm (a
// constant weight) is ember-fold-quantized-linear's, which runs first. What
// does not match stays, with the reason recorded on the product.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "passes/Matchers.h"

#include "mlir/IR/IRMapping.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDMATMUL
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// A view or expand with literal sizes, or a contiguous clone (torch.export
/// copies a multi-head operand before its view): what dequantize_per_tensor
/// commutes with.
bool isLayoutOp(Operation *op) {
  if (auto view = dyn_cast_or_null<edge::ViewOp>(op))
    return view.getSymValues().empty();
  if (auto expand = dyn_cast_or_null<edge::ExpandOp>(op))
    return expand.getSymValues().empty();
  if (auto clone = dyn_cast_or_null<edge::CloneOp>(op))
    return !clone.getMemoryFormatAttr() || clone.getMemoryFormatAttr().getInt() == 0;
  return false;
}

/// An operand of the product: the value before its views and expands, and
/// those ops, the first applied first.
struct Operand {
  Value source;
  SmallVector<Operation *> layout;
};

Operand throughLayout(Value v) {
  Operand o{v, {}};
  while (isLayoutOp(o.source.getDefiningOp())) {
    o.layout.push_back(o.source.getDefiningOp());
    o.source = o.source.getDefiningOp()->getOperand(0);
  }
  std::reverse(o.layout.begin(), o.layout.end());
  return o;
}

/// The product's result after the views alone reading it, one after the
/// other; the views in `layout`.
Value throughResultViews(Value v, SmallVector<Operation *> &layout) {
  while (v.hasOneUse() && isLayoutOp(*v.getUsers().begin()) &&
         isa<edge::ViewOp>(*v.getUsers().begin())) {
    layout.push_back(*v.getUsers().begin());
    v = layout.back()->getResult(0);
  }
  return v;
}

/// `layout` applied to `x` (an int8 tensor) at the builder's point, each op
/// that keeps its input's shape left out (the clones: the kernel reads any
/// contiguous tensor).
Value reapply(OpBuilder &b, ArrayRef<Operation *> layout, Value x) {
  for (Operation *op : layout) {
    ArrayRef<int64_t> out = shapeOf(op->getResult(0));
    if (out == shapeOf(x))
      continue;
    IRMapping map;
    map.map(op->getOperand(0), x);
    Operation *copy = b.clone(*op, map);
    copy->getResult(0).setType(RankedTensorType::get(out, elementOf(x)));
    x = copy->getResult(0);
  }
  return x;
}

bool isDequantized(Value v) {
  Operation *def = throughLayout(v).source.getDefiningOp();
  return def && isDequantize(def);
}

/// Whether `product` sits between dequantizes and a quantize (it would have
/// been quantized).
bool isQuantizedRegion(Operation *product) {
  SmallVector<Operation *> views;
  return (isDequantized(product->getOperand(0)) || isDequantized(product->getOperand(1))) &&
         feedsQuantize(throughResultViews(product->getResult(0), views));
}

LogicalResult fold(Operation *product, std::string &why) {
  Operand lhs = throughLayout(product->getOperand(0));
  Operand rhs = throughLayout(product->getOperand(1));
  FailureOr<QuantizedActivation> self = dequantizedActivation(lhs.source, why);
  if (failed(self)) {
    why = "operand 1: " + why;
    return failure();
  }
  FailureOr<QuantizedActivation> other = dequantizedActivation(rhs.source, why);
  if (failed(other)) {
    why = "operand 2: " + why;
    return failure();
  }
  SmallVector<Operation *> resultViews;
  Value result = throughResultViews(product->getResult(0), resultViews);
  FailureOr<QuantizedOutput> output = quantizedOutput(result, why);
  if (failed(output))
    return failure();

  edge::QuantizePerTensorOp quantize = output->quantize;
  OpBuilder b(quantize);
  Value a = reapply(b, lhs.layout, self->quantized);
  Value c = reapply(b, rhs.layout, other->quantized);
  Type element = elementOf(quantize.getResult());
  auto type = RankedTensorType::get(shapeOf(product->getResult(0)), element);
  auto folded = b.create<edge::QuantizedMatmulOp>(
      product->getLoc(), type, a, self->scale, self->zeroPoint, c, other->scale,
      other->zeroPoint, quantize.getScaleAttr(), quantize.getZeroPointAttr(),
      b.getI64IntegerAttr(output->quantMin), b.getI64IntegerAttr(output->quantMax));
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  Value y = reapply(b, resultViews, folded.getResult());
  quantize.getResult().replaceAllUsesWith(y);
  eraseChainIf(quantize, [&](Operation *o) {
    return o == product || isDequantize(o) || isQuantize(o) || isClampActivation(o) ||
           isLayoutOp(o);
  });
  return success();
}

struct FoldQuantizedMatmulPass : impl::FoldQuantizedMatmulBase<FoldQuantizedMatmulPass> {
  void runOnOperation() override {
    SmallVector<Operation *> products;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::BmmOp, edge::MmOp>(op))
        products.push_back(op);
    });
    for (Operation *product : products) {
      if (!isQuantizedRegion(product))
        continue;
      std::string why;
      if (failed(fold(product, why)) && !hasQuantizerRefusal(product))
        recordNotFolded(product, why);
    }
  }
};

} // namespace
} // namespace ember
