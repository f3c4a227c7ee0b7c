//===- PartitionPass.cpp - The partition phase as a pass ------------------===//
#include "partitioners/Partitioner.h"

#include "exir/EdgeDialect.h"
#include "mlir/Pass/Pass.h"

namespace ember {
#define GEN_PASS_DECL_PARTITION
#define GEN_PASS_DEF_PARTITION
#include "partitioners/PartitionPasses.h.inc"

namespace {
struct PartitionPass : impl::PartitionBase<PartitionPass> {
  using PartitionBase::PartitionBase;
  void runOnOperation() override {
    std::map<std::string, std::string> options;
    if (!ops.empty())
      options["ops"] = ops;
    std::string error;
    auto partitioner = createPartitioner(backend, options, &error);
    if (!partitioner) {
      getOperation().emitError(error);
      return signalPassFailure();
    }
    if (mlir::failed(partitionModule(getOperation(), *partitioner)))
      signalPassFailure();
  }
};
} // namespace

#define GEN_PASS_REGISTRATION
#include "partitioners/PartitionPasses.h.inc"

void registerPartitionPasses() { registerPartition(); }

} // namespace ember
