//===- FoldQuantizedLut.cpp - Quantized activations as 256-entry tables ---===//
//
// An activation PT2E quantizes on its own (EfficientNet's silu, sigmoid
// gates, hardswish, gelu, tanh) is dequantize -> float function -> quantize:
// three passes over the tensor, a transcendental per element. Its input
// takes at most 256 values, so the whole pattern is a table of 256 bytes,
// computed here once with torch's float32 steps: dequantize ((v - zp) as
// float32 times float32(scale)), the function in float32, an optional clamp
// activation, then quantize_per_tensor's rounding. edge.quantized_lut looks
// each byte up. The function's float32 result can differ from PyTorch's
// vectorised one in the last bit, which moves a value across a rounding
// boundary at most one step (the bound the tests state).
//
// torch.export leaves silu decomposed, mul(x, sigmoid(x)), and
// ember-fuse-activations only makes it edge.silu after partitioning: the
// product of a dequantized x and its own sigmoid is tabulated here too, with
// the two ops' float32 roundings (EfficientNet's 49 silus a run).
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include <cmath>

#include "exir/EdgeConstants.h"
#include "passes/Matchers.h"


namespace ember {
#define GEN_PASS_DEF_FOLDQUANTIZEDLUT
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// The float32 function of a tabulated activation, or nullptr.
using Function = float (*)(float, float);

float silu(float x, float) { return x / (1.0f + std::exp(-x)); }
float sigmoid(float x, float) { return 1.0f / (1.0f + std::exp(-x)); }
float hardswish(float x, float) { return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f; }
float tanh_f(float x, float) { return std::tanh(x); }
float gelu_erf(float x, float) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }
float gelu_tanh(float x, float) {
  const float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + std::tanh(inner));
}
float leaky_relu(float x, float slope) { return x > 0.0f ? x : x * slope; }
/// silu as torch.export leaves it: the sigmoid rounded to float32, then the
/// product.
float silu_product(float x, float) { return x * sigmoid(x, 0.0f); }

/// mul(x, sigmoid(x)) in either order, the sigmoid read by the product
/// alone: the sigmoid, else null.
edge::SigmoidOp siluProductSigmoid(edge::MulTensorOp mul) {
  for (auto [a, b] : bothOrders(mul.getSelf(), mul.getOther())) {
    auto sigmoid = soleProducer<edge::SigmoidOp>(b);
    if (sigmoid && sigmoid.getSelf() == a && a.getType() == mul.getResult().getType())
      return sigmoid;
  }
  return {};
}

/// The function `op` computes (and its one parameter), if it is tabulated,
/// with the value it is a function of in `input`.
Function functionOf(Operation *op, float *parameter, Value *input) {
  *parameter = 0.0f;
  if (auto mul = dyn_cast<edge::MulTensorOp>(op)) {
    edge::SigmoidOp sigmoid = siluProductSigmoid(mul);
    if (!sigmoid)
      return nullptr;
    *input = sigmoid.getSelf();
    return &silu_product;
  }
  if (op->getNumOperands() < 1)
    return nullptr;
  *input = op->getOperand(0);
  if (isa<edge::SiluOp>(op))
    return &silu;
  if (isa<edge::SigmoidOp>(op))
    return &sigmoid;
  if (isa<edge::HardswishOp>(op))
    return &hardswish;
  if (isa<edge::TanhOp>(op))
    return &tanh_f;
  if (auto gelu = dyn_cast<edge::GeluOp>(op))
    return gelu.getApproximate() == "tanh" ? &gelu_tanh : &gelu_erf;
  if (auto leaky = dyn_cast<edge::LeakyReluOp>(op)) {
    std::optional<double> slope = edge::scalarValue(leaky.getNegativeSlopeAttr());
    if (!leaky.getSymValues().empty() || !slope)
      return nullptr;
    *parameter = static_cast<float>(*slope);
    return &leaky_relu;
  }
  return nullptr;
}

/// A tabulated op: the op, its function and parameter, and its input.
struct Candidate {
  Operation *op;
  Function f;
  float parameter;
  Value x;
};

LogicalResult fold(const Candidate &c, std::string &why) {
  Operation *op = c.op;
  FailureOr<QuantizedActivation> input = dequantizedActivation(c.x, why);
  if (failed(input))
    return failure();
  FailureOr<QuantizedOutput> output = quantizedOutput(op->getResult(0), why);
  if (failed(output))
    return failure();
  edge::QuantizePerTensorOp quantize = output->quantize;
  const bool inSigned = !elementOf(input->quantized).isUnsignedInteger();
  const bool outSigned = !elementOf(quantize.getResult()).isUnsignedInteger();
  const double inScale = input->scale.getValueAsDouble();
  const int64_t inZp = input->zeroPoint.getInt();
  const double outScale = quantize.getScaleAttr().getValueAsDouble();
  const int64_t outZp = quantize.getZeroPointAttr().getInt();
  SmallVector<int8_t> table(256);
  for (int i = 0; i < 256; ++i) {
    const int64_t v = inSigned ? i - 128 : i;
    const float x = static_cast<float>(v - inZp) * static_cast<float>(inScale);
    const int64_t q = quantizeBound(c.f(x, c.parameter), outScale, outZp, output->quantMin,
                                    output->quantMax);
    table[i] = static_cast<int8_t>(outSigned ? q : static_cast<int64_t>(static_cast<uint8_t>(q)));
  }
  OpBuilder b(quantize);
  auto tableType = RankedTensorType::get({256}, elementOf(quantize.getResult()));
  ArrayRef<char> bytes(reinterpret_cast<const char *>(table.data()), table.size());
  const std::string name = c.f == &silu_product ? "silu" : op->getName().stripDialect().str();
  Value lut = edge::createConstant(b, op->getLoc(), tableType, bytes, name + ".table");
  auto folded = b.create<edge::QuantizedLutOp>(op->getLoc(), quantize.getResult().getType(),
                                               input->quantized, lut);
  folded->setDiscardableAttrs(quantize->getDiscardableAttrDictionary());
  quantize.getResult().replaceAllUsesWith(folded.getResult());
  // The quantize, its activation, the function (a product's sigmoid too)
  // and the dequantize, each once nothing reads it.
  eraseChainIf(quantize, [&](Operation *o) {
    return o == op || isa<edge::SigmoidOp>(o) || isDequantize(o) || isQuantize(o) ||
           isClampActivation(o);
  });
  return success();
}

struct FoldQuantizedLutPass : impl::FoldQuantizedLutBase<FoldQuantizedLutPass> {
  void runOnOperation() override {
    SmallVector<Candidate> candidates;
    getOperation().walk([&](Operation *op) {
      Candidate c{op, nullptr, 0.0f, Value()};
      c.f = functionOf(op, &c.parameter, &c.x);
      Operation *in = c.f ? c.x.getDefiningOp() : nullptr;
      if (in && isDequantize(in) && feedsQuantize(op->getResult(0)))
        candidates.push_back(c);
    });
    for (const Candidate &c : candidates) {
      std::string why;
      if (failed(fold(c, why)))
        recordNotFolded(c.op, why);
    }
  }
};

} // namespace
} // namespace ember
