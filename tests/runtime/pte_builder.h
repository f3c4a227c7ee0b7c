// Builds small synthetic .pte files for the runtime tests: a value table, a
// chain of instructions, planned buffers, constants and mutable data, with
// or without the extended header. Test-only (heap, std::vector).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/scalar_type.h"
#include "runtime/core/tensor.h"

namespace ember {
namespace testing {

/// One tensor value. Storage follows the format: constant (data_buffer_idx
/// > 0, not planned), planned (memory_id, offset), planned with an initial
/// value (both), or caller-provided (neither).
struct TensorSpec {
  ScalarType dtype = ScalarType::Float;
  std::vector<int32_t> sizes;
  std::vector<uint8_t> dim_order;  ///< empty: contiguous
  uint32_t data_buffer_idx = 0;
  bool planned = false;
  uint32_t memory_id = 1;
  uint64_t offset = 0;
  ShapeDynamism dynamism = ShapeDynamism::Static;
  std::string fqn;  ///< non-empty: extra_tensor_info names it (a mutable buffer)
};

/// One BackendDelegate entry: the backend name and where its processed
/// bytes are (location 0 = INLINE: index into backend_delegate_data;
/// 1 = SEGMENT: index into Program.segments).
struct DelegateSpec {
  std::string id;
  int location = 0;
  uint32_t index = 0;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> compile_specs;
};

/// Accumulates one method, then serialises a whole program.
class PteBuilder {
 public:
  int add_null();
  int add_int(int64_t v);
  int add_double(double v);
  int add_bool(bool v);
  int add_string(const std::string& s);
  int add_tensor(const TensorSpec& t);
  int add_int_list(const std::vector<int64_t>& value_indices);
  int add_double_list(const std::vector<double>& items);
  int add_bool_list(const std::vector<bool>& items);
  int add_tensor_list(const std::vector<int32_t>& value_indices);
  int add_optional_tensor_list(const std::vector<int32_t>& value_indices);

  /// Operators and instructions.
  int add_operator(const std::string& name, const std::string& overload);
  void add_kernel_call(int op_index, const std::vector<int32_t>& args);
  void add_delegate_call(int delegate_index, const std::vector<int32_t>& args);
  void add_move(int from, int to);
  void add_jump_false(int cond, int destination);
  void add_free(int value);

  /// A constant buffer; returns its data_buffer_idx (1-based, 0 is reserved).
  uint32_t add_constant(const std::vector<uint8_t>& bytes);
  /// An initial value of a mutable tensor; returns its data_buffer_idx.
  uint32_t add_mutable_data(const std::vector<uint8_t>& bytes);

  /// Delegates: a BackendDelegate entry (returns its delegate index), and
  /// processed data stored inline (returns its backend_delegate_data index)
  /// or as a segment (returns its Program.segments index; segment 0 is the
  /// constant segment, delegate segments follow it, mutable data comes last).
  int add_delegate(const DelegateSpec& d);
  uint32_t add_inline_data(const std::vector<uint8_t>& bytes);
  uint32_t add_segment(const std::vector<uint8_t>& bytes);
  /// Raw DataSegment entries (offset from the segment base, size) appended
  /// after every real segment, to point anywhere (tests of bad offsets).
  std::vector<std::pair<uint64_t, uint64_t>> extra_segments;

  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
  std::vector<int64_t> buffer_sizes = {0};  ///< non_const_buffer_sizes, entry 0 reserved
  std::string method_name = "forward";

  /// Serialise. With `extended_header` the header and segments are written
  /// as ExecuTorch does; without it, constants go to the legacy
  /// Program.constant_buffer and there is no mutable data.
  std::vector<uint8_t> finish(bool extended_header = true) const;

 private:
  struct Value {
    int kind = 0;  // wire KernelTypes value
    int64_t i = 0;
    double d = 0;
    std::string s;
    TensorSpec tensor;
    std::vector<int64_t> longs;
    std::vector<int32_t> ints;
    std::vector<double> doubles;
    std::vector<uint8_t> bools;
  };
  struct Instr {
    int kind = 0;  // wire InstructionArguments value
    int a = 0, b = 0;
    std::vector<int32_t> args;
  };
  int push(Value v);

  std::vector<Value> values_;
  std::vector<std::pair<std::string, std::string>> operators_;
  std::vector<Instr> instructions_;
  std::vector<std::vector<uint8_t>> constants_;
  std::vector<std::vector<uint8_t>> mutable_;
  std::vector<DelegateSpec> delegates_;
  std::vector<std::vector<uint8_t>> inline_data_;
  std::vector<std::vector<uint8_t>> segments_;
};

/// Little helpers to turn typed values into bytes.
std::vector<uint8_t> float_bytes(const std::vector<float>& v);

}  // namespace testing
}  // namespace ember
