//===- EdgeDialect.h - The Edge dialect -----------------------------------===//
#pragma once

#include <string>

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "exir/EdgeDialect.h.inc"

#define GET_OP_CLASSES
#include "exir/EdgeOps.h.inc"

namespace ember::edge {

/// Where an Edge op came from, as users read it: "file.py:42 (node)" for the
/// importer's locations (the node's name in the exported graph and the
/// user's source line), the node name alone when no line was recorded,
/// MLIR's own form otherwise. Used by diagnostics and the delegation summary.
void printLocation(llvm::raw_ostream &os, mlir::Location loc);
std::string describeLocation(mlir::Location loc);

} // namespace ember::edge
