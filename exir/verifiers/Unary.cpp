//===- verifiers/Unary.cpp - Shape rules of the unary math and activations ===//
//
// Verifiers of the ops flagged `verifier: true` in exir/ops.yaml for this
// family; each recomputes the result shape as ATen does and rejects IR whose
// declared result disagrees. Shared helpers: exir/EdgeVerifierUtils.h.
//
// The result keeps self's shape (clamp.Tensor: self, min and max broadcast);
// its element type follows one of torch's rules:
//   same      self's type (neg, abs, floor, relu, gelu, ...)
//   float     self's type if floating, else f32 (exp, sin, sigmoid, ...)
//   bool      i1 (isnan, isinf, logical_not)
//   promoted  torch's type promotion of self with the bounds (clamp)
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeVerifierUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;

namespace {

bool isBool(Type t) { return t.isInteger(1); }

/// Check the result has self's shape and element type `expected`; `rule`
/// says why in the diagnostic.
LogicalResult verifyUnary(Operation *op, Type expected, StringRef rule) {
  Value self = op->getOperand(0);
  if (failed(checkResult(op, op->getResult(0), shapeOf(self), Type())))
    return failure();
  Type got = elementOf(op->getResult(0));
  if (got != expected)
    return op->emitOpError("result element type ")
           << got << " should be " << expected << " (" << rule << ")";
  return success();
}

LogicalResult verifySame(Operation *op) {
  return verifyUnary(op, elementOf(op->getOperand(0)), "self's element type");
}

LogicalResult verifyFloat(Operation *op) {
  Type self = elementOf(op->getOperand(0));
  if (isa<FloatType>(self))
    return verifyUnary(op, self, "self's element type");
  return verifyUnary(op, Float32Type::get(op->getContext()),
                     "integer and bool inputs give f32");
}

LogicalResult verifyPredicate(Operation *op) {
  return verifyUnary(op, IntegerType::get(op->getContext(), 1), "a predicate gives i1");
}

/// torch's promote_types: bool < integers < floats; ui8 with i8 gives i16,
/// f16 with bf16 gives f32, otherwise the wider type of the higher category.
Type promoteTypes(Type a, Type b) {
  if (a == b || isBool(b))
    return a;
  if (isBool(a))
    return b;
  bool fa = isa<FloatType>(a), fb = isa<FloatType>(b);
  if (fa != fb)
    return fa ? a : b;
  unsigned wa = a.getIntOrFloatBitWidth(), wb = b.getIntOrFloatBitWidth();
  if (fa) {
    if (wa == wb)  // f16 with bf16
      return Float32Type::get(a.getContext());
    return wa > wb ? a : b;
  }
  if (a.isUnsignedInteger() || b.isUnsignedInteger()) {
    Type other = a.isUnsignedInteger() ? b : a;
    return other.getIntOrFloatBitWidth() == 8 ? IntegerType::get(a.getContext(), 16) : other;
  }
  return wa > wb ? a : b;
}

/// torch's result_type of tensors: the tensors with dims decide, unless a
/// 0-d tensor is of a higher category.
Type resultType(ArrayRef<Value> tensors) {
  Type dim, zero;
  for (Value v : tensors) {
    Type &slot = shapeOf(v).empty() ? zero : dim;
    slot = slot ? promoteTypes(slot, elementOf(v)) : elementOf(v);
  }
  if (!dim)
    return zero;
  if (!zero || isa<FloatType>(dim))
    return dim;
  if (isBool(dim) || isa<FloatType>(zero))
    return promoteTypes(dim, zero);
  return dim;
}

} // namespace

LogicalResult NegOp::verify() { return verifySame(*this); }
LogicalResult AbsOp::verify() { return verifySame(*this); }
LogicalResult FloorOp::verify() { return verifySame(*this); }
LogicalResult CeilOp::verify() { return verifySame(*this); }
LogicalResult TruncOp::verify() { return verifySame(*this); }
LogicalResult RoundOp::verify() { return verifySame(*this); }
LogicalResult RoundDecimalsOp::verify() { return verifySame(*this); }
LogicalResult SignOp::verify() { return verifySame(*this); }
LogicalResult BitwiseNotOp::verify() { return verifySame(*this); }
LogicalResult ReluOp::verify() { return verifySame(*this); }
LogicalResult HardtanhOp::verify() { return verifySame(*this); }
LogicalResult LeakyReluOp::verify() { return verifySame(*this); }
LogicalResult EluOp::verify() { return verifySame(*this); }

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return verifySame(*this);
}

LogicalResult SiluOp::verify() { return verifySame(*this); }
LogicalResult HardswishOp::verify() { return verifySame(*this); }

LogicalResult ExpOp::verify() { return verifyFloat(*this); }
LogicalResult Expm1Op::verify() { return verifyFloat(*this); }
LogicalResult LogOp::verify() { return verifyFloat(*this); }
LogicalResult Log1pOp::verify() { return verifyFloat(*this); }
LogicalResult Log2Op::verify() { return verifyFloat(*this); }
LogicalResult SqrtOp::verify() { return verifyFloat(*this); }
LogicalResult RsqrtOp::verify() { return verifyFloat(*this); }
LogicalResult ReciprocalOp::verify() { return verifyFloat(*this); }
LogicalResult SinOp::verify() { return verifyFloat(*this); }
LogicalResult CosOp::verify() { return verifyFloat(*this); }
LogicalResult TanOp::verify() { return verifyFloat(*this); }
LogicalResult AtanOp::verify() { return verifyFloat(*this); }
LogicalResult AsinOp::verify() { return verifyFloat(*this); }
LogicalResult AcosOp::verify() { return verifyFloat(*this); }
LogicalResult SinhOp::verify() { return verifyFloat(*this); }
LogicalResult CoshOp::verify() { return verifyFloat(*this); }
LogicalResult ErfOp::verify() { return verifyFloat(*this); }
LogicalResult SigmoidOp::verify() { return verifyFloat(*this); }
LogicalResult TanhOp::verify() { return verifyFloat(*this); }

LogicalResult IsnanOp::verify() { return verifyPredicate(*this); }
LogicalResult IsinfOp::verify() { return verifyPredicate(*this); }
LogicalResult LogicalNotOp::verify() { return verifyPredicate(*this); }

LogicalResult ClampOp::verify() {
  Attribute min = getMinAttr(), max = getMaxAttr();
  if (!min && !max)
    return emitOpError("needs at least one of min and max");
  // Scalars promote as torch's wrapped numbers: a float bound makes an
  // integer or bool tensor f32, an int bound makes a bool tensor i64.
  auto isFloatBound = [](Attribute a) { return isa_and_nonnull<FloatAttr>(a); };
  auto isIntBound = [](Attribute a) { return a && isa<IntegerAttr>(a) && !isa<BoolAttr>(a); };
  Type self = elementOf(getSelf());
  Type expected = self;
  if (!isa<FloatType>(self) && (isFloatBound(min) || isFloatBound(max)))
    expected = Float32Type::get(getContext());
  else if (isBool(self) && (isIntBound(min) || isIntBound(max)))
    expected = IntegerType::get(getContext(), 64);
  if (isBool(expected))
    return emitOpError("of a bool tensor needs an int or float bound");
  return verifyUnary(*this, expected, "self promoted with the bounds");
}

LogicalResult ClampTensorOp::verify() {
  SmallVector<Value> tensors = {getSelf()};
  for (Value bound : {getMin(), getMax()})
    if (isa<RankedTensorType>(bound.getType()))
      tensors.push_back(bound);
  if (tensors.size() == 1)
    return emitOpError("needs at least one of min and max");
  SmallVector<int64_t> shape(shapeOf(getSelf()));
  for (Value bound : ArrayRef<Value>(tensors).drop_front()) {
    auto merged = broadcast(*this, shape, shapeOf(bound));
    if (failed(merged))
      return failure();
    shape = *merged;
  }
  if (failed(checkResult(*this, getResult(), shape, Type())))
    return failure();
  Type expected = resultType(tensors);
  if (isBool(expected))
    return emitOpError("of bool tensors is not supported");
  if (elementOf(getResult()) != expected)
    return emitOpError("result element type ")
           << elementOf(getResult()) << " should be " << expected
           << " (self, min and max promoted)";
  return success();
}
