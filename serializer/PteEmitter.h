//===- PteEmitter.h - Edge IR + memory plan -> .pte bytes -----------------===//
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "llvm/ADT/ArrayRef.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

namespace ember {

/// A method that returns a constant (ExecuTorch's `constant_methods`, e.g.
/// get_max_seq_len): no inputs, no instructions, one output value, or for a
/// List one output per item (as ExecuTorch emits get_eos_ids = [2]: a list
/// container of scalars).
struct ConstantMethod {
  enum class Kind { Int, Double, Bool, String, List };
  std::string name;
  Kind kind = Kind::Int;
  int64_t intValue = 0;
  double doubleValue = 0;
  bool boolValue = false;
  std::string stringValue;
  std::vector<ConstantMethod> items;  ///< List: the scalars (their names unused)
};

/// Serialize every function of a planned Edge module (after
/// ember-plan-memory), and the constant methods, as the ExecutionPlans of an
/// ExecuTorch-1.4 compatible .pte. Plans are sorted by method name; constants
/// are deduplicated by content into the constant segment; mutable buffers'
/// initial values go to the mutable-data segment. Output is byte-identical
/// for the same input. Fails with a diagnostic at the op that cannot be emitted.
/// Delegate blobs go into segments (as ExecuTorch does by default) or inline
/// in Program.backend_delegate_data.
/// What one instruction of a method runs, for tying a profile's events
/// (whose debug handle is the instruction's index) back to the graph and to
/// the user's source (the devtools' Inspector).
struct InstructionDebug {
  std::string method;
  uint32_t instruction = 0;  ///< index in the method's chain
  std::string op;            ///< the Edge op (edge.linear, edge.delegate_call, ...)
  std::string target;        ///< the kernel ("aten::addmm.out") or the backend
  std::string source;        ///< the user's source lines ("model.py:12", ...; "; "-joined)
  /// A kernel call of an op that backends were asked to take and refused:
  /// (backend, why) per refusal, as the delegation summary lists them.
  std::vector<std::pair<std::string, std::string>> refused;
  /// A delegate call: (Edge op, count) of the ops it runs, by op name.
  std::vector<std::pair<std::string, int64_t>> delegatedOps;
};

/// `debug`, when given, receives one entry per kernel or delegate call.
mlir::FailureOr<std::string> emitPte(mlir::ModuleOp module,
                                     llvm::ArrayRef<ConstantMethod> constantMethods = {},
                                     bool delegatesInSegments = true,
                                     std::vector<InstructionDebug> *debug = nullptr);

} // namespace ember
