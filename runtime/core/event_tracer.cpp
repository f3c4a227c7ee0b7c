// ProfilingTracer's record (see event_tracer.h).
#include "runtime/core/event_tracer.h"

namespace ember {

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::Method: return "method";
    case EventKind::Kernel: return "kernel";
    case EventKind::Delegate: return "delegate";
    case EventKind::Control: return "control";
    case EventKind::DelegateInternal: return "delegate_internal";
  }
  return "unknown";
}

void ProfilingTracer::record(const TraceEvent& event) {
  // Claim a slot; past the end the event is only counted (next_ - capacity_).
  const size_t slot = next_.fetch_add(1, std::memory_order_acq_rel);
  if (slot < capacity_) buffer_[slot] = event;
}

}  // namespace ember
