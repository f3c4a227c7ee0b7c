//===- XnnpackQuantized.h - Static int8 ops on XNNPACK ----------------------===//
//
// Which of the quantize phase's int8 ops Debian's XNNPACK (2022) can run, and
// their lowering to XNNPACK nodes on int8 values: ember::quantized_convolution
// (2-d, grouped, depthwise; per-channel qcint8 or per-tensor qint8 weights),
// ember::quantized_linear (per-tensor qint8 weights only: the 2022 library has
// no per-channel fully-connected), ember::quantized_add, and
// quantize/dequantize_per_tensor as Convert nodes; dequantize -> max pooling
// -> quantize with one scale and zero point becomes an int8 max pooling.
// docs/xnnpack-compile.md ("Static int8") has the conditions and bounds.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <string>

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackUtils.h"

namespace ember::xnnpack {

/// Whether `op` is one of the static int8 ops above (quantized or not, what
/// the `quantized` partitioner option decides on).
bool isStaticInt8Op(mlir::Operation *op);

/// Whether XNNPACK 2022 takes the static int8 op `op`; `reason` says why not.
bool checkStaticInt8Op(mlir::Operation *op, std::string &reason);

/// dequantize_per_tensor -> max_pool2d_with_indices -> quantize_per_tensor
/// with one scale and zero point (the pooled values are inputs, so int8
/// pooling is exact).
struct Int8MaxPool {
  edge::DequantizePerTensorOp dequantize;
  edge::MaxPool2dWithIndicesOp pool;
  edge::QuantizePerTensorOp quantize;
};
std::optional<Int8MaxPool> matchInt8MaxPool(edge::MaxPool2dWithIndicesOp pool);

/// Rewrite the static int8 op `op` (checked) as XNNPACK nodes; the result
/// replaces op's first result. Function arguments read as quantized values
/// get their parameters (xnnpack.scale, xnnpack.zero_point).
mlir::FailureOr<mlir::Value> lowerStaticInt8Op(mlir::OpBuilder &b, mlir::Operation *op);

/// Give a function argument read as a quantized value its parameters
/// (xnnpack.scale, xnnpack.zero_point), unless it has them.
void setArgumentParams(mlir::Value v, QuantParams params);

/// The int32 bias XNNPACK adds to the int8 products: round(bias[c] /
/// (inputScale * filterScales[c])) (one filter scale, or one per channel),
/// saturated to int32. The rounding moves a real output by at most half a
/// step of inputScale * filterScale, i.e. 0.5 * inputScale * filterScale /
/// outputScale output steps before requantization rounds.
llvm::SmallVector<int32_t> quantizeBias(llvm::ArrayRef<float> bias, double inputScale,
                                        llvm::ArrayRef<float> filterScales);

} // namespace ember::xnnpack
