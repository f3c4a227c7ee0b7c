// Minimal NumPy .npy reading and writing for ember_run (versions 1.0-3.0,
// little-endian, C order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/scalar_type.h"

namespace ember {
namespace npy {

/// An array read from a .npy file.
struct Array {
  ScalarType dtype = ScalarType::Float;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  ///< raw little-endian elements, C order
};

/// Parse .npy bytes. Returns false and sets `error` on anything unsupported
/// (big-endian, Fortran order, object or unknown dtypes, a truncated body).
bool parse(const std::vector<uint8_t>& bytes, Array* out, std::string* error);

/// Serialise an array as .npy version 1.0.
std::vector<uint8_t> serialize(ScalarType dtype, const std::vector<int64_t>& shape,
                               const void* data, size_t nbytes);

/// The NumPy descr string for a dtype ("<f4"), or "" if NumPy has none.
std::string descr(ScalarType dtype);

}  // namespace npy
}  // namespace ember
