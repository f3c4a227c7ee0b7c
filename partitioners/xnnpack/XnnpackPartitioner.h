//===- XnnpackPartitioner.h - The XNNPACK backend's compile-time half -----===//
//
// Takes the fp32 Edge ops Debian's XNNPACK (2022) can run (XnnpackSupport),
// and with the `quantized` option the static int8 ops (XnnpackQuantized),
// and compiles each outlined subgraph to ExecuTorch's XNNPACK delegate blob,
// under ExecuTorch's backend name "XnnpackBackend": ExecuTorch's runtime
// runs Ember's delegated files, and Ember's runtime ExecuTorch's.
// docs/xnnpack-compile.md lists the ops, the refusals and the passes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "partitioners/Partitioner.h"
#include "partitioners/xnnpack/XnnpackSupport.h"

namespace ember::xnnpack {

class XnnpackPartitioner : public BackendPartitioner {
public:
  static constexpr const char *kBackendId = "XnnpackBackend";

  explicit XnnpackPartitioner(SupportOptions options = {}) : options(options) {}

  /// Options: `quantized` = "1" also takes the static int8 ops (default
  /// "0": Ember's int8 kernels are faster, see SupportOptions). An unknown
  /// option or value is an error.
  static std::unique_ptr<BackendPartitioner>
  create(const std::map<std::string, std::string> &options, std::string *error);

  llvm::StringRef backendId() const override { return kBackendId; }
  bool supports(mlir::Operation *op, std::string &reason) const override;
  /// Refuses runs of reshapes only (view, clone, squeeze, ...): the portable
  /// path runs a view for free, a delegate would copy.
  bool acceptsRun(llvm::ArrayRef<mlir::Operation *> run, std::string &reason) const override;
  /// Runs ember-lower-to-xnnpack, ember-xnnpack-propagate-nhwc,
  /// ember-xnnpack-fuse-activations and ember-xnnpack-serialize.
  mlir::FailureOr<DelegateBlob> preprocess(mlir::ModuleOp subgraph) const override;

private:
  SupportOptions options;
};

} // namespace ember::xnnpack
