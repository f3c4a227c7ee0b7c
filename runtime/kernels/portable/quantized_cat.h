// ember::quantized_cat's argument checks, shared by the reference kernel
// (op_quantized_cat.cpp) and the optimized one, which copies bytes where an
// input has the output's parameters.
#pragma once

#include <cstdint>

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// One checked call: out resized to the concatenation, viewed as [outer,
/// sum of the inputs' sizes along dim, inner].
struct QuantizedCatCall {
  Span<EValue* const> tensors;
  Span<const double> scales;
  Span<const int64_t> zero_points;
  double out_scale = 1.0;
  int64_t out_zero_point = 0, qmin = 0, qmax = 0;
  int64_t dim = 0, outer = 1, inner = 1;
  Tensor* out = nullptr;
};

/// Read and check ember::quantized_cat.out's arguments (every input int8 or
/// uint8 of out's dtype, contiguous, with valid parameters, sizes matching
/// but along dim) and resize out; false after failing the call.
bool quantized_cat_prepare(KernelContext& ctx, Span<EValue*> args, QuantizedCatCall* call);

}  // namespace portable
}  // namespace ember
