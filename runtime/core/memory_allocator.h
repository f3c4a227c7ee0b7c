// A bump allocator over memory the caller owns. The method allocator (EValues,
// tensors, resolved kernels) and the temp allocator are both of this kind.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember {

/// Hands out aligned pieces of one caller buffer, front to back. Never frees
/// a piece; reset() forgets them all. Never owns the buffer.
class MemoryAllocator {
 public:
  MemoryAllocator() = default;
  /// `base` may be null only with `size` 0.
  MemoryAllocator(uint8_t* base, size_t size) : base_(base), size_(size) {}

  /// `nbytes` bytes aligned to `alignment` (a power of two), or nullptr when
  /// the buffer is exhausted or the alignment is not a power of two.
  /// A zero-byte request returns a non-null pointer (not to be dereferenced)
  /// unless the alignment padding does not fit.
  void* allocate(size_t nbytes, size_t alignment = kDefaultAlignment);

  /// `count` objects of T (uninitialised), or nullptr (also when count * sizeof(T) overflows).
  template <typename T>
  T* allocate_array(size_t count) {
    if (count != 0 && sizeof(T) > SIZE_MAX / count) return nullptr;
    return static_cast<T*>(allocate(count * sizeof(T), alignof(T)));
  }

  /// Forget every allocation; the whole buffer is free again.
  void reset() { used_ = 0; }

  uint8_t* base() const { return base_; }
  size_t capacity() const { return size_; }
  size_t used() const { return used_; }
  /// Bytes of the last request that did not fit (0 if none), for errors.
  size_t last_failed_bytes() const { return last_failed_; }

  static constexpr size_t kDefaultAlignment = 16;

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
  size_t last_failed_ = 0;
};

}  // namespace ember
