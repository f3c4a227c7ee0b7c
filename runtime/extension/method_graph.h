// The dataflow of one method as its .pte states it: every instruction with the
// values it passes, every value with its type and where its memory is. What
// `ember inspect --html` draws (python/ember/devtools/graph_view.py). Read from
// the verified flatbuffer only (no method is loaded, no kernel or backend is
// looked up), with every index into the value table, the operators and the
// delegates checked.
//
//   ember::MethodGraph g;
//   ember::Status st = ember::method_graph(module->program(), "forward", &g);
//   for (const ember::GraphInstruction& ins : g.instructions) { ... g.values[ins.args[0]] ... }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/executor/program.h"
#include "runtime/extension/module.h"

namespace ember {

/// One entry of a method's value table.
struct GraphValue {
  Tag tag = Tag::None;
  // Tensors:
  ScalarType dtype = ScalarType::Float;
  bool dtype_valid = true;      ///< false when the file's scalar type is not one Ember knows
  std::vector<int64_t> sizes;   ///< as stored: the upper bound of a dynamic tensor
  ShapeDynamism dynamism = ShapeDynamism::Static;
  uint64_t nbytes = 0;          ///< at `sizes` (0 when the sizes are invalid)
  bool planned = false;         ///< has allocation_info: lives in planned buffer memory_id
  uint32_t memory_id = 0;       ///< planned only: buffer memory_id - 1 of the plan's sizes
  uint64_t offset = 0;          ///< planned only: bytes into that buffer
  /// Not planned: its constant data (0: the caller provides the memory, an
  /// input or output). Planned: its initial value (a mutable buffer; 0: none).
  uint32_t data_buffer_idx = 0;
  /// extra_tensor_info's fully qualified name: a mutable buffer's ("layers.0.k_cache").
  std::string name;
  // Scalars and lists:
  int64_t int_value = 0;
  double double_value = 0.0;
  bool bool_value = false;
  std::string string_value;
  /// IntList, TensorList, OptionalTensorList: the value indices of the items
  /// (-1: an absent optional tensor). DoubleList, BoolList: not kept.
  std::vector<int64_t> items;
};

/// One instruction, in chain order.
struct GraphInstruction {
  enum class Kind { Kernel, Delegate, Move, JumpFalse, Free };
  Kind kind = Kind::Kernel;
  uint32_t chain = 0;
  uint32_t index = 0;   ///< in its chain: the debug handle of its profile events
  /// Kernel: index into MethodGraph::operators; Delegate: into delegates.
  /// JumpFalse: the destination instruction. -1 otherwise.
  int32_t target = -1;
  /// Kernel and Delegate: the arguments (for a kernel its out arguments come
  /// last, for a delegate its outputs). Move: {from, to}. JumpFalse: {cond}.
  /// Free: {value}.
  std::vector<int32_t> args;
};

/// A method's values and instructions.
struct MethodGraph {
  std::string name;
  std::vector<std::string> operators;       ///< "aten::add.out"
  std::vector<std::string> delegates;       ///< backend id per delegate index
  std::vector<int64_t> planned_buffer_sizes;  ///< memory_id k uses entry k - 1
  std::vector<GraphValue> values;
  std::vector<int32_t> inputs;              ///< value indices
  std::vector<int32_t> outputs;             ///< value indices
  std::vector<GraphInstruction> instructions;
};

/// The graph of method `name`. NotFound for a method the program lacks;
/// InvalidProgram, naming the method, the instruction (or list value) and
/// the index, when a value, operator, delegate or jump destination index is
/// out of range.
Status method_graph(const Program& program, const std::string& name, MethodGraph* out);

}  // namespace ember
