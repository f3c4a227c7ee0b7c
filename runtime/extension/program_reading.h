// Reading a verified program's flatbuffer for inspection (module.cpp's
// program_summary, method_graph.cpp): helpers that never log and never fail,
// since inspecting reports what it can of a file whatever is wrong with it.
// Internal to runtime/extension.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/core/scalar_type.h"
#include "serializer/schema/program_generated.h"

namespace ember {
namespace inspect {

/// The string's characters, or "" for an absent one.
inline std::string string_of(const flatbuffers::String* s) {
  return s != nullptr ? s->str() : std::string();
}

/// Bytes of a serialized tensor at its stored sizes; false (and `*out`
/// untouched) for an unknown dtype, a negative size or a product past 2^62.
inline bool tensor_nbytes(const executorch_flatbuffer::Tensor* t, uint64_t* out) {
  const int8_t raw = static_cast<int8_t>(t->scalar_type());
  if (!is_valid_scalar_type(raw)) return false;
  uint64_t n = element_size(static_cast<ScalarType>(raw));
  if (t->sizes() != nullptr) {
    for (int32_t d : *t->sizes()) {
      if (d < 0) return false;
      if (d != 0 && n > (uint64_t{1} << 62) / static_cast<uint64_t>(d)) return false;
      n *= static_cast<uint64_t>(d);
    }
  }
  *out = n;
  return true;
}

}  // namespace inspect
}  // namespace ember
