// Declarations of every portable kernel, for the registration table in
// register.cpp. Each is an out-variant ATen operator with the calling
// convention of runtime/kernel/kernel.h; the comment names the registered
// operator and the dtypes it accepts (it fails with NotSupported otherwise).
#pragma once

#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/kernel/kernel.h"

namespace ember {
namespace portable {

// op_elementwise.cpp: NumPy broadcasting and torch's type promotion over all
// ten dtypes (see the binary section below).
void add_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::add.out
void sub_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::sub.out
void mul_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::mul.out
void div_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::div.out (int inputs give float32)
void div_out_mode(KernelContext& ctx, Span<EValue*> args);  ///< aten::div.out_mode

// op_convolution.cpp
void convolution_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::convolution.out: float32

// op_pool.cpp: float32, NCHW or CHW, contiguous.
void max_pool2d_with_indices_out(KernelContext& ctx, Span<EValue*> args);
void avg_pool2d_out(KernelContext& ctx, Span<EValue*> args);
void adaptive_avg_pool2d_out(KernelContext& ctx, Span<EValue*> args);

// op_linear.cpp: float32.
void addmm_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::addmm.out
void mm_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::mm.out
void bmm_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::bmm.out
void linear_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::linear.out

// op_shape.cpp: any dtype (same in and out).
void view_copy_out(KernelContext& ctx, Span<EValue*> args);          ///< aten::view_copy.out
void permute_copy_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::permute_copy.out
void unsqueeze_copy_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::unsqueeze_copy.out
void squeeze_copy_dims_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::squeeze_copy.dims_out
void squeeze_copy_dim_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::squeeze_copy.dim_out
void expand_copy_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::expand_copy.out
void cat_out(KernelContext& ctx, Span<EValue*> args);                ///< aten::cat.out

// op_copy.cpp: casts among bool, uint8, int8, int16, int32, int64, float32, float64.
void clone_out(KernelContext& ctx, Span<EValue*> args);              ///< aten::clone.out
void to_copy_out(KernelContext& ctx, Span<EValue*> args);            ///< aten::_to_copy.out
void to_dim_order_copy_out(KernelContext& ctx, Span<EValue*> args);  ///< dim_order_ops::_to_dim_order_copy.out
void clone_dim_order_out(KernelContext& ctx, Span<EValue*> args);  ///< dim_order_ops::_clone_dim_order.out
/// aten::copy_ (in place; args [self, src, non_blocking, self]): src broadcasts
/// to self, cast to self's dtype.
void copy_(KernelContext& ctx, Span<EValue*> args);

// op_index.cpp: any dtype of op_copy's list; int64/int32 indices or bool masks.
/// aten::index_put.out: out = self with out[indices] = values (or += with accumulate).
void index_put_out(KernelContext& ctx, Span<EValue*> args);

// ---- unary: unary math and activations (op_unary.cpp, op_activation.cpp)
// Dtype groups: "floats" = float32, float64, float16, bfloat16 (16-bit ones
// computed in float); "integers" = int64, int32, int16, int8, uint8.
// op_unary.cpp, float results: floats keep their dtype; integers and bool give float32.
void exp_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::exp.out
void expm1_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::expm1.out
void log_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::log.out
void log1p_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::log1p.out
void log2_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::log2.out
void sqrt_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::sqrt.out
void rsqrt_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::rsqrt.out
void reciprocal_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::reciprocal.out
void sin_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::sin.out
void cos_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::cos.out
void tan_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::tan.out
void atan_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::atan.out
void asin_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::asin.out
void acos_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::acos.out
void sinh_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::sinh.out
void cosh_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::cosh.out
void erf_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::erf.out
// op_unary.cpp, out has self's dtype: floats and integers (integers wrap, and
// are their own floor, ceil, trunc and round).
void neg_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::neg.out
void abs_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::abs.out
void floor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::floor.out
void ceil_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::ceil.out
void trunc_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::trunc.out
void round_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::round.out (half to even)
/// aten::round.decimals_out: floats.
void round_decimals_out(KernelContext& ctx, Span<EValue*> args);
void sign_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::sign.out: also bool
/// aten::bitwise_not.out: integers and bool.
void bitwise_not_out(KernelContext& ctx, Span<EValue*> args);
// op_unary.cpp, bool results: every dtype.
void isnan_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::isnan.out
void isinf_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::isinf.out
void logical_not_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::logical_not.out
// op_activation.cpp
void relu_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::relu.out: floats, integers
void hardtanh_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::hardtanh.out: as relu
void sigmoid_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::sigmoid.out: as exp
void tanh_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::tanh.out: as exp
void gelu_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::gelu.out: floats
void leaky_relu_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::leaky_relu.out: floats
void elu_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::elu.out: floats
/// aten::clamp.out: every dtype; integers or bool with a float bound give
/// float32, bool with int bounds int64; a bound must fit the result dtype.
void clamp_out(KernelContext& ctx, Span<EValue*> args);
/// aten::clamp.Tensor_out: every dtype; self, min and max broadcast and
/// promote as in torch (bool results are not supported).
void clamp_tensor_out(KernelContext& ctx, Span<EValue*> args);
// ---- end unary

// ---- binary: binary arithmetic, comparisons, logical and bitwise ops (op_elementwise.cpp)
// Operands broadcast (NumPy) and promote as torch.result_type over bool, uint8,
// int8, int16, int32, int64, float16, bfloat16, float32, float64; out must have
// the promoted dtype (bool for comparisons and logical ops).
// op_elementwise.cpp
void add_scalar_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::add.Scalar_out
void sub_scalar_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::sub.Scalar_out
void mul_scalar_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::mul.Scalar_out
void div_scalar_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::div.Scalar_out
void div_scalar_mode_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::div.Scalar_mode_out
void pow_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::pow.Tensor_Tensor_out
void pow_tensor_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::pow.Tensor_Scalar_out
void pow_scalar_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::pow.Scalar_out
void remainder_tensor_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::remainder.Tensor_out
void remainder_scalar_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::remainder.Scalar_out
/// aten::remainder.Scalar_Tensor_out
void remainder_scalar_tensor_out(KernelContext& ctx, Span<EValue*> args);
void fmod_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::fmod.Tensor_out
void fmod_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::fmod.Scalar_out
void maximum_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::maximum.out (NaN propagates)
void minimum_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::minimum.out (NaN propagates)
void atan2_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::atan2.out
// op_compare.cpp: comparisons and logical ops write bool.
void eq_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::eq.Tensor_out
void eq_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::eq.Scalar_out
void ne_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::ne.Tensor_out
void ne_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::ne.Scalar_out
void lt_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::lt.Tensor_out
void lt_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::lt.Scalar_out
void le_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::le.Tensor_out
void le_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::le.Scalar_out
void gt_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::gt.Tensor_out
void gt_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::gt.Scalar_out
void ge_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::ge.Tensor_out
void ge_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::ge.Scalar_out
void logical_and_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::logical_and.out
void logical_or_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::logical_or.out
void logical_xor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::logical_xor.out
/// aten::bitwise_{and,or,xor}.{Tensor,Scalar}_out: integer and bool operands.
void bitwise_and_tensor_out(KernelContext& ctx, Span<EValue*> args);
void bitwise_and_scalar_out(KernelContext& ctx, Span<EValue*> args);
void bitwise_or_tensor_out(KernelContext& ctx, Span<EValue*> args);
void bitwise_or_scalar_out(KernelContext& ctx, Span<EValue*> args);
void bitwise_xor_tensor_out(KernelContext& ctx, Span<EValue*> args);
void bitwise_xor_scalar_out(KernelContext& ctx, Span<EValue*> args);
/// aten::where.self_out: condition bool or uint8; self and other promote.
void where_self_out(KernelContext& ctx, Span<EValue*> args);
// ---- end binary

// ---- reduction: reductions and normalisations (op_reduce.cpp, op_norm.cpp)
// op_reduce.cpp: any dim order; every dtype (sum, prod, cumsum: integer and
// bool inputs give int64), the result dtype may be set by `dtype`.
void sum_intlist_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::sum.IntList_out
void mean_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::mean.out: floating result
void mean_dtype_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::mean.dtype_out: the same
void prod_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::prod.out
void prod_int_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::prod.int_out
void cumsum_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::cumsum.out
/// aten::var.correction_out: floating dtypes.
void var_correction_out(KernelContext& ctx, Span<EValue*> args);
/// aten::var_mean.correction_out: floating dtypes.
void var_mean_correction_out(KernelContext& ctx, Span<EValue*> args);
/// aten::linalg_vector_norm.out: floating dtypes.
void linalg_vector_norm_out(KernelContext& ctx, Span<EValue*> args);

// op_minmax.cpp: any dim order; every dtype (argmax/argmin: no bool).
void amax_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::amax.out
void amin_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::amin.out
void max_dim_max(KernelContext& ctx, Span<EValue*> args);    ///< aten::max.dim_max
void min_dim_min(KernelContext& ctx, Span<EValue*> args);    ///< aten::min.dim_min
void max_unary_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::max.unary_out
void min_unary_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::min.unary_out
void argmax_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::argmax.out
void argmin_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::argmin.out
void any_all_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::any.all_out
void any_out(KernelContext& ctx, Span<EValue*> args);        ///< aten::any.out
void any_dims_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::any.dims_out

// op_attention.cpp: float32, any dim order.
void sdpa_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::sdpa.out

// op_softmax.cpp: floating dtypes, any dim order.
void softmax_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::_softmax.out
void log_softmax_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::_log_softmax.out

// op_norm.cpp: floating dtypes, any dim order.
/// aten::native_layer_norm.out
void native_layer_norm_out(KernelContext& ctx, Span<EValue*> args);
/// aten::native_group_norm.out
void native_group_norm_out(KernelContext& ctx, Span<EValue*> args);
/// aten::_native_batch_norm_legit_no_training.out
void batch_norm_no_training_out(KernelContext& ctx, Span<EValue*> args);
// ---- end reduction

// ---- shape: shape, data movement, creation and resampling (op_shape.cpp, op_create.cpp, op_upsample.cpp)
// op_shape.cpp: any dtype (same in and out).
void slice_copy_tensor_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::slice_copy.Tensor_out
void select_copy_int_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::select_copy.int_out
void alias_copy_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::alias_copy.out
void constant_pad_nd_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::constant_pad_nd.out
void repeat_out(KernelContext& ctx, Span<EValue*> args);             ///< aten::repeat.out
void flip_out(KernelContext& ctx, Span<EValue*> args);               ///< aten::flip.out
// op_create.cpp: the out tensor's dtype, any (arange: not bool).
void full_out(KernelContext& ctx, Span<EValue*> args);               ///< aten::full.out
void full_like_out(KernelContext& ctx, Span<EValue*> args);          ///< aten::full_like.out
void scalar_tensor_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::scalar_tensor.out
void arange_start_out(KernelContext& ctx, Span<EValue*> args);       ///< aten::arange.start_out
// op_upsample.cpp: float32, float16, bfloat16; [N, C, H, W] in any dim order.
void upsample_nearest2d_vec_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::upsample_nearest2d.vec_out
void upsample_bilinear2d_vec_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::upsample_bilinear2d.vec_out
// ---- end shape

// ---- indexing: indexing, gather/scatter, embedding (op_index.cpp)
// op_index.cpp: any dtype of op_copy's list; int64/int32 indices or bool/uint8 masks.
void index_tensor_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::index.Tensor_out
// op_gather.cpp: any dtype of op_copy's list; int64/int32 indices in [0, size).
void index_select_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::index_select.out
void embedding_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::embedding.out
void gather_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::gather.out
void scatter_src_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::scatter.src_out
void scatter_value_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::scatter.value_out
void scatter_add_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::scatter_add.out
/// aten::scatter.reduce_out: reduce "add" or "multiply".
void scatter_reduce_out(KernelContext& ctx, Span<EValue*> args);
/// aten::scatter_reduce.two_out: sum, prod, mean (not bool), amax, amin; include_self.
void scatter_reduce_two_out(KernelContext& ctx, Span<EValue*> args);
// op_sort.cpp: stable, NaN above every number; any dtype of op_copy's list (topk: not bool).
void sort_values_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::sort.values
void sort_values_stable_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::sort.values_stable
void topk_values_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::topk.values
// ---- end indexing

}  // namespace portable
}  // namespace ember
