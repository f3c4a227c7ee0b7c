// The shared test programs (see test_programs.h).
#include "tests/runtime/test_programs.h"

#include "runtime/backends/test/test_backend.h"
#include "tests/runtime/pte_builder.h"

namespace ember {
namespace testing {

TensorSpec planned_f32(std::vector<int32_t> sizes, uint64_t offset) {
  TensorSpec t;
  t.sizes = std::move(sizes);
  t.planned = true;
  t.offset = offset;
  return t;
}

std::vector<uint8_t> add_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 96};
  const int a = b.add_tensor(planned_f32({2, 3}, 0));
  const int c = b.add_tensor(planned_f32({2, 3}, 32));
  const int alpha = b.add_int(1);
  const int out = b.add_tensor(planned_f32({2, 3}, 64));
  b.add_kernel_call(b.add_operator("aten::add", "out"), {a, c, alpha, out, out});
  b.inputs = {a, c};
  b.outputs = {out};
  return b.finish();
}

std::vector<uint8_t> delegated_add_program(bool segment) {
  PteBuilder b;
  b.buffer_sizes = {0, 128};
  const int x = b.add_tensor(planned_f32({2, 3}, 0));
  const int y = b.add_tensor(planned_f32({2, 3}, 32));
  const int d = b.add_tensor(planned_f32({2, 3}, 64));
  const int two = b.add_int(2);
  const int out = b.add_tensor(planned_f32({2, 3}, 96));
  DelegateSpec spec;
  spec.id = kTestBackendName;
  spec.location = segment ? 1 : 0;
  spec.index = segment ? b.add_segment(add_program()) : b.add_inline_data(add_program());
  b.add_delegate_call(b.add_delegate(spec), {x, y, d});
  b.add_kernel_call(b.add_operator("aten::add", "out"), {d, x, two, out, out});
  b.inputs = {x, y};
  b.outputs = {out};
  return b.finish();
}

std::vector<uint8_t> no_kernel_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 16};
  const int x = b.add_tensor(planned_f32({4}, 0));
  const int seven = b.add_int(7);
  const int n = b.add_int(0);
  b.add_move(seven, n);
  b.add_free(seven);
  b.inputs = {x};
  b.outputs = {x, n};
  return b.finish();
}

std::vector<uint8_t> writes_constant_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 16};
  const int x = b.add_tensor(planned_f32({4}, 0));
  TensorSpec w;
  w.sizes = {4};
  w.data_buffer_idx = b.add_constant(float_bytes({1, -2, 3, -4}));
  const int wi = b.add_tensor(w);
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {x, wi, wi});
  b.inputs = {x};
  b.outputs = {wi};
  return b.finish();
}

std::vector<uint8_t> endless_loop_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 32};
  const int x = b.add_tensor(planned_f32({4}, 0));
  const int y = b.add_tensor(planned_f32({4}, 16));
  const int never = b.add_bool(false);
  b.add_kernel_call(b.add_operator("aten::relu", "out"), {x, y, y});
  b.add_jump_false(never, 1);  // instruction 1 jumps to itself
  b.inputs = {x};
  b.outputs = {y};
  return b.finish();
}

std::vector<uint8_t> toggle_loop_program() {
  PteBuilder b;
  b.buffer_sizes = {0, 32};
  const int x = b.add_tensor(planned_f32({4}, 0));
  TensorSpec cs;
  cs.dtype = ScalarType::Bool;
  cs.sizes = {1};
  cs.planned = true;
  cs.offset = 16;
  cs.data_buffer_idx = b.add_mutable_data({0});  // false at load
  const int c = b.add_tensor(cs);
  const int never = b.add_bool(false);
  b.add_kernel_call(b.add_operator("test::toggle", "out"), {c});
  b.add_jump_false(c, 4);
  b.add_kernel_call(b.add_operator("test::log", "out"), {});
  b.add_jump_false(never, 0);
  b.add_free(c);
  b.inputs = {x};
  b.outputs = {x};
  return b.finish();
}

}  // namespace testing
}  // namespace ember
