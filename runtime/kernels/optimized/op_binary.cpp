// add, sub, mul and div over float32 with NumPy broadcasting. The broadcast
// index space is merged into rows (StridedLoop); when every row
// walks each input with step 1 or 0 (same shape, a scalar, a broadcast
// vector, a per-channel value over H x W, ...) the rows run the vector loop
// of simd_kernels.h, split over the thread pool; any other layout, dtype or
// error runs the portable kernel.
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

/// args: self, other, [alpha,] out, result.
void binary_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, BinaryOp kind,
                   bool has_alpha, KernelFn reference) {
  ArgReader r(ctx, args, op, has_alpha ? 5 : 4);
  Tensor* a = r.tensor(0, "self");
  Tensor* b = r.tensor(1, "other");
  const Scalar alpha = has_alpha ? r.scalar(2, "alpha") : Scalar::of_int(1);
  Tensor* out = r.tensor(has_alpha ? 3 : 2, "out");
  if (!r.ok()) return;
  int64_t shape[kMaxRank];
  int ndim = 0;
  // A bool alpha, or one that does not fit float32: the portable kernel reports it.
  float alpha_f = 1.0f;
  if (!is_dense_float(*a) || !is_dense_float(*b) || !is_dense_float(*out) || alpha.is_bool() ||
      !alpha.to(&alpha_f) || !broadcast_shapes(a->sizes(), b->sizes(), shape, &ndim)) {
    reference(ctx, args);
    return;
  }
  int64_t sa[kMaxRank], sb[kMaxRank], so[kMaxRank];
  broadcast_strides(*a, ndim, shape, sa);
  broadcast_strides(*b, ndim, shape, sb);
  // The out's strides are those of its contiguous layout at the new sizes.
  int64_t step = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    so[d] = step;
    step *= shape[d];
  }
  const int64_t* strides[3] = {so, sa, sb};
  StridedLoop loop;
  loop.init(ndim, shape, 3, strides);
  const int last = loop.ndim - 1;
  const int64_t in_a = loop.ndim == 0 ? 1 : loop.strides[1][last];
  const int64_t in_b = loop.ndim == 0 ? 1 : loop.strides[2][last];
  const bool rows_ok = loop.ndim == 0 || (loop.strides[0][last] == 1 && (in_a == 0 || in_a == 1) &&
                                          (in_b == 0 || in_b == 1));
  if (!rows_ok) {
    reference(ctx, args);
    return;
  }
  if (!resize_out(ctx, op, "out", *out, shape, ndim)) return;
  if (loop.numel == 0) return;
  const float* pa = a->data_as<const float>();
  const float* pb = b->data_as<const float>();
  float* py = out->data_as<float>();
  const SimdKernels& k = simd();
  const int64_t len = loop.ndim == 0 ? 1 : loop.sizes[last];
  const int64_t rows = loop.numel / len;
  if (rows == 1) {
    parallel_for(len, kElementwiseGrain, [&](int64_t begin, int64_t end) {
      k.binary(kind, pa + begin * in_a, in_a, pb + begin * in_b, in_b, py + begin, end - begin,
               alpha_f);
    });
    return;
  }
  parallel_rows(rows, len, [&](int64_t row) {
    int64_t off[3] = {0, 0, 0};
    int64_t rest = row;
    for (int d = last - 1; d >= 0; --d) {
      const int64_t i = rest % loop.sizes[d];
      rest /= loop.sizes[d];
      for (int o = 0; o < 3; ++o) off[o] += i * loop.strides[o][d];
    }
    k.binary(kind, pa + off[1], in_a, pb + off[2], in_b, py + off[0], len, alpha_f);
  });
}

/// The .Scalar_out forms: self op (alpha *) a Scalar other. args: self, other,
/// [alpha,] out, result.
void scalar_kernel(KernelContext& ctx, Span<EValue*> args, const char* op, BinaryOp kind,
                   bool has_alpha, KernelFn reference) {
  ArgReader r(ctx, args, op, has_alpha ? 5 : 4);
  Tensor* a = r.tensor(0, "self");
  const Scalar other = r.scalar(1, "other");
  const Scalar alpha = has_alpha ? r.scalar(2, "alpha") : Scalar::of_int(1);
  Tensor* out = r.tensor(has_alpha ? 3 : 2, "out");
  if (!r.ok()) return;
  float value = 0.0f, alpha_f = 1.0f;
  if (!is_dense_float(*a) || !is_dense_float(*out) || !other.to(&value) || alpha.is_bool() ||
      !alpha.to(&alpha_f)) {
    reference(ctx, args);
    return;
  }
  const SimdKernels& k = simd();
  map_flat(ctx, op, *a, *out, [&](const float* x, float* y, int64_t n) {
    k.binary(kind, x, 1, &value, 0, y, n, alpha_f);
  });
}

}  // namespace

void add_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::add.out", BinaryOp::Add, true, &portable::add_out);
}

void sub_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::sub.out", BinaryOp::Sub, true, &portable::sub_out);
}

void mul_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::mul.out", BinaryOp::Mul, false, &portable::mul_out);
}

void div_out(KernelContext& ctx, Span<EValue*> args) {
  binary_kernel(ctx, args, "aten::div.out", BinaryOp::Div, false, &portable::div_out);
}

void add_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  scalar_kernel(ctx, args, "aten::add.Scalar_out", BinaryOp::Add, true, &portable::add_scalar_out);
}

void sub_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  scalar_kernel(ctx, args, "aten::sub.Scalar_out", BinaryOp::Sub, true, &portable::sub_scalar_out);
}

void mul_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  scalar_kernel(ctx, args, "aten::mul.Scalar_out", BinaryOp::Mul, false, &portable::mul_scalar_out);
}

void div_scalar_out(KernelContext& ctx, Span<EValue*> args) {
  scalar_kernel(ctx, args, "aten::div.Scalar_out", BinaryOp::Div, false, &portable::div_scalar_out);
}

}  // namespace optimized
}  // namespace ember
