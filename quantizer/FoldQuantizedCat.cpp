//===- FoldQuantizedCat.cpp - Static int8 concatenations as one op --------===//
//
// A cat in a PT2E static model (Inception's and SqueezeNet's branches, a
// U-Net's skip connection) is a dequantize of every input, the float cat and
// a quantize: the float copy is four times the bytes the int8 data needs.
// edge.quantized_cat reads the int8 inputs and writes the int8 result in one
// pass, with each input's own scale and zero point (PT2E's quantizers give
// them the output's, and then the kernel copies bytes; otherwise it
// requantizes with the float32 steps of the pattern). What does not match
// stays, with the reason recorded on the cat.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "passes/Matchers.h"

namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDCAT
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// Whether `cat` sits between a dequantize and a quantize (it would have
/// been quantized).
bool isQuantizedRegion(edge::CatOp cat) {
  return llvm::any_of(cat.getTensors(),
                      [](Value v) {
                        return v.getDefiningOp() && isDequantize(v.getDefiningOp());
                      }) &&
         feedsQuantize(cat.getResult());
}

LogicalResult fold(edge::CatOp cat, std::string &why) {
  FailureOr<QuantizedOutput> output = quantizedOutput(cat.getResult(), why);
  if (failed(output))
    return failure();
  Type element = elementOf(output->quantize.getResult());
  const int64_t rank = shapeOf(cat.getResult()).size();
  SmallVector<Value> inputs;
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  for (auto [i, t] : llvm::enumerate(cat.getTensors())) {
    FailureOr<QuantizedActivation> input = dequantizedActivation(t, why);
    if (failed(input)) {
      why = "tensor " + std::to_string(i + 1) + ": " + why;
      return failure();
    }
    // One dtype for the kernel: int8 and uint8 inputs of one cat would need
    // a conversion per input that no model has shown.
    if (elementOf(input->quantized) != element) {
      why = "tensor " + std::to_string(i + 1) + " is quantized to another type than the result";
      return failure();
    }
    // cat's legacy rule skips 1-d empty tensors; the kernel takes none.
    if (static_cast<int64_t>(shapeOf(t).size()) != rank) {
      why = "tensor " + std::to_string(i + 1) + " has another rank than the result";
      return failure();
    }
    inputs.push_back(input->quantized);
    scales.push_back(input->scale.getValueAsDouble());
    zeroPoints.push_back(input->zeroPoint.getInt());
  }
  const int64_t dim = static_cast<int64_t>(cat.getDim());
  edge::QuantizePerTensorOp quantize = output->quantize;
  OpBuilder b(quantize);
  auto folded = b.create<edge::QuantizedCatOp>(
      cat.getLoc(), quantize.getResult().getType(), inputs, b.getDenseF64ArrayAttr(scales),
      b.getDenseI64ArrayAttr(zeroPoints), b.getI64IntegerAttr(dim < 0 ? dim + rank : dim),
      quantize.getScaleAttr(), quantize.getZeroPointAttr(),
      b.getI64IntegerAttr(output->quantMin), b.getI64IntegerAttr(output->quantMax));
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  quantize.getResult().replaceAllUsesWith(folded.getResult());
  eraseChainIf(quantize, [&](Operation *o) {
    return o == cat || isDequantize(o) || isQuantize(o) || isClampActivation(o);
  });
  return success();
}

struct FoldQuantizedCatPass : impl::FoldQuantizedCatBase<FoldQuantizedCatPass> {
  void runOnOperation() override {
    SmallVector<edge::CatOp> cats;
    getOperation().walk([&](edge::CatOp op) { cats.push_back(op); });
    for (edge::CatOp cat : cats) {
      if (!isQuantizedRegion(cat))
        continue;
      std::string why;
      if (failed(fold(cat, why)))
        recordNotFolded(cat, why);
    }
  }
};

} // namespace
} // namespace ember
