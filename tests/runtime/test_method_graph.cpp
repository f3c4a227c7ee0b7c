// method_graph (what `ember inspect --html` draws): values and instructions as
// the file states them, and every index into the tables checked.
#include <gtest/gtest.h>

#include "runtime/extension/method_graph.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

TensorSpec tensor(std::vector<int32_t> sizes, bool planned, uint64_t offset,
                  uint32_t data_buffer_idx = 0) {
  TensorSpec t;
  t.sizes = std::move(sizes);
  t.planned = planned;
  t.offset = offset;
  t.data_buffer_idx = data_buffer_idx;
  return t;
}

/// forward(x) = delegate(kernel(x, w)): a constant, planned values at
/// offsets past 4 GiB's low word, a tensor list and a scalar argument.
PteBuilder small_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 64, (int64_t{1} << 33) + 64};
  const int x = b.add_tensor(tensor({2, 2}, true, 0));
  const int w = b.add_tensor(tensor({2, 2}, false, 0, b.add_constant(std::vector<uint8_t>(16))));
  TensorSpec far = tensor({2, 2}, true, (uint64_t{1} << 33) + 16);
  far.memory_id = 2;
  far.fqn = "state.buf";
  const int y = b.add_tensor(far);
  const int z = b.add_tensor(tensor({4}, true, 32));
  const int alpha = b.add_int(3);
  const int list = b.add_tensor_list({x, w});
  b.add_kernel_call(b.add_operator("aten::add", "out"), {list, alpha, y, y});
  DelegateSpec d;
  d.id = "SomeBackend";
  d.index = b.add_inline_data({1, 2, 3});
  b.add_delegate_call(b.add_delegate(d), {y, z});
  b.add_move(z, z);
  b.add_free(x);
  b.inputs = {x};
  b.outputs = {z};
  return b;
}

// Values, tables and instructions come back as written.
TEST(MethodGraph, ReadsTheMethod) {
  std::unique_ptr<LoadedProgram> l = load_program(small_program().finish());
  ASSERT_TRUE(l->program.ok());
  MethodGraph g;
  Status st = method_graph(*l->program, "forward", &g);
  ASSERT_TRUE(st.ok()) << st.text();
  EXPECT_EQ(g.operators, std::vector<std::string>{"aten::add.out"});
  EXPECT_EQ(g.delegates, std::vector<std::string>{"SomeBackend"});
  EXPECT_EQ(g.planned_buffer_sizes, (std::vector<int64_t>{64, (int64_t{1} << 33) + 64}));
  ASSERT_EQ(g.values.size(), 6u);
  EXPECT_EQ(g.values[0].tag, Tag::Tensor);
  EXPECT_TRUE(g.values[0].planned);
  EXPECT_EQ(g.values[0].memory_id, 1u);
  EXPECT_EQ(g.values[0].nbytes, 16u);
  EXPECT_FALSE(g.values[1].planned);
  EXPECT_EQ(g.values[1].data_buffer_idx, 1u);
  EXPECT_EQ(g.values[2].memory_id, 2u);
  EXPECT_EQ(g.values[2].offset, (uint64_t{1} << 33) + 16);  // both words of the offset
  EXPECT_EQ(g.values[2].name, "state.buf");
  EXPECT_EQ(g.values[0].name, "");
  EXPECT_EQ(g.values[3].sizes, std::vector<int64_t>{4});
  EXPECT_EQ(g.values[4].tag, Tag::Int);
  EXPECT_EQ(g.values[4].int_value, 3);
  EXPECT_EQ(g.values[5].tag, Tag::TensorList);
  EXPECT_EQ(g.values[5].items, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(g.inputs, std::vector<int32_t>{0});
  EXPECT_EQ(g.outputs, std::vector<int32_t>{3});
  ASSERT_EQ(g.instructions.size(), 4u);
  using Kind = GraphInstruction::Kind;
  EXPECT_EQ(g.instructions[0].kind, Kind::Kernel);
  EXPECT_EQ(g.instructions[0].target, 0);
  EXPECT_EQ(g.instructions[0].args, (std::vector<int32_t>{5, 4, 2, 2}));
  EXPECT_EQ(g.instructions[1].kind, Kind::Delegate);
  EXPECT_EQ(g.instructions[1].args, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(g.instructions[2].kind, Kind::Move);
  EXPECT_EQ(g.instructions[3].kind, Kind::Free);
  EXPECT_EQ(g.instructions[3].index, 3u);
  EXPECT_EQ(method_graph(*l->program, "nope", &g).error, Error::NotFound);
}

// An index out of range is InvalidProgram naming the instruction and the index.
TEST(MethodGraph, IndicesOutOfRange) {
  struct Case {
    const char* expect;
    void (*edit)(PteBuilder&);
  };
  const Case cases[] = {
      {"instruction 4: argument 1 is value 99, out of range (6 values)",
       [](PteBuilder& b) { b.add_kernel_call(0, {0, 99}); }},
      {"instruction 4: operator 7 out of range (1)",
       [](PteBuilder& b) { b.add_kernel_call(7, {0}); }},
      {"instruction 4: delegate -1 out of range (1)",
       [](PteBuilder& b) { b.add_delegate_call(-1, {0}); }},
      {"instruction 4: destination instruction 9 out of range (5)",
       [](PteBuilder& b) { b.add_jump_false(0, 9); }},
      {"instruction 4: argument 0 is value -3", [](PteBuilder& b) { b.add_free(-3); }},
      {"value 6 lists value 40", [](PteBuilder& b) { b.add_tensor_list({0, 40}); }},
      {"output 1 is value 12", [](PteBuilder& b) { b.outputs.push_back(12); }},
  };
  for (const Case& c : cases) {
    PteBuilder b = small_program();
    c.edit(b);
    std::unique_ptr<LoadedProgram> l = load_program(b.finish());
    ASSERT_TRUE(l->program.ok()) << c.expect;
    MethodGraph g;
    Status st = method_graph(*l->program, "forward", &g);
    EXPECT_EQ(st.error, Error::InvalidProgram) << c.expect;
    EXPECT_NE(st.message.find("method 'forward': "), std::string::npos) << st.message;
    EXPECT_NE(st.message.find(c.expect), std::string::npos) << st.message;
  }
}

}  // namespace
}  // namespace testing
}  // namespace ember
