// Where a .pte's bytes come from. The core reads through this interface only,
// so it never touches files: a BufferDataLoader serves memory the caller
// already has (a flash image, an embedded array), runtime/loader/ adds files.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/core/span.h"

namespace ember {

/// A read-only byte source. Returned spans stay valid for the loader's
/// lifetime; the loader owns (or borrows) the memory they point to.
class DataLoader {
 public:
  /// Bytes [offset, offset + size) of the source. Fails with InvalidArgument
  /// when the range is outside the source (overflow-safe).
  virtual Result<Span<const uint8_t>> load(size_t offset, size_t size) = 0;
  /// Total size of the source in bytes.
  virtual size_t size() const = 0;
  /// Hint that the caller no longer needs `bytes`, a range load() returned:
  /// the loader may drop them from memory where reading them again restores
  /// them (a memory-mapped file's pages), since other spans over the same
  /// bytes must stay readable and a later load() must return them again.
  /// Default: keep everything.
  virtual void release(Span<const uint8_t> bytes) { (void)bytes; }

 protected:
  // Not virtual: the core never deletes a loader through this interface.
  ~DataLoader() = default;
};

/// Serves a caller buffer without copying. The buffer must outlive the loader
/// and everything loaded from it, and should be 16-byte aligned (the
/// FlatBuffers verifier checks alignment; kernels read constants in place).
class BufferDataLoader final : public DataLoader {
 public:
  BufferDataLoader(const void* data, size_t size)
      : data_(static_cast<const uint8_t*>(data)), size_(size) {}

  Result<Span<const uint8_t>> load(size_t offset, size_t size) override;
  size_t size() const override { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
};

}  // namespace ember
