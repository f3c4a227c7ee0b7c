//===- VerifyEdgeContract.cpp - Check the IR the backends receive ---------===//
#include "passes/Passes.h"

#include "exir/EdgeOpTable.h"
#include "exir/EdgeSym.h"
#include "exir/EdgeTypes.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace ember {
#define GEN_PASS_DEF_VERIFYEDGECONTRACT
#include "passes/Passes.h.inc"
} // namespace ember

using namespace mlir;

namespace ember {
namespace {

constexpr int64_t kMaxRank = 16;

/// The element-type names of a DTypeBit mask, e.g. "f32, i64".
std::string maskNames(uint32_t mask) {
  static const char *names[] = {"f32", "f16", "bf16", "f64", "i64", "i32", "i16", "i8", "ui8", "i1"};
  std::string s;
  for (int i = 0; i < 10; ++i)
    if (mask & (1u << i))
      s += (s.empty() ? "" : ", ") + std::string(names[i]);
  return s;
}

LogicalResult checkValueType(Operation *op, Type type, StringRef what) {
  if (isa<NoneType>(type))
    return success();
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return op->emitOpError() << what << " has type " << type << ", expected a ranked tensor";
  if (!tensor.hasStaticShape())
    return op->emitOpError() << what << " has dynamic shape " << type
                             << "; dynamic shapes need an upper bound";
  if (tensor.getRank() > kMaxRank)
    return op->emitOpError() << what << " has rank " << tensor.getRank() << ", at most "
                             << kMaxRank << " is supported";
  if (!edge::elementTypeToScalarType(tensor.getElementType()))
    return op->emitOpError() << what << " has element type " << tensor.getElementType()
                             << ", which the .pte format cannot hold";
  return success();
}

/// Tensor operands and results; the last `symOperands` operands are run-time
/// sizes, checked against the op's schema by symSlots().
LogicalResult checkOperandAndResultTypes(Operation *op, unsigned symOperands = 0) {
  for (auto [i, type] : llvm::enumerate(op->getOperandTypes()))
    if (i < op->getNumOperands() - symOperands &&
        failed(checkValueType(op, type, "operand #" + std::to_string(i))))
      return failure();
  for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(checkValueType(op, type, "result #" + std::to_string(i))))
      return failure();
  return success();
}

LogicalResult checkOp(Operation *op) {
  if (isa<func::ReturnOp, edge::NoneOp, edge::WriteBackOp>(op))
    return success();
  auto constant = dyn_cast<edge::ConstantOp>(op);
  auto buffer = dyn_cast<edge::MutableBufferOp>(op);
  if (constant || buffer) {
    auto attr = constant ? constant.getValue() : buffer.getValue();
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
      AsmResourceBlob *blob = resource.getRawHandle().getBlob();
      if (!blob)
        return op->emitOpError("refers to resource '")
               << resource.getRawHandle().getKey() << "' whose data is missing";
    } else if (!isa<DenseElementsAttr>(attr)) {
      return op->emitOpError("value must be dense or dense_resource data");
    }
    return checkValueType(op, op->getResult(0).getType(), "result");
  }
  if (op->getDialect() == nullptr || op->getDialect()->getNamespace() != "edge")
    return op->emitOpError("is not an Edge op: only edge ops and func.return may appear in a "
                           "function");
  // Run-time sizes: their types are fixed by the ops' definitions.
  if (isa<edge::SymSizeOp, edge::SymNumelOp>(op))
    return checkValueType(op, op->getOperand(0).getType(), "operand #0");
  if (isa<edge::SymConstantOp, edge::SymOp>(op))
    return success();
  const edge::EdgeOpInfo *info = edge::lookupEdgeOp(op->getName().getStringRef());
  if (failed(checkOperandAndResultTypes(op, info ? edge::numSymOperands(op, *info) : 0)))
    return failure();
  // A delegate's blob runs it: only its interface types are checked here.
  if (isa<edge::DelegateCallOp>(op))
    return success();
  if (!info)
    return op->emitOpError("has no entry in the Edge op table");
  if (failed(edge::symSlots(op, *info)))
    return failure();
  // Kernels dispatch on the element type of the first tensor operand (the
  // first result for ops without tensor operands); other operands and results
  // (indices, masks) have their own fixed types.
  Type dispatch;
  for (Type type : op->getOperandTypes())
    if (auto tensor = dyn_cast<RankedTensorType>(type)) {
      dispatch = tensor.getElementType();
      break;
    }
  if (!dispatch && op->getNumResults() > 0)
    dispatch = cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
  if (dispatch && !(edge::dtypeBit(dispatch) & info->dtypes))
    return op->emitOpError("has no kernel for element type ")
           << dispatch << " (kernels take " << maskNames(info->dtypes) << ")";
  return success();
}

struct VerifyEdgeContractPass : impl::VerifyEdgeContractBase<VerifyEdgeContractPass> {
  void runOnOperation() override {
    bool ok = true;
    for (Operation &op : getOperation().getBody()->getOperations()) {
      auto func = dyn_cast<func::FuncOp>(op);
      if (!func) {
        op.emitOpError("is not allowed at module level: the Edge contract holds only functions");
        ok = false;
        continue;
      }
      if (!func.getBody().hasOneBlock()) {
        func.emitOpError("must have exactly one block");
        ok = false;
        continue;
      }
      for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
        if (failed(checkValueType(func, type, "argument #" + std::to_string(i))))
          ok = false;
      for (Operation &inner : func.getBody().front())
        if (failed(checkOp(&inner)))
          ok = false;
    }
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
} // namespace ember
