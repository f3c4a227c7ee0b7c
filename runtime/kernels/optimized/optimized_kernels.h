// Declarations of the optimized kernels, for the registration table in
// register.cpp. Each has the calling convention of runtime/kernel/kernel.h
// and the operator's portable kernel as its reference: it takes the cases on
// its fast path (float32, the contiguous dim order, the layouts named) and
// hands every other call, unchanged, to the portable kernel, which also
// reports the errors.
#pragma once

#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/kernel/kernel.h"

namespace ember {
namespace optimized {

// op_activation.cpp: float32 in and out, the same dim order.
void gelu_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::gelu.out (erf and tanh)
void sigmoid_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::sigmoid.out
void silu_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::silu.out
void hardswish_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::hardswish.out
void tanh_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::tanh.out
void exp_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::exp.out
void relu_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::relu.out
void hardtanh_out(KernelContext& ctx, Span<EValue*> args); ///< aten::hardtanh.out
void clamp_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::clamp.out (Scalar bounds)

// op_binary.cpp: float32, contiguous, NumPy broadcasting (each row of the
// merged broadcast walks its operands with step 0 or 1).
void add_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::add.out
void sub_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::sub.out
void mul_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::mul.out
void div_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::div.out
// ... and with a Scalar other (float32 self and out).
void add_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::add.Scalar_out
void sub_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::sub.Scalar_out
void mul_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::mul.Scalar_out
void div_scalar_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::div.Scalar_out

// op_convolution.cpp: float32 NCHW / NCL as the portable kernel checks them;
// depthwise, one-position 1x1 and GEMM convolutions here, transposed ones by
// the portable computation.
void convolution_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::convolution.out
/// ember::convolution_clamp.out: the same, clamped as each result is stored.
void convolution_clamp_out(KernelContext& ctx, Span<EValue*> args);
// op_convolution_nhwc.cpp: float32 channels-last, as the portable kernel
// checks it; depthwise direct, the rest on the GEMM with out's pixel rows as C.
void convolution_nhwc_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::convolution_nhwc.out

// op_pool.cpp: float32 NCHW, as the portable kernel checks it.
void max_pool2d_with_indices_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::max_pool2d_with_indices.out
void quantized_max_pool2d_nhwc_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::quantized_max_pool2d_nhwc.out
void max_pool2d_nhwc_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::max_pool2d_nhwc.out
void quantized_lut_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::quantized_lut.out

// op_permute.cpp: 1-, 2- and 4-byte elements, contiguous, up to 6 dims
// after merging size-1 and adjacent dims.
void permute_copy_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::permute_copy.out

// op_softmax.cpp: float32, contiguous, along the last dim.
void softmax_out(KernelContext& ctx, Span<EValue*> args);      ///< aten::_softmax.out
void log_softmax_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::_log_softmax.out

// op_reduce.cpp: float32, contiguous, over the trailing dims.
void sum_intlist_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::sum.IntList_out
void mean_out(KernelContext& ctx, Span<EValue*> args);         ///< aten::mean.out

// op_norm.cpp: float32, contiguous input, weight and bias.
void native_layer_norm_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::native_layer_norm.out
void rms_norm_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::rms_norm.out

// ---- gemm
// op_linear.cpp: float32 operands of any strides on ember_gemm, out contiguous.
void mm_out(KernelContext& ctx, Span<EValue*> args);     ///< aten::mm.out
void addmm_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::addmm.out (bias fused)
void bmm_out(KernelContext& ctx, Span<EValue*> args);    ///< aten::bmm.out
void linear_out(KernelContext& ctx, Span<EValue*> args);  ///< aten::linear.out (bias fused)
/// Load-time packing of a constant weight (KernelPrepareFn; prepack.h's
/// release_prepacked frees it): mm's and addmm's mat2, linear's weight (the
/// GEMM's B), a convolution's weight (its A), a channels-last convolution's
/// weight (per group its B with the taps reordered; depthwise: [taps][C]).
/// Each marks the argument it packed in `packed`.
void* prepare_mm(Span<EValue* const> args, Span<const bool> constant, Span<bool> packed);
void* prepare_addmm(Span<EValue* const> args, Span<const bool> constant, Span<bool> packed);
void* prepare_linear(Span<EValue* const> args, Span<const bool> constant, Span<bool> packed);
void* prepare_convolution(Span<EValue* const> args, Span<const bool> constant,
                          Span<bool> packed);
void* prepare_convolution_nhwc(Span<EValue* const> args, Span<const bool> constant,
                               Span<bool> packed);
// ---- end gemm
// ---- quantized
// op_quantized.cpp: on ember_qgemm (int8 / uint8 activations, int8 weights
// packed at load), requantized or float32 out; add per element.
void quantized_linear_out(KernelContext& ctx, Span<EValue*> args);     ///< ember::quantized_linear.out
void linear_dynamic_int8_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::linear_dynamic_int8.out
void quantized_add_out(KernelContext& ctx, Span<EValue*> args);        ///< ember::quantized_add.out
void quantized_mul_out(KernelContext& ctx, Span<EValue*> args);        ///< ember::quantized_mul.out
void quantized_mean_out(KernelContext& ctx, Span<EValue*> args);       ///< ember::quantized_mean.out
// op_quantized_cat_matmul.cpp: cat as byte copies or 256-entry tables;
// a product of two activations as exact int32 sums.
void quantized_cat_out(KernelContext& ctx, Span<EValue*> args);        ///< ember::quantized_cat.out
void quantized_matmul_out(KernelContext& ctx, Span<EValue*> args);     ///< ember::quantized_matmul.out
// op_quantized_conv.cpp: depthwise direct, the rest im2col (NHWC) + qgemm.
void quantized_convolution_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::quantized_convolution.out
void quantized_convolution_nhwc_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::quantized_convolution_nhwc.out
// op_lowbit.cpp: on ember_lowbit (group-wise int4 / int8 weights).
void linear_lowbit_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::linear_lowbit.out
// op_quantized_embedding.cpp: ExecuTorch's quantized embeddings on
// lowbit::embedding (float32 scales and out; the rest runs the portable kernels).
void embedding_byte_out(KernelContext& ctx, Span<EValue*> args);
void embedding_byte_dtype_out(KernelContext& ctx, Span<EValue*> args);
void embedding_4bit_out(KernelContext& ctx, Span<EValue*> args);
void embedding_4bit_dtype_out(KernelContext& ctx, Span<EValue*> args);
void embedding_2bit_out(KernelContext& ctx, Span<EValue*> args);
void embedding_2bit_dtype_out(KernelContext& ctx, Span<EValue*> args);
/// Load-time packing of the constant weights (prepack.h's release_prepacked
/// frees them): the int8 weight of the linears, each group of a GEMM
/// convolution (taps reordered), a depthwise convolution's weight in the forms
/// its channels-last rows read, lowbit's weight with its scales and zero points.
void* prepare_quantized_linear(Span<EValue* const> args, Span<const bool> constant,
                               Span<bool> packed);
void* prepare_linear_dynamic_int8(Span<EValue* const> args, Span<const bool> constant,
                                  Span<bool> packed);
void* prepare_quantized_convolution(Span<EValue* const> args, Span<const bool> constant,
                                    Span<bool> packed);
void* prepare_linear_lowbit(Span<EValue* const> args, Span<const bool> constant,
                            Span<bool> packed);
// op_quantize.cpp: PT2E's per-tensor quantize (float32 to int8 / uint8) and
// dequantize (back to float32), contiguous; the rest runs the portable kernels.
void quantize_per_tensor_out(KernelContext& ctx, Span<EValue*> args);
void quantize_per_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args);
void dequantize_per_tensor_out(KernelContext& ctx, Span<EValue*> args);
void dequantize_per_tensor_tensor_out(KernelContext& ctx, Span<EValue*> args);
// ---- end quantized
// op_attention.cpp: float32, rows contiguous in the last dim (any strides
// otherwise), tiled flash-style.
void sdpa_out(KernelContext& ctx, Span<EValue*> args);  ///< ember::sdpa.out

}  // namespace optimized
}  // namespace ember
