//===- PteEmitter.h - Edge IR + memory plan -> .pte bytes -----------------===//
#pragma once

#include <string>

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

namespace ember {

/// Serialize every function of a planned Edge module (after
/// ember-plan-memory) as one ExecutionPlan of an ExecuTorch-1.4 compatible
/// .pte. Plans are sorted by method name; constants are deduplicated by
/// content into the constant segment. Output is byte-identical for the same
/// module. Fails with a diagnostic at the op that cannot be emitted.
mlir::FailureOr<std::string> emitPte(mlir::ModuleOp module);

} // namespace ember
