// Loads a .pte from a file: memory-mapped read-only when possible, otherwise
// read whole into a malloc'd buffer. Outside the heap-free core: for hosts,
// tools and the Python binding.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/data_loader.h"
#include "runtime/core/error.h"

namespace ember {

/// A DataLoader over one file. Spans it returns stay valid until the loader
/// is destroyed. Movable, not copyable.
class FileDataLoader final : public DataLoader {
 public:
  /// How the bytes are held.
  enum class Mode : uint8_t { Mmap = 0, Read = 1 };

  /// Open `path`. Tries mmap first unless `prefer_read` is set, and falls back
  /// to reading into memory (16-byte aligned). AccessFailed if the file
  /// cannot be opened or read.
  static Result<FileDataLoader> open(const char* path, bool prefer_read = false);

  FileDataLoader(FileDataLoader&& other);
  FileDataLoader& operator=(FileDataLoader&& other);
  FileDataLoader(const FileDataLoader&) = delete;
  FileDataLoader& operator=(const FileDataLoader&) = delete;
  ~FileDataLoader();

  Result<Span<const uint8_t>> load(size_t offset, size_t size) override;
  size_t size() const override { return size_; }
  /// Memory-mapped: drop the pages wholly inside `bytes` from the process
  /// (they are read from the file again if loaded again). Read: a no-op.
  void release(Span<const uint8_t> bytes) override;
  Mode mode() const { return mode_; }

 private:
  FileDataLoader() = default;
  void release();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  Mode mode_ = Mode::Read;
};

}  // namespace ember
