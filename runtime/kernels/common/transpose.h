// Transposes (permuted copies) of dense tensors: planned once, then run as
// tiled 2-D transposes split over the process's thread pool. Shared by the
// optimized permute_copy kernel and XnnpackBackend, which runs the static
// transposes Debian's XNNPACK has no node for (ExecuTorch puts NCHW<->NHWC
// transposes at delegate boundaries and sometimes mid-graph).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember {

/// A transpose reduced to its essentials: size-1 dims dropped and output
/// dims that stay adjacent in the input merged. For output dim k, `dims[k]`
/// is its size and `in_strides[k]` its stride (in elements) in the input.
struct TransposePlan {
  static constexpr uint32_t kMaxRank = 6;  ///< after merging; plan_transpose takes up to this
  uint32_t rank = 0;
  size_t dims[kMaxRank] = {};
  size_t in_strides[kMaxRank] = {};
  size_t element_size = 4;  ///< 1, 2 or 4 bytes
  size_t numel = 1;
};

/// Plan output[i_0..i_r] = input[i_perm...]: `in_dims` are the input's
/// dims (rank <= 6), `perm[k]` the input dim output dim k takes.
/// `element_size` must be 1, 2 or 4.
TransposePlan plan_transpose(const size_t* in_dims, uint32_t rank, const uint32_t* perm,
                             size_t element_size);

/// True when the transpose moves no data (only size-1 dims move): the
/// output's bytes equal the input's, so it is a reshape.
inline bool is_reshape(const TransposePlan& p) {
  return p.rank == 0 || (p.rank == 1 && p.in_strides[0] == 1);
}

/// Run the plan from `src` to `dst` (which must not overlap). Large
/// transposes are split across the process's thread pool. Allocates nothing.
void run_transpose(const TransposePlan& plan, const void* src, void* dst);

/// A strided 2-D byte transpose on the calling thread:
/// dst[j * ld_dst + i] = src[i * ld_src + j] for i < rows, j < cols (no
/// overlap). 16x16 blocks through SSE2 / NEON byte shuffles where the build
/// has them, the edges element by element. run_transpose's 1-byte path.
void transpose_bytes(const uint8_t* src, size_t rows, size_t cols, size_t ld_src, uint8_t* dst,
                     size_t ld_dst);

}  // namespace ember
