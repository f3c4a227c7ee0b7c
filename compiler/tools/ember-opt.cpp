//===- ember-opt.cpp - Run Ember's passes on Edge IR text -----------------===//
//
// mlir-opt with Ember's dialects, passes and phase pipelines:
//   ember-opt input.mlir --ember-verify-edge-contract
//   ember-opt input.mlir --ember-compile=to=memory-plan
//
//===----------------------------------------------------------------------===//
#include "compiler/InitAll.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  ember::registerAllPasses();
  ember::registerAllBackends();
  mlir::DialectRegistry registry;
  ember::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Ember Edge IR optimizer driver\n", registry));
}
