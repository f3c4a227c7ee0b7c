// Ember's channels-last float32 convolution (op_convolution_nhwc.cpp) for a
// backend that holds its graph's weights in channels-last order, as
// XNNPACK's delegate blobs do: XnnpackBackend runs its convolution nodes
// with it where Ember's kernel is the faster one (docs/xnnpack.md).
//
//   portable::ConvShape s = ...;   // n, sizes, stride, padding, dilation, groups
//   void* w = optimized::pack_convolution_nhwc(s, filter, WeightLayout::ohwi);  // at init
//   size_t temp = optimized::convolution_nhwc_temp_bytes(s);
//   optimized::ConvolutionNhwc c{s, w, bias, lo, hi};
//   Error e = optimized::run_convolution_nhwc(c, in, out, temp_memory, temp);  // per call
//   optimized::release_convolution_nhwc(w);                                      // at destroy
//
// Symmetric padding only (ConvShape's pad_h / pad_w on both sides). The
// packed weight is the kernel's own (the GEMM's B panels per group, or the
// depthwise rows' [KH * KW][C]); the filter may be freed once packed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/kernels/portable/convolution.h"

namespace ember {
namespace optimized {

/// How the filter's elements are ordered.
enum class WeightLayout : uint8_t {
  ohwi,  ///< [OC, KH, KW, IC / groups], each group's rows consecutive (XNNPACK's Conv2d)
  hwo,   ///< [KH, KW, OC], one input channel a group (XNNPACK's DepthwiseConv2d)
};

/// The filter packed for `s`, or nullptr (out of memory, or a layout that
/// does not fit the shape: hwo needs one input channel per group). Heap memory; free it with release_convolution_nhwc().
void* pack_convolution_nhwc(const portable::ConvShape& s, const float* filter,
                            WeightLayout layout);

void release_convolution_nhwc(void* packed);

/// Temp memory a call with shape `s` works best with at the current thread
/// count (im2col chunks and the GEMM's workspace); a call given less uses
/// smaller chunks, down to convolution_nhwc_min_temp_bytes(s).
size_t convolution_nhwc_temp_bytes(const portable::ConvShape& s);
size_t convolution_nhwc_min_temp_bytes(const portable::ConvShape& s);

/// One convolution: out = clamp(conv(input, weight) + bias, lo, hi).
struct ConvolutionNhwc {
  portable::ConvShape s{};
  const void* packed = nullptr;  ///< pack_convolution_nhwc(s, ...)
  const float* bias = nullptr;   ///< [OC] or nullptr
  float lo = -HUGE_VALF, hi = HUGE_VALF;
};

/// Runs `c` on input [N, H, W, IC] into out [N, OH, OW, OC], on the
/// process's thread pool. MemoryAllocationFailed (nothing written) when
/// `temp_bytes` is below convolution_nhwc_min_temp_bytes.
Error run_convolution_nhwc(const ConvolutionNhwc& c, const float* input, float* out,
                           uint8_t* temp, size_t temp_bytes);

}  // namespace optimized
}  // namespace ember
