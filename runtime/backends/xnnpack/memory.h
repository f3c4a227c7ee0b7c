// The memory XNNPACK allocates (packed weights, workspaces), through Ember's
// allocator: XnnpackBackend passes it to every xnn_initialize (XNNPACK keeps
// the first call's).
//
// Why: loading a model is mostly XNNPACK packing its weights into fresh
// memory, and on Linux much of that time is page faults, one per 4 KiB page
// written. Aligned blocks of kLargeBlock bytes or more (packed weights,
// workspaces) are cut in order from chunks Ember maps; before a delegate is
// built, expect_large(n) says how many bytes of such blocks are coming (the
// large constant tensors' bytes: packing only adds padding), and the next
// chunk's first n bytes, rounded down to whole 2 MiB, are advised as
// transparent huge pages (MADV_HUGEPAGE, which the kernel's default
// "madvise" mode honours): one fault per 2 MiB instead of 512. The blocks
// fill every advised huge page, so the process holds no more memory than
// with malloc; past them, 4 KiB pages. Smaller blocks, and every block when
// mapping fails, come from malloc. A chunk is unmapped with its last block.
#pragma once

#include <cstddef>

#include <xnnpack.h>

namespace ember {
namespace xnnpack {

/// Aligned blocks from this size on go to the chunks: packed weights and
/// workspaces; smaller ones (operator structs, small weights) to malloc.
constexpr size_t kLargeBlock = size_t{64} << 10;

/// The allocator to hand xnn_initialize.
const xnn_allocator* allocator();

/// The next `bytes` of large blocks start a chunk on huge pages (whole 2 MiB
/// pages of it); 0 forgets an expectation no block met.
void expect_large(size_t bytes);

/// Bytes advised huge in the chunks mapped now (for tests).
size_t huge_page_bytes();

}  // namespace xnnpack
}  // namespace ember
