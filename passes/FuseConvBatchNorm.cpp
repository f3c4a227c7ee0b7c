//===- FuseConvBatchNorm.cpp - Fold inference batch norm into conv --------===//
#include "exir/EdgeConstants.h"
#include "passes/Passes.h"

#include <cmath>

#include "llvm/ADT/SetVector.h"

namespace ember {
#define GEN_PASS_DEF_FUSECONVBATCHNORM
#include "passes/Passes.h.inc"

using namespace mlir;

namespace {

/// An optional per-channel f32 constant of `channels` elements: `fill` when
/// the operand is edge.none.
FailureOr<SmallVector<float>> channelConstant(Value v, int64_t channels, float fill) {
  if (isa<NoneType>(v.getType()))
    return SmallVector<float>(channels, fill);
  FailureOr<SmallVector<float>> values = edge::readConstantF32(v);
  if (failed(values) || (int64_t)values->size() != channels)
    return failure();
  return values;
}

/// Fold `bn` into the convolution feeding it; false when the pattern does
/// not apply (nothing is changed then).
bool fuse(edge::NativeBatchNormLegitNoTrainingOp bn) {
  auto conv = bn.getInput().getDefiningOp<edge::ConvolutionOp>();
  if (!conv || !conv.getResult().hasOneUse() ||
      !bn.getResult(1).use_empty() || !bn.getResult(2).use_empty())
    return false;
  Value weight = conv.getWeight();
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (!weightType.getElementType().isF32() || !weight.hasOneUse() ||
      !conv.getResult().getType().getElementType().isF32())
    return false;
  // Output channels: dim 0 of a convolution's weight [C_out, C_in / g, ...];
  // a transposed one's is [C_in, C_out / g, ...].
  ArrayRef<int64_t> wshape = weightType.getShape();
  int64_t groups = conv.getGroups();
  if (wshape.size() < 2 || groups <= 0 || wshape[0] % groups != 0)
    return false;
  int64_t channels = conv.getTransposed() ? groups * wshape[1] : wshape[0];
  FailureOr<SmallVector<float>> w = edge::readConstantF32(weight);
  FailureOr<SmallVector<float>> bias = channelConstant(conv.getBias(), channels, 0.0f);
  FailureOr<BatchNormAffine> affine = batchNormAffine(bn);
  if (failed(w) || failed(bias) || failed(affine) || (int64_t)affine->scale.size() != channels)
    return false;
  if (!isa<NoneType>(conv.getBias().getType()) && !conv.getBias().hasOneUse())
    return false;  // a shared bias would be duplicated, not replaced

  // 1. The folded weight and bias, in double. Weight element [i][j][...]
  //    belongs to output channel i, or for a transposed convolution to
  //    group(i) * (C_out / g) + j.
  ArrayRef<double> scale = affine->scale;
  std::vector<float> newBias(channels);
  for (int64_t o = 0; o < channels; ++o)
    newBias[o] = (float)((*bias)[o] * scale[o] + affine->shift[o]);
  int64_t window = (int64_t)w->size() / (wshape[0] * wshape[1]);
  int64_t inPerGroup = wshape[0] / groups;
  for (int64_t i = 0; i < wshape[0]; ++i)
    for (int64_t j = 0; j < wshape[1]; ++j) {
      int64_t o = conv.getTransposed() ? (i / inPerGroup) * wshape[1] + j : i;
      float *x = w->data() + (i * wshape[1] + j) * window;
      for (int64_t k = 0; k < window; ++k)
        x[k] = (float)(x[k] * scale[o]);
    }

  // 2. New constants in place of the old ones; the batch norm's users take
  //    the convolution's result.
  OpBuilder b(conv);
  auto name = [&](Value v, StringRef fallback) -> std::string {
    if (auto c = v.getDefiningOp<edge::ConstantOp>())
      if (c.getName())
        return (*c.getName() + ".bn_fused").str();
    return fallback.str();
  };
  Value oldBias = conv.getBias();
  Value newWeight = edge::createConstantF32(b, weight.getLoc(), weightType.getShape(), *w,
                                            name(weight, "conv_bn_weight"));
  Value newBiasValue = edge::createConstantF32(b, bn.getLoc(), {channels}, newBias,
                                               name(oldBias, "conv_bn_bias"));
  conv.getWeightMutable().assign(newWeight);
  conv.getBiasMutable().assign(newBiasValue);
  bn.getResult(0).replaceAllUsesWith(conv.getResult());
  llvm::SmallSetVector<Operation *, 6> dead;
  Value inputs[] = {weight, oldBias, bn.getWeight(), bn.getBias(), bn.getRunningMean(),
                    bn.getRunningVar()};
  for (Value v : inputs)
    if (auto c = v.getDefiningOp<edge::ConstantOp>())
      dead.insert(c);
  bn.erase();
  for (Operation *def : dead)
    if (def->use_empty())
      def->erase();
  return true;
}

} // namespace

FailureOr<BatchNormAffine> batchNormAffine(edge::NativeBatchNormLegitNoTrainingOp bn) {
  auto inputType = cast<RankedTensorType>(bn.getInput().getType());
  if (inputType.getRank() < 2 || inputType.isDynamicDim(1))
    return failure();
  int64_t channels = inputType.getDimSize(1);
  FailureOr<SmallVector<float>> gamma = channelConstant(bn.getWeight(), channels, 1.0f);
  FailureOr<SmallVector<float>> beta = channelConstant(bn.getBias(), channels, 0.0f);
  FailureOr<SmallVector<float>> mean = channelConstant(bn.getRunningMean(), channels, 0.0f);
  FailureOr<SmallVector<float>> var = channelConstant(bn.getRunningVar(), channels, 1.0f);
  if (failed(gamma) || failed(beta) || failed(mean) || failed(var))
    return failure();
  double eps = bn.getEpsAttr().getValueAsDouble();
  BatchNormAffine affine;
  for (int64_t c = 0; c < channels; ++c) {
    double scale = (*gamma)[c] / std::sqrt((double)(*var)[c] + eps);
    affine.scale.push_back(scale);
    affine.shift.push_back((*beta)[c] - (*mean)[c] * scale);
  }
  return affine;
}

namespace {

struct FuseConvBatchNormPass : impl::FuseConvBatchNormBase<FuseConvBatchNormPass> {
  void runOnOperation() override {
    SmallVector<edge::NativeBatchNormLegitNoTrainingOp> norms;
    getOperation().walk([&](edge::NativeBatchNormLegitNoTrainingOp bn) { norms.push_back(bn); });
    for (auto bn : norms)
      fuse(bn);
  }
};

} // namespace
} // namespace ember
