// Structural strictness fuzzing: the seed files of test_fuzz.cpp changed in
// what they mean while staying valid flatbuffers (runtime/fuzz/pte_mutator.h):
// every stored value index rewired to sampled values of every kind (kernel
// and delegate arguments, inputs, outputs, list items, Move, JumpFalse, Free),
// every value swapped to another kind or storage (a planned tensor made a
// constant of the same shape, a tensor made an Int, ...), Moves and
// JumpFalses inserted between values of every kind. Each variant runs through
// the strictness harness (test_fuzz_harness.h): no crash, every rejection
// logged, and the program image (constants, delegate blobs, the flatbuffer)
// never written: a write into a constant is what such programs would do to
// read-only mmapped weights (SIGSEGV) or to a copy loaded from bytes. A
// sample also runs over a read-only copy in a child process, as a mapped
// file would.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "runtime/backends/test/test_backend.h"
#include "runtime/fuzz/pte_mutator.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_fuzz_harness.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

using fuzz::ProgramMap;
using fuzz::StructuralMutation;

// Rewiring targets per value class and site: every value (the seeds have at
// most a few dozen; the campaign takes seconds under ASan).
constexpr size_t kPerClass = SIZE_MAX;

/// A seed with a tensor of every storage class in one shape (float [2, 3]),
/// so that rewiring any write target to any tensor passes the kernels'
/// shape checks: forward(x) -> out with x and out unplanned (caller-bound),
/// w a constant, s a mutable buffer, d and e planned:
///   d = EmberTestBackend(x, w)    (the nested program adds)
///   e = add(d, s)
///   s = add(s, x)                 (state updated in place: self is out)
///   out = add(e, w)
constexpr const char* kAllClassesSeed = "all_storage_classes";

std::vector<uint8_t> all_storage_classes_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 96};
  TensorSpec t;
  t.sizes = {2, 3};
  const int x = b.add_tensor(t);
  t.data_buffer_idx = b.add_constant(float_bytes({1, -2, 3, -4, 5, -6}));
  const int w = b.add_tensor(t);
  t.planned = true;
  t.data_buffer_idx = b.add_mutable_data(float_bytes({-1, 1, -1, 1, -1, 1}));
  const int s = b.add_tensor(t);
  t.data_buffer_idx = 0;
  t.offset = 32;
  const int d = b.add_tensor(t);
  t.offset = 64;
  const int e = b.add_tensor(t);
  TensorSpec unplanned;
  unplanned.sizes = {2, 3};
  const int out = b.add_tensor(unplanned);
  const int alpha = b.add_int(1);
  DelegateSpec spec;
  spec.id = kTestBackendName;
  spec.index = b.add_inline_data(add_program());
  b.add_delegate_call(b.add_delegate(spec), {x, w, d});
  const int add = b.add_operator("aten::add", "out");
  b.add_kernel_call(add, {d, s, alpha, e, e});
  b.add_kernel_call(add, {s, x, alpha, s, s});
  b.add_kernel_call(add, {e, w, alpha, out, out});
  b.inputs = {x};
  b.outputs = {out};
  return b.finish();
}

std::vector<uint8_t> seed_file(const char* name) {
  return std::strcmp(name, kAllClassesSeed) == 0 ? all_storage_classes_program()
                                                 : read_test_file(name);
}

std::vector<const char*> seeds() {
  std::vector<const char*> all(kFuzzSeeds, kFuzzSeeds + kNumFuzzSeeds);
  all.push_back(kAllClassesSeed);
  return all;
}

/// Per mutation category: how many variants, how each ended, how many wrote.
struct Tally {
  size_t variants = 0, wrote = 0;
  size_t outcomes[4] = {};
};

class StructuralFuzz : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_EQ(register_portable_kernels(), Error::Ok);
    ASSERT_EQ(register_test_backend(), Error::Ok);
  }
};

// The mutator keeps programs valid: every mutated file maps again (header,
// verifier), and a chain rebuilt with a no-op Move (a value onto itself)
// still runs as the seed.
TEST_P(StructuralFuzz, MutationsStayVerifiable) {
  const std::vector<uint8_t> file = seed_file(GetParam());
  ProgramMap map;
  ASSERT_TRUE(fuzz::map_program(file.data(), file.size(), &map)) << GetParam();
  size_t applied = 0;
  for (const StructuralMutation& m : fuzz::plan_campaign(map, name_seed(GetParam()), kPerClass)) {
    // In-place rewiring cannot break the flatbuffer: check what splices.
    if (m.op == StructuralMutation::Rewire && map.sites[m.site].at != 0) continue;
    std::vector<uint8_t> out;
    if (!fuzz::apply(file, map, m, &out)) continue;
    ++applied;
    ProgramMap again;
    ASSERT_TRUE(fuzz::map_program(out.data(), out.size(), &again)) << fuzz::describe(map, m);
  }
  EXPECT_GE(applied, 40u);
  for (uint32_t p = 0; p < map.plans.size(); ++p) {
    // A planned tensor (or an Int) moved onto itself: a constant is no Move target.
    int32_t v = -1;
    for (fuzz::ValueClass c : {fuzz::ValueClass::Planned, fuzz::ValueClass::Int}) {
      for (size_t i = 0; i < map.plans[p].values.size() && v < 0; ++i) {
        if (map.plans[p].values[i].cls == c) v = static_cast<int32_t>(i);
      }
    }
    if (map.plans[p].instructions_slot == 0 || v < 0) continue;
    StructuralMutation noop;
    noop.op = StructuralMutation::InsertMove;
    noop.plan = p;
    noop.target = noop.to = v;
    std::vector<uint8_t> out;
    ASSERT_TRUE(fuzz::apply(file, map, noop, &out));
    EXPECT_GT(out.size(), file.size());
    Stats stats;
    std::vector<uint8_t> temp(1 << 20);
    const RunResult r = run_variant(out, "no-op Move", &stats, temp);
    EXPECT_EQ(r.outcome, Outcome::Ran) << (stats.violations.empty() ? "" : stats.violations[0]);
  }
}

TEST_P(StructuralFuzz, MutatedProgramsFailCleanly) {
  const std::vector<uint8_t> file = seed_file(GetParam());
  ProgramMap map;
  ASSERT_TRUE(fuzz::map_program(file.data(), file.size(), &map)) << GetParam();
  const std::vector<StructuralMutation> mutations =
      fuzz::plan_campaign(map, name_seed(GetParam()), kPerClass);
  Stats stats;
  std::map<std::string, Tally> by_category;
  Tally by_op[4];
  std::vector<uint8_t> temp(1 << 20);
  {
    QuietErrors quiet;
    for (const StructuralMutation& m : mutations) {
      std::vector<uint8_t> variant;
      if (!fuzz::apply(file, map, m, &variant)) continue;
      const RunResult r = run_variant(
          variant, std::string(GetParam()) + ": " + fuzz::describe(map, m), &stats, temp);
      for (Tally* t : {&by_category[fuzz::category(map, m)], &by_op[m.op]}) {
        ++t->variants;
        ++t->outcomes[static_cast<int>(r.outcome)];
        t->wrote += r.wrote ? 1 : 0;
      }
    }
  }
  stats.print(GetParam());
  static const char* const kOps[] = {"rewire", "swap", "insert Move", "insert JumpFalse"};
  for (int op = 0; op < 4; ++op) {
    const Tally& t = by_op[op];
    std::printf("  %-16s %5zu variants: load %zu, load_method %zu, execute %zu, ran %zu; wrote %zu\n",
                kOps[op], t.variants, t.outcomes[0], t.outcomes[1], t.outcomes[2], t.outcomes[3],
                t.wrote);
  }
  // Every category: variants, outcomes (load/load_method/execute/ran), writes.
  for (const auto& entry : by_category) {
    const Tally& t = entry.second;
    std::printf("  %-36s %5zu: %zu/%zu/%zu/%zu%s", entry.first.c_str(), t.variants,
                t.outcomes[0], t.outcomes[1], t.outcomes[2], t.outcomes[3],
                t.wrote > 0 ? "" : "\n");
    if (t.wrote > 0) std::printf("  WROTE INTO THE PROGRAM: %zu\n", t.wrote);
  }
  RecordProperty("variants", static_cast<int>(stats.variants));
  RecordProperty("program_writes", static_cast<int>(stats.program_writes));
  EXPECT_GE(stats.variants, 50u);
  EXPECT_TRUE(stats.violations.empty()) << stats.violations.size() << " silent rejections, e.g. "
                                        << stats.violations[0];
  std::string examples;
  for (size_t k = 0; k < stats.writes.size() && k < 5; ++k) examples += "\n  " + stats.writes[k];
  EXPECT_EQ(stats.program_writes, 0u) << "variants wrote into the program image, e.g." << examples;
}

/// True for the mutations that can make a constant a write target: a value
/// index pointed at a constant, a value made constant, a constant moved.
bool targets_constant(const ProgramMap& map, const StructuralMutation& m) {
  const std::string c = fuzz::category(map, m);
  return c.find("->Constant") != std::string::npos || c.find("Move Constant->") != std::string::npos;
}

// The path a file takes: the loader maps it read-only, so a write into a
// constant is a SIGSEGV (and so is a write of the value already there, which
// the byte comparison cannot see). Every mutation that can make a constant a
// write target runs over a read-only copy in a child process; none may die.
TEST_P(StructuralFuzz, ReadOnlyImageNeverFaults) {
  const std::vector<uint8_t> file = seed_file(GetParam());
  ProgramMap map;
  ASSERT_TRUE(fuzz::map_program(file.data(), file.size(), &map)) << GetParam();
  std::vector<StructuralMutation> mutations;
  std::vector<std::vector<uint8_t>> variants = {file};  // the seed itself first
  for (const StructuralMutation& m : fuzz::plan_campaign(map, name_seed(GetParam()), kPerClass)) {
    std::vector<uint8_t> variant;
    if (!targets_constant(map, m) || !fuzz::apply(file, map, m, &variant)) continue;
    mutations.push_back(m);
    variants.push_back(std::move(variant));
  }
  const std::vector<size_t> died = run_read_only(variants);
  std::map<std::string, size_t> by_category;
  std::string examples;
  for (size_t k = 0; k < died.size(); ++k) {
    ASSERT_NE(died[k], 0u) << "the seed itself faults";
    const StructuralMutation& m = mutations[died[k] - 1];
    ++by_category[fuzz::category(map, m)];
    if (k < 5) examples += "\n  " + fuzz::describe(map, m);
  }
  std::printf("%s: %zu variants on a read-only image, %zu died\n", GetParam(), mutations.size(),
              died.size());
  for (const auto& entry : by_category) {
    std::printf("  died: %-36s %zu\n", entry.first.c_str(), entry.second);
  }
  EXPECT_GE(mutations.size(), 3u);
  EXPECT_TRUE(died.empty()) << died.size()
                            << " variants died writing into a read-only program image, e.g."
                            << examples;
}

INSTANTIATE_TEST_SUITE_P(Seeds, StructuralFuzz,
                         ::testing::ValuesIn(seeds()),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace testing
}  // namespace ember
