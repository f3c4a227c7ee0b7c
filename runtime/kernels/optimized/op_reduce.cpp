// sum.IntList_out and mean.out over the trailing dims of a contiguous
// float32 tensor (a mean over H and W: global average pooling, squeeze-
// excite): each output is one contiguous run, summed by a vector pass over
// four accumulators; outputs split over the thread pool, none split, so the
// results do not depend on the thread count. Over a run of middle dims (the
// same pools channels-last: [N, H, W, C] over H and W), rows of the inner
// dims are added into double accumulators, a column each. Other dims, dtypes and layouts
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

/// If `dims` (negative ones wrapping) are each of a run of self's dims
/// [first, last] once, with dims after it: the run's bounds.
bool middle_dims(Span<const int64_t> dims, int32_t ndim, int64_t* first, int64_t* last) {
  if (dims.empty() || dims.size() > static_cast<size_t>(ndim)) return false;
  bool seen[kMaxRank] = {};
  *first = ndim;
  *last = -1;
  for (int64_t d : dims) {
    int64_t dim = 0;
    if (!normalize_dim(d, ndim, &dim) || seen[dim]) return false;
    seen[dim] = true;
    *first = dim < *first ? dim : *first;
    *last = dim > *last ? dim : *last;
  }
  return *last - *first + 1 == static_cast<int64_t>(dims.size()) && *last < ndim - 1;
}

/// Columns [j0, j1) of `outer` blocks [rows, inner]: y = the sum over rows
/// (in double, as the portable kernel sums), or its mean.
void fold_rows(const float* x, int64_t rows, int64_t inner, int64_t j0, int64_t j1, bool mean,
               float* y) {
  constexpr int64_t kBlock = 256;
  double acc[kBlock];
  for (int64_t c0 = j0; c0 < j1; c0 += kBlock) {
    const int64_t n = j1 - c0 < kBlock ? j1 - c0 : kBlock;
    for (int64_t j = 0; j < n; ++j) acc[j] = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = x + r * inner + c0;
      for (int64_t j = 0; j < n; ++j) acc[j] += static_cast<double>(row[j]);
    }
    for (int64_t j = 0; j < n; ++j) {
      y[c0 + j] = static_cast<float>(mean ? acc[j] / static_cast<double>(rows) : acc[j]);
    }
  }
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
  int64_t first = 0, last = 0;
  const bool trailing = has_dims && self->dim() > 0 && trailing_dims(dims, self->dim());
  const bool middle = has_dims && !trailing && middle_dims(dims, self->dim(), &first, &last);
  const bool fast = (trailing || middle) &&
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
  if (middle) {  // [outer, len, inner]: a channels-last global pool, rows of channels
    int64_t inner = 1;
    for (int32_t d = static_cast<int32_t>(last) + 1; d < self->dim(); ++d) inner *= self->size(d);
    const int64_t outer = rows / inner;
    parallel_rows(outer, len * inner, [&](int64_t o) {
      fold_rows(x + o * len * inner, len, inner, 0, inner, mean, y + o * inner);
    });
    return;
  }
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
