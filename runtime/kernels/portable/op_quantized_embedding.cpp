// Reference kernels of ExecuTorch's quantized embeddings,
// quantized_decomposed::embedding_byte / embedding_4bit / embedding_2bit and
// their .dtype forms (ET's kernels/quantized/quantized.yaml names and
// arguments). They compute what ET's Python reference computes
// (executorch/exir/passes/_quant_patterns_and_replacements.py: unpack, then
// dequantize_per_channel_group, then aten.embedding), for the looked-up rows
// only:
//
//   out[..., p] = ((w[r, p] - zp[r, p / G]) * scale[r, p / G]) as dtype,  r = indices[...]
//
// in the scales' precision (a float16 scale rounds the difference and the
// product to float16, as torch does), zp 0 when absent, G = D / (the scales'
// columns). With integer zero points (all torchao makes) this is bit for bit
// torchao's dequantize_affine followed by aten.embedding as well. Packed
// tables are ET's: 4-bit element 2i in the HIGH nibble of byte i, 2i + 1 in
// the low one, each stored as value + 8; 2-bit element 4i + j in bits
// 2j..2j+1 of byte i, stored as value + 2. weight_quant_min/max only
// describe the table (ET's kernels do not clamp either). An index outside
// [0, V) fails the call before anything is written.
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// A checked call: the tensors, the table's sizes and the output dtype.
struct EmbeddingCall {
  const Tensor* weight = nullptr;
  const Tensor* scales = nullptr;
  const Tensor* zero_points = nullptr;  ///< nullptr: zero points 0
  const Tensor* indices = nullptr;
  Tensor* out = nullptr;
  int bits = 8;
  int64_t vocab = 0, dim = 0, groups = 1, group_size = 0;
};

/// The stored value of element p of table row `row` (a row of the weight).
inline int32_t table_value(const uint8_t* row, int bits, bool is_signed, int64_t p) {
  switch (bits) {
    case 4: {
      const uint8_t byte = row[p >> 1];
      return static_cast<int32_t>((p & 1) ? (byte & 0x0F) : (byte >> 4)) - 8;
    }
    case 2:
      return static_cast<int32_t>((row[p >> 2] >> (2 * (p & 3))) & 0x3) - 2;
    default:
      return is_signed ? static_cast<int32_t>(static_cast<int8_t>(row[p]))
                       : static_cast<int32_t>(row[p]);
  }
}

/// Reads and checks the arguments (weight, weight_scales, weight_zero_points,
/// weight_quant_min, weight_quant_max, indices, [dtype,] out) and resizes
/// out to indices' sizes + [D]; false after failing the call.
bool read_call(KernelContext& ctx, Span<EValue*> args, const char* op, int bits, bool has_dtype,
               EmbeddingCall* c) {
  ArgReader r(ctx, args, op, has_dtype ? 9 : 8);
  c->bits = bits;
  c->weight = r.tensor(0, "weight");
  c->scales = r.tensor(1, "weight_scales");
  c->zero_points = r.optional_tensor(2, "weight_zero_points");
  const int64_t qmin = r.integer(3, "weight_quant_min");
  const int64_t qmax = r.integer(4, "weight_quant_max");
  c->indices = r.tensor(5, "indices");
  int64_t dtype_code = -1;
  if (has_dtype) r.optional_integer(6, "dtype", &dtype_code);
  c->out = r.tensor(has_dtype ? 7 : 6, "out");
  if (!r.ok()) return false;
  const Tensor& w = *c->weight;
  const Tensor& s = *c->scales;
  const ScalarType wt = w.dtype();
  if (bits == 8 ? (wt != ScalarType::Char && wt != ScalarType::Byte) : wt != ScalarType::Byte) {
    return reject_dtype(ctx, op, "weight", wt);
  }
  if (w.dim() != 2) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "weight must be 2-d, got sizes %s",
                       sizes_text(w.sizes()).text);
  }
  c->vocab = w.size(0);
  c->dim = w.size(1) * (8 / bits);
  if (bits != 8 && (qmin != (bits == 4 ? -8 : -2) || qmax != (bits == 4 ? 7 : 1))) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "weight range [%lld, %lld] is not the %d-bit table's [%d, %d]",
                       static_cast<long long>(qmin), static_cast<long long>(qmax), bits,
                       bits == 4 ? -8 : -2, bits == 4 ? 7 : 1);
  }
  const ScalarType st = s.dtype();
  if (st != ScalarType::Float && st != ScalarType::Half && st != ScalarType::BFloat16) {
    return reject_dtype(ctx, op, "weight_scales", st);
  }
  if (s.dim() < 1 || s.dim() > 2 || s.size(0) != c->vocab) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "weight_scales must be [%lld] or [%lld, D / G], got sizes %s",
                       static_cast<long long>(c->vocab), static_cast<long long>(c->vocab),
                       sizes_text(s.sizes()).text);
  }
  c->groups = s.dim() == 2 ? s.size(1) : 1;
  if (c->groups < 1 || c->dim % c->groups != 0) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "%lld scale groups per row do not divide the embedding dim %lld",
                       static_cast<long long>(c->groups), static_cast<long long>(c->dim));
  }
  c->group_size = c->dim / c->groups;
  const Tensor* z = c->zero_points;
  if (z != nullptr && (z->dtype() != st || z->dim() != s.dim() || z->numel() != s.numel() ||
                       z->size(0) != s.size(0))) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "weight_zero_points must be like weight_scales (%s %s), got %s %s",
                       scalar_type_name(st), sizes_text(s.sizes()).text,
                       scalar_type_name(z->dtype()), sizes_text(z->sizes()).text);
  }
  const ScalarType it = c->indices->dtype();
  if (it != ScalarType::Long && it != ScalarType::Int) return reject_dtype(ctx, op, "indices", it);
  const ScalarType out_dtype = dtype_code >= 0 ? static_cast<ScalarType>(dtype_code) : st;
  if (out_dtype != ScalarType::Float && out_dtype != ScalarType::Half &&
      out_dtype != ScalarType::BFloat16) {
    return reject_dtype(ctx, op, "dtype", out_dtype);
  }
  if (!check_dtype(ctx, op, "out", *c->out, out_dtype)) return false;
  if (!check_contiguous(ctx, op, "weight", w) || !check_contiguous(ctx, op, "weight_scales", s) ||
      (z != nullptr && !check_contiguous(ctx, op, "weight_zero_points", *z)) ||
      !check_contiguous(ctx, op, "indices", *c->indices)) {
    return false;
  }
  const int k = c->indices->dim();
  if (k + 1 > kMaxRank) {
    return kernel_fail(ctx, Error::NotSupported, op,
                       "indices of rank %d leave no room for the embedding dim", k);
  }
  // Every index before anything is written: a bad one never reads past the table.
  for (int64_t t = 0; t < c->indices->numel(); ++t) {
    const int64_t i = it == ScalarType::Long ? c->indices->data_as<const int64_t>()[t]
                                             : c->indices->data_as<const int32_t>()[t];
    if (i < 0 || i >= c->vocab) {
      return kernel_fail(ctx, Error::InvalidArgument, op,
                         "indices[%lld] = %lld is outside the table's [0, %lld)",
                         static_cast<long long>(t), static_cast<long long>(i),
                         static_cast<long long>(c->vocab));
    }
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*c->indices, sizes);
  sizes[k] = c->dim;
  return resize_out(ctx, op, "out", *c->out, sizes, k + 1) &&
         check_contiguous(ctx, op, "out", *c->out);
}

/// The rows, with S the scales' type and O the output's: torch's
/// w.sub(zp).mul(scale) in S (each step rounded to S), then .to(O).
template <typename S, typename O>
void gather_rows(const EmbeddingCall& c) {
  const uint8_t* table = static_cast<const uint8_t*>(c.weight->data());
  const int64_t row_bytes = c.weight->size(1);
  const bool is_signed = c.weight->dtype() == ScalarType::Char;
  const S* scales = c.scales->data_as<const S>();
  const S* zps = c.zero_points != nullptr ? c.zero_points->data_as<const S>() : nullptr;
  const bool long_idx = c.indices->dtype() == ScalarType::Long;
  O* out = c.out->data_as<O>();
  for (int64_t t = 0; t < c.indices->numel(); ++t) {
    const int64_t r = long_idx ? c.indices->data_as<const int64_t>()[t]
                               : c.indices->data_as<const int32_t>()[t];
    const uint8_t* row = table + r * row_bytes;
    O* dst = out + t * c.dim;
    for (int64_t p = 0; p < c.dim; ++p) {
      const int64_t g = r * c.groups + p / c.group_size;
      const float q = static_cast<float>(table_value(row, c.bits, is_signed, p));
      const float diff = zps != nullptr ? static_cast<float>(S(q - static_cast<float>(zps[g]))) : q;
      dst[p] = O(static_cast<float>(S(diff * static_cast<float>(scales[g]))));
    }
  }
}

void run(KernelContext& ctx, Span<EValue*> args, const char* op, int bits, bool has_dtype) {
  EmbeddingCall c;
  if (!read_call(ctx, args, op, bits, has_dtype, &c)) return;
  EMBER_SWITCH_FLOAT_HALF(c.scales->dtype(), return, {
    using S = CTYPE;
    EMBER_SWITCH_FLOAT_HALF(c.out->dtype(), return, { gather_rows<S, CTYPE>(c); });
  });
}

}  // namespace

void embedding_byte_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_byte.out", 8, false);
}
void embedding_byte_dtype_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_byte.dtype_out", 8, true);
}
void embedding_4bit_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_4bit.out", 4, false);
}
void embedding_4bit_dtype_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_4bit.dtype_out", 4, true);
}
void embedding_2bit_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_2bit.out", 2, false);
}
void embedding_2bit_dtype_out(KernelContext& ctx, Span<EValue*> args) {
  run(ctx, args, "quantized_decomposed::embedding_2bit.dtype_out", 2, true);
}

}  // namespace portable
}  // namespace ember
