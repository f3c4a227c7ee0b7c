//===- EdgeConstants.h - Reading and making edge.constant data ------------===//
//
// Passes that fold weights (conv + batch norm, a backend's weight packing)
// read a constant's bytes and make new constants. The bytes are the tensor's
// little-endian elements in row-major order (booleans one byte each).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <vector>

#include "llvm/ADT/SmallVector.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace ember::edge {

/// The bytes of an elements attribute (a constant, a buffer's initial value,
/// a delegate blob): a view of a resource blob's data, which outlives the
/// compile, or bytes converted here (dense data, splats expanded, i1 as one
/// byte each) and owned by the struct (`bytes` points into `owned`).
struct ElementBytes {
  std::vector<char> owned;
  llvm::ArrayRef<char> bytes;
};

/// Fails when the data is missing, of the wrong size or not dense; an error
/// at `diagnose` says which, when it is not null.
mlir::FailureOr<ElementBytes> elementBytes(mlir::ElementsAttr value,
                                           mlir::Operation *diagnose = nullptr);

/// The number a Scalar attribute holds (an op's alpha, other, fill value:
/// integer, float or bool), or nullopt for anything else.
std::optional<double> scalarValue(mlir::Attribute attr);

/// The elements of an f32 constant as floats (failure if not an f32 constant).
mlir::FailureOr<llvm::SmallVector<float>> readConstantF32(mlir::Value value);

/// Constants of at most this many bytes are made as dense attributes.
constexpr size_t kInlineConstantBytes = 64;

/// A new edge.constant of `type` holding a copy of `bytes`: a dense attribute
/// up to kInlineConstantBytes, else a dense_resource blob named after `name`
/// (made unique). `name` also becomes the constant's name attribute.
mlir::Value createConstant(mlir::OpBuilder &builder, mlir::Location loc,
                           mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
                           llvm::StringRef name);

/// A new f32 edge.constant of `shape` from `values`.
mlir::Value createConstantF32(mlir::OpBuilder &builder, mlir::Location loc,
                              llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<float> values,
                              llvm::StringRef name = "");

} // namespace ember::edge
