//===- FoldQuantizedMaxPool.cpp - int8 max pooling in its own integers ----===//
//
// PT2E quantizes a max pool with its input's parameters (max commutes with
// dequantize, which is monotone): dequantize, a float max pool, quantize
// with the same scale and zero point. The quantize gives back the very
// integers the pool picked, so the pattern is a max pool of the int8 tensor.
// The int8 pool runs channels-last (a pixel's channels side by side are one
// vector), between a transpose to NHWC and one back; the channels-last pass
// removes both where its neighbours are channels-last too.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "exir/EdgeConstants.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDMAXPOOL
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

LogicalResult fold(edge::MaxPool2dWithIndicesOp pool, std::string &why) {
  FailureOr<QuantizedActivation> input = dequantizedActivation(pool.getSelf(), why);
  if (failed(input))
    return failure();
  ArrayRef<int64_t> x = shapeOf(input->quantized);
  if (x.size() != 4 || ShapedType::isDynamicShape(x)) {
    why = "the input is not a 4-d tensor of static sizes";
    return failure();
  }
  if (!pool.getResult(1).use_empty()) {
    why = "its indices are used";
    return failure();
  }
  Value pooled = pool.getResult(0);
  auto quantize = pooled.hasOneUse()
                      ? dyn_cast<edge::QuantizePerTensorOp>(*pooled.getUsers().begin())
                      : edge::QuantizePerTensorOp();
  if (!quantize) {
    why = "its result is not quantized by one quantize_per_tensor alone";
    return failure();
  }
  Type q = elementOf(input->quantized);
  const bool isUnsigned = q.isUnsignedInteger();
  const int64_t lowest = isUnsigned ? 0 : -128, highest = isUnsigned ? 255 : 127;
  if (elementOf(quantize.getResult()) != q ||
      quantize.getScaleAttr().getValueAsDouble() != input->scale.getValueAsDouble() ||
      quantize.getZeroPointAttr().getInt() != input->zeroPoint.getInt()) {
    why = "it is requantized (the quantize's type, scale or zero point differ from the input's)";
    return failure();
  }
  if (quantize.getQuantMinAttr().getInt() > lowest ||
      quantize.getQuantMaxAttr().getInt() < highest) {
    why = "the quantize clamps to a narrower range than its type";
    return failure();
  }

  OpBuilder b(quantize);
  Location loc = pool.getLoc();
  DictionaryAttr line = quantize->getDiscardableAttrDictionary();
  Value toNhwc = createPermute(b, loc, line, input->quantized, kToNhwc);
  auto nhwcPool = b.create<edge::QuantizedMaxPool2dNhwcOp>(
      loc, RankedTensorType::get(permutedShape(shapeOf(quantize.getResult()), kToNhwc), q), toNhwc,
      pool.getKernelSizeAttr(), pool.getStrideAttr(), pool.getPaddingAttr(),
      pool.getDilationAttr(), pool.getCeilModeAttr());
  nhwcPool->setDiscardableAttrs(line);
  Value toNchw = createPermute(b, loc, line, nhwcPool.getResult(), kToNchw);
  quantize.getResult().replaceAllUsesWith(toNchw);
  eraseDeadChain(quantize);
  return success();
}

struct FoldQuantizedMaxPoolPass : impl::FoldQuantizedMaxPoolBase<FoldQuantizedMaxPoolPass> {
  void runOnOperation() override {
    SmallVector<edge::MaxPool2dWithIndicesOp> pools;
    getOperation().walk([&](edge::MaxPool2dWithIndicesOp op) { pools.push_back(op); });
    for (edge::MaxPool2dWithIndicesOp pool : pools) {
      Operation *in = pool.getSelf().getDefiningOp();
      if (!in || !isDequantize(in))
        continue;
      std::string why;
      if (failed(fold(pool, why)))
        recordNotFolded(pool, why);
    }
  }
};

} // namespace
} // namespace ember
