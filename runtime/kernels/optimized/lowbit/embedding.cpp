// Quantized embedding lookups with ExecuTorch's semantics
// (quantized_decomposed::embedding_4bit.dtype_out and embedding_byte, see
// executorch/exir/passes/_quant_patterns_and_replacements.py): the row's
// stored values w become (w - zp) * scale per group, zp a float of the
// scales' dtype (0 when absent). ET's 4-bit table is nibble-packed with the
// even element in the HIGH nibble (weight.div(16)) and the odd one in the
// low nibble (weight.remainder(16)), both offset by 8 (.add(-8)).
// A lookup is a copy of one row, so it runs on the calling thread.
#include <cmath>

#include "runtime/kernels/optimized/lowbit/lowbit.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace lowbit {
namespace {

Error check_table(const EmbeddingDesc& t) {
  const char* fn = "lowbit::embedding";
  if (t.vocab <= 0 || t.dim <= 0 || t.group_size <= 0 || t.dim % t.group_size != 0) {
    EMBER_LOG(Error, "%s: bad sizes vocab=%lld dim=%lld group_size=%lld (must divide dim)", fn,
              (long long)t.vocab, (long long)t.dim, (long long)t.group_size);
    return Error::InvalidArgument;
  }
  if (t.format == EmbeddingFormat::et_4bit && (t.group_size % 2 != 0 || t.dim % 2 != 0)) {
    EMBER_LOG(Error, "%s: 4-bit table with odd dim %lld or group_size %lld", fn, (long long)t.dim,
              (long long)t.group_size);
    return Error::InvalidArgument;
  }
  if (t.format != EmbeddingFormat::et_4bit && t.format != EmbeddingFormat::et_int8 &&
      t.format != EmbeddingFormat::et_uint8) {
    EMBER_LOG(Error, "%s: unknown table format %d", fn, (int)t.format);
    return Error::InvalidArgument;
  }
  if (t.data == nullptr || t.scales == nullptr) {
    EMBER_LOG(Error, "%s: null table data or scales", fn);
    return Error::InvalidArgument;
  }
  return Error::Ok;
}

/// One row: out[p] = (w[p] - zp[g]) * scale[g].
void dequantize_row(const EmbeddingDesc& t, int64_t r, float* out) {
  const int64_t groups = t.dim / t.group_size;
  const float* scales = t.scales + r * groups;
  const float* zps = t.zero_points != nullptr ? t.zero_points + r * groups : nullptr;
  for (int64_t gi = 0; gi < groups; ++gi) {
    const float s = scales[gi];
    const float z = zps != nullptr ? zps[gi] : 0.0f;
    const int64_t p0 = gi * t.group_size;
    switch (t.format) {
      case EmbeddingFormat::et_4bit: {
        const uint8_t* row = t.data + r * (t.dim / 2);
        for (int64_t p = p0; p < p0 + t.group_size; p += 2) {
          const uint8_t byte = row[p / 2];
          out[p] = ((float)((int)(byte >> 4) - 8) - z) * s;
          out[p + 1] = ((float)((int)(byte & 0x0f) - 8) - z) * s;
        }
        break;
      }
      case EmbeddingFormat::et_int8: {
        const int8_t* row = reinterpret_cast<const int8_t*>(t.data) + r * t.dim;
        for (int64_t p = p0; p < p0 + t.group_size; ++p) out[p] = ((float)row[p] - z) * s;
        break;
      }
      case EmbeddingFormat::et_uint8: {
        const uint8_t* row = t.data + r * t.dim;
        for (int64_t p = p0; p < p0 + t.group_size; ++p) out[p] = ((float)row[p] - z) * s;
        break;
      }
    }
  }
}

}  // namespace

Error embedding(const EmbeddingDesc& table, const int64_t* indices, int64_t count, float* out) {
  EMBER_TRY(check_table(table));
  if (count < 0 || (count > 0 && (indices == nullptr || out == nullptr))) {
    EMBER_LOG(Error, "lowbit::embedding: count %lld < 0 or null indices / out", (long long)count);
    return Error::InvalidArgument;
  }
  // Every index is checked before anything is written.
  for (int64_t t = 0; t < count; ++t) {
    if (indices[t] < 0 || indices[t] >= table.vocab) {
      EMBER_LOG(Error, "lowbit::embedding: indices[%lld] = %lld is outside [0, %lld)",
                (long long)t, (long long)indices[t], (long long)table.vocab);
      return Error::InvalidArgument;
    }
  }
  for (int64_t t = 0; t < count; ++t) dequantize_row(table, indices[t], out + t * table.dim);
  return Error::Ok;
}

}  // namespace lowbit
}  // namespace ember
