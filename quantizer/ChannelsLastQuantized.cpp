//===- ChannelsLastQuantized.cpp - Quantized CNN chains run channels-last -===//
//
// Ember's int8 convolutions compute on channels-last images: a pixel's
// channels are one row of the GEMM's A, and its output row one pixel's
// channels. On NCHW tensors every convolution transposes its input to NHWC
// and its output back. This pass makes each 2-d edge.quantized_convolution
// an edge.quantized_convolution_nhwc between a permute to NHWC and one back,
// then moves the permutes back to NCHW down through what works the same in
// either layout and cancels them against the next permute to NHWC, so that
// a chain of quantized ops hands NHWC tensors from one to the next and
// transposes only where it starts and ends:
//   - a permute to NCHW read by a permute to NHWC: the latter's result is
//     the former's input;
//   - elementwise ops of one tensor operand (per-tensor quantize and
//     dequantize with literal parameters, activation tables, relu, hardtanh,
//     clamp and the
//     float activations: silu, sigmoid, hardswish, gelu, tanh, ...) run on
//     the NHWC tensor, with a permute to NCHW after them;
//   - elementwise ops of two permutes to NCHW (edge.quantized_add,
//     edge.quantized_mul, add, sub, mul, div; broadcasting, as a
//     squeeze-excitation gate [N, C, 1, 1] times its feature map), likewise;
//   - a mean over H and W (global average pooling, float or
//     edge.quantized_mean) runs over NHWC's dims 1 and 2; kept dims give
//     [N, 1, 1, C], whose permute to NCHW moves no data;
//   - a cat (float or edge.quantized_cat) of permutes to NCHW only runs on
//     their NHWC inputs, its dim remapped (channels, NCHW's 1, are NHWC's 3).
// A permute left without users is erased. Only tensors of static sizes move.
//
//===----------------------------------------------------------------------===//
#include "quantizer/Passes.h"
#include "quantizer/QuantMatchers.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace ember {
#define GEN_PASS_DEF_CHANNELSLASTQUANTIZED
#include "quantizer/Passes.h.inc"

using namespace mlir;
using namespace ember::quant;

namespace {

bool isPermute(Operation *op, ArrayRef<int64_t> perm) {
  auto p = dyn_cast_or_null<edge::PermuteOp>(op);
  return p && p.getDims() == perm;
}

/// A 4-d tensor of static sizes.
bool isStatic4d(Value v) {
  ArrayRef<int64_t> s = shapeOf(v);
  return s.size() == 4 && !ShapedType::isDynamicShape(s);
}

RankedTensorType withShape(Value v, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, elementOf(v));
}

/// A permute of `v`, at `like`'s location and source line.
edge::PermuteOp permute(OpBuilder &b, Operation *like, Value v, ArrayRef<int64_t> perm) {
  return createPermute(b, like->getLoc(), like->getDiscardableAttrDictionary(), v, perm)
      .getDefiningOp<edge::PermuteOp>();
}

/// conv -> permute(conv_nhwc(permute(x))).
void toChannelsLast(edge::QuantizedConvolutionOp conv) {
  OpBuilder b(conv);
  Value x = permute(b, conv, conv.getInput(), kToNhwc).getResult();
  auto nhwc = b.create<edge::QuantizedConvolutionNhwcOp>(
      conv.getLoc(), withShape(conv.getResult(), permutedShape(shapeOf(conv.getResult()), kToNhwc)),
      x, conv.getInputScaleAttr(), conv.getInputZeroPointAttr(), conv.getWeight(),
      conv.getWeightScales(), conv.getBias(), conv.getStrideAttr(), conv.getPaddingAttr(),
      conv.getDilationAttr(), conv.getGroupsAttr(), conv.getOutputScaleAttr(),
      conv.getOutputZeroPointAttr(), conv.getQuantMinAttr(), conv.getQuantMaxAttr(), ValueRange(),
      DenseI64ArrayAttr());
  nhwc->setDiscardableAttrs(conv->getDiscardableAttrDictionary());
  conv.getResult().replaceAllUsesWith(permute(b, conv, nhwc.getResult(), kToNchw).getResult());
  conv.erase();
}

/// An op that computes the same per element in either layout, reading one
/// tensor (operand 0) and nothing else.
bool isLayoutFreeUnary(Operation *op) {
  if (isa<edge::QuantizedLutOp>(op))  // its table is not a tensor of the image
    return true;
  if (op->getNumOperands() != 1 || op->getNumResults() != 1)
    return false;
  return isa<edge::QuantizePerTensorOp, edge::DequantizePerTensorOp, edge::ReluOp,
             edge::HardtanhOp, edge::ClampOp, edge::SiluOp, edge::SigmoidOp, edge::HardswishOp,
             edge::GeluOp, edge::TanhOp, edge::LeakyReluOp, edge::AbsOp, edge::NegOp>(op);
}

/// An elementwise op of two tensors (broadcasting): with both operands
/// permuted alike, broadcasting pairs the same dims, so it runs on the
/// unpermuted operands and its result permutes the same way.
bool isLayoutFreeBinary(Operation *op) {
  if (op->getNumOperands() != 2 || op->getNumResults() != 1)
    return false;
  return isa<edge::QuantizedAddOp, edge::QuantizedMulOp, edge::AddTensorOp, edge::SubTensorOp,
             edge::MulTensorOp, edge::DivTensorOp>(op);
}

/// The dims and keepdim of a float or quantized mean with a dim list.
std::optional<std::pair<ArrayRef<int64_t>, bool>> meanOf(Operation *op) {
  if (auto mean = dyn_cast<edge::MeanDimOp>(op)) {
    std::optional<ArrayRef<int64_t>> dims = mean.getDim();
    if (!dims)
      return std::nullopt;
    return std::make_pair(*dims, mean.getKeepdim());
  }
  if (auto mean = dyn_cast<edge::QuantizedMeanOp>(op))
    return std::make_pair(mean.getDim(), mean.getKeepdim());
  return std::nullopt;
}

/// A mean (float or quantized) over dims 2 and 3 (H and W) of a 4-d tensor.
bool isSpatialMean(Operation *op) {
  std::optional<std::pair<ArrayRef<int64_t>, bool>> mean = meanOf(op);
  if (!mean || mean->first.size() != 2)
    return false;
  SmallVector<int64_t> sorted;
  for (int64_t d : mean->first)
    sorted.push_back(d < 0 ? d + 4 : d);
  llvm::sort(sorted);
  return sorted == SmallVector<int64_t>{2, 3};
}

/// A float or quantized cat of 4-d tensors, and its dim (normalised).
std::optional<int64_t> catDim(Operation *op) {
  if (!isa<edge::CatOp, edge::QuantizedCatOp>(op) || !isStatic4d(op->getResult(0)))
    return std::nullopt;
  int64_t dim = cast<IntegerAttr>(op->getAttr("dim")).getInt();
  return dim < 0 ? dim + 4 : dim;
}

/// Whether `op` takes an NHWC operand in place of an NCHW one (the
/// propagation's moves).
bool absorbsPermute(Operation *op) {
  return isPermute(op, kToNhwc) || isLayoutFreeUnary(op) || isLayoutFreeBinary(op) ||
         isSpatialMean(op) || catDim(op).has_value();
}

class Propagation {
public:
  void run(func::FuncOp f) {
    f.walk([&](edge::PermuteOp p) {
      if (p.getDims() == ArrayRef<int64_t>(kToNchw))
        work.insert(p);
    });
    while (!work.empty()) {
      edge::PermuteOp p = work.pop_back_val();
      for (Operation *user : llvm::make_early_inc_range(p.getResult().getUsers()))
        sinkInto(p, user);
      if (p.getResult().use_empty())
        erase(p);
    }
  }

private:
  void erase(Operation *op) {
    if (auto p = dyn_cast<edge::PermuteOp>(op))
      work.remove(p);
    op->erase();
  }

  /// `user` reads p's NCHW result: have it read p's NHWC input instead.
  void sinkInto(edge::PermuteOp p, Operation *user) {
    Value nhwc = p.getSelf();
    if (!isStatic4d(nhwc))
      return;
    if (isPermute(user, kToNhwc)) {
      user->getResult(0).replaceAllUsesWith(nhwc);
      erase(user);
      return;
    }
    OpBuilder b(user);
    if (isLayoutFreeUnary(user)) {
      // Only where the permute moves on again: stopped after a dequantize
      // it would move four times the bytes.
      if (!llvm::all_of(user->getResult(0).getUsers(), absorbsPermute))
        return;
      Operation *moved = b.clone(*user);
      moved->setOperand(0, nhwc);
      moved->getResult(0).setType(withShape(user->getResult(0), shapeOf(nhwc)));
      replaceWithNchw(b, user, moved->getResult(0));
      return;
    }
    if (isLayoutFreeBinary(user)) {
      auto self = user->getOperand(0).getDefiningOp<edge::PermuteOp>();
      auto other = user->getOperand(1).getDefiningOp<edge::PermuteOp>();
      if (!isPermute(self, kToNchw) || !isPermute(other, kToNchw) ||
          !isStatic4d(self.getSelf()) || !isStatic4d(other.getSelf()) ||
          !isStatic4d(user->getResult(0)))
        return;
      Operation *moved = b.clone(*user);
      moved->setOperand(0, self.getSelf());
      moved->setOperand(1, other.getSelf());
      moved->getResult(0).setType(withShape(
          user->getResult(0), permutedShape(shapeOf(user->getResult(0)), kToNhwc)));
      replaceWithNchw(b, user, moved->getResult(0));
      if (other != p && other.getResult().use_empty())
        erase(other);
      if (self != p && self.getResult().use_empty())
        erase(self);
      return;
    }
    if (std::optional<int64_t> dim = catDim(user)) {
      // Every input must come in NHWC: a cat of permutes to NCHW.
      SmallVector<edge::PermuteOp> inputs;
      for (Value v : user->getOperands()) {
        auto q = v.getDefiningOp<edge::PermuteOp>();
        if (!isPermute(q, kToNchw) || !isStatic4d(q.getSelf()))
          return;
        inputs.push_back(q);
      }
      Operation *moved = b.clone(*user);
      for (auto [i, q] : llvm::enumerate(inputs))
        moved->setOperand(i, q.getSelf());
      const int64_t nhwcDim = llvm::find(kToNhwc, *dim) - std::begin(kToNhwc);
      moved->setAttr("dim", b.getI64IntegerAttr(nhwcDim));
      moved->getResult(0).setType(withShape(
          user->getResult(0), permutedShape(shapeOf(user->getResult(0)), kToNhwc)));
      replaceWithNchw(b, user, moved->getResult(0));
      llvm::SmallPtrSet<Operation *, 4> seen;  // cat(a, a): one permute twice
      for (edge::PermuteOp q : inputs)
        if (q != p && seen.insert(q).second && q.getResult().use_empty())
          erase(q);
      return;
    }
    if (isSpatialMean(user)) {
      ArrayRef<int64_t> x = shapeOf(nhwc);
      const bool keepdim = meanOf(user)->second;
      SmallVector<int64_t> shape = keepdim ? SmallVector<int64_t>{x[0], 1, 1, x[3]}
                                           : SmallVector<int64_t>{x[0], x[3]};
      Operation *moved = b.clone(*user);
      moved->setOperand(0, nhwc);
      moved->setAttr("dim", b.getDenseI64ArrayAttr({1, 2}));
      moved->getResult(0).setType(withShape(user->getResult(0), shape));
      if (keepdim) {
        replaceWithNchw(b, user, moved->getResult(0));
      } else {  // [N, C] in both layouts
        user->getResult(0).replaceAllUsesWith(moved->getResult(0));
        user->erase();
      }
    }
  }

  /// `user`'s result becomes a permute to NCHW of its NHWC twin, which goes
  /// on down in turn.
  void replaceWithNchw(OpBuilder &b, Operation *user, Value nhwc) {
    edge::PermuteOp back = permute(b, user, nhwc, kToNchw);
    user->getResult(0).replaceAllUsesWith(back.getResult());
    user->erase();
    work.insert(back);
  }

  llvm::SetVector<edge::PermuteOp> work;
};

struct ChannelsLastQuantizedPass : impl::ChannelsLastQuantizedBase<ChannelsLastQuantizedPass> {
  void runOnOperation() override {
    SmallVector<edge::QuantizedConvolutionOp> convs;
    getOperation().walk([&](edge::QuantizedConvolutionOp op) {
      if (isStatic4d(op.getInput()) && isStatic4d(op.getResult()) && op.getSymValues().empty())
        convs.push_back(op);
    });
    for (edge::QuantizedConvolutionOp conv : convs)
      toChannelsLast(conv);
    Propagation().run(getOperation());
  }
};

} // namespace
} // namespace ember
