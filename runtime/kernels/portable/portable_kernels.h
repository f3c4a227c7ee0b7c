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

// op_elementwise.cpp: NumPy broadcasting; float32, int32, int64.
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
// ---- end binary

// ---- reduction: reductions and normalisations (op_reduce.cpp, op_norm.cpp)
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
// ---- end indexing

}  // namespace portable
}  // namespace ember
