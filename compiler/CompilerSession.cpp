//===- CompilerSession.cpp - One compile: context, module, diagnostics ----===//
#include "compiler/CompilerSession.h"

#include <cstdlib>

#include "compiler/Importer.h"
#include "compiler/InitAll.h"
#include "partitioners/Partitioner.h"
#include "passes/Passes.h"
#include "exir/EdgeDialect.h"
#include "passes/Passes.h"
#include "serializer/PteEmitter.h"

#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace ember {

CompilerSession::CompilerSession() {
  registerAllBackends();
  DialectRegistry registry;
  registerAllDialects(registry);
  context_ = std::make_unique<MLIRContext>(registry, MLIRContext::Threading::DISABLED);
  context_->loadAllAvailableDialects();
  context_->getDiagEngine().registerHandler([this](Diagnostic &diag) {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (!isa<UnknownLoc>(diag.getLocation())) {
      edge::printLocation(os, diag.getLocation());
      os << ": ";
    }
    os << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: " : "note: ") << diag;
    for (Diagnostic &note : diag.getNotes()) {
      os << "\n  ";
      edge::printLocation(os, note.getLocation());
      os << ": note: " << note;
    }
    diagnostics_.push_back(os.str());
    return success();
  });
}

CompilerSession::~CompilerSession() = default;

LogicalResult CompilerSession::importGraphs(const std::vector<GraphDesc> &graphs) {
  module_ = ModuleOp::create(UnknownLoc::get(context_.get()));
  for (const GraphDesc &graph : graphs)
    if (failed(importGraph(*module_, graph)))
      return failure();
  phase_ = Phase::Import;
  return verify(*module_);
}

LogicalResult CompilerSession::parse(const std::string &text) {
  module_ = parseSourceString<ModuleOp>(text, context_.get());
  phase_ = Phase::Import;
  return success(static_cast<bool>(module_));
}

LogicalResult CompilerSession::runTo(Phase to, const PipelineOptions &options) {
  if (!module_)
    return emitError(UnknownLoc::get(context_.get()), "no module to compile");
  if (to <= phase_)
    return success();
  PassManager pm(context_.get());
  enableDebugPrinting(pm);
  buildPhasePipeline(pm, phase_, to, options);
  if (failed(pm.run(*module_)))
    return failure();
  phase_ = to == Phase::Emit ? Phase::MemoryPlan : to;
  return success();
}

FailureOr<std::string> CompilerSession::emit(const PipelineOptions &options) {
  if (failed(runTo(Phase::MemoryPlan, options)))
    return failure();
  // Emission assumes a valid contract: check it again after the plan.
  PassManager pm(context_.get());
  pm.addPass(createVerifyEdgeContract());
  if (failed(pm.run(*module_)))
    return failure();
  instructionDebug_.clear();
  return emitPte(*module_, constantMethods_, options.delegatesInSegments, &instructionDebug_);
}

LogicalResult CompilerSession::partition(const std::string &backend,
                                         const std::map<std::string, std::string> &options) {
  if (failed(runTo(Phase::Edge)))
    return failure();
  if (phase_ > Phase::Partition)
    return emitError(UnknownLoc::get(context_.get()),
                     "partitioning must come before memory planning");
  std::string error;
  std::shared_ptr<const BackendPartitioner> partitioner = createPartitioner(backend, options, &error);
  if (!partitioner)
    return emitError(UnknownLoc::get(context_.get()), error);
  PassManager pm(context_.get());
  enableDebugPrinting(pm);
  pm.addPass(createPartitionPass(std::move(partitioner)));
  if (failed(pm.run(*module_)))
    return failure();
  phase_ = Phase::Partition;
  return verify(*module_);
}

std::string CompilerSession::delegationSummary() const {
  return module_ ? summarizeDelegation(module_.get()).str() : "";
}

std::string CompilerSession::print(bool full) const {
  if (!module_)
    return "";
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (!full)
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
  mlir::ModuleOp module = module_.get();
  module.print(os, flags);
  return os.str();
}

std::string CompilerSession::takeDiagnostics() {
  std::string all;
  for (const std::string &d : diagnostics_)
    all += d + "\n";
  diagnostics_.clear();
  return all;
}

} // namespace ember
