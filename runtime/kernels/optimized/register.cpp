// register_optimized_kernels(): the optimized kernels over the portable ones.
// Every entry has a uniform float32 key, which the executor prefers to the
// portable catch-all of the same operator; a call with other dtypes resolves
// to the portable kernel at load. Each operator here is also a portable one,
// so its write description (OperatorWrites) is the portable table's.
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"

namespace ember {
namespace {

const KernelKey kFloat = KernelKey::uniform(ScalarType::Float);
// ---- attention
// ember::sdpa.out with a bool mask: query, key, value, attn_mask, out and the
// return value (out again).
constexpr ScalarType kF = ScalarType::Float;
const KernelKey kSdpaBoolMask{6, {kF, kF, kF, ScalarType::Bool, kF, kF}};
// ---- end attention
// max_pool2d_with_indices.out: self, out and indices (the result is a list).
const KernelKey kMaxPoolFloat{3, {kF, kF, ScalarType::Long}};

const Kernel kOptimizedKernels[] = {
    // ---- pointwise
    {"aten::gelu.out", &optimized::gelu_out, kFloat},
    {"aten::sigmoid.out", &optimized::sigmoid_out, kFloat},
    {"aten::silu.out", &optimized::silu_out, kFloat},
    {"aten::hardswish.out", &optimized::hardswish_out, kFloat},
    {"aten::tanh.out", &optimized::tanh_out, kFloat},
    {"aten::exp.out", &optimized::exp_out, kFloat},
    {"aten::relu.out", &optimized::relu_out, kFloat},
    {"aten::hardtanh.out", &optimized::hardtanh_out, kFloat},
    {"aten::clamp.out", &optimized::clamp_out, kFloat},
    {"aten::add.out", &optimized::add_out, kFloat},
    {"aten::sub.out", &optimized::sub_out, kFloat},
    {"aten::mul.out", &optimized::mul_out, kFloat},
    {"aten::div.out", &optimized::div_out, kFloat},
    {"aten::add.Scalar_out", &optimized::add_scalar_out, kFloat},
    {"aten::sub.Scalar_out", &optimized::sub_scalar_out, kFloat},
    {"aten::mul.Scalar_out", &optimized::mul_scalar_out, kFloat},
    {"aten::div.Scalar_out", &optimized::div_scalar_out, kFloat},
    // ---- end pointwise
    // ---- copies
    {"aten::permute_copy.out", &optimized::permute_copy_out, kFloat},
    {"aten::permute_copy.out", &optimized::permute_copy_out, KernelKey::uniform(ScalarType::Half)},
    {"aten::permute_copy.out", &optimized::permute_copy_out,
     KernelKey::uniform(ScalarType::BFloat16)},
    {"aten::permute_copy.out", &optimized::permute_copy_out, KernelKey::uniform(ScalarType::Int)},
    // ---- end copies
    // ---- rows
    {"aten::_softmax.out", &optimized::softmax_out, kFloat},
    {"aten::_log_softmax.out", &optimized::log_softmax_out, kFloat},
    {"aten::native_layer_norm.out", &optimized::native_layer_norm_out, kFloat},
    {"ember::rms_norm.out", &optimized::rms_norm_out, kFloat},
    {"aten::sum.IntList_out", &optimized::sum_intlist_out, kFloat},
    {"aten::mean.out", &optimized::mean_out, kFloat},
    // ---- end rows
    // ---- convolution
    {"aten::convolution.out", &optimized::convolution_out, kFloat,
     &optimized::prepare_convolution, &optimized::release_prepacked},
    {"ember::convolution_clamp.out", &optimized::convolution_clamp_out, kFloat,
     &optimized::prepare_convolution, &optimized::release_prepacked},
    {"aten::max_pool2d_with_indices.out", &optimized::max_pool2d_with_indices_out,
     kMaxPoolFloat},
    // ---- end convolution
    // ---- gemm
    {"aten::mm.out", &optimized::mm_out, kFloat, &optimized::prepare_mm,
     &optimized::release_prepacked},
    {"aten::addmm.out", &optimized::addmm_out, kFloat, &optimized::prepare_addmm,
     &optimized::release_prepacked},
    {"aten::bmm.out", &optimized::bmm_out, kFloat},
    {"aten::linear.out", &optimized::linear_out, kFloat, &optimized::prepare_linear,
     &optimized::release_prepacked},
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
