//===- InitAll.cpp - The one place Ember's pieces are registered ----------===//
#include "compiler/InitAll.h"

#include "compiler/Pipeline.h"
#include "exir/EdgeDialect.h"
#include "partitioners/Partitioner.h"
#include "partitioners/test/TestBackend.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace ember {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::func::FuncDialect, edge::EdgeDialect>();
}

void registerAllPasses() {
  registerEdgePasses();
  registerPartitionPasses();
  registerPhasePipelines();
}

void registerAllBackends() {
  static const bool once = [] {
    registerBackendPartitioner(TestBackendPartitioner::kBackendId, TestBackendPartitioner::create);
    return true;
  }();
  (void)once;
}

} // namespace ember
