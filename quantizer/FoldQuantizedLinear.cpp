//===- FoldQuantizedLinear.cpp - Static int8 linears as one op ------------===//
//
// PT2E's static quantization leaves a linear layer as dequantize (input),
// dequantize (weight), float linear (or addmm/mm of the transposed weight),
// optional activation, quantize. edge.quantized_linear computes it from the
// int8 tensors in one op; what does not match stays, with the reason recorded
// on the product for the delegation summary.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDLINEAR
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// The product's float result, or the view after it when that view keeps
/// rows whole and is its only user (torch.export's linear on [B, S, K] is
/// view, linear, view back).
Value resultThroughView(Operation *op) {
  Value result = op->getResult(0);
  if (!result.hasOneUse())
    return result;
  auto view = dyn_cast<edge::ViewOp>(*result.getUsers().begin());
  if (!view || throughRowView(view.getResult()).view != view)
    return result;
  return view.getResult();
}

/// Whether a static (literal-parameter) quantized product that would have
/// been quantized: it reads an input dequantized per tensor and its weight
/// is dequantized or its result quantized, or its weight is dequantized per
/// channel or per tensor and its result quantized (views keeping rows looked
/// through). Inputs quantized at run time are the dynamic and low-bit
/// folds' to judge.
bool isStaticRegion(Operation *op, const LinearMatch &m) {
  Value source = throughRowView(m.input).source;
  const bool staticInput = static_cast<bool>(source.getDefiningOp<edge::DequantizePerTensorOp>());
  Operation *inputDef = source.getDefiningOp();
  if (!staticInput && inputDef && isDequantize(inputDef))
    return false;
  Operation *weightDef = m.weight.getDefiningOp();
  const bool weightDequantized =
      weightDef && isa<edge::DequantizePerChannelOp, edge::DequantizePerTensorOp>(weightDef);
  const bool quantized = feedsQuantize(resultThroughView(op));
  return (staticInput && (quantized || weightDequantized)) || (weightDequantized && quantized);
}

LogicalResult fold(Operation *op, const LinearMatch &m,
                   llvm::DenseMap<Operation *, Value> &scaleCache, std::string &why) {
  // quantized_linear takes [..., K]: the int8 tensor before the views.
  FailureOr<QuantizedActivation> input =
      dequantizedActivation(throughRowView(m.input).source, why);
  if (failed(input))
    return failure();
  if (shapeOf(m.weight).size() != 2) {
    why = "the weight is not 2-d";
    return failure();
  }
  FailureOr<SymmetricWeight> weight = symmetricWeight(m.weight, why, scaleCache);
  if (failed(weight))
    return failure();
  const int64_t n = shapeOf(weight->weight)[0];
  if (!isBiasFor(m.bias, n)) {
    why = "the bias is not float32 [" + std::to_string(n) + "]";
    return failure();
  }
  FailureOr<QuantizedOutput> output = quantizedOutput(resultThroughView(op), why);
  if (failed(output))
    return failure();
  edge::QuantizePerTensorOp quantize = output->quantize;
  SmallVector<int64_t> shape(shapeOf(input->quantized).drop_back());
  shape.push_back(n);
  if (shapeOf(quantize.getResult()) != ArrayRef<int64_t>(shape)) {
    why = "the views around it change its rows";
    return failure();
  }

  OpBuilder b(quantize);
  Value bias = m.bias ? m.bias : noneValue(b, op->getLoc());
  auto folded = b.create<edge::QuantizedLinearOp>(
      op->getLoc(), quantize.getResult().getType(), input->quantized, input->scale,
      input->zeroPoint, weight->weight, weight->scales, bias, quantize.getScaleAttr(),
      quantize.getZeroPointAttr(), b.getI64IntegerAttr(output->quantMin),
      b.getI64IntegerAttr(output->quantMax));
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  quantize.getResult().replaceAllUsesWith(folded.getResult());
  eraseDeadChain(quantize);
  return success();
}

struct FoldQuantizedLinearPass : impl::FoldQuantizedLinearBase<FoldQuantizedLinearPass> {
  void runOnOperation() override {
    SmallVector<Operation *> products;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::LinearOp, edge::AddmmOp, edge::MmOp>(op))
        products.push_back(op);
    });
    llvm::DenseMap<Operation *, Value> scaleCache;
    for (Operation *op : products) {
      std::optional<LinearMatch> m = matchLinear(op);
      if (!m || !isStaticRegion(op, *m))
        continue;
      std::string why;
      if (failed(fold(op, *m, scaleCache, why)))
        recordNotFolded(op, why);
    }
  }
};

} // namespace
} // namespace ember
