// The kernel interface: what a kernel receives and how it is registered.
//
// A kernel implements one out-variant operator, e.g. "aten::add.out". The
// executor resolves every KernelCall once at load to a KernelFn (by name and
// the dtypes of its tensor arguments) and calls it with the call's arguments
// in schema order: `add.out(self, other, *, alpha, out)` gets
// [self, other, alpha, out, out] (the out tensor appears as an argument and
// again as the result; several results add a TensorList at the end).
#pragma once

#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/event_tracer.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/core/span.h"

namespace ember {

/// Per-call context. A kernel reports failure through fail(); it must not
/// allocate heap memory: scratch space comes from allocate_temp().
class KernelContext {
 public:
  KernelContext() = default;
  KernelContext(uint8_t* temp, size_t temp_size, EventTracer* event_tracer = nullptr,
                DebugHandle debug_handle = kNoDebugHandle)
      : temp_(temp, temp_size), event_tracer_(event_tracer), debug_handle_(debug_handle) {}

  /// Mark the call failed. The executor stops and returns this error.
  void fail(Error e) { error_ = e; }
  Error error() const { return error_; }
  /// Scratch memory valid until the kernel returns; nullptr if exhausted.
  void* allocate_temp(size_t nbytes, size_t alignment = 16) {
    return temp_.allocate(nbytes, alignment);
  }
  void reset_temp() { temp_.reset(); }
  /// The tracer profiling this call, or nullptr. A kernel that times parts of
  /// itself reports them with event_tracer()->log_event(..., debug_handle()).
  EventTracer* event_tracer() const { return event_tracer_; }
  /// The KernelCall's instruction index in its chain.
  DebugHandle debug_handle() const { return debug_handle_; }
  /// What the kernel's prepare function returned for this instruction at
  /// load (see KernelPrepareFn), or nullptr.
  const void* state() const { return state_; }
  void set_state(const void* state) { state_ = state; }

 private:
  Error error_ = Error::Ok;
  MemoryAllocator temp_;  ///< bump allocation over the caller's scratch memory
  EventTracer* event_tracer_ = nullptr;
  DebugHandle debug_handle_ = kNoDebugHandle;
  const void* state_ = nullptr;
};

/// A kernel. `args` has one entry per schema argument plus the result(s).
using KernelFn = void (*)(KernelContext& ctx, Span<EValue*> args);

/// What a kernel accepts, one of three kinds:
///  - exact: a dtype per tensor argument, in order (results included);
///  - uniform: every tensor argument has one dtype, however many there are
///    (KernelKey::uniform(ScalarType::Float)): how a kernel library declares
///    "this op, in float32" when the op has optional tensor arguments;
///  - catch-all (the empty key): any dtypes; the kernel checks them and fails
///    with NotSupported for the ones it lacks (the portable kernels).
/// At load the executor prefers an exact match, then a uniform one, then the
/// catch-all: an optimized library registers exact or uniform keys over the
/// portable library's catch-alls.
struct KernelKey {
  static constexpr int kMaxTensors = 8;
  static constexpr int8_t kUniform = -1;
  int8_t num_dtypes = 0;  ///< 0: matches anything; kUniform: all tensors are dtypes[0]
  ScalarType dtypes[kMaxTensors] = {};

  static KernelKey uniform(ScalarType dtype) {
    KernelKey key;
    key.num_dtypes = kUniform;
    key.dtypes[0] = dtype;
    return key;
  }
};

/// Optional load-time work of a kernel for one KernelCall, e.g. packing a
/// constant weight into the layout the kernel computes on. Method::load calls
/// it once per instruction, after checking the whole program, with the
/// call's arguments (tensors have their data pointers and sizes, but only
/// constants hold their data yet) and `constant[k]` true when argument k is
/// a tensor in the program's constant data, which no instruction can write,
/// so whatever is derived from it stays valid. It returns the state every
/// call of this instruction then sees as KernelContext::state(), or nullptr
/// (nothing to prepare, or preparing failed: the kernel runs unprepared, so
/// a kernel must work without its state). It may allocate heap memory (load
/// time, as a backend's init may); `release` frees it when the Method is
/// destroyed. Execution never allocates.
///
/// It sets `packed[k]` (all false on entry) when the state holds constant
/// argument k in the form the calls read instead (a packed weight). When
/// every instruction reading a constant packed it, the executor gives its
/// bytes back to the data loader (a memory-mapped file's pages leave the
/// process, and are read from the file again if anything reads them).
using KernelPrepareFn = void* (*)(Span<EValue* const> args, Span<const bool> constant,
                                  Span<bool> packed);
using KernelReleaseFn = void (*)(void* state);

/// One registry entry. `name` is "namespace::op.overload", e.g. "aten::add.out".
struct Kernel {
  const char* name;
  KernelFn fn;
  KernelKey key;
  KernelPrepareFn prepare = nullptr;  ///< optional load-time work (see above)
  KernelReleaseFn release = nullptr;  ///< frees what prepare returned
};

/// Which arguments of an operator's KernelCall its kernels write: the
/// arguments its out-variant (or in-place) schema marks `(a!)`, and the
/// results, which follow the schema's arguments. Method::load checks that each
/// is writable memory (planned, a mutable buffer or a caller-bound output),
/// so that no program can make a kernel write into its constants. Registered
/// per operator, not per kernel: every kernel of an operator writes the same
/// arguments. An operator without an entry is treated as writing every
/// tensor argument.
struct OperatorWrites {
  const char* name;             ///< "aten::add.out"
  uint8_t num_schema_args;      ///< the call's arguments from here on are results
  uint32_t written_args;        ///< bit k: schema argument k is written
  int8_t result_aliases = -1;   ///< the result is a view of this argument, or -1
};

/// Add write descriptions to the global table (fixed capacity, no heap).
/// An operator described twice must be described the same way, else
/// InvalidArgument; a full table fails with Internal.
Error register_operator_writes(Span<const OperatorWrites> ops);

/// The write description of `name`, or nullptr if none is registered.
const OperatorWrites* find_operator_writes(const char* name);

/// Add kernels to the global registry (a fixed-capacity table, no heap).
/// Registering an entry again (same name, key and function) does nothing;
/// registering a different function under a name and key already taken fails
/// with InvalidArgument, naming the operator: two libraries claiming one key
/// is a build mistake, never settled silently. Fails with Internal if the
/// table is full. Registration is explicit: call it from a function such as
/// register_portable_kernels(), never from a static initializer the linker
/// could drop.
Error register_kernels(Span<const Kernel> kernels);

/// Find the best kernel for `name` given the dtypes of the call's tensor
/// arguments. Returns nullptr when no kernel has that name or none matches.
KernelFn find_kernel(const char* name, Span<const ScalarType> tensor_dtypes);
/// The registry entry find_kernel chooses (its function, prepare and release).
const Kernel* find_kernel_entry(const char* name, Span<const ScalarType> tensor_dtypes);

/// True if any kernel is registered under `name`.
bool has_kernel(const char* name);

/// Number of registered kernels, and the i-th one (for listing).
size_t num_registered_kernels();
const Kernel* registered_kernel(size_t i);

/// Register every portable kernel (runtime/kernels/portable), and the prim
/// ops with them. Idempotent.
Error register_portable_kernels();

/// Register Ember's optimized kernels (runtime/kernels/optimized) over the
/// portable ones, which it registers first: exact and uniform keys for the
/// ops and dtypes the library speeds up; everything else stays portable.
/// Idempotent. Declared here, defined only when the library is built
/// (EMBER_HAVE_OPTIMIZED_KERNELS).
Error register_optimized_kernels();

/// Register the prim ops of dynamic shapes (runtime/kernels/prim): sym_size,
/// sym_numel, executorch_prim::* SymInt arithmetic and et_view. Idempotent.
Error register_prim_ops();

}  // namespace ember
