//===- TestBackend.h - EmberTestBackend: proves the delegate path ---------===//
//
// A backend whose blob is itself a complete .pte (the subgraph as method
// `forward`, emitted by Ember's own serializer) and whose runtime half
// (runtime/backends/test) runs that nested program with the portable
// kernels. It exercises every piece of delegation (partitioning, outlining,
// blobs inline and in segments, DelegateCall, backend init/execute/destroy)
// without depending on a real accelerator library.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <set>

#include "partitioners/Partitioner.h"

namespace ember {

class TestBackendPartitioner : public BackendPartitioner {
public:
  static constexpr const char *kBackendId = "EmberTestBackend";
  static constexpr const char *kNamedBlobMagic = "EMBER_NAMED:";
  static constexpr const char *kNamedDataPrefix = "EmberTestBackend/";

  /// Options: "ops" = comma-separated Edge op names it takes (e.g.
  /// "edge.add.Tensor,edge.relu"); empty or absent = every ATen-mirroring op.
  /// "named_data" = "1": store the nested program in the .pte's named data
  /// (key: kNamedDataPrefix + a hash of its bytes) and make the blob just
  /// the reference `kNamedBlobMagic` + key, as a backend that shares
  /// weights between delegates would.
  static std::unique_ptr<BackendPartitioner>
  create(const std::map<std::string, std::string> &options, std::string *error);

  llvm::StringRef backendId() const override { return kBackendId; }
  bool supports(mlir::Operation *op, std::string &reason) const override;
  mlir::FailureOr<DelegateBlob> preprocess(mlir::ModuleOp subgraph) const override;

private:
  std::set<std::string> ops_;  // empty: all
  bool namedData_ = false;
};

} // namespace ember
