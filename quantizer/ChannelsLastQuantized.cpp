//===- ChannelsLastQuantized.cpp - Quantized CNN chains run channels-last -===//
//
// Ember's int8 convolutions compute on channels-last images: a pixel's
// channels are one row of the GEMM's A, and its output row one pixel's
// channels. On NCHW tensors every convolution transposes its input to NHWC
// and its output back. This pass makes each 2-d edge.quantized_convolution
// an edge.quantized_convolution_nhwc between a permute to NHWC and one back,
// then sinkChannelsLastPermutes (passes/ChannelsLast.h, shared with the
// float ember-channels-last) moves the permutes back to NCHW down through
// what works the same in either layout and cancels them against the next
// permute to NHWC, so that a chain of quantized ops hands NHWC tensors from
// one to the next and transposes only where it starts and ends.
//
//===----------------------------------------------------------------------===//
#include "passes/ChannelsLast.h"
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

namespace ember {
#define GEN_PASS_DEF_CHANNELSLASTQUANTIZED
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// conv -> permute(conv_nhwc(permute(x))).
void toChannelsLast(edge::QuantizedConvolutionOp conv) {
  OpBuilder b(conv);
  Value x = permuteAt(b, conv, conv.getInput(), kToNhwc).getResult();
  auto nhwc = b.create<edge::QuantizedConvolutionNhwcOp>(
      conv.getLoc(), withShape(conv.getResult(), permutedShape(shapeOf(conv.getResult()), kToNhwc)),
      x, conv.getInputScaleAttr(), conv.getInputZeroPointAttr(), conv.getWeight(),
      conv.getWeightScales(), conv.getBias(), conv.getStrideAttr(), conv.getPaddingAttr(),
      conv.getDilationAttr(), conv.getGroupsAttr(), conv.getOutputScaleAttr(),
      conv.getOutputZeroPointAttr(), conv.getQuantMinAttr(), conv.getQuantMaxAttr(), ValueRange(),
      DenseI64ArrayAttr());
  nhwc->setDiscardableAttrs(conv->getDiscardableAttrDictionary());
  conv.getResult().replaceAllUsesWith(permuteAt(b, conv, nhwc.getResult(), kToNchw).getResult());
  conv.erase();
}

struct ChannelsLastQuantizedPass : impl::ChannelsLastQuantizedBase<ChannelsLastQuantizedPass> {
  void runOnOperation() override {
    SmallVector<edge::QuantizedConvolutionOp> convs;
    getOperation().walk([&](edge::QuantizedConvolutionOp op) {
      if (isStatic4d(op.getInput()) && isStatic4d(op.getResult()) && op.getSymValues().empty())
        convs.push_back(op);
    });
    for (edge::QuantizedConvolutionOp conv : convs)
      toChannelsLast(conv);
    sinkChannelsLastPermutes(getOperation());
  }
};

} // namespace
} // namespace ember
