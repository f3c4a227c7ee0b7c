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
#include "runtime/extension/bundled_program.h"
#include "runtime/extension/profiling.h"

namespace ember {

/// Outcome of a Module call: an Error code plus a message naming what failed
/// (the runtime's last error log line, prefixed with the call's context).
struct Status {
  Error error = Error::Ok;
  std::string message;  ///< what failed and why, without the error's name
  bool ok() const { return error == Error::Ok; }
  /// "InvalidProgram: cannot load method 'forward': ..." (the name once, first).
  std::string text() const {
    return ok() ? std::string("Ok") : std::string(error_name(error)) + ": " + message;
  }
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

/// An input or output value: a tensor, or an Int / Double / Bool scalar; an
/// output may also be a String or an Int / Double / Bool list (constant
/// methods return those). Other kinds come back with their tag and no payload.
struct Value {
  Tag tag = Tag::Tensor;
  TensorView tensor;
  int64_t int_value = 0;
  double double_value = 0.0;
  bool bool_value = false;
  std::string string_value;
  std::vector<int64_t> int_list;
  std::vector<double> double_list;
  std::vector<bool> bool_list;

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

/// How a method's instructions and values break down (ProgramSummary).
struct MethodSummary {
  MethodInfo info;
  /// KernelCalls per entry of info.operators (same order).
  std::vector<size_t> operator_calls;
  /// Per entry of info.operators, the distinct dtype signatures of its
  /// KernelCalls: the dtypes of the call's tensor arguments in order (a
  /// tensor list's tensors in place; absent optional tensors skipped), what
  /// a kernel's dtype switch sees. `ember selective-build` keeps these.
  std::vector<std::vector<std::vector<ScalarType>>> operator_dtypes;
  size_t num_kernel_calls = 0;
  size_t num_delegate_calls = 0;
  size_t num_move_calls = 0;
  size_t num_jump_false_calls = 0;
  size_t num_free_calls = 0;
  size_t num_chains = 0;
  size_t num_values = 0;
  size_t num_constant_tensors = 0;   ///< values with constant data
  size_t num_planned_tensors = 0;    ///< values in planned memory
  size_t num_mutable_tensors = 0;    ///< planned values with an initial value
  struct Delegate {
    std::string id;                   ///< the backend's registered name
    bool inline_data = false;         ///< Program.backend_delegate_data, else a segment
    uint32_t index = 0;               ///< into backend_delegate_data or segments
    uint64_t size = 0;                ///< bytes of the processed blob (0 if out of range)
    bool valid = true;                ///< false when `index` is out of range
    std::vector<std::string> compile_spec_keys;
    size_t calls = 0;                 ///< DelegateCalls using it
  };
  std::vector<Delegate> delegates;
};

/// One entry of Program.segments and what refers to it.
struct SegmentSummary {
  uint64_t offset = 0;       ///< relative to segment_base_offset
  uint64_t file_offset = 0;  ///< segment_base_offset + offset
  uint64_t size = 0;
  bool in_file = true;       ///< inside the file's segment data
  /// "constants", "mutable data", "delegate <id> (method <m>, delegate <i>)",
  /// "named data '<key>'"; empty when nothing refers to it.
  std::vector<std::string> contents;
};

/// Everything about the file and its methods, for `ember inspect`. Reads only
/// the verified flatbuffer and the header (no method is loaded).
struct ProgramSummary {
  uint64_t file_size = 0;
  ProgramHeader header;
  std::vector<SegmentSummary> segments;
  /// Constants: "segment" (Program.constant_segment), "inline" (the legacy
  /// Program.constant_buffer) or "none".
  std::string constant_storage = "none";
  uint32_t constant_segment_index = 0;   ///< when constant_storage == "segment"
  size_t num_constant_buffers = 0;       ///< excluding the reserved empty index 0
  uint64_t constant_data_bytes = 0;      ///< the constant segment's (or inline buffers') bytes
  uint64_t constant_tensor_bytes = 0;    ///< bytes of the distinct constant tensors the plans use
  struct MutableData {
    uint32_t segment_index = 0;
    size_t num_buffers = 0;              ///< offsets in the entry
  };
  std::vector<MutableData> mutable_data;
  std::vector<uint64_t> inline_delegate_data_sizes;  ///< Program.backend_delegate_data
  struct NamedData {
    std::string key;
    uint32_t segment_index = 0;
    uint64_t size = 0;                   ///< the segment's size (0 if out of range)
  };
  std::vector<NamedData> named_data;
  std::vector<MethodSummary> methods;    ///< in file order
};

/// A loaded program plus lazily loaded methods. Not thread-safe.
class Module {
 public:
  /// Load a .pte file (memory-mapped), or a bundled program (.bpte): then
  /// the program inside is the Module's and bundled_program() holds the test
  /// cases. Returns nullptr and fills `status` on failure.
  static std::unique_ptr<Module> load(const std::string& path, Status* status);
  /// Load from bytes (a .pte or a .bpte); the bytes are copied into an
  /// aligned buffer the Module owns.
  static std::unique_ptr<Module> load_from_buffer(const void* data, size_t size, Status* status);

  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Names of the program's methods, in file order.
  std::vector<std::string> method_names() const;
  /// Inputs, outputs, planned buffers and operators of method `name`.
  Status method_info(const std::string& name, MethodInfo* out) const;
  /// The header, segments, constants, named data and every method's
  /// operators (with call counts), delegates and memory: see ProgramSummary.
  Status program_summary(ProgramSummary* out) const;
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
  /// Run method `name` on `inputs` `warmup` times, then `runs` (>= 1) times
  /// with a ProfilingTracer attached, and fill `profile` with every run's
  /// events (runtime/extension/profiling.h); `outputs`, if given, gets the
  /// last run's. Each run records into a buffer of `events_per_run` events
  /// (0: four per instruction plus 64), emptied after the run; a run that
  /// overflows it is run once more with a buffer of the size it needed, and
  /// what still does not fit is counted in Profile::dropped.
  Status profile(const std::string& name, const std::vector<Value>& inputs, size_t runs,
                 size_t warmup, Profile* profile, std::vector<Value>* outputs = nullptr,
                 size_t events_per_run = 0);

  /// Scratch memory given to kernels (default 8 MiB: the optimized
  /// convolution's im2col chunks and the GEMM's blocks; pages a model never
  /// touches cost nothing); applies to methods loaded after the call.
  void set_temp_memory_size(size_t nbytes) { temp_size_ = nbytes; }
  /// Debug: run methods loaded after the call in poison mode
  /// (MemoryManager::poison_dead_memory), which checks the memory plan.
  void set_poison_dead_memory(bool on) { poison_ = on; }
  /// Most instructions one execute() may run before it fails (a loop that
  /// never ends); 0 means no limit. Applies to loaded methods and later ones.
  /// Default: Method::kDefaultStepLimit.
  void set_step_limit(uint64_t max_steps);
  uint64_t step_limit() const { return step_limit_; }

  /// The underlying program, and a loaded method (nullptr if not loaded).
  const Program& program() const;
  /// The test cases when the Module was loaded from a .bpte, else nullptr.
  const BundledProgram* bundled_program() const;
  Method* method(const std::string& name);

 private:
  struct Source;
  struct MethodState;
  Module();
  static std::unique_ptr<Module> finish_load(std::unique_ptr<Module> m, Status* status);
  Status ensure_loaded(const std::string& name, MethodState** out);

  std::unique_ptr<Source> source_;
  std::map<std::string, std::unique_ptr<MethodState>> methods_;
  size_t temp_size_ = size_t{8} << 20;
  bool poison_ = false;
  uint64_t step_limit_ = Method::kDefaultStepLimit;
};

}  // namespace ember
