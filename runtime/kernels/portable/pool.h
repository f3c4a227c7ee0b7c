// aten::max_pool2d_with_indices.out split in two, as convolution.h splits
// convolution, so that another kernel library (runtime/kernels/optimized)
// checks a call exactly as the portable kernel does and then computes it its
// own way:
//   MaxPoolCall call;
//   if (!portable::prepare_max_pool2d_with_indices(ctx, args, &call)) return;  // reported
#pragma once

#include <cstdint>

#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/kernel/kernel.h"

namespace ember {
namespace portable {

/// Window parameters of one pooling call, per spatial dim.
struct PoolShape {
  int64_t planes;  // N * C (channels-last: N)
  int64_t channels = 1;  // channels-last: C, the elements of one pixel
  int64_t in_h, in_w, out_h, out_w;
  int64_t k_h, k_w, s_h, s_w, p_h, p_w, d_h, d_w;
};

/// A checked call: contiguous (N, C, H, W) or (C, H, W) self of `dtype`; out
/// (the same dtype) and indices (int64) resized to the pooled sizes,
/// contiguous.
struct MaxPoolCall {
  PoolShape s{};
  ScalarType dtype = ScalarType::Float;
  const void* input = nullptr;
  void* out = nullptr;
  int64_t* indices = nullptr;
};

/// Read and check the call's arguments and resize both outputs, as
/// max_pool2d_with_indices_out does. False (the call failed, with the reason
/// logged) on any problem. float32 only unless `half_too` (float16 and
/// bfloat16 too: the portable kernel's own call).
bool prepare_max_pool2d_with_indices(KernelContext& ctx, Span<EValue*> args, MaxPoolCall* call,
                                     bool half_too = false);

/// ember::max_pool2d_nhwc.out (float32) and ember::quantized_max_pool2d_nhwc.out
/// (int8, uint8), checked the same way: a [N, H, W, C] self of one of the
/// op's dtypes (out: its dtype, resized); s.planes is N and s.channels C.
struct MaxPoolNhwcCall {
  PoolShape s{};
  ScalarType dtype = ScalarType::Float;
  const void* input = nullptr;
  void* out = nullptr;
};
/// `quantized` selects the op: int8 / uint8 (ember::quantized_max_pool2d_nhwc)
/// or float32 (ember::max_pool2d_nhwc).
bool prepare_max_pool2d_nhwc(KernelContext& ctx, Span<EValue*> args, bool quantized,
                             MaxPoolNhwcCall* call);

}  // namespace portable
}  // namespace ember
