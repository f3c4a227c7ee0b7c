// permute_copy for dense tensors of 1-, 2- and 4-byte elements (float32,
// float16, bfloat16, int32, ...) in the contiguous dim order, up to 6 dims
// after merging: the tiled, threaded transpose of kernels/common/transpose.h
// (the one XnnpackBackend runs between its stages); 2-4 byte planes
// interleaved (an int8 image to channels-last) by SimdKernels::interleave_bytes.
// Other cases run the portable kernel.
#include "runtime/kernels/common/transpose.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {

void permute_copy_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::permute_copy.out";
  ArgReader r(ctx, args, op, 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims = r.int_list(1, "dims");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const int ndim = self->dim();
  const size_t elem = element_size(self->dtype());
  bool fast = self->dtype() == out->dtype() && (elem == 1 || elem == 2 || elem == 4) &&
              self->is_contiguous_order() && out->is_contiguous_order() &&
              ndim <= static_cast<int>(TransposePlan::kMaxRank) &&
              dims.size() == static_cast<size_t>(ndim);
  bool seen[kMaxRank] = {};
  uint32_t perm[TransposePlan::kMaxRank] = {};
  size_t in_dims[TransposePlan::kMaxRank] = {};
  int64_t sizes[kMaxRank] = {};
  for (int i = 0; fast && i < ndim; ++i) {
    int64_t d = 0;
    fast = normalize_dim(dims[i], ndim, &d) && !seen[d];
    if (!fast) break;
    seen[d] = true;
    perm[i] = static_cast<uint32_t>(d);
    in_dims[i] = static_cast<size_t>(self->size(i));
    sizes[i] = self->size(static_cast<int32_t>(d));
  }
  if (!fast) {
    portable::permute_copy_out(ctx, args);
    return;
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  if (self->numel() == 0) return;
  const TransposePlan plan = plan_transpose(in_dims, static_cast<uint32_t>(ndim), perm, elem);
  if (elem == 1 && plan.rank == 2 && plan.in_strides[0] == 1 && plan.dims[1] <= 4) {
    // A few byte planes interleaved (an int8 image to channels-last).
    simd().interleave_bytes(static_cast<const uint8_t*>(self->data()),
                            static_cast<int64_t>(plan.dims[1]),
                            static_cast<int64_t>(plan.in_strides[1]),
                            static_cast<int64_t>(plan.dims[0]),
                            static_cast<uint8_t*>(out->mutable_data()));
    return;
  }
  run_transpose(plan, self->data(), out->mutable_data());
}

}  // namespace optimized
}  // namespace ember
