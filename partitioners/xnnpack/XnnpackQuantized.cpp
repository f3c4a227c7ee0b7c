//===- XnnpackQuantized.cpp - Static int8 ops on XNNPACK --------------------===//
//
// 1. Support: an XNNPACK value has one scale and zero point, so every op
//    reading or writing an int8 value must agree on them (the producer's
//    quantize or output parameters, each reader's input parameters); the
//    requantization ratios must be inside what the 2022 library's int8
//    operators accept (it refuses others when the runtime is created).
// 2. Lowering: NHWC like the fp32 nodes (transposes on each side, removed by
//    ember-xnnpack-propagate-nhwc), filters re-laid-out as int8 bytes, the
//    float bias quantized to int32 (quantizeBias), the fused activation
//    (quant_min/quant_max) as the node's output clamp in real units.
//
//===----------------------------------------------------------------------===//
#include "partitioners/xnnpack/XnnpackQuantized.h"

#include <cmath>
#include <limits>

#include "partitioners/xnnpack/XnnpackDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace ember::xnnpack {
namespace {

bool fail(std::string &reason, const std::string &why) {
  reason = why;
  return false;
}

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

/// The ops' I64Attr getters return uint64_t; zero points and bounds are signed.
int64_t sint(uint64_t v) { return static_cast<int64_t>(v); }

bool isInt8(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isSignlessInteger(8);
}

bool isUInt8(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isUnsignedInteger(8);
}

/// The parameters `use`'s owner reads its operand with as a quantized
/// activation (a quantized op's input, a dequantize's input).
std::optional<QuantParams> readParams(OpOperand &use) {
  Operation *op = use.getOwner();
  unsigned i = use.getOperandNumber();
  auto params = [](APFloat scale, int64_t zp) {
    return QuantParams{scale.convertToDouble(), zp};
  };
  if (auto conv = dyn_cast<edge::QuantizedConvolutionOp>(op); conv && i == 0)
    return params(conv.getInputScale(), sint(conv.getInputZeroPoint()));
  if (auto linear = dyn_cast<edge::QuantizedLinearOp>(op); linear && i == 0)
    return params(linear.getInputScale(), sint(linear.getInputZeroPoint()));
  if (auto add = dyn_cast<edge::QuantizedAddOp>(op)) {
    if (i == 0)
      return params(add.getSelfScale(), sint(add.getSelfZeroPoint()));
    if (i == 1)
      return params(add.getOtherScale(), sint(add.getOtherZeroPoint()));
  }
  if (auto dq = dyn_cast<edge::DequantizePerTensorOp>(op); dq && i == 0)
    return params(dq.getScale(), sint(dq.getZeroPoint()));
  return std::nullopt;
}

/// The parameters an op writes `v` with (a quantized op, a quantize).
std::optional<QuantParams> producedParams(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  return llvm::TypeSwitch<Operation *, std::optional<QuantParams>>(def)
      .Case<edge::QuantizedConvolutionOp, edge::QuantizedLinearOp, edge::QuantizedAddOp>(
          [](auto o) -> std::optional<QuantParams> {
            return QuantParams{o.getOutputScale().convertToDouble(), sint(o.getOutputZeroPoint())};
          })
      .Case([](edge::QuantizePerTensorOp o) -> std::optional<QuantParams> {
        return QuantParams{o.getScale().convertToDouble(), sint(o.getZeroPoint())};
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// Ops that move or pick 8-bit values without changing their scale and
/// zero point (the quantizer's channels-last permutes, views, int8 max
/// pooling): XNNPACK gives their results their input's parameters.
bool isPassThrough(Operation *op) {
  if (isa<edge::QuantizedMaxPool2dNhwcOp>(op))
    return true;
  return isa<edge::PermuteOp, edge::ViewOp, edge::CloneOp, edge::AliasOp, edge::UnsqueezeOp,
             edge::SqueezeDimsOp>(op) &&
         op->getNumOperands() >= 1 && (isInt8(op->getOperand(0)) || isUInt8(op->getOperand(0)));
}

/// The value `v` was moved from through pass-through ops.
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isPassThrough(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// Every read of `v` and of what pass-through ops make of it.
void forEachRead(Value v, llvm::function_ref<void(OpOperand &)> fn) {
  for (OpOperand &use : v.getUses()) {
    if (isPassThrough(use.getOwner()) && use.getOperandNumber() == 0)
      forEachRead(use.getOwner()->getResult(0), fn);
    else
      fn(use);
  }
}

/// The parameters the graph gives `v` (its root's producer, or a reader's).
std::optional<QuantParams> graphParams(Value v) {
  Value root = rootOf(v);
  if (std::optional<QuantParams> made = producedParams(root))
    return made;
  std::optional<QuantParams> found;
  forEachRead(root, [&](OpOperand &use) {
    if (!found)
      found = readParams(use);
  });
  return found;
}

/// Step 1: `v` is an 8-bit activation every op reads and writes with `p`
/// (through pass-through ops too), a valid scale and a zero point in its
/// type's range.
bool checkActivation(Value v, QuantParams p, const char *what, std::string &reason) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() > 6 || type.getNumElements() == 0)
    return fail(reason, std::string(what) + ": rank above 6 or empty");
  int64_t lo = isUInt8(v) ? 0 : -128;
  if (!(p.scale > 0.0) || !std::isfinite(p.scale) || p.zeroPoint < lo || p.zeroPoint > lo + 255)
    return fail(reason, std::string(what) + ": bad scale or zero point");
  Value root = rootOf(v);
  if (std::optional<QuantParams> made = producedParams(root); made && !(*made == p))
    return fail(reason, std::string(what) + " is read with another scale or zero point than it "
                                            "was written with (an XNNPACK value has one)");
  bool agree = true;
  forEachRead(root, [&](OpOperand &use) {
    if (std::optional<QuantParams> read = readParams(use); read && !(*read == p))
      agree = false;
  });
  if (!agree)
    return fail(reason, std::string(what) + " is read with two scales or zero points (an "
                                            "XNNPACK value has one)");
  return true;
}

/// A pass-through op on 8-bit values: the graph must say its parameters,
/// which it then carries (xnnpack.scale, xnnpack.zero_point) into the
/// outlined subgraph, where its producer or readers may be missing.
bool checkPassThrough(Operation *op, std::string &reason) {
  std::optional<QuantParams> p = graphParams(op->getOperand(0));
  // In an outlined subgraph the producer and readers may be gone: the
  // parameters stated when the partitioner took the op count.
  auto scale = op->getAttrOfType<FloatAttr>(kArgScaleAttr);
  auto zp = op->getAttrOfType<IntegerAttr>(kArgZeroPointAttr);
  if (scale && zp) {
    QuantParams stated{scale.getValueAsDouble(), zp.getInt()};
    if (p && !(*p == stated))
      return fail(reason, "int8 value read with two scales or zero points");
    p = stated;
  }
  if (!p)
    return fail(reason, "int8 value whose scale and zero point no op states");
  if (!checkActivation(op->getOperand(0), *p, "input", reason))
    return false;
  if (auto pool = dyn_cast<edge::QuantizedMaxPool2dNhwcOp>(op)) {
    ArrayRef<int64_t> k = pool.getKernelSize(), st = pool.getStride();
    if (k.size() != 2 || (!st.empty() && st.size() != 2) || pool.getPadding().size() != 2 ||
        pool.getDilation().size() != 2)
      return fail(reason, "max pooling parameters are not 2-d");
    if (k[0] * k[1] == 1)
      return fail(reason, "1x1 pooling");
    if (!st.empty() && (st[0] > k[0] || st[1] > k[1]))
      return fail(reason, "max pooling stride > kernel");
  }
  Builder b(op->getContext());
  op->setAttr(kArgScaleAttr, b.getF64FloatAttr(p->scale));
  op->setAttr(kArgZeroPointAttr, b.getI64IntegerAttr(p->zeroPoint));
  return true;
}

/// XNNPACK converts saturate to the whole 8-bit range.
bool checkFullRange(Value q, int64_t qmin, int64_t qmax, std::string &reason) {
  int64_t lo = isUInt8(q) ? 0 : -128;
  if (qmin != lo || qmax != lo + 255)
    return fail(reason, "quantization range narrower than the 8-bit type");
  return true;
}

/// The filter scales of a quantized convolution or linear (a constant of 1
/// or `channels` floats).
std::optional<SmallVector<float>> filterScales(Value scales, int64_t channels) {
  FailureOr<SmallVector<float>> data = edge::readConstantF32(scales);
  if (failed(data) || (data->size() != 1 && (int64_t)data->size() != channels))
    return std::nullopt;
  return *data;
}

/// The int8 weights, float scales and float bias are constants; the
/// requantization scale input * filter / output of every channel is inside
/// [2^-32, 256), what the 2022 library's int8 GEMMs accept.
bool checkWeights(Value weight, Value scales, Value bias, int64_t channels, double inScale,
                  double outScale, std::string &reason) {
  if (!isConstant(weight) || !isInt8(weight) || !readConstantBytes(weight))
    return fail(reason, "weight is not an int8 constant");
  std::optional<SmallVector<float>> s = filterScales(scales, channels);
  if (!s)
    return fail(reason, "weight scales are not a constant of 1 or one per output channel");
  if (!isNone(bias) && !isF32Constant(bias))
    return fail(reason, "bias is not a constant");
  for (float w : *s) {
    double ratio = inScale * w / outScale;
    if (!(w > 0.0f) || !(ratio >= std::ldexp(1.0, -32) && ratio < 256.0))
      return fail(reason, "requantization scale input * weight / output outside [2^-32, 256) "
                          "(XNNPACK's int8 kernels)");
  }
  return true;
}

bool checkOutputRange(Value out, int64_t qmin, int64_t qmax, std::string &reason) {
  int64_t lo = isUInt8(out) ? 0 : -128;
  if (qmin < lo || qmax > lo + 255 || qmin >= qmax)
    return fail(reason, "bad quant_min / quant_max");
  return true;
}

template <typename ConvOp>
bool checkConvolution(ConvOp op, std::string &reason) {
  if (shapeOf(op.getInput()).size() != 4)
    return fail(reason, "1-d quantized convolution: only 2-d is lowered to XNNPACK");
  if (!isInt8(op.getInput()) || !isInt8(op.getResult()))
    return fail(reason, "uint8 activations: XNNPACK's int8 convolution takes int8 activations "
                        "with int8 weights");
  ArrayRef<int64_t> w = shapeOf(op.getWeight());
  if (w.size() != 4)
    return fail(reason, "weight is not 4-d");
  double inScale = op.getInputScale().convertToDouble();
  double outScale = op.getOutputScale().convertToDouble();
  if (!checkWeights(op.getWeight(), op.getWeightScales(), op.getBias(), w[0], inScale, outScale,
                    reason) ||
      !checkOutputRange(op.getResult(), sint(op.getQuantMin()), sint(op.getQuantMax()), reason))
    return false;
  // As for fp32 (XnnpackSupport.cpp): a depthwise window XNNPACK 2022 has
  // no kernel for runs as a grouped GEMM, far slower than Ember's.
  if (w[1] == 1 && w[0] == op.getGroups() && op.getGroups() > 1) {
    int64_t taps = w[2] * w[3];
    if (taps != 3 && taps != 4 && taps != 9 && taps != 25)
      return fail(reason, "depthwise window of " + std::to_string(taps) +
                              " taps: XNNPACK 2022 has depthwise kernels for 3, 4, 9 and 25 "
                              "taps only");
  }
  QuantParams in{inScale, sint(op.getInputZeroPoint())};
  QuantParams out{outScale, sint(op.getOutputZeroPoint())};
  return checkActivation(op.getInput(), in, "input", reason) &&
         checkActivation(op.getResult(), out, "output", reason);
}

bool checkLinear(edge::QuantizedLinearOp op, std::string &reason) {
  if (!isInt8(op.getInput()) || !isInt8(op.getResult()))
    return fail(reason, "uint8 activations: XNNPACK's int8 fully-connected takes int8 "
                        "activations with int8 weights");
  ArrayRef<int64_t> w = shapeOf(op.getWeight());
  if (w.size() != 2)
    return fail(reason, "weight is not 2-d");
  if (cast<RankedTensorType>(op.getWeightScales().getType()).getNumElements() != 1)
    return fail(reason, "per-channel int8 weights: Debian's XNNPACK (2022) has no per-channel "
                        "fully-connected (its fully_connected takes a qint8 filter with one "
                        "scale); kept on Ember's int8 kernels");
  double inScale = op.getInputScale().convertToDouble();
  double outScale = op.getOutputScale().convertToDouble();
  return checkWeights(op.getWeight(), op.getWeightScales(), op.getBias(), w[0], inScale, outScale,
                      reason) &&
         checkOutputRange(op.getResult(), sint(op.getQuantMin()), sint(op.getQuantMax()), reason) &&
         checkActivation(op.getInput(), {inScale, sint(op.getInputZeroPoint())}, "input",
                         reason) &&
         checkActivation(op.getResult(), {outScale, sint(op.getOutputZeroPoint())}, "output",
                         reason);
}

bool checkAdd(edge::QuantizedAddOp op, std::string &reason) {
  if (!isInt8(op.getSelf()) || !isInt8(op.getOther()) || !isInt8(op.getResult()))
    return fail(reason, "uint8 quantized add: lowered for int8 only");
  double a = op.getSelfScale().convertToDouble(), b = op.getOtherScale().convertToDouble();
  double out = op.getOutputScale().convertToDouble();
  // XNNPACK 2022's int8 add accepts input / output scale ratios in [2^-10, 2^8).
  for (double ratio : {a / out, b / out})
    if (!(ratio >= std::ldexp(1.0, -10) && ratio < 256.0))
      return fail(reason, "input / output scale ratio outside [2^-10, 2^8) (XNNPACK's int8 add)");
  return checkOutputRange(op.getResult(), sint(op.getQuantMin()), sint(op.getQuantMax()), reason) &&
         checkActivation(op.getSelf(), {a, sint(op.getSelfZeroPoint())}, "self", reason) &&
         checkActivation(op.getOther(), {b, sint(op.getOtherZeroPoint())}, "other", reason) &&
         checkActivation(op.getResult(), {out, sint(op.getOutputZeroPoint())}, "output", reason);
}

bool checkQuantize(edge::QuantizePerTensorOp op, std::string &reason) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  if (!in.getElementType().isF32())
    return fail(reason, "quantize of a non-fp32 tensor");
  if (!isInt8(op.getResult()) && !isUInt8(op.getResult()))
    return fail(reason, "quantize to a type other than int8 or uint8");
  return checkFullRange(op.getResult(), sint(op.getQuantMin()), sint(op.getQuantMax()), reason) &&
         checkActivation(op.getResult(), {op.getScale().convertToDouble(), sint(op.getZeroPoint())},
                         "output", reason);
}

bool checkDequantize(edge::DequantizePerTensorOp op, std::string &reason) {
  if (!isInt8(op.getInput()) && !isUInt8(op.getInput()))
    return fail(reason, "dequantize of a type other than int8 or uint8");
  if (!cast<RankedTensorType>(op.getResult().getType()).getElementType().isF32())
    return fail(reason, "dequantize to a type other than fp32");
  return checkFullRange(op.getInput(), sint(op.getQuantMin()), sint(op.getQuantMax()), reason) &&
         checkActivation(op.getInput(), {op.getScale().convertToDouble(), sint(op.getZeroPoint())},
                         "input", reason);
}

/// Result parameters, filter scales and the output clamp of a quantized
/// node: quant_min / quant_max above the type's range (a fused relu) are
/// the clamp in real units, which XNNPACK quantizes back exactly.
void setQuantAttrs(OpBuilder &b, NamedAttrList &attrs, Value result, QuantParams out,
                   int64_t qmin, int64_t qmax, ArrayRef<float> scales) {
  attrs.set(kResultScaleAttr, b.getF64FloatAttr(out.scale));
  attrs.set(kResultZeroPointAttr, b.getI64IntegerAttr(out.zeroPoint));
  if (!scales.empty())
    attrs.set("filter_scales", b.getDenseF32ArrayAttr(scales));
  int64_t lo = isUInt8(result) ? 0 : -128;
  if (qmin > lo)
    attrs.set(kOutputMinAttr, b.getF32FloatAttr((qmin - out.zeroPoint) * out.scale));
  if (qmax < lo + 255)
    attrs.set(kOutputMaxAttr, b.getF32FloatAttr((qmax - out.zeroPoint) * out.scale));
}

Value int32Constant(OpBuilder &b, Location loc, ArrayRef<int32_t> data) {
  auto type = RankedTensorType::get({(int64_t)data.size()}, b.getI32Type());
  return edge::createConstant(
      b, loc, type,
      ArrayRef<char>(reinterpret_cast<const char *>(data.data()), data.size() * sizeof(int32_t)),
      "bias_int32");
}

Value int8Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ArrayRef<char> data) {
  return edge::createConstant(b, loc, RankedTensorType::get(shape, b.getI8Type()), data,
                              "filter_int8");
}

/// `nhwc`: quantized_convolution_nhwc, whose input and result are already
/// XNNPACK's layout (no transposes).
template <typename ConvOp>
FailureOr<Value> lowerConvolution(OpBuilder &b, ConvOp op, bool nhwc) {
  Location loc = op.getLoc();
  QuantParams in{op.getInputScale().convertToDouble(), sint(op.getInputZeroPoint())};
  QuantParams out{op.getOutputScale().convertToDouble(), sint(op.getOutputZeroPoint())};
  setArgumentParams(op.getInput(), in);
  SmallVector<int64_t> w(shapeOf(op.getWeight()));  // [O, I/g, KH, KW]
  SmallVector<float> scales = *filterScales(op.getWeightScales(), w[0]);
  std::vector<char> bytes = *readConstantBytes(op.getWeight());
  auto two = [](ArrayRef<int64_t> v, int64_t fill) {
    int64_t first = v.empty() ? fill : v[0];
    return SmallVector<int64_t>{first, v.size() > 1 ? v[1] : first};
  };
  SmallVector<int64_t> stride = two(op.getStride(), 1), padding = two(op.getPadding(), 0),
                       dilation = two(op.getDilation(), 1);
  NamedAttrList attrs;
  attrs.set("padding", b.getDenseI64ArrayAttr({padding[0], padding[1], padding[0], padding[1]}));
  attrs.set("stride", b.getDenseI64ArrayAttr(stride));
  attrs.set("dilation", b.getDenseI64ArrayAttr(dilation));
  setQuantAttrs(b, attrs, op.getResult(), out, sint(op.getQuantMin()), sint(op.getQuantMax()),
                scales);
  SmallVector<Value> operands = {nhwc ? Value(op.getInput())
                                      : createTranspose(b, loc, op.getInput(), kToNhwc)};
  bool depthwise = w[1] == 1;  // one input channel per group, as the fp32 lowering
  if (depthwise) {  // [C_out, 1, KH, KW] -> [1, KH, KW, C_out]
    operands.push_back(
        int8Constant(b, loc, {1, w[2], w[3], w[0]}, permuteBytes(bytes, 1, w, {1, 2, 3, 0})));
  } else {  // [O, I/g, KH, KW] -> [O, KH, KW, I/g]
    operands.push_back(
        int8Constant(b, loc, permuteShape(w, kToNhwc), permuteBytes(bytes, 1, w, kToNhwc)));
    attrs.set("groups", b.getI64IntegerAttr(op.getGroups()));
  }
  if (!isNone(op.getBias()))
    operands.push_back(
        int32Constant(b, loc,
                      quantizeBias(*edge::readConstantF32(op.getBias()), in.scale, scales)));
  auto resultType = nhwc ? op.getResult().getType()
                 : tensorLike(op.getResult(), permuteShape(shapeOf(op.getResult()), kToNhwc));
  Operation *node;
  if (depthwise)
    node = b.create<DepthwiseConvolution2dOp>(loc, resultType, operands, attrs);
  else
    node = b.create<Convolution2dOp>(loc, resultType, operands, attrs);
  return nhwc ? node->getResult(0) : createTranspose(b, loc, node->getResult(0), kToNchw);
}

FailureOr<Value> lowerLinear(OpBuilder &b, edge::QuantizedLinearOp op) {
  Location loc = op.getLoc();
  QuantParams in{op.getInputScale().convertToDouble(), sint(op.getInputZeroPoint())};
  QuantParams out{op.getOutputScale().convertToDouble(), sint(op.getOutputZeroPoint())};
  setArgumentParams(op.getInput(), in);
  ArrayRef<int64_t> w = shapeOf(op.getWeight());  // [N, K], XNNPACK's layout
  SmallVector<float> scales = *filterScales(op.getWeightScales(), w[0]);
  NamedAttrList attrs;
  setQuantAttrs(b, attrs, op.getResult(), out, sint(op.getQuantMin()), sint(op.getQuantMax()),
                scales);
  SmallVector<Value> operands = {op.getInput(),
                                 int8Constant(b, loc, w, *readConstantBytes(op.getWeight()))};
  if (!isNone(op.getBias()))
    operands.push_back(
        int32Constant(b, loc,
                      quantizeBias(*edge::readConstantF32(op.getBias()), in.scale, scales)));
  return b.create<FullyConnectedOp>(loc, op.getResult().getType(), operands, attrs).getResult();
}

FailureOr<Value> lowerAdd(OpBuilder &b, edge::QuantizedAddOp op) {
  setArgumentParams(op.getSelf(),
                    {op.getSelfScale().convertToDouble(), sint(op.getSelfZeroPoint())});
  setArgumentParams(op.getOther(),
                    {op.getOtherScale().convertToDouble(), sint(op.getOtherZeroPoint())});
  QuantParams out{op.getOutputScale().convertToDouble(), sint(op.getOutputZeroPoint())};
  NamedAttrList attrs;
  setQuantAttrs(b, attrs, op.getResult(), out, sint(op.getQuantMin()), sint(op.getQuantMax()), {});
  return b.create<AddOp>(op.getLoc(), op.getResult().getType(),
                         ValueRange{op.getSelf(), op.getOther()}, attrs)
      .getResult();
}

/// int8 max pooling of an NHWC value; PyTorch's ceil_mode is extra
/// bottom/right padding, as for fp32.
Value lowerMaxPool(OpBuilder &b, edge::QuantizedMaxPool2dNhwcOp op) {
  ArrayRef<int64_t> in = shapeOf(op.getSelf()), out = shapeOf(op.getResult());
  ArrayRef<int64_t> k = op.getKernelSize(), st = op.getStride(), pad = op.getPadding(),
                    dil = op.getDilation();
  int64_t stride[2], extra[2];
  for (int i = 0; i < 2; ++i) {
    stride[i] = st.empty() ? k[i] : st[i];
    int64_t window = dil[i] * (k[i] - 1) + 1;
    extra[i] =
        std::max<int64_t>(0, (out[1 + i] - 1) * stride[i] + window - (in[1 + i] + 2 * pad[i]));
  }
  NamedAttrList attrs;
  attrs.set("padding",
            b.getDenseI64ArrayAttr({pad[0], pad[1] + extra[1], pad[0] + extra[0], pad[1]}));
  attrs.set("pooling", b.getDenseI64ArrayAttr({k[0], k[1]}));
  attrs.set("stride", b.getDenseI64ArrayAttr({stride[0], stride[1]}));
  attrs.set("dilation", b.getDenseI64ArrayAttr({dil[0], dil[1]}));
  return b.create<MaxPooling2dOp>(op.getLoc(), op.getResult().getType(), ValueRange{op.getSelf()},
                                  attrs)
      .getResult();
}

} // namespace

bool isStaticInt8Op(Operation *op) {
  return isa<edge::QuantizedConvolutionOp, edge::QuantizedConvolutionNhwcOp,
             edge::QuantizedLinearOp, edge::QuantizedAddOp, edge::QuantizePerTensorOp,
             edge::DequantizePerTensorOp>(op) ||
         isPassThrough(op);
}

bool checkStaticInt8Op(Operation *op, std::string &reason) {
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](edge::QuantizedConvolutionOp o) { return checkConvolution(o, reason); })
      .Case([&](edge::QuantizedConvolutionNhwcOp o) { return checkConvolution(o, reason); })
      .Case([&](edge::QuantizedLinearOp o) { return checkLinear(o, reason); })
      .Case([&](edge::QuantizedAddOp o) { return checkAdd(o, reason); })
      .Case([&](edge::QuantizePerTensorOp o) { return checkQuantize(o, reason); })
      .Case([&](edge::DequantizePerTensorOp o) { return checkDequantize(o, reason); })
      .Default([&](Operation *) {
        return isPassThrough(op) ? checkPassThrough(op, reason)
                                 : fail(reason, "not a static int8 op");
      });
}

std::optional<Int8MaxPool> matchInt8MaxPool(edge::MaxPool2dWithIndicesOp pool) {
  auto dq = pool.getSelf().getDefiningOp<edge::DequantizePerTensorOp>();
  if (!dq || !pool.getResult0().hasOneUse() || !pool.getResult1().use_empty())
    return std::nullopt;
  auto q = dyn_cast<edge::QuantizePerTensorOp>(*pool.getResult0().getUsers().begin());
  if (!q || q.getResult().getType().getElementType() != dq.getInput().getType().getElementType() ||
      q.getScale() != dq.getScale() || q.getZeroPoint() != dq.getZeroPoint() ||
      q.getQuantMin() != dq.getQuantMin() || q.getQuantMax() != dq.getQuantMax())
    return std::nullopt;
  return Int8MaxPool{dq, pool, q};
}

FailureOr<Value> lowerStaticInt8Op(OpBuilder &b, Operation *op) {
  if (isPassThrough(op)) {
    // The parameters the partitioner found (checkPassThrough) go to a
    // function argument it reads; its producer or readers give them to
    // any other value.
    auto scale = op->getAttrOfType<FloatAttr>(kArgScaleAttr);
    auto zp = op->getAttrOfType<IntegerAttr>(kArgZeroPointAttr);
    if (scale && zp)
      setArgumentParams(op->getOperand(0), {scale.getValueAsDouble(), zp.getInt()});
    if (auto pool = dyn_cast<edge::QuantizedMaxPool2dNhwcOp>(op))
      return lowerMaxPool(b, pool);
    if (auto permute = dyn_cast<edge::PermuteOp>(op))
      return createTranspose(b, op->getLoc(), permute.getSelf(), permute.getDims());
    return b.create<StaticReshapeOp>(op->getLoc(), op->getResult(0).getType(), op->getOperand(0))
        .getResult();
  }
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](edge::QuantizedConvolutionOp o) { return lowerConvolution(b, o, false); })
      .Case([&](edge::QuantizedConvolutionNhwcOp o) { return lowerConvolution(b, o, true); })
      .Case([&](edge::QuantizedLinearOp o) { return lowerLinear(b, o); })
      .Case([&](edge::QuantizedAddOp o) { return lowerAdd(b, o); })
      .Case([&](edge::QuantizePerTensorOp o) -> FailureOr<Value> {
        NamedAttrList attrs;
        attrs.set(kResultScaleAttr, b.getF64FloatAttr(o.getScale().convertToDouble()));
        attrs.set(kResultZeroPointAttr, b.getI64IntegerAttr(sint(o.getZeroPoint())));
        return b.create<ConvertOp>(o.getLoc(), o.getResult().getType(), ValueRange{o.getInput()},
                                   attrs)
            .getResult();
      })
      .Case([&](edge::DequantizePerTensorOp o) -> FailureOr<Value> {
        setArgumentParams(o.getInput(), {o.getScale().convertToDouble(), sint(o.getZeroPoint())});
        return b.create<ConvertOp>(o.getLoc(), o.getResult().getType(), ValueRange{o.getInput()},
                                   ArrayRef<NamedAttribute>{})
            .getResult();
      })
      .Default([&](Operation *) -> FailureOr<Value> {
        return op->emitOpError("is not a static int8 op");
      });
}

void setArgumentParams(Value v, QuantParams p) {
  // Through the nodes that keep their input's parameters (quantParamsOf).
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<StaticTransposeOp, StaticReshapeOp, MaxPooling2dOp, ClampOp>(def))
      return;
    v = def->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg)
    return;
  auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!func || func.getArgAttr(arg.getArgNumber(), kArgScaleAttr))
    return;
  Builder b(func.getContext());
  func.setArgAttr(arg.getArgNumber(), kArgScaleAttr, b.getF64FloatAttr(p.scale));
  func.setArgAttr(arg.getArgNumber(), kArgZeroPointAttr, b.getI64IntegerAttr(p.zeroPoint));
}

SmallVector<int32_t> quantizeBias(ArrayRef<float> bias, double inputScale,
                                  ArrayRef<float> filterScales) {
  SmallVector<int32_t> out(bias.size());
  for (size_t c = 0; c < bias.size(); ++c) {
    double scale = inputScale * filterScales[filterScales.size() == 1 ? 0 : c];
    double q = std::nearbyint(double(bias[c]) / scale);
    q = std::min<double>(std::max<double>(q, std::numeric_limits<int32_t>::min()),
                         std::numeric_limits<int32_t>::max());
    out[c] = static_cast<int32_t>(q);
  }
  return out;
}

} // namespace ember::xnnpack
