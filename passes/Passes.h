//===- Passes.h - Ember's Edge passes -------------------------------------===//
#pragma once

#include "exir/EdgeDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class PassManager;
}

namespace ember {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

/// Register every Ember pass with the global registry (for ember-opt and
/// pass pipelines given as text). Explicit, never a static initializer.
void registerEdgePasses();

/// EMBER_DEBUG=1 (any value but 0) prints the IR after every pass of `pm` to
/// stderr: the compiler's phases and the pipelines backends run inside
/// their preprocess step.
void enableDebugPrinting(mlir::PassManager &pm);

/// The per-channel map y = x * scale + shift an inference batch norm computes
/// (scale = gamma / sqrt(var + eps), shift = beta - mean * scale, in double).
struct BatchNormAffine {
  llvm::SmallVector<double> scale, shift;
};

/// `bn`'s map, when its running statistics and its weight and bias (each may
/// be absent) are f32 constants with one element per channel of its input
/// (dim 1). Used by ember-fuse-conv-batch-norm and by backends lowering a
/// batch norm on its own.
mlir::FailureOr<BatchNormAffine> batchNormAffine(edge::NativeBatchNormLegitNoTrainingOp bn);

/// Attribute names the memory plan writes. Per op: the offset of each result
/// (-1: not planned) and, when not all 1, their arenas; per function: the
/// arguments' offsets, each arena's size (index: memory id - 1), the lower
/// bound per arena, the algorithm whose plan was kept and every candidate's
/// total size.
inline constexpr const char *kOffsetsAttr = "edge.offsets";
inline constexpr const char *kMemoryIdsAttr = "edge.memory_ids";
inline constexpr const char *kArgOffsetsAttr = "edge.arg_offsets";
inline constexpr const char *kPlannedSizesAttr = "edge.planned_sizes";
inline constexpr const char *kLowerBoundAttr = "edge.memory_lower_bound";
inline constexpr const char *kAlgorithmAttr = "edge.memory_algorithm";
inline constexpr const char *kCandidatesAttr = "edge.memory_candidates";
/// On a view op: its result shares its input's memory (at the same offset;
/// emitted as executorch_prim::et_view).
inline constexpr const char *kViewAliasAttr = "edge.view_alias";
/// On an edge.update_cache: its result is its cache, a mutable buffer (at the
/// same offset), so it writes the buffer in place and its write-back copies
/// nothing (the emitter leaves it out).
inline constexpr const char *kInPlaceAttr = "edge.in_place";
/// Read by the plan: the arena (memory id, 1-based) of an op's results or of
/// a function argument; arena 1 when absent.
inline constexpr const char *kMemoryIdAttr = "edge.memory_id";

} // namespace ember
