//===- Passes.h - The quantize phase's passes -----------------------------===//
//
// Passes that fold PT2E's and torchao's quantize/dequantize patterns into
// Ember's quantized Edge ops (exir/ops.yaml, "quantization"), run in the
// quantize phase, before partitioning.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "exir/EdgeDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace ember {

#define GEN_PASS_DECL
#include "quantizer/Passes.h.inc"

/// Register the quantize phase's passes with the global registry (for
/// ember-opt). Explicit, never a static initializer.
void registerQuantizerPasses();

/// Add the quantize phase's passes to `pm`, in their order: the low-bit
/// linears, the quantized embeddings, the dynamic linears, then the static
/// convolution, linear, add, max pool, activation tables, products, means,
/// concatenations and matrix products of two activations, then
/// the report on what stays in float between a dequantize and a quantize,
/// and last the channels-last layout of the quantized convolutions and pools.
void addQuantizePasses(mlir::OpPassManager &pm);

} // namespace ember
