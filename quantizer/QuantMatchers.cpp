//===- QuantMatchers.cpp - What the quantize phase's fold passes share ---===//
#include "quantizer/QuantMatchers.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "exir/EdgeConstants.h"
#include "partitioners/Partitioner.h"
#include "passes/Matchers.h"

#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace ember::quant {

void recordNotFolded(Operation *op, const Twine &reason) {
  recordRefusal(op, kQuantizerName, reason.str());
}

bool hasQuantizerRefusal(Operation *op) {
  auto refused = op->getAttrOfType<DictionaryAttr>(kRefusedAttrName);
  return refused && refused.get(kQuantizerName);
}

bool isDequantize(Operation *op) {
  return isa<edge::DequantizePerTensorOp, edge::DequantizePerTensorTensorOp,
             edge::DequantizePerChannelOp, edge::DequantizeAffineOp>(op);
}

bool isQuantize(Operation *op) {
  return isa<edge::QuantizePerTensorOp, edge::QuantizePerTensorTensorOp,
             edge::QuantizePerChannelOp, edge::QuantizeAffineOp>(op);
}

bool isClampActivation(Operation *op) {
  return isa<edge::ReluOp, edge::HardtanhOp, edge::ClampOp>(op);
}

bool isPresent(Value v) { return v && isa<RankedTensorType>(v.getType()); }

Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

FailureOr<SmallVector<int64_t>> readConstantInts(Value v) {
  auto constant = isPresent(v) ? v.getDefiningOp<edge::ConstantOp>() : nullptr;
  auto element = constant ? dyn_cast<IntegerType>(elementOf(v)) : IntegerType();
  if (!element || element.getWidth() % 8 != 0 || element.getWidth() > 64)
    return failure();
  FailureOr<edge::ElementBytes> bytes = edge::elementBytes(constant.getValue());
  if (failed(bytes))
    return failure();
  const unsigned width = element.getWidth() / 8;
  const bool isUnsigned = element.isUnsigned();
  SmallVector<int64_t> out;
  out.reserve(bytes->bytes.size() / width);
  for (size_t i = 0; i + width <= bytes->bytes.size(); i += width) {
    uint64_t raw = 0;
    std::memcpy(&raw, bytes->bytes.data() + i, width);  // little-endian
    if (!isUnsigned && width < 8 && (raw >> (width * 8 - 1)) & 1)
      raw |= ~uint64_t(0) << (width * 8);  // sign-extend
    out.push_back(static_cast<int64_t>(raw));
  }
  return out;
}

StringRef constantName(Value v) {
  auto constant = v.getDefiningOp<edge::ConstantOp>();
  return constant && constant.getNameAttr() ? constant.getNameAttr().getValue() : StringRef();
}

FailureOr<QuantizedActivation> dequantizedActivation(Value v, std::string &why) {
  auto dq = v.getDefiningOp<edge::DequantizePerTensorOp>();
  if (!dq) {
    why = v.getDefiningOp() && isDequantize(v.getDefiningOp())
              ? "the input is not dequantized per tensor with literal parameters"
              : "the input is not dequantized";
    return failure();
  }
  Type q = elementOf(dq.getInput());
  if (!q.isInteger(8)) {
    why = "the input is quantized to another type than int8 or uint8";
    return failure();
  }
  if (!elementOf(dq.getResult()).isF32()) {
    why = "the input is dequantized to another type than float32";
    return failure();
  }
  return QuantizedActivation{dq.getInput(), dq.getScaleAttr(), dq.getZeroPointAttr()};
}

bool feedsQuantize(Value result) {
  for (Operation *user : result.getUsers()) {
    if (isQuantize(user))
      return true;
    if (isClampActivation(user))
      for (Operation *next : user->getResult(0).getUsers())
        if (isQuantize(next))
          return true;
  }
  return false;
}

int64_t quantizeBound(double bound, double scale, int64_t zeroPoint, int64_t quantMin,
                      int64_t quantMax) {
  // torch's quantize_per_tensor: input (float32) * (1.0 / scale), the
  // scalar taken as float32, rounded half to even, then + zero point.
  const float inverse = static_cast<float>(1.0 / scale);
  const float product = static_cast<float>(bound) * inverse;
  const double q = static_cast<double>(std::nearbyint(product)) + static_cast<double>(zeroPoint);
  if (std::isnan(q))
    return quantMin;
  if (q <= static_cast<double>(quantMin))
    return quantMin;
  if (q >= static_cast<double>(quantMax))
    return quantMax;
  return static_cast<int64_t>(q);
}

namespace {

/// The compile-time bounds of a relu, hardtanh or clamp (nullopt for a
/// missing bound); failure when a bound is not known at compile time.
struct Bounds {
  std::optional<double> lo, hi;
};
FailureOr<Bounds> activationBounds(Operation *op) {
  auto value = [](Attribute a) -> FailureOr<std::optional<double>> {
    if (!a)
      return std::optional<double>();
    std::optional<double> v = edge::scalarValue(a);
    if (!v)
      return failure();
    return v;
  };
  if (isa<edge::ReluOp>(op))
    return Bounds{0.0, std::nullopt};
  Attribute lo, hi;
  if (auto ht = dyn_cast<edge::HardtanhOp>(op)) {
    if (!ht.getSymValues().empty())
      return failure();
    lo = ht.getMinValAttr();
    hi = ht.getMaxValAttr();
  } else if (auto clamp = dyn_cast<edge::ClampOp>(op)) {
    if (!clamp.getSymValues().empty())
      return failure();
    lo = clamp.getMinAttr();
    hi = clamp.getMaxAttr();
  } else {
    return failure();
  }
  FailureOr<std::optional<double>> l = value(lo), h = value(hi);
  if (failed(l) || failed(h))
    return failure();
  return Bounds{*l, *h};
}

} // namespace

FailureOr<QuantizedOutput> quantizedOutput(Value result, std::string &why) {
  QuantizedOutput out;
  Value v = result;
  if (!result.hasOneUse()) {
    why = "its float result is also read by other ops";
    return failure();
  }
  Operation *user = *result.getUsers().begin();
  if (isClampActivation(user)) {
    out.activation = user;
    v = user->getResult(0);
    if (!v.hasOneUse()) {
      why = "the result of its " + user->getName().getStringRef().str() +
            " is also read by other ops";
      return failure();
    }
    user = *v.getUsers().begin();
  }
  out.quantize = dyn_cast<edge::QuantizePerTensorOp>(user);
  if (!out.quantize) {
    why = isQuantize(user) ? "its result is not quantized per tensor with literal parameters"
                           : "its result is not quantized";
    return failure();
  }
  if (!elementOf(out.quantize.getResult()).isInteger(8) || !elementOf(v).isF32()) {
    why = "its result is not quantized from float32 to int8 or uint8";
    return failure();
  }
  const double scale = out.quantize.getScale().convertToDouble();
  const int64_t zp = out.quantize.getZeroPointAttr().getInt();
  out.quantMin = out.quantize.getQuantMinAttr().getInt();
  out.quantMax = out.quantize.getQuantMaxAttr().getInt();
  if (out.activation) {
    FailureOr<Bounds> bounds = activationBounds(out.activation);
    if (failed(bounds) || (bounds->lo && bounds->hi && *bounds->lo > *bounds->hi)) {
      why = "the bounds of its " + out.activation->getName().getStringRef().str() +
            " are not known at compile time";
      return failure();
    }
    // quantize(clamp(y, lo, hi)) = clamp(quantize(y), quantize(lo),
    // quantize(hi)): quantize is monotone (a float32 product by a positive
    // number, then rounding), so the clamp moves to the integer side with
    // each bound rounded as the quantize rounds it.
    const int64_t qmin = out.quantMin, qmax = out.quantMax;
    if (bounds->lo)
      out.quantMin = quantizeBound(*bounds->lo, scale, zp, qmin, qmax);
    if (bounds->hi)
      out.quantMax = quantizeBound(*bounds->hi, scale, zp, qmin, qmax);
  }
  return out;
}

FailureOr<SymmetricWeight> symmetricWeight(Value v, std::string &why,
                                           llvm::DenseMap<Operation *, Value> &scaleCache) {
  Operation *def = v.getDefiningOp();
  Value weight, scales, zeroPoints;
  if (auto dq = dyn_cast_or_null<edge::DequantizePerChannelOp>(def)) {
    const int64_t rank = static_cast<int64_t>(shapeOf(dq.getInput()).size());
    const int64_t axis = dq.getAxisAttr().getInt();
    if (axis != 0 && axis != -rank) {
      why = "the weight is quantized per channel along axis " + std::to_string(axis) +
            ", not its output channels (axis 0)";
      return failure();
    }
    if (!elementOf(dq.getScales()).isF32()) {
      why = "the weight scales are not float32";
      return failure();
    }
    weight = dq.getInput();
    scales = dq.getScales();
    zeroPoints = dq.getZeroPoints();
  } else if (auto dq = dyn_cast_or_null<edge::DequantizePerTensorOp>(def)) {
    weight = dq.getInput();
    if (dq.getZeroPointAttr().getInt() != 0) {
      why = "asymmetric weights (zero point " + std::to_string(dq.getZeroPointAttr().getInt()) +
            ", not 0)";
      return failure();
    }
  } else {
    why = def && isDequantize(def) ? "the weight is not dequantized per channel or per tensor"
                                   : "the weight is not dequantized";
    return failure();
  }
  if (!elementOf(weight).isSignlessInteger(8)) {
    why = "the weight is not int8";
    return failure();
  }
  if (!weight.getDefiningOp<edge::ConstantOp>()) {
    why = "the quantized weight is not a constant";
    return failure();
  }
  if (!elementOf(v).isF32()) {
    why = "the weight is dequantized to another type than float32";
    return failure();
  }
  if (isPresent(zeroPoints)) {
    FailureOr<SmallVector<int64_t>> zps = readConstantInts(zeroPoints);
    if (failed(zps)) {
      why = "the weight zero points are not compile-time constants";
      return failure();
    }
    for (int64_t z : *zps)
      if (z != 0) {
        why = "asymmetric weights (a zero point is " + std::to_string(z) + ", not 0)";
        return failure();
      }
  }
  if (!scales) {
    Value &cached = scaleCache[def];
    if (!cached) {
      auto dq = cast<edge::DequantizePerTensorOp>(def);
      OpBuilder b(def);
      // torch's dequantize multiplies by the scale as a float32 scalar.
      const float scale = static_cast<float>(dq.getScale().convertToDouble());
      std::string name = constantName(weight).str();
      cached = edge::createConstantF32(b, def->getLoc(), {1}, {scale},
                                       name.empty() ? "weight_scale" : name + ".scale");
    }
    scales = cached;
  }
  return SymmetricWeight{weight, scales};
}

bool isBiasFor(Value bias, int64_t n) {
  if (!bias || !isPresent(bias))
    return true;
  return elementOf(bias).isF32() && shapeOf(bias) == ArrayRef<int64_t>{n};
}

std::optional<LinearMatch> matchLinear(Operation *op) {
  if (auto linear = dyn_cast<edge::LinearOp>(op))
    return LinearMatch{linear.getInput(), linear.getWeight(), linear.getBias()};
  // w^T as permute(w, [1, 0]): w.
  auto transposed = [](Value v) -> Value {
    auto p = v.getDefiningOp<edge::PermuteOp>();
    if (!p || p.getDims() != ArrayRef<int64_t>{1, 0})
      return {};
    return p.getSelf();
  };
  if (auto mm = dyn_cast<edge::MmOp>(op)) {
    if (Value w = transposed(mm.getMat2()))
      return LinearMatch{mm.getSelf(), w, Value()};
    return std::nullopt;
  }
  if (auto addmm = dyn_cast<edge::AddmmOp>(op)) {
    Value w = transposed(addmm.getMat2());
    if (!w || !addmm.getSymValues().empty() || edge::scalarValue(addmm.getBetaAttr()) != 1.0 ||
        edge::scalarValue(addmm.getAlphaAttr()) != 1.0 ||
        shapeOf(addmm.getSelf()) != ArrayRef<int64_t>{shapeOf(w)[0]})
      return std::nullopt;
    return LinearMatch{addmm.getMat1(), w, addmm.getSelf()};
  }
  return std::nullopt;
}

RowView throughRowView(Value v) {
  // A view with symbolic sizes (a dynamic sequence length: [1, s, K] to
  // [s, K]) keeps rows whole all the same when the last dim is static and
  // equal; reapplyView's copy keeps its size operands.
  auto view = v.getDefiningOp<edge::ViewOp>();
  if (!view)
    return {v, edge::ViewOp()};
  ArrayRef<int64_t> in = shapeOf(view.getSelf()), out = shapeOf(view.getResult());
  if (in.empty() || out.empty() || ShapedType::isDynamic(in.back()) || in.back() != out.back())
    return {v, edge::ViewOp()};
  return {view.getSelf(), view};
}

Value reapplyView(OpBuilder &b, edge::ViewOp view, Value x) {
  if (!view)
    return x;
  IRMapping map;
  map.map(view.getSelf(), x);
  Operation *copy = b.clone(*view, map);
  copy->setLoc(view.getLoc());
  return copy->getResult(0);
}

void eraseDeadChain(Operation *root) {
  auto erasable = [](Operation *op) {
    return isDequantize(op) || isQuantize(op) || isClampActivation(op) ||
           isa<edge::ChooseQparamsTensorOp, edge::ChooseQparamsAffineOp, edge::ConvolutionOp,
               edge::LinearOp, edge::AddmmOp, edge::MmOp, edge::AddTensorOp, edge::PermuteOp,
               edge::ViewOp, edge::ConstantOp, edge::NoneOp, edge::MaxPool2dWithIndicesOp>(op);
  };
  eraseChainIf(root, erasable);
}

Value noneValue(OpBuilder &b, Location loc) {
  return b.create<edge::NoneOp>(loc, b.getNoneType()).getResult();
}

} // namespace ember::quant
