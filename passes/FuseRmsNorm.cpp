//===- FuseRmsNorm.cpp - RMS norm as one op on Ember's kernels -------------===//
//
// Llama, Qwen, Mistral and Gemma normalise with RMS norm, which torch.export
// decomposes into six ops over the hidden state: pow(x, 2) (or x * x), mean
// over the last dim, add eps, rsqrt, multiply by x, multiply by the weight.
// On Ember's kernels each is a pass over the tensor; this pass makes them one
// edge.rms_norm (kernel ember::rms_norm.out), one pass per row. It runs after
// partitioning, on what the backends left.
//
//===----------------------------------------------------------------------===//
#include <cmath>
#include <optional>

#include "exir/EdgeConstants.h"
#include "exir/EdgeVerifierUtils.h"
#include "passes/Matchers.h"
#include "passes/Passes.h"

namespace ember {
#define GEN_PASS_DEF_FUSERMSNORM
#include "passes/Passes.h.inc"

using namespace mlir;

namespace {

using edge::verify::shapeOf;

/// A float32 constant of one element: its value.
std::optional<float> scalarConstant(Value v) {
  FailureOr<SmallVector<float>> data = edge::readConstantF32(v);
  if (failed(data) || data->size() != 1)
    return std::nullopt;
  return (*data)[0];
}

/// Whether `sq` is x^2: pow(x, 2) or x * x, used by the mean alone.
bool isSquareOf(Value sq, Value x) {
  if (auto pow = soleProducer<edge::PowTensorScalarOp>(sq))
    return pow.getSelf() == x && pow.getSymValues().empty() &&
           edge::scalarValue(pow.getExponentAttr()) == 2.0;
  if (auto mul = soleProducer<edge::MulTensorOp>(sq))
    return mul.getSelf() == x && mul.getOther() == x;
  return false;
}

/// The match: x * rsqrt(mean(x^2, -1, keepdim) + eps).
struct Normalized {
  Value x;
  double eps = 0.0;
};

/// `sum` = mean + eps with alpha 1: add.Tensor with eps a one-element f32
/// constant (either order), or add.Scalar with eps known at compile time
/// (torch's own nn.RMSNorm). The mean, and eps >= 0; else null.
std::optional<std::pair<Value, double>> plusEps(Value sum) {
  if (auto add = soleProducer<edge::AddScalarOp>(sum)) {
    std::optional<double> eps = edge::scalarValue(add.getOtherAttr());
    if (add.getSymValues().empty() && edge::scalarValue(add.getAlphaAttr()) == 1.0 && eps &&
        *eps >= 0.0)
      return std::pair(add.getSelf(), *eps);
    return std::nullopt;
  }
  auto add = soleProducer<edge::AddTensorOp>(sum);
  if (!add || !add.getSymValues().empty() || edge::scalarValue(add.getAlphaAttr()) != 1.0)
    return std::nullopt;
  for (auto [m, e] : bothOrders(add.getSelf(), add.getOther()))
    if (std::optional<float> eps = scalarConstant(e); eps && *eps >= 0.0f)
      return std::pair(m, static_cast<double>(*eps));
  return std::nullopt;
}

/// `v` = x * rsqrt(mean(x^2 over the last dim, keepdim) + eps) (the product
/// in either order, every op but x's own producer used by the chain alone):
/// x and eps.
std::optional<Normalized> normalized(edge::MulTensorOp mul) {
  for (auto [x, r] : bothOrders(mul.getSelf(), mul.getOther())) {
    auto rsqrt = soleProducer<edge::RsqrtOp>(r);
    std::optional<std::pair<Value, double>> sum =
        rsqrt ? plusEps(rsqrt.getSelf()) : std::nullopt;
    auto mean = sum ? soleProducer<edge::MeanDimOp>(sum->first) : edge::MeanDimOp();
    if (!mean || !mean.getKeepdim() || mean.getDtypeAttr())
      continue;
    const int64_t rank = static_cast<int64_t>(shapeOf(x).size());
    std::optional<ArrayRef<int64_t>> dims = mean.getDim();
    if (rank < 1 || !dims || dims->size() != 1 || ((*dims)[0] != -1 && (*dims)[0] != rank - 1))
      continue;
    if (isSquareOf(mean.getSelf(), x))
      return Normalized{x, sum->second};
  }
  return std::nullopt;
}

/// `root` becomes rms_norm(x, [D], weight, eps); what it erases goes into
/// `erased`.
void replace(Operation *root, const Normalized &n, Value weight,
             llvm::DenseSet<Operation *> &erased) {
  OpBuilder b(root);
  Type type = root->getResult(0).getType();
  if (!weight)
    weight = b.create<edge::NoneOp>(root->getLoc(), b.getNoneType()).getResult();
  const int64_t d = shapeOf(n.x).back();
  auto fused = b.create<edge::RmsNormOp>(root->getLoc(), type, n.x, b.getDenseI64ArrayAttr({d}),
                                         weight, b.getF64FloatAttr(n.eps));
  fused->setDiscardableAttrs(root->getDiscardableAttrDictionary());
  root->getResult(0).replaceAllUsesWith(fused.getResult());
  eraseChain<edge::MulTensorOp, edge::RsqrtOp, edge::AddTensorOp, edge::AddScalarOp,
             edge::MeanDimOp, edge::PowTensorScalarOp, edge::ConstantOp>(root, &erased);
}

struct FuseRmsNormPass : impl::FuseRmsNormBase<FuseRmsNormPass> {
  void runOnOperation() override {
    SmallVector<edge::MulTensorOp> muls;
    getOperation().walk([&](edge::MulTensorOp op) { muls.push_back(op); });
    // From the last op of a chain back: the weight's product first, so
    // that a chain is fused whole; an op an earlier match erased (the
    // normalising product, a square written x * x) is skipped.
    llvm::DenseSet<Operation *> erased;
    for (edge::MulTensorOp mul : llvm::reverse(muls)) {
      if (erased.contains(mul) || !isFloatTensor(mul.getResult()))
        continue;
      Type type = mul.getResult().getType();
      // weight * normalized(x), either order: the weight one value per
      // element of the last dim.
      bool done = false;
      for (auto [w, y] : bothOrders(mul.getSelf(), mul.getOther())) {
        auto inner = soleProducer<edge::MulTensorOp>(y);
        std::optional<Normalized> n = inner ? normalized(inner) : std::nullopt;
        if (!n || n->x.getType() != type)
          continue;
        auto wt = dyn_cast<RankedTensorType>(w.getType());
        if (!wt || wt.getElementType() != cast<RankedTensorType>(type).getElementType() ||
            wt.getShape() != ArrayRef<int64_t>{shapeOf(n->x).back()})
          continue;
        replace(mul, *n, w, erased);
        done = true;
        break;
      }
      if (done)
        continue;
      if (std::optional<Normalized> n = normalized(mul); n && n->x.getType() == type)
        replace(mul, *n, Value(), erased);
    }
  }
};

} // namespace
} // namespace ember
