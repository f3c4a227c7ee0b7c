//===- ReportUnfoldedQuantized.cpp - Why quantized regions stay in float --===//
//
// After the folds, an op that reads a dequantized tensor and whose result
// is quantized again runs in float between the two on the reference path:
// a pooling, a view, a matrix product of two activations, an activation
// quantized on its own. The delegation summary lists such ops with their
// source line, so that a user sees where a quantized model is not quantized.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

namespace ember {
#define GEN_PASS_DEF_REPORTUNFOLDEDQUANTIZED
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

struct ReportUnfoldedQuantizedPass
    : impl::ReportUnfoldedQuantizedBase<ReportUnfoldedQuantizedPass> {
  void runOnOperation() override {
    getOperation().walk([&](Operation *op) {
      if (op->getNumResults() == 0 || isDequantize(op) || isQuantize(op) ||
          isa<edge::ChooseQparamsTensorOp, edge::ChooseQparamsAffineOp, edge::ConstantOp,
              edge::NoneOp>(op) ||
          !op->getDialect() || op->getDialect()->getNamespace() != "edge" ||
          hasQuantizerRefusal(op))
        return;
      const bool readsDequantized = llvm::any_of(op->getOperands(), [](Value v) {
        return v.getDefiningOp() && isDequantize(v.getDefiningOp());
      });
      if (!readsDequantized ||
          !llvm::any_of(op->getResults(), [](Value r) { return feedsQuantize(r); }))
        return;
      recordNotFolded(op, "no quantized kernel for " + op->getName().getStringRef() +
                              ": runs in float between dequantize and quantize");
    });
  }
};

} // namespace
} // namespace ember
