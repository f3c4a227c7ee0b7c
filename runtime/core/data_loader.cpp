// BufferDataLoader: bounds-checked views of caller memory.
#include "runtime/core/data_loader.h"

namespace ember {

Result<Span<const uint8_t>> BufferDataLoader::load(size_t offset, size_t size) {
  EMBER_CHECK(offset <= size_ && size <= size_ - offset, Error::InvalidArgument,
              "load of %zu bytes at offset %zu is outside the %zu-byte buffer", size, offset,
              size_);
  return Span<const uint8_t>(data_ + offset, size);
}

}  // namespace ember
