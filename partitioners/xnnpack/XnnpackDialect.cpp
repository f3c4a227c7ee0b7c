//===- XnnpackDialect.cpp - XNNPACK subgraph nodes as MLIR ops ------------===//
#include "partitioners/xnnpack/XnnpackDialect.h"

#include <cmath>

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace ember::xnnpack;

#include "partitioners/xnnpack/XnnpackDialect.cpp.inc"

void XnnpackDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "partitioners/xnnpack/XnnpackOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "partitioners/xnnpack/XnnpackOps.cpp.inc"

LogicalResult ember::xnnpack::verifyElementwise(Operation *op) {
  SmallVector<int64_t> shape;
  for (Value operand : op->getOperands()) {
    SmallVector<int64_t> next;
    if (!OpTrait::util::getBroadcastedShape(
            shape, cast<RankedTensorType>(operand.getType()).getShape(), next))
      return op->emitOpError("operands do not broadcast together");
    shape = std::move(next);
  }
  if (cast<RankedTensorType>(op->getResult(0).getType()).getShape() != ArrayRef<int64_t>(shape))
    return op->emitOpError("result shape is not the operands' broadcast shape");
  return success();
}

namespace {

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

bool is8Bit(Value v) { return elementOf(v).isInteger(8); }

/// An 8-bit result has result_scale (positive, finite) and
/// result_zero_point inside its type's range; an fp32 result has neither.
LogicalResult verifyResultQuant(Operation *op, Value result) {
  auto scale = op->getAttrOfType<FloatAttr>("result_scale");
  auto zp = op->getAttrOfType<IntegerAttr>("result_zero_point");
  if (!is8Bit(result))
    return scale || zp ? op->emitOpError("has result quantization on a non-8-bit result")
                       : success();
  if (!scale || !zp)
    return op->emitOpError("8-bit result needs result_scale and result_zero_point");
  double s = scale.getValueAsDouble();
  int64_t lo = elementOf(result).isUnsignedInteger() ? 0 : -128;
  if (!(s > 0.0) || !std::isfinite(s) || zp.getInt() < lo || zp.getInt() > lo + 255)
    return op->emitOpError("result_scale must be positive and result_zero_point in [")
           << lo << ", " << lo + 255 << "]";
  return success();
}

/// Convolution and fully-connected operands: fp32 throughout, or an int8
/// input and result, an int8 filter with `filter_scales` (one, or one per
/// output channel `channels`) and an int32 bias.
LogicalResult verifyQuantizedWeights(Operation *op, Value input, Value filter, Value bias,
                                     Value result, int64_t channels) {
  auto scales = op->getAttrOfType<DenseF32ArrayAttr>("filter_scales");
  if (elementOf(input).isF32()) {
    if (!elementOf(filter).isF32() || !elementOf(result).isF32() ||
        (bias && !elementOf(bias).isF32()) || scales)
      return op->emitOpError("fp32 input needs fp32 filter, bias and result");
    return verifyResultQuant(op, result);
  }
  if (!elementOf(input).isSignlessInteger(8) || !elementOf(filter).isSignlessInteger(8) ||
      !elementOf(result).isSignlessInteger(8) || (bias && !elementOf(bias).isSignlessInteger(32)))
    return op->emitOpError("quantized: needs int8 input, filter and result and an int32 bias");
  if (!scales || (scales.size() != 1 && scales.size() != channels))
    return op->emitOpError("int8 filter needs filter_scales of 1 or ") << channels << " entries";
  if (llvm::any_of(scales.asArrayRef(), [](float s) { return !(s > 0.0f) || !std::isfinite(s); }))
    return op->emitOpError("filter_scales must be positive and finite");
  return verifyResultQuant(op, result);
}

/// Checks shared by the three convolutions: 4-d NHWC input, filter and
/// output, a bias of one element per output channel, 2-d stride and
/// dilation, 4 paddings.
LogicalResult verifyConv(Operation *op, Value input, Value filter, Value bias, Value result,
                         ArrayRef<int64_t> padding, ArrayRef<int64_t> stride,
                         ArrayRef<int64_t> dilation) {
  if (shapeOf(input).size() != 4 || shapeOf(filter).size() != 4 || shapeOf(result).size() != 4)
    return op->emitOpError("input, filter and result must be 4-d (NHWC)");
  if (padding.size() != 4 || stride.size() != 2 || dilation.size() != 2)
    return op->emitOpError("needs 4 paddings, 2 strides and 2 dilations");
  if (llvm::any_of(padding, [](int64_t p) { return p < 0; }) ||
      llvm::any_of(stride, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilation, [](int64_t d) { return d < 1; }))
    return op->emitOpError("paddings must be >= 0, strides and dilations >= 1");
  int64_t channels = shapeOf(result)[3];
  if (bias && shapeOf(bias) != ArrayRef<int64_t>{channels})
    return op->emitOpError("bias must be [") << channels << "]";
  return success();
}

} // namespace

/// A grouped filter [O, KH, KW, I / groups] over the input's channels (the
/// layout of both convolution and deconvolution nodes).
static LogicalResult verifyGroupedFilter(Operation *op, Value input, Value filter, Value result,
                                         int64_t groups) {
  ArrayRef<int64_t> in = shapeOf(input), f = shapeOf(filter);
  if (groups < 1 || f[0] % groups != 0 || in[3] != groups * f[3] || shapeOf(result)[3] != f[0])
    return op->emitOpError("filter [O, KH, KW, I] does not match ")
           << groups << " group(s) of the " << in[3] << " input channels";
  return success();
}

LogicalResult Convolution2dOp::verify() {
  if (failed(verifyConv(*this, getInput(), getFilter(), getBias(), getResult(), getPadding(),
                        getStride(), getDilation())) ||
      failed(verifyQuantizedWeights(*this, getInput(), getFilter(), getBias(), getResult(),
                                    shapeOf(getResult())[3])))
    return failure();
  return verifyGroupedFilter(*this, getInput(), getFilter(), getResult(), getGroups());
}

LogicalResult DepthwiseConvolution2dOp::verify() {
  if (failed(verifyConv(*this, getInput(), getFilter(), getBias(), getResult(), getPadding(),
                        getStride(), getDilation())) ||
      failed(verifyQuantizedWeights(*this, getInput(), getFilter(), getBias(), getResult(),
                                    shapeOf(getResult())[3])))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), filter = shapeOf(getFilter());
  if (filter[0] != 1 || filter[3] % in[3] != 0 || shapeOf(getResult())[3] != filter[3])
    return emitOpError("filter must be [1, KH, KW, C_out] with C_out a multiple of C_in");
  return success();
}

LogicalResult Deconvolution2dOp::verify() {
  if (failed(verifyConv(*this, getInput(), getFilter(), getBias(), getResult(), getPadding(),
                        getStride(), getDilation())))
    return failure();
  if (getAdjustment().size() != 2)
    return emitOpError("needs 2 adjustments");
  return verifyGroupedFilter(*this, getInput(), getFilter(), getResult(), getGroups());
}

LogicalResult FullyConnectedOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), filter = shapeOf(getFilter()),
                    out = shapeOf(getResult());
  if (filter.size() != 2 || in.empty() || in.back() != filter[1] || out.size() != in.size() ||
      out.back() != filter[0] || out.drop_back() != in.drop_back())
    return emitOpError("needs input [..., K], filter [N, K] and result [..., N]");
  if (getBias() && shapeOf(getBias()) != ArrayRef<int64_t>{filter[0]})
    return emitOpError("bias must be [") << filter[0] << "]";
  return verifyQuantizedWeights(*this, getInput(), getFilter(), getBias(), getResult(),
                                filter[0]);
}

LogicalResult AddOp::verify() {
  bool quantized = is8Bit(getLhs());
  if (is8Bit(getRhs()) != quantized || is8Bit(getResult()) != quantized ||
      (quantized && (elementOf(getLhs()) != elementOf(getResult()) ||
                     elementOf(getRhs()) != elementOf(getResult()))))
    return emitOpError("inputs and result must all be fp32, or all of one 8-bit type");
  return verifyResultQuant(*this, getResult());
}

LogicalResult ConvertOp::verify() {
  bool in = is8Bit(getInput()), out = is8Bit(getResult());
  if (in == out || !(in ? elementOf(getResult()) : elementOf(getInput())).isF32())
    return emitOpError("converts between fp32 and an 8-bit type only");
  return verifyResultQuant(*this, getResult());
}

LogicalResult PreluOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() != 4 || shapeOf(getSlope()) != ArrayRef<int64_t>{in[3]} ||
      shapeOf(getResult()) != in)
    return emitOpError("needs an NHWC input and one slope per channel");
  return success();
}

LogicalResult StaticTransposeOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  ArrayRef<int64_t> perm = getPerm();
  if (perm.size() != in.size() || out.size() != in.size())
    return emitOpError("perm must have one entry per dim");
  llvm::SmallVector<bool> seen(perm.size(), false);
  for (auto [i, p] : llvm::enumerate(perm)) {
    if (p < 0 || p >= (int64_t)perm.size() || seen[p])
      return emitOpError("perm is not a permutation");
    seen[p] = true;
    if (out[i] != in[p])
      return emitOpError("result dim ") << i << " must be input dim " << p;
  }
  return success();
}

LogicalResult StaticReshapeOp::verify() {
  if (cast<RankedTensorType>(getInput().getType()).getNumElements() !=
      cast<RankedTensorType>(getResult().getType()).getNumElements())
    return emitOpError("changes the number of elements");
  return success();
}

LogicalResult StaticConstantPadOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  if (getPre().size() != in.size() || getPost().size() != in.size() || out.size() != in.size())
    return emitOpError("needs one pre and one post padding per dim");
  for (size_t i = 0; i < in.size(); ++i)
    if (getPre()[i] < 0 || getPost()[i] < 0 || out[i] != in[i] + getPre()[i] + getPost()[i])
      return emitOpError("result dim ") << i << " is not the padded input dim";
  return success();
}
