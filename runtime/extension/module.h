// Module: a convenience layer over Program and Method for tools, tests and the
// Python binding. It owns everything (the file mapping or a copy of the bytes,
// the method arenas, the planned buffers) and uses the heap freely; errors
// come back as a Status with the runtime's error code and a message.
//
//   ember::Status st;
//   std::unique_ptr<ember::Module> m = ember::Module::load("model.pte", &st);
//   if (!m) { fprintf(stderr, "%s\n", st.message.c_str()); return 1; }
//   std::vector<ember::Value> outs;
//   st = m->execute("forward", {ember::Value::from_tensor(view)}, &outs);
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/scalar_type.h"
#include "runtime/core/tensor.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"

namespace ember {

/// Outcome of a Module call: an Error code plus a message naming what failed
/// (the runtime's last error log line, prefixed with the call's context).
struct Status {
  Error error = Error::Ok;
  std::string message;
  bool ok() const { return error == Error::Ok; }
};

/// A tensor crossing the Module boundary. Never owns `data`. As an input it
/// must be contiguous in the method's dim order with `nbytes` = numel * element
/// size; as an output it points into the method's memory and is valid until
/// the next execute() of that method (or the Module's destruction).
struct TensorView {
  ScalarType dtype = ScalarType::Float;
  std::vector<int64_t> sizes;
  std::vector<uint8_t> dim_order;  ///< empty means contiguous (0..dim-1)
  const void* data = nullptr;
  size_t nbytes = 0;
};

/// An input or output value: a tensor, or an Int / Double / Bool scalar.
/// (Outputs of other kinds come back with their tag and no payload.)
struct Value {
  Tag tag = Tag::Tensor;
  TensorView tensor;
  int64_t int_value = 0;
  double double_value = 0.0;
  bool bool_value = false;

  static Value from_tensor(TensorView t);
  static Value from_int(int64_t v);
  static Value from_double(double v);
  static Value from_bool(bool v);
};

/// An input or output as declared by the method (planned sizes).
struct ValueInfo {
  Tag tag = Tag::Tensor;
  ScalarType dtype = ScalarType::Float;  ///< tensors only
  std::vector<int64_t> sizes;            ///< tensors only: the planned (upper-bound) sizes
  std::vector<uint8_t> dim_order;        ///< tensors only
  ShapeDynamism dynamism = ShapeDynamism::Static;
  bool is_planned = false;
  size_t nbytes = 0;
};

/// Everything MethodMeta says, in owning containers.
struct MethodInfo {
  std::string name;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<int64_t> planned_buffer_sizes;  ///< memory_id k uses entry k - 1
  std::vector<std::string> operators;         ///< "aten::add.out"
  size_t num_instructions = 0;
  std::string input_spec;   ///< pytree container string of the inputs ("" if none)
  std::string output_spec;  ///< ... and of the outputs
};

/// A loaded program plus lazily loaded methods. Not thread-safe.
class Module {
 public:
  /// Load a .pte file (memory-mapped). Returns nullptr and fills `status` on failure.
  static std::unique_ptr<Module> load(const std::string& path, Status* status);
  /// Load from bytes; the bytes are copied into an aligned buffer the Module owns.
  static std::unique_ptr<Module> load_from_buffer(const void* data, size_t size, Status* status);

  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Names of the program's methods, in file order.
  std::vector<std::string> method_names() const;
  /// Inputs, outputs, planned buffers and operators of method `name`.
  Status method_info(const std::string& name, MethodInfo* out) const;
  /// Load `name` now (allocate its memory, resolve its kernels). execute()
  /// does this on first use; calling it first separates load errors.
  Status load_method(const std::string& name);
  /// Set `inputs` (one per method input, in order), run, and return every
  /// output in `outputs`. Planned inputs are copied; unplanned ones are read
  /// in place during the call.
  Status execute(const std::string& name, const std::vector<Value>& inputs,
                 std::vector<Value>* outputs);
  /// execute("forward", ...).
  Status forward(const std::vector<Value>& inputs, std::vector<Value>* outputs);

  /// Scratch memory given to kernels (default 1 MiB); applies to methods
  /// loaded after the call.
  void set_temp_memory_size(size_t nbytes) { temp_size_ = nbytes; }

  /// The underlying program, and a loaded method (nullptr if not loaded).
  const Program& program() const;
  Method* method(const std::string& name);

 private:
  struct Source;
  struct MethodState;
  Module();
  static std::unique_ptr<Module> finish_load(std::unique_ptr<Module> m, Status* status);
  Status ensure_loaded(const std::string& name, MethodState** out);

  std::unique_ptr<Source> source_;
  std::map<std::string, std::unique_ptr<MethodState>> methods_;
  size_t temp_size_ = size_t{1} << 20;
};

}  // namespace ember
