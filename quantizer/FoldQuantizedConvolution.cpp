//===- FoldQuantizedConvolution.cpp - Static int8 convolutions as one op --===//
//
// PT2E's static quantization leaves a convolution as dequantize (input),
// dequantize (weight), float convolution, optional activation, quantize.
// On the reference path that is four passes over the data and a float copy
// of the weight on every run; edge.quantized_convolution computes it from
// the int8 tensors in one. What does not match stays, with the reason
// recorded on the convolution for the delegation summary.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDCONVOLUTION
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// Whether `conv` would have been quantized: its weight is dequantized, or
/// it reads a dequantized input and its result is quantized.
bool isQuantizedRegion(edge::ConvolutionOp conv) {
  auto dequantized = [](Value v) { return v.getDefiningOp() && isDequantize(v.getDefiningOp()); };
  return dequantized(conv.getWeight()) ||
         (dequantized(conv.getInput()) && feedsQuantize(conv.getResult()));
}

/// Replace conv's pattern by edge.quantized_convolution, or say why not.
LogicalResult fold(edge::ConvolutionOp conv, llvm::DenseMap<Operation *, Value> &scaleCache,
                   std::string &why) {
  if (conv.getTransposed()) {
    why = "a transposed convolution has no quantized kernel";
    return failure();
  }
  if (!conv.getSymValues().empty()) {
    why = "its parameters have run-time sizes";
    return failure();
  }
  FailureOr<QuantizedActivation> input = dequantizedActivation(conv.getInput(), why);
  if (failed(input))
    return failure();
  FailureOr<SymmetricWeight> weight = symmetricWeight(conv.getWeight(), why, scaleCache);
  if (failed(weight))
    return failure();
  const int64_t outChannels = shapeOf(weight->weight)[0];
  if (!isBiasFor(conv.getBias(), outChannels)) {
    why = "the bias is not float32 [" + std::to_string(outChannels) + "]";
    return failure();
  }
  FailureOr<QuantizedOutput> output = quantizedOutput(conv.getResult(), why);
  if (failed(output))
    return failure();

  edge::QuantizePerTensorOp quantize = output->quantize;
  OpBuilder b(quantize);
  auto folded = b.create<edge::QuantizedConvolutionOp>(
      conv.getLoc(), quantize.getResult().getType(), input->quantized, input->scale,
      input->zeroPoint, weight->weight, weight->scales, conv.getBias(), conv.getStrideAttr(),
      conv.getPaddingAttr(), conv.getDilationAttr(), conv.getGroupsAttr(), quantize.getScaleAttr(),
      quantize.getZeroPointAttr(), b.getI64IntegerAttr(output->quantMin),
      b.getI64IntegerAttr(output->quantMax), ValueRange(), DenseI64ArrayAttr());
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  quantize.getResult().replaceAllUsesWith(folded.getResult());
  eraseDeadChain(quantize);
  return success();
}

struct FoldQuantizedConvolutionPass
    : impl::FoldQuantizedConvolutionBase<FoldQuantizedConvolutionPass> {
  void runOnOperation() override {
    SmallVector<edge::ConvolutionOp> convs;
    getOperation().walk([&](edge::ConvolutionOp op) { convs.push_back(op); });
    // A fold erases only its own convolution and ops before it that nothing
    // else reads, never another convolution.
    llvm::DenseMap<Operation *, Value> scaleCache;
    for (edge::ConvolutionOp conv : convs) {
      if (!isQuantizedRegion(conv))
        continue;
      std::string why;
      if (failed(fold(conv, scaleCache, why)))
        recordNotFolded(conv, why);
    }
  }
};

} // namespace
} // namespace ember
