// The event-tracer hook: how profiling gets into the runtime without costing
// anything when it is off. A Method carries an optional EventTracer pointer
// (Method::set_event_tracer); when it is set, execute() times itself and every
// instruction it runs and hands each finished event to the tracer, and
// kernels and delegates can reach the same tracer through their context to
// report what they timed inside themselves. When it is null, execute() pays
// one pointer test per instruction.
//
// Every time comes from platform::now_ns(), so events from the executor and
// from delegates share one clock. ProfilingTracer below keeps events in a
// buffer the caller provides; runtime/extension/profiling.h turns them into a
// per-operator table and a Chrome trace.
//
//   ember::TraceEvent storage[4096];
//   ember::ProfilingTracer tracer(storage, 4096);
//   method.set_event_tracer(&tracer);
//   method.execute();
//   for (const ember::TraceEvent& e : tracer.events()) { ... }
//   if (tracer.dropped() > 0) { ... the buffer was too small ... }
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "runtime/core/span.h"
#include "runtime/platform/platform.h"

namespace ember {

/// An instruction's index within its chain: what ties an event to the
/// program (and, through the compiler's records, to an Edge op).
using DebugHandle = int32_t;
/// No instruction (the whole method, or an event a caller did not tie to one).
constexpr DebugHandle kNoDebugHandle = -1;
/// No delegate-internal id.
constexpr int32_t kNoDelegateDebugId = -1;

/// What an event measured.
enum class EventKind : uint8_t {
  Method = 0,           ///< one whole Method::execute(); name: the method's name
  Kernel = 1,           ///< a KernelCall; name "aten::add", overload "out"
  Delegate = 2,         ///< a DelegateCall; name: the backend id ("XnnpackBackend")
  Control = 3,          ///< a MoveCall, JumpFalseCall or FreeCall ("ember::move", ...)
  DelegateInternal = 4  ///< logged by a delegate or kernel about work inside its own call
};

/// "method", "kernel", "delegate", "control", "delegate_internal".
const char* event_kind_name(EventKind kind);

/// One finished (or, between begin_event and end_event, started) event.
/// Strings are not copied: `name` and `overload` point into the program
/// (operator names, backend ids, method names) or are literals, so they stay
/// valid while the Program is loaded; a tracer that keeps events longer must
/// copy them.
struct TraceEvent {
  const char* name = "";      ///< never null
  const char* overload = "";  ///< kernels: the operator's overload ("out"), else ""; never null
  EventKind kind = EventKind::Kernel;
  DebugHandle debug_handle = kNoDebugHandle;
  int32_t delegate_debug_id = kNoDelegateDebugId;  ///< DelegateInternal: the backend's own id
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

/// Receives the events of the methods it is attached to. One virtual call,
/// record(), is the whole interface; begin_event/end_event/log_event are
/// helpers that take the times. Called on the thread that runs execute()
/// (and on whatever thread a delegate or kernel logs from). An
/// implementation that must keep execute() heap-free must not allocate in
/// record().
class EventTracer {
 public:
  /// One finished event: start_ns <= end_ns.
  virtual void record(const TraceEvent& event) = 0;

  /// Start an event now. Pass the result to end_event() when it is over.
  TraceEvent begin_event(const char* name, EventKind kind,
                         DebugHandle debug_handle = kNoDebugHandle, const char* overload = "") {
    TraceEvent e;
    e.name = name != nullptr ? name : "";
    e.overload = overload != nullptr ? overload : "";
    e.kind = kind;
    e.debug_handle = debug_handle;
    e.start_ns = platform::now_ns();
    return e;
  }

  /// End an event begun by begin_event() now and record it.
  void end_event(TraceEvent event) {
    event.end_ns = platform::now_ns();
    record(event);
  }

  /// For a delegate or kernel: record work it timed itself (platform::now_ns
  /// times) inside its call. `debug_handle` is the call's instruction
  /// (BackendExecutionContext::debug_handle()); `delegate_debug_id` an id
  /// of the backend's own (a node index), or kNoDelegateDebugId.
  void log_event(const char* name, uint64_t start_ns, uint64_t end_ns,
                 DebugHandle debug_handle = kNoDebugHandle,
                 int32_t delegate_debug_id = kNoDelegateDebugId) {
    TraceEvent e;
    e.name = name != nullptr ? name : "";
    e.kind = EventKind::DelegateInternal;
    e.debug_handle = debug_handle;
    e.delegate_debug_id = delegate_debug_id;
    e.start_ns = start_ns;
    e.end_ns = end_ns >= start_ns ? end_ns : start_ns;
    record(e);
  }

 protected:
  // Not virtual: the runtime never deletes a tracer (it only borrows one).
  ~EventTracer() = default;
};

/// A tracer that keeps every event in a fixed buffer the caller provides and
/// counts the events that did not fit. Records allocate nothing and may come
/// from several threads at once (a slot is claimed with one atomic add).
/// Read events() once the methods it traces have returned.
class ProfilingTracer final : public EventTracer {
 public:
  /// `buffer` holds `capacity` events and must outlive the tracer.
  ProfilingTracer(TraceEvent* buffer, size_t capacity)
      : buffer_(buffer), capacity_(buffer != nullptr ? capacity : 0) {}

  void record(const TraceEvent& event) override;

  /// The events recorded since the last reset(), in the order they ended.
  Span<const TraceEvent> events() const {
    const size_t n = next_.load(std::memory_order_acquire);
    return Span<const TraceEvent>(buffer_, n < capacity_ ? n : capacity_);
  }
  /// Events that arrived after the buffer was full (and were not kept).
  size_t dropped() const {
    const size_t n = next_.load(std::memory_order_acquire);
    return n > capacity_ ? n - capacity_ : 0;
  }
  size_t capacity() const { return capacity_; }
  /// Forget every event (the buffer is reused from the start).
  void reset() { next_.store(0, std::memory_order_release); }

 private:
  TraceEvent* buffer_;
  size_t capacity_;
  std::atomic<size_t> next_{0};
};

}  // namespace ember
