//===- Passes.cpp - Registration of Ember's passes ------------------------===//
#include "passes/Passes.h"

#include <cstdlib>

#include "mlir/Pass/PassManager.h"

namespace ember {
namespace {
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace

void registerEdgePasses() { registerEmberPasses(); }

void enableDebugPrinting(mlir::PassManager &pm) {
  const char *debug = std::getenv("EMBER_DEBUG");
  if (!debug || !*debug || *debug == '0')
    return;
  mlir::OpPrintingFlags flags;
  flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
  pm.enableIRPrinting([](mlir::Pass *, mlir::Operation *) { return false; },
                      [](mlir::Pass *, mlir::Operation *) { return true; },
                      /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false,
                      /*printAfterOnlyOnFailure=*/false, llvm::errs(), flags);
}

} // namespace ember
