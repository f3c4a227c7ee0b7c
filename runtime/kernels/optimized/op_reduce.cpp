// sum.IntList_out and mean.out over the trailing dims of a contiguous
// float32 tensor (a mean over H and W: global average pooling, squeeze-
// excite): each output is one contiguous run, summed by a vector pass over
// four accumulators; outputs split over the thread pool, none split, so the
// results do not depend on the thread count. Other dims, dtypes and layouts
// run the portable kernel, which also reports the errors.
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/reduce_util.h"

namespace ember {
namespace optimized {
namespace {

/// True if `dims` (negative ones wrapping) are each of self's last
/// dims.size() dims once, in any order.
bool trailing_dims(Span<const int64_t> dims, int32_t ndim) {
  if (dims.empty() || dims.size() > static_cast<size_t>(ndim)) return false;
  bool seen[kMaxRank] = {};
  const int64_t first = ndim - static_cast<int64_t>(dims.size());
  for (int64_t d : dims) {
    int64_t dim = 0;
    if (!normalize_dim(d, ndim, &dim) || dim < first || seen[dim]) return false;
    seen[dim] = true;
  }
  return true;
}

/// Args: self, dim, keepdim, dtype, out, ret (both schemas).
void fold_trailing(KernelContext& ctx, Span<EValue*> args, const char* op, bool mean,
                   KernelFn reference) {
  ArgReader r(ctx, args, op, 6);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims;
  const bool has_dims = r.optional_int_list(1, "dim", &dims);
  const bool keepdim = r.boolean(2, "keepdim");
  int64_t dtype = 0;
  const bool has_dtype = r.optional_integer(3, "dtype", &dtype);
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;
  const bool fast = has_dims && self->dim() > 0 && trailing_dims(dims, self->dim()) &&
                    (!has_dtype || static_cast<ScalarType>(dtype) == ScalarType::Float) &&
                    is_dense_float(*self) && out->dtype() == ScalarType::Float &&
                    self->numel() > 0;
  if (!fast) {
    reference(ctx, args);
    return;
  }
  portable::ReducePlan plan;
  const char* names[1] = {"out"};
  if (!portable::plan_reduce(ctx, op, *self, dims, false, keepdim, &out, names, 1, &plan)) return;
  if (!out->is_contiguous_order()) {
    reference(ctx, args);
    return;
  }
  const int64_t len = plan.count;
  const int64_t rows = self->numel() / len;
  const float* x = self->data_as<const float>();
  float* y = out->data_as<float>();
  const SimdKernels& k = simd();
  parallel_rows(rows, len, [&](int64_t i) {
    const float sum = k.sum(x + i * len, len);
    y[i] = mean ? sum / static_cast<float>(len) : sum;
  });
}

}  // namespace

void sum_intlist_out(KernelContext& ctx, Span<EValue*> args) {
  fold_trailing(ctx, args, "aten::sum.IntList_out", false, &portable::sum_intlist_out);
}

void mean_out(KernelContext& ctx, Span<EValue*> args) {
  fold_trailing(ctx, args, "aten::mean.out", true, &portable::mean_out);
}

}  // namespace optimized
}  // namespace ember
