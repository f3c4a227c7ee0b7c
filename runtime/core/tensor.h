// The runtime's tensor: a typed view over memory the runtime does not own.
#pragma once

#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/core/scalar_type.h"
#include "runtime/core/span.h"

namespace ember {

/// Maximum rank of a tensor in a .pte file.
constexpr int kMaxRank = 16;

/// How a tensor's sizes may change at run time (wire values of the format).
enum class ShapeDynamism : uint8_t { Static = 0, DynamicBound = 1, DynamicUnbound = 2 };

/// Check a shape read from a .pte before building a Tensor from it: rank at
/// most kMaxRank, sizes non-negative, dim_order a permutation of 0..dim-1,
/// every stride fits int32 and numel * element size fits size_t. On success
/// stores the byte size in `nbytes` (when not null).
Error check_tensor_shape(ScalarType dtype, Span<const int32_t> sizes,
                         Span<const uint8_t> dim_order, size_t* nbytes);

/// A tensor: dtype, sizes, dim order and strides (derived, never stored in
/// the file), and a data pointer into an arena, the constant segment or the
/// caller's memory. Sizes/dim_order/strides point into the method allocator;
/// the tensor owns nothing.
class Tensor {
 public:
  Tensor() = default;
  Tensor(ScalarType dtype, int32_t dim, int32_t* sizes, uint8_t* dim_order, int32_t* strides,
         void* data, ShapeDynamism dynamism = ShapeDynamism::Static);

  ScalarType dtype() const { return dtype_; }
  int32_t dim() const { return dim_; }
  Span<const int32_t> sizes() const { return {sizes_, static_cast<size_t>(dim_)}; }
  Span<const uint8_t> dim_order() const { return {dim_order_, static_cast<size_t>(dim_)}; }
  Span<const int32_t> strides() const { return {strides_, static_cast<size_t>(dim_)}; }
  int32_t size(int32_t d) const { return sizes_[d]; }
  int32_t stride(int32_t d) const { return strides_[d]; }
  /// Number of elements (product of sizes; 1 for a 0-d tensor).
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * element_size(dtype_); }
  /// Bytes reserved for this tensor: its planned (upper-bound) size.
  size_t capacity_bytes() const { return capacity_bytes_; }
  ShapeDynamism shape_dynamism() const { return dynamism_; }
  void* mutable_data() const { return data_; }
  const void* data() const { return data_; }
  template <typename T>
  T* data_as() const { return static_cast<T*>(data_); }
  void set_data(void* data) { data_ = data; }
  /// True when dim_order is 0..dim-1 (row-major contiguous).
  bool is_contiguous_order() const;

  /// Change sizes in place (dynamic shapes, or a kernel setting its output's
  /// shape). Fails if the tensor is static and the sizes differ, or if the
  /// new size exceeds the planned capacity.
  Error resize(Span<const int32_t> new_sizes);

 private:
  void recompute_strides_and_numel();

  ScalarType dtype_ = ScalarType::Float;
  int32_t dim_ = 0;
  int32_t* sizes_ = nullptr;
  uint8_t* dim_order_ = nullptr;
  int32_t* strides_ = nullptr;
  void* data_ = nullptr;
  int64_t numel_ = 1;
  size_t capacity_bytes_ = 0;
  ShapeDynamism dynamism_ = ShapeDynamism::Static;
};

}  // namespace ember
