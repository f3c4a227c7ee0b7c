// Large blocks on transparent huge pages (large_block.h).
#include "runtime/kernels/common/large_block.h"

#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ember {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kAlignment = 64;

#if defined(__linux__)
constexpr size_t kPage = 4096;

uintptr_t round_up(uintptr_t n, uintptr_t to) { return (n + to - 1) / to * to; }

/// `bytes` mapped from a 2 MiB boundary, whole 2 MiB pages advised huge, or
/// nullptr.
void* map_huge(size_t bytes) {
  const size_t length = round_up(bytes, kPage);
  const size_t reserve = length + kHugePage;
  void* raw = mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = round_up(base, kHugePage);
  if (start > base) munmap(raw, start - base);
  if (base + reserve > start + length) {
    munmap(reinterpret_cast<void*>(start + length), base + reserve - (start + length));
  }
  madvise(reinterpret_cast<void*>(start), bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(start);
}
#endif

}  // namespace

LargeBlock allocate_large(size_t bytes) {
#if defined(__linux__)
  if (bytes >= kHugePage) {
    if (void* p = map_huge(bytes)) return {p, true};
  }
#endif
  return {::operator new(bytes, std::align_val_t{kAlignment}, std::nothrow), false};
}

void free_large(const LargeBlock& block, size_t bytes) {
  if (block.data == nullptr) return;
#if defined(__linux__)
  if (block.mapped) {
    munmap(block.data, round_up(bytes, kPage));
    return;
  }
#endif
  (void)bytes;
  ::operator delete(block.data, std::align_val_t{kAlignment});
}

}  // namespace ember
