// Memory for a large block a kernel library writes once at load and keeps
// (packed weights: runtime/kernels/optimized/prepack.h), on transparent huge
// pages where the system has them.
//
// Why: a model's load is mostly packing weights into fresh memory, and much
// of that time is the page faults of writing it, one per 4 KiB page. A block
// of 2 MiB or more is mapped on its own, 2 MiB-aligned, and its whole 2 MiB
// pages are advised huge (MADV_HUGEPAGE, honoured in the kernel's default
// "madvise" mode): one fault per 2 MiB. The caller writes the whole block, so
// nothing is resident that malloc would not have made resident; the tail past
// the last whole 2 MiB stays in 4 KiB pages. Smaller blocks, other systems,
// and a failed mapping get 64-byte aligned heap memory.
#pragma once

#include <cstddef>

namespace ember {

/// A large block: its memory and whether it was mapped (free_large needs it).
struct LargeBlock {
  void* data = nullptr;  ///< 64-byte aligned at least; nullptr when out of memory
  bool mapped = false;
};

/// `bytes` of memory for a block written once and kept.
LargeBlock allocate_large(size_t bytes);

/// Frees what allocate_large(bytes) returned (the same `bytes`).
void free_large(const LargeBlock& block, size_t bytes);

}  // namespace ember
