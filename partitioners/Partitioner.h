//===- Partitioner.h - Backends' compile-time half ------------------------===//
//
// A backend plugs into the compiler with a BackendPartitioner: which Edge ops
// it takes, and a preprocess step that compiles an outlined subgraph (a
// module holding one function, @forward) into the blob its runtime backend
// executes. partitionModule() does the rest for every backend alike: it
// outlines maximal runs of supported ops into edge.delegate_call ops, and
// records on every op a backend refused why (for the delegation summary).
//
// Backends register by name (registerBackendPartitioner), explicitly, from
// registerAllBackends() in compiler/InitAll.cpp.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
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
  /// Whether the backend takes `op` (an ATen-mirroring Edge op). When it
  /// does not, `reason` says why in a few words ("batch matmul: not in
  /// XNNPACK 2022", "weight is not a constant"); the delegation summary
  /// shows it beside the op's source line.
  virtual bool supports(mlir::Operation *op, std::string &reason) const = 0;
  /// Whether a maximal run of ops it takes (in program order) is worth a
  /// delegate call. When not, the run stays on the portable path and
  /// `reason` is recorded on each of its ops (e.g. a run of reshapes only,
  /// which the portable path runs as free views). Default: every run.
  virtual bool acceptsRun(llvm::ArrayRef<mlir::Operation *> run, std::string &reason) const {
    (void)run;
    (void)reason;
    return true;
  }
  /// Compile `subgraph` (one func.func @forward of Edge ops) to a blob.
  virtual mlir::FailureOr<DelegateBlob> preprocess(mlir::ModuleOp subgraph) const = 0;
};

/// What partitioning did, for the delegation summary.
struct DelegationSummary {
  struct Backend {
    unsigned delegates = 0;
    std::map<std::string, unsigned> ops;  ///< Edge op name -> number delegated
  };
  /// An op left on the portable kernels: where the user wrote it and why
  /// each backend that was asked refused it.
  struct Fallback {
    std::string op;        ///< Edge op name
    std::string location;  ///< "file.py:42 (node)", or the node name alone
    std::vector<std::pair<std::string, std::string>> refusals;  ///< backend, reason
  };
  std::map<std::string, Backend> backends;
  std::map<std::string, unsigned> portableOps;  ///< ops left to portable kernels
  std::vector<Fallback> fallbacks;               ///< in program order

  /// A table: per backend, delegates and ops; then the ops left on portable
  /// kernels; then, when backends were asked, each fallback with its source
  /// line and reasons.
  std::string str() const;
};

/// The attribute partitionModule() puts on an op a backend refused: a
/// dictionary of backend name -> reason.
constexpr llvm::StringLiteral kRefusedAttrName = "edge.refused";
/// The attribute outline() puts on an edge.delegate_call: a dictionary of
/// Edge op name -> how many of them the delegate runs (its blob is opaque).
constexpr llvm::StringLiteral kDelegatedOpsAttrName = "edge.delegated_ops";

/// Record on `op` that `backend` refused it and why, in kRefusedAttrName
/// (an earlier reason of the same backend is replaced). The quantize phase
/// records under "quantizer" why it left a quantized pattern on the
/// reference path; the delegation summary lists both with the source line.
void recordRefusal(mlir::Operation *op, llvm::StringRef backend, llvm::StringRef reason);

/// Replace every maximal run of ops `partitioner` supports, in every
/// function, by an edge.delegate_call whose blob its preprocess made.
mlir::LogicalResult partitionModule(mlir::ModuleOp module, const BackendPartitioner &partitioner);

/// Count delegated and portable ops in `module`.
DelegationSummary summarizeDelegation(mlir::ModuleOp module);

/// Makes a backend's partitioner from its options (strings), or returns null
/// and sets `error` when an option is bad.
using PartitionerFactory = std::function<std::unique_ptr<BackendPartitioner>(
    const std::map<std::string, std::string> &options, std::string *error)>;

/// Add a backend to the registry (a second registration of a name replaces
/// nothing and returns false).
bool registerBackendPartitioner(llvm::StringRef backend, PartitionerFactory factory);

/// Create a registered partitioner by backend name with options
/// ("ops" = comma-separated Edge op names, ...). Null if unknown.
std::unique_ptr<BackendPartitioner>
createPartitioner(llvm::StringRef backend, const std::map<std::string, std::string> &options,
                  std::string *error);

/// Names of the backends a partitioner exists for.
std::vector<std::string> registeredPartitioners();

/// The partition phase's pass for one backend (runs in the phase pipeline,
/// so EMBER_DEBUG prints the IR after it).
std::unique_ptr<mlir::Pass> createPartitionPass(std::shared_ptr<const BackendPartitioner> partitioner);

/// Register the `ember-partition` pass and the backends' lowering passes
/// (for ember-opt).
void registerPartitionPasses();

} // namespace ember
