// register_portable_kernels(): the explicit table of every portable kernel.
// All entries use the empty KernelKey: each kernel checks its dtypes and
// fails with NotSupported for the ones it lacks.
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace {

using namespace portable;  // NOLINT: the table below names every kernel

const Kernel kPortableKernels[] = {
    {"aten::add.out", &add_out, KernelKey{}},
    {"aten::sub.out", &sub_out, KernelKey{}},
    {"aten::mul.out", &mul_out, KernelKey{}},
    {"aten::div.out", &div_out, KernelKey{}},
    {"aten::div.out_mode", &div_out_mode, KernelKey{}},
    {"aten::relu.out", &relu_out, KernelKey{}},
    {"aten::hardtanh.out", &hardtanh_out, KernelKey{}},
    {"aten::sigmoid.out", &sigmoid_out, KernelKey{}},
    {"aten::tanh.out", &tanh_out, KernelKey{}},
    {"aten::gelu.out", &gelu_out, KernelKey{}},
    {"aten::_softmax.out", &softmax_out, KernelKey{}},
    {"aten::_native_batch_norm_legit_no_training.out", &batch_norm_no_training_out, KernelKey{}},
    {"aten::convolution.out", &convolution_out, KernelKey{}},
    {"aten::max_pool2d_with_indices.out", &max_pool2d_with_indices_out, KernelKey{}},
    {"aten::avg_pool2d.out", &avg_pool2d_out, KernelKey{}},
    {"aten::_adaptive_avg_pool2d.out", &adaptive_avg_pool2d_out, KernelKey{}},
    {"aten::mean.out", &mean_out, KernelKey{}},
    {"aten::sum.IntList_out", &sum_intlist_out, KernelKey{}},
    {"aten::addmm.out", &addmm_out, KernelKey{}},
    {"aten::mm.out", &mm_out, KernelKey{}},
    {"aten::bmm.out", &bmm_out, KernelKey{}},
    {"aten::linear.out", &linear_out, KernelKey{}},
    {"aten::view_copy.out", &view_copy_out, KernelKey{}},
    {"aten::permute_copy.out", &permute_copy_out, KernelKey{}},
    {"aten::unsqueeze_copy.out", &unsqueeze_copy_out, KernelKey{}},
    {"aten::squeeze_copy.dims_out", &squeeze_copy_dims_out, KernelKey{}},
    {"aten::squeeze_copy.dim_out", &squeeze_copy_dim_out, KernelKey{}},
    {"aten::expand_copy.out", &expand_copy_out, KernelKey{}},
    {"aten::cat.out", &cat_out, KernelKey{}},
    {"aten::clone.out", &clone_out, KernelKey{}},
    {"aten::_to_copy.out", &to_copy_out, KernelKey{}},
    {"dim_order_ops::_to_dim_order_copy.out", &to_dim_order_copy_out, KernelKey{}},
    {"dim_order_ops::_clone_dim_order.out", &clone_dim_order_out, KernelKey{}},
    {"aten::copy_", &copy_, KernelKey{}},
    {"aten::index_put.out", &index_put_out, KernelKey{}},

    // ---- unary
    {"aten::neg.out", &neg_out, KernelKey{}},
    {"aten::abs.out", &abs_out, KernelKey{}},
    {"aten::exp.out", &exp_out, KernelKey{}},
    {"aten::expm1.out", &expm1_out, KernelKey{}},
    {"aten::log.out", &log_out, KernelKey{}},
    {"aten::log1p.out", &log1p_out, KernelKey{}},
    {"aten::log2.out", &log2_out, KernelKey{}},
    {"aten::sqrt.out", &sqrt_out, KernelKey{}},
    {"aten::rsqrt.out", &rsqrt_out, KernelKey{}},
    {"aten::reciprocal.out", &reciprocal_out, KernelKey{}},
    {"aten::sin.out", &sin_out, KernelKey{}},
    {"aten::cos.out", &cos_out, KernelKey{}},
    {"aten::tan.out", &tan_out, KernelKey{}},
    {"aten::atan.out", &atan_out, KernelKey{}},
    {"aten::asin.out", &asin_out, KernelKey{}},
    {"aten::acos.out", &acos_out, KernelKey{}},
    {"aten::sinh.out", &sinh_out, KernelKey{}},
    {"aten::cosh.out", &cosh_out, KernelKey{}},
    {"aten::erf.out", &erf_out, KernelKey{}},
    {"aten::floor.out", &floor_out, KernelKey{}},
    {"aten::ceil.out", &ceil_out, KernelKey{}},
    {"aten::trunc.out", &trunc_out, KernelKey{}},
    {"aten::round.out", &round_out, KernelKey{}},
    {"aten::round.decimals_out", &round_decimals_out, KernelKey{}},
    {"aten::sign.out", &sign_out, KernelKey{}},
    {"aten::isnan.out", &isnan_out, KernelKey{}},
    {"aten::isinf.out", &isinf_out, KernelKey{}},
    {"aten::logical_not.out", &logical_not_out, KernelKey{}},
    {"aten::bitwise_not.out", &bitwise_not_out, KernelKey{}},
    {"aten::leaky_relu.out", &leaky_relu_out, KernelKey{}},
    {"aten::elu.out", &elu_out, KernelKey{}},
    {"aten::clamp.out", &clamp_out, KernelKey{}},
    {"aten::clamp.Tensor_out", &clamp_tensor_out, KernelKey{}},
    // ---- end unary

    // ---- binary
    {"aten::add.Scalar_out", &add_scalar_out, KernelKey{}},
    {"aten::sub.Scalar_out", &sub_scalar_out, KernelKey{}},
    {"aten::mul.Scalar_out", &mul_scalar_out, KernelKey{}},
    {"aten::div.Scalar_out", &div_scalar_out, KernelKey{}},
    {"aten::div.Scalar_mode_out", &div_scalar_mode_out, KernelKey{}},
    {"aten::pow.Tensor_Tensor_out", &pow_tensor_tensor_out, KernelKey{}},
    {"aten::pow.Tensor_Scalar_out", &pow_tensor_scalar_out, KernelKey{}},
    {"aten::pow.Scalar_out", &pow_scalar_out, KernelKey{}},
    {"aten::remainder.Tensor_out", &remainder_tensor_out, KernelKey{}},
    {"aten::remainder.Scalar_out", &remainder_scalar_out, KernelKey{}},
    {"aten::remainder.Scalar_Tensor_out", &remainder_scalar_tensor_out, KernelKey{}},
    {"aten::fmod.Tensor_out", &fmod_tensor_out, KernelKey{}},
    {"aten::fmod.Scalar_out", &fmod_scalar_out, KernelKey{}},
    {"aten::maximum.out", &maximum_out, KernelKey{}},
    {"aten::minimum.out", &minimum_out, KernelKey{}},
    {"aten::atan2.out", &atan2_out, KernelKey{}},
    {"aten::eq.Tensor_out", &eq_tensor_out, KernelKey{}},
    {"aten::eq.Scalar_out", &eq_scalar_out, KernelKey{}},
    {"aten::ne.Tensor_out", &ne_tensor_out, KernelKey{}},
    {"aten::ne.Scalar_out", &ne_scalar_out, KernelKey{}},
    {"aten::lt.Tensor_out", &lt_tensor_out, KernelKey{}},
    {"aten::lt.Scalar_out", &lt_scalar_out, KernelKey{}},
    {"aten::le.Tensor_out", &le_tensor_out, KernelKey{}},
    {"aten::le.Scalar_out", &le_scalar_out, KernelKey{}},
    {"aten::gt.Tensor_out", &gt_tensor_out, KernelKey{}},
    {"aten::gt.Scalar_out", &gt_scalar_out, KernelKey{}},
    {"aten::ge.Tensor_out", &ge_tensor_out, KernelKey{}},
    {"aten::ge.Scalar_out", &ge_scalar_out, KernelKey{}},
    {"aten::logical_and.out", &logical_and_out, KernelKey{}},
    {"aten::logical_or.out", &logical_or_out, KernelKey{}},
    {"aten::logical_xor.out", &logical_xor_out, KernelKey{}},
    {"aten::bitwise_and.Tensor_out", &bitwise_and_tensor_out, KernelKey{}},
    {"aten::bitwise_and.Scalar_out", &bitwise_and_scalar_out, KernelKey{}},
    {"aten::bitwise_or.Tensor_out", &bitwise_or_tensor_out, KernelKey{}},
    {"aten::bitwise_or.Scalar_out", &bitwise_or_scalar_out, KernelKey{}},
    {"aten::bitwise_xor.Tensor_out", &bitwise_xor_tensor_out, KernelKey{}},
    {"aten::bitwise_xor.Scalar_out", &bitwise_xor_scalar_out, KernelKey{}},
    {"aten::where.self_out", &where_self_out, KernelKey{}},
    // ---- end binary

    // ---- reduction
    {"aten::mean.dtype_out", &mean_dtype_out, KernelKey{}},
    {"aten::prod.out", &prod_out, KernelKey{}},
    {"aten::prod.int_out", &prod_int_out, KernelKey{}},
    {"aten::cumsum.out", &cumsum_out, KernelKey{}},
    {"aten::var.correction_out", &var_correction_out, KernelKey{}},
    {"aten::var_mean.correction_out", &var_mean_correction_out, KernelKey{}},
    {"aten::linalg_vector_norm.out", &linalg_vector_norm_out, KernelKey{}},
    {"aten::amax.out", &amax_out, KernelKey{}},
    {"aten::amin.out", &amin_out, KernelKey{}},
    {"aten::max.dim_max", &max_dim_max, KernelKey{}},
    {"aten::min.dim_min", &min_dim_min, KernelKey{}},
    {"aten::max.unary_out", &max_unary_out, KernelKey{}},
    {"aten::min.unary_out", &min_unary_out, KernelKey{}},
    {"aten::argmax.out", &argmax_out, KernelKey{}},
    {"aten::argmin.out", &argmin_out, KernelKey{}},
    {"aten::any.all_out", &any_all_out, KernelKey{}},
    {"aten::any.out", &any_out, KernelKey{}},
    {"aten::any.dims_out", &any_dims_out, KernelKey{}},
    {"aten::_log_softmax.out", &log_softmax_out, KernelKey{}},
    {"aten::native_layer_norm.out", &native_layer_norm_out, KernelKey{}},
    {"aten::native_group_norm.out", &native_group_norm_out, KernelKey{}},
    // ---- end reduction

    // ---- shape
    {"aten::slice_copy.Tensor_out", &slice_copy_tensor_out, KernelKey{}},
    {"aten::select_copy.int_out", &select_copy_int_out, KernelKey{}},
    {"aten::alias_copy.out", &alias_copy_out, KernelKey{}},
    {"aten::constant_pad_nd.out", &constant_pad_nd_out, KernelKey{}},
    {"aten::repeat.out", &repeat_out, KernelKey{}},
    {"aten::flip.out", &flip_out, KernelKey{}},
    {"aten::full.out", &full_out, KernelKey{}},
    {"aten::full_like.out", &full_like_out, KernelKey{}},
    {"aten::scalar_tensor.out", &scalar_tensor_out, KernelKey{}},
    {"aten::arange.start_out", &arange_start_out, KernelKey{}},
    {"aten::upsample_nearest2d.vec_out", &upsample_nearest2d_vec_out, KernelKey{}},
    {"aten::upsample_bilinear2d.vec_out", &upsample_bilinear2d_vec_out, KernelKey{}},
    // ---- end shape

    // ---- indexing
    {"aten::index.Tensor_out", &index_tensor_out, KernelKey{}},
    {"aten::index_select.out", &index_select_out, KernelKey{}},
    {"aten::embedding.out", &embedding_out, KernelKey{}},
    {"aten::gather.out", &gather_out, KernelKey{}},
    {"aten::scatter.src_out", &scatter_src_out, KernelKey{}},
    {"aten::scatter.value_out", &scatter_value_out, KernelKey{}},
    {"aten::scatter_add.out", &scatter_add_out, KernelKey{}},
    {"aten::scatter.reduce_out", &scatter_reduce_out, KernelKey{}},
    {"aten::scatter_reduce.two_out", &scatter_reduce_two_out, KernelKey{}},
    {"aten::sort.values", &sort_values_out, KernelKey{}},
    {"aten::sort.values_stable", &sort_values_stable_out, KernelKey{}},
    {"aten::topk.values", &topk_values_out, KernelKey{}},
    // ---- end indexing

    // ---- attention
    {"ember::sdpa.out", &sdpa_out, KernelKey{}},
    // ---- end attention
};

/// What each portable kernel writes: the table generated from exir/ops.yaml,
/// then the kernels whose schemas are not in it.
const OperatorWrites kPortableWrites[] = {
#include "runtime/kernels/portable/op_writes.inc"
    // copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)
    {"aten::copy_", 3, 0x1u},
    // squeeze_copy.dim_out(Tensor self, int dim, *, Tensor(a!) out) -> Tensor(a!)
    {"aten::squeeze_copy.dim_out", 3, 0x4u},
    // (Tensor self, *, bool non_blocking=False, int[]? dim_order=None, Tensor(a!) out)
    {"dim_order_ops::_to_dim_order_copy.out", 4, 0x8u},
    {"dim_order_ops::_clone_dim_order.out", 4, 0x8u},
};

bool g_registered = false;

}  // namespace

Error register_portable_kernels() {
  if (g_registered) return Error::Ok;
  const Error prim = register_prim_ops();
  if (prim != Error::Ok) return prim;
  EMBER_TRY(register_operator_writes(Span<const OperatorWrites>(
      kPortableWrites, sizeof(kPortableWrites) / sizeof(kPortableWrites[0]))));
  const Error err = register_kernels(
      Span<const Kernel>(kPortableKernels, sizeof(kPortableKernels) / sizeof(kPortableKernels[0])));
  if (err == Error::Ok) g_registered = true;
  return err;
}

}  // namespace ember
