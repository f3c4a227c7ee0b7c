// register_optimized_kernels(): the optimized kernels over the portable ones.
// Every entry has a uniform float32 key, which the executor prefers to the
// portable catch-all of the same operator; a call with other dtypes resolves
// to the portable kernel at load. Each operator here is also a portable one,
// so its write description (OperatorWrites) is the portable table's.
#include <initializer_list>

#include "runtime/kernel/kernel.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/selective_build.h"

// A selective build keeps only its operators' entries (the `#if` lines;
// runtime/kernels/selective_build.h), so that the linker drops the others.
#define EMBER_SELECTING EMBER_SELECTION_ACTIVE

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
#if !EMBER_SELECTING || EMBER_SELECT_aten__gelu_out
    {"aten::gelu.out", &optimized::gelu_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__sigmoid_out
    {"aten::sigmoid.out", &optimized::sigmoid_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__silu_out
    {"aten::silu.out", &optimized::silu_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__hardswish_out
    {"aten::hardswish.out", &optimized::hardswish_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__tanh_out
    {"aten::tanh.out", &optimized::tanh_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__exp_out
    {"aten::exp.out", &optimized::exp_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__relu_out
    {"aten::relu.out", &optimized::relu_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__hardtanh_out
    {"aten::hardtanh.out", &optimized::hardtanh_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__clamp_out
    {"aten::clamp.out", &optimized::clamp_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__add_out
    {"aten::add.out", &optimized::add_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__sub_out
    {"aten::sub.out", &optimized::sub_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__mul_out
    {"aten::mul.out", &optimized::mul_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__div_out
    {"aten::div.out", &optimized::div_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__add_Scalar_out
    {"aten::add.Scalar_out", &optimized::add_scalar_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__sub_Scalar_out
    {"aten::sub.Scalar_out", &optimized::sub_scalar_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__mul_Scalar_out
    {"aten::mul.Scalar_out", &optimized::mul_scalar_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__div_Scalar_out
    {"aten::div.Scalar_out", &optimized::div_scalar_out, kFloat},
#endif
    // ---- end pointwise
    // ---- copies
#if !EMBER_SELECTING || EMBER_SELECT_aten__permute_copy_out
    {"aten::permute_copy.out", &optimized::permute_copy_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__permute_copy_out
    {"aten::permute_copy.out", &optimized::permute_copy_out, KernelKey::uniform(ScalarType::Half)},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__permute_copy_out
    {"aten::permute_copy.out", &optimized::permute_copy_out,
     KernelKey::uniform(ScalarType::BFloat16)},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__permute_copy_out
    {"aten::permute_copy.out", &optimized::permute_copy_out, KernelKey::uniform(ScalarType::Int)},
#endif
    // int8 / uint8: the layout changes at a quantized CNN's ends (channels-last chains).
#if !EMBER_SELECTING || EMBER_SELECT_aten__permute_copy_out
    {"aten::permute_copy.out", &optimized::permute_copy_out, KernelKey::uniform(ScalarType::Char)},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__permute_copy_out
    {"aten::permute_copy.out", &optimized::permute_copy_out, KernelKey::uniform(ScalarType::Byte)},
#endif
    // ---- end copies
    // ---- rows
#if !EMBER_SELECTING || EMBER_SELECT_aten___softmax_out
    {"aten::_softmax.out", &optimized::softmax_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten___log_softmax_out
    {"aten::_log_softmax.out", &optimized::log_softmax_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__native_layer_norm_out
    {"aten::native_layer_norm.out", &optimized::native_layer_norm_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__rms_norm_out
    {"ember::rms_norm.out", &optimized::rms_norm_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__sum_IntList_out
    {"aten::sum.IntList_out", &optimized::sum_intlist_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__mean_out
    {"aten::mean.out", &optimized::mean_out, kFloat},
#endif
    // ---- end rows
    // ---- convolution
#if !EMBER_SELECTING || EMBER_SELECT_aten__convolution_out
    {"aten::convolution.out", &optimized::convolution_out, kFloat,
     &optimized::prepare_convolution, &optimized::release_prepacked},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__convolution_clamp_out
    {"ember::convolution_clamp.out", &optimized::convolution_clamp_out, kFloat,
     &optimized::prepare_convolution, &optimized::release_prepacked},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__max_pool2d_with_indices_out
    {"aten::max_pool2d_with_indices.out", &optimized::max_pool2d_with_indices_out,
     kMaxPoolFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__convolution_nhwc_out
    {"ember::convolution_nhwc.out", &optimized::convolution_nhwc_out, kFloat,
     &optimized::prepare_convolution_nhwc, &optimized::release_prepacked},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__max_pool2d_nhwc_out
    {"ember::max_pool2d_nhwc.out", &optimized::max_pool2d_nhwc_out, kFloat},
#endif
    // ---- end convolution
    // ---- gemm
#if !EMBER_SELECTING || EMBER_SELECT_aten__mm_out
    {"aten::mm.out", &optimized::mm_out, kFloat, &optimized::prepare_mm,
     &optimized::release_prepacked},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__addmm_out
    {"aten::addmm.out", &optimized::addmm_out, kFloat, &optimized::prepare_addmm,
     &optimized::release_prepacked},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__bmm_out
    {"aten::bmm.out", &optimized::bmm_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_aten__linear_out
    {"aten::linear.out", &optimized::linear_out, kFloat, &optimized::prepare_linear,
     &optimized::release_prepacked},
#endif
    // ---- end gemm
    // ---- attention
#if !EMBER_SELECTING || EMBER_SELECT_ember__sdpa_out
    {"ember::sdpa.out", &optimized::sdpa_out, kFloat},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__sdpa_out
    {"ember::sdpa.out", &optimized::sdpa_out, kSdpaBoolMask},
#endif
    // ---- end attention
    {nullptr, nullptr, KernelKey{}},  // end (not registered): a selection may keep none
};

// ---- quantized
// Their calls mix dtypes (int8 weights, float32 scales and bias), so every
// combination gets an exact key: the tensors in schema order, an absent
// optional tensor taking no place, out twice (argument and result).
constexpr ScalarType kI8 = ScalarType::Char, kU8 = ScalarType::Byte;
constexpr size_t kMaxQuantizedKernels = 128;

KernelKey exact_key(std::initializer_list<ScalarType> dtypes) {
  KernelKey key;
  for (ScalarType t : dtypes) key.dtypes[key.num_dtypes++] = t;
  return key;
}

/// The quantized kernels' entries into `table`; returns how many.
size_t quantized_kernels([[maybe_unused]] Kernel* table) {
  size_t n = 0;
  for (ScalarType x : {kI8, kU8}) {
    for (ScalarType y : {kI8, kU8}) {
      // quantized_linear / quantized_convolution: input, weight, scales, [bias], out, result.
      for ([[maybe_unused]] const KernelKey& key :
           {exact_key({x, kI8, kF, y, y}), exact_key({x, kI8, kF, kF, y, y})}) {
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_linear_out
        table[n++] = {"ember::quantized_linear.out", &optimized::quantized_linear_out, key,
                      &optimized::prepare_quantized_linear, &optimized::release_prepacked};
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_convolution_out
        table[n++] = {"ember::quantized_convolution.out", &optimized::quantized_convolution_out,
                      key, &optimized::prepare_quantized_convolution,
                      &optimized::release_prepacked};
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_convolution_nhwc_out
        table[n++] = {"ember::quantized_convolution_nhwc.out",
                      &optimized::quantized_convolution_nhwc_out, key,
                      &optimized::prepare_quantized_convolution, &optimized::release_prepacked};
#endif
      }
    }
    // quantized_add: self, other, out and result of one dtype.
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_add_out
    table[n++] = {"ember::quantized_add.out", &optimized::quantized_add_out, KernelKey::uniform(x)};
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_mul_out
    table[n++] = {"ember::quantized_mul.out", &optimized::quantized_mul_out, KernelKey::uniform(x)};
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_mean_out
    table[n++] = {"ember::quantized_mean.out", &optimized::quantized_mean_out,
                  KernelKey::uniform(x)};
#endif
    // quantized_cat: the tensors, out and result of one dtype; quantized_matmul:
    // self, other, out and result.
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_cat_out
    table[n++] = {"ember::quantized_cat.out", &optimized::quantized_cat_out, KernelKey::uniform(x)};
#endif
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_matmul_out
    table[n++] = {"ember::quantized_matmul.out", &optimized::quantized_matmul_out,
                  KernelKey::uniform(x)};
#endif
    // quantized_lut: self, table, out, result (out and result the table's dtype).
    for ([[maybe_unused]] ScalarType t : {kI8, kU8}) {
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_lut_out
      table[n++] = {"ember::quantized_lut.out", &optimized::quantized_lut_out,
                    exact_key({x, t, t, t})};
#endif
    }
    // quantized_max_pool2d_nhwc: self, out and result of one dtype.
#if !EMBER_SELECTING || EMBER_SELECT_ember__quantized_max_pool2d_nhwc_out
    table[n++] = {"ember::quantized_max_pool2d_nhwc.out", &optimized::quantized_max_pool2d_nhwc_out,
                  KernelKey::uniform(x)};
#endif
    // PT2E's per-tensor quantize and dequantize (op_quantize.cpp): input, out, result;
    // the .tensor overloads with their scale (float32 or float64) and int64 zero point.
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__quantize_per_tensor_out
    table[n++] = {"quantized_decomposed::quantize_per_tensor.out",
                  &optimized::quantize_per_tensor_out, exact_key({kF, x, x})};
#endif
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__dequantize_per_tensor_out
    table[n++] = {"quantized_decomposed::dequantize_per_tensor.out",
                  &optimized::dequantize_per_tensor_out, exact_key({x, kF, kF})};
#endif
    for ([[maybe_unused]] ScalarType s : {kF, ScalarType::Double}) {
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__quantize_per_tensor_Tensor_out
      table[n++] = {"quantized_decomposed::quantize_per_tensor.Tensor_out",
                    &optimized::quantize_per_tensor_tensor_out,
                    exact_key({kF, s, ScalarType::Long, x, x})};
#endif
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__dequantize_per_tensor_Tensor_out
      table[n++] = {"quantized_decomposed::dequantize_per_tensor.Tensor_out",
                    &optimized::dequantize_per_tensor_tensor_out,
                    exact_key({x, s, ScalarType::Long, kF, kF})};
#endif
    }
  }
  // linear_dynamic_int8: input, weight, scales, [bias], out, result.
  for ([[maybe_unused]] const KernelKey& key :
       {exact_key({kF, kI8, kF, kF, kF}), exact_key({kF, kI8, kF, kF, kF, kF})}) {
#if !EMBER_SELECTING || EMBER_SELECT_ember__linear_dynamic_int8_out
    table[n++] = {"ember::linear_dynamic_int8.out", &optimized::linear_dynamic_int8_out, key,
                  &optimized::prepare_linear_dynamic_int8, &optimized::release_prepacked};
#endif
  }
  // linear_lowbit: input, weight (uint8 4-bit, int8 8-bit), scales (float32, float16 or
  // bfloat16), [zero points], [bias], out, result.
  for (ScalarType w : {kU8, kI8}) {
    for (ScalarType s : {kF, ScalarType::Half, ScalarType::BFloat16}) {
      for ([[maybe_unused]] const KernelKey& key :
           {exact_key({kF, w, s, kF, kF}), exact_key({kF, w, s, kI8, kF, kF}),
            exact_key({kF, w, s, kF, kF, kF}), exact_key({kF, w, s, kI8, kF, kF, kF})}) {
#if !EMBER_SELECTING || EMBER_SELECT_ember__linear_lowbit_out
        table[n++] = {"ember::linear_lowbit.out", &optimized::linear_lowbit_out, key,
                      &optimized::prepare_linear_lowbit, &optimized::release_prepacked};
#endif
      }
    }
  }
  return n;
}

// ExecuTorch's quantized embeddings: weight, scales, [zero points], indices,
// out, result (float32 scales, zero points and out; int64 or int32 indices).
constexpr size_t kMaxEmbeddingKernels = 32;
size_t quantized_embedding_kernels(Kernel* table) {
  struct Op {
    const char* name;
    KernelFn fn;
    bool packed;  ///< 4-bit / 2-bit: uint8 only
  };
  const Op ops[] = {
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__embedding_byte_out
      {"quantized_decomposed::embedding_byte.out", &optimized::embedding_byte_out, false},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__embedding_byte_dtype_out
      {"quantized_decomposed::embedding_byte.dtype_out", &optimized::embedding_byte_dtype_out,
       false},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__embedding_4bit_out
      {"quantized_decomposed::embedding_4bit.out", &optimized::embedding_4bit_out, true},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__embedding_4bit_dtype_out
      {"quantized_decomposed::embedding_4bit.dtype_out", &optimized::embedding_4bit_dtype_out,
       true},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__embedding_2bit_out
      {"quantized_decomposed::embedding_2bit.out", &optimized::embedding_2bit_out, true},
#endif
#if !EMBER_SELECTING || EMBER_SELECT_quantized_decomposed__embedding_2bit_dtype_out
      {"quantized_decomposed::embedding_2bit.dtype_out", &optimized::embedding_2bit_dtype_out,
       true},
#endif
      {nullptr, nullptr, false},  // end: a selection may keep none
  };
  size_t n = 0;
  for (const Op& op : ops) {
    if (op.name == nullptr) break;
    for (ScalarType w : {kU8, kI8}) {
      if (op.packed && w != kU8) continue;
      for (ScalarType i : {ScalarType::Long, ScalarType::Int}) {
        table[n++] = {op.name, op.fn, exact_key({w, kF, i, kF, kF})};
        table[n++] = {op.name, op.fn, exact_key({w, kF, kF, i, kF, kF})};
      }
    }
  }
  return n;
}
// ---- end quantized

bool g_registered = false;

}  // namespace

Error register_optimized_kernels() {
  if (g_registered) return Error::Ok;
  EMBER_TRY(register_portable_kernels());
  EMBER_TRY(register_kernels(table_entries(kOptimizedKernels)));
  Kernel quantized[kMaxQuantizedKernels];
  EMBER_TRY(register_kernels(Span<const Kernel>(quantized, quantized_kernels(quantized))));
  Kernel embeddings[kMaxEmbeddingKernels];
  EMBER_TRY(register_kernels(
      Span<const Kernel>(embeddings, quantized_embedding_kernels(embeddings))));
  g_registered = true;
  return Error::Ok;
}

}  // namespace ember
