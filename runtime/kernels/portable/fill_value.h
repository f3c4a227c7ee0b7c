// Writing one given Scalar to every element of a tensor, shared by the
// kernels that fill: full, full_like, scalar_tensor and constant_pad_nd. The
// value converts to the tensor's dtype as torch converts it (Scalar::to,
// scalar.h).
#pragma once

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// Write `value`, converted to out's dtype, to every element of `out`. Fails
/// the call (naming `op` and `name`) if the value does not fit the dtype or
/// the dtype is unknown. As torch's one-element fill (which scalar_tensor
/// always takes), a one-element float16 or bfloat16 out takes any value,
/// rounded (beyond the range: inf).
bool fill_tensor(KernelContext& ctx, const char* op, const char* name, const Scalar& value,
                 Tensor& out);

}  // namespace portable
}  // namespace ember
