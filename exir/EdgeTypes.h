//===- EdgeTypes.h - Element types of the Edge contract -------------------===//
//
// The mapping between the .pte ScalarType codes (also torch's dtype order)
// and MLIR element types, shared by the importer and the emitter.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Types.h"

namespace ember::edge {

/// The MLIR element type of a ScalarType code (6 -> f32, 4 -> i64, 11 -> i1,
/// 0 -> ui8), or a null type for codes Ember does not support.
mlir::Type scalarTypeToElementType(mlir::MLIRContext *ctx, int code);

/// The ScalarType code of an element type, or nullopt.
std::optional<int> elementTypeToScalarType(mlir::Type type);

} // namespace ember::edge
