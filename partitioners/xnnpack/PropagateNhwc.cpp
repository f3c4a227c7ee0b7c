//===- PropagateNhwc.cpp - Keep chains of NHWC nodes in NHWC ----------------===//
//
// The lowering puts a transpose on each side of every NHWC node. This pass:
// 1. walks the nodes in program order, remembering for every 4-d value its
//    twin in the other layout (the value a transpose made from it, or the
//    value it was made from), and
//    - replaces a transpose whose result already exists by that twin;
//    - runs an elementwise node (or a constant pad) in NHWC when one of its
//      4-d inputs exists in NHWC and that takes no more transposes than
//      leaving it in NCHW: its other inputs are converted once
//      (constants permuted at compile time, lower-rank inputs extended to
//      4-d first, inputs of one element left alone) and a transpose back
//      to NCHW serves whatever consumer needs NCHW;
//    then hoists a transpose to NHWC above the elementwise node it is the
//    only user of (towards the inputs: input normalization before the first
//    convolution) when that adds no transpose;
// 2. cleans up: a transpose that moves only size-1 dims becomes a reshape,
//    transposes and reshapes of transposes and reshapes collapse, identity
//    reshapes go (but not an output's: it keeps an input from being passed
//    through), a feature map flattened into fully-connected layers is
//    flattened in NHWC with the layers' filter columns permuted instead of
//    transposed back, and dead nodes and constants go;
// 3. gives an output that is an input, or an output listed twice, a copy.
//
//===----------------------------------------------------------------------===//
#include "partitioners/xnnpack/XnnpackPasses.h"

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackDialect.h"
#include "partitioners/xnnpack/XnnpackUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace ember::xnnpack {
#define GEN_PASS_DEF_PROPAGATENHWC
#include "partitioners/xnnpack/XnnpackPasses.h.inc"

namespace {

/// Step 1: the walk.
class Propagation {
public:
  explicit Propagation(MLIRContext *ctx) : b(ctx) {}

  void run(Block &body) {
    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (auto transpose = dyn_cast<StaticTransposeOp>(op))
        visitTranspose(transpose);
      else if (op.hasTrait<Elementwise>() || isa<StaticConstantPadOp>(op))
        moveToNhwc(&op);
    }
  }

private:
  void visitTranspose(StaticTransposeOp op) {
    ArrayRef<int64_t> perm = op.getPerm();
    bool toNhwc = perm == ArrayRef<int64_t>(kToNhwc);
    if (!toNhwc && perm != ArrayRef<int64_t>(kToNchw))
      return;
    auto &forward = toNhwc ? nhwcOf : nchwOf;
    auto &backward = toNhwc ? nchwOf : nhwcOf;
    if (Value twin = forward.lookup(op.getInput())) {
      op.getResult().replaceAllUsesWith(twin);
      op.erase();
      return;
    }
    forward[op.getInput()] = op.getResult();
    backward[op.getResult()] = op.getInput();
  }

  /// `v` (rank <= 4, NCHW semantics) as an operand of an NHWC elementwise
  /// node: its twin, a permuted constant, itself when it has one element,
  /// or a new transpose (after extending it to 4-d).
  Value nhwcOperand(Location loc, Value v) {
    ArrayRef<int64_t> shape = shapeOf(v);
    if (llvm::all_of(shape, [](int64_t d) { return d == 1; }))
      return v;  // broadcasts the same in any layout
    if (Value twin = nhwcOf.lookup(v))
      return twin;
    SmallVector<int64_t> shape4(4 - shape.size(), 1);
    shape4.append(shape.begin(), shape.end());
    if (FailureOr<SmallVector<float>> data = edge::readConstantF32(v); succeeded(data))
      return edge::createConstantF32(b, loc, permuteShape(shape4, kToNhwc),
                               permuteData(*data, shape4, kToNhwc));
    Value t = createTranspose(b, loc, createReshape(b, loc, v, shape4), kToNhwc);
    if (shape.size() == 4) {
      nhwcOf[v] = t;
      nchwOf[t] = v;
    }
    return t;
  }

  /// A copy of elementwise `op` (4-d result) computing in NHWC, before `op`.
  Operation *cloneInNhwc(Operation *op) {
    b.setInsertionPoint(op);
    SmallVector<Value> operands;
    for (Value operand : op->getOperands())
      operands.push_back(nhwcOperand(op->getLoc(), operand));
    Operation *moved = b.clone(*op);
    moved->setOperands(operands);
    moved->getResult(0).setType(
        tensorLike(op->getResult(0), permuteShape(shapeOf(op->getResult(0)), kToNhwc)));
    if (auto pad = dyn_cast<StaticConstantPadOp>(moved)) {
      pad.setPre(permuteShape(pad.getPre(), kToNhwc));
      pad.setPost(permuteShape(pad.getPost(), kToNhwc));
    }
    return moved;
  }

  /// Whether `op` is an elementwise node (or a constant pad) with a 4-d
  /// result and inputs of rank at most 4.
  static bool isMovable(Operation *op) {
    if (!op->hasTrait<Elementwise>() && !isa<StaticConstantPadOp>(op))
      return false;
    if (shapeOf(op->getResult(0)).size() != 4)
      return false;
    return llvm::all_of(op->getOperands(), [](Value v) { return shapeOf(v).size() <= 4; });
  }

  /// Whether a value of this shape (rank <= 4, extended to 4-d) keeps its
  /// data order in NHWC: one channel, or one pixel.
  static bool movesNoData(ArrayRef<int64_t> shape) {
    SmallVector<int64_t> shape4(4 - shape.size(), 1);
    shape4.append(shape.begin(), shape.end());
    return shape4[1] == 1 || shape4[2] * shape4[3] == 1;
  }

  static bool isTransposeTo(Operation *op, ArrayRef<int64_t> perm) {
    auto t = dyn_cast<StaticTransposeOp>(op);
    return t && t.getPerm() == perm;
  }

  /// Whether running `op` in NHWC costs no more transposes than leaving it
  /// in NCHW. In NHWC, each input with no NHWC twin (not a constant, and
  /// not of one channel or one pixel, whose transpose is a reshape) needs a
  /// new transpose, and the result needs one back when a
  /// user wants NCHW (a user that is not NHWC itself and would not follow:
  /// an output, a reshape). Left in NCHW, each input that is a transpose
  /// of an NHWC value made for this node alone stays, and the result needs
  /// one to NHWC when a user is an NHWC node. E.g. ConvNeXt's residual add
  /// of the block's input (NCHW, outside the delegate) and the layer scale
  /// (NHWC) stays in NCHW: one transpose, where NHWC would take two.
  bool pays(Operation *op) {
    unsigned moved = 0, stay = 0;
    for (Value operand : op->getOperands()) {
      if (isF32Constant(operand) || movesNoData(shapeOf(operand)))
        continue;
      if (!nhwcOf.count(operand))
        ++moved;
      else if (Operation *def = operand.getDefiningOp();
               def && isTransposeTo(def, kToNchw) && operand.hasOneUse())
        ++stay;
    }
    bool wantsNhwc = false, wantsNchw = false;
    for (Operation *user : op->getResult(0).getUsers()) {
      if (isTransposeTo(user, kToNhwc))
        wantsNhwc = true;
      else if (!isMovable(user))
        wantsNchw = true;
    }
    return moved + wantsNchw <= stay + wantsNhwc;
  }

  void moveToNhwc(Operation *op) {
    if (!isMovable(op))
      return;
    bool anyNhwc = llvm::any_of(op->getOperands(), [&](Value operand) {
      return shapeOf(operand).size() == 4 && nhwcOf.count(operand);
    });
    if (!anyNhwc)
      return;  // follows its producers: none is NHWC
    if (!pays(op))
      return;
    Operation *moved = cloneInNhwc(op);
    Value back = createTranspose(b, op->getLoc(), moved->getResult(0), kToNchw);
    op->getResult(0).replaceAllUsesWith(back);
    op->erase();
    nhwcOf[back] = moved->getResult(0);
    nchwOf[moved->getResult(0)] = back;
  }

public:
  /// Step 1b: a transpose to NHWC that is the only user of an elementwise
  /// node moves above it, towards the function's inputs (e.g. input
  /// normalization before the first convolution), when that adds no
  /// transpose: at most one input needs a new one.
  void hoist(Block &body) {
    for (bool changed = true; changed;) {
      changed = false;
      for (auto t : llvm::make_early_inc_range(body.getOps<StaticTransposeOp>()))
        changed |= hoistAbove(t);
    }
  }

private:
  bool hoistAbove(StaticTransposeOp t) {
    Operation *op = t.getInput().getDefiningOp();
    if (t.getPerm() != ArrayRef<int64_t>(kToNhwc) || !op || !op->hasOneUse() || !isMovable(op))
      return false;
    unsigned newTransposes = 0;
    for (Value operand : op->getOperands()) {
      bool unit = llvm::all_of(shapeOf(operand), [](int64_t d) { return d == 1; });
      if (!unit && !nhwcOf.count(operand) && !isF32Constant(operand))
        ++newTransposes;
    }
    if (newTransposes > 1)
      return false;
    Operation *moved = cloneInNhwc(op);
    t.getResult().replaceAllUsesWith(moved->getResult(0));
    for (Value dead : {Value(t.getResult()), Value(op->getResult(0))}) {
      nhwcOf.erase(dead);
      nchwOf.erase(dead);
    }
    t.erase();
    op->erase();
    return true;
  }

  OpBuilder b;
  llvm::DenseMap<Value, Value> nhwcOf, nchwOf;
};

/// Step 2 patterns.
struct TransposeOfUnitDims : OpRewritePattern<StaticTransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StaticTransposeOp op, PatternRewriter &rewriter) const override {
    if (!movesOnlyUnitDims(shapeOf(op.getInput()), op.getPerm()))
      return failure();
    rewriter.replaceOpWithNewOp<StaticReshapeOp>(op, op.getType(), op.getInput());
    return success();
  }
};

struct TransposeOfTranspose : OpRewritePattern<StaticTransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StaticTransposeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<StaticTransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> perm = permuteShape(inner.getPerm(), op.getPerm());
    bool identity = llvm::all_of(llvm::enumerate(perm),
                                 [](auto p) { return p.value() == (int64_t)p.index(); });
    if (identity && !isReturned(op.getResult()))
      rewriter.replaceOp(op, inner.getInput());
    else
      rewriter.replaceOpWithNewOp<StaticTransposeOp>(op, op.getType(), inner.getInput(),
                                                     rewriter.getDenseI64ArrayAttr(perm));
    return success();
  }
  static bool isReturned(Value v) {
    return llvm::any_of(v.getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); });
  }
};

struct ReshapeOfReshape : OpRewritePattern<StaticReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StaticReshapeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<StaticReshapeOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<StaticReshapeOp>(op, op.getType(), inner.getInput());
    return success();
  }
};

struct IdentityReshape : OpRewritePattern<StaticReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StaticReshapeOp op, PatternRewriter &rewriter) const override {
    if (op.getInput().getType() != op.getType() ||
        TransposeOfTranspose::isReturned(op.getResult()))
      return failure();
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

/// Flattening an NHWC feature map for fully-connected layers: instead of
/// transposing the activations back to NCHW, permute the columns of the
/// layers' constant filters into NHWC order (filter [O, C*H*W] read as
/// [O, C, H, W] -> [O, H, W, C]), and flatten the NHWC value directly.
struct FlattenIntoFullyConnected : OpRewritePattern<StaticReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StaticReshapeOp op, PatternRewriter &rewriter) const override {
    auto transpose = op.getInput().getDefiningOp<StaticTransposeOp>();
    if (!transpose || transpose.getPerm() != ArrayRef<int64_t>(kToNchw))
      return failure();
    ArrayRef<int64_t> nchw = shapeOf(transpose.getResult());
    ArrayRef<int64_t> flat = shapeOf(op.getResult());
    if (flat.size() != 2 || flat[0] != nchw[0] || op->use_empty())
      return failure();
    for (OpOperand &use : op->getUses()) {
      auto fc = dyn_cast<FullyConnectedOp>(use.getOwner());
      if (!fc || use.getOperandNumber() != 0 || !isF32Constant(fc.getFilter()))
        return failure();
    }
    SmallVector<int64_t> filterShape = {0, nchw[1], nchw[2], nchw[3]};
    for (OpOperand &use : llvm::make_early_inc_range(op->getUses())) {
      auto fc = cast<FullyConnectedOp>(use.getOwner());
      filterShape[0] = shapeOf(fc.getFilter())[0];
      SmallVector<float> data =
          permuteData(*edge::readConstantF32(fc.getFilter()), filterShape, kToNhwc);
      rewriter.setInsertionPoint(fc);
      Value filter = edge::createConstantF32(rewriter, fc.getLoc(), shapeOf(fc.getFilter()), data);
      rewriter.modifyOpInPlace(fc, [&] { fc.getFilterMutable().assign(filter); });
    }
    rewriter.replaceOpWithNewOp<StaticReshapeOp>(op, op.getType(), transpose.getInput());
    return success();
  }
};

struct PropagateNhwcPass : impl::PropagateNhwcBase<PropagateNhwcPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Propagation propagation(func.getContext());
    propagation.run(func.getBody().front());
    propagation.hoist(func.getBody().front());
    RewritePatternSet patterns(func.getContext());
    patterns.add<TransposeOfUnitDims, TransposeOfTranspose, ReshapeOfReshape, IdentityReshape,
                 FlattenIntoFullyConnected>(func.getContext());
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      return signalPassFailure();
    copyPassThroughOutputs(func);
  }

  /// An output that is an input, or an output listed twice, gets a copy
  /// (an identity reshape): an XNNPACK value has one external id.
  static void copyPassThroughOutputs(func::FuncOp func) {
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    OpBuilder b(ret);
    llvm::DenseSet<Value> seen;
    for (OpOperand &operand : ret->getOpOperands()) {
      Value v = operand.get();
      if (isa<BlockArgument>(v) || !seen.insert(v).second)
        operand.set(b.create<StaticReshapeOp>(ret.getLoc(), v.getType(), v).getResult());
    }
  }
};

} // namespace
} // namespace ember::xnnpack
