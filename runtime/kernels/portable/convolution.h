// aten::convolution.out split in two, so that another kernel library
// (runtime/kernels/optimized) checks a call exactly as the portable kernel
// does and then computes it its own way, or hands it back:
//   ConvCall call;
//   if (!portable::prepare_convolution(ctx, args, &call)) return;  // reported
//   ... or portable::run_convolution(ctx, call);
#pragma once

#include <cmath>

#include <cstdint>

#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/kernel/kernel.h"

namespace ember {
namespace portable {

/// Everything the loops need, with 1-d already lifted to 2-d.
struct ConvShape {
  int64_t n, in_c, in_h, in_w;
  int64_t out_c, out_h, out_w;
  int64_t k_h, k_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int64_t groups;
  int64_t in_cg, out_cg;  // channels per group
};

/// A checked call: contiguous NCHW (or NCL) input, weight and out of element
/// type T (float, Half or BFloat16); out already resized.
template <typename T>
struct ConvCallOf {
  ConvShape s{};
  bool transposed = false;  ///< weight is [in_c, out_c / groups, k_h, k_w]
  const T* input = nullptr;
  const T* weight = nullptr;
  const T* bias = nullptr;  ///< nullptr: no bias
  T* out = nullptr;
};
/// A checked float32 call.
using ConvCall = ConvCallOf<float>;

/// Read and check the call's arguments and resize out, as convolution_out
/// does for float32 (a float16 or bfloat16 call fails here: the portable
/// kernel computes those itself). False (the call failed, with the reason
/// logged) on any problem.
bool prepare_convolution(KernelContext& ctx, Span<EValue*> args, ConvCall* call);

/// The portable computation of a prepared float32 call.
void run_convolution(KernelContext& ctx, const ConvCall& call);

/// ember::convolution_clamp.out's arguments: convolution.out's (`conv`, its
/// out and result in place of the bounds) and the clamp's bounds, as floats
/// (-inf / inf for a missing one).
struct ConvClampArgs {
  EValue* conv[11];
  float lo, hi;
};

/// Read ember::convolution_clamp.out's bounds and make `conv`. False (the
/// call failed, with the reason logged) on a wrong count, a bound that is
/// not a number, neither bound, or min above max.
bool read_convolution_clamp(KernelContext& ctx, Span<EValue*> args, ConvClampArgs* a);

/// Each of n matrices [rows, cols] of src transposed into dst (NHWC <->
/// NCHW images: rows = H * W, cols = C, or the other way).
void transpose_floats(const float* src, int64_t n, int64_t rows, int64_t cols, float* dst);

/// The activation ember::convolution_nhwc applies to its result.
enum class ConvActivation : uint8_t { none, silu, hardswish };

/// x * sigmoid(x) and x * clamp(x + 3, 0, 6) / 6 in aten::silu's and
/// aten::hardswish's portable order (op_activation.cpp).
inline float silu(float x) { return x * (1.0f / (1.0f + std::exp(-x))); }
inline float hardswish(float x) {
  float t = x + 3.0f;
  t = t < 0.0f ? 0.0f : t;
  t = t > 6.0f ? 6.0f : t;
  return x * t / 6.0f;
}

/// ember::convolution_nhwc.out's checked float32 call: input [N, H, W, C]
/// and out [N, OH, OW, OC] (resized), contiguous; the weight [OC, C / groups,
/// KH, KW] as aten::convolution's; the clamp's bounds (-inf / inf when
/// absent) or the activation (never both).
struct ConvNhwcCall {
  ConvShape s{};
  const float* input = nullptr;
  const float* weight = nullptr;
  const float* bias = nullptr;  ///< nullptr: no bias
  float* out = nullptr;
  float lo = -HUGE_VALF, hi = HUGE_VALF;
  ConvActivation activation = ConvActivation::none;
};

/// Read and check ember::convolution_nhwc.out's arguments and resize out.
/// False (the call failed, with the reason logged) on any problem.
bool prepare_convolution_nhwc(KernelContext& ctx, Span<EValue*> args, ConvNhwcCall* call);

/// im2col of output positions [p0, p0 + count) of one group, input channels
/// [ic_begin, ic_end) of it, into col: row (ic * k_h + ki) * k_w + kj holds
/// `count` floats (zero where the tap falls in the padding). Rows of other
/// channels are left alone, so channel ranges can be filled in parallel.
void im2col_chunk(const ConvShape& s, const float* in_g, int64_t p0, int64_t count, float* col,
                  int64_t ic_begin, int64_t ic_end);

/// The range [lo, hi) of o in [0, limit) with 0 <= o * stride + offset < extent.
void valid_range(int64_t offset, int64_t stride, int64_t extent, int64_t limit, int64_t* lo,
                 int64_t* hi);

}  // namespace portable
}  // namespace ember
