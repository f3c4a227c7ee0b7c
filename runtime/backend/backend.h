// The backend interface: the runtime side of a delegate. The compiler hands
// a subgraph to a backend's preprocess step, which writes an opaque blob (the
// "processed" bytes) into the .pte; at load the executor finds the backend by
// the name recorded in BackendDelegate.id, calls init() once with that blob,
// and every DelegateCall instruction then calls execute() with the delegate's
// inputs followed by its outputs. Method destruction calls destroy().
//
// Backends register by name in a fixed-capacity table, explicitly (never
// from a static initializer):
//
//   class MyBackend final : public ember::BackendInterface { ... };
//   const MyBackend g_backend;
//   ember::register_backend({"MyBackend", &g_backend});
//
// Memory: execute() must not touch the heap (scratch comes from
// BackendExecutionContext::allocate_temp). init() may use the method
// allocator through BackendInitContext; a backend that needs more (a nested
// program, a compiled graph) may allocate at init and free it in destroy(),
// and must say so in its documentation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/event_tracer.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/core/span.h"

namespace ember {

/// One compile spec of a delegate, read in place from the .pte.
struct CompileSpec {
  const char* key = "";        ///< never null
  Span<const uint8_t> value;  ///< may be empty
};

class Program;

/// What a backend's init() gets besides its blob.
class BackendInitContext {
 public:
  /// `temp_capacity`: what the method's temp memory will hold at execute
  /// (SIZE_MAX when the caller sizes it after load).
  BackendInitContext(MemoryAllocator* runtime_allocator, const char* method_name,
                     const char* backend_id, const Program* program = nullptr,
                     size_t temp_capacity = 0)
      : allocator_(runtime_allocator), method_name_(method_name), backend_id_(backend_id),
        program_(program), temp_capacity_(temp_capacity) {}

  /// Bytes the program stores under `key` in its named data (e.g. weights
  /// several delegates share), valid for the program's lifetime. NotFound if
  /// absent or when the context has no program.
  Result<Span<const uint8_t>> get_named_data(const char* key) const;

  /// The method allocator: memory that lives exactly as long as the method.
  /// It is sized by the caller (MethodMeta::method_memory_bound() does not
  /// know what a backend takes from it). Never null.
  MemoryAllocator* runtime_allocator() const { return allocator_; }
  /// The method being loaded, and the backend's registered name (for logs).
  const char* method_name() const { return method_name_; }
  const char* backend_id() const { return backend_id_; }

  /// init() says it keeps no pointer into `processed` once it returns (it
  /// packed or copied what it needs): the executor then gives the blob back
  /// to the data loader when it was loaded on its own (a segment; inline
  /// data is part of the program and stays), e.g. drops a memory-mapped
  /// file's pages. ExecuTorch's FreeableBuffer::Free() of the processed data.
  void set_processed_freeable() { processed_freeable_ = true; }
  bool processed_freeable() const { return processed_freeable_; }
  /// The same, at once, for bytes get_named_data() returned: the backend
  /// keeps no pointer into them. A later get_named_data() still works.
  void release_named_data(Span<const uint8_t> bytes) const;
  /// Bytes inside `processed` init() will not read again (weights it has
  /// packed), given back at once when the blob was loaded on its own (a
  /// segment), as set_processed_freeable() gives the whole of it back when
  /// init ends. Inline data is part of the program: nothing happens.
  void release_processed(Span<const uint8_t> bytes) const {
    if (processed_segment_) release_named_data(bytes);
  }
  /// The executor says, before init(), whether `processed` is a segment.
  void set_processed_segment(bool segment) { processed_segment_ = segment; }

  /// Ask that execute() may take up to `nbytes` at once from allocate_temp()
  /// (e.g. the intermediate values of a compiled graph, which then share
  /// memory with every other delegate and kernel of the method instead of
  /// holding their own). True when the method's temp memory will hold that
  /// (Method::temp_bytes_requested() is the most granted); false when it is
  /// too small, and the backend then uses memory of its own.
  bool request_temp(size_t nbytes) {
    if (nbytes > temp_capacity_) return false;
    if (nbytes > temp_requested_) temp_requested_ = nbytes;
    return true;
  }
  size_t temp_requested() const { return temp_requested_; }

 private:
  MemoryAllocator* allocator_;
  const char* method_name_;
  const char* backend_id_;
  const Program* program_;
  bool processed_freeable_ = false;
  bool processed_segment_ = false;
  size_t temp_capacity_ = 0;
  size_t temp_requested_ = 0;
};

/// What a backend's execute() gets: scratch memory valid for one call, and
/// the method's event tracer when one is attached.
class BackendExecutionContext {
 public:
  BackendExecutionContext() = default;
  BackendExecutionContext(uint8_t* temp, size_t temp_size, EventTracer* event_tracer = nullptr,
                          DebugHandle debug_handle = kNoDebugHandle)
      : temp_(temp, temp_size), event_tracer_(event_tracer), debug_handle_(debug_handle) {}

  /// `nbytes` of scratch aligned to `alignment`, or nullptr when exhausted.
  void* allocate_temp(size_t nbytes, size_t alignment = 16) {
    return temp_.allocate(nbytes, alignment);
  }

  /// The tracer profiling this call, or nullptr (then time nothing). A
  /// backend reports work it timed inside the call with
  /// event_tracer()->log_event(name, start_ns, end_ns, debug_handle(), id).
  EventTracer* event_tracer() const { return event_tracer_; }
  /// The DelegateCall's instruction index in its chain.
  DebugHandle debug_handle() const { return debug_handle_; }

 private:
  MemoryAllocator temp_;  ///< bump allocation over the caller's scratch memory
  EventTracer* event_tracer_ = nullptr;
  DebugHandle debug_handle_ = kNoDebugHandle;
};

/// Opaque per-delegate state a backend returns from init().
using DelegateHandle = void;

/// A runtime backend. Implementations are stateless objects (all per-delegate
/// state lives behind the handle) that outlive every method using them.
class BackendInterface {
 public:
  /// False when the backend cannot run here (missing hardware, disabled);
  /// a program that needs it then fails to load with NotFound.
  virtual bool is_available() const = 0;

  /// Prepare one delegate. `processed` is the delegate's blob, valid (and
  /// unchanged) for as long as the Program it came from; it is untrusted
  /// input and must be validated. Return an opaque handle (may be null if
  /// the backend needs no state) or an Error, after logging why.
  virtual Result<DelegateHandle*> init(BackendInitContext& context, Span<const uint8_t> processed,
                                       Span<const CompileSpec> compile_specs) const = 0;

  /// Run one DelegateCall. `args` are the delegate's inputs then its outputs,
  /// as value-table entries (tensors, scalars or lists) in the call's order.
  /// Must not allocate heap memory. On failure log a line and return the Error.
  virtual Error execute(BackendExecutionContext& context, DelegateHandle* handle,
                        Span<EValue*> args) const = 0;

  /// How many of a DelegateCall's arguments are outputs (the last ones), as
  /// init() learned from the blob. Method::load uses it to check that every
  /// output is writable memory and every input may be read-only (a weight).
  /// A backend that does not override it has every tensor argument of its
  /// calls checked as an output, so none may be a constant or a caller's input.
  virtual Result<size_t> num_outputs(DelegateHandle* handle) const {
    (void)handle;
    return Error::NotSupported;
  }
  /// Release what init() acquired. Called once per successful init(), when
  /// the Method is destroyed (or when its load fails after the init).
  virtual void destroy(DelegateHandle* handle) const = 0;

 protected:
  // Not virtual: the runtime never deletes a backend.
  ~BackendInterface() = default;
};

/// A registry entry. `name` is matched against BackendDelegate.id; both the
/// string and the backend must outlive every program that uses them.
struct Backend {
  const char* name = nullptr;
  const BackendInterface* backend = nullptr;
};

/// Most backends one process can register.
constexpr size_t kMaxBackends = 16;

/// Add a backend to the global table. Registering the same name with the
/// same backend again is a no-op; with another backend it fails with
/// InvalidArgument; a full table fails with Internal. Not thread-safe:
/// register before loading programs.
Error register_backend(const Backend& backend);

/// The backend registered under `name`, or nullptr.
const BackendInterface* get_backend(const char* name);

/// Number of registered backends, and the i-th one (nullptr past the end).
size_t num_registered_backends();
const Backend* registered_backend(size_t i);

}  // namespace ember
