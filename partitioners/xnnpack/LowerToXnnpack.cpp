//===- LowerToXnnpack.cpp - Edge ops of a subgraph to XNNPACK nodes ---------===//
//
// 1. Check that XnnpackSupport takes every op (the partitioner asked the
//    same question, so this only fails on hand-written IR).
// 2. Rewrite PReLU patterns (where(x > 0, x, w * x)) as one prelu node, and
//    dequantize -> max pooling -> quantize as one int8 max pooling.
// 3. Rewrite every other op, in program order, as the node(s) computing it.
//    Each replacement has the type of the value it replaces; NHWC nodes get
//    a transpose on each side (ember-xnnpack-propagate-nhwc removes them).
//
//===----------------------------------------------------------------------===//
#include "partitioners/xnnpack/XnnpackPasses.h"
#include "passes/Passes.h"

#include <cmath>
#include <limits>

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackDialect.h"
#include "partitioners/xnnpack/XnnpackQuantized.h"
#include "partitioners/xnnpack/XnnpackSupport.h"
#include "partitioners/xnnpack/XnnpackUtils.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace ember::xnnpack {
#define GEN_PASS_DEF_LOWERTOXNNPACK
#include "partitioners/xnnpack/XnnpackPasses.h.inc"

namespace {

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

/// Rewrites one Edge op at a time; `b` inserts before the op.
class Lowerer {
public:
  explicit Lowerer(OpBuilder &b) : b(b) {}

  /// Replace `op` by XNNPACK nodes (step 3).
  LogicalResult lower(Operation *op);
  /// Replace a PReLU pattern's `where` by one prelu node (step 2).
  void lowerPrelu(edge::WhereSelfOp where, const PreluMatch &match);
  /// Replace dequantize -> max pooling -> quantize by an int8 max pooling
  /// (step 2).
  void lowerInt8MaxPool(Int8MaxPool match);

private:
  Value toNhwc(Location loc, Value v) { return createTranspose(b, loc, v, kToNhwc); }
  Value toNchw(Location loc, Value v) { return createTranspose(b, loc, v, kToNchw); }
  Value constant(Location loc, ArrayRef<int64_t> shape, ArrayRef<float> data) {
    return edge::createConstantF32(b, loc, shape, data);
  }
  RankedTensorType nhwcType(Value nchw) {
    return f32Tensor(b.getContext(), permuteShape(shapeOf(nchw), kToNhwc));
  }
  /// An explicit reshape node, also when the shape does not change (a copy
  /// keeps a delegate from passing an input through to an output).
  Value reshape(Location loc, Value v, Type type) {
    return b.create<StaticReshapeOp>(loc, type, v).getResult();
  }
  NamedAttrList clampAttrs(std::optional<double> min, std::optional<double> max) {
    NamedAttrList attrs;
    if (min)
      attrs.set(kOutputMinAttr, b.getF32FloatAttr(*min));
    if (max)
      attrs.set(kOutputMaxAttr, b.getF32FloatAttr(*max));
    return attrs;
  }
  template <typename OpT>
  Value unary(Operation *op, Value input, ArrayRef<NamedAttribute> attrs = {}) {
    return b.create<OpT>(op->getLoc(), op->getResult(0).getType(), ValueRange{input}, attrs)
        .getResult();
  }
  template <typename OpT>
  Value binary(Operation *op, Value lhs, Value rhs) {
    return b.create<OpT>(op->getLoc(), op->getResult(0).getType(), ValueRange{lhs, rhs},
                         ArrayRef<NamedAttribute>{})
        .getResult();
  }
  /// `alpha * v` for a constant v (add/sub with alpha != 1).
  Value scaled(Location loc, Value v, Attribute alpha);

  FailureOr<Value> convolution(edge::ConvolutionOp op);
  Value fullyConnected(Operation *op, Value x, Value weight, Value bias, double alpha, double beta);
  Value batchNorm(edge::NativeBatchNormLegitNoTrainingOp op);
  /// Max pooling of `input` (the op's, or its int8 source).
  Value maxPool(edge::MaxPool2dWithIndicesOp op, Value input);
  Value avgPool(Operation *op, Value x, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                ArrayRef<int64_t> padding);
  Value globalAvgPool(Operation *op, Value x);
  Value pad(edge::ConstantPadNdOp op);
  Value resize(edge::UpsampleBilinear2dVecOp op);

  OpBuilder &b;
};

Value Lowerer::scaled(Location loc, Value v, Attribute alpha) {
  double a = scalarValue(alpha).value_or(1.0);
  if (a == 1.0)
    return v;
  SmallVector<float> data = *edge::readConstantF32(v);
  for (float &x : data)
    x *= a;
  return constant(loc, shapeOf(v), data);
}

FailureOr<Value> Lowerer::convolution(edge::ConvolutionOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  bool is1d = shapeOf(x).size() == 3;
  auto two = [&](ArrayRef<int64_t> v, int64_t fill) {
    SmallVector<int64_t> r;
    if (is1d)
      r = {fill, v[0]};
    else
      r = {v[0], v.size() > 1 ? v[1] : v[0]};
    return r;
  };
  SmallVector<int64_t> stride = two(op.getStride(), 1), padding = two(op.getPadding(), 0),
                       dilation = two(op.getDilation(), 1),
                       adjustment = two(op.getOutputPadding(), 0);
  SmallVector<int64_t> wshape(shapeOf(op.getWeight()));
  SmallVector<int64_t> outShape(shapeOf(op.getResult()));
  if (is1d) {  // conv1d runs as a conv2d with H = 1
    SmallVector<int64_t> in(shapeOf(x));
    x = reshape(loc, x, f32Tensor(b.getContext(), {in[0], in[1], 1, in[2]}));
    wshape.insert(wshape.begin() + 2, 1);
    outShape.insert(outShape.begin() + 2, 1);
  }
  SmallVector<float> w = *edge::readConstantF32(op.getWeight());
  int64_t groups = op.getGroups();
  Value bias = isNone(op.getBias()) ? Value() : op.getBias();
  DenseI64ArrayAttr pads =
      b.getDenseI64ArrayAttr({padding[0], padding[1], padding[0], padding[1]});
  Value input = toNhwc(loc, x);
  RankedTensorType resultType =
      f32Tensor(b.getContext(), permuteShape(outShape, kToNhwc));
  NamedAttrList attrs;
  attrs.set("padding", pads);
  attrs.set("stride", b.getDenseI64ArrayAttr(stride));
  attrs.set("dilation", b.getDenseI64ArrayAttr(dilation));
  SmallVector<Value> operands;
  Value result;
  if (op.getTransposed()) {
    // [C_in, C_out/g, KH, KW] = [g, C_in/g, C_out/g, KH, KW] -> [g, C_out/g, KH, KW, C_in/g].
    int64_t groupIn = wshape[0] / groups;
    SmallVector<int64_t> split = {groups, groupIn, wshape[1], wshape[2], wshape[3]};
    SmallVector<float> filter = permuteData(w, split, {0, 2, 3, 4, 1});
    Value f = constant(loc, {groups * wshape[1], wshape[2], wshape[3], groupIn}, filter);
    operands = {input, f};
    if (bias)
      operands.push_back(bias);
    attrs.set("adjustment", b.getDenseI64ArrayAttr(adjustment));
    attrs.set("groups", b.getI64IntegerAttr(groups));
    result = b.create<Deconvolution2dOp>(loc, resultType, operands, attrs).getResult();
  } else if (wshape[1] == 1) {
    // Depthwise (one input channel per group): [C_out, 1, KH, KW] -> [1, KH, KW, C_out].
    SmallVector<float> filter = permuteData(w, wshape, {1, 2, 3, 0});
    Value f = constant(loc, {1, wshape[2], wshape[3], wshape[0]}, filter);
    operands = {input, f};
    if (bias)
      operands.push_back(bias);
    result = b.create<DepthwiseConvolution2dOp>(loc, resultType, operands, attrs).getResult();
  } else {
    // [O, I/g, KH, KW] -> [O, KH, KW, I/g].
    SmallVector<float> filter = permuteData(w, wshape, kToNhwc);
    Value f = constant(loc, permuteShape(wshape, kToNhwc), filter);
    operands = {input, f};
    if (bias)
      operands.push_back(bias);
    attrs.set("groups", b.getI64IntegerAttr(groups));
    result = b.create<Convolution2dOp>(loc, resultType, operands, attrs).getResult();
  }
  Value y = toNchw(loc, result);
  if (is1d)
    y = reshape(loc, y, op.getResult().getType());
  return y;
}

Value Lowerer::fullyConnected(Operation *op, Value x, Value weight, Value bias, double alpha,
                              double beta) {
  Location loc = op->getLoc();
  ArrayRef<int64_t> wshape = shapeOf(weight);  // [K, N]
  int64_t n = wshape[1];
  SmallVector<float> filter = permuteData(*edge::readConstantF32(weight), wshape, {1, 0});
  if (alpha != 1.0)
    for (float &f : filter)
      f *= alpha;
  SmallVector<Value> operands = {x, constant(loc, {n, wshape[0]}, filter)};
  if (bias) {
    SmallVector<float> data = *edge::readConstantF32(bias);
    SmallVector<float> perFeature(n);
    for (int64_t i = 0; i < n; ++i)
      perFeature[i] = beta * (data.size() == 1 ? data[0] : data[i]);
    operands.push_back(constant(loc, {n}, perFeature));
  }
  return b.create<FullyConnectedOp>(loc, op->getResult(0).getType(), operands,
                                    ArrayRef<NamedAttribute>{})
      .getResult();
}

Value Lowerer::batchNorm(edge::NativeBatchNormLegitNoTrainingOp op) {
  // Not after a convolution: x * scale + shift, per channel (dim 1).
  Location loc = op.getLoc();
  BatchNormAffine a = *batchNormAffine(op);  // XnnpackSupport checked the constants
  SmallVector<int64_t> shape = {(int64_t)a.scale.size()};
  shape.append(shapeOf(op.getInput()).size() - 2, 1);
  SmallVector<float> scales(a.scale.begin(), a.scale.end());
  SmallVector<float> shifts(a.shift.begin(), a.shift.end());
  Value scale = constant(loc, shape, scales), shift = constant(loc, shape, shifts);
  Type type = op.getResult0().getType();
  Value y = b.create<MultiplyOp>(loc, TypeRange{type}, ValueRange{op.getInput(), scale},
                                 ArrayRef<NamedAttribute>{})
                .getResult();
  return b.create<AddOp>(loc, TypeRange{type}, ValueRange{y, shift}, ArrayRef<NamedAttribute>{})
      .getResult();
}

Value Lowerer::maxPool(edge::MaxPool2dWithIndicesOp op, Value input) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> in = shapeOf(op.getSelf()), out = shapeOf(op.getResult0());
  auto two = [](ArrayRef<int64_t> v, int i, int64_t fallback) {
    return v.empty() ? fallback : v.size() == 1 ? v[0] : v[i];
  };
  int64_t kernel[2], stride[2], padding[2], dilation[2], extra[2];
  for (int i = 0; i < 2; ++i) {
    kernel[i] = two(op.getKernelSize(), i, 1);
    stride[i] = two(op.getStride(), i, kernel[i]);
    padding[i] = two(op.getPadding(), i, 0);
    dilation[i] = two(op.getDilation(), i, 1);
    // ceil_mode: pad bottom/right so that XNNPACK's floor gives PyTorch's size.
    int64_t window = dilation[i] * (kernel[i] - 1) + 1;
    extra[i] = std::max<int64_t>(0, (out[2 + i] - 1) * stride[i] + window -
                                        (in[2 + i] + 2 * padding[i]));
  }
  NamedAttrList attrs;
  attrs.set("padding", b.getDenseI64ArrayAttr(
                           {padding[0], padding[1] + extra[1], padding[0] + extra[0], padding[1]}));
  attrs.set("pooling", b.getDenseI64ArrayAttr({kernel[0], kernel[1]}));
  attrs.set("stride", b.getDenseI64ArrayAttr({stride[0], stride[1]}));
  attrs.set("dilation", b.getDenseI64ArrayAttr({dilation[0], dilation[1]}));
  Value pooled = b.create<MaxPooling2dOp>(loc, tensorLike(input, permuteShape(out, kToNhwc)),
                                          ValueRange{toNhwc(loc, input)}, attrs)
                     .getResult();
  return toNchw(loc, pooled);
}

void Lowerer::lowerInt8MaxPool(Int8MaxPool match) {
  b.setInsertionPoint(match.quantize);
  edge::DequantizePerTensorOp dq = match.dequantize;
  setArgumentParams(dq.getInput(), {dq.getScale().convertToDouble(),
                                    dq.getZeroPointAttr().getValue().getSExtValue()});
  match.quantize.getResult().replaceAllUsesWith(
      maxPool(match.pool, match.dequantize.getInput()));
  match.quantize.erase();
  match.pool.erase();
  if (match.dequantize->use_empty())
    match.dequantize.erase();
}

Value Lowerer::avgPool(Operation *op, Value x, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                       ArrayRef<int64_t> padding) {
  Location loc = op->getLoc();
  auto two = [](ArrayRef<int64_t> v, int i, int64_t fallback) {
    return v.empty() ? fallback : v.size() == 1 ? v[0] : v[i];
  };
  int64_t k[2], s[2], p[2];
  for (int i = 0; i < 2; ++i) {
    k[i] = two(kernel, i, 1);
    s[i] = two(stride, i, k[i]);
    p[i] = two(padding, i, 0);
  }
  NamedAttrList attrs;
  attrs.set("padding", b.getDenseI64ArrayAttr({p[0], p[1], p[0], p[1]}));
  attrs.set("pooling", b.getDenseI64ArrayAttr({k[0], k[1]}));
  attrs.set("stride", b.getDenseI64ArrayAttr({s[0], s[1]}));
  Value pooled = b.create<AveragePooling2dOp>(loc, nhwcType(op->getResult(0)),
                                              ValueRange{toNhwc(loc, x)}, attrs)
                     .getResult();
  return toNchw(loc, pooled);
}

Value Lowerer::globalAvgPool(Operation *op, Value x) {
  Location loc = op->getLoc();
  ArrayRef<int64_t> in = shapeOf(x);
  Value pooled = b.create<GlobalAveragePooling2dOp>(
                      loc, f32Tensor(b.getContext(), {in[0], 1, 1, in[1]}),
                      ValueRange{toNhwc(loc, x)}, ArrayRef<NamedAttribute>{})
                     .getResult();
  Value y = toNchw(loc, pooled);  // [N, C, 1, 1]
  if (shapeOf(op->getResult(0)) != shapeOf(y))
    y = reshape(loc, y, op->getResult(0).getType());  // keepdim = false
  return y;
}

Value Lowerer::pad(edge::ConstantPadNdOp op) {
  // PyTorch lists (before, after) pairs from the last dim backwards.
  int64_t rank = shapeOf(op.getSelf()).size();
  SmallVector<int64_t> pre(rank, 0), post(rank, 0);
  ArrayRef<int64_t> pads = op.getPad();
  for (size_t i = 0; i + 1 < pads.size(); i += 2) {
    pre[rank - 1 - i / 2] = pads[i];
    post[rank - 1 - i / 2] = pads[i + 1];
  }
  NamedAttrList attrs;
  attrs.set("pre", b.getDenseI64ArrayAttr(pre));
  attrs.set("post", b.getDenseI64ArrayAttr(post));
  attrs.set("value", b.getF32FloatAttr(scalarValue(op.getValue()).value_or(0.0)));
  return b.create<StaticConstantPadOp>(op.getLoc(), op.getResult().getType(),
                                       ValueRange{op.getSelf()}, attrs)
      .getResult();
}

Value Lowerer::resize(edge::UpsampleBilinear2dVecOp op) {
  Location loc = op.getLoc();
  NamedAttrList attrs;
  attrs.set("align_corners", b.getBoolAttr(op.getAlignCorners()));
  Value resized = b.create<StaticResizeBilinear2dOp>(loc, nhwcType(op.getResult()),
                                                     ValueRange{toNhwc(loc, op.getInput())}, attrs)
                      .getResult();
  return toNchw(loc, resized);
}

void Lowerer::lowerPrelu(edge::WhereSelfOp where, const PreluMatch &match) {
  b.setInsertionPoint(where);
  Location loc = where.getLoc();
  int64_t channels = shapeOf(match.input)[1];
  SmallVector<float> w = *edge::readConstantF32(match.slope);
  SmallVector<float> slope(channels);
  for (int64_t c = 0; c < channels; ++c)
    slope[c] = w.size() == 1 ? w[0] : w[c];
  Value y = b.create<PreluOp>(loc, nhwcType(where.getResult()), toNhwc(loc, match.input),
                              constant(loc, {channels}, slope))
                .getResult();
  where.getResult().replaceAllUsesWith(toNchw(loc, y));
  where.erase();
  for (Operation *dead : {match.multiply, match.compare})
    if (dead->use_empty())
      dead->erase();
}

LogicalResult Lowerer::lower(Operation *op) {
  b.setInsertionPoint(op);
  Location loc = op->getLoc();
  FailureOr<Value> result =
      isStaticInt8Op(op) ? lowerStaticInt8Op(b, op) :
      llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
          .Case([&](edge::ConvolutionOp o) { return convolution(o); })
          .Case([&](edge::NativeBatchNormLegitNoTrainingOp o) { return batchNorm(o); })
          .Case([&](edge::AddmmOp o) {
            return fullyConnected(op, o.getMat1(), o.getMat2(), o.getSelf(),
                                  scalarValue(o.getAlpha()).value_or(1.0),
                                  scalarValue(o.getBeta()).value_or(1.0));
          })
          .Case([&](edge::MmOp o) {
            return fullyConnected(op, o.getSelf(), o.getMat2(), Value(), 1.0, 1.0);
          })
          .Case([&](edge::AddTensorOp o) {
            return binary<AddOp>(op, o.getSelf(), scaled(loc, o.getOther(), o.getAlpha()));
          })
          .Case([&](edge::SubTensorOp o) {
            return binary<SubtractOp>(op, o.getSelf(), scaled(loc, o.getOther(), o.getAlpha()));
          })
          .Case([&](edge::MulTensorOp o) {
            return binary<MultiplyOp>(op, o.getSelf(), o.getOther());
          })
          .Case([&](edge::DivTensorOp o) { return binary<DivideOp>(op, o.getSelf(), o.getOther()); })
          .Case([&](edge::DivTensorModeOp o) {
            return binary<DivideOp>(op, o.getSelf(), o.getOther());
          })
          .Case([&](edge::MaximumOp o) { return binary<MaximumOp>(op, o.getSelf(), o.getOther()); })
          .Case([&](edge::MinimumOp o) { return binary<MinimumOp>(op, o.getSelf(), o.getOther()); })
          .Case([&](edge::AddScalarOp o) {
            double v = *scalarValue(o.getOther()) * scalarValue(o.getAlpha()).value_or(1.0);
            return binary<AddOp>(op, o.getSelf(), constant(loc, {}, {(float)v}));
          })
          .Case([&](edge::SubScalarOp o) {
            double v = *scalarValue(o.getOther()) * scalarValue(o.getAlpha()).value_or(1.0);
            return binary<SubtractOp>(op, o.getSelf(), constant(loc, {}, {(float)v}));
          })
          .Case([&](edge::MulScalarOp o) {
            return binary<MultiplyOp>(op, o.getSelf(),
                                      constant(loc, {}, {(float)*scalarValue(o.getOther())}));
          })
          .Case([&](edge::DivScalarOp o) {
            return binary<DivideOp>(op, o.getSelf(),
                                    constant(loc, {}, {(float)*scalarValue(o.getOther())}));
          })
          .Case([&](edge::ReluOp o) {
            return unary<ClampOp>(op, o.getSelf(), clampAttrs(0.0, std::nullopt));
          })
          .Case([&](edge::HardtanhOp o) {
            return unary<ClampOp>(op, o.getSelf(),
                                  clampAttrs(scalarValue(o.getMinVal()).value_or(-1.0),
                                             scalarValue(o.getMaxVal()).value_or(1.0)));
          })
          .Case([&](edge::ClampOp o) {
            return unary<ClampOp>(op, o.getSelf(),
                                  clampAttrs(scalarValue(o.getMinAttr()),
                                             scalarValue(o.getMaxAttr())));
          })
          .Case([&](edge::SigmoidOp o) { return unary<SigmoidOp>(op, o.getSelf()); })
          .Case([&](edge::AbsOp o) { return unary<AbsOp>(op, o.getSelf()); })
          .Case([&](edge::NegOp o) { return unary<NegateOp>(op, o.getSelf()); })
          .Case([&](edge::SqrtOp o) { return unary<SquareRootOp>(op, o.getSelf()); })
          .Case([&](edge::FloorOp o) { return unary<FloorOp>(op, o.getSelf()); })
          .Case([&](edge::CeilOp o) { return unary<CeilingOp>(op, o.getSelf()); })
          .Case([&](edge::PowTensorScalarOp o) { return unary<SquareOp>(op, o.getSelf()); })
          .Case([&](edge::SoftmaxOp o) { return unary<SoftmaxOp>(op, o.getSelf()); })
          .Case([&](edge::LeakyReluOp o) {
            double slope = scalarValue(o.getNegativeSlope()).value_or(0.01);
            return unary<LeakyReluOp>(
                op, o.getSelf(),
                {b.getNamedAttr("negative_slope", b.getF32FloatAttr(slope))});
          })
          .Case([&](edge::EluOp o) {
            double alpha = scalarValue(o.getAlpha()).value_or(1.0);
            return unary<EluOp>(op, o.getSelf(),
                                {b.getNamedAttr("alpha", b.getF32FloatAttr(alpha))});
          })
          .Case<edge::ViewOp, edge::CloneOp, edge::AliasOp, edge::UnsqueezeOp,
                edge::SqueezeDimsOp>([&](Operation *o) {
            return reshape(loc, o->getOperand(0), o->getResult(0).getType());
          })
          .Case([&](edge::PermuteOp o) {
            return createTranspose(b, loc, o.getSelf(), o.getDims());
          })
          .Case([&](edge::MaxPool2dWithIndicesOp o) { return maxPool(o, o.getSelf()); })
          .Case([&](edge::AvgPool2dOp o) {
            return avgPool(op, o.getSelf(), o.getKernelSize(), o.getStride(), o.getPadding());
          })
          .Case([&](edge::AdaptiveAvgPool2dOp o) -> Value {
            ArrayRef<int64_t> in = shapeOf(o.getSelf()), out = shapeOf(o.getResult());
            if (out[2] == 1 && out[3] == 1)
              return globalAvgPool(op, o.getSelf());
            int64_t k[2] = {in[2] / out[2], in[3] / out[3]};
            return avgPool(op, o.getSelf(), k, k, {});
          })
          .Case([&](edge::MeanDimOp o) { return globalAvgPool(op, o.getSelf()); })
          .Case([&](edge::ConstantPadNdOp o) { return pad(o); })
          .Case([&](edge::UpsampleBilinear2dVecOp o) { return resize(o); })
          .Default([&](Operation *) -> FailureOr<Value> {
            return op->emitOpError("has no XNNPACK lowering");
          });
  if (failed(result))
    return failure();
  op->getResult(0).replaceAllUsesWith(*result);
  for (Value extra : op->getResults().drop_front())
    if (!extra.use_empty())
      return op->emitOpError("result ") << cast<OpResult>(extra).getResultNumber()
                                        << " is used: XNNPACK does not compute it";
  op->erase();
  return success();
}

struct LowerToXnnpackPass : impl::LowerToXnnpackBase<LowerToXnnpackPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &body = func.getBody().front();
    // 1. Every op must be one the partitioner takes.
    bool ok = true;
    for (Operation &op : body) {
      if (isa<edge::ConstantOp, edge::NoneOp, func::ReturnOp>(op) ||
          !isa<edge::EdgeDialect>(op.getDialect()))
        continue;
      std::string reason;
      if (!isSupportedByXnnpack(&op, reason, SupportOptions{/*quantized=*/true})) {
        op.emitOpError("cannot be lowered to XNNPACK: ") << reason;
        ok = false;
      }
    }
    if (!ok)
      return signalPassFailure();
    // 2. PReLU patterns. (A batch norm after a convolution was folded into
    //    it in the edge phase: ember-fuse-conv-batch-norm.)
    OpBuilder b(func.getContext());
    Lowerer lowerer(b);
    for (auto where : llvm::make_early_inc_range(body.getOps<edge::WhereSelfOp>()))
      if (std::optional<PreluMatch> match = matchPrelu(where))
        lowerer.lowerPrelu(where, *match);
    for (auto pool : llvm::make_early_inc_range(body.getOps<edge::MaxPool2dWithIndicesOp>()))
      if (std::optional<Int8MaxPool> match = matchInt8MaxPool(pool))
        lowerer.lowerInt8MaxPool(*match);
    // 3. Everything else, in program order.
    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (isa<edge::ConstantOp, edge::NoneOp, func::ReturnOp>(op) ||
          !isa<edge::EdgeDialect>(op.getDialect()))
        continue;
      if (failed(lowerer.lower(&op)))
        return signalPassFailure();
    }
    // Constants the lowering replaced by re-laid-out copies.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isa<edge::ConstantOp, edge::NoneOp>(op) && op.use_empty())
        op.erase();
  }
};

} // namespace
} // namespace ember::xnnpack
