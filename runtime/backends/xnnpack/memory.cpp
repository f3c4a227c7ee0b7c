// XNNPACK's memory (memory.h): its large aligned blocks cut in order from
// chunks, the start of a delegate's first chunk on transparent huge pages.
#include "runtime/backends/xnnpack/memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>

namespace ember {
namespace xnnpack {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kChunk = size_t{32} << 20;   ///< virtual; only written pages are resident
constexpr size_t kMaxChunks = 256;            ///< past it, posix_memalign

/// A run of pages blocks are cut from in order; unmapped when its last
/// block is freed.
struct Chunk {
  uintptr_t start = 0;
  uintptr_t end = 0;
  uintptr_t next = 0;   ///< where the next block may start
  size_t live = 0;      ///< blocks not yet freed
  size_t huge = 0;      ///< bytes from start advised huge
};

std::mutex g_lock;
Chunk g_chunks[kMaxChunks];
size_t g_num_chunks = 0;
size_t g_huge_bytes = 0;   ///< advised huge in the chunks mapped now
size_t g_huge_next = 0;    ///< how much of the next chunk to advise huge

uintptr_t round_up(uintptr_t n, uintptr_t to) { return (n + to - 1) / to * to; }

/// A new chunk of at least `size` bytes, 2 MiB-aligned, its first
/// g_huge_next bytes advised huge (then none until the next expect_large);
/// false when the table is full or mapping fails.
bool add_chunk(size_t size) {
  if (g_num_chunks == kMaxChunks) return false;
  size_t length = size > kChunk ? size : kChunk;
  if (g_huge_next > length) length = g_huge_next;
  length = round_up(length, kHugePage);
  const size_t reserve = length + kHugePage;
  void* raw = mmap(nullptr, reserve, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return false;
  const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = round_up(base, kHugePage);
  if (start > base) munmap(raw, start - base);
  if (base + reserve > start + length) {
    munmap(reinterpret_cast<void*>(start + length), base + reserve - (start + length));
  }
  const size_t huge = g_huge_next;
  if (huge > 0) madvise(reinterpret_cast<void*>(start), huge, MADV_HUGEPAGE);
  g_huge_bytes += huge;
  g_huge_next = 0;
  g_chunks[g_num_chunks++] = {start, start + length, start, 0, huge};
  return true;
}

/// `size` bytes at `alignment` from the newest chunk (a new one when it is
/// full, or when expect_large asked for one); nullptr when none can be had.
void* chunk_allocate(size_t alignment, size_t size) {
  std::lock_guard<std::mutex> hold(g_lock);
  Chunk* c = g_num_chunks > 0 ? &g_chunks[g_num_chunks - 1] : nullptr;
  if (c == nullptr || g_huge_next > 0 || round_up(c->next, alignment) + size > c->end) {
    if (!add_chunk(size + alignment)) return nullptr;
    c = &g_chunks[g_num_chunks - 1];
  }
  const uintptr_t p = round_up(c->next, alignment);
  c->next = p + size;
  ++c->live;
  return reinterpret_cast<void*>(p);
}

/// Free `p` if a chunk holds it (unmapping the chunk with its last block);
/// false if none does.
bool chunk_free(void* p) {
  std::lock_guard<std::mutex> hold(g_lock);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  for (size_t i = 0; i < g_num_chunks; ++i) {
    Chunk& c = g_chunks[i];
    if (a < c.start || a >= c.end) continue;
    if (--c.live == 0) {
      munmap(reinterpret_cast<void*>(c.start), c.end - c.start);
      g_huge_bytes -= c.huge;
      // Keep the newest chunk last: later blocks go there.
      for (size_t j = i + 1; j < g_num_chunks; ++j) g_chunks[j - 1] = g_chunks[j];
      --g_num_chunks;
    }
    return true;
  }
  return false;
}

void* allocate(void*, size_t size) { return std::malloc(size); }
void* reallocate(void*, void* p, size_t size) { return std::realloc(p, size); }
void deallocate(void*, void* p) { std::free(p); }

void* aligned_allocate(void*, size_t alignment, size_t size) {
  if (size >= kLargeBlock && alignment <= kHugePage) {
    if (void* p = chunk_allocate(alignment, size)) return p;
  }
  void* p = nullptr;
  const size_t align = alignment < sizeof(void*) ? sizeof(void*) : alignment;
  return posix_memalign(&p, align, size) == 0 ? p : nullptr;
}

void aligned_deallocate(void*, void* p) {
  if (p == nullptr || chunk_free(p)) return;
  std::free(p);
}

const xnn_allocator kAllocator = {nullptr,          &allocate,         &reallocate,
                                  &deallocate,      &aligned_allocate, &aligned_deallocate};

}  // namespace

const xnn_allocator* allocator() { return &kAllocator; }

void expect_large(size_t bytes) {
  std::lock_guard<std::mutex> hold(g_lock);
  g_huge_next = bytes / kHugePage * kHugePage;
}

size_t huge_page_bytes() {
  std::lock_guard<std::mutex> hold(g_lock);
  return g_huge_bytes;
}

}  // namespace xnnpack
}  // namespace ember
