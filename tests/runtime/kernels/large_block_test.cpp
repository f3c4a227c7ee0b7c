// allocate_large (runtime/kernels/common/large_block.h): blocks of 2 MiB and
// more are mapped 2 MiB-aligned, smaller ones are 64-byte aligned heap
// memory, all writable to their last byte and freed by free_large.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "runtime/kernels/common/large_block.h"

namespace ember {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

TEST(LargeBlock, LargeBlocksAreMappedFromAHugePageBoundary) {
  for (size_t bytes : {2 * kMiB, 5 * kMiB + 123, 64 * kMiB}) {
    const LargeBlock b = allocate_large(bytes);
    ASSERT_NE(b.data, nullptr) << bytes;
#if defined(__linux__)
    EXPECT_TRUE(b.mapped) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data) % (2 * kMiB), 0u) << bytes;
#endif
    std::memset(b.data, 0x33, bytes);
    EXPECT_EQ(static_cast<uint8_t*>(b.data)[bytes - 1], 0x33);
    free_large(b, bytes);
  }
}

TEST(LargeBlock, SmallBlocksComeFromTheHeap) {
  for (size_t bytes : {size_t{1}, size_t{4096}, 2 * kMiB - 1}) {
    const LargeBlock b = allocate_large(bytes);
    ASSERT_NE(b.data, nullptr);
    EXPECT_FALSE(b.mapped);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data) % 64, 0u);
    std::memset(b.data, 0x44, bytes);
    free_large(b, bytes);
  }
  free_large(LargeBlock{}, 0);  // nothing to free
}

}  // namespace
}  // namespace ember
