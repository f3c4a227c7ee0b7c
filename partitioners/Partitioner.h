//===- Partitioner.h - Backends' compile-time half ------------------------===//
//
// A backend plugs into the compiler with a BackendPartitioner: which Edge ops
// it takes, and a preprocess step that compiles an outlined subgraph (a
// module holding one function, @forward) into the blob its runtime backend
// executes. partitionModule() does the rest for every backend alike: it
// outlines maximal runs of supported ops into edge.delegate_call ops.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

namespace ember {

/// What a backend's preprocess step returns.
struct DelegateBlob {
  std::vector<uint8_t> processed;
  std::vector<std::pair<std::string, std::string>> compileSpecs;  ///< key, value bytes
  /// Blobs stored by key in the .pte's named data (once per key program-wide).
  std::vector<std::pair<std::string, std::vector<uint8_t>>> namedData;
};

class BackendPartitioner {
public:
  virtual ~BackendPartitioner() = default;
  /// The name the runtime backend registers under.
  virtual llvm::StringRef backendId() const = 0;
  /// Whether the backend takes `op` (an ATen-mirroring Edge op).
  virtual bool supports(mlir::Operation *op) const = 0;
  /// Compile `subgraph` (one func.func @forward of Edge ops) to a blob.
  virtual mlir::FailureOr<DelegateBlob> preprocess(mlir::ModuleOp subgraph) const = 0;
};

/// What partitioning did, for the delegation summary.
struct DelegationSummary {
  struct Backend {
    unsigned delegates = 0;
    std::map<std::string, unsigned> ops;  ///< Edge op name -> number delegated
  };
  std::map<std::string, Backend> backends;
  std::map<std::string, unsigned> portableOps;  ///< ops left to portable kernels

  /// A table: per backend, delegates and ops; then the ops left on portable kernels.
  std::string str() const;
};

/// Replace every maximal run of ops `partitioner` supports, in every
/// function, by an edge.delegate_call whose blob its preprocess made.
mlir::LogicalResult partitionModule(mlir::ModuleOp module, const BackendPartitioner &partitioner);

/// Count delegated and portable ops in `module`.
DelegationSummary summarizeDelegation(mlir::ModuleOp module);

/// Create a registered partitioner by backend name with options
/// ("ops" = comma-separated Edge op names, ...). Null if unknown.
std::unique_ptr<BackendPartitioner>
createPartitioner(llvm::StringRef backend, const std::map<std::string, std::string> &options,
                  std::string *error);

/// Names of the backends a partitioner exists for.
std::vector<std::string> registeredPartitioners();

/// Register the `ember-partition` pass (for ember-opt).
void registerPartitionPasses();

} // namespace ember
