//===- Pipeline.cpp - The compiler's named phases -------------------------===//
#include "compiler/Pipeline.h"

#include "passes/Passes.h"
#include "quantizer/Passes.h"

#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace ember {

static constexpr const char *kPhaseNames[] = {"import",    "edge",        "quantize",
                                              "partition", "memory-plan", "emit"};

llvm::StringRef phaseName(Phase phase) { return kPhaseNames[static_cast<int>(phase)]; }

std::optional<Phase> parsePhase(llvm::StringRef name) {
  for (int i = 0; i < 6; ++i)
    if (name == kPhaseNames[i])
      return static_cast<Phase>(i);
  return std::nullopt;
}

void buildPhasePipeline(OpPassManager &pm, Phase from, Phase to, const PipelineOptions &options) {
  auto runs = [&](Phase p) { return from < p && p <= to; };
  if (runs(Phase::Edge)) {
    pm.addNestedPass<func::FuncOp>(createFuseConvBatchNorm());
    if (options.fuseAttention)
      pm.addNestedPass<func::FuncOp>(createFuseAttention());
    if (options.fuseLinear)
      pm.addNestedPass<func::FuncOp>(createFuseLinear());
    pm.addPass(createVerifyEdgeContract());
  }
  // Quantized patterns become Ember's quantized ops before partitioning;
  // backends plug in after (CompilerSession::partition).
  if (runs(Phase::Quantize) && options.foldQuantized)
    addQuantizePasses(pm);
  if (runs(Phase::MemoryPlan)) {
    // After partitioning: fuse only what the backends left.
    if (options.fuseActivations) {
      pm.addNestedPass<func::FuncOp>(createFuseActivations());
      pm.addNestedPass<func::FuncOp>(createFuseRmsNorm());
    }
    if (options.channelsLast)
      pm.addNestedPass<func::FuncOp>(createChannelsLast());
    pm.addNestedPass<func::FuncOp>(createFoldCacheUpdate());
    pm.addPass(createVerifyEdgeContract());
    PlanMemoryOptions plan;
    plan.alignment = options.alignment;
    plan.planInputs = options.planInputs;
    plan.planOutputs = options.planOutputs;
    plan.algorithm = options.algorithm;
    plan.aliasViews = options.aliasViews;
    pm.addNestedPass<func::FuncOp>(createPlanMemory(plan));
  }
}

namespace {
struct CompileOptions : public PassPipelineOptions<CompileOptions> {
  Option<std::string> to{*this, "to",
                         llvm::cl::desc("Last phase to run: edge, quantize, partition, memory-plan"),
                         llvm::cl::init("memory-plan")};
  Option<int64_t> alignment{*this, "alignment", llvm::cl::desc("Tensor alignment in bytes"),
                            llvm::cl::init(16)};
  Option<bool> foldQuantized{*this, "fold-quantized",
                             llvm::cl::desc("quantize: fold Q/DQ patterns into quantized ops"),
                             llvm::cl::init(true)};
};
} // namespace

void registerPhasePipelines() {
  PassPipelineRegistration<CompileOptions>(
      "ember-compile", "Run Ember's phases from imported IR up to `to`",
      [](OpPassManager &pm, const CompileOptions &opts) {
        std::optional<Phase> to = parsePhase(opts.to);
        PipelineOptions options;
        options.alignment = opts.alignment;
        options.foldQuantized = opts.foldQuantized;
        buildPhasePipeline(pm, Phase::Import, to.value_or(Phase::MemoryPlan), options);
      });
}

} // namespace ember
