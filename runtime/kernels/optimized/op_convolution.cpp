// aten::convolution.out over float32 NCHW, checked by the portable kernel's
// own prepare step (portable/convolution.h):
//   depthwise (groups == in channels == out channels, not transposed):
//     one plane per (batch, channel), vector loads along W (stride 1 or 2)
//     with every tap accumulated in registers, planes split over the pool;
//   everything else: the portable computation.
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/convolution.h"

namespace ember {
namespace optimized {
namespace {

void depthwise(const portable::ConvCall& c) {
  const portable::ConvShape& s = c.s;
  const DepthwiseShape shape{s.in_h,     s.in_w,     s.out_h,  s.out_w, s.k_h,    s.k_w,
                             s.stride_h, s.stride_w, s.pad_h,  s.pad_w, s.dil_h,  s.dil_w};
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  const int64_t taps = s.k_h * s.k_w;
  const SimdKernels& k = simd();
  parallel_rows(s.n * s.out_c, out_plane * taps, [&](int64_t plane) {
    const int64_t ch = plane % s.out_c;
    k.depthwise_plane(shape, c.input + plane * in_plane, c.weight + ch * taps,
                      c.bias != nullptr ? c.bias[ch] : 0.0f, c.out + plane * out_plane);
  });
}

}  // namespace

void convolution_out(KernelContext& ctx, Span<EValue*> args) {
  portable::ConvCall call;
  if (!portable::prepare_convolution(ctx, args, &call)) return;
  const portable::ConvShape& s = call.s;
  if (!call.transposed && s.groups == s.in_c && s.in_cg == 1 && s.out_cg == 1) {
    depthwise(call);
    return;
  }
  portable::run_convolution(ctx, call);
}

}  // namespace optimized
}  // namespace ember
