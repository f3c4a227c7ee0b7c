//===- Importer.h - GraphDesc -> Edge dialect ------------------------------===//
#pragma once

#include "compiler/GraphDesc.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

namespace ember {

/// Add `graph` to `module` as a `func.func` of Edge ops. Weights become
/// `edge.constant` ops over `dense_resource` blobs that point at the
/// caller's memory, which must outlive the module. Fails with a diagnostic
/// at the node's source location when an op is not in the Edge op table or
/// its arguments do not fit the schema.
mlir::LogicalResult importGraph(mlir::ModuleOp module, const GraphDesc &graph);

} // namespace ember
