// EValue: one entry of a method's value table (a kernel argument or result).
#pragma once

#include <cstdint>

#include "runtime/core/span.h"
#include "runtime/core/tensor.h"

namespace ember {

/// Kinds of value, as in the format's KernelTypes union (wire values).
enum class Tag : uint8_t {
  None = 0,
  Null = 1,
  Int = 2,
  Bool = 3,
  Double = 4,
  Tensor = 5,
  String = 6,
  IntList = 7,
  DoubleList = 8,
  BoolList = 9,
  TensorList = 10,
  OptionalTensorList = 11,
};

/// A tagged value. Lists reference memory owned by the method allocator:
/// IntList is boxed (pointers to Int EValues, so that a symbolic size updated
/// at run time is seen by every list that holds it) with an unboxed scratch
/// array the accessor fills; TensorList holds pointers to Tensor EValues;
/// OptionalTensorList holds pointers that may be null (None).
struct EValue {
  Tag tag = Tag::None;
  union Payload {
    int64_t as_int;
    double as_double;
    bool as_bool;
    Tensor* as_tensor;
    struct { const char* data; size_t size; } as_string;
    struct { EValue* const* items; int64_t* unboxed; size_t size; } as_int_list;
    struct { const double* items; size_t size; } as_double_list;
    struct { const uint8_t* items; size_t size; } as_bool_list;
    struct { EValue* const* items; size_t size; } as_tensor_list;  ///< items may be null only for OptionalTensorList
    Payload() : as_int(0) {}
  } payload;

  bool is_none() const { return tag == Tag::Null || tag == Tag::None; }
  bool is_int() const { return tag == Tag::Int; }
  bool is_double() const { return tag == Tag::Double; }
  bool is_bool() const { return tag == Tag::Bool; }
  bool is_tensor() const { return tag == Tag::Tensor; }
  bool is_int_list() const { return tag == Tag::IntList; }
  bool is_tensor_list() const { return tag == Tag::TensorList; }

  int64_t to_int() const { return payload.as_int; }
  double to_double() const { return payload.as_double; }
  bool to_bool() const { return payload.as_bool; }
  Tensor& to_tensor() const { return *payload.as_tensor; }
  /// A Scalar argument (Int, Double or Bool) as a double.
  double scalar_as_double() const;
  /// The unboxed values of an IntList, read afresh from its boxed Ints.
  Span<const int64_t> to_int_list() const;
};

}  // namespace ember
