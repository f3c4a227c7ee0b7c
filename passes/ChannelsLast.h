//===- ChannelsLast.h - NHWC chains of convolutions -----------------------===//
//
// What the channels-last passes share (ember-channels-last for float32
// convolutions, ember-quantized-channels-last for int8 ones): the
// permutations between NCHW and NHWC, and the propagation that moves each
// permute back to NCHW down through the ops that work the same in either
// layout until it cancels against a permute to NHWC.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "exir/EdgeDialect.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace ember {

/// The permutations between NCHW and channels-last (NHWC) activations.
constexpr int64_t kToNhwc[] = {0, 2, 3, 1};
constexpr int64_t kToNchw[] = {0, 3, 1, 2};

/// `shape` permuted: dim k of the result is shape[perm[k]].
llvm::SmallVector<int64_t> permutedShape(llvm::ArrayRef<int64_t> shape,
                                         llvm::ArrayRef<int64_t> perm);

/// A permute of `v` by `perm` made at the builder's insertion point, at
/// `loc`, with `attrs` as its discardable attributes (the source line).
mlir::Value createPermute(mlir::OpBuilder &b, mlir::Location loc, mlir::DictionaryAttr attrs,
                          mlir::Value v, llvm::ArrayRef<int64_t> perm);

/// A permute of `v` by `perm` at `like`'s location (its source line), with
/// none of `like`'s attributes: a backend's refusal of `like` is not the
/// permute's.
edge::PermuteOp permuteAt(mlir::OpBuilder &b, mlir::Operation *like, mlir::Value v,
                          llvm::ArrayRef<int64_t> perm);

/// `v`'s element type in a tensor of `shape`.
mlir::RankedTensorType withShape(mlir::Value v, llvm::ArrayRef<int64_t> shape);

/// A 4-d tensor of static sizes.
bool isStatic4d(mlir::Value v);

/// Moves every permute to NCHW in `f` down through what computes the same
/// in either layout, and cancels it against the next permute to NHWC, so
/// that a chain of channels-last ops hands NHWC tensors from one to the
/// next and transposes only where it starts and ends:
///   - a permute to NCHW read by a permute to NHWC: the latter's result is
///     the former's input;
///   - elementwise ops of one tensor operand (per-tensor quantize and
///     dequantize with literal parameters, activation tables, relu,
///     hardtanh, clamp and the float activations: silu, sigmoid, hardswish,
///     gelu, tanh, ...) run on the NHWC tensor, with a permute to NCHW after
///     them (where the permute moves on again: stopped after a dequantize it
///     would move four times the bytes);
///   - elementwise ops of two permutes to NCHW (edge.quantized_add,
///     edge.quantized_mul, add, sub, mul, div; broadcasting, as a
///     squeeze-excitation gate [N, C, 1, 1] times its feature map), likewise;
///   - a mean over H and W (global average pooling, float or
///     edge.quantized_mean) runs over NHWC's dims 1 and 2; kept dims give
///     [N, 1, 1, C], whose permute to NCHW moves no data;
///   - a cat (float or edge.quantized_cat) of permutes to NCHW only runs on
///     their NHWC inputs, its dim remapped (channels, NCHW's 1, are NHWC's 3);
///   - a float32 2-d max pool whose indices are unused becomes
///     edge.max_pool2d_nhwc.
/// A permute left without users is erased. Only tensors of static sizes move.
void sinkChannelsLastPermutes(mlir::func::FuncOp f);

} // namespace ember
