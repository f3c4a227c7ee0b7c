//===- Pipeline.h - The compiler's named phases ---------------------------===//
//
// import -> edge -> quantize -> partition -> memory-plan -> emit. Any prefix
// can be run and the IR inspected after it (ember-opt --ember-compile-to=...,
// or CompilerSession::runPhases from Python).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <string>

#include "llvm/ADT/StringRef.h"
#include "mlir/Pass/PassManager.h"

namespace ember {

enum class Phase { Import, Edge, Quantize, Partition, MemoryPlan, Emit };

/// "import", "edge", "quantize", "partition", "memory-plan", "emit".
llvm::StringRef phaseName(Phase phase);
std::optional<Phase> parsePhase(llvm::StringRef name);

/// Options of the phases (EdgeCompileConfig and ExecutorchBackendConfig on
/// the Python side).
struct PipelineOptions {
  bool fuseAttention = true;        ///< edge: run ember-fuse-attention
  bool fuseLinear = true;           ///< edge: run ember-fuse-linear
  bool foldQuantized = true;        ///< quantize: fold Q/DQ patterns (quantizer/)
  bool fuseActivations = true;      ///< memory plan: run ember-fuse-activations and -rms-norm first
  bool channelsLast = true;         ///< memory plan: run ember-channels-last (after the fusions)
  int64_t alignment = 16;
  bool planInputs = true;
  bool planOutputs = true;
  std::string algorithm = "best";   ///< memory planning: best or one algorithm's name
  bool aliasViews = true;           ///< views share their input's memory (et_view)
  bool delegatesInSegments = true;  ///< emit: delegate blobs as segments, else inline
};

/// Add the passes that take IR at the end of phase `from` to the end of
/// phase `to` (the emit phase has no passes: it is the serializer).
void buildPhasePipeline(mlir::OpPassManager &pm, Phase from, Phase to,
                        const PipelineOptions &options = {});

/// Register `ember-compile` (option `to=<phase>`) for ember-opt.
void registerPhasePipelines();

} // namespace ember
