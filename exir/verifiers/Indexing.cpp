//===- verifiers/Indexing.cpp - Shape rules of the indexing, gather/scatter and embedding ops ===//
//
// Verifiers of the ops flagged `verifier: true` in exir/ops.yaml for this
// family; each recomputes the result shape as ATen does and rejects IR whose
// declared result disagrees. Shared helpers: exir/EdgeVerifierUtils.h.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeVerifierUtils.h"

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;

namespace {

/// True for the int64/int32 element types of an index tensor.
bool isIndexType(Type t) { return t.isSignlessInteger(64) || t.isSignlessInteger(32); }

/// An index operand must hold int64 or int32 elements.
LogicalResult checkIndexType(Operation *op, Value index, StringRef what) {
  if (isIndexType(elementOf(index)))
    return success();
  return op->emitOpError() << what << " has element type " << elementOf(index)
                           << " (int64 or int32 expected)";
}

/// `a <= b`, where a dynamic size on either side passes (checked at run time).
bool fitsIn(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a <= b;
}

/// A shape with a 0-d tensor seen as [1], as gather and scatter see it.
SmallVector<int64_t> asAtLeast1d(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return {1};
  return SmallVector<int64_t>(shape.begin(), shape.end());
}

/// The rule of gather and scatter: index has self's rank (a 0-d tensor
/// counts as 1-d), is no larger than self apart from `dim`, and no larger
/// than src (when there is one) anywhere. Returns the normalised dim.
FailureOr<int64_t> verifyDimIndex(Operation *op, Value self, int64_t dimArg, Value index,
                                  Value src) {
  auto dim = normalizeDim(op, dimArg, shapeOf(self).size());
  if (failed(dim) || failed(checkIndexType(op, index, "index")))
    return failure();
  SmallVector<int64_t> s = asAtLeast1d(shapeOf(self)), i = asAtLeast1d(shapeOf(index));
  if (s.size() != i.size())
    return op->emitOpError("index ") << shapeStr(shapeOf(index)) << " must have the rank of self "
                                     << shapeStr(shapeOf(self));
  for (size_t d = 0; d < s.size(); ++d)
    if ((int64_t)d != *dim && !fitsIn(i[d], s[d]))
      return op->emitOpError("index ") << shapeStr(shapeOf(index))
                                       << " is larger than self " << shapeStr(shapeOf(self))
                                       << " at dim " << d;
  if (!src)
    return dim;
  if (elementOf(src) != elementOf(self))
    return op->emitOpError("src element type ") << elementOf(src)
                                                << " differs from self's " << elementOf(self);
  SmallVector<int64_t> r = asAtLeast1d(shapeOf(src));
  if (r.size() != i.size())
    return op->emitOpError("index ") << shapeStr(shapeOf(index)) << " must have the rank of src "
                                     << shapeStr(shapeOf(src));
  for (size_t d = 0; d < r.size(); ++d)
    if (!fitsIn(i[d], r[d]))
      return op->emitOpError("index ") << shapeStr(shapeOf(index)) << " is larger than src "
                                       << shapeStr(shapeOf(src)) << " at dim " << d;
  return dim;
}

/// A scatter's result is self's shape and element type.
LogicalResult verifyScatter(Operation *op, Value self, int64_t dim, Value index, Value src) {
  if (failed(verifyDimIndex(op, self, dim, index, src)))
    return failure();
  return checkResult(op, op->getResult(0), shapeOf(self), elementOf(self));
}

/// sort and topk: values of self's element type and int64 indices, both
/// of self's shape with `k` entries along dim (all of them for sort).
LogicalResult verifyOrdering(Operation *op, Value self, int64_t dimArg,
                             std::optional<int64_t> k) {
  ArrayRef<int64_t> in = shapeOf(self);
  auto dim = normalizeDim(op, dimArg, in.size());
  if (failed(dim))
    return failure();
  SmallVector<int64_t> out(in.begin(), in.end());
  if (k) {
    int64_t size = in.empty() ? 1 : in[*dim];
    if (*k < 0 || !fitsIn(*k, size))
      return op->emitOpError("k = ") << *k << " is out of range for a dim of size "
                                     << size;
    if (!in.empty())
      out[*dim] = *k;
  }
  if (failed(checkResult(op, op->getResult(0), out, elementOf(self))))
    return failure();
  return checkResult(op, op->getResult(1), out, IntegerType::get(op->getContext(), 64));
}

} // namespace

LogicalResult IndexTensorOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  // 1. Each entry covers self's next dim (a mask: as many as its rank); the
  //    index tensors broadcast together to B. A mask's true count is only
  //    known at run time: it adds a dynamic dim to B.
  SmallVector<int64_t> b;
  SmallVector<bool> indexed(in.size(), false);
  SmallVector<int64_t> indexedDims;
  size_t dim = 0;
  for (auto [k, v] : llvm::enumerate(getIndices())) {
    if (dim >= in.size())
      return emitOpError() << getIndices().size() << " indices for self of rank " << in.size();
    if (isa<NoneType>(v.getType())) {
      ++dim;
      continue;
    }
    ArrayRef<int64_t> shape = shapeOf(v);
    Type et = elementOf(v);
    SmallVector<int64_t> contributes;
    size_t covers = 1;
    if (et.isInteger(1) || et.isUnsignedInteger(8)) {
      covers = shape.size();
      if (covers == 0 || dim + covers > in.size())
        return emitOpError("mask ") << k << " " << shapeStr(shape) << " does not fit self "
                                    << shapeStr(in) << " at dim " << dim;
      if (!shapesCompatible(shape, in.slice(dim, covers)))
        return emitOpError("mask ") << k << " " << shapeStr(shape)
                                    << " does not match self's sizes " << shapeStr(in)
                                    << " at dim " << dim;
      contributes.push_back(ShapedType::kDynamic);
    } else if (isIndexType(et)) {
      contributes.assign(shape.begin(), shape.end());
    } else {
      return emitOpError("index ") << k << " has element type " << et
                                   << " (int64, int32, bool or uint8 expected)";
    }
    auto merged = broadcast(*this, b, contributes);
    if (failed(merged))
      return failure();
    b = *merged;
    for (size_t j = 0; j < covers; ++j) {
      indexed[dim + j] = true;
      indexedDims.push_back(dim + j);
    }
    dim += covers;
  }
  // 2. B takes the place of the indexed dims when they are adjacent, else
  //    it comes first; the kept dims follow in order.
  bool adjacent = true;
  for (size_t j = 1; j < indexedDims.size(); ++j)
    adjacent = adjacent && indexedDims[j] == indexedDims[j - 1] + 1;
  size_t bAt = adjacent && !indexedDims.empty() ? indexedDims.front() : 0;
  SmallVector<int64_t> out;
  for (size_t d = 0; d <= in.size(); ++d) {
    if (d == bAt)
      out.append(b.begin(), b.end());
    if (d < in.size() && !indexed[d])
      out.push_back(in[d]);
  }
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult IndexSelectOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf()), index = shapeOf(getIndex());
  auto dim = normalizeDim(*this, getDim(), in.size());
  if (failed(dim) || failed(checkIndexType(*this, getIndex(), "index")))
    return failure();
  if (index.size() > 1)
    return emitOpError("index must be 0-d or 1-d, got ") << shapeStr(index);
  SmallVector<int64_t> out(in.begin(), in.end());
  if (!out.empty())
    out[*dim] = index.empty() ? 1 : index[0];
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult GatherOp::verify() {
  if (failed(verifyDimIndex(*this, getSelf(), getDim(), getIndex(), Value())))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getIndex()), elementOf(getSelf()));
}

LogicalResult ScatterValueOp::verify() {
  return verifyScatter(*this, getSelf(), getDim(), getIndex(), Value());
}

LogicalResult ScatterSrcOp::verify() {
  return verifyScatter(*this, getSelf(), getDim(), getIndex(), getSrc());
}

LogicalResult ScatterAddOp::verify() {
  return verifyScatter(*this, getSelf(), getDim(), getIndex(), getSrc());
}

LogicalResult ScatterReduceOp::verify() {
  if (getReduce() != "add" && getReduce() != "multiply")
    return emitOpError("reduce must be \"add\" or \"multiply\", got \"") << getReduce() << "\"";
  return verifyScatter(*this, getSelf(), getDim(), getIndex(), getSrc());
}

LogicalResult ScatterReduceTwoOp::verify() {
  StringRef r = getReduce();
  if (r != "sum" && r != "prod" && r != "mean" && r != "amax" && r != "amin")
    return emitOpError("reduce must be sum, prod, mean, amax or amin, got \"") << r << "\"";
  if (r == "mean" && elementOf(getSelf()).isInteger(1))
    return emitOpError("reduce \"mean\" is not defined for bool");
  return verifyScatter(*this, getSelf(), getDim(), getIndex(), getSrc());
}

LogicalResult EmbeddingOp::verify() {
  ArrayRef<int64_t> w = shapeOf(getWeight()), idx = shapeOf(getIndices());
  if (w.size() != 2)
    return emitOpError("weight must be 2-d, got ") << shapeStr(w);
  if (failed(checkIndexType(*this, getIndices(), "indices")))
    return failure();
  SmallVector<int64_t> out(idx.begin(), idx.end());
  out.push_back(w[1]);
  return checkResult(*this, getResult(), out, elementOf(getWeight()));
}

LogicalResult TopkOp::verify() {
  if (elementOf(getSelf()).isInteger(1))
    return emitOpError("does not support bool tensors");
  return verifyOrdering(*this, getSelf(), getDim(), getK());
}

LogicalResult SortOp::verify() {
  return verifyOrdering(*this, getSelf(), getDim(), std::nullopt);
}

LogicalResult SortStableOp::verify() {
  return verifyOrdering(*this, getSelf(), getDim(), std::nullopt);
}

LogicalResult UpdateCacheOp::verify() {
  ArrayRef<int64_t> cache = shapeOf(getCache()), idx = shapeOf(getIndices());
  ArrayRef<int64_t> value = shapeOf(getValue());
  FailureOr<int64_t> dim = normalizeDim(*this, getDim(), static_cast<int64_t>(cache.size()));
  if (failed(dim))
    return failure();
  if (cache.empty())
    return emitOpError("cache must have at least one dim");
  if (failed(checkIndexType(*this, getIndices(), "indices")))
    return failure();
  if (idx.size() != 1)
    return emitOpError("indices must be 1-d, got ") << shapeStr(idx);
  if (elementOf(getValue()) != elementOf(getCache()))
    return emitOpError("value has element type ")
           << elementOf(getValue()) << ", the cache " << elementOf(getCache());
  // value: the cache's sizes with indices' length at dim.
  SmallVector<int64_t> want(cache.begin(), cache.end());
  want[*dim] = idx[0];
  if (value.size() != want.size() || !shapesCompatible(value, want))
    return emitOpError("value of shape ")
           << shapeStr(value) << " does not fit the cache " << shapeStr(cache)
           << " with " << shapeStr(idx) << " indices along dim " << *dim;
  if (!fitsIn(idx[0], cache[*dim]))
    return emitOpError("updates ") << idx[0] << " positions of a dim of " << cache[*dim];
  return checkResult(*this, getResult(), cache, elementOf(getCache()));
}
