// Softmax and log-softmax along one dim, for float32, float64, float16 and
// bfloat16 (computed in float, or double for float64), any dim order.
//
// 1. Walk every position of the other dims (strided).
// 2. Along dim: the maximum, then the sum of exp(x - max) accumulated in
//    double (stable for large inputs, accurate for long rows).
// 3. softmax = exp(x - max) / sum; log_softmax = x - max - log(sum).
// A NaN anywhere in a row makes the whole row NaN, as in torch.
#include <cmath>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/reduce_util.h"

namespace ember {
namespace portable {
namespace {

template <typename T, bool kLog>
void softmax_rows(const Tensor& self, Tensor& out, int64_t dim) {
  using C = compute_t<T>;
  const Tensor* operands[2] = {&out, &self};
  DimLines lines;
  lines.init(operands, 2, dim);
  const StridedLoop& loop = lines.loop;
  const int64_t len = lines.len, so = lines.steps[0], si = lines.steps[1];
  const T* in = self.data_as<const T>();
  T* dst = out.data_as<T>();
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n; ++i) {
      const T* x = in + off[1] + i * st[1];
      T* y = dst + off[0] + i * st[0];
      C max = -INFINITY;
      bool nan = false;
      for (int64_t k = 0; k < len; ++k) {
        const C v = static_cast<C>(x[k * si]);
        nan = nan || v != v;
        max = v > max ? v : max;
      }
      if (nan) max = NAN;
      double sum = 0.0;
      if (!kLog && std::is_same<T, C>::value) {
        // float and double hold exp(x - max) exactly: keep it in y and scale.
        for (int64_t k = 0; k < len; ++k) {
          const C e = std::exp(static_cast<C>(x[k * si]) - max);
          y[k * so] = static_cast<T>(e);
          sum += e;
        }
        const C inv = static_cast<C>(1.0 / sum);
        for (int64_t k = 0; k < len; ++k) {
          y[k * so] = static_cast<T>(static_cast<C>(y[k * so]) * inv);
        }
        continue;
      }
      for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<C>(x[k * si]) - max);
      if (kLog) {
        const C log_sum = static_cast<C>(std::log(sum));
        for (int64_t k = 0; k < len; ++k) {
          y[k * so] = static_cast<T>(static_cast<C>(x[k * si]) - max - log_sum);
        }
      } else {
        const C inv = static_cast<C>(1.0 / sum);
        for (int64_t k = 0; k < len; ++k) {
          y[k * so] = static_cast<T>(std::exp(static_cast<C>(x[k * si]) - max) * inv);
        }
      }
    }
  });
}

/// _softmax.out and _log_softmax.out: args self, dim, half_to_float, out, ret.
template <bool kLog>
void softmax_kernel(KernelContext& ctx, Span<EValue*> args, const char* op) {
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  const bool half_to_float = r.boolean(2, "half_to_float");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  // torch's CPU kernels reject it too; only CUDA converts half to float.
  EMBER_KERNEL_CHECK(ctx, !half_to_float, NotSupported, op,
                     "half_to_float=True is not supported (as on torch's CPU)");
  if (!check_floating(ctx, op, "self", *self)) return;
  if (!check_dtype(ctx, op, "out", *out, self->dtype())) return;
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, normalize_dim(dim_arg, self->dim(), &dim), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), static_cast<int>(self->dim()));
  int64_t sizes[kMaxRank];
  tensor_sizes(*self, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, self->dim())) return;
  EMBER_SWITCH_FLOAT(self->dtype(), return, (softmax_rows<CTYPE, kLog>(*self, *out, dim)));
}

}  // namespace

void softmax_out(KernelContext& ctx, Span<EValue*> args) {
  softmax_kernel<false>(ctx, args, "aten::_softmax.out");
}

void log_softmax_out(KernelContext& ctx, Span<EValue*> args) {
  softmax_kernel<true>(ctx, args, "aten::_log_softmax.out");
}

}  // namespace portable
}  // namespace ember
