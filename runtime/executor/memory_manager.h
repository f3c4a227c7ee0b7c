// The memory a method runs in, all provided by the caller.
#pragma once

#include <cstdint>

#include "runtime/core/memory_allocator.h"
#include "runtime/core/span.h"

namespace ember {

/// Arenas for one loaded method. None is owned; all must outlive the Method.
///  - method_allocator: the value table, tensors' shape arrays and the
///    resolved instructions (filled once at load).
///  - planned_buffers: one span per planned buffer of the method, sized at
///    least MethodMeta::planned_buffer_size(i); a tensor with memory_id k lives
///    in planned_buffers[k - 1]. 16-byte aligned memory is recommended.
///  - temp_allocator: kernels' scratch memory, reset before every kernel call
///    (may be null: kernels then get no scratch memory).
///  - poison_dead_memory: a debug mode that checks the memory plan by running
///    it: after each instruction, the planned bytes of every tensor whose
///    last use it was are filled with 0xFF (NaN for floats, -1 for ints), so
///    that a tensor the plan wrongly overlaps with a dead one reads poison.
///    Costs a table in the method allocator and a memset per dead tensor.
///  - temp_sized_after_load, planned_memory_zeroed: see below.
struct MemoryManager {
  MemoryAllocator* method_allocator = nullptr;
  Span<Span<uint8_t>> planned_buffers;
  MemoryAllocator* temp_allocator = nullptr;
  bool poison_dead_memory = false;
  /// The caller gives temp_allocator at least Method::temp_bytes_requested()
  /// after load (before the first execute). Backends may then keep their
  /// call-long memory there whatever its size at load; otherwise only what
  /// fits in it then.
  bool temp_sized_after_load = false;
  /// The planned buffers hold zeros at load (fresh memory): a named mutable
  /// buffer without initial data then needs no clearing, and its pages stay
  /// untouched until the method writes them (a KV cache's unused positions).
  bool planned_memory_zeroed = false;
};

}  // namespace ember
