// Profiles (see profiling.h): copying a tracer's events, the per-op table,
// the Chrome trace, and Module::profile, which runs a method under a
// ProfilingTracer (defined here rather than in module.cpp: it needs nothing
// of the Module's internals, only its public calls).
#include "runtime/extension/profiling.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <utility>

#include "runtime/extension/module.h"

namespace ember {
namespace {

bool is_instruction(EventKind k) {
  return k == EventKind::Kernel || k == EventKind::Delegate || k == EventKind::Control;
}

/// Sum the events of the kinds `keep` accepts by (name, kind); sorted by
/// time, longest first, ties by name.
template <typename Keep>
std::vector<OpProfile> aggregate(const Profile& p, Keep keep) {
  std::map<std::pair<std::string, EventKind>, OpProfile> rows;
  for (const ProfileEvent& e : p.events) {
    if (!keep(e.kind)) continue;
    OpProfile& row = rows[{e.name, e.kind}];
    row.name = e.name;
    row.kind = e.kind;
    ++row.calls;
    row.total_ms += e.duration_ms();
  }
  const double total = p.total_ms();
  std::vector<OpProfile> out;
  for (auto& r : rows) {
    r.second.share = total > 0 ? r.second.total_ms / total : 0.0;
    out.push_back(std::move(r.second));
  }
  std::stable_sort(out.begin(), out.end(), [](const OpProfile& a, const OpProfile& b) {
    return a.total_ms != b.total_ms ? a.total_ms > b.total_ms : a.name < b.name;
  });
  return out;
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

/// `s` as a JSON string literal (names come from the .pte: untrusted).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += format("\\u%04x", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

void append_events(Span<const TraceEvent> events, uint32_t run, Profile* profile) {
  for (const TraceEvent& t : events) {
    ProfileEvent e;
    e.name = t.name;
    if (t.kind == EventKind::Kernel && t.overload[0] != '\0') e.name += std::string(".") + t.overload;
    e.kind = t.kind;
    e.debug_handle = t.debug_handle;
    e.delegate_debug_id = t.delegate_debug_id;
    e.start_ns = t.start_ns;
    e.end_ns = t.end_ns >= t.start_ns ? t.end_ns : t.start_ns;
    e.run = run;
    profile->events.push_back(std::move(e));
  }
}

std::vector<double> Profile::run_times_ms() const {
  std::vector<double> times;
  for (const ProfileEvent& e : events) {
    if (e.kind == EventKind::Method) times.push_back(e.duration_ms());
  }
  return times;
}

double Profile::total_ms() const {
  double total = 0;
  for (double t : run_times_ms()) total += t;
  return total;
}

std::vector<OpProfile> Profile::ops() const { return aggregate(*this, is_instruction); }

std::vector<OpProfile> Profile::delegate_ops() const {
  return aggregate(*this, [](EventKind k) { return k == EventKind::DelegateInternal; });
}

std::string Profile::table() const {
  const std::vector<OpProfile> rows = ops();
  const std::vector<OpProfile> inner = delegate_ops();
  size_t width = 24;
  for (const OpProfile& r : rows) width = std::max(width, r.name.size());
  for (const OpProfile& r : inner) width = std::max(width, r.name.size() + 2);
  const int w = static_cast<int>(width);
  const double total = total_ms();
  std::string out = format("profile of '%s': %zu run%s, %.3f ms per run (execute)\n",
                           method.c_str(), runs, runs == 1 ? "" : "s",
                           runs > 0 ? total / static_cast<double>(runs) : 0.0);
  out += format("%-*s  %-8s %8s %11s %9s\n", w, "op", "kind", "calls", "total ms", "% of run");
  size_t calls = 0;
  double busy = 0;
  for (const OpProfile& r : rows) {
    out += format("%-*s  %-8s %8zu %11.3f %8.1f%%\n", w, r.name.c_str(), event_kind_name(r.kind),
                  r.calls, r.total_ms, 100.0 * r.share);
    calls += r.calls;
    busy += r.total_ms;
  }
  out += format("%-*s  %-8s %8zu %11.3f %8.1f%%\n", w, "total (instructions)", "", calls, busy,
                total > 0 ? 100.0 * busy / total : 0.0);
  out += format("%-*s  %-8s %8zu %11.3f %8.1f%%\n", w, "execute", "", runs, total, 100.0);
  if (!inner.empty()) {
    out += "reported by delegates and kernels from inside their calls (part of the rows above):\n";
    for (const OpProfile& r : inner) {
      out += format("  %-*s  %-8s %8zu %11.3f %8.1f%%\n", w - 2, r.name.c_str(), "inside",
                    r.calls, r.total_ms, 100.0 * r.share);
    }
  }
  if (dropped > 0) {
    out += format("warning: %zu events did not fit the event buffer; the rows above miss them\n",
                  dropped);
  }
  return out;
}

std::string Profile::chrome_trace() const {
  uint64_t origin = UINT64_MAX;
  for (const ProfileEvent& e : events) origin = std::min(origin, e.start_ns);
  std::string out = "{\"traceEvents\": [";
  for (size_t i = 0; i < events.size(); ++i) {
    const ProfileEvent& e = events[i];
    out += i ? ",\n  " : "\n  ";
    out += "{\"name\": " + json_string(e.name) + ", \"cat\": \"" + event_kind_name(e.kind) +
           "\", \"ph\": \"X\"";
    out += format(", \"ts\": %.3f, \"dur\": %.3f, \"pid\": 1, \"tid\": 1",
                  static_cast<double>(e.start_ns - origin) / 1e3,
                  static_cast<double>(e.end_ns - e.start_ns) / 1e3);
    out += format(", \"args\": {\"run\": %" PRIu32, e.run);
    if (e.debug_handle != kNoDebugHandle) out += format(", \"debug_handle\": %d", e.debug_handle);
    if (e.delegate_debug_id != kNoDelegateDebugId) {
      out += format(", \"delegate_debug_id\": %d", e.delegate_debug_id);
    }
    out += "}}";
  }
  out += "\n], \"displayTimeUnit\": \"ms\", \"otherData\": {\"method\": " + json_string(method) +
         format(", \"runs\": %zu, \"dropped_events\": %zu}}\n", runs, dropped);
  return out;
}

Status Module::profile(const std::string& name, const std::vector<Value>& inputs, size_t runs,
                       size_t warmup, Profile* profile, std::vector<Value>* outputs,
                       size_t events_per_run) {
  if (runs == 0) return {Error::InvalidArgument, "profile: runs must be at least 1"};
  if (profile == nullptr) return {Error::InvalidArgument, "profile: no Profile to fill"};
  Status st = load_method(name);
  if (!st.ok()) return st;
  for (size_t i = 0; i < warmup; ++i) {
    st = execute(name, inputs, outputs);
    if (!st.ok()) return st;
  }
  // 1. One buffer for a run, emptied into the Profile after each run (never
  //    during one: execute() stays heap-free).
  Method* m = method(name);
  if (events_per_run == 0) events_per_run = 4 * m->meta().num_instructions() + 64;
  std::vector<TraceEvent> buffer(events_per_run);
  Profile result;
  result.method = name;
  result.runs = runs;
  // 2. The runs; the method's own tracer (if any) is put back afterwards. A
  //    run that overflowed the buffer (a loop, a chatty delegate) lost its
  //    last events, its Method event among them: it is run once more with a
  //    buffer the size it needed (recorded + dropped).
  EventTracer* previous = m->event_tracer();
  for (size_t r = 0; r < runs && st.ok(); ++r) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      ProfilingTracer tracer(buffer.data(), buffer.size());
      m->set_event_tracer(&tracer);
      st = execute(name, inputs, outputs);
      m->set_event_tracer(previous);
      if (st.ok() && tracer.dropped() > 0 && attempt == 0) {
        buffer.resize(buffer.size() + tracer.dropped() + 64);
        continue;
      }
      append_events(tracer.events(), static_cast<uint32_t>(r), &result);
      result.dropped += tracer.dropped();
      break;
    }
  }
  if (!st.ok()) return st;
  *profile = std::move(result);
  return Status();
}

}  // namespace ember
