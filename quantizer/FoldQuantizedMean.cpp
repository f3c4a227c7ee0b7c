//===- FoldQuantizedMean.cpp - Static int8 global pools as one op ---------===//
//
// EfficientNet's squeeze-excitation pools its feature map: in a PT2E static
// model a dequantize, a mean over H and W, and a quantize of the [N, C, 1,
// 1] result. The dequantize writes the whole map in float32 (four bytes an
// element) for the mean to read back. edge.quantized_mean reads the int8
// map once. The kernel dequantizes with the same float32 steps and sums in
// double as aten::mean's kernels do (exactly: the values are float32
// multiples of one scale), so the result is the same bits. What does not
// match stays, with the reason recorded on the mean.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "passes/Matchers.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDMEAN
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// torch's ScalarType code of float32 (a mean's optional dtype).
constexpr int64_t kFloat32Code = 6;

LogicalResult fold(edge::MeanDimOp mean, std::string &why) {
  std::optional<ArrayRef<int64_t>> dims = mean.getDim();
  if (!dims || dims->empty()) {
    why = "a mean over every dim (no dim list)";
    return failure();
  }
  if (IntegerAttr dtype = mean.getDtypeAttr(); dtype && dtype.getInt() != kFloat32Code) {
    why = "a dtype other than float32";
    return failure();
  }
  FailureOr<QuantizedActivation> self = dequantizedActivation(mean.getSelf(), why);
  if (failed(self))
    return failure();
  FailureOr<QuantizedOutput> output = quantizedOutput(mean.getResult(), why);
  if (failed(output))
    return failure();
  edge::QuantizePerTensorOp quantize = output->quantize;
  if (elementOf(quantize.getResult()) != elementOf(self->quantized)) {
    why = "its quantized result's type is not its input's";
    return failure();
  }

  OpBuilder b(quantize);
  auto folded = b.create<edge::QuantizedMeanOp>(
      mean.getLoc(), quantize.getResult().getType(), self->quantized, self->scale,
      self->zeroPoint, b.getDenseI64ArrayAttr(*dims), mean.getKeepdimAttr(),
      quantize.getScaleAttr(), quantize.getZeroPointAttr(),
      b.getI64IntegerAttr(output->quantMin), b.getI64IntegerAttr(output->quantMax));
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  quantize.getResult().replaceAllUsesWith(folded.getResult());
  eraseChainIf(quantize, [&](Operation *o) {
    return o == mean || isDequantize(o) || isQuantize(o) || isClampActivation(o);
  });
  return success();
}

struct FoldQuantizedMeanPass : impl::FoldQuantizedMeanBase<FoldQuantizedMeanPass> {
  void runOnOperation() override {
    SmallVector<edge::MeanDimOp> means;
    getOperation().walk([&](edge::MeanDimOp op) {
      Operation *in = op.getSelf().getDefiningOp();
      if (in && isDequantize(in) && feedsQuantize(op.getResult()))
        means.push_back(op);
    });
    for (edge::MeanDimOp mean : means) {
      std::string why;
      if (failed(fold(mean, why)))
        recordNotFolded(mean, why);
    }
  }
};

} // namespace
} // namespace ember
