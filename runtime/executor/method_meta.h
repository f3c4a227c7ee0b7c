// What a method needs and exposes, read from the .pte without loading it:
// inputs, outputs, planned buffer sizes and operator names.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/core/tensor.h"

namespace executorch_flatbuffer {
struct ExecutionPlan;
}

namespace ember {

/// Shape and placement of one input or output tensor. Spans point into the
/// program's flatbuffer and are valid while the Program lives. Sizes are the
/// planned (upper-bound) sizes.
struct TensorInfo {
  ScalarType dtype = ScalarType::Float;
  Span<const int32_t> sizes;
  Span<const uint8_t> dim_order;
  ShapeDynamism dynamism = ShapeDynamism::Static;
  bool is_planned = false;  ///< has memory in a planned buffer (set_input copies into it)
  size_t nbytes = 0;        ///< bytes at the planned sizes
};

/// An operator as stored: "aten::add" and "out" (overload empty for default).
struct OperatorName {
  const char* name = "";
  const char* overload = "";
};

/// A read-only view of one execution plan. Cheap to copy; valid while the
/// Program it came from lives. Every accessor bounds-checks its index and the
/// values it reads.
class MethodMeta {
 public:
  MethodMeta() = default;
  explicit MethodMeta(const executorch_flatbuffer::ExecutionPlan* plan) : plan_(plan) {}

  /// The method's name, e.g. "forward".
  const char* name() const;

  size_t num_inputs() const;
  /// Kind of input i (Tensor, Int, Double, Bool, ...).
  Result<Tag> input_tag(size_t i) const;
  /// Tensor info of input i; InvalidArgument if it is not a tensor.
  Result<TensorInfo> input_tensor_info(size_t i) const;

  size_t num_outputs() const;
  Result<Tag> output_tag(size_t i) const;
  Result<TensorInfo> output_tensor_info(size_t i) const;

  /// Number of caller-provided planned buffers (non_const_buffer_sizes minus
  /// the reserved entry 0).
  size_t num_planned_buffers() const;
  /// Size in bytes of planned buffer i (memory_id i + 1).
  Result<int64_t> planned_buffer_size(size_t i) const;

  size_t num_operators() const;
  Result<OperatorName> operator_name(size_t i) const;

  /// Number of instructions in the method's (single) chain.
  size_t num_instructions() const;

  /// Number of delegates (BackendDelegate entries) of the method, and the
  /// backend name delegate i asks for ("" if absent).
  size_t num_delegates() const;
  Result<const char*> delegate_backend(size_t i) const;

  /// An upper bound of the bytes Method::load takes from the method
  /// allocator for this method: size the method arena with it. It does not
  /// include what backends take from that allocator in their init().
  size_t method_memory_bound() const;
  /// What poison mode (MemoryManager::poison_dead_memory) takes from the
  /// method allocator on top of method_memory_bound().
  size_t poison_memory_bound() const;

  /// The pytree container strings of the inputs and outputs (how the flat
  /// values nest in the exported method's signature); "" when absent. The
  /// runtime does not interpret them; bindings use them to rebuild outputs.
  const char* input_container_spec() const;
  const char* output_container_spec() const;

  const executorch_flatbuffer::ExecutionPlan* plan() const { return plan_; }

 private:
  Result<Tag> value_tag(int32_t value_index) const;
  Result<TensorInfo> tensor_info(int32_t value_index) const;

  const executorch_flatbuffer::ExecutionPlan* plan_ = nullptr;
};

}  // namespace ember
