//===- EdgeVerifierUtils.h - Helpers shared by the Edge op verifiers ------===//
//
// The building blocks of the hand-written verifiers (exir/EdgeVerifiers.cpp
// and exir/verifiers/*.cpp): shape printing, result checks, broadcasting and
// dim normalisation, each emitting a diagnostic that names the sizes at fault.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <string>

#include "exir/EdgeDialect.h"

#include "llvm/ADT/SmallVector.h"

namespace ember::edge::verify {

/// "[2, ?, 4]".
std::string shapeStr(llvm::ArrayRef<int64_t> shape);

/// Equal ranks and equal sizes, a dynamic size (ShapedType::kDynamic, printed
/// "?") matching any size: what cannot be checked statically is checked by
/// the kernel at run time.
bool shapesCompatible(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// Check `result` has shape `expected` (in the sense of shapesCompatible) and, when `elementType` is set, that
/// element type.
mlir::LogicalResult checkResult(mlir::Operation *op, mlir::Value result,
                                llvm::ArrayRef<int64_t> expected, mlir::Type elementType);

/// NumPy broadcasting of two shapes; failure emits a diagnostic naming both.
mlir::FailureOr<llvm::SmallVector<int64_t>> broadcast(mlir::Operation *op,
                                                      llvm::ArrayRef<int64_t> a,
                                                      llvm::ArrayRef<int64_t> b);

/// A possibly negative `dim` wrapped into [0, rank) (a 0-d tensor accepts -1
/// and 0, as ATen does); failure emits "dim D is out of range for a R-d
/// tensor" naming `what`.
mlir::FailureOr<int64_t> normalizeDim(mlir::Operation *op, int64_t dim, int64_t rank,
                                      llvm::StringRef what = "dim");

llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);
mlir::Type elementOf(mlir::Value v);

/// The shared rule of binary elementwise ops: operand 0 and 1 broadcast to
/// the result's shape.
mlir::LogicalResult verifyBinary(mlir::Operation *op);

/// The result sizes of a forward convolution of input `x` by weight `w`
/// ([OC, C / groups, K...]), channels at dim 1, or at dim 3 when
/// `channelsLast`: checks that the groups divide the output channels and
/// match the input's, that stride, padding and dilation have an entry per
/// spatial dim with positive strides and dilations and no negative padding,
/// and that each kernel fits its padded input; a dynamic input size gives a
/// dynamic output size. Failure emits the diagnostic on `op`. Shared by the
/// float and int8 channels-last convolutions and the int8 NCHW one.
mlir::FailureOr<llvm::SmallVector<int64_t>>
forwardConvolutionSizes(mlir::Operation *op, llvm::ArrayRef<int64_t> x, llvm::ArrayRef<int64_t> w,
                        int64_t groups, llvm::ArrayRef<int64_t> stride,
                        llvm::ArrayRef<int64_t> padding, llvm::ArrayRef<int64_t> dilation,
                        bool channelsLast);

}  // namespace ember::edge::verify
