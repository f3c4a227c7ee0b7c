//===- verifiers/Reduction.cpp - Shape rules of the reductions and normalisations ===//
//
// Verifiers of the ops flagged `verifier: true` in exir/ops.yaml for this
// family; each recomputes the result shape as ATen does and rejects IR whose
// declared result disagrees. Shared helpers: exir/EdgeVerifierUtils.h.
//
// A reduction over a dim list drops the reduced dims (or keeps them as 1
// with keepdim); an absent list reduces every dim, and so does an empty one
// except for any.dims, where it reduces none. Result element types follow
// torch: the input's, int64 for indices and for integer sums and products,
// bool for any (uint8 for a uint8 input), or the `dtype` attribute when set.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeTypes.h"
#include "exir/EdgeVerifierUtils.h"

#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;

namespace {

/// The shape of reducing `in` over `dims` (every dim when `all`); fails with
/// a diagnostic on a dim out of range or given twice.
FailureOr<SmallVector<int64_t>> reducedShape(Operation *op, ArrayRef<int64_t> in,
                                             ArrayRef<int64_t> dims, bool all, bool keepdim) {
  int64_t rank = in.size();
  SmallVector<bool> reduced(rank, all);
  for (int64_t dim : all ? ArrayRef<int64_t>() : dims) {
    FailureOr<int64_t> d = normalizeDim(op, dim, rank);
    if (failed(d))
      return failure();
    if (rank == 0)
      continue;
    if (reduced[*d]) {
      op->emitOpError("dim ") << *d << " appears more than once in the list of dims";
      return failure();
    }
    reduced[*d] = true;
  }
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[d])
      out.push_back(in[d]);
    else if (keepdim)
      out.push_back(1);
  return out;
}

/// A reduction over an optional dim list: None (and, with
/// `emptyMeansAll`, an empty list) reduces every dim.
LogicalResult verifyReduce(Operation *op, Value self, Value result,
                           std::optional<ArrayRef<int64_t>> dims, bool keepdim, Type element,
                           bool emptyMeansAll = true) {
  bool all = !dims || (emptyMeansAll && dims->empty());
  auto shape = reducedShape(op, shapeOf(self), dims.value_or(ArrayRef<int64_t>()), all, keepdim);
  if (failed(shape))
    return failure();
  return checkResult(op, result, *shape, element);
}

LogicalResult verifyReduceDim(Operation *op, Value self, Value result, int64_t dim, bool keepdim,
                              Type element) {
  return verifyReduce(op, self, result, ArrayRef<int64_t>(dim), keepdim, element);
}

bool isFloat(Type t) { return isa<FloatType>(t); }

/// The element type a sum, product or cumsum gives: `dtype` when set, int64
/// for integer and bool inputs, else the input's.
Type widenedElement(Value self, std::optional<uint64_t> dtype) {
  MLIRContext *ctx = self.getContext();
  if (dtype)
    return scalarTypeToElementType(ctx, static_cast<int>(*dtype));
  Type in = elementOf(self);
  return isa<IntegerType>(in) ? IntegerType::get(ctx, 64) : in;
}

/// Mean's element type: `dtype` when set, else the input's, which must be floating.
FailureOr<Type> meanElement(Operation *op, Value self, std::optional<uint64_t> dtype) {
  Type t = dtype ? scalarTypeToElementType(op->getContext(), static_cast<int>(*dtype))
                 : elementOf(self);
  if (!t || !isFloat(t)) {
    op->emitOpError("needs a floating result dtype; the input is ") << elementOf(self)
        << " and no floating dtype is given";
    return failure();
  }
  return t;
}

Type boolOrByte(Value self) {
  Type in = elementOf(self);
  auto i = dyn_cast<IntegerType>(in);
  if (i && i.isUnsigned() && i.getWidth() == 8)
    return in;
  return IntegerType::get(self.getContext(), 1);
}

LogicalResult verifyFloatInput(Operation *op, Value self) {
  if (!isFloat(elementOf(self)))
    return op->emitOpError("expects a floating input, got ") << elementOf(self);
  return success();
}

/// ops whose results are 0-d.
LogicalResult verifyFull(Operation *op, Value result, Type element) {
  return checkResult(op, result, {}, element);
}

Type i64(Operation *op) { return IntegerType::get(op->getContext(), 64); }

/// A result of `shape` with `element`; an optional operand `param`, when
/// present, must have `paramShape` (dynamic sizes match anything).
LogicalResult checkParam(Operation *op, Value param, ArrayRef<int64_t> paramShape,
                         StringRef name) {
  auto type = dyn_cast<RankedTensorType>(param.getType());
  if (!type)
    return success();  // none
  if (!shapesCompatible(type.getShape(), paramShape))
    return op->emitOpError() << name << " shape " << shapeStr(type.getShape()) << " should be "
                             << shapeStr(paramShape);
  return success();
}

/// normalized_shape names 1 to rank trailing dims of the input `in`, with
/// their sizes (layer norm, RMS norm).
LogicalResult verifyNormalizedShape(Operation *op, ArrayRef<int64_t> in,
                                    ArrayRef<int64_t> normalized) {
  if (normalized.empty() || normalized.size() > in.size())
    return op->emitOpError("normalized_shape ") << shapeStr(normalized) << " must name 1 to "
                                                << in.size() << " trailing dims of the input "
                                                << shapeStr(in);
  if (!shapesCompatible(in.drop_front(in.size() - normalized.size()), normalized))
    return op->emitOpError("normalized_shape ")
           << shapeStr(normalized) << " does not match the trailing dims of the input "
           << shapeStr(in);
  return success();
}

} // namespace

LogicalResult MeanOp::verify() {
  auto element = meanElement(*this, getSelf(), getDtype());
  return failed(element) ? failure() : verifyFull(*this, getResult(), *element);
}

LogicalResult AmaxOp::verify() {
  return verifyReduce(*this, getSelf(), getResult(), getDim(), getKeepdim(), elementOf(getSelf()));
}

LogicalResult AminOp::verify() {
  return verifyReduce(*this, getSelf(), getResult(), getDim(), getKeepdim(), elementOf(getSelf()));
}

LogicalResult MaxDimOp::verify() {
  int64_t dim = getDimAttr().getInt();
  if (failed(verifyReduceDim(*this, getSelf(), getResult0(), dim, getKeepdim(),
                             elementOf(getSelf()))))
    return failure();
  return verifyReduceDim(*this, getSelf(), getResult1(), dim, getKeepdim(), i64(*this));
}

LogicalResult MinDimOp::verify() {
  int64_t dim = getDimAttr().getInt();
  if (failed(verifyReduceDim(*this, getSelf(), getResult0(), dim, getKeepdim(),
                             elementOf(getSelf()))))
    return failure();
  return verifyReduceDim(*this, getSelf(), getResult1(), dim, getKeepdim(), i64(*this));
}

LogicalResult MaxOp::verify() { return verifyFull(*this, getResult(), elementOf(getSelf())); }
LogicalResult MinOp::verify() { return verifyFull(*this, getResult(), elementOf(getSelf())); }

LogicalResult ArgmaxOp::verify() {
  if (auto dim = getDimAttr())
    return verifyReduceDim(*this, getSelf(), getResult(), dim.getInt(), getKeepdim(), i64(*this));
  return verifyReduce(*this, getSelf(), getResult(), std::nullopt, getKeepdim(), i64(*this));
}

LogicalResult ArgminOp::verify() {
  if (auto dim = getDimAttr())
    return verifyReduceDim(*this, getSelf(), getResult(), dim.getInt(), getKeepdim(), i64(*this));
  return verifyReduce(*this, getSelf(), getResult(), std::nullopt, getKeepdim(), i64(*this));
}

LogicalResult VarCorrectionOp::verify() {
  if (failed(verifyFloatInput(*this, getSelf())))
    return failure();
  return verifyReduce(*this, getSelf(), getResult(), getDim(), getKeepdim(), elementOf(getSelf()));
}

LogicalResult VarMeanCorrectionOp::verify() {
  if (failed(verifyFloatInput(*this, getSelf())))
    return failure();
  for (Value result : {getResult0(), getResult1()})
    if (failed(verifyReduce(*this, getSelf(), result, getDim(), getKeepdim(),
                            elementOf(getSelf()))))
      return failure();
  return success();
}

LogicalResult AnyOp::verify() { return verifyFull(*this, getResult(), boolOrByte(getSelf())); }

LogicalResult AnyDimOp::verify() {
  return verifyReduceDim(*this, getSelf(), getResult(), getDimAttr().getInt(), getKeepdim(),
                         boolOrByte(getSelf()));
}

LogicalResult AnyDimsOp::verify() {
  return verifyReduce(*this, getSelf(), getResult(), getDim(), getKeepdim(), boolOrByte(getSelf()),
                      /*emptyMeansAll=*/false);
}

LogicalResult ProdOp::verify() {
  return verifyFull(*this, getResult(), widenedElement(getSelf(), getDtype()));
}

LogicalResult ProdDimIntOp::verify() {
  return verifyReduceDim(*this, getSelf(), getResult(), getDimAttr().getInt(), getKeepdim(),
                         widenedElement(getSelf(), getDtype()));
}

LogicalResult CumsumOp::verify() {
  if (failed(normalizeDim(*this, getDimAttr().getInt(), shapeOf(getSelf()).size())))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getSelf()), widenedElement(getSelf(), getDtype()));
}

LogicalResult LogSoftmaxOp::verify() {
  if (failed(verifyFloatInput(*this, getSelf())) ||
      failed(normalizeDim(*this, getDimAttr().getInt(), shapeOf(getSelf()).size())))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getSelf()), elementOf(getSelf()));
}

LogicalResult LinalgVectorNormOp::verify() {
  if (failed(verifyFloatInput(*this, getSelf())))
    return failure();
  Type element = getDtype() ? scalarTypeToElementType(getContext(), static_cast<int>(*getDtype()))
                            : elementOf(getSelf());
  if (!element || !isFloat(element))
    return emitOpError("needs a floating result dtype");
  return verifyReduce(*this, getSelf(), getResult(), getDim(), getKeepdim(), element);
}

LogicalResult NativeLayerNormOp::verify() {
  if (failed(verifyFloatInput(*this, getInput())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> normalized = getNormalizedShape();
  if (failed(verifyNormalizedShape(*this, in, normalized)))
    return failure();
  int64_t axis = in.size() - normalized.size();
  if (failed(checkParam(*this, getWeight(), normalized, "weight")) ||
      failed(checkParam(*this, getBias(), normalized, "bias")))
    return failure();
  SmallVector<int64_t> stats(in.take_front(axis));
  stats.append(normalized.size(), 1);
  Type element = elementOf(getInput());
  if (failed(checkResult(*this, getResult0(), in, element)) ||
      failed(checkResult(*this, getResult1(), stats, element)))
    return failure();
  return checkResult(*this, getResult2(), stats, element);
}

LogicalResult RmsNormOp::verify() {
  if (failed(verifyFloatInput(*this, getInput())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> normalized = getNormalizedShape();
  if (failed(verifyNormalizedShape(*this, in, normalized)))
    return failure();
  if (getEps().convertToDouble() < 0.0)
    return emitOpError("eps ") << getEps().convertToDouble() << " is negative";
  if (failed(checkParam(*this, getWeight(), normalized, "weight")))
    return failure();
  return checkResult(*this, getResult(), in, elementOf(getInput()));
}

LogicalResult NativeGroupNormOp::verify() {
  if (failed(verifyFloatInput(*this, getInput())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  int64_t n = getNAttr().getInt(), c = getCAttr().getInt(), hxw = getHxWAttr().getInt();
  int64_t groups = getGroupAttr().getInt();
  if (in.size() < 2)
    return emitOpError("expects an input of rank >= 2 (N, C, *), got ") << shapeStr(in);
  int64_t spatial = 1;
  bool dynamic = false;
  for (int64_t d : in.drop_front(2)) {
    dynamic |= ShapedType::isDynamic(d);
    spatial *= ShapedType::isDynamic(d) ? 1 : d;
  }
  if (!shapesCompatible(in.take_front(2), {n, c}) || (!dynamic && spatial != hxw))
    return emitOpError("input shape ") << shapeStr(in) << " does not match N=" << n << ", C=" << c
                                       << ", HxW=" << hxw;
  if (groups < 1 || c % groups != 0)
    return emitOpError("group ") << groups << " must be positive and divide the " << c
                                 << " channels";
  if (failed(checkParam(*this, getWeight(), {c}, "weight")) ||
      failed(checkParam(*this, getBias(), {c}, "bias")))
    return failure();
  Type element = elementOf(getInput());
  if (failed(checkResult(*this, getResult0(), in, element)) ||
      failed(checkResult(*this, getResult1(), {n, groups}, element)))
    return failure();
  return checkResult(*this, getResult2(), {n, groups}, element);
}
