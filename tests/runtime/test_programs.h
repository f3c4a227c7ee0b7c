// Small programs built with PteBuilder and shared by several tests (and
// written to tests/runtime/data by ember_write_test_programs, so that the
// fuzzers and the size test have them as files).
#pragma once

#include <cstdint>
#include <vector>

#include "tests/runtime/pte_builder.h"

namespace ember {
namespace testing {

/// A float32 tensor in planned buffer 1 at `offset`.
TensorSpec planned_f32(std::vector<int32_t> sizes, uint64_t offset);

/// forward(a, b) -> a + b: float32 [2, 3], planned, one aten::add.out.
std::vector<uint8_t> add_program();

/// forward(x, y) -> d + 2 * x, where d = EmberTestBackend(x, y) runs
/// add_program() as a delegate: 3 * x + y. The blob is stored inline
/// (`segment` false) or as a segment.
std::vector<uint8_t> delegated_add_program(bool segment);

/// forward(x) -> (x, n): no kernels at all (a Move and a Free), for the
/// size test: float32 [4] planned input returned as is, Int n = 7.
std::vector<uint8_t> no_kernel_program();

/// forward(x) -> w: a structurally valid program whose aten::relu.out writes
/// into its constant w (1, -2, 3, -4); load_method must reject it.
std::vector<uint8_t> writes_constant_program();

/// forward(x) -> relu(x), then a JumpFalse on a constant false that jumps to
/// itself: execute() never ends unless the step limit stops it.
std::vector<uint8_t> endless_loop_program();

/// forward(x) -> x with a loop that runs its body twice, for tracing:
///   0: test::toggle(c)       c: a planned Bool [1], false at load
///   1: jump_false(c, 4)
///   2: test::log()
///   3: jump_false(false, 0)
///   4: free(c)
/// runs instructions 0, 1, 2, 3, 0, 1, 4 (and leaves c false again).
std::vector<uint8_t> toggle_loop_program();

}  // namespace testing
}  // namespace ember
