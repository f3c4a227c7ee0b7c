// Profiles of method runs, for tools and Python: the events a ProfilingTracer
// recorded (runtime/core/event_tracer.h), with their names copied, turned
// into a per-operator table and a Chrome trace (JSON that Perfetto and
// chrome://tracing load). Part of the module layer: heap and std::string
// are used freely; writing files is left to the caller.
//
//   ember::Profile prof;
//   ember::Status st = module->profile("forward", inputs, /*runs=*/10, /*warmup=*/2, &prof);
//   std::fputs(prof.table().c_str(), stdout);
//   std::ofstream("trace.json") << prof.chrome_trace();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/event_tracer.h"
#include "runtime/core/span.h"

namespace ember {

/// One recorded event, its names copied so it outlives the program.
struct ProfileEvent {
  std::string name;  ///< "aten::convolution.out", a backend id, "forward", "ember::move", ...
  EventKind kind = EventKind::Kernel;
  DebugHandle debug_handle = kNoDebugHandle;       ///< instruction index in the chain
  int32_t delegate_debug_id = kNoDelegateDebugId;  ///< DelegateInternal events only
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t run = 0;  ///< which profiled run, from 0
  double duration_ms() const { return static_cast<double>(end_ns - start_ns) / 1e6; }
};

/// Every event of one name and kind, summed over the runs.
struct OpProfile {
  std::string name;
  EventKind kind = EventKind::Kernel;
  size_t calls = 0;
  double total_ms = 0.0;
  /// total_ms over the runs' total execute() time (0 when that is 0).
  double share = 0.0;
};

/// The result of profiling `runs` runs of one method.
struct Profile {
  std::string method;
  size_t runs = 0;
  /// Run by run, each run's events in the order they ended (its Method
  /// event last).
  std::vector<ProfileEvent> events;
  /// Events lost because one run recorded more than the buffer holds.
  size_t dropped = 0;

  /// Each run's execute() time (its Method event), in run order.
  std::vector<double> run_times_ms() const;
  /// Sum of run_times_ms().
  double total_ms() const;
  /// One row per (name, kind) of the instruction events (Kernel, Delegate,
  /// Control), sorted by total time, longest first (ties by name); their
  /// shares sum to the fraction of execute() spent inside instructions.
  std::vector<OpProfile> ops() const;
  /// The same for DelegateInternal events: time a delegate or kernel
  /// reported from inside its call, already counted in that call's row.
  std::vector<OpProfile> delegate_ops() const;
  /// The per-op table as text: op, kind, calls, total ms, % of the run,
  /// sorted by time, then the instructions' total and execute()'s total.
  std::string table() const;
  /// A Chrome trace: {"traceEvents": [...]} with one complete ("ph": "X")
  /// event per recorded event, ts and dur in microseconds from the first
  /// event's start; args carry the debug handle and the run.
  std::string chrome_trace() const;
};

/// Append a tracer's `events` to `profile` as run `run`, copying the names
/// (a kernel's becomes "name.overload").
void append_events(Span<const TraceEvent> events, uint32_t run, Profile* profile);

}  // namespace ember
