// register_optimized_kernels(): the optimized kernels over the portable ones.
// Every entry has a uniform float32 key, which the executor prefers to the
// portable catch-all of the same operator; a call with other dtypes resolves
// to the portable kernel at load. Each operator here is also a portable one,
// so its write description (OperatorWrites) is the portable table's.
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/optimized/optimized_kernels.h"

namespace ember {
namespace {

const KernelKey kFloat = KernelKey::uniform(ScalarType::Float);
// ---- attention
// ember::sdpa.out with a bool mask: query, key, value, attn_mask, out and the
// return value (out again).
constexpr ScalarType kF = ScalarType::Float;
const KernelKey kSdpaBoolMask{6, {kF, kF, kF, ScalarType::Bool, kF, kF}};
// ---- end attention

const Kernel kOptimizedKernels[] = {
    // ---- pointwise
    {"aten::gelu.out", &optimized::gelu_out, kFloat},
    {"aten::sigmoid.out", &optimized::sigmoid_out, kFloat},
    {"aten::tanh.out", &optimized::tanh_out, kFloat},
    {"aten::exp.out", &optimized::exp_out, kFloat},
    {"aten::add.out", &optimized::add_out, kFloat},
    {"aten::sub.out", &optimized::sub_out, kFloat},
    {"aten::mul.out", &optimized::mul_out, kFloat},
    {"aten::div.out", &optimized::div_out, kFloat},
    // ---- end pointwise
    // ---- rows
    {"aten::_softmax.out", &optimized::softmax_out, kFloat},
    {"aten::_log_softmax.out", &optimized::log_softmax_out, kFloat},
    {"aten::native_layer_norm.out", &optimized::native_layer_norm_out, kFloat},
    // ---- end rows
    // ---- gemm
    // ---- end gemm
    // ---- attention
    {"ember::sdpa.out", &optimized::sdpa_out, kFloat},
    {"ember::sdpa.out", &optimized::sdpa_out, kSdpaBoolMask},
    // ---- end attention
};

bool g_registered = false;

}  // namespace

Error register_optimized_kernels() {
  if (g_registered) return Error::Ok;
  EMBER_TRY(register_portable_kernels());
  EMBER_TRY(register_kernels(Span<const Kernel>(
      kOptimizedKernels, sizeof(kOptimizedKernels) / sizeof(kOptimizedKernels[0]))));
  g_registered = true;
  return Error::Ok;
}

}  // namespace ember
