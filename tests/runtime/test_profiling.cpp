// Profiling: the event-tracer hook of Method::execute (every instruction run
// is one event, named and numbered), kernels and delegates reporting through
// their context, ProfilingTracer's fixed buffer, and the module layer's
// Profile (per-op rows, table, Chrome trace) and Module::profile.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/backends/test/test_backend.h"
#include "runtime/core/event_tracer.h"
#include "runtime/extension/module.h"
#include "runtime/extension/profiling.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

std::string data_path(const char* name) { return std::string(EMBER_TEST_DATA_DIR) + "/" + name; }

/// "kind name.overload@handle" of every event, for compact comparisons.
std::vector<std::string> describe(Span<const TraceEvent> events) {
  std::vector<std::string> out;
  for (const TraceEvent& e : events) {
    std::string s = std::string(event_kind_name(e.kind)) + " " + e.name;
    if (e.overload[0] != '\0') s += std::string(".") + e.overload;
    out.push_back(s + "@" + std::to_string(e.debug_handle));
  }
  return out;
}

struct Loaded {
  std::unique_ptr<LoadedProgram> program;
  std::unique_ptr<MethodMemory> memory;
  std::unique_ptr<Method> method;
};

Loaded load_forward(std::vector<uint8_t> bytes) {
  Loaded l;
  l.program = load_program(std::move(bytes));
  EXPECT_TRUE(l.program->program.ok());
  if (!l.program->program.ok()) return l;
  l.memory.reset(new MethodMemory(*l.program->program->method_meta("forward"), 1 << 20, 0, 1 << 16));
  Result<Method> m = l.program->program->load_method("forward", &l.memory->manager);
  EXPECT_TRUE(m.ok());
  if (m.ok()) l.method.reset(new Method(std::move(*m)));
  return l;
}

// Every instruction the loop program runs is one event, in order, with its
// name, kind and instruction index; the kernel's own event sits inside its
// call's; the method's event comes last and spans them all. A second run
// records the same again; detaching the tracer stops recording.
TEST(EventTracer, RecordsEveryInstructionRun) {
  register_test_kernels();
  Loaded l = load_forward(toggle_loop_program());
  ASSERT_NE(l.method, nullptr);
  TraceEvent buffer[64];
  ProfilingTracer tracer(buffer, 64);
  l.method->set_event_tracer(&tracer);
  EXPECT_EQ(l.method->event_tracer(), &tracer);
  const float x[4] = {1, 2, 3, 4};
  ASSERT_EQ(l.method->set_input(0, x, sizeof x), Error::Ok);
  const std::vector<std::string> one_run = {
      "kernel test::toggle.out@0", "control ember::jump_false@1", "delegate_internal test::log/inner@2",
      "kernel test::log.out@2",    "control ember::jump_false@3", "kernel test::toggle.out@0",
      "control ember::jump_false@1", "control ember::free@4",      "method forward@-1"};
  for (int run = 1; run <= 2; ++run) {
    ASSERT_EQ(l.method->execute(), Error::Ok);
    const Span<const TraceEvent> ev = tracer.events();
    ASSERT_EQ(ev.size(), one_run.size() * run) << ::testing::PrintToString(describe(ev));
    std::vector<std::string> expected;
    for (int r = 0; r < run; ++r) expected.insert(expected.end(), one_run.begin(), one_run.end());
    EXPECT_EQ(describe(ev), expected);
    const TraceEvent& inner = ev[ev.size() - 7];
    const TraceEvent& call = ev[ev.size() - 6];
    EXPECT_EQ(inner.delegate_debug_id, 7);
    EXPECT_LE(call.start_ns, inner.start_ns);
    EXPECT_LE(inner.end_ns, call.end_ns);
    const TraceEvent& method = ev[ev.size() - 1];
    for (size_t i = ev.size() - one_run.size(); i + 1 < ev.size(); ++i) {
      EXPECT_LE(ev[i].start_ns, ev[i].end_ns);
      EXPECT_LE(method.start_ns, ev[i].start_ns);
      EXPECT_LE(ev[i].end_ns, method.end_ns);
      if (i > ev.size() - one_run.size() && ev[i].kind != EventKind::DelegateInternal &&
          ev[i - 1].kind != EventKind::DelegateInternal) {
        EXPECT_LE(ev[i - 1].end_ns, ev[i].start_ns) << "instructions run one after another";
      }
    }
  }
  EXPECT_EQ(tracer.dropped(), 0u);
  l.method->set_event_tracer(nullptr);
  ASSERT_EQ(l.method->execute(), Error::Ok);
  EXPECT_EQ(tracer.events().size(), 2 * one_run.size());
}

// A delegate call is named by its backend id; EmberTestBackend reports its
// nested run from inside the call, under the call's instruction index.
TEST(EventTracer, DelegateCallAndItsOwnEvent) {
  register_et_two_kernels();
  ASSERT_EQ(register_test_backend(), Error::Ok);
  Loaded l = load_forward(delegated_add_program(false));
  ASSERT_NE(l.method, nullptr);
  TraceEvent buffer[16];
  ProfilingTracer tracer(buffer, 16);
  l.method->set_event_tracer(&tracer);
  const float x[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_EQ(l.method->set_input(0, x, sizeof x), Error::Ok);
  ASSERT_EQ(l.method->set_input(1, x, sizeof x), Error::Ok);
  ASSERT_EQ(l.method->execute(), Error::Ok);
  EXPECT_EQ(l.method->get_output(0)->to_tensor().data_as<float>()[5], 24.0f);  // 3x + y
  EXPECT_EQ(describe(tracer.events()),
            (std::vector<std::string>{"delegate_internal EmberTestBackend::forward@0",
                                      "delegate EmberTestBackend@0", "kernel aten::add.out@1",
                                      "method forward@-1"}));
  const Span<const TraceEvent> ev = tracer.events();
  EXPECT_EQ(ev[0].delegate_debug_id, 0);
  EXPECT_LE(ev[1].start_ns, ev[0].start_ns);
  EXPECT_LE(ev[0].end_ns, ev[1].end_ns);
}

// A full buffer keeps the first events, counts the rest, and never writes
// past its capacity; reset() starts over.
TEST(ProfilingTracer, OverflowCountsDropsAndStaysInBounds) {
  TraceEvent storage[6];
  for (TraceEvent& e : storage) e.name = "guard";
  ProfilingTracer tracer(storage, 4);
  const char* names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  for (const char* n : names) tracer.log_event(n, 10, 5);  // end before start: clamped
  ASSERT_EQ(tracer.events().size(), 4u);
  EXPECT_EQ(tracer.dropped(), 6u);
  EXPECT_STREQ(tracer.events()[0].name, "a");
  EXPECT_STREQ(tracer.events()[3].name, "d");
  EXPECT_EQ(tracer.events()[0].end_ns, 10u);
  EXPECT_STREQ(storage[4].name, "guard");
  EXPECT_STREQ(storage[5].name, "guard");
  tracer.reset();
  EXPECT_EQ(tracer.events().size(), 0u);
  EXPECT_EQ(tracer.dropped(), 0u);
  ProfilingTracer none(nullptr, 8);  // no buffer: everything is a drop
  none.log_event("x", 1, 2);
  EXPECT_EQ(none.events().size(), 0u);
  EXPECT_EQ(none.dropped(), 1u);

  // Through a method: a run of 9 events into 3 slots.
  register_test_kernels();
  Loaded l = load_forward(toggle_loop_program());
  ASSERT_NE(l.method, nullptr);
  for (TraceEvent& e : storage) e.name = "guard";
  ProfilingTracer small(storage, 3);
  l.method->set_event_tracer(&small);
  const float x[4] = {};
  ASSERT_EQ(l.method->set_input(0, x, sizeof x), Error::Ok);
  ASSERT_EQ(l.method->execute(), Error::Ok);
  EXPECT_EQ(small.events().size(), 3u);
  EXPECT_EQ(small.dropped(), 6u);
  EXPECT_STREQ(storage[3].name, "guard");
}

// Rows sum each (name, kind), sorted by time; shares are of execute()'s
// total; the table and the trace say what they hold.
TEST(Profile, RowsTableAndTrace) {
  Profile p;
  p.method = "forward";
  p.runs = 2;
  auto add = [&p](const char* name, EventKind kind, uint64_t start, uint64_t end, uint32_t run) {
    ProfileEvent e;
    e.name = name;
    e.kind = kind;
    e.start_ns = start;
    e.end_ns = end;
    e.run = run;
    e.debug_handle = kind == EventKind::Method ? kNoDebugHandle : 0;
    p.events.push_back(e);
  };
  for (uint32_t r = 0; r < 2; ++r) {
    const uint64_t t = 10000000ull * r;
    add("aten::add.out", EventKind::Kernel, t, t + 1000000, r);        // 1 ms
    add("Backend\"X", EventKind::Delegate, t + 1000000, t + 4000000, r);  // 3 ms
    add("inner", EventKind::DelegateInternal, t + 1500000, t + 2500000, r);
    add("aten::add.out", EventKind::Kernel, t + 4000000, t + 5000000, r);
    add("forward", EventKind::Method, t, t + 5000000, r);                // 5 ms
  }
  EXPECT_EQ(p.run_times_ms(), (std::vector<double>{5.0, 5.0}));
  EXPECT_DOUBLE_EQ(p.total_ms(), 10.0);
  const std::vector<OpProfile> rows = p.ops();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "Backend\"X");
  EXPECT_EQ(rows[0].calls, 2u);
  EXPECT_DOUBLE_EQ(rows[0].total_ms, 6.0);
  EXPECT_DOUBLE_EQ(rows[0].share, 0.6);
  EXPECT_EQ(rows[1].name, "aten::add.out");
  EXPECT_EQ(rows[1].calls, 4u);
  EXPECT_DOUBLE_EQ(rows[1].share, 0.4);
  const std::vector<OpProfile> inner = p.delegate_ops();
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].calls, 2u);
  EXPECT_DOUBLE_EQ(inner[0].share, 0.2);

  const std::string table = p.table();
  EXPECT_NE(table.find("2 runs, 5.000 ms per run"), std::string::npos) << table;
  EXPECT_LT(table.find("Backend\"X"), table.find("aten::add.out")) << table;
  EXPECT_NE(table.find("60.0%"), std::string::npos) << table;
  EXPECT_NE(table.find("total (instructions)"), std::string::npos) << table;
  EXPECT_NE(table.find("100.0%"), std::string::npos) << table;
  EXPECT_NE(table.find("  inner"), std::string::npos) << table;

  const std::string json = p.chrome_trace();
  EXPECT_EQ(json.rfind("{\"traceEvents\": [", 0), 0u) << json;
  size_t x_events = 0;
  for (size_t at = json.find("\"ph\": \"X\""); at != std::string::npos;
       at = json.find("\"ph\": \"X\"", at + 1)) {
    ++x_events;
  }
  EXPECT_EQ(x_events, p.events.size());
  EXPECT_NE(json.find("\"name\": \"Backend\\\"X\""), std::string::npos) << "quotes escaped";
  EXPECT_NE(json.find("\"ts\": 10000.000, \"dur\": 1000.000"), std::string::npos) << json;
}

// Module::profile on the CNN reference: every operator's calls are runs
// times its KernelCalls, the warm-up runs are not recorded, and a buffer too
// small for one run is grown and the run redone, so nothing is lost.
TEST(Module, ProfileCountsEveryCall) {
  register_et_two_kernels();
  if (!has_kernel("aten::convolution.out")) GTEST_SKIP() << "portable kernels not built";
  Status st;
  std::unique_ptr<Module> m = Module::load(data_path("et_cnn.pte"), &st);
  ASSERT_NE(m, nullptr) << st.message;
  ProgramSummary summary;
  ASSERT_TRUE(m->program_summary(&summary).ok());
  const MethodSummary& ms = summary.methods[0];
  std::vector<float> x(3 * 16 * 16, 0.25f);
  TensorView view;
  view.sizes = {1, 3, 16, 16};
  view.data = x.data();
  view.nbytes = x.size() * sizeof(float);
  const std::vector<Value> inputs = {Value::from_tensor(view)};
  for (size_t events_per_run : {size_t{0}, size_t{5}}) {
    Profile prof;
    std::vector<Value> outputs;
    st = m->profile("forward", inputs, 3, 2, &prof, &outputs, events_per_run);
    ASSERT_TRUE(st.ok()) << st.text();
    EXPECT_EQ(prof.runs, 3u);
    EXPECT_EQ(prof.dropped, 0u);
    ASSERT_EQ(outputs.size(), 1u);
    EXPECT_EQ(prof.run_times_ms().size(), 3u);
    EXPECT_EQ(prof.events.size(), 3 * (ms.info.num_instructions + 1));
    std::map<std::string, size_t> calls;
    for (const OpProfile& row : prof.ops()) calls[row.name] = row.calls;
    size_t total_calls = 0;
    for (size_t i = 0; i < ms.info.operators.size(); ++i) {
      EXPECT_EQ(calls[ms.info.operators[i]], 3 * ms.operator_calls[i]) << ms.info.operators[i];
      total_calls += ms.operator_calls[i];
    }
    EXPECT_EQ(total_calls, ms.info.num_instructions);  // all kernels: no other rows
    EXPECT_EQ(calls.size(), ms.info.operators.size());
    EXPECT_EQ(prof.events.back().run, 2u);
    EXPECT_EQ(m->method("forward")->event_tracer(), nullptr) << "the tracer is detached after";
  }
  Profile prof;
  st = m->profile("forward", inputs, 0, 0, &prof);
  EXPECT_EQ(st.error, Error::InvalidArgument);
  st = m->profile("missing", inputs, 1, 0, &prof);
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace testing
}  // namespace ember
