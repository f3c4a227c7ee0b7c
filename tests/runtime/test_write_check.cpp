// The load-time write check (runtime/executor/write_check.cpp): no program
// can make a kernel, a Move, a delegate or set_input write into constants
// (read-only mapped weights) or into a caller's input. Each case is a
// structurally valid program that load_method must reject with an error line
// naming the instruction, the value and why; and the constants must be
// untouched afterwards.
#include <gtest/gtest.h>

#include <cstring>

#include "runtime/backends/test/test_backend.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

TensorSpec unplanned(std::vector<int32_t> sizes) {
  TensorSpec t;
  t.sizes = std::move(sizes);
  return t;
}

/// A program's bytes, loaded, with memory for "forward".
struct Loaded {
  explicit Loaded(const PteBuilder& b) : p(load_program(b.finish())) {
    EXPECT_TRUE(p->program.ok());
    original = p->bytes;
    mem.reset(new MethodMemory(*p->program->method_meta("forward"), 1 << 20, 0, 4096));
  }
  Result<Method> load() { return p->program->load_method("forward", &mem->manager); }
  /// The program image is never written, rejected or not.
  bool image_unchanged() const { return p->bytes == original; }
  std::unique_ptr<LoadedProgram> p;
  std::vector<uint8_t> original;
  std::unique_ptr<MethodMemory> mem;
};

/// Load must fail with InvalidProgram and an error line containing each needle.
void expect_rejected(const PteBuilder& b, std::initializer_list<const char*> needles) {
  Loaded l(b);
  LogCapture log;
  Result<Method> m = l.load();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), Error::InvalidProgram);
  for (const char* needle : needles) EXPECT_TRUE(log.contains(needle)) << log.text();
  EXPECT_TRUE(l.image_unchanged());
}

class WriteCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_test_kernels();
    ASSERT_EQ(register_portable_kernels(), Error::Ok);
    ASSERT_EQ(register_test_backend(), Error::Ok);
  }
};

/// x (planned input), w (constant), out (planned).
struct Values {
  int x, w, out;
};
Values add_values(PteBuilder& b) {
  b.buffer_sizes = {0, 64};
  Values v;
  v.x = b.add_tensor(planned_f32({4}, 0));
  TensorSpec w = unplanned({4});
  w.data_buffer_idx = b.add_constant(float_bytes({1, 2, 3, 4}));
  v.w = b.add_tensor(w);
  v.out = b.add_tensor(planned_f32({4}, 16));
  b.inputs = {v.x};
  b.outputs = {v.out};
  return v;
}

// Reading a constant is fine: the reference case every rejection differs from.
TEST_F(WriteCheckTest, ReadingConstantsLoadsAndRuns) {
  PteBuilder b;
  const Values v = add_values(b);
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {v.w, v.out, v.out});
  Loaded l(b);
  Result<Method> m = l.load();
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->execute(), Error::Ok);
  EXPECT_EQ(m->get_output(0)->to_tensor().data_as<float>()[3], 4.0f);
  EXPECT_TRUE(l.image_unchanged());
}

// relu.out(self, *, out) -> out with the constant as `out`.
TEST_F(WriteCheckTest, KernelOutArgumentIsConstant) {
  PteBuilder b;
  const Values v = add_values(b);
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {v.x, v.w, v.out});
  expect_rejected(b, {"instruction 0 (aten::relu.out)", "argument 1", "a constant"});
}

// The result slot (after the schema's arguments) is written too.
TEST_F(WriteCheckTest, KernelResultIsConstant) {
  PteBuilder b;
  const Values v = add_values(b);
  b.add_kernel_call(b.add_operator("aten::addmm", "out"),
                    {v.x, v.x, v.x, b.add_int(1), b.add_int(1), v.out, v.w});
  expect_rejected(b, {"(aten::addmm.out) writes argument 6", "a constant"});
}

// In-place copy_(Tensor(a!) self, Tensor src, bool non_blocking) writes self.
TEST_F(WriteCheckTest, InPlaceSelfIsConstant) {
  PteBuilder b;
  const Values v = add_values(b);
  b.add_kernel_call(b.add_operator("aten::copy_", ""), {v.w, v.x, b.add_bool(false), v.w});
  expect_rejected(b, {"(aten::copy_) writes argument 0", "a constant"});
}

// Multi-output kernels: each out of max_pool2d_with_indices.out, and each
// item of a result TensorList.
TEST_F(WriteCheckTest, TensorListResultHoldsConstant) {
  PteBuilder b;
  const Values v = add_values(b);
  const int list = b.add_tensor_list({v.out, v.w});
  const int ks = b.add_int_list({b.add_int(1), b.add_int(1)});
  b.add_kernel_call(b.add_operator("aten::max_pool2d_with_indices", "out"),
                    {v.x, ks, ks, ks, ks, b.add_bool(false), v.out, v.w, list});
  expect_rejected(b, {"writes argument 7", "value 1"});
}

// An input slot set_input copies into must not be a constant.
TEST_F(WriteCheckTest, InputSlotIsConstant) {
  PteBuilder b;
  const Values v = add_values(b);
  b.inputs = {v.w};
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {v.w, v.out, v.out});
  expect_rejected(b, {"input 0 is value 1", "a constant", "set_input"});
}

// A kernel must not write a caller's unplanned input (only read, maybe read-only).
TEST_F(WriteCheckTest, KernelWritesUnplannedInput) {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  const int x = b.add_tensor(unplanned({4}));
  const int out = b.add_tensor(planned_f32({4}, 0));
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {out, x, x});
  b.inputs = {x};
  b.outputs = {out};
  expect_rejected(b, {"writes argument 1, value 0", "unplanned input"});
}

// Moves: into a constant; of a constant into a slot a kernel later writes;
// between values of different kinds.
TEST_F(WriteCheckTest, MoveIntoConstant) {
  PteBuilder b;
  const Values v = add_values(b);
  b.add_move(v.x, v.w);
  expect_rejected(b, {"instruction 0 (Move) writes its destination, value 1", "a constant"});
}

TEST_F(WriteCheckTest, MoveMakesPlannedValueShareAConstant) {
  PteBuilder b;
  const Values v = add_values(b);
  const int tmp = b.add_tensor(planned_f32({4}, 32));
  b.add_move(v.w, tmp);
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {v.x, tmp, tmp});
  expect_rejected(b, {"(aten::relu.out) writes argument 1", "share value 1", "a constant"});
}

TEST_F(WriteCheckTest, MoveChainReachesAnInputSlot) {
  PteBuilder b;
  const Values v = add_values(b);
  const int tmp = b.add_tensor(planned_f32({4}, 32));
  b.add_move(tmp, v.x);  // x <- tmp <- w: set_input(0) of the next run writes w
  b.add_move(v.w, tmp);
  expect_rejected(b, {"input 0 is value 0", "a Move can make share value 1"});
}

TEST_F(WriteCheckTest, MoveBetweenKinds) {
  PteBuilder b;
  const Values v = add_values(b);
  b.add_move(b.add_int(3), v.out);
  expect_rejected(b, {"(Move)", "different kinds"});
}

// et_view makes its result share self's bytes: a view of a constant is read-only.
TEST_F(WriteCheckTest, ViewOfConstantIsWritten) {
  PteBuilder b;
  const Values v = add_values(b);
  const int view = b.add_tensor(planned_f32({4}, 48));
  const int size = b.add_int_list({b.add_int(4)});
  b.add_kernel_call(b.add_operator("executorch_prim::et_view", "default"), {v.w, size, view});
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {v.x, view, view});
  expect_rejected(b, {"(aten::relu.out) writes argument 1", "share value 1"});
}

// An operator without a write description has every tensor argument checked.
TEST_F(WriteCheckTest, UnknownOperatorMayNotTouchConstants) {
  static const Kernel k[] = {{"test::opaque.out", [](KernelContext&, Span<EValue*>) {}, {}}};
  ASSERT_EQ(register_kernels(k), Error::Ok);
  ASSERT_EQ(find_operator_writes("test::opaque.out"), nullptr);
  PteBuilder b;
  const Values v = add_values(b);
  b.add_kernel_call(b.add_operator("test::opaque", "out"), {v.w, v.out, v.out});
  expect_rejected(b, {"(test::opaque.out) writes argument 0", "a constant"});
}

// Delegates: outputs (the backend says how many) must be writable; inputs may be constants.
TEST_F(WriteCheckTest, DelegateOutputIsConstant) {
  const std::vector<uint8_t> nested = add_program();  // (a, b) -> a + b
  for (bool output_is_constant : {false, true}) {
    PteBuilder b;
    const Values v = add_values(b);
    DelegateSpec d;
    d.id = kTestBackendName;
    d.index = b.add_inline_data(nested);
    const int out = output_is_constant ? v.w : v.out;
    b.add_delegate_call(b.add_delegate(d), {v.x, v.w, out});
    if (output_is_constant) {
      expect_rejected(b, {"(delegate 0, backend EmberTestBackend) writes argument 2", "a constant"});
    } else {
      Loaded l(b);
      EXPECT_TRUE(l.load().ok());
    }
  }
}

// Registering an operator's writes twice must agree.
TEST_F(WriteCheckTest, ConflictingRegistrationIsAnError) {
  const OperatorWrites same[] = {{"test::add.out", 2, 0}};
  EXPECT_EQ(register_operator_writes(same), Error::Ok);
  const OperatorWrites other[] = {{"test::add.out", 2, 0x1}};
  LogCapture log;
  EXPECT_EQ(register_operator_writes(other), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("registered twice")) << log.text();
}

// Every kernel the runtime ships says what it writes.
TEST_F(WriteCheckTest, EveryRegisteredKernelHasAWriteDescription) {
  for (size_t i = 0; i < num_registered_kernels(); ++i) {
    const char* name = registered_kernel(i)->name;
    // The tests' own kernels (test::, registry_test::) have no schema.
    if (std::strncmp(name, "test::", 6) == 0 || std::strncmp(name, "registry_test::", 15) == 0) {
      continue;
    }
    EXPECT_NE(find_operator_writes(name), nullptr) << name;
  }
}

// The committed hostile files (ember_run's and Python's regression tests) are
// what test_programs.cpp builds today, and the check refuses the first.
TEST_F(WriteCheckTest, CommittedHostileProgramsUpToDate) {
  EXPECT_EQ(read_test_file("ember_writes_constant.pte"), writes_constant_program());
  EXPECT_EQ(read_test_file("ember_endless_loop.pte"), endless_loop_program());
  std::unique_ptr<LoadedProgram> p = load_program(writes_constant_program());
  ASSERT_TRUE(p->program.ok());
  MethodMemory mem(*p->program->method_meta("forward"), 1 << 16, 0, 1024);
  LogCapture log;
  EXPECT_EQ(p->program->load_method("forward", &mem.manager).error(), Error::InvalidProgram);
}

}  // namespace
}  // namespace testing
}  // namespace ember
