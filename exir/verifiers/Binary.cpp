//===- verifiers/Binary.cpp - Shape rules of the binary arithmetic, comparisons and logical ops ===//
//
// Verifiers of the ops flagged `verifier: true` in exir/ops.yaml for this
// family; each recomputes the result shape as ATen does and rejects IR whose
// declared result disagrees. Shared helpers: exir/EdgeVerifierUtils.h.
//
// Besides shapes (NumPy broadcasting; a Scalar operand keeps self's shape),
// the result element type is checked against torch's type promotion
// (torch.result_type): comparisons and logical ops give i1, true division and
// atan2 of integers give f32, everything else the promoted type.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeVerifierUtils.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;

namespace {

bool isBool(Type t) { return t.isInteger(1); }
bool isFloat(Type t) { return isa<FloatType>(t); }

/// torch.promote_types over the Edge element types; a null Type for types
/// outside the ten the runtime knows (the Edge contract rejects those).
Type promoteTypes(Type a, Type b) {
  if (!a || !b)
    return Type();
  if (a == b)
    return a;
  if (isBool(a))
    return b;
  if (isBool(b))
    return a;
  MLIRContext *ctx = a.getContext();
  if (isFloat(a) && isFloat(b))
    return a.isF64() || b.isF64() ? Type(Float64Type::get(ctx)) : Type(Float32Type::get(ctx));
  if (isFloat(a))
    return a;
  if (isFloat(b))
    return b;
  auto ia = dyn_cast<IntegerType>(a), ib = dyn_cast<IntegerType>(b);
  if (!ia || !ib)
    return Type();
  if (ia.isUnsigned() || ib.isUnsigned()) {
    // uint8 with a signed type: int16 for int8, the signed type otherwise.
    IntegerType other = ia.isUnsigned() ? ib : ia;
    return other.getWidth() == 8 ? IntegerType::get(ctx, 16) : other;
  }
  return ia.getWidth() >= ib.getWidth() ? a : b;
}

/// torch's combine_categories: the lower tier counts only when it is of a
/// higher category (bool < integer < floating) or the higher tier is bool.
Type combine(Type higher, Type lower) {
  if (!higher)
    return lower;
  if (!lower || isFloat(higher))
    return higher;
  if (isBool(higher) || isFloat(lower))
    return promoteTypes(higher, lower);
  return higher;
}

/// torch.result_type: dimensioned tensors, then 0-d tensors, then Scalars
/// (an integer Scalar counts as i64, a float one as f32, the default dtype).
class ResultType {
public:
  explicit ResultType(MLIRContext *ctx) : ctx(ctx) {}

  ResultType &add(Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    Type &tier = type.getRank() == 0 ? zeroDim : dimensioned;
    tier = tier ? promoteTypes(tier, type.getElementType()) : type.getElementType();
    return *this;
  }

  ResultType &add(Attribute scalar) {
    Builder b(ctx);
    Type t = isa<BoolAttr>(scalar) ? b.getI1Type()
             : isa<FloatAttr>(scalar) ? Type(b.getF32Type())
                                      : Type(b.getI64Type());
    wrapped = wrapped ? promoteTypes(wrapped, t) : t;
    return *this;
  }

  Type get() const { return combine(dimensioned, combine(zeroDim, wrapped)); }

private:
  MLIRContext *ctx;
  Type dimensioned, zeroDim, wrapped;
};

/// What the result element type is, given the promoted type.
enum class ResultKind {
  Promoted,  ///< the promoted type itself
  Floating,  ///< the promoted type, f32 for integers and bool (div, atan2)
  Bool,      ///< i1 (comparisons, logical ops)
  Bitwise,   ///< the promoted type, which must be an integer or bool
};

LogicalResult checkElementType(Operation *op, Type promoted, ResultKind kind) {
  if (!promoted)
    return success();
  Type expected = promoted;
  if (kind == ResultKind::Bool)
    expected = IntegerType::get(op->getContext(), 1);
  if (kind == ResultKind::Floating && !isFloat(promoted))
    expected = Float32Type::get(op->getContext());
  if (kind == ResultKind::Bitwise && isFloat(promoted))
    return op->emitOpError("takes integer or bool operands, but they promote to ") << promoted;
  Type got = elementOf(op->getResult(0));
  if (got != expected)
    return op->emitOpError("result element type ")
           << got << " does not match " << expected << ", which torch's type promotion gives";
  return success();
}

/// Two tensor operands: they broadcast to the result's shape.
LogicalResult verifyTensors(Operation *op, ResultKind kind) {
  if (failed(verifyBinary(op)))
    return failure();
  Type promoted = ResultType(op->getContext()).add(op->getOperand(0)).add(op->getOperand(1)).get();
  return checkElementType(op, promoted, kind);
}

/// A tensor and a Scalar: the result has the tensor's shape.
LogicalResult verifyWithScalar(Operation *op, Value tensor, Attribute scalar, ResultKind kind) {
  if (failed(checkResult(op, op->getResult(0), shapeOf(tensor), Type())))
    return failure();
  Type promoted = ResultType(op->getContext()).add(tensor).add(scalar).get();
  return checkElementType(op, promoted, kind);
}

LogicalResult verifyRoundingMode(Operation *op, std::optional<StringRef> mode) {
  if (mode && *mode != "trunc" && *mode != "floor")
    return op->emitOpError("rounding_mode must be \"trunc\" or \"floor\", got \"") << *mode << "\"";
  return success();
}

} // namespace

// Arithmetic with a Scalar operand.
LogicalResult AddScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Promoted);
}
LogicalResult SubScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Promoted);
}
LogicalResult MulScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Promoted);
}
LogicalResult DivScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Floating);
}
LogicalResult DivScalarModeOp::verify() {
  if (failed(verifyRoundingMode(*this, getRoundingMode())))
    return failure();
  ResultKind kind = getRoundingMode() ? ResultKind::Promoted : ResultKind::Floating;
  return verifyWithScalar(*this, getSelf(), getOther(), kind);
}
LogicalResult PowTensorScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getExponent(), ResultKind::Promoted);
}
LogicalResult PowScalarOp::verify() {
  return verifyWithScalar(*this, getExponent(), getSelf(), ResultKind::Promoted);
}
LogicalResult RemainderScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Promoted);
}
LogicalResult RemainderScalarTensorOp::verify() {
  return verifyWithScalar(*this, getOther(), getSelf(), ResultKind::Promoted);
}
LogicalResult FmodScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Promoted);
}

// Arithmetic over two tensors.
LogicalResult PowTensorTensorOp::verify() { return verifyTensors(*this, ResultKind::Promoted); }
LogicalResult RemainderTensorOp::verify() { return verifyTensors(*this, ResultKind::Promoted); }
LogicalResult FmodTensorOp::verify() { return verifyTensors(*this, ResultKind::Promoted); }
LogicalResult MaximumOp::verify() { return verifyTensors(*this, ResultKind::Promoted); }
LogicalResult MinimumOp::verify() { return verifyTensors(*this, ResultKind::Promoted); }
LogicalResult Atan2Op::verify() { return verifyTensors(*this, ResultKind::Floating); }

// Comparisons and logical ops give bool.
LogicalResult EqTensorOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult NeTensorOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult LtTensorOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult LeTensorOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult GtTensorOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult GeTensorOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult EqScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bool);
}
LogicalResult NeScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bool);
}
LogicalResult LtScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bool);
}
LogicalResult LeScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bool);
}
LogicalResult GtScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bool);
}
LogicalResult GeScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bool);
}
LogicalResult LogicalAndOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult LogicalOrOp::verify() { return verifyTensors(*this, ResultKind::Bool); }
LogicalResult LogicalXorOp::verify() { return verifyTensors(*this, ResultKind::Bool); }

// Bitwise ops take integers and bools.
LogicalResult BitwiseAndTensorOp::verify() { return verifyTensors(*this, ResultKind::Bitwise); }
LogicalResult BitwiseOrTensorOp::verify() { return verifyTensors(*this, ResultKind::Bitwise); }
LogicalResult BitwiseXorTensorOp::verify() { return verifyTensors(*this, ResultKind::Bitwise); }
LogicalResult BitwiseAndScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bitwise);
}
LogicalResult BitwiseOrScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bitwise);
}
LogicalResult BitwiseXorScalarOp::verify() {
  return verifyWithScalar(*this, getSelf(), getOther(), ResultKind::Bitwise);
}

LogicalResult WhereSelfOp::verify() {
  Type cond = elementOf(getCondition());
  if (!cond.isInteger(1) && !cond.isUnsignedInteger(8))
    return emitOpError("condition must be bool (or uint8), got ") << cond;
  auto partial = broadcast(*this, shapeOf(getCondition()), shapeOf(getSelf()));
  if (failed(partial))
    return failure();
  auto shape = broadcast(*this, *partial, shapeOf(getOther()));
  if (failed(shape) || failed(checkResult(*this, getResult(), *shape, Type())))
    return failure();
  Type promoted = ResultType(getContext()).add(getSelf()).add(getOther()).get();
  return checkElementType(*this, promoted, ResultKind::Promoted);
}
