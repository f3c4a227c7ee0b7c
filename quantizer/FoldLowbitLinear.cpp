//===- FoldLowbitLinear.cpp - torchao's group-wise linears as one op ------===//
//
// torchao's quantize_ (8da4w, 8da8w, 4w, 8w: what ExecuTorch's LLM recipes
// use) leaves each linear as a float linear over dequantize_affine of an
// int8 weight, and for 8da* over the per-token int8 round trip of its
// input. On the reference path the whole weight is dequantized to float on
// every run. edge.linear_lowbit computes the product from the quantized
// weight directly; a 4-bit weight is rewritten to Ember's nibble storage
// here, so the file holds 4 bits per weight and nothing ever expands it.
//
//===----------------------------------------------------------------------===//
#include <limits>

#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "exir/EdgeConstants.h"

namespace ember {
#define GEN_PASS_DEF_FOLDLOWBITLINEAR
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

/// ScalarType codes.
constexpr uint64_t kInt8 = 1, kInt64 = 4, kFloat32 = 6;

/// A weight as edge.linear_lowbit reads it.
struct LowbitWeight {
  Value weight, scales, zeroPoints;  ///< zeroPoints null: symmetric
  int64_t bits = 8, groupSize = 0;
};

/// torchao's optional quant_min/quant_max: the value, `dflt` when absent,
/// nullopt when not an integer.
std::optional<int64_t> affineBound(Attribute a, int64_t dflt) {
  if (!a)
    return dflt;
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getInt();
  return std::nullopt;
}

/// A new constant of `type` holding `bytes`, named after `base` + `suffix`.
Value makeConstant(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<char> bytes,
                   Value base, StringRef suffix) {
  std::string name = constantName(base).str();
  return edge::createConstant(b, loc, type, bytes, (name.empty() ? "weight" : name) + suffix.str());
}

/// Ember's int4 storage of int8 values in -8..7 [n, k]: uint8 [n, k / 2],
/// element 2i in the low nibble of byte i, 2i + 1 in the high nibble.
std::vector<char> packNibbles(ArrayRef<int8_t> values, int64_t n, int64_t k) {
  std::vector<char> packed(static_cast<size_t>(n * k / 2));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k / 2; ++i) {
      const uint8_t lo = static_cast<uint8_t>(values[r * k + 2 * i]) & 0xF;
      const uint8_t hi = static_cast<uint8_t>(values[r * k + 2 * i + 1]) & 0xF;
      packed[r * (k / 2) + i] = static_cast<char>(lo | (hi << 4));
    }
  return packed;
}

/// The weight of `dq` = dequantize_affine(w int8 constant [N, K], [1, G],
/// scale, zero_point) as linear_lowbit takes it, new constants made before
/// `dq`; else failure with why.
FailureOr<LowbitWeight> lowbitWeight(edge::DequantizeAffineOp dq, std::string &why) {
  Value w = dq.getInput();
  ArrayRef<int64_t> shape = shapeOf(w);
  if (!dq.getSymValues().empty() || shape.size() != 2 || ShapedType::isDynamicShape(shape)) {
    why = "the weight is not a 2-d tensor of static shape";
    return failure();
  }
  if (dq.getInputDtype() != kInt8 || !elementOf(w).isSignlessInteger(8)) {
    why = "the weight is not int8";
    return failure();
  }
  if (dq.getOutputDtype() != kFloat32 || !elementOf(dq.getResult()).isF32()) {
    why = "the weight is dequantized to another type than float32";
    return failure();
  }
  const int64_t n = shape[0], k = shape[1];
  ArrayRef<int64_t> block = dq.getBlockSize();
  if (block.size() != 2 || block[0] != 1 || block[1] < 1 || k % block[1] != 0) {
    why = "the weight's blocks are not groups along its input features ([1, G])";
    return failure();
  }
  const int64_t group = block[1], groups = n * (k / group);
  // The int8 weight read in place (a 1B LLM's are 1.2G values).
  auto constant = w.getDefiningOp<edge::ConstantOp>();
  FailureOr<edge::ElementBytes> raw =
      constant ? edge::elementBytes(constant.getValue()) : FailureOr<edge::ElementBytes>(failure());
  if (failed(raw)) {
    why = "the quantized weight is not a constant";
    return failure();
  }
  ArrayRef<int8_t> values(reinterpret_cast<const int8_t *>(raw->bytes.data()), raw->bytes.size());
  std::optional<int64_t> qmin = affineBound(dq.getQuantMinAttr(), -128);
  std::optional<int64_t> qmax = affineBound(dq.getQuantMaxAttr(), 127);
  if (!qmin || !qmax) {
    why = "the weight's quantization range is not integer";
    return failure();
  }
  auto scaleType = cast<RankedTensorType>(dq.getScale().getType());
  // float16 / bfloat16 scales (torchao's weight_scale_dtype) stay 16-bit in
  // the file: the kernels widen them exactly.
  Type scaleElement = scaleType.getElementType();
  if (!(scaleElement.isF32() || scaleElement.isF16() || scaleElement.isBF16()) ||
      scaleType.getNumElements() != groups) {
    why = "the weight scales are not float32, float16 or bfloat16 with one per group";
    return failure();
  }
  SmallVector<int64_t> zeroPoints;
  bool symmetric = true;
  if (isPresent(dq.getZeroPoint())) {
    FailureOr<SmallVector<int64_t>> zps = readConstantInts(dq.getZeroPoint());
    if (failed(zps) || static_cast<int64_t>(zps->size()) != groups) {
      why = "the weight zero points are not integer constants with one per group";
      return failure();
    }
    zeroPoints = std::move(*zps);
    symmetric = llvm::all_of(zeroPoints, [](int64_t z) { return z == 0; });
  }
  auto within = [](auto v, int64_t lo, int64_t hi) {
    return llvm::all_of(v, [&](int64_t x) { return x >= lo && x <= hi; });
  };
  // 4 bits when the stated range and every value fit (and the pairs of a
  // byte never straddle two groups); otherwise the int8 weight as it is.
  const bool fourBit = *qmin >= -8 && *qmax <= 7 && group % 2 == 0 &&
                       within(values, -8, 7) && within(zeroPoints, -8, 7);
  if (!fourBit && !within(zeroPoints, -128, 127)) {
    why = "a weight zero point is outside int8";
    return failure();
  }

  LowbitWeight out;
  out.bits = fourBit ? 4 : 8;
  out.groupSize = group;
  OpBuilder b(dq);
  MLIRContext *ctx = dq.getContext();
  const SmallVector<int64_t> paramShape{n, k / group};
  if (fourBit) {
    std::vector<char> packed = packNibbles(values, n, k);
    auto type = RankedTensorType::get({n, k / 2}, IntegerType::get(ctx, 8, IntegerType::Unsigned));
    out.weight = makeConstant(b, dq.getLoc(), type, packed, w, ".int4");
  } else {
    out.weight = w;
  }
  if (scaleType.getShape() == ArrayRef<int64_t>(paramShape)) {
    out.scales = dq.getScale();
  } else {
    FailureOr<SmallVector<float>> scales = edge::readConstantF32(dq.getScale());
    if (failed(scales)) {
      why = "the weight scales have shape other than [N, K / G] and are not float32 constants";
      return failure();
    }
    out.scales = edge::createConstantF32(b, dq.getLoc(), paramShape, *scales,
                                         (constantName(dq.getScale()) + ".groups").str());
  }
  if (!symmetric) {
    Value zp = dq.getZeroPoint();
    if (elementOf(zp).isSignlessInteger(8) && shapeOf(zp) == ArrayRef<int64_t>(paramShape)) {
      out.zeroPoints = zp;
    } else {
      std::vector<char> bytes(zeroPoints.begin(), zeroPoints.end());
      auto type = RankedTensorType::get(paramShape, IntegerType::get(ctx, 8));
      out.zeroPoints = makeConstant(b, dq.getLoc(), type, bytes, zp, ".int8");
    }
  }
  return out;
}

/// x when `v` = dequantize_affine(quantize_affine(x, choose_qparams_affine(x)))
/// is exactly the per-token asymmetric int8 quantization linear_lowbit
/// applies (torchao's defaults); else failure with why.
FailureOr<Value> perTokenInput(edge::DequantizeAffineOp dq, std::string &why) {
  auto q = dq.getInput().getDefiningOp<edge::QuantizeAffineOp>();
  auto choose = q ? q.getScale().getDefiningOp<edge::ChooseQparamsAffineOp>()
                  : edge::ChooseQparamsAffineOp();
  if (!choose || q.getScale() != choose.getResult0() || dq.getScale() != choose.getResult0() ||
      q.getZeroPoint() != choose.getResult1() || dq.getZeroPoint() != choose.getResult1() ||
      choose.getInput() != q.getInput()) {
    why = "the input is not quantized with parameters choose_qparams_affine computed from it";
    return failure();
  }
  Value x = q.getInput();
  if (!choose.getSymValues().empty() || !q.getSymValues().empty() || !dq.getSymValues().empty()) {
    why = "the input's quantization has run-time block sizes";
    return failure();
  }
  if (choose.getMappingType() != "ASYMMETRIC") {
    why = ("the input is quantized " + choose.getMappingType() +
           "; the kernel quantizes per token ASYMMETRIC")
              .str();
    return failure();
  }
  ArrayRef<int64_t> shape = shapeOf(x);
  SmallVector<int64_t> perToken(shape.size(), 1);
  perToken.back() = shape.back();
  if (choose.getBlockSize() != ArrayRef<int64_t>(perToken) ||
      q.getBlockSize() != ArrayRef<int64_t>(perToken) ||
      dq.getBlockSize() != ArrayRef<int64_t>(perToken)) {
    why = "the input is not quantized per token (one block per row of K)";
    return failure();
  }
  auto isInt8Range = [](Attribute lo, Attribute hi) {
    return affineBound(lo, -128) == -128 && affineBound(hi, 127) == 127;
  };
  if (choose.getTargetDtype() != kInt8 || q.getOutputDtype() != kInt8 ||
      dq.getInputDtype() != kInt8 ||
      !isInt8Range(choose.getQuantMinAttr(), choose.getQuantMaxAttr()) ||
      !isInt8Range(q.getQuantMinAttr(), q.getQuantMaxAttr()) ||
      !isInt8Range(dq.getQuantMinAttr(), dq.getQuantMaxAttr())) {
    why = "the input is not quantized to int8 over [-128, 127]";
    return failure();
  }
  if (FloatAttr eps = choose.getEpsAttr();
      eps && eps.getValueAsDouble() != static_cast<double>(std::numeric_limits<float>::min())) {
    why = "the input's eps is not torchao's default (float32's smallest normal)";
    return failure();
  }
  std::optional<uint64_t> scaleDtype = choose.getScaleDtype();
  std::optional<uint64_t> zpDtype = choose.getZeroPointDtype();
  if ((scaleDtype && *scaleDtype != kFloat32) ||
      (zpDtype && (*zpDtype < kInt8 || *zpDtype > kInt64))) {
    why = "the input's scale is not float32 or its zero point not a signed integer";
    return failure();
  }
  if (!elementOf(x).isF32() || dq.getOutputDtype() != kFloat32) {
    why = "the input is not float32";
    return failure();
  }
  return x;
}

LogicalResult fold(Operation *op, const LinearMatch &m,
                   llvm::DenseMap<Operation *, LowbitWeight> &weights, std::string &why) {
  auto wdq = m.weight.getDefiningOp<edge::DequantizeAffineOp>();
  if (!wdq) {
    why = "the input is dequantized by dequantize_affine but the weight is not";
    return failure();
  }
  Value x = m.input;
  bool quantizeInput = false;
  RowView rows = throughRowView(m.input);
  if (auto xdq = rows.source.getDefiningOp<edge::DequantizeAffineOp>()) {
    FailureOr<Value> tokens = perTokenInput(xdq, why);
    if (failed(tokens))
      return failure();
    x = *tokens;
    quantizeInput = true;
  } else {
    rows.view = edge::ViewOp();
  }
  if (!elementOf(x).isF32() || !elementOf(op->getResult(0)).isF32()) {
    why = "the input or the result is not float32";
    return failure();
  }
  if (ShapedType::isDynamic(shapeOf(x).back())) {
    why = "the input's last dim is not static";
    return failure();
  }
  const int64_t n = shapeOf(m.weight)[0];
  if (!isBiasFor(m.bias, n)) {
    why = "the bias is not float32 [" + std::to_string(n) + "]";
    return failure();
  }
  auto cached = weights.find(wdq);
  if (cached == weights.end()) {
    FailureOr<LowbitWeight> w = lowbitWeight(wdq, why);
    if (failed(w))
      return failure();
    cached = weights.try_emplace(wdq, *w).first;
  }
  const LowbitWeight &w = cached->second;
  OpBuilder b(op);
  x = reapplyView(b, rows.view, x);
  // One edge.none for the absent operands (the product's own, if it has one).
  Value none = m.bias && !isPresent(m.bias) ? m.bias : Value();
  auto orNone = [&](Value v) {
    if (v)
      return v;
    if (!none)
      none = noneValue(b, op->getLoc());
    return none;
  };
  auto folded = b.create<edge::LinearLowbitOp>(
      op->getLoc(), op->getResult(0).getType(), x, w.weight, w.scales, orNone(w.zeroPoints),
      b.getI64IntegerAttr(w.bits), b.getI64IntegerAttr(w.groupSize),
      b.getBoolAttr(quantizeInput), orNone(m.bias));
  folded->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  op->getResult(0).replaceAllUsesWith(folded.getResult());
  eraseDeadChain(op);
  return success();
}

struct FoldLowbitLinearPass : impl::FoldLowbitLinearBase<FoldLowbitLinearPass> {
  void runOnOperation() override {
    SmallVector<Operation *> products;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::LinearOp, edge::AddmmOp, edge::MmOp>(op))
        products.push_back(op);
    });
    // One converted weight per dequantize_affine, shared by every linear
    // that reads it (a weight erased only once the last of them is folded).
    llvm::DenseMap<Operation *, LowbitWeight> weights;
    for (Operation *op : products) {
      std::optional<LinearMatch> m = matchLinear(op);
      if (!m || (!m->weight.getDefiningOp<edge::DequantizeAffineOp>() &&
                 !throughRowView(m->input).source.getDefiningOp<edge::DequantizeAffineOp>()))
        continue;
      std::string why;
      if (failed(fold(op, *m, weights, why)))
        recordNotFolded(op, why);
    }
  }
};

} // namespace
} // namespace ember
