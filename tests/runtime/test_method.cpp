// Method loading and execution: arena layout, value table, instructions,
// inputs, errors, and the reference file et_two.pte run end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

TensorSpec planned(std::vector<int32_t> sizes, uint64_t offset, uint32_t memory_id = 1,
                   ScalarType dtype = ScalarType::Float) {
  TensorSpec t;
  t.dtype = dtype;
  t.sizes = std::move(sizes);
  t.planned = true;
  t.memory_id = memory_id;
  t.offset = offset;
  return t;
}

/// A loaded program plus memory for its "forward" method.
struct Fixture {
  explicit Fixture(std::vector<uint8_t> bytes, size_t arena = 1 << 20, size_t temp = 4096)
      : p(load_program(std::move(bytes))) {
    EXPECT_TRUE(p->program.ok());
    meta = *p->program->method_meta("forward");
    mem.reset(new MethodMemory(meta, arena, 0, temp));
  }
  Result<Method> load() { return p->program->load_method("forward", &mem->manager); }
  std::unique_ptr<LoadedProgram> p;
  MethodMeta meta;
  std::unique_ptr<MethodMemory> mem;
};

class MethodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_test_kernels();
    g_test_kernel_calls = 0;
  }
};

/// x (planned input) + y (constant) -> out (planned), through test::add.out.
PteBuilder add_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  const int x = b.add_tensor(planned({4}, 0));
  TensorSpec y;
  y.sizes = {4};
  y.data_buffer_idx = b.add_constant(float_bytes({10, 20, 30, 40}));
  const int yi = b.add_tensor(y);
  const int out = b.add_tensor(planned({4}, 16));
  b.add_kernel_call(b.add_operator("test::add", "out"), {x, yi, out, out});
  b.inputs = {x};
  b.outputs = {out};
  return b;
}

// ExecuTorch's planned offsets land at planned_buffers[memory_id - 1] + offset.
TEST_F(MethodTest, ArenaLayoutOfReferenceFile) {
  register_et_two_kernels();
  Fixture f(read_test_file("et_two.pte"));
  if (!has_kernel("dim_order_ops::_to_dim_order_copy.out")) GTEST_SKIP() << "kernel missing";
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  uint8_t* base = f.mem->spans[0].data();
  EXPECT_EQ(m->value(1)->to_tensor().data(), base + 128);  // input a
  EXPECT_EQ(m->value(2)->to_tensor().data(), base + 96);   // input b
  EXPECT_EQ(m->value(7)->to_tensor().data(), base + 64);   // output 0
  EXPECT_EQ(m->value(10)->to_tensor().data(), base + 0);   // output 1
  // The constant points into the file's constant segment (base 2048).
  EXPECT_EQ(m->value(0)->to_tensor().data(), f.p->bytes.data() + 2048);
  EXPECT_EQ(m->get_input(0), m->value(1));
  EXPECT_EQ(m->get_output(1), m->value(10));
  EXPECT_EQ(m->get_output(2), nullptr);
}

// Two planned buffers: memory_id 2 uses the second span; bad ids and offsets fail.
TEST_F(MethodTest, ArenaLayoutTwoBuffers) {
  PteBuilder b;
  b.buffer_sizes = {0, 64, 128};
  const int a = b.add_tensor(planned({4}, 16, 1));
  const int c = b.add_tensor(planned({8}, 96, 2));
  b.outputs = {a, c};
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value(0)->to_tensor().data(), f.mem->spans[0].data() + 16);
  EXPECT_EQ(m->value(1)->to_tensor().data(), f.mem->spans[1].data() + 96);

  for (const TensorSpec& bad : {planned({8}, 100, 2),   // runs past buffer 2
                                planned({4}, 0, 3),     // no buffer 3
                                planned({4}, 0, 0),     // memory_id is 1-based
                                planned({4}, uint64_t{1} << 32, 1),
                                planned({4}, 2, 1)}) {  // misaligned for float32
    PteBuilder bb;
    bb.buffer_sizes = {0, 64, 128};
    bb.outputs = {bb.add_tensor(bad)};
    Fixture fb(bb.finish());
    EXPECT_EQ(fb.load().error(), Error::InvalidProgram);
  }
}

// A caller buffer smaller than the plan is refused at load.
TEST_F(MethodTest, PlannedBufferTooSmall) {
  Fixture f(add_program().finish());
  f.mem->spans[0] = Span<uint8_t>(f.mem->planned[0].data(), 32);
  EXPECT_EQ(f.load().error(), Error::InvalidArgument);
  f.mem->manager.planned_buffers = Span<Span<uint8_t>>();
  EXPECT_EQ(f.load().error(), Error::InvalidArgument);
}

// A method arena that is too small fails with MemoryAllocationFailed; the
// bound from MethodMeta is enough for both reference files.
TEST_F(MethodTest, MethodMemoryBound) {
  Fixture small(add_program().finish(), 64);
  EXPECT_EQ(small.load().error(), Error::MemoryAllocationFailed);
  register_et_two_kernels();
  for (const char* name : {"et_two.pte", "et_cnn.pte", static_cast<const char*>(nullptr)}) {
    std::vector<uint8_t> bytes = name ? read_test_file(name) : add_program().finish();
    auto p = load_program(bytes);
    ASSERT_TRUE(p->program.ok());
    MethodMeta meta = *p->program->method_meta("forward");
    MethodMemory mem(meta, meta.method_memory_bound());
    Result<Method> m = p->program->load_method("forward", &mem.manager);
    EXPECT_NE(m.error(), Error::MemoryAllocationFailed) << (name ? name : "add");
    EXPECT_LE(mem.method_allocator.used(), meta.method_memory_bound());
  }
}

// End to end on a synthetic program: planned input copied, constant read, kernel run.
TEST_F(MethodTest, ExecutesKernel) {
  Fixture f(add_program().finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  const float x[4] = {1, 2, 3, 4};
  ASSERT_EQ(m->set_input(0, x, sizeof(x)), Error::Ok);
  ASSERT_EQ(m->execute(), Error::Ok);
  const Tensor& out = m->get_output(0)->to_tensor();
  EXPECT_EQ(out.data_as<float>()[0], 11.0f);
  EXPECT_EQ(out.data_as<float>()[3], 44.0f);
  EXPECT_EQ(g_test_kernel_calls, 1);
  EXPECT_EQ(m->set_input(0, x, 8), Error::InvalidArgument);  // wrong byte count
  EXPECT_EQ(m->set_input(1, x, sizeof(x)), Error::InvalidArgument);  // no input 1
}

// Every kind of value is parsed, and list items point at the right values.
TEST_F(MethodTest, ValueTable) {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  const int i0 = b.add_int(3);
  const int i1 = b.add_int(-4);
  const int t0 = b.add_tensor(planned({2}, 0));
  const int il = b.add_int_list({i0, i1});
  const int tl = b.add_tensor_list({t0, t0});
  const int ol = b.add_optional_tensor_list({-1, t0});
  const int dl = b.add_double_list({0.5, 1.5});
  const int bl = b.add_bool_list({true, false, true});
  const int s = b.add_string("hello");
  const int n = b.add_null();
  const int d = b.add_double(2.25);
  b.outputs = {t0};
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value(il)->to_int_list()[1], -4);
  EXPECT_EQ(m->value(il)->payload.as_int_list.items[0], m->value(i0));
  EXPECT_EQ(m->value(tl)->payload.as_tensor_list.size, 2u);
  EXPECT_EQ(m->value(tl)->payload.as_tensor_list.items[1], m->value(t0));
  EXPECT_EQ(m->value(ol)->payload.as_tensor_list.items[0], nullptr);
  EXPECT_EQ(m->value(ol)->payload.as_tensor_list.items[1], m->value(t0));
  EXPECT_EQ(m->value(dl)->payload.as_double_list.items[1], 1.5);
  EXPECT_EQ(m->value(bl)->payload.as_bool_list.items[2], 1);
  EXPECT_EQ(std::string(m->value(s)->payload.as_string.data, m->value(s)->payload.as_string.size),
            "hello");
  EXPECT_TRUE(m->value(n)->is_none());
  EXPECT_EQ(m->value(d)->to_double(), 2.25);
  EXPECT_EQ(m->num_values(), 11u);
}

// List items must name values of the right kind, inside the table.
TEST_F(MethodTest, BadListsRejected) {
  for (int which = 0; which < 4; ++which) {
    PteBuilder b;
    b.buffer_sizes = {0, 64};
    const int t0 = b.add_tensor(planned({2}, 0));
    const int i0 = b.add_int(1);
    if (which == 0) b.add_int_list({t0});       // IntList item is a tensor
    if (which == 1) b.add_int_list({i0, 99});   // out of range
    if (which == 2) b.add_tensor_list({i0});    // TensorList item is an int
    if (which == 3) b.add_optional_tensor_list({-2});
    b.outputs = {t0};
    Fixture f(b.finish());
    EXPECT_EQ(f.load().error(), Error::InvalidProgram) << "case " << which;
  }
}

// Move copies a value; JumpFalse on false skips to its destination; Free is a no-op.
TEST_F(MethodTest, MoveJumpFalseFree) {
  PteBuilder b;
  const int src = b.add_int(7);
  const int dst = b.add_int(0);
  const int cond = b.add_bool(false);
  const int fail = b.add_operator("test::fail", "out");
  b.add_move(src, dst);
  b.add_jump_false(cond, 3);
  b.add_kernel_call(fail, {});
  b.add_free(src);
  b.outputs = {dst};
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->execute(), Error::Ok);
  EXPECT_EQ(m->get_output(0)->to_int(), 7);
  EXPECT_EQ(g_test_kernel_calls, 0);

  PteBuilder bad;
  const int c = bad.add_bool(true);
  bad.add_jump_false(c, 5);  // past the end of a 1-instruction chain
  Fixture fb(bad.finish());
  EXPECT_EQ(fb.load().error(), Error::InvalidProgram);
  PteBuilder bad_move;
  bad_move.add_move(bad_move.add_int(1), 42);
  Fixture fm(bad_move.finish());
  EXPECT_EQ(fm.load().error(), Error::InvalidProgram);
}

// A JumpFalse loop whose condition never changes: the step limit ends it.
TEST_F(MethodTest, StepLimitEndsEndlessLoop) {
  PteBuilder b;
  const int cond = b.add_bool(false);
  b.add_free(cond);
  b.add_jump_false(cond, 0);  // back to the start, forever
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  m->set_step_limit(1000);
  LogCapture log;
  EXPECT_EQ(m->execute(), Error::InvalidState);
  EXPECT_TRUE(log.contains("step limit of 1000")) << log.text();
  PteBuilder straight;  // two steps: a limit of 2 is enough, 1 is not
  straight.add_free(straight.add_int(1));
  straight.add_free(0);
  Fixture g(straight.finish());
  Result<Method> m2 = g.load();
  ASSERT_TRUE(m2.ok());
  m2->set_step_limit(2);
  EXPECT_EQ(m2->execute(), Error::Ok);
  m2->set_step_limit(1);
  EXPECT_EQ(m2->execute(), Error::InvalidState);
}

// Without a call to set_step_limit the loop still ends, at the default limit.
TEST_F(MethodTest, DefaultStepLimitEndsEndlessLoop) {
  PteBuilder b;
  const int cond = b.add_bool(false);
  b.add_jump_false(cond, 0);
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->step_limit(), Method::kDefaultStepLimit);
  LogCapture log;
  EXPECT_EQ(m->execute(), Error::InvalidState);
  EXPECT_TRUE(log.contains("step limit of 100000000 instructions")) << log.text();
  m->set_step_limit(0);  // 0: no limit (the program here never ends, so not run)
  EXPECT_EQ(m->step_limit(), 0u);
}

// A method allocator that is too small: the error names the bytes asked for
// and the allocator's size.
TEST_F(MethodTest, AllocationFailureNamesBytesAndArena) {
  Fixture f(add_program().finish(), /*arena=*/256);
  LogCapture log;
  Result<Method> m = f.load();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), Error::MemoryAllocationFailed);
  EXPECT_TRUE(log.contains("the method allocator could not give")) << log.text();
  EXPECT_TRUE(log.contains("of its 256 bytes are used")) << log.text();
}

// A kernel that fails makes execute return KernelFailed.
TEST_F(MethodTest, KernelFailure) {
  PteBuilder b;
  b.add_kernel_call(b.add_operator("test::fail", "out"), {});
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->execute(), Error::KernelFailed);
}

// Unknown operators, dtypes without a kernel, bad operator indices.
TEST_F(MethodTest, OperatorMissing) {
  PteBuilder b;
  b.add_kernel_call(b.add_operator("test::nope", "out"), {});
  EXPECT_EQ(Fixture(b.finish()).load().error(), Error::OperatorMissing);

  PteBuilder ints;  // test::add.out only has a float32 key and no catch-all
  ints.buffer_sizes = {0, 64};
  const int x = ints.add_tensor(planned({2}, 0, 1, ScalarType::Int));
  ints.add_kernel_call(ints.add_operator("test::add", "out"), {x, x, x, x});
  ints.outputs = {x};
  EXPECT_EQ(Fixture(ints.finish()).load().error(), Error::OperatorMissing);

  PteBuilder bad_index;
  bad_index.add_kernel_call(3, {});
  EXPECT_EQ(Fixture(bad_index.finish()).load().error(), Error::InvalidProgram);

  PteBuilder bad_arg;
  bad_arg.add_kernel_call(bad_arg.add_operator("test::fail", "out"), {17});
  EXPECT_EQ(Fixture(bad_arg.finish()).load().error(), Error::InvalidProgram);
}

// A DelegateCall must name one of the plan's delegates (here there are none);
// test_delegate.cpp covers delegates that exist.
TEST_F(MethodTest, DelegateCallIndexChecked) {
  PteBuilder b;
  b.add_delegate_call(0, {});
  EXPECT_EQ(Fixture(b.finish()).load().error(), Error::InvalidProgram);
}

// An unplanned input must be bound before execute; binding does not copy.
TEST_F(MethodTest, UnplannedInput) {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  TensorSpec in;
  in.sizes = {4};
  const int x = b.add_tensor(in);
  const int out = b.add_tensor(planned({4}, 0));
  b.add_kernel_call(b.add_operator("test::copy", "out"), {x, out, out});
  b.inputs = {x};
  b.outputs = {out};
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->execute(), Error::InvalidState);
  alignas(8) uint8_t raw[20] = {};
  EXPECT_EQ(m->set_input(0, raw + 1, 16), Error::InvalidArgument);  // misaligned
  const float data[4] = {5, 6, 7, 8};
  ASSERT_EQ(m->set_input(0, data, sizeof(data)), Error::Ok);
  EXPECT_EQ(m->get_input(0)->to_tensor().data(), data);
  ASSERT_EQ(m->execute(), Error::Ok);
  EXPECT_EQ(m->get_output(0)->to_tensor().data_as<float>()[3], 8.0f);

  PteBuilder orphan;  // a storage-less tensor that is not an input
  TensorSpec t;
  t.sizes = {4};
  orphan.add_tensor(t);
  EXPECT_EQ(Fixture(orphan.finish()).load().error(), Error::InvalidProgram);
}

// Dynamic-bound inputs accept smaller sizes; static ones and wrong dtypes do not.
TEST_F(MethodTest, InputShapes) {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  TensorSpec in = planned({2, 4}, 0);
  in.dynamism = ShapeDynamism::DynamicBound;
  const int x = b.add_tensor(in);
  TensorSpec o = planned({2, 4}, 32);
  o.dynamism = ShapeDynamism::DynamicBound;
  const int out = b.add_tensor(o);
  const int s = b.add_tensor(planned({2}, 0));
  b.add_kernel_call(b.add_operator("test::copy", "out"), {x, out, out});
  b.inputs = {x, s};
  b.outputs = {out};
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());

  int32_t sizes[2] = {1, 4};
  uint8_t order[2] = {0, 1};
  int32_t strides[2];
  float data[4] = {1, 2, 3, 4};
  Tensor small(ScalarType::Float, 2, sizes, order, strides, data);
  ASSERT_EQ(m->set_input(0, small), Error::Ok);
  EXPECT_EQ(m->get_input(0)->to_tensor().size(0), 1);
  ASSERT_EQ(m->execute(), Error::Ok);
  const Tensor& y = m->get_output(0)->to_tensor();
  EXPECT_EQ(y.size(0), 1);
  EXPECT_EQ(y.numel(), 4);
  EXPECT_EQ(y.data_as<float>()[2], 3.0f);

  int32_t big_sizes[2] = {3, 4};
  float big_data[12] = {};
  Tensor big(ScalarType::Float, 2, big_sizes, order, strides, big_data);
  EXPECT_EQ(m->set_input(0, big), Error::InvalidArgument);
  int32_t one[1] = {1};
  Tensor static_small(ScalarType::Float, 1, one, order, strides, data);
  EXPECT_EQ(m->set_input(1, static_small), Error::InvalidArgument);
  int32_t two[1] = {2};
  int32_t ints[2] = {1, 2};
  Tensor wrong_dtype(ScalarType::Int, 1, two, order, strides, ints);
  EXPECT_EQ(m->set_input(1, wrong_dtype), Error::InvalidArgument);
  EValue scalar;
  scalar.tag = Tag::Int;
  EXPECT_EQ(m->set_input(1, scalar), Error::InvalidArgument);  // tensor input
}

// A planned tensor with data_buffer_idx gets its initial value at load.
TEST_F(MethodTest, MutableDataInitialValue) {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  TensorSpec t = planned({3}, 16);
  t.data_buffer_idx = b.add_mutable_data(float_bytes({0.25f, 0.5f, 0.75f}));
  b.outputs = {b.add_tensor(t)};
  Fixture f(b.finish());
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->get_output(0)->to_tensor().data(), f.mem->spans[0].data() + 16);
  EXPECT_EQ(m->get_output(0)->to_tensor().data_as<float>()[2], 0.75f);
}

// A named mutable buffer without data (ExecuTorch's default for mutable
// buffers; Ember's for all-zero ones, a KV cache's) starts at zero whatever
// the planned memory held; an unnamed planned tensor is left as it is.
TEST_F(MethodTest, NamedBufferWithoutDataStartsAtZero) {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  TensorSpec named = planned({3}, 0);
  named.fqn = "cache";
  TensorSpec scratch = planned({3}, 32);
  b.outputs = {b.add_tensor(named), b.add_tensor(scratch)};
  Fixture f(b.finish());
  std::memset(f.mem->spans[0].data(), 0xff, 64);
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  const float* cache = m->get_output(0)->to_tensor().data_as<float>();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cache[i], 0.0f) << i;
  const uint8_t* rest = f.mem->spans[0].data() + 32;
  for (int i = 0; i < 12; ++i) EXPECT_EQ(rest[i], 0xff) << i;
  // A caller whose planned memory is fresh zeros says so, and the load
  // leaves the buffer's pages untouched (Module: a KV cache's unused
  // positions never become resident).
  Fixture fresh(b.finish());
  std::memset(fresh.mem->spans[0].data(), 0xff, 64);
  fresh.mem->manager.planned_memory_zeroed = true;
  Result<Method> untouched = fresh.load();
  ASSERT_TRUE(untouched.ok());
  EXPECT_EQ(fresh.mem->spans[0].data()[0], 0xff);
}

// Kernels get scratch memory from the temp allocator, none without one.
TEST_F(MethodTest, TempMemory) {
  PteBuilder b;
  b.add_kernel_call(b.add_operator("test::temp", "out"), {});
  Fixture with(b.finish());
  Result<Method> m = with.load();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->execute(), Error::Ok);
  EXPECT_EQ(m->execute(), Error::Ok);  // reset between calls
  Fixture without(b.finish());
  without.mem->manager.temp_allocator = nullptr;
  Result<Method> m2 = without.load();
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->execute(), Error::KernelFailed);
}

// et_two.pte from ExecuTorch: out0 = a + b * 2, out1 = sigmoid(a) - b. If the
// dim-order copy kernel is missing the load must fail with OperatorMissing.
TEST_F(MethodTest, RunsReferenceTwoInputs) {
  const bool portable = register_et_two_kernels();
  Fixture f(read_test_file("et_two.pte"));
  Result<Method> m = f.load();
  if (!has_kernel("dim_order_ops::_to_dim_order_copy.out")) {
    EXPECT_EQ(m.error(), Error::OperatorMissing);
    GTEST_SKIP() << "dim_order_ops::_to_dim_order_copy.out is not registered";
  }
  ASSERT_TRUE(m.ok()) << "portable kernels: " << portable;
  const float a[6] = {-1.5f, -0.5f, 0.0f, 0.25f, 1.0f, 3.0f};
  const float b[6] = {2.0f, -1.0f, 0.5f, 0.0f, -3.0f, 0.125f};
  ASSERT_EQ(m->set_input(0, a, sizeof(a)), Error::Ok);
  ASSERT_EQ(m->set_input(1, b, sizeof(b)), Error::Ok);
  for (int run = 0; run < 2; ++run) {  // results must not depend on leftovers
    ASSERT_EQ(m->execute(), Error::Ok);
    const float* out0 = m->get_output(0)->to_tensor().data_as<float>();
    const float* out1 = m->get_output(1)->to_tensor().data_as<float>();
    for (int i = 0; i < 6; ++i) {
      EXPECT_NEAR(out0[i], a[i] + b[i] * 2.0f, 1e-6f) << i;
      EXPECT_NEAR(out1[i], 1.0f / (1.0f + std::exp(-a[i])) - b[i], 1e-6f) << i;
    }
  }
}

// Poison mode: x -> a = copy(x) -> b = copy(a) -> out = b + c. With `b_offset`
// 16, b shares a's bytes although both are alive at the second copy: the
// plan is wrong, yet an in-place copy still gives the right answer. Poison
// mode fills a's bytes when a dies (after the second copy), so b reads NaN.
PteBuilder copy_chain(uint64_t b_offset) {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  const int x = b.add_tensor(planned({4}, 0));
  const int a = b.add_tensor(planned({4}, 16));
  const int bv = b.add_tensor(planned({4}, b_offset));
  TensorSpec c;
  c.sizes = {4};
  c.data_buffer_idx = b.add_constant(float_bytes({10, 20, 30, 40}));
  const int ci = b.add_tensor(c);
  const int out = b.add_tensor(planned({4}, 48));
  const int copy = b.add_operator("test::copy", "out");
  b.add_kernel_call(copy, {x, a, a});
  b.add_kernel_call(copy, {a, bv, bv});
  b.add_kernel_call(b.add_operator("test::add", "out"), {bv, ci, out, out});
  b.inputs = {x};
  b.outputs = {out};
  return b;
}

std::vector<float> run_copy_chain(uint64_t b_offset, bool poison) {
  Fixture f(copy_chain(b_offset).finish());
  f.mem->manager.poison_dead_memory = poison;
  Result<Method> m = f.load();
  EXPECT_TRUE(m.ok());
  if (!m.ok()) return {};
  float in[4] = {1, 2, 3, 4};
  EXPECT_EQ(m->set_input(0, in, sizeof(in)), Error::Ok);
  EXPECT_EQ(m->execute(), Error::Ok);
  const float* out = m->get_output(0)->to_tensor().data_as<const float>();
  return {out[0], out[1], out[2], out[3]};
}

TEST_F(MethodTest, PoisonModeCatchesAPlanThatOverlapsLiveTensors) {
  const std::vector<float> want = {11, 22, 33, 44};
  EXPECT_EQ(run_copy_chain(32, false), want);  // a valid plan
  EXPECT_EQ(run_copy_chain(32, true), want);   // ... also under poison
  EXPECT_EQ(run_copy_chain(16, false), want);  // wrong, but right by luck
  for (float v : run_copy_chain(16, true)) EXPECT_TRUE(std::isnan(v));  // caught
}

TEST_F(MethodTest, PoisonModeLeavesInputsOutputsAndConstantsAlone) {
  Fixture f(copy_chain(32).finish());
  f.mem->manager.poison_dead_memory = true;
  Result<Method> m = f.load();
  ASSERT_TRUE(m.ok());
  float in[4] = {1, 2, 3, 4};
  for (int run = 0; run < 2; ++run) {  // a second run sees the same constants and input
    ASSERT_EQ(m->set_input(0, in, sizeof(in)), Error::Ok);
    ASSERT_EQ(m->execute(), Error::Ok);
    const float* x = m->get_input(0)->to_tensor().data_as<const float>();
    const float* c = m->value(3)->to_tensor().data_as<const float>();
    const float* out = m->get_output(0)->to_tensor().data_as<const float>();
    EXPECT_EQ(x[3], 4);
    EXPECT_EQ(c[3], 40);
    EXPECT_EQ(out[3], 44);
    const float* a = m->value(1)->to_tensor().data_as<const float>();
    EXPECT_TRUE(std::isnan(a[0]));  // a died at the second copy
  }
}

// A kernel's load-time preparation (KernelPrepareFn): called once per
// instruction after the program is checked, told which arguments are
// constants; its state reaches every call of that instruction; release runs
// once when the method is destroyed, also after a move.
struct PrepareLog {
  int prepared = 0, released = 0;
  std::vector<bool> constant;
};
PrepareLog g_prepare;

void* prep_prepare(Span<EValue* const> args, Span<const bool> constant, Span<bool> packed) {
  ++g_prepare.prepared;
  packed[1] = constant[1];  // the state is all the calls read of w
  g_prepare.constant.assign(constant.begin(), constant.end());
  // The state: the constant's first element, read at load.
  return new float(args[1]->to_tensor().data_as<const float>()[0]);
}
void prep_release(void* state) {
  ++g_prepare.released;
  delete static_cast<float*>(state);
}
/// test::prep.out(x, w, out): out = x + the prepared value (w[0] at load).
void prep_kernel(KernelContext& ctx, Span<EValue*> args) {
  const auto* s = static_cast<const float*>(ctx.state());
  if (s == nullptr) return ctx.fail(Error::Internal);
  const Tensor& x = args[0]->to_tensor();
  float* out = args[2]->to_tensor().data_as<float>();
  for (int64_t i = 0; i < x.numel(); ++i) out[i] = x.data_as<const float>()[i] + *s;
}

/// test::prep.out with its prepare and release, and a fresh log.
void register_prep_kernel() {
  static const Kernel k[] = {{"test::prep.out", &prep_kernel, {}, &prep_prepare, &prep_release}};
  static const OperatorWrites writes[] = {{"test::prep.out", 3, 1u << 2}};
  EXPECT_EQ(register_kernels(k), Error::Ok);
  EXPECT_EQ(register_operator_writes(writes), Error::Ok);
  g_prepare = PrepareLog();
}

/// x (planned input) and w (constant) into test::prep.out, registered with its
/// prepare and release; with `constant_out` the constant is the out argument
/// (a program the write check rejects).
PteBuilder prep_program(bool constant_out) {
  register_prep_kernel();
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  const int x = b.add_tensor(planned({4}, 0));
  TensorSpec w;
  w.sizes = {4};
  w.data_buffer_idx = b.add_constant(float_bytes({5, 6, 7, 8}));
  const int wi = b.add_tensor(w);
  const int out = constant_out ? wi : b.add_tensor(planned({4}, 16));
  b.add_kernel_call(b.add_operator("test::prep", "out"), {x, constant_out ? x : wi, out, out});
  b.inputs = {x};
  b.outputs = {constant_out ? x : out};
  return b;
}

TEST_F(MethodTest, KernelPrepareStateReachesEveryCallAndIsReleasedOnce) {
  {
    Fixture f(prep_program(false).finish());
    Result<Method> loaded = f.load();
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(g_prepare.prepared, 1);
    EXPECT_EQ(g_prepare.constant, (std::vector<bool>{false, true, false, false}));
    Method m = std::move(*loaded);  // the state moves with the method
    float in[4] = {1, 2, 3, 4};
    for (int run = 0; run < 3; ++run) {
      ASSERT_EQ(m.set_input(0, in, sizeof(in)), Error::Ok);
      ASSERT_EQ(m.execute(), Error::Ok);
      EXPECT_EQ(m.get_output(0)->to_tensor().data_as<const float>()[3], 4 + 5);
    }
    EXPECT_EQ(g_prepare.prepared, 1);
    EXPECT_EQ(g_prepare.released, 0);
  }
  EXPECT_EQ(g_prepare.released, 1);
}

/// x (planned input) and w (constant): `packing` test::prep.out calls read
/// w, each out = x + w[0], and with `plain_reader` test::add.out then adds w
/// itself (a reader that did not pack it).
PteBuilder packed_reader_program(int packing, bool plain_reader) {
  register_prep_kernel();
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  const int x = b.add_tensor(planned({4}, 0));
  TensorSpec w;
  w.sizes = {1024};  // 4 KiB: whole pages of a memory-mapped file
  std::vector<float> values(1024, 5.0f);
  w.data_buffer_idx = b.add_constant(float_bytes(values));
  const int wi = b.add_tensor(w);
  const int out = b.add_tensor(planned({4}, 16));
  const int op = b.add_operator("test::prep", "out");
  for (int i = 0; i < packing; ++i) b.add_kernel_call(op, {i == 0 ? x : out, wi, out, out});
  int result = out;
  if (plain_reader) {
    TensorSpec head;
    head.sizes = {4};
    head.data_buffer_idx = w.data_buffer_idx;  // w's first four values, read as they are
    const int hi = b.add_tensor(head);
    result = b.add_tensor(planned({4}, 32));
    b.add_kernel_call(b.add_operator("test::add", "out"), {out, hi, result, result});
  }
  b.inputs = {x};
  b.outputs = {result};
  return b;
}

// A constant every reader packed at load goes back to the data loader (once);
// one that some instruction still reads as it is stays.
TEST_F(MethodTest, PackedConstantsGoBackToTheLoader) {
  struct Case {
    int packing;
    bool plain_reader;
    size_t releases;
    float want;
  };
  for (const Case& c : {Case{1, false, 1, 1 + 5}, Case{2, false, 1, 1 + 5 + 5},
                        Case{1, true, 0, 1 + 5 + 5}}) {
    PoisoningLoader loader(packed_reader_program(c.packing, c.plain_reader).finish());
    Result<Program> program = Program::load(&loader);
    ASSERT_TRUE(program.ok());
    MethodMemory mem(*program->method_meta("forward"));
    const size_t before = loader.releases;
    Result<Method> m = program->load_method("forward", &mem.manager);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(loader.releases - before, c.releases) << c.packing << c.plain_reader;
    if (c.releases > 0) {
      EXPECT_EQ(loader.released_bytes, 4096u);
    }
    float in[4] = {1, 2, 3, 4};
    ASSERT_EQ(m->set_input(0, in, sizeof(in)), Error::Ok);
    ASSERT_EQ(m->execute(), Error::Ok);  // a read of released (poisoned) bytes would show
    EXPECT_EQ(m->get_output(0)->to_tensor().data_as<const float>()[0], c.want);
  }
}

TEST_F(MethodTest, KernelPrepareNeverRunsOnARejectedProgram) {
  Fixture f(prep_program(true).finish());
  LogCapture log;
  EXPECT_FALSE(f.load().ok());
  EXPECT_TRUE(log.contains("a constant"));
  EXPECT_EQ(g_prepare.prepared, 0);
  EXPECT_EQ(g_prepare.released, 0);
}

}  // namespace
}  // namespace testing
}  // namespace ember
