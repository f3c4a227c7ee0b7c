//===- Passes.cpp - Registration of the quantize phase's passes -----------===//
#include "quantizer/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace ember {
namespace {
#define GEN_PASS_REGISTRATION
#include "quantizer/Passes.h.inc"
} // namespace

void registerQuantizerPasses() { registerEmberQuantizerPasses(); }

void addQuantizePasses(mlir::OpPassManager &pm) {
  // The linears whose input is quantized at run time first: their weight
  // dequantizes are per channel too, and a static fold would not take them
  // anyway (its input must be dequantized with literal parameters).
  pm.addNestedPass<mlir::func::FuncOp>(createFoldLowbitLinear());
  // Lookups of dequantized tables, after the linears: a table tied to an
  // output projection is then read by the lookup alone and goes with it.
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedEmbedding());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldDynamicLinear());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedConvolution());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedLinear());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedAdd());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedMaxPool());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedLut());
  // After the tables: mul(x, sigmoid(x)) is silu there, not a product.
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedMul());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedMean());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedCat());
  // After the linears: an mm by a constant weight is theirs.
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedMatmul());
  pm.addNestedPass<mlir::func::FuncOp>(createReportUnfoldedQuantized());
  // Last: the convolutions and pools the folds made, channels-last.
  pm.addNestedPass<mlir::func::FuncOp>(createChannelsLastQuantized());
}

} // namespace ember
