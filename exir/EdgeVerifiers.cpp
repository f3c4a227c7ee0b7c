//===- EdgeVerifiers.cpp - Shape rules of the Edge ops --------------------===//
//
// Hand-written verifiers for ops flagged `verifier: true` in ops.yaml (the
// families added later live in exir/verifiers/, sharing EdgeVerifierUtils.h). Each
// recomputes the result shape from the operands and attributes as ATen does
// and rejects IR whose declared result disagrees, naming the sizes at fault.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeConstants.h"
#include "exir/EdgeDialect.h"
#include "exir/EdgeVerifierUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace ember::edge;

using namespace ember::edge::verify;

namespace {

/// Shared rule of the matrix products: [.., n, k] x [.., k, m].
LogicalResult verifyMatmul(Operation *op, Value a, Value b, int64_t rank) {
  ArrayRef<int64_t> sa = shapeOf(a), sb = shapeOf(b);
  if ((int64_t)sa.size() != rank || (int64_t)sb.size() != rank)
    return op->emitOpError("expects ") << rank << "-d operands, got " << shapeStr(sa)
                                       << " and " << shapeStr(sb);
  if (sa[rank - 1] != sb[rank - 2])
    return op->emitOpError("inner dimensions differ: ") << shapeStr(sa) << " x " << shapeStr(sb);
  if (rank == 3 && sa[0] != sb[0])
    return op->emitOpError("batch dimensions differ: ") << shapeStr(sa) << " x " << shapeStr(sb);
  SmallVector<int64_t> out(sa.begin(), sa.end() - 1);
  out.push_back(sb[rank - 1]);
  return checkResult(op, op->getResult(0), out, elementOf(a));
}

} // namespace

namespace {
/// Convolution's checks, shared by edge.convolution and edge.convolution_clamp
/// (the same arguments, then the clamp's bounds).
template <typename ConvOp>
LogicalResult verifyConvolution(ConvOp op) {
  ArrayRef<int64_t> in = shapeOf(op.getInput()), w = shapeOf(op.getWeight());
  int64_t spatial = (int64_t)in.size() - 2;
  if (spatial < 1 || spatial > 2)
    return op.emitOpError("supports 1-d and 2-d convolution; input has shape ") << shapeStr(in);
  if (w.size() != in.size())
    return op.emitOpError("weight rank ") << w.size() << " differs from input rank " << in.size();
  auto check = [&](ArrayRef<int64_t> list, StringRef what) -> LogicalResult {
    if ((int64_t)list.size() != spatial)
      return op.emitOpError() << what << " has " << list.size() << " entries, expected " << spatial;
    return success();
  };
  if (failed(check(op.getStride(), "stride")) || failed(check(op.getPadding(), "padding")) ||
      failed(check(op.getDilation(), "dilation")))
    return failure();
  int64_t groups = op.getGroups();
  if (groups < 1 || in[1] % groups != 0)
    return op.emitOpError("groups ") << groups << " must divide the input channels " << in[1];
  int64_t outChannels;
  if (op.getTransposed()) {
    if (failed(check(op.getOutputPadding(), "output_padding")))
      return failure();
    if (w[0] != in[1])
      return op.emitOpError("transposed weight ") << shapeStr(w) << " expects " << w[0]
                                               << " input channels, input has " << in[1];
    outChannels = w[1] * groups;
  } else {
    if (w[1] * groups != in[1])
      return op.emitOpError("weight ") << shapeStr(w) << " with groups " << groups
                                    << " expects " << w[1] * groups << " input channels, input has "
                                    << in[1];
    outChannels = w[0];
  }
  if (auto biasType = dyn_cast<RankedTensorType>(op.getBias().getType()))
    if (biasType.getShape() != ArrayRef<int64_t>{outChannels})
      return op.emitOpError("bias shape ") << shapeStr(biasType.getShape()) << " should be ["
                                        << outChannels << "]";
  SmallVector<int64_t> out = {in[0], outChannels};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t k = op.getDilation()[i] * (w[2 + i] - 1) + 1;
    int64_t size = op.getTransposed()
                       ? (in[2 + i] - 1) * op.getStride()[i] - 2 * op.getPadding()[i] + k +
                             op.getOutputPadding()[i]
                       : (in[2 + i] + 2 * op.getPadding()[i] - k) / op.getStride()[i] + 1;
    if (size < 1)
      return op.emitOpError("output spatial size ")
             << size << " is not positive (input " << shapeStr(in) << ", weight " << shapeStr(w)
             << ")";
    out.push_back(size);
  }
  return checkResult(op, op.getResult(), out, elementOf(op.getInput()));
}
} // namespace

LogicalResult ConvolutionOp::verify() { return verifyConvolution(*this); }

LogicalResult ConvolutionClampOp::verify() {
  if (failed(verifyConvolution(*this)))
    return failure();
  std::optional<double> lo = getMinAttr() ? scalarValue(getMinAttr()) : std::nullopt;
  std::optional<double> hi = getMaxAttr() ? scalarValue(getMaxAttr()) : std::nullopt;
  if (!getMinAttr() && !getMaxAttr())
    return emitOpError("needs a min or a max");
  if (lo && hi && *lo > *hi)
    return emitOpError("min ") << *lo << " is above max " << *hi;
  return success();
}

LogicalResult ConvolutionNhwcOp::verify() {
  ArrayRef<int64_t> x = shapeOf(getInput()), w = shapeOf(getWeight());
  if (x.size() != 4 || w.size() != 4)
    return emitOpError("expects a 4-d channels-last input [N, H, W, C] and a 4-d weight, got ")
           << shapeStr(x) << " and " << shapeStr(w);
  if (!elementOf(getInput()).isF32() || elementOf(getWeight()) != elementOf(getInput()))
    return emitOpError("input and weight must be float32");
  FailureOr<SmallVector<int64_t>> out =
      forwardConvolutionSizes(*this, x, w, getGroupsAttr().getInt(), getStride(), getPadding(),
                              getDilation(), /*channelsLast=*/true);
  if (failed(out))
    return failure();
  if (auto biasType = dyn_cast<RankedTensorType>(getBias().getType()))
    if (biasType.getShape() != ArrayRef<int64_t>{w[0]})
      return emitOpError("bias shape ") << shapeStr(biasType.getShape()) << " should be ["
                                        << w[0] << "]";
  std::optional<double> lo = getMinAttr() ? scalarValue(getMinAttr()) : std::nullopt;
  std::optional<double> hi = getMaxAttr() ? scalarValue(getMaxAttr()) : std::nullopt;
  if (lo && hi && *lo > *hi)
    return emitOpError("min ") << *lo << " is above max " << *hi;
  StringRef activation = getActivation();
  if (activation != "none" && activation != "silu" && activation != "hardswish")
    return emitOpError("activation \"") << activation << "\" is not none, silu or hardswish";
  if (activation != "none" && (lo || hi))
    return emitOpError("takes bounds or an activation, not both");
  return checkResult(*this, getResult(), *out, elementOf(getInput()));
}

LogicalResult AddmmOp::verify() {
  if (failed(verifyMatmul(*this, getMat1(), getMat2(), 2)))
    return failure();
  // self must broadcast to the product's shape.
  auto shape = broadcast(*this, shapeOf(getSelf()), shapeOf(getResult()));
  if (failed(shape))
    return failure();
  if (ArrayRef<int64_t>(*shape) != shapeOf(getResult()))
    return emitOpError("self ") << shapeStr(shapeOf(getSelf()))
                                << " does not broadcast to the product shape "
                                << shapeStr(shapeOf(getResult()));
  return success();
}

LogicalResult MmOp::verify() { return verifyMatmul(*this, getSelf(), getMat2(), 2); }

LogicalResult LinearOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), w = shapeOf(getWeight());
  if (in.empty() || w.size() != 2)
    return emitOpError("expects an input of rank at least 1 and a 2-d weight, got ")
           << shapeStr(in) << " and " << shapeStr(w);
  if (in.back() != w[1])
    return emitOpError("input ") << shapeStr(in) << " has " << in.back()
                                 << " features, weight " << shapeStr(w) << " takes " << w[1];
  if (auto biasType = dyn_cast<RankedTensorType>(getBias().getType()))
    if (biasType.getShape() != ArrayRef<int64_t>{w[0]})
      return emitOpError("bias shape ") << shapeStr(biasType.getShape()) << " should be ["
                                        << w[0] << "]";
  SmallVector<int64_t> out(in.begin(), in.end() - 1);
  out.push_back(w[0]);
  return checkResult(*this, getResult(), out, elementOf(getInput()));
}
LogicalResult BmmOp::verify() { return verifyMatmul(*this, getSelf(), getMat2(), 3); }
LogicalResult AddTensorOp::verify() { return verifyBinary(*this); }
LogicalResult SubTensorOp::verify() { return verifyBinary(*this); }
LogicalResult MulTensorOp::verify() { return verifyBinary(*this); }
LogicalResult DivTensorOp::verify() { return verifyBinary(*this); }

LogicalResult DivTensorModeOp::verify() {
  if (auto mode = getRoundingMode())
    if (*mode != "trunc" && *mode != "floor")
      return emitOpError("rounding_mode must be \"trunc\" or \"floor\", got \"") << *mode << "\"";
  return verifyBinary(*this);
}

LogicalResult WriteBackOp::verify() {
  if (!getBuffer().getDefiningOp<MutableBufferOp>())
    return emitOpError("stores into a value that is not an edge.mutable_buffer");
  return success();
}

LogicalResult DelegateCallOp::verify() {
  if (getBackend().empty())
    return emitOpError("needs a backend name");
  auto type = cast<ShapedType>(getProcessed().getType());
  if (type.getRank() != 1 || !type.getElementType().isInteger(8))
    return emitOpError("processed blob must be a 1-d tensor of bytes, got ") << type;
  if (auto specs = getCompileSpecs())
    for (NamedAttribute spec : *specs)
      if (!isa<StringAttr>(spec.getValue()))
        return emitOpError("compile spec '") << spec.getName().getValue()
                                             << "' must be a string of bytes";
  if (auto named = getNamedData())
    for (NamedAttribute entry : *named) {
      auto data = dyn_cast<ElementsAttr>(entry.getValue());
      auto dataType = data ? dyn_cast<ShapedType>(data.getType()) : ShapedType();
      if (!dataType || dataType.getRank() != 1 || !dataType.getElementType().isInteger(8))
        return emitOpError("named data '") << entry.getName().getValue()
                                           << "' must be a 1-d tensor of bytes";
    }
  return success();
}

namespace ember::edge::verify {

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
  return s + "]";
}

bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [da, db] : llvm::zip(a, b))
    if (da != db && !ShapedType::isDynamic(da) && !ShapedType::isDynamic(db))
      return false;
  return true;
}

LogicalResult checkResult(Operation *op, Value result, ArrayRef<int64_t> expected,
                          Type elementType) {
  auto type = cast<RankedTensorType>(result.getType());
  if (!shapesCompatible(type.getShape(), expected))
    return op->emitOpError("result shape ") << shapeStr(type.getShape())
           << " does not match the inferred shape " << shapeStr(expected);
  if (elementType && type.getElementType() != elementType)
    return op->emitOpError("result element type ") << type.getElementType()
           << " does not match the operand element type " << elementType;
  return success();
}

FailureOr<SmallVector<int64_t>> broadcast(Operation *op, ArrayRef<int64_t> a,
                                          ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (ShapedType::isDynamic(da) || ShapedType::isDynamic(db)) {
      // A dynamic size broadcasts with 1 (giving itself) and must equal any
      // other size at run time: the kernel checks it then.
      out[i] = da == 1 ? db : db == 1 ? da : ShapedType::isDynamic(da) ? db : da;
      continue;
    }
    if (da != db && da != 1 && db != 1) {
      op->emitOpError("operand shapes ") << shapeStr(a) << " and " << shapeStr(b)
                                         << " cannot be broadcast together";
      return failure();
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

LogicalResult verifyBinary(Operation *op) {
  Value self = op->getOperand(0), other = op->getOperand(1);
  auto shape = broadcast(op, shapeOf(self), shapeOf(other));
  if (failed(shape))
    return failure();
  return checkResult(op, op->getResult(0), *shape, Type());
}

FailureOr<int64_t> normalizeDim(Operation *op, int64_t dim, int64_t rank, StringRef what) {
  const int64_t n = std::max<int64_t>(rank, 1);
  if (dim < -n || dim >= n) {
    op->emitOpError() << what << " " << dim << " is out of range for a " << rank << "-d tensor";
    return failure();
  }
  return dim < 0 ? dim + n : dim;
}

FailureOr<SmallVector<int64_t>> forwardConvolutionSizes(Operation *op, ArrayRef<int64_t> x,
                                                       ArrayRef<int64_t> w, int64_t groups,
                                                       ArrayRef<int64_t> stride,
                                                       ArrayRef<int64_t> padding,
                                                       ArrayRef<int64_t> dilation,
                                                       bool channelsLast) {
  const size_t spatial = x.size() - 2;
  const size_t channelDim = channelsLast ? x.size() - 1 : 1, firstSpatial = channelsLast ? 1 : 2;
  const int64_t channels = x[channelDim];
  if (groups < 1 || w[0] % groups != 0 ||
      (!ShapedType::isDynamic(channels) && channels != w[1] * groups))
    return op->emitOpError("input channels ") << channels << " do not match weight "
                                              << shapeStr(w) << " with " << groups
                                              << " group(s)";
  if (stride.size() != spatial || padding.size() != spatial || dilation.size() != spatial)
    return op->emitOpError("stride, padding and dilation need ") << spatial << " entries each";
  SmallVector<int64_t> out{x[0]};
  if (!channelsLast)
    out.push_back(w[0]);
  for (size_t d = 0; d < spatial; ++d) {
    if (stride[d] < 1 || dilation[d] < 1 || padding[d] < 0)
      return op->emitOpError("stride and dilation must be positive and padding not negative");
    int64_t size = x[firstSpatial + d];
    if (ShapedType::isDynamic(size)) {
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span = dilation[d] * (w[2 + d] - 1) + 1;
    if (size + 2 * padding[d] < span)
      return op->emitOpError("kernel of ") << span << " exceeds the padded input " << size;
    out.push_back((size + 2 * padding[d] - span) / stride[d] + 1);
  }
  if (channelsLast)
    out.push_back(w[0]);
  return out;
}

}  // namespace ember::edge::verify
