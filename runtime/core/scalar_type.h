// Tensor element types, numbered as in the .pte format's ScalarType enum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember {

/// Element type of a tensor. Values are the wire values of the .pte format.
enum class ScalarType : int8_t {
  Byte = 0,   ///< uint8
  Char = 1,   ///< int8
  Short = 2,  ///< int16
  Int = 3,    ///< int32
  Long = 4,   ///< int64
  Half = 5,   ///< float16
  Float = 6,  ///< float32
  Double = 7, ///< float64
  Bool = 11,
  QInt8 = 12,
  QUInt8 = 13,
  QInt32 = 14,
  BFloat16 = 15,
  UInt16 = 27,
  UInt32 = 28,
  UInt64 = 29,
};

/// Size in bytes of one element, or 0 for a value that is not a known type.
size_t element_size(ScalarType t);

/// True for the wire values this runtime understands.
bool is_valid_scalar_type(int8_t raw);

/// A short name such as "float32" for logs.
const char* scalar_type_name(ScalarType t);

}  // namespace ember
