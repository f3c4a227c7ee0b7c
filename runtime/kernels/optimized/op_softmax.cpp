// Softmax and log-softmax over float32 along the last dim of a contiguous
// tensor: one vector pass per row (max, exp and sum, normalize), rows split
// over the thread pool. Other dims, dtypes and layouts run the portable kernel.
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

/// _softmax.out and _log_softmax.out: args self, dim, half_to_float, out, ret.
void softmax_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, bool log,
                    KernelFn reference) {
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  const bool half_to_float = r.boolean(2, "half_to_float");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  int64_t dim = 0;
  const bool fast = !half_to_float && self->dim() > 0 &&
                    normalize_dim(dim_arg, self->dim(), &dim) &&
                    dim == self->dim() - 1 && is_dense_float(*self) &&
                    out->dtype() == ScalarType::Float && out->is_contiguous_order();
  if (!fast) {
    reference(ctx, args);
    return;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*self, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, self->dim())) return;
  const int64_t len = self->size(self->dim() - 1);
  if (len == 0) return;
  const int64_t rows = self->numel() / len;
  const float* x = self->data_as<const float>();
  float* y = out->data_as<float>();
  const SimdKernels& k = simd();
  parallel_rows(
      rows, len, [&](int64_t i) { k.softmax_row(x + i * len, y + i * len, len, log); }, kMathGrain);
}

}  // namespace

void softmax_out(KernelContext& ctx, Span<EValue*> args) {
  softmax_kernel(ctx, args, "aten::_softmax.out", false, &portable::softmax_out);
}

void log_softmax_out(KernelContext& ctx, Span<EValue*> args) {
  softmax_kernel(ctx, args, "aten::_log_softmax.out", true, &portable::log_softmax_out);
}

}  // namespace optimized
}  // namespace ember
