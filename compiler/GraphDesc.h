//===- GraphDesc.h - An exported program as the importer receives it ------===//
//
// The one coarse hand-over from Python: a torch.export graph after the
// core-ATen decompositions, flattened to plain data. Tensor values are named
// by integer ids; constants point at memory they share ownership of (numpy
// arrays through the buffer protocol: no copy). Python builds these structs
// directly (python/src/graph_bindings.cpp binds them as ember._C.graph).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ember {

/// Element type (.pte ScalarType code) and shape of a tensor. A dynamic
/// tensor's shape is its upper bound: every size symbol at its maximum.
struct TensorDesc {
  int dtype = 6;
  std::vector<int64_t> shape;
  bool dynamic = false;  ///< sizes vary at run time, up to `shape`
};

/// One argument of a node, in schema order, defaults filled in.
struct ArgValue {
  enum class Kind { None, Int, Double, Bool, String, IntList, DoubleList, BoolList, Tensor, TensorList };
  Kind kind = Kind::None;
  int64_t intValue = 0;
  double doubleValue = 0;
  bool boolValue = false;
  std::string stringValue;
  std::vector<int64_t> ints;     ///< IntList; Tensor: {id}; TensorList: ids (-1 = None)
  std::vector<double> doubles;   ///< DoubleList
  std::vector<bool> bools;       ///< BoolList
  /// Run-time values (SymDesc ids) of a symbolic argument: one for an Int or
  /// Double, one per element (-1 where static) for an IntList; empty when
  /// static. The literal fields then hold the values at the upper bound.
  std::vector<int64_t> symIds;
};

/// A value computed at run time from sizes (torch's SymInt / SymFloat).
struct SymDesc {
  enum class Kind { Size, Numel, Op, Constant };
  int64_t id = 0;
  Kind kind = Kind::Constant;
  bool isFloat = false;           ///< SymFloat (f64) rather than SymInt (i64)
  int64_t tensor = -1;            ///< Size, Numel: the tensor's value id
  int64_t dim = 0;                ///< Size
  std::string fn;                 ///< Op: "add", "floordiv", ... (edge.sym_op)
  std::vector<int64_t> operands;  ///< Op: SymDesc ids
  int64_t intValue = 0;           ///< Constant
  double doubleValue = 0;         ///< Constant
};

/// Where in the user's code a node came from.
struct SourceLoc {
  std::string file;
  int line = 0;
  std::string function;
};

/// One call_function node.
struct NodeDesc {
  std::string target;    ///< "aten::convolution"
  std::string overload;  ///< "default", "Tensor", ...
  std::string name;      ///< the FX node's name
  std::vector<ArgValue> args;
  std::vector<TensorDesc> results;
  std::vector<int64_t> resultIds;
  SourceLoc loc;
};

/// A weight, buffer or lifted constant.
struct ConstantDesc {
  int64_t id = 0;
  std::string name;  ///< fully-qualified name ("conv.weight")
  TensorDesc type;
  const void *data = nullptr;
  size_t nbytes = 0;
  /// Keeps `data` alive (the Python array); null when the caller does. The
  /// imported module points at `data`, so whoever imports keeps a copy.
  std::shared_ptr<const void> owner;
  bool mutableBuffer = false;  ///< a buffer the method updates (state across calls)
};

/// A buffer mutation: after the method's other work, buffer `bufferId`
/// takes the value `valueId`.
struct WriteBackDesc {
  int64_t bufferId = 0;
  int64_t valueId = 0;
};

/// A user input.
struct InputDesc {
  int64_t id = 0;
  std::string name;
  TensorDesc type;
};

/// One method's graph.
struct GraphDesc {
  std::string name = "forward";
  std::vector<InputDesc> inputs;
  std::vector<ConstantDesc> constants;
  std::vector<NodeDesc> nodes;
  std::vector<int64_t> outputs;  ///< value ids
  std::vector<WriteBackDesc> writeBacks;
  std::vector<SymDesc> syms;     ///< run-time sizes, created where first used
  std::string inSpec;            ///< pytree container string of the inputs
  std::string outSpec;           ///< ... and of the outputs
};

} // namespace ember
