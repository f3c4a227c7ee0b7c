//===- XnnpackUtils.h - Constants and shapes for the XNNPACK lowering -----===//
//
// Helpers the XNNPACK passes share (constants are read and made with
// exir/EdgeConstants.h): permuting data and shapes, building transposes and
// reshapes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <vector>

#include "exir/EdgeConstants.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LogicalResult.h"

namespace ember::xnnpack {

using edge::scalarValue;

/// The shape of a ranked tensor value.
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);

/// An fp32 tensor type.
mlir::RankedTensorType f32Tensor(mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> shape);

/// Whether `v` is an fp32 tensor.
bool isF32Tensor(mlir::Value v);

/// A tensor type of `shape` with the element type of `like` (fp32, or the
/// int8 of a quantized value).
mlir::RankedTensorType tensorLike(mlir::Value like, llvm::ArrayRef<int64_t> shape);

/// Per-tensor quantization of an 8-bit activation: real = (q - zeroPoint) * scale.
struct QuantParams {
  double scale = 0.0;
  int64_t zeroPoint = 0;
  bool operator==(const QuantParams &o) const {
    return scale == o.scale && zeroPoint == o.zeroPoint;
  }
};

/// The names of a quantized node's result parameters, of a convolution's or
/// fully-connected node's filter scales, and of the function argument
/// attributes that give a quantized delegate input its parameters.
inline constexpr llvm::StringLiteral kResultScaleAttr = "result_scale";
inline constexpr llvm::StringLiteral kResultZeroPointAttr = "result_zero_point";
inline constexpr llvm::StringLiteral kArgScaleAttr = "xnnpack.scale";
inline constexpr llvm::StringLiteral kArgZeroPointAttr = "xnnpack.zero_point";

/// Whether `v` is an int8 or uint8 tensor (a quantized activation or filter).
bool isQuantizedTensor(mlir::Value v);

/// The quantization of an 8-bit activation in XNNPACK IR: a node's
/// result_scale / result_zero_point, a function argument's xnnpack.scale /
/// xnnpack.zero_point, or, through the nodes that keep it (transposes,
/// reshapes, max pooling, clamps), its input's. nullopt for other values.
std::optional<QuantParams> quantParamsOf(mlir::Value v);

/// The bytes of a constant (any element type), nullopt if not a constant
/// with data.
std::optional<std::vector<char>> readConstantBytes(mlir::Value v);

/// Whether `v` is the result of an edge.constant (any element type).
bool isConstant(mlir::Value v);

/// Whether `v` is an fp32 edge.constant whose data is there (what
/// edge::readConstantF32 reads). Cheap: a resource blob is viewed, not copied.
bool isF32Constant(mlir::Value v);

/// `shape` permuted: result dim i is dim perm[i].
llvm::SmallVector<int64_t> permuteShape(llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<int64_t> perm);

/// The elements of a row-major tensor of `shape` permuted by `perm`.
llvm::SmallVector<float> permuteData(llvm::ArrayRef<float> data, llvm::ArrayRef<int64_t> shape,
                                     llvm::ArrayRef<int64_t> perm);

/// The `elementSize`-byte elements of a row-major tensor of `shape`
/// permuted by `perm` (int8 filters).
std::vector<char> permuteBytes(llvm::ArrayRef<char> data, size_t elementSize,
                               llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> perm);

/// Whether permuting `shape` by `perm` keeps the dims larger than 1 in
/// their order: then the transpose moves no data and is a reshape.
bool movesOnlyUnitDims(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> perm);

/// The inverse permutation.
llvm::SmallVector<int64_t> invertPermutation(llvm::ArrayRef<int64_t> perm);

/// xnnpack.static_transpose of `v` by `perm`.
mlir::Value createTranspose(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                            llvm::ArrayRef<int64_t> perm);

/// xnnpack.static_reshape of `v` to `shape` (`v` itself when it has it).
mlir::Value createReshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                          llvm::ArrayRef<int64_t> shape);

} // namespace ember::xnnpack
