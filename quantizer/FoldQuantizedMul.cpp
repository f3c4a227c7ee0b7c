//===- FoldQuantizedMul.cpp - Static int8 products as one op --------------===//
//
// EfficientNet's squeeze-excitation multiplies its feature map by a gate
// [N, C, 1, 1]; in a PT2E static model both are dequantized and the product
// quantized: a dequantize of the feature map, the float product and a
// quantize, three passes over it. edge.quantized_mul reads the two int8
// tensors and writes the int8 product in one, with the same float32 steps
// (each operand dequantized, multiplied, quantized), so the same bits.
// A product of a dequantized x and its own sigmoid is silu, which
// ember-fold-quantized-lut takes before this pass. What does not match
// stays, with the reason recorded on the mul for the delegation summary.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "passes/Matchers.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDMUL
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// Whether `mul` sits between a dequantize and a quantize (it would have
/// been quantized).
bool isQuantizedRegion(edge::MulTensorOp mul) {
  auto dequantized = [](Value v) { return v.getDefiningOp() && isDequantize(v.getDefiningOp()); };
  return (dequantized(mul.getSelf()) || dequantized(mul.getOther())) &&
         feedsQuantize(mul.getResult());
}

LogicalResult fold(edge::MulTensorOp mul, std::string &why) {
  FailureOr<QuantizedActivation> self = dequantizedActivation(mul.getSelf(), why);
  if (failed(self)) {
    why = "operand 1: " + why;
    return failure();
  }
  FailureOr<QuantizedActivation> other = dequantizedActivation(mul.getOther(), why);
  if (failed(other)) {
    why = "operand 2: " + why;
    return failure();
  }
  FailureOr<QuantizedOutput> output = quantizedOutput(mul.getResult(), why);
  if (failed(output))
    return failure();

  edge::QuantizePerTensorOp quantize = output->quantize;
  OpBuilder b(quantize);
  auto folded = b.create<edge::QuantizedMulOp>(
      mul.getLoc(), quantize.getResult().getType(), self->quantized, self->scale,
      self->zeroPoint, other->quantized, other->scale, other->zeroPoint, quantize.getScaleAttr(),
      quantize.getZeroPointAttr(), b.getI64IntegerAttr(output->quantMin),
      b.getI64IntegerAttr(output->quantMax));
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  quantize.getResult().replaceAllUsesWith(folded.getResult());
  eraseChainIf(quantize, [&](Operation *o) {
    return o == mul || isDequantize(o) || isQuantize(o) || isClampActivation(o);
  });
  return success();
}

struct FoldQuantizedMulPass : impl::FoldQuantizedMulBase<FoldQuantizedMulPass> {
  void runOnOperation() override {
    SmallVector<edge::MulTensorOp> muls;
    getOperation().walk([&](edge::MulTensorOp op) { muls.push_back(op); });
    for (edge::MulTensorOp mul : muls) {
      if (!isQuantizedRegion(mul))
        continue;
      std::string why;
      if (failed(fold(mul, why)))
        recordNotFolded(mul, why);
    }
  }
};

} // namespace
} // namespace ember
