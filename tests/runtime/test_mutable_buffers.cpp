// Mutable buffers as ExecuTorch 1.4.1 writes them: et_counter.pte holds a
// module with buffers `count` [1] and `cache` [4, 3] (float32) and
//   forward(x [1, 3], idx [1] int64):
//     count.add_(1); cache.index_put_((idx,), x); return cache * count
// exported as add.out / index_put.out into temporaries, then aten::copy_
// back into the buffers. The buffers are planned memory with no initial value
// in the file: they start as the zeros of freshly allocated planned memory,
// and their state must persist from one execute() to the next.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "runtime/extension/module.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

struct Call {
  float x[3];
  int64_t idx;
};

// ExecuTorch 1.4.1's own outputs for these calls (executorch.runtime), the
// same as the reference model in the header comment.
const Call kCalls[] = {{{1, 2, 3}, 2}, {{4, 5, 6}, 0}, {{-1, 0.5f, 2}, 2}, {{7, 7, 7}, -1}};
const float kExpected[4][12] = {
    {0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0},
    {8, 10, 12, 0, 0, 0, 2, 4, 6, 0, 0, 0},
    {12, 15, 18, 0, 0, 0, -3, 1.5f, 6, 0, 0, 0},
    {16, 20, 24, 0, 0, 0, -4, 2, 8, 28, 28, 28},
};

TEST(MutableBuffers, CounterStatePersistsThroughModule) {
  if (register_portable_kernels() != Error::Ok || !has_kernel("aten::index_put.out")) {
    GTEST_SKIP() << "portable kernels not built";
  }
  const std::vector<uint8_t> bytes = read_test_file("et_counter.pte");
  Status st;
  std::unique_ptr<Module> m = Module::load_from_buffer(bytes.data(), bytes.size(), &st);
  ASSERT_NE(m, nullptr) << st.message;
  for (int k = 0; k < 4; ++k) {
    TensorView x;
    x.dtype = ScalarType::Float;
    x.sizes = {1, 3};
    x.data = kCalls[k].x;
    x.nbytes = sizeof(kCalls[k].x);
    TensorView idx;
    idx.dtype = ScalarType::Long;
    idx.sizes = {1};
    idx.data = &kCalls[k].idx;
    idx.nbytes = sizeof(int64_t);
    std::vector<Value> outs;
    st = m->forward({Value::from_tensor(x), Value::from_tensor(idx)}, &outs);
    ASSERT_TRUE(st.ok()) << st.message;
    ASSERT_EQ(outs.size(), 1u);
    ASSERT_EQ(outs[0].tensor.nbytes, sizeof(kExpected[k]));
    const float* y = static_cast<const float*>(outs[0].tensor.data);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(y[i], kExpected[k][i]) << "call " << k << " at " << i;
  }
  // The buffers themselves (values 0 and 1 of the plan) hold the state.
  Method* method = m->method("forward");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->value(0)->to_tensor().data_as<float>()[0], 4.0f);  // count
  EXPECT_EQ(method->value(1)->to_tensor().data_as<float>()[9], 7.0f);  // cache[3][0]
}

// Through the core API: the caller zero-fills planned memory itself.
TEST(MutableBuffers, CounterStateWithCallerMemory) {
  if (register_portable_kernels() != Error::Ok || !has_kernel("aten::copy_")) {
    GTEST_SKIP() << "portable kernels not built";
  }
  auto p = load_program(read_test_file("et_counter.pte"));
  ASSERT_TRUE(p->program.ok());
  MethodMeta meta = *p->program->method_meta("forward");
  EXPECT_EQ(meta.num_operators(), 5u);
  EXPECT_STREQ(meta.operator_name(4)->name, "aten::copy_");
  EXPECT_STREQ(meta.operator_name(4)->overload, "");
  MethodMemory mem(meta, meta.method_memory_bound());
  for (auto& buffer : mem.planned) std::memset(buffer.data(), 0, buffer.size());
  Result<Method> m = p->program->load_method("forward", &mem.manager);
  ASSERT_TRUE(m.ok());
  for (int k = 0; k < 4; ++k) {
    ASSERT_EQ(m->set_input(0, kCalls[k].x, sizeof(kCalls[k].x)), Error::Ok);
    ASSERT_EQ(m->set_input(1, &kCalls[k].idx, sizeof(int64_t)), Error::Ok);
    ASSERT_EQ(m->execute(), Error::Ok);
    const float* y = m->get_output(0)->to_tensor().data_as<float>();
    for (int i = 0; i < 12; ++i) EXPECT_EQ(y[i], kExpected[k][i]) << "call " << k << " at " << i;
  }
  // An index out of range fails the call (logged) and leaves the cache as it was.
  const int64_t bad = 4;
  std::vector<float> cache(12);
  std::memcpy(cache.data(), m->value(1)->to_tensor().data(), sizeof(float) * 12);
  LogCapture log;
  ASSERT_EQ(m->set_input(1, &bad, sizeof(bad)), Error::Ok);
  EXPECT_EQ(m->execute(), Error::KernelFailed);
  EXPECT_TRUE(log.contains("out of bounds")) << log.text();
  EXPECT_EQ(std::memcmp(cache.data(), m->value(1)->to_tensor().data(), sizeof(float) * 12), 0);
}

}  // namespace
}  // namespace testing
}  // namespace ember
