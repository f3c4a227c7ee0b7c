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

// op_activation.cpp
void relu_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::relu.out: float32, int32, int64
void hardtanh_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::hardtanh.out: float32, int32, int64
void sigmoid_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::sigmoid.out: float32
void tanh_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::tanh.out: float32
void gelu_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::gelu.out: float32
void softmax_out(KernelContext& ctx, Span<EValue*> args);   ///< aten::_softmax.out: float32

// op_batch_norm.cpp
/// aten::_native_batch_norm_legit_no_training.out: float32
void batch_norm_no_training_out(KernelContext& ctx, Span<EValue*> args);

// op_convolution.cpp
void convolution_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::convolution.out: float32

// op_pool.cpp: float32, NCHW or CHW, contiguous.
void max_pool2d_with_indices_out(KernelContext& ctx, Span<EValue*> args);
void avg_pool2d_out(KernelContext& ctx, Span<EValue*> args);
void adaptive_avg_pool2d_out(KernelContext& ctx, Span<EValue*> args);

// op_reduce.cpp
void mean_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::mean.out: float32
void sum_intlist_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::sum.IntList_out

// op_linear.cpp: float32.
void addmm_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::addmm.out
void mm_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::mm.out
void bmm_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::bmm.out

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
// ---- end reduction

// ---- shape: shape, data movement, creation and resampling (op_shape.cpp, op_create.cpp, op_upsample.cpp)
// ---- end shape

// ---- indexing: indexing, gather/scatter, embedding (op_index.cpp)
// ---- end indexing

}  // namespace portable
}  // namespace ember
