//===- PlanMemory.cpp - Lifetimes of the IR's tensors, planned in arenas --===//
//
// Turns a function into PlanBuffers (passes/MemoryPlanner.h): one per tensor
// that owns memory, alive from its definition to its last use, then plans
// them with every algorithm asked for (by default every heuristic, then the
// search that refines the best of them), keeps the smallest plan, proves it
// with the checker and records it as attributes.
//
//===----------------------------------------------------------------------===//
#include "passes/MemoryPlanner.h"
#include "passes/Passes.h"

#include "exir/EdgeSym.h"

#include "llvm/ADT/STLExtras.h"
#include "mlir/IR/Builders.h"

namespace ember {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace ember

using namespace mlir;

namespace ember {
namespace {

int64_t tensorBytes(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t elementBytes = std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  return type.getNumElements() * elementBytes;
}

/// Ops that own no planned memory: constants, markers, and run-time sizes
/// (edge.sym_*, whose results are Int or Double values, not tensors).
bool placesNothing(Operation &op) {
  return isa<edge::ConstantOp, edge::NoneOp, func::ReturnOp, edge::WriteBackOp>(op) ||
         llvm::any_of(op.getResultTypes(), [](Type t) { return !isa<RankedTensorType>(t); });
}

/// The arena of the values an op defines: `edge.memory_id` when set (a
/// backend or a pass may place tensors elsewhere), else arena 1.
uint32_t memoryIdOf(Operation *op) {
  auto id = op ? op->getAttrOfType<IntegerAttr>(kMemoryIdAttr) : IntegerAttr();
  return id ? static_cast<uint32_t>(id.getInt()) : 1;
}

struct PlanMemoryPass : impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;

  void runOnOperation() override;

private:
  /// The tensors that own memory, with their lifetimes; a view that shares
  /// its base's memory maps to the base's buffer in `bufferOf` and owns none.
  void collect(func::FuncOp func);

  std::vector<PlanBuffer> buffers;
  std::vector<Value> bufferValue;
  llvm::DenseMap<Value, size_t> bufferOf;  // value (or the base of its view) -> buffer
  llvm::DenseSet<Operation *> aliasing;    // view ops whose result shares the input's memory
  llvm::DenseSet<Operation *> inPlace;     // cache updates whose result is their buffer
};

/// Whether `update` can write its cache in place: the cache is a mutable
/// buffer, the update's result is what the buffer is written back with (its
/// only write-back), is not an output, and nothing reads the buffer after
/// the update. Its result is then the buffer itself.
bool updatesInPlace(edge::UpdateCacheOp update,
                    const llvm::DenseMap<Operation *, int64_t> &position,
                    const llvm::DenseSet<Value> &outputs) {
  Value cache = update.getCache(), result = update.getResult();
  if (!cache.getDefiningOp<edge::MutableBufferOp>() || outputs.contains(result))
    return false;
  bool writtenBack = false;
  for (Operation *user : cache.getUsers()) {
    if (user == update.getOperation())
      continue;
    if (auto wb = dyn_cast<edge::WriteBackOp>(user)) {
      if (wb.getValue() != result)
        return false;
      writtenBack = true;
    } else if (position.lookup(user) > position.lookup(update)) {
      return false;
    }
  }
  return writtenBack;
}

void PlanMemoryPass::collect(func::FuncOp func) {
  Block &body = func.getBody().front();
  // Program positions: arguments at 0, op i at i + 1, the return last.
  llvm::DenseMap<Operation *, int64_t> position;
  int64_t pos = 0;
  for (Operation &op : body)
    position[&op] = ++pos;
  int64_t end = pos;
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  llvm::DenseSet<Value> outputs(returnOp.getOperands().begin(), returnOp.getOperands().end());
  auto lastUse = [&](Value v, int64_t def) {
    if (outputs.contains(v))
      return end;
    int64_t last = def;
    for (Operation *user : v.getUsers())
      last = std::max(last, position.lookup(user));
    return last;
  };
  auto add = [&](Value v, int64_t begin, int64_t last, uint32_t memoryId) {
    bufferOf[v] = buffers.size();
    buffers.push_back({tensorBytes(v), begin, last, memoryId});
    bufferValue.push_back(v);
  };

  for (BlockArgument arg : body.getArguments())
    if (planInputs) {
      auto id = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), kMemoryIdAttr);
      add(arg, 0, lastUse(arg, 0), id ? id.getInt() : 1);
    }
  for (Operation &op : body) {
    if (placesNothing(op))
      continue;
    if (auto buffer = dyn_cast<edge::MutableBufferOp>(op)) {
      // State: alive for the whole program, so no other tensor ever
      // reuses its memory and it persists from one call to the next.
      add(buffer.getResult(), 0, end, memoryIdOf(&op));
      continue;
    }
    int64_t def = position[&op];
    // A cache update written back into its mutable buffer writes the
    // buffer itself (the kernel sees out == cache and copies nothing else).
    if (auto update = dyn_cast<edge::UpdateCacheOp>(op);
        update && !op.hasAttr(kMemoryIdAttr) && updatesInPlace(update, position, outputs)) {
      bufferOf[update.getResult()] = bufferOf.lookup(update.getCache());
      inPlace.insert(&op);
      continue;
    }
    // A view of a planned tensor shares its memory (executorch_prim::et_view
    // at run time): the base then lives as long as the view is used.
    if (auto view = dyn_cast<edge::ViewOp>(op); view && aliasViews) {
      Value result = view.getResult();
      auto base = bufferOf.find(view.getSelf());
      bool baseIsState = base != bufferOf.end() &&
                         bufferValue[base->second].getDefiningOp<edge::MutableBufferOp>();
      if (base != bufferOf.end() && !baseIsState && !outputs.contains(result) &&
          !op.hasAttr(kMemoryIdAttr)) {
        PlanBuffer &b = buffers[base->second];
        b.end = std::max(b.end, lastUse(result, def));
        bufferOf[result] = base->second;
        aliasing.insert(&op);
        continue;
      }
    }
    for (Value result : op.getResults()) {
      if (outputs.contains(result) && !planOutputs)
        continue;
      add(result, def, lastUse(result, def), memoryIdOf(&op));
    }
  }
}

void PlanMemoryPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (alignment <= 0 || (alignment & (alignment - 1))) {
    func.emitError("memory plan alignment must be a power of two, got ") << alignment;
    return signalPassFailure();
  }
  SmallVector<PlanAlgorithm> algorithms;
  if (algorithm == "best") {
    algorithms.assign(allAlgorithms().begin(), allAlgorithms().end());
  } else if (auto one = parseAlgorithm(algorithm)) {
    algorithms.push_back(*one);
  } else {
    InFlightDiagnostic error = func.emitError("unknown memory planning algorithm '")
                               << algorithm << "' (best";
    for (PlanAlgorithm a : allAlgorithms())
      error << ", " << algorithmName(a);
    error << ")";
    return signalPassFailure();
  }

  // The pass object runs on one function after another: start afresh.
  buffers.clear();
  bufferValue.clear();
  bufferOf.clear();
  aliasing.clear();
  inPlace.clear();
  collect(func);

  // Every algorithm asked for; the smallest plan wins (the first on ties).
  // With all of them, refined starts from the others' plans (the best one
  // of each arena) instead of planning them again.
  OpBuilder b(func.getContext());
  SmallVector<NamedAttribute> candidates;
  std::vector<MemoryPlan> plans;
  for (PlanAlgorithm a : algorithms) {
    MemoryPlan plan = a == PlanAlgorithm::Refined && !plans.empty()
                          ? refinePlan(buffers, plans, alignment)
                          : planBuffers(a, buffers, alignment);
    candidates.push_back(b.getNamedAttr(algorithmName(a), b.getI64IntegerAttr(plan.totalSize())));
    plans.push_back(std::move(plan));
  }
  std::optional<MemoryPlan> best;
  for (MemoryPlan &plan : plans)
    if (!best || plan.totalSize() < best->totalSize())
      best = std::move(plan);
  if (std::optional<std::string> error = checkPlan(buffers, *best, alignment)) {
    func.emitError("internal error: the ") << algorithmName(best->algorithm)
                                           << " memory plan is wrong: " << *error;
    return signalPassFailure();
  }

  // Record the plan.
  Block &body = func.getBody().front();
  // A view that shares memory is at its base's offset (as ExecuTorch's view
  // specs are); et_view also points it there when it runs.
  auto offsetOf = [&](Value v) -> int64_t {
    auto it = bufferOf.find(v);
    return it == bufferOf.end() ? -1 : best->offsets[it->second];
  };
  auto idOf = [&](Value v) -> int64_t {
    auto it = bufferOf.find(v);
    return it == bufferOf.end() ? 1 : buffers[it->second].memoryId;
  };
  SmallVector<int64_t> argOffsets;
  for (BlockArgument arg : body.getArguments())
    argOffsets.push_back(offsetOf(arg));
  std::vector<int64_t> bound = lowerBound(buffers);
  func->setAttr(kArgOffsetsAttr, b.getDenseI64ArrayAttr(argOffsets));
  func->setAttr(kPlannedSizesAttr, b.getDenseI64ArrayAttr(best->arenaSizes));
  func->setAttr(kLowerBoundAttr, b.getDenseI64ArrayAttr(bound));
  func->setAttr(kAlgorithmAttr, b.getStringAttr(algorithmName(best->algorithm)));
  func->setAttr(kCandidatesAttr, b.getDictionaryAttr(candidates));
  for (Operation &op : body) {
    if (placesNothing(op))
      continue;
    SmallVector<int64_t> offsets, ids;
    for (Value result : op.getResults()) {
      offsets.push_back(offsetOf(result));
      ids.push_back(idOf(result));
    }
    op.setAttr(kOffsetsAttr, b.getDenseI64ArrayAttr(offsets));
    if (llvm::any_of(ids, [](int64_t id) { return id != 1; }))
      op.setAttr(kMemoryIdsAttr, b.getDenseI64ArrayAttr(ids));
    if (aliasing.contains(&op))
      op.setAttr(kViewAliasAttr, b.getUnitAttr());
    else
      op.removeAttr(kViewAliasAttr);
    if (inPlace.contains(&op))
      op.setAttr(kInPlaceAttr, b.getUnitAttr());
    else
      op.removeAttr(kInPlaceAttr);
  }
}

} // namespace
} // namespace ember
