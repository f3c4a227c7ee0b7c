//===- InitAll.h - The one place Ember's pieces are registered ------------===//
//
// Dialects, passes and pipelines, and backends' partitioners are registered
// here, explicitly (never through static initialisers the linker can drop).
// Tools call registerAllPasses(); every CompilerSession calls
// registerAllBackends() and registerAllDialects(). A new backend adds one
// line to registerAllBackends().
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/DialectRegistry.h"

namespace ember {

/// Ember's dialects (func, edge, xnnpack; builtin is always there).
void registerAllDialects(mlir::DialectRegistry &registry);

/// Every pass, the partition pass and the phase pipelines (for ember-opt).
void registerAllPasses();

/// Every backend's partitioner, by its runtime backend's name. Idempotent.
void registerAllBackends();

} // namespace ember
