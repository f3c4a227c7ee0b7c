//===- FoldDynamicLinear.cpp - PT2E dynamic int8 linears as one op --------===//
//
// PT2E's dynamic quantization chooses the input's scale and zero point at
// run time (choose_qparams.tensor), quantizes and dequantizes it, then runs
// a float linear on the round trip and a dequantized weight: five ops and a
// float copy of the weight on every run. edge.linear_dynamic_int8 does the
// same in one, from the int8 weight. What does not match stays, with the
// reason recorded on the product for the delegation summary.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

namespace ember {
#define GEN_PASS_DEF_FOLDDYNAMICLINEAR
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// The run-time quantization of a linear's input: choose_qparams.tensor(x)
/// feeding quantize_per_tensor.tensor(x) and the dequantize of it, over one
/// int8 range.
struct DynamicInput {
  Value x;
  edge::ChooseQparamsTensorOp choose;
};

FailureOr<DynamicInput> dynamicInput(edge::DequantizePerTensorTensorOp dq, std::string &why) {
  auto q = dq.getInput().getDefiningOp<edge::QuantizePerTensorTensorOp>();
  auto choose = q ? q.getScale().getDefiningOp<edge::ChooseQparamsTensorOp>()
                  : edge::ChooseQparamsTensorOp();
  if (!choose || q.getScale() != choose.getResult0() ||
      q.getZeroPoint() != choose.getResult1() || dq.getScale() != choose.getResult0() ||
      dq.getZeroPoint() != choose.getResult1() || choose.getInput() != q.getInput()) {
    why = "the input is not quantized with parameters choose_qparams computed from it";
    return failure();
  }
  if (choose.getDtype() != 1 || q.getDtype() != 1 || dq.getDtype() != 1) {
    why = "the input is not quantized to int8";
    return failure();
  }
  const int64_t qmin = choose.getQuantMinAttr().getInt(), qmax = choose.getQuantMaxAttr().getInt();
  if (q.getQuantMinAttr().getInt() != qmin || q.getQuantMaxAttr().getInt() != qmax ||
      dq.getQuantMinAttr().getInt() != qmin || dq.getQuantMaxAttr().getInt() != qmax) {
    why = "choose_qparams, quantize and dequantize use different ranges";
    return failure();
  }
  if (!elementOf(q.getInput()).isF32() || !elementOf(dq.getResult()).isF32()) {
    why = "the input is not float32";
    return failure();
  }
  return DynamicInput{q.getInput(), choose};
}

LogicalResult fold(Operation *op, const LinearMatch &m, edge::DequantizePerTensorTensorOp dq,
                   llvm::DenseMap<Operation *, Value> &scaleCache, std::string &why) {
  FailureOr<DynamicInput> input = dynamicInput(dq, why);
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
  if (!elementOf(op->getResult(0)).isF32()) {
    why = "the result is not float32";
    return failure();
  }
  OpBuilder b(op);
  Value bias = m.bias ? m.bias : noneValue(b, op->getLoc());
  // Per-tensor quantization commutes with the view torch.export puts between
  // the dequantize and a linear on [B, S, K].
  Value x = reapplyView(b, throughRowView(m.input).view, input->x);
  edge::ChooseQparamsTensorOp choose = input->choose;
  auto folded = b.create<edge::LinearDynamicInt8Op>(
      op->getLoc(), op->getResult(0).getType(), x, weight->weight, weight->scales, bias,
      choose.getQuantMinAttr(), choose.getQuantMaxAttr(), choose.getEpsAttr());
  folded->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  op->getResult(0).replaceAllUsesWith(folded.getResult());
  eraseDeadChain(op);
  return success();
}

struct FoldDynamicLinearPass : impl::FoldDynamicLinearBase<FoldDynamicLinearPass> {
  void runOnOperation() override {
    SmallVector<Operation *> products;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::LinearOp, edge::AddmmOp, edge::MmOp>(op))
        products.push_back(op);
    });
    // A fold erases its own product and the ops before it that only the
    // product read (never another product: their results are not inputs of
    // a dequantize), so the list stays valid.
    llvm::DenseMap<Operation *, Value> scaleCache;
    for (Operation *op : products) {
      std::optional<LinearMatch> m = matchLinear(op);
      if (!m)
        continue;
      Value source = throughRowView(m->input).source;
      auto dq = source.getDefiningOp<edge::DequantizePerTensorTensorOp>();
      if (!dq)
        continue;
      std::string why;
      if (failed(fold(op, *m, dq, scaleCache, why)))
        recordNotFolded(op, why);
    }
  }
};

} // namespace
} // namespace ember
