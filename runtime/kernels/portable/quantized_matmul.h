// ember::quantized_matmul's argument checks, shared by the reference kernel
// (op_quantized_matmul.cpp) and the optimized integer one.
#pragma once

#include <cstdint>

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// One checked call: self [batch, m, k] times other [batch, k, n] into out
/// [batch, m, n] (the leading dims flattened), all contiguous.
struct QuantizedMatmulCall {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  Tensor* out = nullptr;
  double a_scale = 1.0, b_scale = 1.0, out_scale = 1.0;
  int64_t a_zero_point = 0, b_zero_point = 0, out_zero_point = 0, qmin = 0, qmax = 0;
  int64_t batch = 1, m = 0, k = 0, n = 0;
};

/// Read and check ember::quantized_matmul.out's arguments and resize out;
/// false after failing the call.
bool quantized_matmul_prepare(KernelContext& ctx, Span<EValue*> args, QuantizedMatmulCall* call);

}  // namespace portable
}  // namespace ember
