//===- PlanMemory.cpp - Lifetime-based placement in one arena -------------===//
#include "passes/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "mlir/IR/Builders.h"

namespace ember {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace ember

using namespace mlir;

namespace ember {
namespace {

/// One tensor to place: its bytes and the program positions it is alive.
struct Interval {
  Value value;
  int64_t size;
  int64_t begin, end;  // inclusive positions
  int64_t offset = -1;
};

int64_t alignUp(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

/// Ops that own no planned memory: constants, markers, and run-time sizes
/// (edge.sym_*, whose results are Int or Double values, not tensors).
bool placesNothing(Operation &op) {
  return isa<edge::ConstantOp, edge::NoneOp, func::ReturnOp, edge::WriteBackOp>(op) ||
         llvm::any_of(op.getResultTypes(), [](Type t) { return !isa<RankedTensorType>(t); });
}

int64_t tensorBytes(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t elementBytes = std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  return type.getNumElements() * elementBytes;
}

struct PlanMemoryPass : impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (alignment <= 0 || (alignment & (alignment - 1))) {
      func.emitError("memory plan alignment must be a power of two, got ") << alignment;
      return signalPassFailure();
    }
    Block &body = func.getBody().front();

    // 1. Program positions: arguments at 0, op i at i + 1, the return last.
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t pos = 0;
    for (Operation &op : body)
      position[&op] = ++pos;
    int64_t end = pos;
    auto lastUse = [&](Value v, int64_t def) {
      int64_t last = def;
      for (Operation *user : v.getUsers())
        last = std::max(last, position.lookup(user));
      return last;
    };

    // 2. Collect the tensors to place, with their lifetimes.
    std::vector<Interval> intervals;
    auto returnOp = cast<func::ReturnOp>(body.getTerminator());
    llvm::DenseSet<Value> outputs(returnOp.getOperands().begin(), returnOp.getOperands().end());
    for (BlockArgument arg : body.getArguments())
      if (planInputs)
        intervals.push_back({arg, tensorBytes(arg), 0, outputs.contains(arg) ? end : lastUse(arg, 0)});
    for (Operation &op : body) {
      if (placesNothing(op))
        continue;
      if (auto buffer = dyn_cast<edge::MutableBufferOp>(op)) {
        // State: alive for the whole program, so no other tensor ever
        // reuses its memory and it persists from one call to the next.
        intervals.push_back({buffer.getResult(), tensorBytes(buffer.getResult()), 0, end});
        continue;
      }
      for (Value result : op.getResults()) {
        if (outputs.contains(result) && !planOutputs)
          continue;
        int64_t def = position[&op];
        intervals.push_back({result, tensorBytes(result), def,
                             outputs.contains(result) ? end : lastUse(result, def)});
      }
    }

    // 3. Greedy by size: largest first, each at the lowest aligned offset
    //    that no already-placed tensor with an overlapping lifetime uses.
    std::vector<Interval *> order;
    for (Interval &iv : intervals)
      order.push_back(&iv);
    llvm::stable_sort(order, [](Interval *a, Interval *b) { return a->size > b->size; });
    std::vector<Interval *> placed;
    int64_t total = 0;
    for (Interval *iv : order) {
      std::vector<std::pair<int64_t, int64_t>> busy;  // [offset, offset + size)
      for (Interval *other : placed)
        if (other->begin <= iv->end && iv->begin <= other->end)
          busy.push_back({other->offset, other->offset + other->size});
      llvm::sort(busy);
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        if (offset + iv->size <= lo)
          break;
        offset = std::max(offset, alignUp(hi, alignment));
      }
      iv->offset = offset;
      total = std::max(total, alignUp(offset + std::max<int64_t>(iv->size, 1), alignment));
      placed.push_back(iv);
    }

    // 4. Record the plan.
    OpBuilder b(func.getContext());
    llvm::DenseMap<Value, int64_t> offsetOf;
    for (Interval &iv : intervals)
      offsetOf[iv.value] = iv.offset;
    auto offsetOrUnplanned = [&](Value v) {
      auto it = offsetOf.find(v);
      return it == offsetOf.end() ? int64_t(-1) : it->second;
    };
    SmallVector<int64_t> argOffsets;
    for (BlockArgument arg : body.getArguments())
      argOffsets.push_back(offsetOrUnplanned(arg));
    func->setAttr(kArgOffsetsAttr, b.getDenseI64ArrayAttr(argOffsets));
    func->setAttr(kPlannedSizeAttr, b.getI64IntegerAttr(total));
    for (Operation &op : body) {
      if (placesNothing(op))
        continue;
      SmallVector<int64_t> offsets;
      for (Value result : op.getResults())
        offsets.push_back(offsetOrUnplanned(result));
      op.setAttr(kOffsetsAttr, b.getDenseI64ArrayAttr(offsets));
    }
  }
};

} // namespace
} // namespace ember
