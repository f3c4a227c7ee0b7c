// The allocator XnnpackBackend hands XNNPACK (runtime/backends/xnnpack/memory.h):
// small blocks from malloc, large ones cut in order from chunks, the start of
// a chunk after expect_large advised huge, every chunk unmapped with its last
// block, and memory that stays usable (written and read back) throughout.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/backends/xnnpack/memory.h"

namespace ember {
namespace testing {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

void* take(size_t alignment, size_t size) {
  const xnn_allocator* a = xnnpack::allocator();
  void* p = a->aligned_allocate(a->context, alignment, size);
  EXPECT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u);
  std::memset(p, 0x5a, size);  // writable, all of it
  return p;
}

void give(void* p) {
  const xnn_allocator* a = xnnpack::allocator();
  a->aligned_deallocate(a->context, p);
}

TEST(XnnpackMemory, ExpectedLargeBlocksStartOnHugePages) {
  ASSERT_EQ(xnnpack::huge_page_bytes(), 0u);
  xnnpack::expect_large(5 * kMiB);  // two whole 2 MiB pages of it
  void* first = take(64, 3 * kMiB);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % (2 * kMiB), 0u);
  EXPECT_EQ(xnnpack::huge_page_bytes(), 4 * kMiB);
  // Later large blocks follow in the same chunk, in order.
  void* second = take(64, 2 * kMiB + 100);
  EXPECT_EQ(second, static_cast<uint8_t*>(first) + 3 * kMiB);
  void* third = take(4096, xnnpack::kLargeBlock);
  EXPECT_GT(third, second);
  // Small blocks are malloc's: outside the chunk.
  void* small = take(64, xnnpack::kLargeBlock - 1);
  EXPECT_TRUE(small < first || small >= static_cast<uint8_t*>(third) + xnnpack::kLargeBlock);
  give(small);
  // The chunk goes with its last block, whatever the order.
  give(second);
  give(first);
  EXPECT_EQ(xnnpack::huge_page_bytes(), 4 * kMiB);
  give(third);
  EXPECT_EQ(xnnpack::huge_page_bytes(), 0u);
}

TEST(XnnpackMemory, WithoutAnExpectationNothingIsAdvised) {
  xnnpack::expect_large(1 * kMiB);  // less than one huge page: nothing to advise
  std::vector<void*> blocks;
  for (int i = 0; i < 40; ++i) blocks.push_back(take(64, kMiB));  // past one 32 MiB chunk
  EXPECT_EQ(xnnpack::huge_page_bytes(), 0u);
  for (void* p : blocks) {
    EXPECT_EQ(static_cast<uint8_t*>(p)[kMiB - 1], 0x5a);
    give(p);
  }
  xnnpack::expect_large(0);
}

TEST(XnnpackMemory, ABlockLargerThanAChunkGetsOneOfItsOwn) {
  xnnpack::expect_large(40 * kMiB);
  void* p = take(64, 40 * kMiB);
  EXPECT_EQ(xnnpack::huge_page_bytes(), 40 * kMiB);
  give(p);
  EXPECT_EQ(xnnpack::huge_page_bytes(), 0u);
  give(nullptr);  // a no-op, as XNNPACK may call it
}

}  // namespace
}  // namespace testing
}  // namespace ember
