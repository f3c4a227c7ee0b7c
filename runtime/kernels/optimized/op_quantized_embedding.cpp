// quantized_decomposed::embedding_byte / 4bit / 2bit (.out and .dtype_out)
// on lowbit::embedding (lowbit/embedding.cpp): ET's table as stored, only
// the looked-up rows dequantized, 8 values per AVX2 step. The fast path
// takes float32 scales (and zero points) [V] or [V, D / G], float32 out,
// contiguous tensors, int64 or int32 indices all inside [0, V), and group
// sizes that start each group on a byte. Everything else, including a bad
// index (so that the error is reported once, by the reference), runs the
// portable kernel, which gives the same bits on the fast path's calls.
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/optimized/lowbit/lowbit.h"
#include "runtime/kernels/optimized/op_quantized.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

using PortableKernel = void (*)(KernelContext&, Span<EValue*>);

/// The table of the call's (weight, scales, zero points) in lowbit's terms,
/// or false when it is off the fast path.
bool describe(const Tensor* weight, const Tensor* scales, const Tensor* zps, int bits,
              lowbit::EmbeddingDesc* t) {
  if (weight == nullptr || scales == nullptr || weight->dim() != 2 ||
      !weight->is_contiguous_order() || scales->dtype() != ScalarType::Float ||
      (scales->dim() != 1 && scales->dim() != 2) || !scales->is_contiguous_order() ||
      scales->size(0) != weight->size(0)) {
    return false;
  }
  if (zps != nullptr && (zps->dtype() != ScalarType::Float || zps->dim() != scales->dim() ||
                         zps->numel() != scales->numel() || !zps->is_contiguous_order())) {
    return false;
  }
  switch (bits) {
    case 4:
      if (weight->dtype() != ScalarType::Byte) return false;
      t->format = lowbit::EmbeddingFormat::et_4bit;
      break;
    case 2:
      if (weight->dtype() != ScalarType::Byte) return false;
      t->format = lowbit::EmbeddingFormat::et_2bit;
      break;
    default:
      if (weight->dtype() != ScalarType::Char && weight->dtype() != ScalarType::Byte) return false;
      t->format = weight->dtype() == ScalarType::Char ? lowbit::EmbeddingFormat::et_int8
                                                      : lowbit::EmbeddingFormat::et_uint8;
  }
  const int64_t per_byte = 8 / bits, groups = scales->dim() == 2 ? scales->size(1) : 1;
  t->vocab = weight->size(0);
  t->dim = weight->size(1) * per_byte;
  if (t->vocab < 1 || t->dim < 1 || groups < 1 || t->dim % groups != 0) return false;
  t->group_size = t->dim / groups;
  if (t->group_size % per_byte != 0) return false;  // a group starting mid-byte
  t->data = static_cast<const uint8_t*>(weight->data());
  t->scales = scales->data_as<const float>();
  t->zero_points = zps != nullptr ? zps->data_as<const float>() : nullptr;
  return true;
}

/// Every index inside [0, vocab).
template <typename Index>
bool indices_valid(const Index* idx, int64_t count, int64_t vocab) {
  for (int64_t i = 0; i < count; ++i) {
    if (idx[i] < 0 || static_cast<int64_t>(idx[i]) >= vocab) return false;
  }
  return true;
}

void run(KernelContext& ctx, Span<EValue*> args, const char* op, int bits, bool has_dtype,
         PortableKernel reference) {
  // (weight, weight_scales, weight_zero_points, weight_quant_min,
  //  weight_quant_max, indices, [dtype,] out) -> out
  quant::Peek p(args, has_dtype ? 9 : 8);
  const Tensor* weight = p.tensor(0);
  const Tensor* scales = p.tensor(1);
  const Tensor* zps = p.optional_tensor(2);
  const int64_t qmin = p.integer(3), qmax = p.integer(4);
  const Tensor* indices = p.tensor(5);
  const size_t out_at = has_dtype ? 7 : 6;
  Tensor* out = p.tensor(out_at);
  // dtype None or float32 (the scales' dtype here).
  const bool dtype_ok =
      !has_dtype || (p.ok() && (args[6]->is_none() ||
                                (args[6]->is_int() &&
                                 args[6]->to_int() == static_cast<int64_t>(ScalarType::Float))));
  lowbit::EmbeddingDesc t;
  const bool range_ok =
      bits == 8 || (bits == 4 ? qmin == -8 && qmax == 7 : qmin == -2 && qmax == 1);
  bool fast = p.ok() && dtype_ok && range_ok && describe(weight, scales, zps, bits, &t) &&
              out->dtype() == ScalarType::Float &&
              (indices->dtype() == ScalarType::Long || indices->dtype() == ScalarType::Int) &&
              indices->is_contiguous_order() && indices->dim() + 1 <= kMaxRank;
  const int64_t count = fast ? indices->numel() : 0;
  if (fast) {
    fast = indices->dtype() == ScalarType::Long
               ? indices_valid(indices->data_as<const int64_t>(), count, t.vocab)
               : indices_valid(indices->data_as<const int32_t>(), count, t.vocab);
  }
  if (!fast) {
    reference(ctx, args);
    return;
  }
  int64_t sizes[kMaxRank];
  const int k = indices->dim();
  for (int d = 0; d < k; ++d) sizes[d] = indices->size(d);
  sizes[k] = t.dim;
  if (!resize_out(ctx, op, "out", *out, sizes, k + 1)) return;
  if (!out->is_contiguous_order()) {
    reference(ctx, args);
    return;
  }
  const Error e = indices->dtype() == ScalarType::Long
                      ? lowbit::embedding(t, indices->data_as<const int64_t>(), count,
                                          out->data_as<float>())
                      : lowbit::embedding(t, indices->data_as<const int32_t>(), count,
                                          out->data_as<float>());
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, op, "lowbit::embedding failed (%s)",
                     error_name(e));
}

}  // namespace

void embedding_byte_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_byte.out", 8, false,
      &portable::embedding_byte_out);
}
void embedding_byte_dtype_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_byte.dtype_out", 8, true,
      &portable::embedding_byte_dtype_out);
}
void embedding_4bit_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_4bit.out", 4, false,
      &portable::embedding_4bit_out);
}
void embedding_4bit_dtype_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_4bit.dtype_out", 4, true,
      &portable::embedding_4bit_dtype_out);
}
void embedding_2bit_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_2bit.out", 2, false,
      &portable::embedding_2bit_out);
}
void embedding_2bit_dtype_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_2bit.dtype_out", 2, true,
      &portable::embedding_2bit_dtype_out);
}

}  // namespace optimized
}  // namespace ember
