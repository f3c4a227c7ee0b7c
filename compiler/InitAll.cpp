//===- InitAll.cpp - The one place Ember's pieces are registered ----------===//
#include "compiler/InitAll.h"

#include "compiler/Pipeline.h"
#include "exir/EdgeDialect.h"
#include "partitioners/Partitioner.h"
#include "partitioners/test/TestBackend.h"
#include "partitioners/xnnpack/XnnpackDialect.h"
#include "partitioners/xnnpack/XnnpackPartitioner.h"
#include "passes/Passes.h"
#include "quantizer/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace ember {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::func::FuncDialect, edge::EdgeDialect, xnnpack::XnnpackDialect>();
}

void registerAllPasses() {
  registerEdgePasses();
  registerQuantizerPasses();
  registerPartitionPasses();
  registerPhasePipelines();
}

void registerAllBackends() {
  static const bool once = [] {
    registerBackendPartitioner(TestBackendPartitioner::kBackendId, TestBackendPartitioner::create);
    registerBackendPartitioner(xnnpack::XnnpackPartitioner::kBackendId,
                               xnnpack::XnnpackPartitioner::create);
    return true;
  }();
  (void)once;
}

} // namespace ember
