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
// ---- end shape

// ---- indexing: indexing, gather/scatter, embedding (op_index.cpp)
// ---- end indexing

}  // namespace portable
}  // namespace ember
