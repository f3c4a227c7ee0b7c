// Internal to the executor: the load-time check that a method can only ever
// write into memory it may write. A structurally valid program could name a
// constant (a weight, which may sit in read-only mapped memory) or a caller's
// input as a kernel's out argument, a Move destination, a delegate output or
// an input slot that set_input copies into; this check rejects such a program
// at load_method instead of letting execute() crash or corrupt the weights.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/executor/method.h"

namespace executorch_flatbuffer {
struct ExecutionPlan;
}

namespace ember {

struct DelegateState;

/// What check_write_targets looks at: the loaded method's pieces.
struct WriteCheckInput {
  const executorch_flatbuffer::ExecutionPlan* plan;
  const EValue* values;
  size_t num_values;
  const int32_t* inputs;
  const uint8_t* input_planned;  ///< per input: set_input copies into it (Method's own flag)
  size_t num_inputs;
  const Method::Step* steps;
  size_t num_steps;
  const DelegateState* delegates;
};

/// Writable memory is planned memory (mutable buffers included) and outputs
/// the caller binds. Read-only is constant data and unplanned inputs (the
/// caller's memory). A value that a Move or a view (a kernel whose result
/// aliases an argument) can make share a read-only tensor is read-only too.
/// Fails with InvalidProgram, naming the instruction, the value and why, if
/// any write target is read-only: an argument a kernel writes (its
/// OperatorWrites, or every tensor argument for an operator without one), a
/// delegate's outputs (every tensor argument when its backend does not say
/// how many outputs it has), a Move destination (which must also be of the
/// source's kind), or a planned input slot. Takes 4 bytes per value from
/// `allocator` (see write_check_memory_bound).
Error check_write_targets(const WriteCheckInput& in, MemoryAllocator* allocator);

/// Method-allocator bytes check_write_targets takes for `num_values` values.
size_t write_check_memory_bound(size_t num_values);

}  // namespace ember
