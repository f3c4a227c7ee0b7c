// Internal to the executor: builds a method's EValue table from its plan.
#pragma once

#include <cstddef>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/executor/memory_manager.h"

namespace executorch_flatbuffer {
struct ExecutionPlan;
}

namespace ember {

class Program;

/// Parse every value of `plan` into an array allocated from
/// memory->method_allocator, in two passes (scalars and tensors first, then
/// lists, whose items are indices that must name values of the right kind).
/// Tensors get their memory here: constant data, a planned buffer (with an
/// initial value copied for mutable tensors) or none (caller-provided).
/// Planned buffers are checked against the plan's non_const_buffer_sizes.
Error build_value_table(const Program& program, const executorch_flatbuffer::ExecutionPlan* plan,
                        MemoryManager* memory, EValue** values, size_t* num_values);

/// Whether value `index` of `plan` is a tensor in the program's constant data
/// (not planned, with a data buffer): read-only memory no instruction may
/// write (the write check makes sure), so what is derived from it at load
/// stays valid. `index` must be in range.
bool is_constant_tensor(const executorch_flatbuffer::ExecutionPlan* plan, size_t index);

/// An upper bound of the method-allocator bytes Method::load uses for `plan`
/// (value table, shape arrays, lists, instruction steps, alignment padding).
size_t method_memory_bound(const executorch_flatbuffer::ExecutionPlan* plan);

}  // namespace ember
