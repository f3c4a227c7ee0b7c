// EValue accessors that need more than a field read.
#include "runtime/core/evalue.h"

namespace ember {

double EValue::scalar_as_double() const {
  switch (tag) {
    case Tag::Int: return static_cast<double>(payload.as_int);
    case Tag::Double: return payload.as_double;
    case Tag::Bool: return payload.as_bool ? 1.0 : 0.0;
    default: return 0.0;
  }
}

Span<const int64_t> EValue::to_int_list() const {
  const auto& l = payload.as_int_list;
  for (size_t i = 0; i < l.size; ++i) l.unboxed[i] = l.items[i]->payload.as_int;
  return {l.unboxed, l.size};
}

}  // namespace ember
