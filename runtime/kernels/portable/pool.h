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
  int64_t planes;  // N * C
  int64_t in_h, in_w, out_h, out_w;
  int64_t k_h, k_w, s_h, s_w, p_h, p_w, d_h, d_w;
};

/// A checked call: float32 contiguous (N, C, H, W) or (C, H, W) self; out
/// (float32) and indices (int64) resized to the pooled sizes, contiguous.
struct MaxPoolCall {
  PoolShape s{};
  const float* input = nullptr;
  float* out = nullptr;
  int64_t* indices = nullptr;
};

/// Read and check the call's arguments and resize both outputs, as
/// max_pool2d_with_indices_out does. False (the call failed, with the reason
/// logged) on any problem.
bool prepare_max_pool2d_with_indices(KernelContext& ctx, Span<EValue*> args, MaxPoolCall* call);

}  // namespace portable
}  // namespace ember
