//===- FuseActivations.cpp - Activations fused on Ember's kernels ----------===//
//
// torch.export decomposes silu into sigmoid and mul, and hardswish into five
// ops (add 3, clamp at 0, clamp at 6, mul by the input, divide by 6); on
// Ember's kernels each op is a pass over the whole tensor. This pass puts
// them back together as edge.silu and edge.hardswish, one pass each, and
// folds a relu, relu6/hardtanh or clamp into the convolution before it
// (edge.convolution_clamp: the optimized kernel clamps in the GEMM's
// epilogue). It runs after partitioning, on what the backends left: XNNPACK
// takes the pieces itself (its own fusions make a hardswish node and clamp
// a convolution's output).
//
//===----------------------------------------------------------------------===//
#include <array>
#include <cmath>
#include <optional>
#include <utility>

#include "exir/EdgeConstants.h"
#include "passes/Matchers.h"
#include "passes/Passes.h"

namespace ember {
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "passes/Passes.h.inc"

using namespace mlir;

namespace {

/// Whether `v` is an f32 constant of one element within `relTol` of
/// `expected` (0: exactly; 1e-6 for a float32 rounding of a decimal or an
/// irrational constant).
bool isConstant(Value v, double expected, double relTol = 0.0) {
  FailureOr<SmallVector<float>> data = edge::readConstantF32(v);
  return succeeded(data) && data->size() == 1 &&
         std::fabs((*data)[0] - expected) <= relTol * std::fabs(expected);
}

/// The other operand of a commutative op when one of its two operands is
/// a one-element constant within 1e-6 of `constant`; else null.
Value otherThanConstant(Value a, Value b, double constant) {
  for (auto [x, c] : bothOrders(a, b))
    if (isConstant(c, constant, 1e-6))
      return x;
  return {};
}

/// Whether a Scalar attribute is known at compile time and equals `expected`.
bool isScalar(Attribute attr, double expected) {
  return attr && edge::scalarValue(attr) == expected;
}

/// The x of `t` = x + 3 (add.Tensor with a constant 3 and alpha 1, or
/// add.Scalar), when `t` has no other user; else null.
Value plusThree(Value t) {
  if (auto add = soleProducer<edge::AddTensorOp>(t)) {
    if (add.getSymValues().empty() && isScalar(add.getAlphaAttr(), 1.0) &&
        isConstant(add.getOther(), 3.0))
      return add.getSelf();
    return {};
  }
  if (auto add = soleProducer<edge::AddScalarOp>(t))
    if (add.getSymValues().empty() && isScalar(add.getAlphaAttr(), 1.0) &&
        isScalar(add.getOtherAttr(), 3.0))
      return add.getSelf();
  return {};
}

/// The x of `v` = clamp(x + 3, 0, 6): one clamp with both bounds, a clamp at
/// 0 then one at 6, or hardtanh(0, 6). Every op in the chain has no other
/// user. Null when `v` is something else.
Value relu6OfPlusThree(Value v) {
  if (auto ht = soleProducer<edge::HardtanhOp>(v)) {
    if (ht.getSymValues().empty() && isScalar(ht.getMinValAttr(), 0.0) &&
        isScalar(ht.getMaxValAttr(), 6.0))
      return plusThree(ht.getSelf());
    return {};
  }
  auto hi = soleProducer<edge::ClampOp>(v);
  if (!hi || !hi.getSymValues().empty() || !isScalar(hi.getMaxAttr(), 6.0))
    return {};
  if (hi.getMinAttr())
    return isScalar(hi.getMinAttr(), 0.0) ? plusThree(hi.getSelf()) : Value();
  auto lo = soleProducer<edge::ClampOp>(hi.getSelf());
  if (!lo || !lo.getSymValues().empty() || lo.getMaxAttr() || !isScalar(lo.getMinAttr(), 0.0))
    return {};
  return plusThree(lo.getSelf());
}

/// Replace `root` by `OpTy(x, attrs...)`, which keeps root's discardable
/// attributes (edge.dynamic_results), and erase the chain that fed it.
template <typename OpTy, typename... Attrs>
void replace(Operation *root, Value x, Attrs... attrs) {
  OpBuilder b(root);
  auto fused = b.create<OpTy>(root->getLoc(), root->getResult(0).getType(), x, attrs...);
  fused->setDiscardableAttrs(root->getDiscardableAttrDictionary());
  root->getResult(0).replaceAllUsesWith(fused.getResult());
  eraseChain<edge::SigmoidOp, edge::MulTensorOp, edge::ClampOp, edge::HardtanhOp,
             edge::AddTensorOp, edge::AddScalarOp, edge::TanhOp, edge::PowTensorScalarOp,
             edge::ConstantOp>(root);
}

/// The bounds of a clamp-like activation (relu, hardtanh, clamp) known at
/// compile time, with min <= max; a missing bound is null.
struct ClampBounds {
  Attribute lo, hi;
};
std::optional<ClampBounds> clampBounds(Operation *op, Builder &b) {
  ClampBounds c;
  if (isa<edge::ReluOp>(op)) {
    c.lo = b.getI64IntegerAttr(0);
  } else if (auto ht = dyn_cast<edge::HardtanhOp>(op)) {
    if (!ht.getSymValues().empty())
      return std::nullopt;
    c.lo = ht.getMinValAttr();
    c.hi = ht.getMaxValAttr();
  } else if (auto clamp = dyn_cast<edge::ClampOp>(op)) {
    if (!clamp.getSymValues().empty())
      return std::nullopt;
    c.lo = clamp.getMinAttr();
    c.hi = clamp.getMaxAttr();
  } else {
    return std::nullopt;
  }
  std::optional<double> lo = c.lo ? edge::scalarValue(c.lo) : -INFINITY;
  std::optional<double> hi = c.hi ? edge::scalarValue(c.hi) : INFINITY;
  if (!lo || !hi || *lo > *hi || (!c.lo && !c.hi))
    return std::nullopt;
  return c;
}

/// activation(convolution(...)) with the convolution's result used by the
/// activation alone: convolution_clamp, with the convolution's operands and
/// attributes and the activation's result (type, run-time sizes).
void fuseConvolutionClamp(Operation *act) {
  auto conv = soleProducer<edge::ConvolutionOp>(act->getOperand(0));
  if (!conv || !isFloatTensor(act->getResult(0)) ||
      act->getResult(0).getType() != conv.getResult().getType())
    return;
  OpBuilder b(act);
  std::optional<ClampBounds> bounds = clampBounds(act, b);
  if (!bounds)
    return;
  // Both source lines: a profile of the fused op points at the convolution too.
  OperationState state(b.getFusedLoc({conv->getLoc(), act->getLoc()}),
                       edge::ConvolutionClampOp::getOperationName());
  state.addOperands(conv->getOperands());
  state.addAttributes(conv->getAttrs());
  if (bounds->lo)
    state.addAttribute("min", bounds->lo);
  if (bounds->hi)
    state.addAttribute("max", bounds->hi);
  state.addTypes(act->getResult(0).getType());
  Operation *fused = b.create(state);
  fused->setDiscardableAttrs(act->getDiscardableAttrDictionary());
  act->getResult(0).replaceAllUsesWith(fused->getResult(0));
  act->erase();
  conv->erase();
}

/// mul(x, sigmoid(x)) in either order: x, else null.
Value siluInput(edge::MulTensorOp mul) {
  for (auto [a, b] : bothOrders(mul.getSelf(), mul.getOther())) {
    auto sigmoid = soleProducer<edge::SigmoidOp>(b);
    if (sigmoid && sigmoid.getSelf() == a)
      return a;
  }
  return {};
}

/// (x * clamp(x + 3, 0, 6)) / 6 (div.Tensor by a constant 6, or div.Scalar):
/// x, else null.
Value hardswishInput(Operation *div) {
  Value product;
  if (auto d = dyn_cast<edge::DivTensorOp>(div)) {
    if (!isConstant(d.getOther(), 6.0))
      return {};
    product = d.getSelf();
  } else if (auto d = dyn_cast<edge::DivScalarOp>(div)) {
    if (!d.getSymValues().empty() || !isScalar(d.getOtherAttr(), 6.0))
      return {};
    product = d.getSelf();
  } else {
    return {};
  }
  auto mul = soleProducer<edge::MulTensorOp>(product);
  if (!mul)
    return {};
  for (auto [a, b] : bothOrders(mul.getSelf(), mul.getOther()))
    if (Value x = relu6OfPlusThree(b); x && x == a)
      return x;
  return {};
}

/// GELU's tanh approximation written out, as Hugging Face's NewGELU
/// (GPT-2) does: 0.5 x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))),
/// each product in either order, every op used by the chain alone: x, else
/// null.
Value geluTanhInput(edge::MulTensorOp mul) {
  for (auto [half, onePlus] : bothOrders(mul.getSelf(), mul.getOther())) {
    auto h = soleProducer<edge::MulTensorOp>(half);
    auto v = soleProducer<edge::AddTensorOp>(onePlus);
    if (!h || !v || !v.getSymValues().empty() || !isScalar(v.getAlphaAttr(), 1.0))
      continue;
    Value x = otherThanConstant(h.getSelf(), h.getOther(), 0.5);
    Value tanhOut = otherThanConstant(v.getSelf(), v.getOther(), 1.0);
    auto t = tanhOut ? soleProducer<edge::TanhOp>(tanhOut) : edge::TanhOp();
    if (!x || !t)
      continue;
    auto u = soleProducer<edge::MulTensorOp>(t.getSelf());
    Value sum = u ? otherThanConstant(u.getSelf(), u.getOther(), 0.7978845608028654) : Value();
    auto s = sum ? soleProducer<edge::AddTensorOp>(sum) : edge::AddTensorOp();
    if (!s || !s.getSymValues().empty() || !isScalar(s.getAlphaAttr(), 1.0))
      continue;
    Value cubeTerm = s.getSelf() == x ? s.getOther() : s.getOther() == x ? s.getSelf() : Value();
    auto q = cubeTerm ? soleProducer<edge::MulTensorOp>(cubeTerm) : edge::MulTensorOp();
    Value cube = q ? otherThanConstant(q.getSelf(), q.getOther(), 0.044715) : Value();
    auto p = cube ? soleProducer<edge::PowTensorScalarOp>(cube) : edge::PowTensorScalarOp();
    if (p && p.getSelf() == x && p.getSymValues().empty() && isScalar(p.getExponentAttr(), 3.0))
      return x;
  }
  return {};
}

struct FuseActivationsPass : impl::FuseActivationsBase<FuseActivationsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> roots, activations;
    getOperation().walk([&](Operation *op) {
      if (isa<edge::MulTensorOp, edge::DivTensorOp, edge::DivScalarOp>(op))
        roots.push_back(op);
      else if (isa<edge::ReluOp, edge::HardtanhOp, edge::ClampOp>(op))
        activations.push_back(op);
    });
    // A convolution's activation first: a clamp of a convolution is never
    // part of a hardswish (whose clamps read x + 3).
    for (Operation *op : activations)
      fuseConvolutionClamp(op);
    // A root erased as part of an earlier match is not visited: the walk
    // order puts a chain's last op after every op it erases.
    for (Operation *op : roots) {
      Value result = op->getResult(0);
      if (!isFloatTensor(result))
        continue;
      if (auto mul = dyn_cast<edge::MulTensorOp>(op)) {
        if (Value x = siluInput(mul); x && x.getType() == result.getType()) {
          replace<edge::SiluOp>(op, x);
        } else if (Value x = geluTanhInput(mul); x && x.getType() == result.getType()) {
          replace<edge::GeluOp>(op, x, StringAttr::get(op->getContext(), "tanh"));
        }
        continue;
      }
      Value x = hardswishInput(op);
      if (x && x.getType() == result.getType())
        replace<edge::HardswishOp>(op, x);
    }
  }
};

} // namespace
} // namespace ember
