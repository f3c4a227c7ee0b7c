//===- verifiers/Shape.cpp - Shape rules of the shape, data movement, creation and resampling ops ===//
//
// Verifiers of the ops flagged `verifier: true` in exir/ops.yaml for this
// family; each recomputes the result shape as ATen does and rejects IR whose
// declared result disagrees. Shared helpers: exir/EdgeVerifierUtils.h.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeTypes.h"
#include "exir/EdgeVerifierUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <optional>

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;

namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;

bool isDynamic(int64_t size) { return ShapedType::isDynamic(size); }

/// The element count of a static shape; nullopt if a size is dynamic.
std::optional<int64_t> numelOf(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (isDynamic(d))
      return std::nullopt;
    n *= d;
  }
  return n;
}

/// The result has self's shape and element type.
LogicalResult checkSameAsSelf(Operation *op, Value self) {
  return checkResult(op, op->getResult(0), shapeOf(self), elementOf(self));
}

/// A `dtype` argument (a ScalarType code), when given, is the result's
/// element type.
LogicalResult checkDtype(Operation *op, std::optional<uint64_t> dtype) {
  if (!dtype)
    return success();
  Type want = scalarTypeToElementType(op->getContext(), static_cast<int>(*dtype));
  if (!want)
    return op->emitOpError("dtype ") << *dtype << " is not a ScalarType Ember supports";
  Type got = elementOf(op->getResult(0));
  if (got != want)
    return op->emitOpError("result element type ") << got << " does not match dtype " << want;
  return success();
}

/// Normalize every dim of `dims` for a tensor of `rank`, rejecting repeats.
FailureOr<SmallVector<int64_t>> uniqueDims(Operation *op, ArrayRef<int64_t> dims, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t dim : dims) {
    auto d = normalizeDim(op, dim, rank);
    if (failed(d))
      return failure();
    if (llvm::is_contained(out, *d)) {
      op->emitOpError("dim ") << *d << " appears more than once in " << shapeStr(dims);
      return failure();
    }
    out.push_back(*d);
  }
  return out;
}

/// True if cat may convert every value of `from` into `to`: a bool or a
/// narrower type into a wider one (integers into floats), which is what
/// torch's type promotion of mixed inputs asks; the kernel does no other
/// conversion.
bool widens(Type from, Type to) {
  if (from == to || from.isInteger(1))
    return true;
  if (isa<FloatType>(from))
    return isa<FloatType>(to) && to.getIntOrFloatBitWidth() > from.getIntOrFloatBitWidth();
  if (isa<FloatType>(to))
    return true;
  auto wide = dyn_cast<IntegerType>(to);
  return wide && !wide.isUnsigned() && wide.getWidth() > from.getIntOrFloatBitWidth();
}

/// torch.arange's length for the given result element type: exact int64
/// arithmetic (each Scalar truncated to int64) for i64, ceil((end - start)
/// / step) in double otherwise; the same checks as torch.
FailureOr<int64_t> arangeLength(Operation *op, Attribute startAttr, Attribute endAttr,
                                Attribute stepAttr, Type element) {
  auto asDouble = [](Attribute a) -> double {
    if (auto f = dyn_cast<FloatAttr>(a))
      return f.getValueAsDouble();
    if (auto b = dyn_cast<BoolAttr>(a))
      return b.getValue() ? 1.0 : 0.0;
    return static_cast<double>(cast<IntegerAttr>(a).getInt());
  };
  auto asInt = [](Attribute a) -> std::optional<int64_t> {
    if (auto f = dyn_cast<FloatAttr>(a)) {
      double d = f.getValueAsDouble();
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return std::nullopt;
      return static_cast<int64_t>(d);
    }
    if (auto b = dyn_cast<BoolAttr>(a))
      return b.getValue() ? 1 : 0;
    return cast<IntegerAttr>(a).getInt();
  };
  double start = asDouble(startAttr), end = asDouble(endAttr), step = asDouble(stepAttr);
  if (element.isInteger(64)) {
    auto s = asInt(startAttr), e = asInt(endAttr), st = asInt(stepAttr);
    if (!s || !e || !st)
      return op->emitOpError("start, end or step cannot be converted to int64");
    if (*st == 0)
      return op->emitOpError("step must be nonzero");
    if (!((*st > 0 && *e >= *s) || (*st < 0 && *e <= *s)))
      return op->emitOpError("upper bound and lower bound inconsistent with step sign");
    int64_t span;
    if (llvm::SubOverflow(*e, *s, span) || llvm::AddOverflow(span, *st, span) ||
        llvm::SubOverflow(span, int64_t(*st > 0 ? 1 : -1), span))
      return op->emitOpError("the range overflows int64");
    return span / *st;
  }
  if (!std::isfinite(start) || !std::isfinite(end))
    return op->emitOpError("unsupported range ") << start << " to " << end;
  if (step == 0 || std::isnan(step))
    return op->emitOpError("step must be nonzero");
  if (!((step > 0 && end >= start) || (step < 0 && end <= start)))
    return op->emitOpError("upper bound and lower bound inconsistent with step sign");
  double length = std::ceil((end - start) / step);
  if (!(length >= 0 && length <= 9.2e18))
    return op->emitOpError("invalid length ") << length;
  return static_cast<int64_t>(length);
}

/// The shared rule of the 2-d resampling ops: a 4-d input resized to
/// output_size, or to floor(size * scale) per spatial dim.
LogicalResult verifyUpsample2d(Operation *op, Value input, std::optional<ArrayRef<int64_t>> size,
                               std::optional<ArrayRef<double>> scales) {
  ArrayRef<int64_t> in = shapeOf(input);
  if (in.size() != 4)
    return op->emitOpError("expects a 4-d [N, C, H, W] input, got ") << shapeStr(in);
  if (size.has_value() == scales.has_value())
    return op->emitOpError("needs exactly one of output_size and scale_factors");
  SmallVector<int64_t> out = {in[0], in[1]};
  if (size) {
    if (size->size() != 2)
      return op->emitOpError("output_size must have 2 entries, got ") << size->size();
    for (int64_t s : *size)
      if (s <= 0)
        return op->emitOpError("output_size ") << shapeStr(*size) << " must be positive";
    out.append(size->begin(), size->end());
  } else {
    if (scales->size() != 2)
      return op->emitOpError("scale_factors must have 2 entries, got ") << scales->size();
    for (int i = 0; i < 2; ++i) {
      double s = (*scales)[i];
      if (!(s > 0) || !std::isfinite(s))
        return op->emitOpError("scale factor ") << s << " must be positive and finite";
      if (isDynamic(in[2 + i])) {
        out.push_back(kDynamic);
        continue;
      }
      double o = std::floor(static_cast<double>(in[2 + i]) * s);
      if (!(o >= 1 && o <= 2147483647.0))
        return op->emitOpError("scale factor ") << s << " gives output size " << o
                                                << " for input size " << in[2 + i];
      out.push_back(static_cast<int64_t>(o));
    }
  }
  return checkResult(op, op->getResult(0), out, elementOf(input));
}

} // namespace

LogicalResult ViewOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  SmallVector<int64_t> out(getSize().begin(), getSize().end());
  int infer = -1;
  int64_t known = 1;
  for (auto [i, s] : llvm::enumerate(out)) {
    if (s == -1) {
      if (infer >= 0)
        return emitOpError("size ") << shapeStr(getSize()) << " has more than one -1";
      infer = static_cast<int>(i);
      continue;
    }
    if (s < 0)
      return emitOpError("size ") << shapeStr(getSize()) << " has a negative entry";
    if (llvm::MulOverflow(known, s, known))
      return emitOpError("size ") << shapeStr(getSize()) << " overflows int64";
  }
  std::optional<int64_t> numel = numelOf(in);
  if (!numel) {
    if (infer >= 0)
      out[infer] = kDynamic;
  } else if (infer >= 0) {
    if (known == 0 || *numel % known != 0)
      return emitOpError("cannot infer the -1 in ") << shapeStr(getSize()) << " for the "
                                                    << *numel << " elements of " << shapeStr(in);
    out[infer] = *numel / known;
  } else if (known != *numel) {
    return emitOpError("size ") << shapeStr(getSize()) << " does not hold the " << *numel
                                << " elements of self " << shapeStr(in);
  }
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult PermuteOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  if (getDims().size() != in.size())
    return emitOpError("dims ") << shapeStr(getDims()) << " is not a permutation of the "
                                << in.size() << " dims of " << shapeStr(in);
  auto dims = uniqueDims(*this, getDims(), in.size());
  if (failed(dims))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t d : *dims)
    out.push_back(in[d]);
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult UnsqueezeOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  auto dim = normalizeDim(*this, static_cast<int64_t>(getDim()), in.size() + 1);
  if (failed(dim))
    return failure();
  SmallVector<int64_t> out(in.begin(), in.end());
  out.insert(out.begin() + *dim, 1);
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult SqueezeDimsOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  auto dims = uniqueDims(*this, getDim(), in.size());
  if (failed(dims))
    return failure();
  SmallVector<int64_t> out;
  for (auto [d, size] : llvm::enumerate(in)) {
    bool selected = llvm::is_contained(*dims, static_cast<int64_t>(d));
    if (selected && isDynamic(size)) // dropped or not: known only at run time
      return checkResult(*this, getResult(), shapeOf(getResult()), elementOf(getSelf()));
    if (!(selected && size == 1))
      out.push_back(size);
  }
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult ExpandOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  ArrayRef<int64_t> size = getSize();
  if (size.size() < in.size())
    return emitOpError("size ") << shapeStr(size) << " has fewer dims than self " << shapeStr(in);
  size_t lead = size.size() - in.size();
  SmallVector<int64_t> out;
  for (auto [d, want] : llvm::enumerate(size)) {
    int64_t have = d >= lead ? in[d - lead] : 1;
    if (want == -1 && d >= lead) {
      out.push_back(have);
      continue;
    }
    if (want < 0 || (!isDynamic(have) && have != want && have != 1))
      return emitOpError("self ") << shapeStr(in) << " cannot expand to " << shapeStr(size);
    out.push_back(want);
  }
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult CatOp::verify() {
  if (getTensors().empty())
    return emitOpError("needs at least one tensor");
  Type element = elementOf(getResult());
  // Legacy rule: 1-d tensors with 0 elements are skipped.
  auto skipped = [](ArrayRef<int64_t> s) { return s.size() == 1 && s[0] == 0; };
  std::optional<ArrayRef<int64_t>> ref;
  for (auto [i, t] : llvm::enumerate(getTensors())) {
    if (!widens(elementOf(t), element))
      return emitOpError("tensor #") << i << " has element type " << elementOf(t)
                                     << ", which does not widen to the result's " << element;
    if (!ref && !skipped(shapeOf(t)))
      ref = shapeOf(t);
  }
  if (!ref)
    return checkResult(*this, getResult(), {0}, element);
  if (ref->empty())
    return emitOpError("cannot concatenate 0-d tensors");
  auto dim = normalizeDim(*this, static_cast<int64_t>(getDim()), ref->size());
  if (failed(dim))
    return failure();
  SmallVector<int64_t> out(ref->begin(), ref->end());
  out[*dim] = 0;
  for (auto [i, t] : llvm::enumerate(getTensors())) {
    ArrayRef<int64_t> s = shapeOf(t);
    if (skipped(s))
      continue;
    bool fits = s.size() == ref->size();
    for (size_t d = 0; fits && d < s.size(); ++d)
      fits = d == static_cast<size_t>(*dim) || shapesCompatible({s[d]}, {(*ref)[d]});
    if (!fits)
      return emitOpError("tensor #") << i << " has shape " << shapeStr(s)
                                     << ", which does not match " << shapeStr(*ref)
                                     << " outside dim " << *dim;
    out[*dim] = isDynamic(s[*dim]) || isDynamic(out[*dim]) ? kDynamic : out[*dim] + s[*dim];
  }
  return checkResult(*this, getResult(), out, element);
}

LogicalResult SliceTensorOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  if (in.empty())
    return emitOpError("cannot slice a 0-d tensor");
  auto dim = normalizeDim(*this, static_cast<int64_t>(getDim()), in.size());
  if (failed(dim))
    return failure();
  int64_t step = static_cast<int64_t>(getStep());
  if (step <= 0)
    return emitOpError("step ") << step << " must be positive";
  SmallVector<int64_t> out(in.begin(), in.end());
  int64_t size = in[*dim];
  if (!isDynamic(size)) {
    // Python slice bounds: negative counts from the end, then clamp.
    int64_t start = getStart() ? static_cast<int64_t>(*getStart()) : 0;
    int64_t end = getEnd() ? static_cast<int64_t>(*getEnd()) : INT64_MAX;
    if (start < 0)
      start += size;
    if (end < 0)
      end += size;
    start = std::clamp<int64_t>(start, 0, size);
    end = std::clamp<int64_t>(end, start, size);
    out[*dim] = end == start ? 0 : 1 + (end - start - 1) / step;
  }
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult SelectIntOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  if (in.empty())
    return emitOpError("cannot select from a 0-d tensor");
  auto dim = normalizeDim(*this, static_cast<int64_t>(getDim()), in.size());
  if (failed(dim))
    return failure();
  int64_t index = static_cast<int64_t>(getIndex());
  if (!isDynamic(in[*dim]) && (index < -in[*dim] || index >= in[*dim]))
    return emitOpError("index ") << index << " is out of range for dim " << *dim << " of size "
                                 << in[*dim];
  SmallVector<int64_t> out(in.begin(), in.end());
  out.erase(out.begin() + *dim);
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult AliasOp::verify() { return checkSameAsSelf(*this, getSelf()); }

LogicalResult ConstantPadNdOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  ArrayRef<int64_t> pad = getPad();
  if (pad.size() % 2 != 0 || pad.size() / 2 > in.size())
    return emitOpError("pad ") << shapeStr(pad) << " needs a (before, after) pair per padded dim,"
                               << " at most " << in.size() << " pairs";
  SmallVector<int64_t> out(in.begin(), in.end());
  for (size_t j = 0; j < pad.size() / 2; ++j) {
    size_t d = in.size() - 1 - j;
    int64_t lo = pad[2 * j], hi = pad[2 * j + 1];
    const int64_t limit = int64_t(1) << 33; // beyond any valid pad of an int32-sized dim
    if (lo < -limit || lo > limit || hi < -limit || hi > limit)
      return emitOpError("pad (") << lo << ", " << hi << ") of dim " << d << " is out of range";
    if (isDynamic(in[d]))
      continue;
    if (in[d] + std::min<int64_t>(lo, 0) + std::min<int64_t>(hi, 0) < 0)
      return emitOpError("pad (") << lo << ", " << hi << ") crops more than the " << in[d]
                                  << " elements of dim " << d;
    out[d] = in[d] + lo + hi;
  }
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult RepeatOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getSelf());
  ArrayRef<int64_t> repeats = getRepeats();
  if (repeats.size() < in.size())
    return emitOpError("repeats ") << shapeStr(repeats) << " has fewer entries than self "
                                   << shapeStr(in) << " has dims";
  size_t lead = repeats.size() - in.size();
  SmallVector<int64_t> out;
  for (auto [d, r] : llvm::enumerate(repeats)) {
    int64_t have = d >= lead ? in[d - lead] : 1;
    int64_t size;
    if (r < 0)
      return emitOpError("repeats ") << shapeStr(repeats) << " has a negative entry";
    if (r == 0 || !isDynamic(have)) {
      if (llvm::MulOverflow(r == 0 ? 0 : have, r, size))
        return emitOpError("repeats ") << shapeStr(repeats) << " overflows the size";
      out.push_back(size);
    } else {
      out.push_back(kDynamic);
    }
  }
  return checkResult(*this, getResult(), out, elementOf(getSelf()));
}

LogicalResult FlipOp::verify() {
  if (failed(uniqueDims(*this, getDims(), shapeOf(getSelf()).size())))
    return failure();
  return checkSameAsSelf(*this, getSelf());
}

LogicalResult FullOp::verify() {
  for (int64_t s : getSize())
    if (s < 0)
      return emitOpError("size ") << shapeStr(getSize()) << " has a negative entry";
  if (failed(checkDtype(*this, getDtype())))
    return failure();
  return checkResult(*this, getResult(), getSize(), Type());
}

LogicalResult FullLikeOp::verify() {
  if (failed(checkDtype(*this, getDtype())))
    return failure();
  Type element = getDtype() ? Type() : elementOf(getSelf());
  return checkResult(*this, getResult(), shapeOf(getSelf()), element);
}

LogicalResult ArangeStartStepOp::verify() {
  if (failed(checkDtype(*this, getDtype())))
    return failure();
  auto length = arangeLength(*this, getStart(), getEnd(), getStep(), elementOf(getResult()));
  if (failed(length))
    return failure();
  return checkResult(*this, getResult(), {*length}, Type());
}

LogicalResult ScalarTensorOp::verify() {
  if (failed(checkDtype(*this, getDtype())))
    return failure();
  return checkResult(*this, getResult(), {}, Type());
}

LogicalResult UpsampleNearest2dVecOp::verify() {
  return verifyUpsample2d(*this, getInput(), getOutputSize(), getScaleFactors());
}

LogicalResult UpsampleBilinear2dVecOp::verify() {
  return verifyUpsample2d(*this, getInput(), getOutputSize(), getScaleFactors());
}
