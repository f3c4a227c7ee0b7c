// A loaded method: its value table, resolved kernels and the execute loop.
// Everything lives in the caller's MemoryManager; execute() allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/event_tracer.h"
#include "runtime/core/span.h"
#include "runtime/core/tensor.h"
#include "runtime/executor/memory_manager.h"
#include "runtime/executor/method_meta.h"
#include "runtime/kernel/kernel.h"

namespace executorch_flatbuffer {
struct ExecutionPlan;
}

namespace ember {

class Program;
struct DelegateState;

/// One method ready to run. Movable, not copyable. Borrows the Program and
/// the MemoryManager's memory: both must outlive it. Not thread-safe: one
/// execute() at a time.
///
/// Usage:
///   Result<Method> m = program.load_method("forward", &memory);
///   m->set_input(0, input_tensor);
///   m->execute();
///   const Tensor& y = m->get_output(0)->to_tensor();
class Method {
 public:
  /// Moving transfers the delegates: only the destination destroys them.
  Method(Method&& other) noexcept;
  Method& operator=(Method&& other) noexcept;
  Method(const Method&) = delete;
  Method& operator=(const Method&) = delete;
  /// Destroys every delegate the load initialized (BackendInterface::destroy).
  ~Method();

  /// Build a method from `plan` (called by Program::load_method): parse the
  /// value table, place tensors, initialize every delegate (its backend's
  /// init(), once), resolve kernels. Fails with InvalidProgram on any
  /// out-of-range value or delegate data reference, NotFound if a delegate's
  /// backend is not registered or not available, the backend's error if its
  /// init fails, OperatorMissing if a kernel is not registered,
  /// MemoryAllocationFailed if method_allocator is too small and
  /// InvalidArgument if a planned buffer is smaller than the plan needs.
  static Result<Method> load(const Program* program,
                             const executorch_flatbuffer::ExecutionPlan* plan,
                             MemoryManager* memory);

  MethodMeta meta() const { return MethodMeta(plan_); }
  size_t num_inputs() const { return num_inputs_; }
  size_t num_outputs() const { return num_outputs_; }

  /// Set tensor input i from `t`: dtype, rank and dim order must match; sizes
  /// must equal the planned sizes unless the input is dynamic, then they may
  /// be smaller (the input is resized). A planned input is copied; an
  /// unplanned one is bound to t's memory, which must outlive execute().
  Error set_input(size_t i, const Tensor& t);
  /// Set tensor input i from raw bytes: `nbytes` must equal the input's
  /// current byte size. Copied (planned) or bound (unplanned) as above.
  Error set_input(size_t i, const void* data, size_t nbytes);
  /// Set a non-tensor input (Int, Double or Bool); the tag must match.
  Error set_input(size_t i, const EValue& value);

  /// Give an output that has no planned memory a buffer of at least its size.
  Error set_output_data_ptr(size_t i, void* data, size_t nbytes);

  /// Run the chain once. KernelFailed if a kernel reports an error (logged
  /// with the instruction index and op name); a delegate's error if its
  /// backend fails; InvalidState if an unplanned input or output has no
  /// memory bound, or if the step limit is reached. Allocates nothing (nor
  /// does the event tracer if one is attached and its record() does not).
  Error execute();

  /// Profile every later execute() into `tracer` (nullptr: stop). Each run
  /// records one EventKind::Method event (the method's name) and, per
  /// instruction run, one event whose debug handle is its index in the
  /// chain: Kernel (operator name and overload), Delegate (the backend id)
  /// or Control ("ember::move", "ember::jump_false", "ember::free"). Events
  /// are recorded as they end, so a run's Method event comes after its
  /// instructions'. Kernels and delegates see the tracer in their context.
  /// Borrowed: it must outlive the runs, or be detached first.
  void set_event_tracer(EventTracer* tracer) { event_tracer_ = tracer; }
  EventTracer* event_tracer() const { return event_tracer_; }

  /// The default step limit: far more instructions than any straight-line
  /// program runs, reached by a loop that never ends within about a second.
  static constexpr uint64_t kDefaultStepLimit = 100000000;

  /// Stop execute() with InvalidState after `max_steps` instructions (0: no
  /// limit; default kDefaultStepLimit), so that a JumpFalse loop whose
  /// condition never changes ends with an error naming the limit.
  void set_step_limit(uint64_t max_steps) { step_limit_ = max_steps; }
  uint64_t step_limit() const { return step_limit_; }

  /// Number of delegates (BackendDelegate entries) initialized for this method.
  size_t num_delegates() const { return num_delegates_; }

  /// The most temp memory one delegate call takes (what backends were
  /// granted at init, BackendInitContext::request_temp): never more than
  /// the temp allocator held at load, unless the MemoryManager said it is
  /// sized after load (temp_sized_after_load), as Module does.
  size_t temp_bytes_requested() const;

  /// Input/output i, or nullptr if out of range. Tensor outputs point into
  /// planned memory and are overwritten by the next execute().
  const EValue* get_input(size_t i) const;
  const EValue* get_output(size_t i) const;

  /// The value table, for tools and debugging.
  size_t num_values() const { return num_values_; }
  const EValue* value(size_t i) const { return i < num_values_ ? &values_[i] : nullptr; }

  /// One resolved instruction (internal, exposed for the loader's helpers).
  struct Step {
    enum Kind : uint8_t { Kernel = 1, Delegate = 2, Move = 3, JumpFalse = 4, Free = 5 };
    Kind kind = Free;
    const ::ember::Kernel* kernel = nullptr;  ///< kernels: the registry entry (function, prepare)
    void* state = nullptr;                   ///< kernels: what its prepare returned at load
    const OperatorWrites* writes = nullptr;  ///< kernels: what the call writes, if known
    EValue** args = nullptr;
    uint32_t num_args = 0;
    int32_t a = 0;          ///< op index, delegate index, move_from, cond index or freed value
    int32_t b = 0;          ///< move_to or jump destination
    uint32_t packed = 0;    ///< kernels: bit k set when prepare packed constant argument k
  };

 private:
  Method() = default;
  /// Everything load() does after its argument checks.
  Error load_parts(MemoryManager* memory);
  Error init_delegates(MemoryAllocator* allocator, size_t temp_capacity);
  void destroy_delegates();
  Error resolve_instructions(MemoryAllocator* allocator);
  void prepare_kernels();
  /// Give the data loader every constant `s` packed that no instruction
  /// reads unpacked, and clear every step's packed bit for those bytes.
  void release_if_packed_everywhere(const Step& s);
  bool only_packed_reads(const void* data) const;
  void release_kernels();
  Error check_io_bound() const;
  Error run_steps();
  void trace_step(size_t pc, uint64_t start_ns) const;
  Result<Tensor*> input_tensor(size_t i) const;
  Error plan_poison(MemoryAllocator* allocator);
  void poison_after(size_t pc) const;

  const Program* program_ = nullptr;
  const executorch_flatbuffer::ExecutionPlan* plan_ = nullptr;
  EValue* values_ = nullptr;
  size_t num_values_ = 0;
  int32_t* inputs_ = nullptr;      ///< value indices of the inputs
  uint8_t* input_planned_ = nullptr;
  size_t num_inputs_ = 0;
  int32_t* outputs_ = nullptr;
  size_t num_outputs_ = 0;
  Step* steps_ = nullptr;
  size_t num_steps_ = 0;
  DelegateState* delegates_ = nullptr;  ///< in the method allocator
  size_t num_delegates_ = 0;            ///< initialized so far (destroyed by ~Method)
  MemoryAllocator* temp_allocator_ = nullptr;
  uint64_t step_limit_ = kDefaultStepLimit;
  EventTracer* event_tracer_ = nullptr;  ///< borrowed; nullptr: no profiling
  /// Poison mode (MemoryManager::poison_dead_memory): the planned regions to
  /// fill after step pc are poison_regions_[poison_start_[pc] .. poison_start_[pc + 1]).
  struct PoisonRegion {
    uint8_t* data;
    size_t nbytes;
  };
  PoisonRegion* poison_regions_ = nullptr;
  uint32_t* poison_start_ = nullptr;
};

}  // namespace ember
