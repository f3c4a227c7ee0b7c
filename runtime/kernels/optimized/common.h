// What the optimized op files share: the fast-path tests and the chunked
// run of a vector loop over the thread pool.
#pragma once

#include <cstdint>

#include "runtime/core/tensor.h"
#include "runtime/core/threadpool.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/optimized/gemm/gemm.h"
#include "runtime/kernels/optimized/parallel.h"
#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace optimized {

/// Elements per task below which threading does not pay for waking a
/// thread and waiting for it (a few microseconds, far more when another
/// process holds the other core): for a few instructions per element
/// (copies, arithmetic, compares, sums: memory bound, about 10 us per task)...
constexpr int64_t kElementwiseGrain = 65536;
/// ... and for a few dozen (exp, sigmoid, tanh, gelu; softmax and layer-norm rows).
constexpr int64_t kMathGrain = 16384;

/// A float32 tensor in the contiguous dim order.
inline bool is_dense_float(const Tensor& t) {
  return t.dtype() == ScalarType::Float && t.is_contiguous_order();
}

/// True if a and b have the same sizes.
inline bool same_sizes(const Tensor& a, const Tensor& b) {
  if (a.dim() != b.dim()) return false;
  for (int32_t d = 0; d < a.dim(); ++d) {
    if (a.size(d) != b.size(d)) return false;
  }
  return true;
}

/// out resized to self's sizes, then loop(x, y, n) over the flat float32
/// data in chunks on the pool (the caller has checked that self and out are
/// float32 in one dim order). False if out cannot take the sizes: the call
/// then failed, with the reason logged.
template <typename Loop>
bool map_flat(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out,
              const Loop& loop, int64_t grain = kElementwiseGrain) {
  int64_t sizes[kMaxRank];
  tensor_sizes(self, sizes);
  if (!resize_out(ctx, op, "out", out, sizes, self.dim())) return false;
  const float* x = self.data_as<const float>();
  float* y = out.data_as<float>();
  parallel_for(self.numel(), grain, [&](int64_t begin, int64_t end) {
    loop(x + begin, y + begin, end - begin);
  });
  return true;
}

/// Rows of `len` elements, `rows` of them, each handled by row(i): split over
/// the pool with at least `elements` elements per task.
template <typename F>
void parallel_rows(int64_t rows, int64_t len, const F& row, int64_t elements = kElementwiseGrain) {
  const int64_t grain = len >= elements ? 1 : elements / (len > 0 ? len : 1);
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) row(i);
  });
}

/// Scratch for `batch` m x n x k products: the preferred size if the context
/// has it, else the largest power-of-two fraction of it down to the GEMM's
/// minimum. nullptr if not even that fits (the caller hands off to portable).
inline void* gemm_workspace(KernelContext& ctx, int64_t batch, int64_t m, int64_t n, int64_t k,
                            size_t* bytes, bool b_prepacked = false) {
  const size_t least = gemm::min_workspace_bytes();
  size_t want = gemm::workspace_bytes(m, n, k, get_num_threads(), b_prepacked, batch);
  for (; want > least; want /= 2) {
    if (void* p = ctx.allocate_temp(want, 64)) {
      *bytes = want;
      return p;
    }
  }
  *bytes = least;
  return ctx.allocate_temp(least, 64);
}

}  // namespace optimized
}  // namespace ember
