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
  pm.addNestedPass<mlir::func::FuncOp>(createFoldDynamicLinear());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedConvolution());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedLinear());
  pm.addNestedPass<mlir::func::FuncOp>(createFoldQuantizedAdd());
  pm.addNestedPass<mlir::func::FuncOp>(createReportUnfoldedQuantized());
}

} // namespace ember
