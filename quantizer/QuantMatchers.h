//===- QuantMatchers.h - What the quantize phase's fold passes share -----===//
//
// The pieces of a quantized pattern every fold pass reads the same way: a
// per-tensor dequantized activation, a symmetric int8 weight, the quantize
// (and fused activation) after a float op, the linear's three spellings, the
// refusal recorded on an op left on the reference path, and the erasure of
// what a fold leaves without users.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "exir/EdgeDialect.h"
#include "passes/ChannelsLast.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace ember::quant {

/// The name quantizer refusals are recorded under in `edge.refused`.
constexpr llvm::StringLiteral kQuantizerName = "quantizer";

/// Record on `op` why the quantize phase left it on the reference path (the
/// delegation summary lists it with its source line).
void recordNotFolded(mlir::Operation *op, const llvm::Twine &reason);

/// Whether a quantizer refusal is already recorded on `op`.
bool hasQuantizerRefusal(mlir::Operation *op);

/// Any of PT2E's or torchao's dequantize ops.
bool isDequantize(mlir::Operation *op);
/// Any of PT2E's or torchao's quantize ops.
bool isQuantize(mlir::Operation *op);
/// relu, hardtanh or clamp: the activations a quantized op may absorb.
bool isClampActivation(mlir::Operation *op);

/// A tensor operand that is given (not edge.none).
bool isPresent(mlir::Value v);
/// The element type of a ranked tensor value.
mlir::Type elementOf(mlir::Value v);
/// The static shape of a ranked tensor value.
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);

/// The elements of an integer edge.constant (any width, signed or not).
mlir::FailureOr<llvm::SmallVector<int64_t>> readConstantInts(mlir::Value v);

/// The name of the edge.constant defining `v` ("" if it has none).
llvm::StringRef constantName(mlir::Value v);

/// An int8 or uint8 tensor with the per-tensor parameters a
/// dequantize_per_tensor read it with.
struct QuantizedActivation {
  mlir::Value quantized;
  mlir::FloatAttr scale;
  mlir::IntegerAttr zeroPoint;
};

/// `v` as dequantize_per_tensor(q) (literal parameters) of an int8 or uint8
/// q to float32; else failure with the reason in `why`.
mlir::FailureOr<QuantizedActivation> dequantizedActivation(mlir::Value v, std::string &why);

/// The quantize after a float op's result, with an optional clamp-like
/// activation between, and the clamp [quantMin, quantMax] of the fused op.
struct QuantizedOutput {
  edge::QuantizePerTensorOp quantize;
  mlir::Operation *activation = nullptr;
  int64_t quantMin = 0, quantMax = 0;
};

/// Whether `result` is quantized: read by a quantize op, directly or through
/// one relu, hardtanh or clamp.
bool feedsQuantize(mlir::Value result);

/// `result` -> [relu | hardtanh | clamp] -> quantize_per_tensor to int8 or
/// uint8, each value read by the next op alone; else failure with why.
mlir::FailureOr<QuantizedOutput> quantizedOutput(mlir::Value result, std::string &why);

/// quantize(bound) as torch's quantize_per_tensor computes it for a float32
/// value: round_half_even(float32(bound) * float32(1 / scale)) + zero point,
/// clamped to [quantMin, quantMax].
int64_t quantizeBound(double bound, double scale, int64_t zeroPoint, int64_t quantMin,
                      int64_t quantMax);

/// An int8 weight with zero point 0 and float32 scales per output channel
/// ([N]) or for the whole tensor ([1]).
struct SymmetricWeight {
  mlir::Value weight;
  mlir::Value scales;
};

/// `v` as dequantize_per_channel (axis 0) or dequantize_per_tensor of an int8
/// constant with compile-time zero points all 0, to float32; else failure
/// with why. A per-tensor scale becomes a new [1] constant (one per
/// dequantize, kept in `scaleCache`).
mlir::FailureOr<SymmetricWeight>
symmetricWeight(mlir::Value v, std::string &why,
                llvm::DenseMap<mlir::Operation *, mlir::Value> &scaleCache);

/// A float32 bias of `n` values, or absent (edge.none).
bool isBiasFor(mlir::Value bias, int64_t n);

/// A product with a weight [N, K]: linear(x, w, b), addmm(b, x, permute(w,
/// [1, 0])) or mm(x, permute(w, [1, 0])) (beta and alpha 1, b of shape [N]).
/// bias is null when the product has none.
struct LinearMatch {
  mlir::Value input, weight, bias;
};
std::optional<LinearMatch> matchLinear(mlir::Operation *op);

/// A linear's input seen through a view that keeps rows whole: torch.export
/// runs a linear on [B, S, K] as view to [B * S, K], linear, view back, so
/// the dequantize of x sits before the view. Per-tensor and per-token
/// quantization commute with such a view.
struct RowView {
  mlir::Value source;      ///< the view's input, or the value itself
  edge::ViewOp view;       ///< null when there is no such view
};
RowView throughRowView(mlir::Value v);

/// `view` applied to `x` instead (same sizes; x has the rows of view's input),
/// made at the builder's insertion point; `x` itself when `view` is null.
mlir::Value reapplyView(mlir::OpBuilder &b, edge::ViewOp view, mlir::Value x);

/// Erase `root`, then every op of a quantized pattern (dequantize, quantize,
/// choose_qparams, the float op or max pool, activations, permutes, views,
/// constants, none)
/// left without users, upstream. Each op is erased once.
void eraseDeadChain(mlir::Operation *root);

// The layout helpers the folds share with the float passes.
using ::ember::createPermute;
using ::ember::kToNchw;
using ::ember::kToNhwc;
using ::ember::permutedShape;

/// The value to pass for an absent optional tensor: an edge.none made at
/// the builder's insertion point.
mlir::Value noneValue(mlir::OpBuilder &b, mlir::Location loc);

} // namespace ember::quant
