// aten::max_pool2d_with_indices.out over float32 NCHW, checked by the
// portable kernel's own prepare step (portable/pool.h): one plane per (batch,
// channel), every output column a vector lane (the rows copied into a
// -inf-padded buffer), values and indices as the portable kernel's; planes
// split over the thread pool. Planes of 2^24 elements or more (indices past
// float's exact integers) run the portable loops.
// ember::quantized_max_pool2d_nhwc.out and ember::max_pool2d_nhwc.out
// (float32), checked by the portable prepare step too: output rows of each
// image split over the pool, every pixel's channels one run of lanes
// (simd_qwindow.h, SimdKernels::max_pool_nhwc_rows; NaN and padding as the
// portable kernel).
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/simd_qwindow.h"
#include "runtime/kernels/portable/pool.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {

namespace {

WindowShape window_of(const portable::PoolShape& s) {
  return WindowShape{s.in_h, s.in_w, s.out_h, s.out_w, s.k_h, s.k_w,
                     s.s_h,  s.s_w,  s.p_h,   s.p_w,   s.d_h, s.d_w};
}

}  // namespace

void max_pool2d_with_indices_out(KernelContext& ctx, Span<EValue*> args) {
  portable::MaxPoolCall call;
  if (!portable::prepare_max_pool2d_with_indices(ctx, args, &call)) return;
  const portable::PoolShape& s = call.s;
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  if (in_plane >= (int64_t{1} << 24)) {
    portable::max_pool2d_with_indices_out(ctx, args);
    return;
  }
  const WindowShape shape = window_of(s);
  const SimdKernels& k = simd();
  parallel_rows(s.planes, out_plane * s.k_h * s.k_w, [&](int64_t p) {
    k.max_pool_plane(shape, static_cast<const float*>(call.input) + p * in_plane,
                     static_cast<float*>(call.out) + p * out_plane,
                     call.indices + p * out_plane);
  });
}

void quantized_max_pool2d_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  portable::MaxPoolNhwcCall call;
  if (!portable::prepare_max_pool2d_nhwc(ctx, args, /*quantized=*/true, &call)) return;
  const portable::PoolShape& s = call.s;
  QMaxPoolNhwc p{};
  p.s = window_of(s);
  p.channels = s.channels;
  p.is_unsigned = call.dtype == ScalarType::Byte;
  const QWindowKernels& k = qwindow();
  const auto* in = static_cast<const uint8_t*>(call.input);
  auto* out = static_cast<uint8_t*>(call.out);
  const int64_t in_image = s.in_h * s.in_w * s.channels, out_image = s.out_h * s.out_w * s.channels;
  parallel_rows(s.planes * s.out_h, s.out_w * s.channels * s.k_h * s.k_w, [&](int64_t row) {
    const int64_t b = row / s.out_h, oh = row % s.out_h;
    k.max_pool_nhwc_rows(p, in + b * in_image, oh, oh + 1, out + b * out_image);
  });
}

void max_pool2d_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  portable::MaxPoolNhwcCall call;
  if (!portable::prepare_max_pool2d_nhwc(ctx, args, /*quantized=*/false, &call)) return;
  const portable::PoolShape& s = call.s;
  const WindowShape shape = window_of(s);
  const auto* in = static_cast<const float*>(call.input);
  auto* out = static_cast<float*>(call.out);
  const int64_t in_image = s.in_h * s.in_w * s.channels;
  const int64_t out_image = s.out_h * s.out_w * s.channels;
  const SimdKernels& k = simd();
  parallel_rows(s.planes * s.out_h, s.out_w * s.channels * s.k_h * s.k_w, [&](int64_t row) {
    const int64_t b = row / s.out_h, oh = row % s.out_h;
    k.max_pool_nhwc_rows(shape, s.channels, in + b * in_image, oh, oh + 1, out + b * out_image);
  });
}

}  // namespace optimized
}  // namespace ember
