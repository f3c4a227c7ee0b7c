//===- Passes.h - Ember's Edge passes -------------------------------------===//
#pragma once

#include "exir/EdgeDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace ember {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

/// Register every Ember pass with the global registry (for ember-opt and
/// pass pipelines given as text). Explicit, never a static initializer.
void registerAllPasses();

/// Attribute names the memory plan writes.
inline constexpr const char *kOffsetsAttr = "edge.offsets";
inline constexpr const char *kArgOffsetsAttr = "edge.arg_offsets";
inline constexpr const char *kPlannedSizeAttr = "edge.planned_size";

} // namespace ember
