//===- ChannelsLast.cpp - Float CNN chains run channels-last --------------===//
//
// Ember's optimized convolutions compute on channels-last images: a pixel's
// channels are one row of the GEMM's A, read in place by a 1x1 convolution,
// and its output row one pixel's channels; the weight is the GEMM's B,
// packed once at load. This pass makes each 2-d float32 edge.convolution
// and edge.convolution_clamp (forward, static sizes) an
// edge.convolution_nhwc between a permute to NHWC and one back, then
// sinkChannelsLastPermutes (ChannelsLast.h) moves the permutes back to NCHW
// down through what works the same in either layout (activations, residual
// adds, squeeze-excitation gates, max pools, global average pools, cats)
// and cancels them against the next permute to NHWC: a CNN transposes its
// input once and its last feature map once. The propagation is the one
// ember-quantized-channels-last runs on int8 chains.
//
//===----------------------------------------------------------------------===//
#include "passes/ChannelsLast.h"
#include "passes/Passes.h"

#include "exir/EdgeSym.h"
#include "exir/EdgeVerifierUtils.h"

#include <array>
#include <optional>
#include <utility>

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace ember {
#define GEN_PASS_DEF_CHANNELSLAST
#include "passes/Passes.h.inc"

using namespace mlir;
using edge::verify::elementOf;
using edge::verify::shapeOf;

SmallVector<int64_t> permutedShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> out;
  for (int64_t d : perm)
    out.push_back(shape[d]);
  return out;
}

Value createPermute(OpBuilder &b, Location loc, DictionaryAttr attrs, Value v,
                    ArrayRef<int64_t> perm) {
  auto type = RankedTensorType::get(permutedShape(shapeOf(v), perm), elementOf(v));
  auto p = b.create<edge::PermuteOp>(loc, type, v, b.getDenseI64ArrayAttr(perm));
  p->setDiscardableAttrs(attrs);
  return p.getResult();
}

edge::PermuteOp permuteAt(OpBuilder &b, Operation *like, Value v, ArrayRef<int64_t> perm) {
  return createPermute(b, like->getLoc(), b.getDictionaryAttr({}), v, perm)
      .getDefiningOp<edge::PermuteOp>();
}

RankedTensorType withShape(Value v, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, elementOf(v));
}

bool isStatic4d(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == 4 && t.hasStaticShape();
}

namespace {

bool isPermute(Operation *op, ArrayRef<int64_t> perm) {
  auto p = dyn_cast_or_null<edge::PermuteOp>(op);
  return p && p.getDims() == perm;
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

/// `v`'s sizes right-aligned against an NCHW image's: [N, C, 1, 1] with
/// leading ones for missing dims, or nothing when v has more dims or
/// run-time sizes.
std::optional<std::array<int64_t, 4>> asNchw(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() > 4 || !t.hasStaticShape())
    return std::nullopt;
  std::array<int64_t, 4> dims = {1, 1, 1, 1};
  for (int64_t i = 0; i < t.getRank(); ++i)
    dims[4 - t.getRank() + i] = t.getShape()[i];
  return dims;
}

/// A tensor that broadcasts against an NCHW image the way its NHWC form
/// does against the image's NHWC form: one value per channel (and batch),
/// [C, 1, 1] or [N, C, 1, 1] (a layer scale, a per-channel bias), or one
/// element.
bool channelVector(Value v) {
  std::optional<std::array<int64_t, 4>> d = asNchw(v);
  return d && (*d)[2] == 1 && (*d)[3] == 1;
}

/// channelVector `v` in the NHWC broadcast: itself when it has one element,
/// else a view as [N, 1, 1, C].
Value channelVectorNhwc(OpBuilder &b, Operation *like, Value v) {
  std::array<int64_t, 4> d = *asNchw(v);
  if (d[0] * d[1] == 1)
    return v;
  SmallVector<int64_t> shape = {d[0], 1, 1, d[1]};
  auto view = b.create<edge::ViewOp>(like->getLoc(), withShape(v, shape), v,
                                     b.getDenseI64ArrayAttr(shape), ValueRange(),
                                     DenseI64ArrayAttr());
  return view.getResult();
}

/// A float or quantized cat of 4-d tensors, and its dim (normalised).
std::optional<int64_t> catDim(Operation *op) {
  if (!isa<edge::CatOp, edge::QuantizedCatOp>(op) || !isStatic4d(op->getResult(0)))
    return std::nullopt;
  int64_t dim = cast<IntegerAttr>(op->getAttr("dim")).getInt();
  return dim < 0 ? dim + 4 : dim;
}

/// A float32 2-d max pool whose indices nobody reads (edge.max_pool2d_nhwc
/// computes the same on NHWC).
bool isFloatMaxPool(Operation *op) {
  auto pool = dyn_cast<edge::MaxPool2dWithIndicesOp>(op);
  return pool && pool.getResult(1).use_empty() && elementOf(pool.getSelf()).isF32() &&
         isStatic4d(pool.getSelf()) && isStatic4d(pool.getResult(0));
}

/// Whether `op` takes an NHWC operand in place of an NCHW one (the
/// propagation's moves).
bool absorbsPermute(Operation *op) {
  return isPermute(op, kToNhwc) || isLayoutFreeUnary(op) || isLayoutFreeBinary(op) ||
         isSpatialMean(op) || catDim(op).has_value() || isFloatMaxPool(op);
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
    if (!isStatic4d(nhwc) || user->hasAttr(edge::kDynamicResultsAttr))  // sizes fixed at compile
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
      if (!isStatic4d(user->getResult(0)))
        return;
      // Each operand in NHWC: a permute's input, or a per-channel or
      // one-element tensor ([C, 1, 1], [1, C, 1, 1], a scalar), viewed as
      // [N, 1, 1, C] when it is not one element.
      Value operands[2];
      SmallVector<edge::PermuteOp, 2> permutes;
      for (int i = 0; i < 2; ++i) {
        Value v = user->getOperand(i);
        auto q = v.getDefiningOp<edge::PermuteOp>();
        if (isPermute(q, kToNchw) && isStatic4d(q.getSelf())) {
          operands[i] = q.getSelf();
          permutes.push_back(q);
        } else if (!channelVector(v)) {
          return;
        }
      }
      for (int i = 0; i < 2; ++i)
        if (!operands[i])
          operands[i] = channelVectorNhwc(b, user, user->getOperand(i));
      Operation *moved = b.clone(*user);
      moved->setOperand(0, operands[0]);
      moved->setOperand(1, operands[1]);
      moved->getResult(0).setType(withShape(
          user->getResult(0), permutedShape(shapeOf(user->getResult(0)), kToNhwc)));
      replaceWithNchw(b, user, moved->getResult(0));
      eraseUnread(permutes, p);
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
      eraseUnread(inputs, p);
      return;
    }
    if (isFloatMaxPool(user)) {
      auto pool = cast<edge::MaxPool2dWithIndicesOp>(user);
      Value pooled = pool.getResult(0);
      auto nhwcPool = b.create<edge::MaxPool2dNhwcOp>(
          pool.getLoc(), withShape(pooled, permutedShape(shapeOf(pooled), kToNhwc)), nhwc,
          pool.getKernelSizeAttr(), pool.getStrideAttr(), pool.getPaddingAttr(),
          pool.getDilationAttr(), pool.getCeilModeAttr());
      nhwcPool->setDiscardableAttrs(pool->getDiscardableAttrDictionary());
      replaceWithNchw(b, user, nhwcPool.getResult());  // the indices have no reader
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

  /// The permutes an op read that it no longer reads (but `p`, which the
  /// caller erases when its last reader has moved), each once (mul(a, a),
  /// cat(a, a): one permute twice).
  void eraseUnread(ArrayRef<edge::PermuteOp> permutes, edge::PermuteOp p) {
    llvm::SmallPtrSet<Operation *, 4> seen;
    for (edge::PermuteOp q : permutes)
      if (q != p && seen.insert(q).second && q.getResult().use_empty())
        erase(q);
  }

  /// `user`'s result (its first) becomes a permute to NCHW of its NHWC twin,
  /// which goes on down in turn.
  void replaceWithNchw(OpBuilder &b, Operation *user, Value nhwc) {
    edge::PermuteOp back = permuteAt(b, user, nhwc, kToNchw);
    user->getResult(0).replaceAllUsesWith(back.getResult());
    user->erase();
    work.insert(back);
  }

  llvm::SetVector<edge::PermuteOp> work;
};

} // namespace

void sinkChannelsLastPermutes(func::FuncOp f) { Propagation().run(f); }

namespace {

/// A forward 2-d float32 convolution (plain or with its clamp) of static
/// sizes that edge.convolution_nhwc computes.
template <typename ConvOp>
bool convertible(ConvOp conv) {
  return !conv.getTransposed() && elementOf(conv.getInput()).isF32() &&
         elementOf(conv.getWeight()).isF32() && isStatic4d(conv.getInput()) &&
         isStatic4d(conv.getResult()) && conv.getStride().size() == 2 &&
         conv.getPadding().size() == 2 && conv.getDilation().size() == 2 &&
         conv.getSymValues().empty() && !conv->hasAttr(edge::kDynamicResultsAttr);
}

/// The clamp bounds' attribute type (edge.convolution_clamp's min and max).
using BoundAttr = decltype(std::declval<edge::ConvolutionClampOp>().getMinAttr());

/// conv -> permute(conv_nhwc(permute(x))); `min` and `max` are the clamp's.
template <typename ConvOp>
void toChannelsLast(ConvOp conv, BoundAttr min, BoundAttr max) {
  OpBuilder b(conv);
  Value x = permuteAt(b, conv, conv.getInput(), kToNhwc).getResult();
  Value result = conv.getResult();
  auto nhwc = b.create<edge::ConvolutionNhwcOp>(
      conv.getLoc(), withShape(result, permutedShape(shapeOf(result), kToNhwc)), x,
      conv.getWeight(), conv.getBias(), conv.getStrideAttr(), conv.getPaddingAttr(),
      conv.getDilationAttr(), conv.getGroupsAttr(), min, max, b.getStringAttr("none"),
      ValueRange(), DenseI64ArrayAttr());
  nhwc->setDiscardableAttrs(conv->getDiscardableAttrDictionary());
  result.replaceAllUsesWith(permuteAt(b, conv, nhwc.getResult(), kToNchw).getResult());
  conv.erase();
}

/// silu(conv) or hardswish(conv) where the activation is the channels-last
/// convolution's only reader and the convolution has no clamp: the
/// convolution applies it to its output while that is in cache.
void fuseActivation(Operation *act, StringRef name) {
  auto conv = act->getOperand(0).getDefiningOp<edge::ConvolutionNhwcOp>();
  if (!conv || !conv.getResult().hasOneUse() || conv.getMinAttr() || conv.getMaxAttr() ||
      conv.getActivation() != "none" || act->hasAttr(edge::kDynamicResultsAttr))
    return;
  OpBuilder b(conv);
  conv.setActivationAttr(b.getStringAttr(name));
  conv->setLoc(b.getFusedLoc({conv.getLoc(), act->getLoc()}));  // both source lines
  act->getResult(0).replaceAllUsesWith(conv.getResult());
  act->erase();
}

struct ChannelsLastPass : impl::ChannelsLastBase<ChannelsLastPass> {
  void runOnOperation() override {
    SmallVector<Operation *> convs;
    getOperation().walk([&](Operation *op) {
      if (auto conv = dyn_cast<edge::ConvolutionOp>(op); conv && convertible(conv))
        convs.push_back(op);
      if (auto conv = dyn_cast<edge::ConvolutionClampOp>(op); conv && convertible(conv))
        convs.push_back(op);
    });
    for (Operation *op : convs) {
      if (auto conv = dyn_cast<edge::ConvolutionOp>(op))
        toChannelsLast(conv, BoundAttr(), BoundAttr());
      else if (auto conv = dyn_cast<edge::ConvolutionClampOp>(op))
        toChannelsLast(conv, conv.getMinAttr(), conv.getMaxAttr());
    }
    sinkChannelsLastPermutes(getOperation());
    SmallVector<Operation *> activations;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::SiluOp, edge::HardswishOp>(op))
        activations.push_back(op);
    });
    for (Operation *op : activations)
      fuseActivation(op, isa<edge::SiluOp>(op) ? "silu" : "hardswish");
  }
};

} // namespace
} // namespace ember
