// The bump allocator: overflow-safe alignment and bounds arithmetic.
#include "runtime/core/memory_allocator.h"

namespace ember {

void* MemoryAllocator::allocate(size_t nbytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || base_ == nullptr) {
    last_failed_ = nbytes;
    return nullptr;
  }
  // Align the absolute address, not the offset: the base may be unaligned.
  const uintptr_t start = reinterpret_cast<uintptr_t>(base_) + used_;
  const uintptr_t pad = (alignment - (start & (alignment - 1))) & (alignment - 1);
  const size_t free_bytes = size_ - used_;
  if (pad > free_bytes || nbytes > free_bytes - pad) {
    last_failed_ = nbytes;
    return nullptr;
  }
  used_ += pad;
  void* out = base_ + used_;
  used_ += nbytes;
  return out;
}

}  // namespace ember
