// ETDump writing (runtime/extension/etdump.h): the file's framing (size
// prefix, identifier, verifier), one RunData per run with its method's name,
// every event with its name, chain, instruction and delegate ids and times,
// several profiles in one file, names that are not UTF-8, and profiles the
// writer refuses, read back through the generated FlatBuffers API, not
// through any code of the writer; then read_etdump on good and damaged files.
// (tests/python/test_etdump.py reads the files with ExecuTorch's own
// deserializer and Inspector.)
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/backends/test/test_backend.h"
#include "runtime/extension/etdump.h"
#include "runtime/extension/module.h"
#include "serializer/schema/etdump_generated.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

ProfileEvent event(const char* name, EventKind kind, DebugHandle handle, uint64_t start,
                   uint64_t end, uint32_t run, int32_t delegate_id = kNoDelegateDebugId) {
  ProfileEvent e;
  e.name = name;
  e.kind = kind;
  e.debug_handle = handle;
  e.delegate_debug_id = delegate_id;
  e.start_ns = start;
  e.end_ns = end;
  e.run = run;
  return e;
}

/// Two runs of a method with every kind of event, in the order a run ends
/// them (its Method event last).
Profile two_runs() {
  Profile p;
  p.method = "forward";
  p.runs = 2;
  for (uint32_t r = 0; r < 2; ++r) {
    const uint64_t t = 1000000 * (r + 1);
    p.events.push_back(event("aten::add.out", EventKind::Kernel, 0, t, t + 100, r));
    p.events.push_back(event("XnnpackBackend::stage", EventKind::DelegateInternal, 1, t + 110,
                             t + 150, r, 4));
    p.events.push_back(event("inner", EventKind::DelegateInternal, 1, t + 150, t + 190, r));
    p.events.push_back(event("XnnpackBackend", EventKind::Delegate, 1, t + 100, t + 200, r));
    p.events.push_back(event("ember::move", EventKind::Control, 2, t + 200, t + 210, r));
    p.events.push_back(event("forward", EventKind::Method, kNoDebugHandle, t, t + 220, r));
  }
  return p;
}

/// The file's root after checking its framing: the 4-byte size prefix holds
/// the rest's length, the identifier sits at bytes 8..11, and the verifier
/// accepts the whole buffer.
const etdump::ETDump* parse(const std::vector<uint8_t>& bytes) {
  EXPECT_GE(bytes.size(), 12u);
  if (bytes.size() < 12) return nullptr;
  uint32_t prefix = 0;
  std::memcpy(&prefix, bytes.data(), 4);
  EXPECT_EQ(prefix, bytes.size() - 4);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()) + 8, 4), "ED00");
  EXPECT_TRUE(etdump::SizePrefixedETDumpBufferHasIdentifier(bytes.data()));
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  EXPECT_TRUE(etdump::VerifySizePrefixedETDumpBuffer(verifier));
  return etdump::GetSizePrefixedETDump(bytes.data());
}

std::string str(const flatbuffers::String* s) { return s == nullptr ? "<null>" : s->str(); }

// Each run is one RunData named after the method; each event one
// ProfileEvent, in the profile's order: instructions on chain 0 under their
// index, the run's own event as ExecuTorch names it (no chain, no
// instruction), a delegate's events by its int id, or by its name as a
// string id when it gave no id. Times are the profile's nanoseconds.
TEST(Etdump, OneRunDataPerRunAndOneEventPerEvent) {
  const Profile p = two_runs();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(write_etdump(p, &bytes).ok());
  const etdump::ETDump* root = parse(bytes);
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->version(), 0u);
  ASSERT_NE(root->run_data(), nullptr);
  ASSERT_EQ(root->run_data()->size(), 2u);
  struct Expected {
    const char* name;
    int32_t chain, instruction, id_int;
    const char* id_str;
  };
  const Expected expected[] = {
      {"aten::add.out", 0, 0, -1, nullptr},
      {"XnnpackBackend::stage", 0, 1, 4, nullptr},
      {"inner", 0, 1, -1, "inner"},
      {"XnnpackBackend", 0, 1, -1, nullptr},
      {"ember::move", 0, 2, -1, nullptr},
      {"Method::execute", -1, -1, -1, nullptr},
  };
  for (uint32_t r = 0; r < 2; ++r) {
    const etdump::RunData* run = root->run_data()->Get(r);
    EXPECT_EQ(str(run->name()), "forward");
    EXPECT_EQ(run->bundled_input_index(), -1);
    EXPECT_EQ(run->allocators(), nullptr);
    ASSERT_NE(run->events(), nullptr);
    ASSERT_EQ(run->events()->size(), 6u);
    for (uint32_t i = 0; i < 6; ++i) {
      SCOPED_TRACE("run " + std::to_string(r) + " event " + std::to_string(i));
      const etdump::Event* ev = run->events()->Get(i);
      EXPECT_EQ(ev->allocation_event(), nullptr);
      EXPECT_EQ(ev->debug_event(), nullptr);
      const etdump::ProfileEvent* pe = ev->profile_event();
      ASSERT_NE(pe, nullptr);
      const Expected& x = expected[i];
      EXPECT_EQ(str(pe->name()), x.name);
      EXPECT_EQ(pe->chain_index(), x.chain);
      EXPECT_EQ(pe->instruction_id(), x.instruction);
      EXPECT_EQ(pe->delegate_debug_id_int(), x.id_int);
      EXPECT_EQ(str(pe->delegate_debug_id_str()), x.id_str ? x.id_str : "<null>");
      EXPECT_EQ(pe->delegate_debug_metadata(), nullptr);
      const ProfileEvent& source = p.events[6 * r + i];
      EXPECT_EQ(pe->start_time(), source.start_ns);
      EXPECT_EQ(pe->end_time(), source.end_ns);
    }
  }
}

// Several profiles make one file, their runs in the order added, each with
// its method's name and bundled input index; finish() empties the writer.
// A profile without runs adds nothing.
TEST(Etdump, SeveralProfilesInOneFile) {
  Profile a = two_runs();
  Profile b;
  b.method = "decode";
  b.runs = 1;
  b.events.push_back(event("decode", EventKind::Method, kNoDebugHandle, 5, 9, 0));
  Profile none;
  none.method = "empty";
  EtdumpWriter writer;
  ASSERT_TRUE(writer.add(a).ok());
  ASSERT_TRUE(writer.add(none).ok());
  ASSERT_TRUE(writer.add(b, 3).ok());
  EXPECT_EQ(writer.num_runs(), 3u);
  const std::vector<uint8_t> bytes = writer.finish();
  EXPECT_EQ(writer.num_runs(), 0u);
  const etdump::ETDump* root = parse(bytes);
  ASSERT_NE(root, nullptr);
  ASSERT_EQ(root->run_data()->size(), 3u);
  EXPECT_EQ(str(root->run_data()->Get(1)->name()), "forward");
  const etdump::RunData* last = root->run_data()->Get(2);
  EXPECT_EQ(str(last->name()), "decode");
  EXPECT_EQ(last->bundled_input_index(), 3);
  ASSERT_EQ(last->events()->size(), 1u);
  EXPECT_EQ(str(last->events()->Get(0)->profile_event()->name()), "Method::execute");
  EXPECT_EQ(last->events()->Get(0)->profile_event()->end_time(), 9u);

  // The writer starts over after finish(): an empty file is still a valid one.
  const std::vector<uint8_t> empty_bytes = writer.finish();
  const etdump::ETDump* empty = parse(empty_bytes);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->run_data()->size(), 0u);
}

// Names come from the .pte: bytes that are not UTF-8 become '?' (flatc, which
// ExecuTorch's reader runs, refuses other strings); valid multi-byte
// characters stay.
TEST(Etdump, NamesAreMadeUtf8) {
  Profile p;
  p.method = "f\xff";
  p.runs = 1;
  p.events.push_back(event("op\xc3(\xe2\x82\xac)\xed\xa0\x80", EventKind::Kernel, 0, 1, 2, 0));
  p.events.push_back(event("trunc\xf0\x9f", EventKind::Kernel, 1, 2, 3, 0));
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(write_etdump(p, &bytes).ok());
  const etdump::ETDump* root = parse(bytes);
  ASSERT_NE(root, nullptr);
  const etdump::RunData* run = root->run_data()->Get(0);
  EXPECT_EQ(str(run->name()), "f?");
  EXPECT_EQ(str(run->events()->Get(0)->profile_event()->name()), "op?(\xe2\x82\xac)???");
  EXPECT_EQ(str(run->events()->Get(1)->profile_event()->name()), "trunc??");
}

// A hand-made profile whose event names a run it does not have, or with more
// runs than a file holds, is refused with a message, and nothing is added.
TEST(Etdump, RefusesInconsistentProfiles) {
  Profile p = two_runs();
  p.events[3].run = 5;
  EtdumpWriter writer;
  Status st = writer.add(p);
  EXPECT_EQ(st.error, Error::InvalidArgument);
  EXPECT_NE(st.message.find("event 3 ('XnnpackBackend') is of run 5, but the profile has 2"),
            std::string::npos)
      << st.message;
  Profile huge;
  huge.method = "forward";
  huge.runs = size_t{1} << 40;
  st = writer.add(huge);
  EXPECT_EQ(st.error, Error::InvalidArgument);
  EXPECT_NE(st.message.find("larger than 2 GiB"), std::string::npos) << st.message;
  EXPECT_EQ(writer.num_runs(), 0u);
  EXPECT_EQ(write_etdump(two_runs(), nullptr).error, Error::InvalidArgument);
}

// Module::profile's runs of a program with a delegate: one RunData per run,
// and in each the run's events with the profile's names, in its order, the
// delegate call and the backend's own event under the call's instruction.
TEST(Etdump, ModuleProfileRoundTrip) {
  register_et_two_kernels();
  ASSERT_EQ(register_test_backend(), Error::Ok);
  const std::vector<uint8_t> pte = delegated_add_program(false);
  Status st;
  std::unique_ptr<Module> m = Module::load_from_buffer(pte.data(), pte.size(), &st);
  ASSERT_NE(m, nullptr) << st.text();
  std::vector<float> x(6, 1.5f);
  TensorView view;
  view.sizes = {2, 3};
  view.data = x.data();
  view.nbytes = x.size() * sizeof(float);
  const std::vector<Value> inputs = {Value::from_tensor(view), Value::from_tensor(view)};
  Profile prof;
  st = m->profile("forward", inputs, 3, 1, &prof);
  ASSERT_TRUE(st.ok()) << st.text();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(write_etdump(prof, &bytes).ok());
  const etdump::ETDump* root = parse(bytes);
  ASSERT_NE(root, nullptr);
  ASSERT_EQ(root->run_data()->size(), 3u);
  size_t k = 0;
  for (uint32_t r = 0; r < 3; ++r) {
    const auto* events = root->run_data()->Get(r)->events();
    ASSERT_EQ(events->size(), 4u);
    for (uint32_t i = 0; i < events->size(); ++i, ++k) {
      const ProfileEvent& e = prof.events[k];
      ASSERT_EQ(e.run, r);
      const etdump::ProfileEvent* pe = events->Get(i)->profile_event();
      EXPECT_EQ(str(pe->name()), e.kind == EventKind::Method ? "Method::execute" : e.name);
      EXPECT_EQ(pe->instruction_id(), e.debug_handle);
      EXPECT_EQ(pe->end_time() - pe->start_time(), e.end_ns - e.start_ns);
    }
    EXPECT_EQ(str(events->Get(0)->profile_event()->name()), "EmberTestBackend::forward");
    EXPECT_EQ(events->Get(0)->profile_event()->delegate_debug_id_int(), 0);
    EXPECT_EQ(str(events->Get(1)->profile_event()->name()), "EmberTestBackend");
    EXPECT_EQ(events->Get(1)->profile_event()->instruction_id(), 0);
    EXPECT_EQ(str(events->Get(2)->profile_event()->name()), "aten::add.out");
    EXPECT_EQ(events->Get(2)->profile_event()->instruction_id(), 1);
  }
  EXPECT_EQ(k, prof.events.size());
}

// read_etdump gives back what the writer wrote; it also reads a buffer
// without the size prefix (as ExecuTorch's Python serializer writes one) and
// skips events that are not profile events.
TEST(Etdump, ReadsProfileEventsBack) {
  const Profile p = two_runs();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(write_etdump(p, &bytes, 2).ok());
  std::vector<EtdumpRun> runs;
  Status st = read_etdump(bytes.data(), bytes.size(), &runs);
  ASSERT_TRUE(st.ok()) << st.text();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].name, "forward");
  EXPECT_EQ(runs[1].bundled_input_index, 2);
  ASSERT_EQ(runs[1].events.size(), 6u);
  const EtdumpEvent& stage = runs[1].events[1];
  EXPECT_EQ(stage.name, "XnnpackBackend::stage");
  EXPECT_EQ(stage.chain_index, 0);
  EXPECT_EQ(stage.instruction_id, 1);
  EXPECT_EQ(stage.delegate_debug_id_int, 4);
  EXPECT_EQ(stage.delegate_debug_id_str, "");
  EXPECT_EQ(stage.start_time, p.events[7].start_ns);
  EXPECT_EQ(stage.end_time, p.events[7].end_ns);
  EXPECT_EQ(runs[1].events[2].delegate_debug_id_str, "inner");
  EXPECT_EQ(runs[1].events[5].name, "Method::execute");
  EXPECT_EQ(runs[1].events[5].chain_index, -1);

  flatbuffers::FlatBufferBuilder b;
  const auto profile = etdump::CreateProfileEventDirect(b, "OPERATOR_CALL", 0, 3, -1, nullptr,
                                                        nullptr, 10, 20);
  const auto alloc = etdump::CreateAllocationEvent(b, 0, 64);
  const std::vector<flatbuffers::Offset<etdump::Event>> events = {
      etdump::CreateEvent(b, 0, alloc), etdump::CreateEvent(b, profile)};
  const auto run = etdump::CreateRunDataDirect(b, "Execute", -1, nullptr, &events);
  const std::vector<flatbuffers::Offset<etdump::RunData>> run_data = {run};
  etdump::FinishETDumpBuffer(b, etdump::CreateETDumpDirect(b, 0, &run_data));
  st = read_etdump(b.GetBufferPointer(), b.GetSize(), &runs);
  ASSERT_TRUE(st.ok()) << st.text();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "Execute");
  ASSERT_EQ(runs[0].events.size(), 1u);
  EXPECT_EQ(runs[0].events[0].name, "OPERATOR_CALL");
  EXPECT_EQ(runs[0].events[0].instruction_id, 3);
  EXPECT_EQ(runs[0].events[0].end_time, 20u);
}

// A file without the identifier, one cut short, and one whose size prefix was
// made to fit its cut are refused, each with its own error, and the runs the
// caller passed in are left alone.
TEST(Etdump, RefusesDamagedFiles) {
  std::vector<uint8_t> good;
  ASSERT_TRUE(write_etdump(two_runs(), &good).ok());
  std::vector<EtdumpRun> runs(1);
  runs[0].name = "untouched";
  auto error_of = [&runs](std::vector<uint8_t> bytes) {
    return read_etdump(bytes.data(), bytes.size(), &runs);
  };
  std::vector<uint8_t> other_id = good;
  other_id[8] = 'X';
  Status st = error_of(other_id);
  EXPECT_EQ(st.error, Error::VersionMismatch);
  EXPECT_NE(st.message.find("without the ED00 identifier"), std::string::npos) << st.message;
  EXPECT_EQ(error_of({}).error, Error::VersionMismatch);
  EXPECT_EQ(error_of(std::vector<uint8_t>(64, 0)).error, Error::VersionMismatch);

  const size_t half = good.size() / 2;
  st = error_of(std::vector<uint8_t>(good.begin(), good.begin() + half));
  EXPECT_EQ(st.error, Error::InvalidProgram);
  EXPECT_NE(st.message.find("truncated"), std::string::npos) << st.message;
  std::vector<uint8_t> refit(good.begin(), good.begin() + half);
  const uint32_t prefix = static_cast<uint32_t>(half - 4);
  std::memcpy(refit.data(), &prefix, 4);
  st = error_of(refit);
  EXPECT_EQ(st.error, Error::InvalidProgram);
  EXPECT_NE(st.message.find("verifier refuses"), std::string::npos) << st.message;
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "untouched");
  EXPECT_EQ(read_etdump(good.data(), good.size(), nullptr).error, Error::InvalidArgument);
}

}  // namespace
}  // namespace testing
}  // namespace ember
