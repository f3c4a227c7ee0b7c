//===- verifiers/Quantize.cpp - Rules of the quantize/dequantize ops -------===//
//
// Verifiers of PT2E's quantized_decomposed ops and torchao's affine ops
// (exir/ops.yaml, "quantization"). Besides shapes and element types they
// check the quantization parameters a model states: a quantized dtype Ember
// has kernels for, a [quant_min, quant_max] range inside it, zero points
// inside the range and positive, finite scales. Literal parameters are
// checked here; parameters held in constant tensors are checked too when
// their values are in the IR (an edge.constant), so that a bad file is
// rejected at compile time naming the op, not at run time.
//
// Quantized dtypes are the integer ScalarTypes uint8, int8, int16 and
// int32 (codes 0-3); torch's sub-byte uint1..uint7 are not.
//
//===----------------------------------------------------------------------===//
#include "exir/EdgeDialect.h"
#include "exir/EdgeTypes.h"
#include "exir/EdgeVerifierUtils.h"
#include "runtime/core/half.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <limits>

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallVector.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace ember::edge;
using namespace ember::edge::verify;

namespace {

/// A number as printf's %g prints it (0.25, 1e-05), for messages.
std::string shortNumber(double x) {
  char text[32];
  snprintf(text, sizeof(text), "%g", x);
  return text;
}

/// An optional tensor operand that is given (not edge.none).
bool present(Value v) { return v && isa<RankedTensorType>(v.getType()); }

struct QRange {
  int64_t lo;
  int64_t hi;
};

/// The value range of quantized dtype `code`, or failure naming it.
FailureOr<QRange> dtypeRange(Operation *op, int64_t code, StringRef what) {
  switch (code) {
  case 0:
    return QRange{0, 255};
  case 1:
    return QRange{-128, 127};
  case 2:
    return QRange{-32768, 32767};
  case 3:
    return QRange{std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  default:
    op->emitOpError(what) << " " << code
                          << " is not a quantized dtype Ember supports (uint8, int8, int16, int32)";
    return failure();
  }
}

/// quant_min <= quant_max, both inside dtype `code`'s range.
FailureOr<QRange> checkRange(Operation *op, int64_t qmin, int64_t qmax, int64_t code,
                             StringRef what = "dtype") {
  FailureOr<QRange> r = dtypeRange(op, code, what);
  if (failed(r))
    return failure();
  if (qmin > qmax || qmin < r->lo || qmax > r->hi) {
    op->emitOpError("quantization range [") << qmin << ", " << qmax << "] is empty or outside "
                                            << "the dtype's [" << r->lo << ", " << r->hi << "]";
    return failure();
  }
  return QRange{qmin, qmax};
}

LogicalResult checkScale(Operation *op, double scale, StringRef what = "scale") {
  if (!(scale > 0.0) || !std::isfinite(scale))
    return op->emitOpError(what) << " " << shortNumber(scale) << " must be positive and finite";
  return success();
}

LogicalResult checkZeroPoint(Operation *op, int64_t zp, QRange range) {
  if (zp < range.lo || zp > range.hi)
    return op->emitOpError("zero point ") << zp << " is outside the quantization range ["
                                          << range.lo << ", " << range.hi << "]";
  return success();
}

/// Calls `visit(value)` (a double) for each element of `v` in order while it
/// returns true, when an edge.constant in this IR defines `v` (its data
/// present; nothing is visited for values computed at run time or elided).
/// Reads the raw bytes in place: the verifier runs after every pass, and a
/// 1B LLM's weight scales are 37M values.
template <typename Visit>
void forEachConstantValue(Value v, Visit visit) {
  auto constant = present(v) ? v.getDefiningOp<ConstantOp>() : nullptr;
  if (!constant)
    return;
  auto type = cast<RankedTensorType>(v.getType());
  Type element = type.getElementType();
  ArrayRef<char> raw;
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    if (dense.isSplat())
      return;
    raw = dense.getRawData();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return;
    raw = blob->getData();
  }
  const int64_t n = type.getNumElements();
  const unsigned bytes = element.getIntOrFloatBitWidth() / 8;
  if (bytes == 0 || static_cast<int64_t>(raw.size()) != n * bytes)
    return;
  auto each = [&](auto decode) {
    for (int64_t i = 0; i < n; ++i)
      if (!visit(decode(raw.data() + i * bytes)))
        return;
  };
  auto load = [](const char *p, auto zero) {
    decltype(zero) x;
    memcpy(&x, p, sizeof x);
    return x;
  };
  if (element.isF32())
    each([&](const char *p) { return static_cast<double>(load(p, 0.0f)); });
  else if (element.isF64())
    each([&](const char *p) { return load(p, 0.0); });
  else if (element.isF16())
    each([&](const char *p) {
      return static_cast<double>(ember::Half::to_float(load(p, uint16_t{0})));
    });
  else if (element.isBF16())
    each([&](const char *p) {
      return static_cast<double>(ember::BFloat16::to_float(load(p, uint16_t{0})));
    });
  else if (element.isUnsignedInteger(8))
    each([](const char *p) { return static_cast<double>(static_cast<uint8_t>(*p)); });
  else if (element.isInteger(8))
    each([](const char *p) { return static_cast<double>(static_cast<int8_t>(*p)); });
  else if (element.isInteger(32))
    each([&](const char *p) { return static_cast<double>(load(p, int32_t{0})); });
  else if (element.isInteger(64))
    each([&](const char *p) { return static_cast<double>(load(p, int64_t{0})); });
}

/// Constant scales are positive and finite; constant zero points are in range.
LogicalResult checkParamValues(Operation *op, Value scales, Value zeroPoints, QRange range) {
  LogicalResult result = success();
  forEachConstantValue(scales, [&](double s) {
    result = checkScale(op, s);
    return succeeded(result);
  });
  if (failed(result))
    return failure();
  forEachConstantValue(zeroPoints, [&](double z) {
    result = checkZeroPoint(op, static_cast<int64_t>(z), range);
    return succeeded(result);
  });
  return result;
}

LogicalResult checkFloatElement(Operation *op, Value v, StringRef what) {
  Type t = elementOf(v);
  if (!t.isF32() && !t.isF16() && !t.isBF16())
    return op->emitOpError(what) << " must be float32, float16 or bfloat16, got " << t;
  return success();
}

LogicalResult checkIntegerElement(Operation *op, Value v, StringRef what) {
  if (!isa<IntegerType>(elementOf(v)) || elementOf(v).isInteger(1))
    return op->emitOpError(what) << " must be an integer tensor, got " << elementOf(v);
  return success();
}

/// A one-element tensor (a dynamic scale or zero point).
LogicalResult checkOneElement(Operation *op, Value v, StringRef what) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.hasStaticShape() || type.getNumElements() != 1)
    return op->emitOpError(what) << " must have one element, got shape " << shapeStr(shapeOf(v));
  return success();
}

/// The element type of quantized dtype `code` (the quantize result's).
Type quantizedElement(Operation *op, int64_t code) {
  return scalarTypeToElementType(op->getContext(), static_cast<int>(code));
}

/// The element type a dequantize produces: out_dtype (float32 when absent).
FailureOr<Type> floatOut(Operation *op, std::optional<uint64_t> code) {
  int c = code ? static_cast<int>(*code) : 6;
  Type t = scalarTypeToElementType(op->getContext(), c);
  if (!t || !(t.isF32() || t.isF16() || t.isBF16() || t.isF64())) {
    op->emitOpError("output dtype ") << c << " is not a floating-point ScalarType";
    return failure();
  }
  return t;
}

/// Per channel: `params` is 1-d with one entry per index of input's `axis`.
LogicalResult checkPerChannel(Operation *op, Value input, Value params, int64_t axis,
                              StringRef what) {
  if (!present(params))
    return success();
  ArrayRef<int64_t> in = shapeOf(input), p = shapeOf(params);
  if (p.size() != 1 || !shapesCompatible(p, {in[axis]}))
    return op->emitOpError(what) << " has shape " << shapeStr(p) << ", expected ["
                                 << in[axis] << "] (one per index of axis " << axis << ")";
  return success();
}

/// torchao's block_size: one entry per input dim, each dividing that dim
/// (a block of -1 or of the dim's size covers it); returns the number of
/// blocks per dim.
FailureOr<SmallVector<int64_t>> blockCounts(Operation *op, Value input,
                                            ArrayRef<int64_t> blockSize) {
  ArrayRef<int64_t> in = shapeOf(input);
  if (blockSize.size() != in.size()) {
    op->emitOpError("block_size has ") << blockSize.size() << " entries for a " << in.size()
                                       << "-d input";
    return failure();
  }
  SmallVector<int64_t> counts;
  for (auto [d, b] : llvm::enumerate(blockSize)) {
    int64_t size = in[d];
    if (ShapedType::isDynamic(size)) {
      counts.push_back(ShapedType::kDynamic);
      continue;
    }
    if (b <= 0 || size % b != 0) {
      op->emitOpError("block size ") << b << " does not divide dim " << d << " of size " << size
                                     << " (group sizes must divide the dim they group)";
      return failure();
    }
    counts.push_back(size / b);
  }
  return counts;
}

/// A parameter tensor of one entry per block (any shape with that count;
/// torchao keeps the block dims or drops them).
LogicalResult checkPerBlock(Operation *op, Value params, ArrayRef<int64_t> counts,
                            StringRef what) {
  if (!present(params))
    return success();
  auto type = cast<RankedTensorType>(params.getType());
  int64_t blocks = 1;
  for (int64_t c : counts) {
    if (ShapedType::isDynamic(c))
      return success();  // checked by the kernel at run time
    blocks *= c;
  }
  if (type.hasStaticShape() && type.getNumElements() != blocks)
    return op->emitOpError(what) << " has " << type.getNumElements() << " entries, expected "
                                 << blocks << " (one per block)";
  return success();
}

/// torchao's optional quant_min/quant_max (the dtype's bounds when absent).
FailureOr<QRange> affineRange(Operation *op, Attribute qmin, Attribute qmax, int64_t code) {
  FailureOr<QRange> r = dtypeRange(op, code, "dtype");
  if (failed(r))
    return failure();
  auto asInt = [](Attribute a, int64_t dflt) -> std::optional<int64_t> {
    if (!a)
      return dflt;
    if (auto i = dyn_cast<IntegerAttr>(a))
      return i.getInt();
    return std::nullopt;
  };
  std::optional<int64_t> lo = asInt(qmin, r->lo), hi = asInt(qmax, r->hi);
  if (!lo || !hi) {
    op->emitOpError("quant_min and quant_max must be integers");
    return failure();
  }
  return checkRange(op, *lo, *hi, code);
}

} // namespace

namespace ember::edge {

LogicalResult QuantizePerTensorOp::verify() {
  if (failed(checkFloatElement(*this, getInput(), "input")) ||
      failed(checkScale(*this, getScale().convertToDouble())))
    return failure();
  auto range = checkRange(*this, getQuantMinAttr().getInt(), getQuantMaxAttr().getInt(),
                          getDtypeAttr().getInt());
  if (failed(range) || failed(checkZeroPoint(*this, getZeroPointAttr().getInt(), *range)))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()),
                     quantizedElement(*this, getDtypeAttr().getInt()));
}

LogicalResult QuantizePerTensorTensorOp::verify() {
  if (failed(checkFloatElement(*this, getInput(), "input")) ||
      failed(checkOneElement(*this, getScale(), "scale")) ||
      failed(checkOneElement(*this, getZeroPoint(), "zero_point")) ||
      failed(checkIntegerElement(*this, getZeroPoint(), "zero_point")))
    return failure();
  auto range = checkRange(*this, getQuantMinAttr().getInt(), getQuantMaxAttr().getInt(),
                          getDtypeAttr().getInt());
  if (failed(range) || failed(checkParamValues(*this, getScale(), getZeroPoint(), *range)))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()),
                     quantizedElement(*this, getDtypeAttr().getInt()));
}

LogicalResult DequantizePerTensorOp::verify() {
  if (failed(checkScale(*this, getScale().convertToDouble())))
    return failure();
  auto range = checkRange(*this, getQuantMinAttr().getInt(), getQuantMaxAttr().getInt(),
                          getDtypeAttr().getInt());
  if (failed(range) || failed(checkZeroPoint(*this, getZeroPointAttr().getInt(), *range)))
    return failure();
  if (elementOf(getInput()) != quantizedElement(*this, getDtypeAttr().getInt()))
    return emitOpError("input is ") << elementOf(getInput()) << " but dtype says "
                                    << quantizedElement(*this, getDtypeAttr().getInt());
  auto out = floatOut(*this, getOutDtype());
  if (failed(out))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()), *out);
}

LogicalResult DequantizePerTensorTensorOp::verify() {
  if (failed(checkOneElement(*this, getScale(), "scale")) ||
      failed(checkOneElement(*this, getZeroPoint(), "zero_point")) ||
      failed(checkIntegerElement(*this, getZeroPoint(), "zero_point")))
    return failure();
  auto range = checkRange(*this, getQuantMinAttr().getInt(), getQuantMaxAttr().getInt(),
                          getDtypeAttr().getInt());
  if (failed(range) || failed(checkParamValues(*this, getScale(), getZeroPoint(), *range)))
    return failure();
  if (elementOf(getInput()) != quantizedElement(*this, getDtypeAttr().getInt()))
    return emitOpError("input is ") << elementOf(getInput()) << " but dtype says "
                                    << quantizedElement(*this, getDtypeAttr().getInt());
  auto out = floatOut(*this, getOutDtype());
  if (failed(out))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()), *out);
}

LogicalResult QuantizePerChannelOp::verify() {
  if (failed(checkFloatElement(*this, getInput(), "input")))
    return failure();
  FailureOr<int64_t> axis = normalizeDim(*this, getAxisAttr().getInt(), shapeOf(getInput()).size(),
                                         "axis");
  if (failed(axis) || failed(checkPerChannel(*this, getInput(), getScales(), *axis, "scales")) ||
      failed(checkPerChannel(*this, getInput(), getZeroPoints(), *axis, "zero_points")) ||
      failed(checkIntegerElement(*this, getZeroPoints(), "zero_points")))
    return failure();
  auto range = checkRange(*this, getQuantMinAttr().getInt(), getQuantMaxAttr().getInt(),
                          getDtypeAttr().getInt());
  if (failed(range) || failed(checkParamValues(*this, getScales(), getZeroPoints(), *range)))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()),
                     quantizedElement(*this, getDtypeAttr().getInt()));
}

LogicalResult DequantizePerChannelOp::verify() {
  FailureOr<int64_t> axis = normalizeDim(*this, getAxisAttr().getInt(), shapeOf(getInput()).size(),
                                         "axis");
  if (failed(axis) || failed(checkPerChannel(*this, getInput(), getScales(), *axis, "scales")) ||
      failed(checkPerChannel(*this, getInput(), getZeroPoints(), *axis, "zero_points")))
    return failure();
  if (present(getZeroPoints()) &&
      failed(checkIntegerElement(*this, getZeroPoints(), "zero_points")))
    return failure();
  auto range = checkRange(*this, getQuantMinAttr().getInt(), getQuantMaxAttr().getInt(),
                          getDtypeAttr().getInt());
  if (failed(range) || failed(checkParamValues(*this, getScales(), getZeroPoints(), *range)))
    return failure();
  if (elementOf(getInput()) != quantizedElement(*this, getDtypeAttr().getInt()))
    return emitOpError("input is ") << elementOf(getInput()) << " but dtype says "
                                    << quantizedElement(*this, getDtypeAttr().getInt());
  auto out = floatOut(*this, getOutDtype());
  if (failed(out))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()), *out);
}

LogicalResult ChooseQparamsTensorOp::verify() {
  if (failed(checkFloatElement(*this, getInput(), "input")))
    return failure();
  int64_t qmin = getQuantMinAttr().getInt(), qmax = getQuantMaxAttr().getInt();
  if (failed(checkRange(*this, qmin, qmax, getDtypeAttr().getInt())))
    return failure();
  if (qmin > 0 || qmax < 0 || qmin == qmax)
    return emitOpError("quantization range [") << qmin << ", " << qmax
                                               << "] must include 0 and more than one value";
  double eps = getEps().convertToDouble();
  if (!(eps >= 0.0) || !std::isfinite(eps))
    return emitOpError("eps ") << eps << " must be finite and not negative";
  Builder b(getContext());
  if (failed(checkResult(*this, getResult0(), {1}, b.getF64Type())))
    return failure();
  return checkResult(*this, getResult1(), {1}, b.getI64Type());
}

LogicalResult ChooseQparamsAffineOp::verify() {
  if (!present(getInput()))
    return emitOpError("needs an input tensor");
  if (failed(checkFloatElement(*this, getInput(), "input")))
    return failure();
  StringRef mapping = getMappingType();
  if (mapping != "SYMMETRIC" && mapping != "SYMMETRIC_NO_CLIPPING_ERR" && mapping != "ASYMMETRIC")
    return emitOpError("mapping_type '") << mapping
                                         << "' is not SYMMETRIC, SYMMETRIC_NO_CLIPPING_ERR or "
                                            "ASYMMETRIC";
  auto counts = blockCounts(*this, getInput(), getBlockSize());
  if (failed(counts) ||
      failed(affineRange(*this, getQuantMinAttr(), getQuantMaxAttr(),
                         getTargetDtypeAttr().getInt())))
    return failure();
  if (std::optional<APFloat> eps = getEps(); eps && !(eps->convertToDouble() >= 0.0))
    return emitOpError("eps must not be negative");
  if (failed(checkPerBlock(*this, getResult0(), *counts, "scale")))
    return failure();
  return checkPerBlock(*this, getResult1(), *counts, "zero_point");
}

LogicalResult QuantizeAffineOp::verify() {
  if (failed(checkFloatElement(*this, getInput(), "input")))
    return failure();
  auto counts = blockCounts(*this, getInput(), getBlockSize());
  if (failed(counts) || failed(checkPerBlock(*this, getScale(), *counts, "scale")) ||
      failed(checkPerBlock(*this, getZeroPoint(), *counts, "zero_point")))
    return failure();
  auto range = affineRange(*this, getQuantMinAttr(), getQuantMaxAttr(),
                           getOutputDtypeAttr().getInt());
  if (failed(range) || failed(checkParamValues(*this, getScale(), getZeroPoint(), *range)))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()),
                     quantizedElement(*this, getOutputDtypeAttr().getInt()));
}

LogicalResult DequantizeAffineOp::verify() {
  auto counts = blockCounts(*this, getInput(), getBlockSize());
  if (failed(counts) || failed(checkPerBlock(*this, getScale(), *counts, "scale")) ||
      failed(checkPerBlock(*this, getZeroPoint(), *counts, "zero_point")))
    return failure();
  auto range = affineRange(*this, getQuantMinAttr(), getQuantMaxAttr(),
                           getInputDtypeAttr().getInt());
  if (failed(range) || failed(checkParamValues(*this, getScale(), getZeroPoint(), *range)))
    return failure();
  if (elementOf(getInput()) != quantizedElement(*this, getInputDtypeAttr().getInt()))
    return emitOpError("input is ") << elementOf(getInput()) << " but input_dtype says "
                                    << quantizedElement(*this, getInputDtypeAttr().getInt());
  auto out = floatOut(*this, getOutputDtypeAttr().getInt());
  if (failed(out))
    return failure();
  return checkResult(*this, getResult(), shapeOf(getInput()), *out);
}

} // namespace ember::edge

//===----------------------------------------------------------------------===//
// Ember's quantized ops (what quantizer/ folds patterns into)
//===----------------------------------------------------------------------===//

namespace {

/// A quantized activation: int8 or uint8, its zero point inside that type.
LogicalResult checkQuantizedActivation(Operation *op, Value v, int64_t zp, double scale,
                                       StringRef what) {
  Type t = elementOf(v);
  if (!t.isInteger(8))
    return op->emitOpError(what) << " must be int8 or uint8, got " << t;
  QRange range = t.isUnsignedInteger() ? QRange{0, 255} : QRange{-128, 127};
  if (failed(checkScale(op, scale, (what + " scale").str())) ||
      failed(checkZeroPoint(op, zp, range)))
    return failure();
  return success();
}

/// The output's clamp [quant_min, quant_max] inside its type, with the
/// output zero point inside it.
LogicalResult checkQuantizedOutput(Operation *op, Value result, double scale, int64_t zp,
                                   int64_t qmin, int64_t qmax) {
  Type t = elementOf(result);
  if (!t.isInteger(8))
    return op->emitOpError("result must be int8 or uint8, got ") << t;
  int64_t code = t.isUnsignedInteger() ? 0 : 1;
  FailureOr<QRange> range = checkRange(op, qmin, qmax, code);
  if (failed(range) || failed(checkScale(op, scale, "output scale")))
    return failure();
  QRange full = t.isUnsignedInteger() ? QRange{0, 255} : QRange{-128, 127};
  return checkZeroPoint(op, zp, full);
}

/// int8 weights [N, ...] with scales [N] or [1] (positive), zero point 0.
LogicalResult checkQuantizedWeight(Operation *op, Value weight, Value scales) {
  if (!elementOf(weight).isSignlessInteger(8))
    return op->emitOpError("weight must be int8, got ") << elementOf(weight);
  if (!elementOf(scales).isF32())
    return op->emitOpError("weight_scales must be float32, got ") << elementOf(scales);
  ArrayRef<int64_t> w = shapeOf(weight), s = shapeOf(scales);
  if (w.empty() || s.size() != 1 || (s[0] != 1 && !shapesCompatible(s, {w[0]})))
    return op->emitOpError("weight_scales has shape ")
           << shapeStr(s) << ", expected [" << (w.empty() ? 0 : w[0]) << "] or [1]";
  LogicalResult result = success();
  forEachConstantValue(scales, [&](double v) {
    result = checkScale(op, v, "weight scale");
    return succeeded(result);
  });
  return result;
}

/// A float32 bias of `n` entries, when given.
LogicalResult checkBias(Operation *op, Value bias, int64_t n) {
  if (!present(bias))
    return success();
  if (!elementOf(bias).isF32() || !shapesCompatible(shapeOf(bias), {n}))
    return op->emitOpError("bias must be float32 [") << n << "], got " << bias.getType();
  return success();
}

} // namespace

namespace ember::edge {

/// quantized_convolution and its channels-last twin (input [N, H, W, C] and
/// result [N, OH, OW, OC], 2-d only): one check, the layout aside.
template <typename ConvOp>
LogicalResult verifyQuantizedConvolution(ConvOp op, bool channelsLast) {
  Value in = op.getInput();
  if (failed(checkQuantizedActivation(op, in, op.getInputZeroPointAttr().getInt(),
                                      op.getInputScale().convertToDouble(), "input")) ||
      failed(checkQuantizedWeight(op, op.getWeight(), op.getWeightScales())))
    return failure();
  ArrayRef<int64_t> x = shapeOf(in), w = shapeOf(op.getWeight());
  if (channelsLast && x.size() != 4)
    return op.emitOpError("expects a 4-d channels-last input [N, H, W, C], got ") << shapeStr(x);
  if (x.size() < 3 || x.size() > 4 || w.size() != x.size())
    return op.emitOpError("expects a 3-d or 4-d input and weight of its rank, got ")
           << shapeStr(x) << " and " << shapeStr(w);
  FailureOr<SmallVector<int64_t>> out =
      forwardConvolutionSizes(op, x, w, op.getGroupsAttr().getInt(), op.getStride(),
                              op.getPadding(), op.getDilation(), channelsLast);
  if (failed(out))
    return failure();
  if (failed(checkBias(op, op.getBias(), w[0])) ||
      failed(checkQuantizedOutput(op, op.getResult(), op.getOutputScale().convertToDouble(),
                                  op.getOutputZeroPointAttr().getInt(),
                                  op.getQuantMinAttr().getInt(), op.getQuantMaxAttr().getInt())))
    return failure();
  return checkResult(op, op.getResult(), *out, Type());
}

LogicalResult QuantizedConvolutionOp::verify() {
  return verifyQuantizedConvolution(*this, /*channelsLast=*/false);
}

LogicalResult QuantizedConvolutionNhwcOp::verify() {
  return verifyQuantizedConvolution(*this, /*channelsLast=*/true);
}

LogicalResult QuantizedLutOp::verify() {
  Type t = elementOf(getSelf()), table = elementOf(getTable());
  if (!t.isInteger(8))
    return emitOpError("self must be int8 or uint8, got ") << t;
  if (!table.isInteger(8) || shapeOf(getTable()).size() != 1 || shapeOf(getTable())[0] != 256)
    return emitOpError("table must be int8 or uint8 [256], got ") << getTable().getType();
  if (elementOf(getResult()) != table)
    return emitOpError("result must have the table's element type ") << table;
  return checkResult(*this, getResult(), shapeOf(getSelf()), Type());
}

/// The channels-last max pools, float32 (edge.max_pool2d_nhwc) and int8
/// (edge.quantized_max_pool2d_nhwc): one rule, the element type aside.
template <typename PoolOp>
LogicalResult verifyMaxPoolNhwc(PoolOp op) {
  Type t = elementOf(op.getSelf());
  ArrayRef<int64_t> x = shapeOf(op.getSelf());
  if (x.size() != 4)
    return op.emitOpError("expects a 4-d channels-last input [N, H, W, C], got ") << shapeStr(x);
  ArrayRef<int64_t> kernel = op.getKernelSize(), stride = op.getStride(),
                    padding = op.getPadding(), dilation = op.getDilation();
  if (kernel.size() != 2 || (stride.size() != 2 && !stride.empty()) || padding.size() != 2 ||
      dilation.size() != 2)
    return op.emitOpError("kernel_size, padding and dilation need 2 entries, stride 2 or none");
  SmallVector<int64_t> out{x[0]};
  for (size_t d = 0; d < 2; ++d) {
    int64_t k = kernel[d], s = stride.empty() ? k : stride[d], p = padding[d], dil = dilation[d];
    if (k < 1 || s < 1 || dil < 1 || p < 0 || p > k / 2)
      return op.emitOpError("kernel_size, stride and dilation must be positive, padding at "
                            "most half the kernel");
    int64_t size = x[1 + d];
    if (ShapedType::isDynamic(size)) {
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span = dil * (k - 1) + 1;
    int64_t o = (size + 2 * p - span + (op.getCeilMode() ? s - 1 : 0)) / s + 1;
    if (op.getCeilMode() && (o - 1) * s >= size + p)
      --o;
    if (size + 2 * p < span || o < 1)
      return op.emitOpError("window of ") << span << " exceeds the padded input " << size;
    out.push_back(o);
  }
  out.push_back(x[3]);
  if (elementOf(op.getResult()) != t)
    return op.emitOpError("result must have self's element type ") << t;
  return checkResult(op, op.getResult(), out, Type());
}

LogicalResult QuantizedMaxPool2dNhwcOp::verify() {
  if (!elementOf(getSelf()).isInteger(8))
    return emitOpError("self must be int8 or uint8, got ") << elementOf(getSelf());
  return verifyMaxPoolNhwc(*this);
}

LogicalResult MaxPool2dNhwcOp::verify() {
  if (!elementOf(getSelf()).isF32())
    return emitOpError("self must be float32, got ") << elementOf(getSelf());
  return verifyMaxPoolNhwc(*this);
}

LogicalResult QuantizedLinearOp::verify() {
  Value in = getInput();
  if (failed(checkQuantizedActivation(*this, in, getInputZeroPointAttr().getInt(),
                                      getInputScale().convertToDouble(), "input")) ||
      failed(checkQuantizedWeight(*this, getWeight(), getWeightScales())))
    return failure();
  ArrayRef<int64_t> x = shapeOf(in), w = shapeOf(getWeight());
  if (x.empty() || w.size() != 2 || !shapesCompatible(x.take_back(), w.take_back()))
    return emitOpError("input ") << shapeStr(x) << " does not match weight " << shapeStr(w)
                                 << " ([..., K] by [N, K])";
  if (failed(checkBias(*this, getBias(), w[0])) ||
      failed(checkQuantizedOutput(*this, getResult(), getOutputScale().convertToDouble(),
                                  getOutputZeroPointAttr().getInt(), getQuantMinAttr().getInt(),
                                  getQuantMaxAttr().getInt())))
    return failure();
  SmallVector<int64_t> out(x.drop_back());
  out.push_back(w[0]);
  return checkResult(*this, getResult(), out, Type());
}

/// quantized_add and quantized_mul: two int8 activations broadcast together,
/// requantized to an int8 result of the broadcast shape.
template <typename Op>
LogicalResult verifyQuantizedBinary(Op op) {
  if (failed(checkQuantizedActivation(op, op.getSelf(), op.getSelfZeroPointAttr().getInt(),
                                      op.getSelfScale().convertToDouble(), "self")) ||
      failed(checkQuantizedActivation(op, op.getOther(), op.getOtherZeroPointAttr().getInt(),
                                      op.getOtherScale().convertToDouble(), "other")))
    return failure();
  auto shape = broadcast(op, shapeOf(op.getSelf()), shapeOf(op.getOther()));
  if (failed(shape) ||
      failed(checkQuantizedOutput(op, op.getResult(), op.getOutputScale().convertToDouble(),
                                  op.getOutputZeroPointAttr().getInt(),
                                  op.getQuantMinAttr().getInt(), op.getQuantMaxAttr().getInt())))
    return failure();
  return checkResult(op, op.getResult(), *shape, Type());
}

LogicalResult QuantizedAddOp::verify() { return verifyQuantizedBinary(*this); }

LogicalResult QuantizedMulOp::verify() { return verifyQuantizedBinary(*this); }

LogicalResult QuantizedMeanOp::verify() {
  if (failed(checkQuantizedActivation(*this, getSelf(), getSelfZeroPointAttr().getInt(),
                                      getSelfScale().convertToDouble(), "self")) ||
      failed(checkQuantizedOutput(*this, getResult(), getOutputScale().convertToDouble(),
                                  getOutputZeroPointAttr().getInt(), getQuantMinAttr().getInt(),
                                  getQuantMaxAttr().getInt())))
    return failure();
  ArrayRef<int64_t> x = shapeOf(getSelf());
  const int64_t rank = x.size();
  if (getDim().empty() || rank == 0)
    return emitOpError("reduces at least one dim of a tensor of rank 1 or more");
  SmallVector<bool> reduced(rank, false);
  for (int64_t dim : getDim()) {
    FailureOr<int64_t> d = normalizeDim(*this, dim, rank);
    if (failed(d))
      return failure();
    if (reduced[*d])
      return emitOpError("dim ") << *d << " appears more than once in the list of dims";
    reduced[*d] = true;
  }
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      out.push_back(x[d]);
    else if (getKeepdim())
      out.push_back(1);
  }
  if (elementOf(getResult()) != elementOf(getSelf()))
    return emitOpError("result must have self's element type ") << elementOf(getSelf());
  return checkResult(*this, getResult(), out, Type());
}

LogicalResult QuantizedCatOp::verify() {
  OperandRange tensors = getTensors();
  ArrayRef<double> scales = getScales();
  ArrayRef<int64_t> zeroPoints = getZeroPoints();
  if (tensors.empty())
    return emitOpError("needs at least one tensor");
  if (scales.size() != tensors.size() || zeroPoints.size() != tensors.size())
    return emitOpError("has ") << tensors.size() << " tensors, " << scales.size()
                               << " scales and " << zeroPoints.size() << " zero points";
  if (failed(checkQuantizedOutput(*this, getResult(), getOutputScale().convertToDouble(),
                                  getOutputZeroPointAttr().getInt(), getQuantMinAttr().getInt(),
                                  getQuantMaxAttr().getInt())))
    return failure();
  Type element = elementOf(getResult());
  ArrayRef<int64_t> ref = shapeOf(tensors[0]);
  if (ref.empty())
    return emitOpError("cannot concatenate 0-d tensors");
  auto dim = normalizeDim(*this, getDimAttr().getInt(), ref.size());
  if (failed(dim))
    return failure();
  SmallVector<int64_t> out(ref.begin(), ref.end());
  out[*dim] = 0;
  for (auto [i, t] : llvm::enumerate(tensors)) {
    std::string what = "tensor #" + std::to_string(i);
    if (failed(checkQuantizedActivation(*this, t, zeroPoints[i], scales[i], what)))
      return failure();
    if (elementOf(t) != element)
      return emitOpError(what) << " has element type " << elementOf(t) << ", the result "
                               << element;
    ArrayRef<int64_t> s = shapeOf(t);
    bool fits = s.size() == ref.size();
    for (size_t d = 0; fits && d < s.size(); ++d)
      fits = d == static_cast<size_t>(*dim) || shapesCompatible({s[d]}, {ref[d]});
    if (!fits)
      return emitOpError(what) << " has shape " << shapeStr(s) << ", incompatible with "
                               << shapeStr(ref) << " along dim " << *dim;
    out[*dim] = ShapedType::isDynamic(out[*dim]) || ShapedType::isDynamic(s[*dim])
                    ? ShapedType::kDynamic
                    : out[*dim] + s[*dim];
  }
  return checkResult(*this, getResult(), out, element);
}

LogicalResult QuantizedMatmulOp::verify() {
  if (failed(checkQuantizedActivation(*this, getSelf(), getSelfZeroPointAttr().getInt(),
                                      getSelfScale().convertToDouble(), "self")) ||
      failed(checkQuantizedActivation(*this, getOther(), getOtherZeroPointAttr().getInt(),
                                      getOtherScale().convertToDouble(), "other")) ||
      failed(checkQuantizedOutput(*this, getResult(), getOutputScale().convertToDouble(),
                                  getOutputZeroPointAttr().getInt(), getQuantMinAttr().getInt(),
                                  getQuantMaxAttr().getInt())))
    return failure();
  ArrayRef<int64_t> a = shapeOf(getSelf()), b = shapeOf(getOther());
  const size_t rank = a.size();
  bool fits = rank >= 2 && b.size() == rank && shapesCompatible({a[rank - 1]}, {b[rank - 2]});
  for (size_t d = 0; fits && d + 2 < rank; ++d)
    fits = shapesCompatible({a[d]}, {b[d]});
  if (!fits)
    return emitOpError("self ") << shapeStr(a) << " and other " << shapeStr(b)
                                << " are not [..., M, K] and [..., K, N] with the same leading "
                                   "dims";
  SmallVector<int64_t> out(a.begin(), a.end());
  out[rank - 1] = b[rank - 1];
  return checkResult(*this, getResult(), out, Type());
}

LogicalResult LinearDynamicInt8Op::verify() {
  if (!elementOf(getInput()).isF32())
    return emitOpError("input must be float32, got ") << elementOf(getInput());
  if (failed(checkQuantizedWeight(*this, getWeight(), getWeightScales())))
    return failure();
  int64_t qmin = getQuantMinAttr().getInt(), qmax = getQuantMaxAttr().getInt();
  if (failed(checkRange(*this, qmin, qmax, 1)))
    return failure();
  if (qmin > 0 || qmax < 0 || qmin == qmax)
    return emitOpError("quantization range [") << qmin << ", " << qmax
                                               << "] must include 0 and more than one value";
  ArrayRef<int64_t> x = shapeOf(getInput()), w = shapeOf(getWeight());
  if (x.empty() || w.size() != 2 || !shapesCompatible(x.take_back(), w.take_back()))
    return emitOpError("input ") << shapeStr(x) << " does not match weight " << shapeStr(w)
                                 << " ([..., K] by [N, K])";
  if (failed(checkBias(*this, getBias(), w[0])))
    return failure();
  SmallVector<int64_t> out(x.drop_back());
  out.push_back(w[0]);
  return checkResult(*this, getResult(), out, elementOf(getInput()));
}

LogicalResult LinearLowbitOp::verify() {
  if (!elementOf(getInput()).isF32())
    return emitOpError("input must be float32, got ") << elementOf(getInput());
  int64_t bits = getBitsAttr().getInt(), group = getGroupSizeAttr().getInt();
  if (bits != 4 && bits != 8)
    return emitOpError("bits must be 4 or 8, got ") << bits;
  ArrayRef<int64_t> x = shapeOf(getInput()), w = shapeOf(getWeight());
  if (x.empty() || w.size() != 2 || ShapedType::isDynamic(x.back()))
    return emitOpError("expects an input [..., K] with a static K and a 2-d weight");
  int64_t k = x.back(), n = w[0];
  Type wt = elementOf(getWeight());
  if (bits == 4 ? (!wt.isUnsignedInteger(8) || w[1] * 2 != k)
                : (!wt.isSignlessInteger(8) || w[1] != k))
    return emitOpError("a ") << bits << "-bit weight for K = " << k << " must be "
                             << (bits == 4 ? "uint8 [N, K / 2]" : "int8 [N, K]") << ", got "
                             << getWeight().getType();
  if (group < 1 || k % group != 0 || (bits == 4 && group % 2 != 0))
    return emitOpError("group size ") << group << " does not divide K = " << k
                                      << (bits == 4 ? " in pairs" : "");
  SmallVector<int64_t> params{n, k / group};
  Type st = elementOf(getWeightScales());
  if (!(st.isF32() || st.isF16() || st.isBF16()) ||
      !shapesCompatible(shapeOf(getWeightScales()), params))
    return emitOpError("weight_scales must be float32, float16 or bfloat16 ")
           << shapeStr(params) << ", got " << getWeightScales().getType();
  if (present(getWeightZeroPoints()) &&
      (!elementOf(getWeightZeroPoints()).isSignlessInteger(8) ||
       !shapesCompatible(shapeOf(getWeightZeroPoints()), params)))
    return emitOpError("weight_zero_points must be int8 ") << shapeStr(params);
  QRange range = bits == 4 ? QRange{-8, 7} : QRange{-128, 127};
  if (failed(checkParamValues(*this, getWeightScales(), getWeightZeroPoints(), range)) ||
      failed(checkBias(*this, getBias(), n)))
    return failure();
  SmallVector<int64_t> out(x.drop_back());
  out.push_back(n);
  return checkResult(*this, getResult(), out, elementOf(getInput()));
}

} // namespace ember::edge

namespace ember::edge {

/// ExecuTorch's quantized embeddings (embedding_byte / 4bit / 2bit, with or
/// without dtype): a table [V, D / per byte] of `bits`-bit values, scales
/// (and float zero points of their dtype) [V] or [V, D / G], int64 or int32
/// indices; the result is the indices' shape + [D] in `dtype` (the scales'
/// when absent). The kernels derive G from the scales' shape, as ET's do.
template <typename EmbeddingOp>
static LogicalResult verifyQuantizedEmbedding(EmbeddingOp op, int bits,
                                              std::optional<uint64_t> dtype) {
  Value w = op.getWeight(), scales = op.getWeightScales(), zps = op.getWeightZeroPoints();
  ArrayRef<int64_t> ws = shapeOf(w), ss = shapeOf(scales);
  Type wt = elementOf(w);
  if (ws.size() != 2 || ShapedType::isDynamicShape(ws))
    return op.emitOpError("weight must be a 2-d table of static shape, got ") << shapeStr(ws);
  if (bits == 8 ? !(wt.isSignlessInteger(8) || wt.isUnsignedInteger(8))
                : !wt.isUnsignedInteger(8))
    return op.emitOpError("a ") << bits << "-bit table must be "
                                << (bits == 8 ? "int8 or uint8" : "uint8 (packed)") << ", got "
                                << wt;
  const int64_t vocab = ws[0], dim = ws[1] * (8 / bits);
  if (failed(checkFloatElement(op, scales, "weight_scales")))
    return failure();
  if (ss.empty() || ss.size() > 2 || !shapesCompatible(ss.take_front(), {vocab}))
    return op.emitOpError("weight_scales must be [V] or [V, D / G] with V = ")
           << vocab << ", got " << shapeStr(ss);
  const int64_t groups = ss.size() == 2 ? ss[1] : 1;
  if (ShapedType::isDynamic(groups) || groups < 1 || dim % groups != 0)
    return op.emitOpError("weight_scales has ") << groups << " groups per row, which do not "
                                                << "divide the embedding dim " << dim;
  if (present(zps) && (elementOf(zps) != elementOf(scales) || shapeOf(zps) != ss))
    return op.emitOpError("weight_zero_points must be none or like weight_scales (")
           << scales.getType() << "), got " << zps.getType();
  const int64_t qmin = op.getWeightQuantMinAttr().getInt();
  const int64_t qmax = op.getWeightQuantMaxAttr().getInt();
  const QRange range = bits == 4                 ? QRange{-8, 7}
                       : bits == 2               ? QRange{-2, 1}
                       : wt.isUnsignedInteger(8) ? QRange{0, 255}
                                                 : QRange{-128, 127};
  if (bits != 8 ? (qmin != range.lo || qmax != range.hi)
                : (qmin > qmax || qmin < range.lo || qmax > range.hi))
    return op.emitOpError("weight range [") << qmin << ", " << qmax << "] is not "
                                            << (bits == 8 ? "inside " : "") << "the table's ["
                                            << range.lo << ", " << range.hi << "]";
  if (failed(checkParamValues(op, scales, zps, range)))
    return failure();
  Type idx = elementOf(op.getIndices());
  if (!idx.isSignlessInteger(64) && !idx.isSignlessInteger(32))
    return op.emitOpError("indices must be int64 or int32, got ") << idx;
  Type out = elementOf(scales);
  if (dtype) {
    FailureOr<Type> t = floatOut(op, dtype);
    if (failed(t))
      return failure();
    out = *t;
  }
  SmallVector<int64_t> shape(shapeOf(op.getIndices()));
  shape.push_back(dim);
  return checkResult(op, op.getResult(), shape, out);
}

LogicalResult EmbeddingByteOp::verify() {
  return verifyQuantizedEmbedding(*this, 8, std::nullopt);
}
LogicalResult EmbeddingByteDtypeOp::verify() {
  return verifyQuantizedEmbedding(*this, 8, getDtype());
}
LogicalResult Embedding4bitOp::verify() {
  return verifyQuantizedEmbedding(*this, 4, std::nullopt);
}
LogicalResult Embedding4bitDtypeOp::verify() {
  return verifyQuantizedEmbedding(*this, 4, getDtype());
}
LogicalResult Embedding2bitOp::verify() {
  return verifyQuantizedEmbedding(*this, 2, std::nullopt);
}
LogicalResult Embedding2bitDtypeOp::verify() {
  return verifyQuantizedEmbedding(*this, 2, getDtype());
}

} // namespace ember::edge
