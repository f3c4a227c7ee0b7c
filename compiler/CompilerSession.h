//===- CompilerSession.h - One compile: context, module, diagnostics ------===//
//
// What the Python binding drives: an MLIR context with Ember's dialects, the
// module being compiled, and every diagnostic collected as text (never
// printed, never thrown), so that the binding can turn a failure into one
// Python exception that names the op and its source line.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/GraphDesc.h"
#include "compiler/Pipeline.h"
#include "serializer/PteEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace ember {

class CompilerSession {
public:
  CompilerSession();
  ~CompilerSession();

  /// Import every method (one function each) into a new module.
  mlir::LogicalResult importGraphs(const std::vector<GraphDesc> &graphs);
  /// Parse a module from MLIR text (tests, ember-opt round trips).
  mlir::LogicalResult parse(const std::string &text);

  /// Run the phases after `phase()` up to `to`.
  mlir::LogicalResult runTo(Phase to, const PipelineOptions &options = {});
  /// The partition phase for one backend: outline the runs of ops its
  /// partitioner takes into edge.delegate_call ops (after the edge phase).
  mlir::LogicalResult partition(const std::string &backend,
                                const std::map<std::string, std::string> &options);
  /// Per backend, the delegates and the ops they took; the ops left to the
  /// portable kernels.
  std::string delegationSummary() const;

  /// Methods that return a constant, emitted beside the functions.
  void setConstantMethods(std::vector<ConstantMethod> methods) {
    constantMethods_ = std::move(methods);
  }
  /// Serialize the planned module (runs up to memory-plan first if needed).
  mlir::FailureOr<std::string> emit(const PipelineOptions &options = {});
  /// What each kernel or delegate call of the last emit() runs, and from
  /// which source lines (the Inspector's map from profile events to code).
  const std::vector<InstructionDebug> &instructionDebug() const { return instructionDebug_; }

  /// The IR as text; large constants elided unless `full`.
  std::string print(bool full = false) const;
  /// Diagnostics since the last call that cleared them, one per line with location.
  std::string takeDiagnostics();
  Phase phase() const { return phase_; }
  mlir::ModuleOp module() const { return module_.get(); }

private:
  std::vector<InstructionDebug> instructionDebug_;
  std::unique_ptr<mlir::MLIRContext> context_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  std::vector<std::string> diagnostics_;
  std::vector<ConstantMethod> constantMethods_;
  Phase phase_ = Phase::Import;
};

} // namespace ember
