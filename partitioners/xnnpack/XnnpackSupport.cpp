//===- XnnpackSupport.cpp - Which Edge ops the XNNPACK backend takes -------===//
//
// Checks in three steps: (1) ops XNNPACK 2022 has no node for are refused by
// name; (2) every tensor must be fp32, of rank <= 6 (XNN_MAX_TENSOR_DIMS) and
// non-empty; (3) per op, the arguments XNNPACK's node can express (constant
// weights, softmax on the last dim, pooling parameters, ...).
//
//===----------------------------------------------------------------------===//
#include "partitioners/xnnpack/XnnpackSupport.h"

#include <cmath>

#include "partitioners/xnnpack/XnnpackQuantized.h"
#include "partitioners/xnnpack/XnnpackUtils.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace ember::xnnpack {
namespace {

constexpr int64_t kMaxRank = 6;  // XNN_MAX_TENSOR_DIMS

/// Ops with no node in Debian's XNNPACK (2022-02-16), with a short reason.
const char *missingNode(Operation *op) {
  return llvm::TypeSwitch<Operation *, const char *>(op)
      .Case<edge::BmmOp>([](auto) { return "batch matmul: not in XNNPACK 2022"; })
      .Case<edge::CatOp>([](auto) { return "concatenate: not in XNNPACK 2022"; })
      .Case<edge::SliceTensorOp, edge::SelectIntOp>(
          [](auto) { return "slice: not in XNNPACK 2022"; })
      .Case<edge::ExpandOp, edge::RepeatOp>(
          [](auto) { return "broadcast copy: not in XNNPACK 2022"; })
      .Case<edge::GeluOp>([](auto) { return "gelu: not in XNNPACK 2022"; })
      .Case<edge::TanhOp>([](auto) { return "tanh: not in XNNPACK 2022"; })
      .Case<edge::ExpOp>([](auto) { return "exp: not in XNNPACK 2022"; })
      .Case<edge::LogOp, edge::LogSoftmaxOp>([](auto) { return "log: not in XNNPACK 2022"; })
      .Case<edge::RsqrtOp>([](auto) { return "rsqrt: not in XNNPACK 2022"; })
      .Case<edge::SumDimIntListOp, edge::AmaxOp, edge::AminOp, edge::MaxDimOp, edge::MinDimOp,
            edge::MeanOp, edge::VarCorrectionOp>(
          [](auto) { return "reduction: XNNPACK 2022 only has global average pooling"; })
      .Case<edge::NativeLayerNormOp, edge::NativeGroupNormOp>(
          [](auto) { return "normalization: not in XNNPACK 2022"; })
      .Case<edge::UpsampleNearest2dVecOp>(
          [](auto) { return "nearest upsampling: not in XNNPACK 2022"; })
      .Default([](Operation *) { return nullptr; });
}

/// Step 2: every tensor operand and result is fp32, rank <= 6, non-empty.
/// `exempt` results (unused indices, a comparison's mask) are skipped.
bool checkTensors(Operation *op, std::string &reason, ArrayRef<Value> exempt = {}) {
  auto check = [&](Value v) {
    if (llvm::is_contained(exempt, v))
      return true;
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type)
      return true;  // none, run-time sizes
    if (!type.getElementType().isF32()) {
      std::string name;
      llvm::raw_string_ostream os(name);
      os << type.getElementType();
      // Half precision is a choice the delegate must not undo: this XNNPACK
      // (2022) build and its blob are fp32, so f16/bf16 stay on Ember's kernels.
      bool half = type.getElementType().isF16() || type.getElementType().isBF16();
      reason = os.str() + (half ? " tensor: the delegate is fp32 only; half precision runs on "
                                  "Ember's kernels"
                                : " tensor: fp32 only for now");
      return false;
    }
    if (type.getRank() > kMaxRank) {
      reason = "rank " + std::to_string(type.getRank()) + " > 6";
      return false;
    }
    if (type.getNumElements() == 0) {
      reason = "empty tensor";
      return false;
    }
    return true;
  };
  for (Value v : op->getOperands())
    if (!check(v))
      return false;
  for (Value v : op->getResults())
    if (!check(v))
      return false;
  return true;
}

bool fail(std::string &reason, const std::string &why) {
  reason = why;
  return false;
}

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

bool checkConvolution(edge::ConvolutionOp op, std::string &reason) {
  int64_t rank = shapeOf(op.getInput()).size();
  if (rank != 3 && rank != 4)
    return fail(reason, "only 1-d and 2-d convolution");
  if (!isF32Constant(op.getWeight()))
    return fail(reason, "weight is not a constant");
  if (!isNone(op.getBias()) && !isF32Constant(op.getBias()))
    return fail(reason, "bias is not a constant");
  if (op.getTransposed()) {
    for (auto [pad, stride] : llvm::zip(op.getOutputPadding(), op.getStride()))
      if (pad >= stride)
        return fail(reason, "output_padding >= stride");
    return true;
  }
  // XNNPACK 2022 runs a depthwise convolution (one input and one output
  // channel per group) with a depthwise kernel only when its window has
  // exactly 3, 4, 9 or 25 taps; any other window becomes a grouped GEMM of
  // one output column per group, several times slower than Ember's own
  // depthwise kernel (ConvNeXt's 7x7: 8-13 ms against 1 ms per layer).
  ArrayRef<int64_t> w = shapeOf(op.getWeight());
  if (w[1] == 1 && w[0] == op.getGroups() && op.getGroups() > 1) {
    int64_t taps = 1;
    for (int64_t k : w.drop_front(2))
      taps *= k;
    if (taps != 3 && taps != 4 && taps != 9 && taps != 25)
      return fail(reason, "depthwise window of " + std::to_string(taps) +
                              " taps: XNNPACK 2022 has depthwise kernels for 3, 4, 9 and 25 "
                              "taps only; Ember's depthwise kernel runs it");
  }
  return true;
}

bool checkBatchNorm(edge::NativeBatchNormLegitNoTrainingOp op, std::string &reason) {
  int64_t rank = shapeOf(op.getInput()).size();
  if (rank < 2 || rank > 4)
    return fail(reason, "batch norm of a " + std::to_string(rank) + "-d tensor");
  for (Value v : {op.getRunningMean(), op.getRunningVar()})
    if (!isF32Constant(v))
      return fail(reason, "running statistics are not constants");
  for (Value v : {op.getWeight(), op.getBias()})
    if (!isNone(v) && !isF32Constant(v))
      return fail(reason, "weight or bias is not a constant");
  if (!op.getResult1().use_empty() || !op.getResult2().use_empty())
    return fail(reason, "batch statistics are used");
  return true;
}

/// Linear layers: addmm(bias, x, W) and mm(x, W), W constant [K, N].
bool checkMatmul(Value x, Value weight, std::string &reason) {
  if (shapeOf(x).size() != 2 || shapeOf(weight).size() != 2)
    return fail(reason, "matmul of non-2-d tensors");
  if (!isF32Constant(weight))
    return fail(reason, isF32Constant(x) ? "weight is not a constant (constant on the left)"
                                      : "weight is not a constant");
  return true;
}

bool checkAddmm(edge::AddmmOp op, std::string &reason) {
  if (!checkMatmul(op.getMat1(), op.getMat2(), reason))
    return false;
  if (!isF32Constant(op.getSelf()))
    return fail(reason, "bias is not a constant");
  int64_t n = shapeOf(op.getMat2())[1];
  ArrayRef<int64_t> bias = shapeOf(op.getSelf());
  int64_t count = 1;
  for (int64_t d : bias)
    count *= d;
  bool perChannel = count == 1 || (!bias.empty() && bias.back() == n && count == n);
  if (!perChannel)
    return fail(reason, "bias is not one value per output feature");
  return true;
}

/// 2-d pooling window parameters, normalized to 2 values each.
struct Window {
  int64_t kernel[2], stride[2], padding[2], dilation[2] = {1, 1};
};

FailureOr<Window> window(ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                         ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation) {
  auto two = [](ArrayRef<int64_t> v, int64_t i, int64_t fallback) -> int64_t {
    if (v.empty())
      return fallback;
    return v.size() == 1 ? v[0] : v[i];
  };
  Window w;
  for (int i = 0; i < 2; ++i) {
    w.kernel[i] = two(kernel, i, 1);
    w.stride[i] = two(stride, i, w.kernel[i]);
    w.padding[i] = two(padding, i, 0);
    w.dilation[i] = two(dilation, i, 1);
    if (w.kernel[i] < 1 || w.stride[i] < 1 || w.padding[i] < 0 || w.dilation[i] < 1)
      return failure();
  }
  return w;
}

bool checkMaxPool(edge::MaxPool2dWithIndicesOp op, std::string &reason) {
  if (shapeOf(op.getSelf()).size() != 4)
    return fail(reason, "max pooling of a non-4-d tensor");
  if (!op.getResult1().use_empty())
    return fail(reason, "max pooling indices are used");
  FailureOr<Window> w =
      window(op.getKernelSize(), op.getStride(), op.getPadding(), op.getDilation());
  if (failed(w))
    return fail(reason, "bad pooling window");
  if (w->kernel[0] * w->kernel[1] == 1)
    return fail(reason, "1x1 pooling");
  if (w->stride[0] > w->kernel[0] || w->stride[1] > w->kernel[1])
    return fail(reason, "max pooling stride > kernel");
  return true;
}

bool checkAvgPool(edge::AvgPool2dOp op, std::string &reason) {
  ArrayRef<int64_t> in = shapeOf(op.getSelf()), out = shapeOf(op.getResult());
  if (in.size() != 4)
    return fail(reason, "average pooling of a non-4-d tensor");
  FailureOr<Window> w = window(op.getKernelSize(), op.getStride(), op.getPadding(), {});
  if (failed(w))
    return fail(reason, "bad pooling window");
  if (w->kernel[0] * w->kernel[1] == 1)
    return fail(reason, "1x1 pooling");
  bool padded = w->padding[0] || w->padding[1];
  if (padded && op.getCountIncludePad())
    return fail(reason, "count_include_pad with padding (XNNPACK excludes padding)");
  if (auto divisor = op.getDivisorOverride())
    if (*divisor != w->kernel[0] * w->kernel[1] || padded)
      return fail(reason, "divisor_override");
  for (int i = 0; i < 2; ++i) {
    int64_t floorSize = (in[2 + i] + 2 * w->padding[i] - w->kernel[i]) / w->stride[i] + 1;
    if (floorSize != out[2 + i])
      return fail(reason, "ceil_mode changes the output size");
  }
  return true;
}

bool checkAdaptiveAvgPool(edge::AdaptiveAvgPool2dOp op, std::string &reason) {
  ArrayRef<int64_t> in = shapeOf(op.getSelf()), out = shapeOf(op.getResult());
  if (in.size() != 4)
    return fail(reason, "adaptive pooling of a non-4-d tensor");
  if (out[2] == 1 && out[3] == 1)
    return true;  // global average pooling
  if (in[2] % out[2] || in[3] % out[3])
    return fail(reason, "adaptive pooling to a size that does not divide the input");
  if (in[2] == out[2] && in[3] == out[3])
    return fail(reason, "adaptive pooling to the input size (a copy)");
  return true;
}

bool checkMean(edge::MeanDimOp op, std::string &reason) {
  ArrayRef<int64_t> in = shapeOf(op.getSelf());
  if (in.size() != 4)
    return fail(reason, "mean of a non-4-d tensor (only global average pooling)");
  if (op.getDtype())
    return fail(reason, "mean with a dtype");
  auto dims = op.getDim();
  SmallVector<int64_t> normalized;
  for (int64_t d : dims ? *dims : ArrayRef<int64_t>{})
    normalized.push_back(d < 0 ? d + 4 : d);
  llvm::sort(normalized);
  if (normalized != SmallVector<int64_t>{2, 3})
    return fail(reason, "mean not over H and W (only global average pooling)");
  return true;
}

bool checkSoftmax(edge::SoftmaxOp op, std::string &reason) {
  int64_t rank = shapeOf(op.getSelf()).size();
  int64_t dim = op.getDimAttr().getInt();  // signed: -1 is the last dim
  if (dim < 0)
    dim += rank;
  if (dim != rank - 1)
    return fail(reason, "softmax not on the last dim");
  if (op.getHalfToFloat())
    return fail(reason, "softmax with half_to_float");
  return true;
}

bool checkUpsample(edge::UpsampleBilinear2dVecOp op, std::string &reason) {
  ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getResult());
  if (in.size() != 4)
    return fail(reason, "upsampling of a non-4-d tensor");
  // PyTorch maps output to input coordinates with the given scale, XNNPACK
  // with out/in sizes: they agree only when out = in * scale.
  if (auto scales = op.getScaleFactors())
    for (int i = 0; i < 2 && i < (int)scales->size(); ++i)
      if ((double)out[2 + i] != (double)in[2 + i] * (*scales)[i])
        return fail(reason, "scale factor does not give a whole output size");
  return true;
}

bool checkPad(edge::ConstantPadNdOp op, std::string &reason) {
  if (op.getPad().size() % 2 || op.getPad().size() > 2 * shapeOf(op.getSelf()).size())
    return fail(reason, "bad padding list");
  if (llvm::any_of(op.getPad(), [](int64_t p) { return p < 0; }))
    return fail(reason, "negative padding (a crop)");
  return true;
}

/// add/sub with alpha: alpha * other folds into a constant other.
bool checkAlpha(Attribute alpha, Value other, std::string &reason) {
  std::optional<double> a = scalarValue(alpha);
  if (a && *a == 1.0)
    return true;
  if (!isF32Constant(other))
    return fail(reason, "alpha != 1 with a non-constant operand");
  return true;
}

bool checkScalarBounds(std::initializer_list<Attribute> bounds, std::string &reason) {
  for (Attribute bound : bounds)
    if (bound && !scalarValue(bound))
      return fail(reason, "bound is not a number");
  return true;
}

/// Whether the ops of a PReLU pattern land in one partition run: every op
/// from the first of them to the `where` is taken too (runs are contiguous
/// in program order). The lowering needs the comparison, the product and
/// the `where` in one subgraph.
bool preluIsOneRun(const PreluMatch &match, edge::WhereSelfOp where) {
  Operation *first = match.compare->isBeforeInBlock(match.multiply) ? match.compare
                                                                   : match.multiply;
  if (first->getBlock() != where->getBlock())
    return false;
  std::string ignored;
  for (Operation *op = first->getNextNode(); op && op != where; op = op->getNextNode()) {
    if (isa<edge::ConstantOp, edge::NoneOp>(op) || op == match.multiply)
      continue;
    // Another PReLU's ops: taken when they form one (not checked further).
    if (auto w = dyn_cast<edge::WhereSelfOp>(op)) {
      if (matchPrelu(w))
        continue;
      return false;
    }
    if (isa<edge::GtScalarOp>(op))
      continue;
    if (!isSupportedByXnnpack(op, ignored))
      return false;
  }
  return true;
}

/// The comparison x > 0 of a PReLU pattern: taken only with its `where`s.
bool checkCompare(edge::GtScalarOp op, std::string &reason) {
  if (op->use_empty())
    return fail(reason, "comparison: not in XNNPACK 2022");
  for (Operation *user : op->getUsers()) {
    auto where = dyn_cast<edge::WhereSelfOp>(user);
    std::optional<PreluMatch> match = where ? matchPrelu(where) : std::nullopt;
    if (!match || where.getCondition() != op.getResult())
      return fail(reason, "comparison: not in XNNPACK 2022 (only inside prelu)");
    if (!preluIsOneRun(*match, where))
      return fail(reason, "prelu split by an op XNNPACK does not take");
  }
  return true;
}

bool checkWhere(edge::WhereSelfOp op, std::string &reason) {
  std::optional<PreluMatch> match = matchPrelu(op);
  if (!match)
    return fail(reason, "where: not in XNNPACK 2022 (only prelu)");
  if (!preluIsOneRun(*match, op))
    return fail(reason, "prelu split by an op XNNPACK does not take");
  return true;
}

} // namespace

std::optional<PreluMatch> matchPrelu(edge::WhereSelfOp where) {
  auto gt = where.getCondition().getDefiningOp<edge::GtScalarOp>();
  auto mul = where.getOther().getDefiningOp<edge::MulTensorOp>();
  Value x = where.getSelf();
  if (!gt || !mul || gt.getSelf() != x || scalarValue(gt.getOther()) != 0.0)
    return std::nullopt;
  Value slope = mul.getSelf() == x ? mul.getOther() : mul.getSelf();
  if ((mul.getSelf() != x && mul.getOther() != x) || !isF32Constant(slope) || !isF32Tensor(slope) ||
      !isF32Tensor(x))
    return std::nullopt;
  ArrayRef<int64_t> in = shapeOf(x), w = shapeOf(slope);
  if (in.size() != 4 || shapeOf(where.getResult()) != in || w.size() > 4)
    return std::nullopt;
  // One slope, or one per channel: every dim 1 but the channel dim (1 of 4).
  for (size_t i = 0; i < w.size(); ++i) {
    size_t aligned = 4 - w.size() + i;
    if (w[i] != 1 && !(aligned == 1 && w[i] == in[1]))
      return std::nullopt;
  }
  return PreluMatch{x, slope, gt, mul};
}

bool isSupportedByXnnpack(Operation *op, std::string &reason, const SupportOptions &options) {
  // Static int8: opt-in (docs/xnnpack-compile.md, "Static int8").
  if (isStaticInt8Op(op)) {
    if (!options.quantized)
      return fail(reason, "kept on Ember's int8 kernels: about 2x faster on x86-64 than Debian's "
                          "XNNPACK 2022 (no VNNI); XnnpackPartitioner(quantized=True) delegates it");
    return checkStaticInt8Op(op, reason);
  }
  if (const char *why = missingNode(op))
    return fail(reason, why);
  // Results that are not fp32 but never reach XNNPACK.
  SmallVector<Value> exempt;
  if (auto pool = dyn_cast<edge::MaxPool2dWithIndicesOp>(op))
    exempt.push_back(pool.getResult1());
  if (auto gt = dyn_cast<edge::GtScalarOp>(op))
    exempt.push_back(gt.getResult());
  if (auto where = dyn_cast<edge::WhereSelfOp>(op))
    exempt.push_back(where.getCondition());
  if (auto bn = dyn_cast<edge::NativeBatchNormLegitNoTrainingOp>(op))
    exempt.append({bn.getResult1(), bn.getResult2()});  // empty, unused
  if (!checkTensors(op, reason, exempt))
    return false;

  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](edge::ConvolutionOp o) { return checkConvolution(o, reason); })
      .Case([&](edge::NativeBatchNormLegitNoTrainingOp o) { return checkBatchNorm(o, reason); })
      .Case([&](edge::AddmmOp o) { return checkAddmm(o, reason); })
      .Case([&](edge::MmOp o) { return checkMatmul(o.getSelf(), o.getMat2(), reason); })
      .Case([&](edge::AddTensorOp o) { return checkAlpha(o.getAlpha(), o.getOther(), reason); })
      .Case([&](edge::SubTensorOp o) { return checkAlpha(o.getAlpha(), o.getOther(), reason); })
      .Case<edge::MulTensorOp, edge::DivTensorOp, edge::MaximumOp, edge::MinimumOp,
            edge::AddScalarOp, edge::SubScalarOp, edge::MulScalarOp, edge::DivScalarOp>(
          [](auto) { return true; })
      .Case([&](edge::DivTensorModeOp o) {
        return !o.getRoundingMode() || fail(reason, "division with rounding: not in XNNPACK 2022");
      })
      .Case<edge::ReluOp, edge::SigmoidOp, edge::AbsOp, edge::NegOp, edge::SqrtOp, edge::FloorOp,
            edge::CeilOp, edge::ViewOp, edge::CloneOp, edge::AliasOp, edge::UnsqueezeOp,
            edge::SqueezeDimsOp, edge::LeakyReluOp>([](auto) { return true; })
      .Case([&](edge::HardtanhOp o) {
        return checkScalarBounds({o.getMinVal(), o.getMaxVal()}, reason);
      })
      .Case([&](edge::ClampOp o) {
        if (!checkScalarBounds({o.getMinAttr(), o.getMaxAttr()}, reason))
          return false;
        if (o.getMinAttr() && o.getMaxAttr() &&
            *scalarValue(o.getMinAttr()) > *scalarValue(o.getMaxAttr()))
          return fail(reason, "clamp with min > max");
        return true;
      })
      .Case([&](edge::EluOp o) {
        if (scalarValue(o.getScale()) != 1.0 || scalarValue(o.getInputScale()) != 1.0)
          return fail(reason, "elu with scale or input_scale != 1");
        return scalarValue(o.getAlpha()).value_or(0.0) > 0.0 ||
               fail(reason, "elu with alpha <= 0");
      })
      .Case([&](edge::PowTensorScalarOp o) {
        return scalarValue(o.getExponent()) == 2.0 ||
               fail(reason, "pow: only exponent 2 (square) in XNNPACK 2022");
      })
      // Debian's XNNPACK has no transpose node: the runtime half runs it
      // between XNNPACK stages, and the NHWC propagation cancels the ones
      // that undo the delegate's own layout changes (a permute to channels
      // last after a convolution, as in ConvNeXt, moves no data at all).
      .Case([&](edge::PermuteOp o) {
        ArrayRef<int64_t> dims = o.getDims();
        SmallVector<bool> seen(dims.size(), false);
        for (int64_t d : dims) {
          if (d < 0 || d >= (int64_t)dims.size() || seen[d])
            return fail(reason, "permute with a dims list that is not a permutation");
          seen[d] = true;
        }
        return true;
      })
      .Case([&](edge::SoftmaxOp o) { return checkSoftmax(o, reason); })
      .Case([&](edge::MaxPool2dWithIndicesOp o) { return checkMaxPool(o, reason); })
      .Case([&](edge::AvgPool2dOp o) { return checkAvgPool(o, reason); })
      .Case([&](edge::AdaptiveAvgPool2dOp o) { return checkAdaptiveAvgPool(o, reason); })
      .Case([&](edge::MeanDimOp o) { return checkMean(o, reason); })
      .Case([&](edge::ConstantPadNdOp o) { return checkPad(o, reason); })
      .Case([&](edge::UpsampleBilinear2dVecOp o) { return checkUpsample(o, reason); })
      .Case([&](edge::WhereSelfOp o) { return checkWhere(o, reason); })
      .Case([&](edge::GtScalarOp o) { return checkCompare(o, reason); })
      .Case([&](edge::ScaledDotProductAttentionOp) {
        return fail(reason, "attention runs on Ember's fused kernel (ember::sdpa.out)");
      })
      .Default([&](Operation *) { return fail(reason, "no XNNPACK node for this op"); });
}

} // namespace ember::xnnpack
