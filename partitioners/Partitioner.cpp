//===- Partitioner.cpp - Outline supported runs into delegate calls -------===//
#include "partitioners/Partitioner.h"

#include <sstream>

#include "exir/EdgeDialect.h"
#include "exir/EdgeSym.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace ember {
namespace {

/// Ops a run may skip over without ending: they have no operands and are
/// cloned into the subgraph instead of becoming its inputs.
bool isTransparent(Operation *op) { return isa<edge::ConstantOp, edge::NoneOp>(op); }

/// Outline `run` (in program order) into a delegate call.
LogicalResult outline(ArrayRef<Operation *> run, const BackendPartitioner &partitioner,
                      unsigned index) {
  MLIRContext *ctx = run.front()->getContext();
  llvm::DenseSet<Operation *> inRun(run.begin(), run.end());

  // 1. Inputs: values from outside the run (constants are cloned instead);
  //    outputs: results used outside the run.
  llvm::SetVector<Value> inputs, outputs;
  llvm::SetVector<Operation *> cloned;  // constants and none used by the run
  for (Operation *op : run)
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (def && inRun.contains(def))
        continue;
      if (def && isTransparent(def))
        cloned.insert(def);
      else
        inputs.insert(operand);
    }
  for (Operation *op : run)
    for (Value result : op->getResults())
      for (Operation *user : result.getUsers())
        if (!inRun.contains(user))
          outputs.insert(result);
  if (outputs.empty())
    return success();  // nothing observable: leave it for the portable path

  // 2. The subgraph as a module with one function, @forward.
  OpBuilder b(ctx);
  Location loc = run.front()->getLoc();
  OwningOpRef<ModuleOp> sub = ModuleOp::create(loc);
  b.setInsertionPointToEnd(sub->getBody());
  SmallVector<Type> inTypes, outTypes;
  for (Value v : inputs)
    inTypes.push_back(v.getType());
  for (Value v : outputs)
    outTypes.push_back(v.getType());
  auto func = b.create<func::FuncOp>(loc, "forward", b.getFunctionType(inTypes, outTypes));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping map;
  for (auto [input, arg] : llvm::zip(inputs, entry->getArguments()))
    map.map(input, arg);
  for (Operation *op : cloned)
    b.clone(*op, map);
  for (Operation *op : run)
    b.clone(*op, map);
  SmallVector<Value> results;
  for (Value v : outputs)
    results.push_back(map.lookup(v));
  b.create<func::ReturnOp>(loc, results);
  func->setAttr("edge.in_spec", b.getStringAttr(""));
  func->setAttr("edge.out_spec", b.getStringAttr(""));

  // 3. The backend compiles it.
  FailureOr<DelegateBlob> blob = partitioner.preprocess(*sub);
  if (failed(blob))
    return run.front()->emitError("backend ") << partitioner.backendId()
                                             << " could not compile the subgraph starting here";

  // 4. Replace the run by one call after its last op.
  b.setInsertionPointAfter(run.back());
  auto &blobManager = DenseResourceElementsHandle::getManagerInterface(ctx);
  auto bytesAttr = [&](const std::string &name, const std::vector<uint8_t> &bytes) {
    auto handle = blobManager.insert(
        name, HeapAsmResourceBlob::allocateAndCopyInferAlign(
                  ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()), bytes.size())));
    auto type = RankedTensorType::get({(int64_t)bytes.size()},
                                      IntegerType::get(ctx, 8, IntegerType::Unsigned));
    return DenseResourceElementsAttr::get(type, handle);
  };
  SmallVector<NamedAttribute> specs;
  for (auto &[key, value] : blob->compileSpecs)
    specs.push_back(b.getNamedAttr(key, b.getStringAttr(value)));
  SmallVector<NamedAttribute> named;
  for (auto &[key, bytes] : blob->namedData)
    named.push_back(b.getNamedAttr(key, bytesAttr("named_" + key, bytes)));
  // The call stands for every op of the run: its location fuses theirs, so
  // a profile of the delegate points at all the source lines it runs.
  SmallVector<Location> runLocs;
  for (Operation *op : run)
    runLocs.push_back(op->getLoc());
  auto call = b.create<edge::DelegateCallOp>(
      b.getFusedLoc(runLocs), outTypes, b.getStringAttr(partitioner.backendId()), inputs.getArrayRef(),
      bytesAttr("delegate_" + std::to_string(index), blob->processed),
      specs.empty() ? DictionaryAttr() : b.getDictionaryAttr(specs),
      named.empty() ? DictionaryAttr() : b.getDictionaryAttr(named));
  std::map<std::string, int64_t> counts;
  for (Operation *op : run)
    counts[op->getName().getStringRef().str()]++;
  SmallVector<NamedAttribute> countAttrs;
  for (auto &[name, n] : counts)
    countAttrs.push_back(b.getNamedAttr(name, b.getI64IntegerAttr(n)));
  call->setAttr(kDelegatedOpsAttrName, b.getDictionaryAttr(countAttrs));
  for (auto [output, r] : llvm::zip(outputs, call.getResults())) {
    Value v = output;
    v.replaceUsesWithIf(r, [&](OpOperand &use) { return !inRun.contains(use.getOwner()); });
  }
  for (Operation *op : llvm::reverse(run))
    op->erase();
  for (Operation *op : cloned)
    if (op->use_empty())
      op->erase();
  return success();
}

/// Whether `partitioner` takes `op`; a refusal of an Edge op is recorded.
bool takes(Operation &op, const BackendPartitioner &partitioner) {
  if (!op.getDialect() || op.getDialect()->getNamespace() != "edge" ||
      isa<edge::DelegateCallOp, edge::MutableBufferOp, edge::WriteBackOp>(op))
    return false;
  // Delegates take static shapes: ops on dynamic tensors and run-time sizes
  // stay with the portable kernels.
  std::string reason;
  if (edge::touchesDynamicShapes(&op))
    reason = "dynamic shapes (delegates take static shapes)";
  else if (partitioner.supports(&op, reason))
    return true;
  recordRefusal(&op, partitioner.backendId(), reason);
  return false;
}

} // namespace

void recordRefusal(Operation *op, StringRef backend, StringRef reason) {
  NamedAttrList refused;
  if (auto old = op->getAttrOfType<DictionaryAttr>(kRefusedAttrName))
    refused.append(old.getValue());
  refused.set(backend, StringAttr::get(op->getContext(), reason.empty() ? "not supported" : reason));
  op->setAttr(kRefusedAttrName, refused.getDictionary(op->getContext()));
}

LogicalResult partitionModule(ModuleOp module, const BackendPartitioner &partitioner) {
  unsigned index = 0;
  for (auto func : module.getOps<func::FuncOp>()) {
    // Runs of supported ops in program order; a contiguous run of a
    // topologically ordered block is always convex, so outlining it never
    // creates a cycle. Constants do not end a run.
    std::vector<std::vector<Operation *>> runs(1);
    for (Operation &op : func.getBody().front()) {
      if (isTransparent(&op))
        continue;
      if (takes(op, partitioner))
        runs.back().push_back(&op);
      else if (!runs.back().empty())
        runs.emplace_back();
    }
    for (auto &run : runs) {
      if (run.empty())
        continue;
      std::string reason;
      if (!partitioner.acceptsRun(run, reason)) {
        for (Operation *op : run)
          recordRefusal(op, partitioner.backendId(), reason);
        continue;
      }
      if (failed(outline(run, partitioner, index++)))
        return failure();
    }
  }
  return success();
}

DelegationSummary summarizeDelegation(ModuleOp module) {
  DelegationSummary summary;
  module.walk([&](Operation *op) {
    if (auto call = dyn_cast<edge::DelegateCallOp>(op)) {
      auto &backend = summary.backends[call.getBackend().str()];
      backend.delegates++;
      // The blob is opaque; the op counts are recorded by the partitioner.
      if (auto counts = call->getAttrOfType<DictionaryAttr>(kDelegatedOpsAttrName))
        for (NamedAttribute n : counts)
          backend.ops[n.getName().str()] += cast<IntegerAttr>(n.getValue()).getInt();
      return;
    }
    if (op->getDialect() && op->getDialect()->getNamespace() == "edge" &&
        !isa<edge::ConstantOp, edge::NoneOp, edge::MutableBufferOp>(op)) {
      summary.portableOps[op->getName().getStringRef().str()]++;
      if (auto refused = op->getAttrOfType<DictionaryAttr>(kRefusedAttrName)) {
        DelegationSummary::Fallback fallback;
        fallback.op = op->getName().getStringRef().str();
        fallback.location = edge::describeLocation(op->getLoc());
        for (NamedAttribute n : refused)
          fallback.refusals.emplace_back(n.getName().str(),
                                         cast<StringAttr>(n.getValue()).getValue().str());
        summary.fallbacks.push_back(std::move(fallback));
      }
    }
  });
  return summary;
}

std::string DelegationSummary::str() const {
  std::ostringstream os;
  unsigned delegated = 0, portable = 0;
  for (auto &[name, backend] : backends)
    for (auto &[op, n] : backend.ops)
      delegated += n;
  for (auto &[op, n] : portableOps)
    portable += n;
  os << "delegated ops: " << delegated << ", portable ops: " << portable << "\n";
  for (auto &[name, backend] : backends) {
    os << "backend " << name << ": " << backend.delegates << " delegate(s)\n";
    for (auto &[op, n] : backend.ops)
      os << "  " << op << " x" << n << "\n";
  }
  if (!portableOps.empty()) {
    os << "portable kernels:\n";
    for (auto &[op, n] : portableOps)
      os << "  " << op << " x" << n << "\n";
  }
  if (!fallbacks.empty()) {
    os << "left on portable kernels (source, op, why the backend refused it):\n";
    for (const Fallback &f : fallbacks) {
      os << "  " << f.location << ": " << f.op;
      const char *sep = " -- ";
      for (auto &[backend, reason] : f.refusals) {
        os << sep << backend << ": " << reason;
        sep = "; ";
      }
      os << "\n";
    }
  }
  return os.str();
}

namespace {
std::map<std::string, PartitionerFactory> &registry() {
  static std::map<std::string, PartitionerFactory> factories;
  return factories;
}
} // namespace

bool registerBackendPartitioner(llvm::StringRef backend, PartitionerFactory factory) {
  return registry().emplace(backend.str(), std::move(factory)).second;
}

std::unique_ptr<BackendPartitioner>
createPartitioner(llvm::StringRef backend, const std::map<std::string, std::string> &options,
                  std::string *error) {
  auto it = registry().find(backend.str());
  if (it != registry().end())
    return it->second(options, error);
  if (error) {
    *error = "no partitioner for backend '" + backend.str() + "' (registered:";
    for (const std::string &name : registeredPartitioners())
      *error += " " + name;
    *error += ")";
  }
  return nullptr;
}

std::vector<std::string> registeredPartitioners() {
  std::vector<std::string> names;
  for (auto &[name, factory] : registry())
    names.push_back(name);
  return names;
}

} // namespace ember
