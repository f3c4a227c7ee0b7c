//===- FoldQuantizedAdd.cpp - Static int8 residual adds as one op ---------===//
//
// A residual connection in a PT2E static model is dequantize, dequantize,
// add, optional relu, quantize: four passes over the tensor on the reference
// path. edge.quantized_add reads the two int8 tensors and writes the int8
// sum in one. What does not match stays, with the reason recorded on the
// add for the delegation summary.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "exir/EdgeConstants.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDADD
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// Whether `add` sits between a dequantize and a quantize (it would have
/// been quantized).
bool isQuantizedRegion(edge::AddTensorOp add) {
  auto dequantized = [](Value v) { return v.getDefiningOp() && isDequantize(v.getDefiningOp()); };
  return (dequantized(add.getSelf()) || dequantized(add.getOther())) &&
         feedsQuantize(add.getResult());
}

LogicalResult fold(edge::AddTensorOp add, std::string &why) {
  if (!add.getSymValues().empty() || edge::scalarValue(add.getAlphaAttr()) != 1.0) {
    why = "alpha is not 1";
    return failure();
  }
  FailureOr<QuantizedActivation> self = dequantizedActivation(add.getSelf(), why);
  if (failed(self)) {
    why = "operand 1: " + why;
    return failure();
  }
  FailureOr<QuantizedActivation> other = dequantizedActivation(add.getOther(), why);
  if (failed(other)) {
    why = "operand 2: " + why;
    return failure();
  }
  FailureOr<QuantizedOutput> output = quantizedOutput(add.getResult(), why);
  if (failed(output))
    return failure();

  edge::QuantizePerTensorOp quantize = output->quantize;
  OpBuilder b(quantize);
  auto folded = b.create<edge::QuantizedAddOp>(
      add.getLoc(), quantize.getResult().getType(), self->quantized, self->scale,
      self->zeroPoint, other->quantized, other->scale, other->zeroPoint, quantize.getScaleAttr(),
      quantize.getZeroPointAttr(), b.getI64IntegerAttr(output->quantMin),
      b.getI64IntegerAttr(output->quantMax));
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  quantize.getResult().replaceAllUsesWith(folded.getResult());
  eraseDeadChain(quantize);
  return success();
}

struct FoldQuantizedAddPass : impl::FoldQuantizedAddBase<FoldQuantizedAddPass> {
  void runOnOperation() override {
    SmallVector<edge::AddTensorOp> adds;
    getOperation().walk([&](edge::AddTensorOp op) { adds.push_back(op); });
    for (edge::AddTensorOp add : adds) {
      if (!isQuantizedRegion(add))
        continue;
      std::string why;
      if (failed(fold(add, why)))
        recordNotFolded(add, why);
    }
  }
};

} // namespace
} // namespace ember
