//===- PartitionPass.cpp - The partition phase as a pass ------------------===//
//
// One pass per backend asked for. Built from options (ember-opt:
// --ember-partition="backend=... ops=...") or around a partitioner the
// caller made (CompilerSession::partition, from Python's to_backend).
//
//===----------------------------------------------------------------------===//
#include "partitioners/Partitioner.h"

#include "exir/EdgeDialect.h"
#include "partitioners/xnnpack/XnnpackPasses.h"
#include "mlir/Pass/Pass.h"

namespace ember {
#define GEN_PASS_DECL_PARTITION
#define GEN_PASS_DEF_PARTITION
#include "partitioners/PartitionPasses.h.inc"

namespace {
struct PartitionPass : impl::PartitionBase<PartitionPass> {
  using PartitionBase::PartitionBase;
  explicit PartitionPass(std::shared_ptr<const BackendPartitioner> partitioner)
      : partitioner_(std::move(partitioner)) {
    backend = partitioner_->backendId().str();
  }

  void runOnOperation() override {
    std::shared_ptr<const BackendPartitioner> partitioner = partitioner_;
    if (!partitioner) {
      std::map<std::string, std::string> options;
      if (!ops.empty())
        options["ops"] = ops;
      std::string error;
      partitioner = createPartitioner(backend, options, &error);
      if (!partitioner) {
        getOperation().emitError(error);
        return signalPassFailure();
      }
    }
    if (mlir::failed(partitionModule(getOperation(), *partitioner)))
      signalPassFailure();
  }

private:
  std::shared_ptr<const BackendPartitioner> partitioner_;
};
} // namespace

std::unique_ptr<mlir::Pass>
createPartitionPass(std::shared_ptr<const BackendPartitioner> partitioner) {
  return std::make_unique<PartitionPass>(std::move(partitioner));
}

#define GEN_PASS_REGISTRATION
#include "partitioners/PartitionPasses.h.inc"

void registerPartitionPasses() {
  registerPartition();
  xnnpack::registerXnnpackPasses();  // each backend's lowering passes
}

} // namespace ember
