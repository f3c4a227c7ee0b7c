// Quantized embedding lookups with ExecuTorch's semantics
// (quantized_decomposed::embedding_byte / 4bit / 2bit, see
// executorch/exir/passes/_quant_patterns_and_replacements.py): the row's
// stored values w become (w - zp) * scale per group, zp a float of the
// scales' dtype (0 when absent). ET's 4-bit table is nibble-packed with the
// even element in the HIGH nibble (weight.div(16)) and the odd one in the
// low nibble (weight.remainder(16)), both offset by 8 (.add(-8)); its 2-bit
// table holds element 4i + j in bits 2j..2j+1 of byte i, offset by 2.
//
// Only the looked-up rows are dequantized. On x86 with AVX2 (any family but
// generic active) a row is widened 8 values at a time; the vector path does
// the same two float32 roundings per value as the scalar one (the value
// minus the zero point, then times the scale; no FMA), so both give the
// same bits. A lookup is a copy of a few rows, so it runs on the calling
// thread.
#include <cmath>

#include "runtime/kernels/optimized/lowbit/lowbit.h"
#include "runtime/platform/platform.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define EMBER_EMBEDDING_AVX2 1
#endif

namespace ember {
namespace lowbit {
namespace {

/// Values per stored byte.
int64_t per_byte(EmbeddingFormat f) {
  return f == EmbeddingFormat::et_4bit ? 2 : f == EmbeddingFormat::et_2bit ? 4 : 1;
}

Error check_table(const EmbeddingDesc& t) {
  const char* fn = "lowbit::embedding";
  if (t.format != EmbeddingFormat::et_4bit && t.format != EmbeddingFormat::et_2bit &&
      t.format != EmbeddingFormat::et_int8 && t.format != EmbeddingFormat::et_uint8) {
    EMBER_LOG(Error, "%s: unknown table format %d", fn, (int)t.format);
    return Error::InvalidArgument;
  }
  if (t.vocab <= 0 || t.dim <= 0 || t.group_size <= 0 || t.dim % t.group_size != 0) {
    EMBER_LOG(Error, "%s: bad sizes vocab=%lld dim=%lld group_size=%lld (must divide dim)", fn,
              (long long)t.vocab, (long long)t.dim, (long long)t.group_size);
    return Error::InvalidArgument;
  }
  // A group starts on a byte boundary, so that each group's bytes are its own.
  const int64_t pb = per_byte(t.format);
  if (t.group_size % pb != 0 || t.dim % pb != 0) {
    EMBER_LOG(Error, "%s: %lld values per byte do not divide dim %lld or group_size %lld", fn,
              (long long)pb, (long long)t.dim, (long long)t.group_size);
    return Error::InvalidArgument;
  }
  if (t.data == nullptr || t.scales == nullptr) {
    EMBER_LOG(Error, "%s: null table data or scales", fn);
    return Error::InvalidArgument;
  }
  return Error::Ok;
}

/// Values [p0, p1) of row r's group, scalar: out[p] = (w[p] - z) * s.
void dequantize_span(const EmbeddingDesc& t, int64_t r, int64_t p0, int64_t p1, float z, float s,
                     float* out) {
  const int64_t row_bytes = t.dim / per_byte(t.format);
  const uint8_t* row = t.data + r * row_bytes;
  for (int64_t p = p0; p < p1; ++p) {
    int q = 0;
    switch (t.format) {
      case EmbeddingFormat::et_4bit:
        q = (int)((p & 1) ? (row[p >> 1] & 0x0f) : (row[p >> 1] >> 4)) - 8;
        break;
      case EmbeddingFormat::et_2bit:
        q = (int)((row[p >> 2] >> (2 * (p & 3))) & 0x3) - 2;
        break;
      case EmbeddingFormat::et_int8:
        q = reinterpret_cast<const int8_t*>(row)[p];
        break;
      case EmbeddingFormat::et_uint8:
        q = row[p];
        break;
    }
    out[p] = ((float)q - z) * s;
  }
}

#if EMBER_EMBEDDING_AVX2
/// 16 signed bytes -> 16 floats (v - z) * s at out.
__attribute__((target("avx2"))) inline void store16(__m128i v, __m256 z, __m256 s, float* out) {
  const __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
  const __m256 b = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)));
  _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_sub_ps(a, z), s));
  _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_sub_ps(b, z), s));
}

/// Values [p0, p1) of row r (p0 a group start), vectorised; returns the
/// first value it left for the scalar loop.
__attribute__((target("avx2"))) int64_t dequantize_span_avx2(const EmbeddingDesc& t, int64_t r,
                                                             int64_t p0, int64_t p1, float zf,
                                                             float sf, float* out) {
  const __m256 z = _mm256_set1_ps(zf), s = _mm256_set1_ps(sf);
  const __m128i low4 = _mm_set1_epi8(0x0f), low2 = _mm_set1_epi8(0x03);
  int64_t p = p0;
  switch (t.format) {
    case EmbeddingFormat::et_4bit: {
      const uint8_t* row = t.data + r * (t.dim / 2);
      const __m128i eight = _mm_set1_epi8(8);
      for (; p + 16 <= p1; p += 16) {  // 8 bytes -> 16 values, high nibble first
        const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + p / 2));
        const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), low4);
        const __m128i lo = _mm_and_si128(b, low4);
        store16(_mm_sub_epi8(_mm_unpacklo_epi8(hi, lo), eight), z, s, out + p);
      }
      break;
    }
    case EmbeddingFormat::et_2bit: {
      const uint8_t* row = t.data + r * (t.dim / 4);
      const __m128i two = _mm_set1_epi8(2);
      for (; p + 32 <= p1; p += 32) {  // 8 bytes -> 32 values, low bits first
        const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + p / 4));
        const __m128i v0 = _mm_and_si128(b, low2);
        const __m128i v1 = _mm_and_si128(_mm_srli_epi16(b, 2), low2);
        const __m128i v2 = _mm_and_si128(_mm_srli_epi16(b, 4), low2);
        const __m128i v3 = _mm_and_si128(_mm_srli_epi16(b, 6), low2);
        const __m128i a = _mm_unpacklo_epi8(v0, v1), c = _mm_unpacklo_epi8(v2, v3);
        store16(_mm_sub_epi8(_mm_unpacklo_epi16(a, c), two), z, s, out + p);
        store16(_mm_sub_epi8(_mm_unpackhi_epi16(a, c), two), z, s, out + p + 16);
      }
      break;
    }
    case EmbeddingFormat::et_int8:
    case EmbeddingFormat::et_uint8: {
      const uint8_t* row = t.data + r * t.dim;
      const bool is_signed = t.format == EmbeddingFormat::et_int8;
      for (; p + 8 <= p1; p += 8) {
        const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + p));
        const __m256i w = is_signed ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
        _mm256_storeu_ps(out + p, _mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(w), z), s));
      }
      break;
    }
  }
  return p;
}
#endif

/// One row: out[p] = (w[p] - zp[g]) * scale[g], group by group.
void dequantize_row(const EmbeddingDesc& t, int64_t r, bool vector, float* out) {
  const int64_t groups = t.dim / t.group_size;
  const float* scales = t.scales + r * groups;
  const float* zps = t.zero_points != nullptr ? t.zero_points + r * groups : nullptr;
  for (int64_t gi = 0; gi < groups; ++gi) {
    const float s = scales[gi];
    const float z = zps != nullptr ? zps[gi] : 0.0f;
    const int64_t p0 = gi * t.group_size, p1 = p0 + t.group_size;
    int64_t p = p0;
#if EMBER_EMBEDDING_AVX2
    if (vector) p = dequantize_span_avx2(t, r, p0, p1, z, s, out);
#else
    (void)vector;
#endif
    dequantize_span(t, r, p, p1, z, s, out);
  }
}

template <typename Index>
Error lookup(const EmbeddingDesc& table, const Index* indices, int64_t count, float* out) {
  EMBER_TRY(check_table(table));
  if (count < 0 || (count > 0 && (indices == nullptr || out == nullptr))) {
    EMBER_LOG(Error, "lowbit::embedding: count %lld < 0 or null indices / out", (long long)count);
    return Error::InvalidArgument;
  }
  // Every index is checked before anything is written.
  for (int64_t t = 0; t < count; ++t) {
    if (indices[t] < 0 || (int64_t)indices[t] >= table.vocab) {
      EMBER_LOG(Error, "lowbit::embedding: indices[%lld] = %lld is outside [0, %lld)",
                (long long)t, (long long)indices[t], (long long)table.vocab);
      return Error::InvalidArgument;
    }
  }
  // The vector path wherever AVX2 is there, unless the generic family was
  // chosen (EMBER_LOWBIT_ISA=generic, set_isa): tests compare the two.
  const Isa isa = active_isa();
  const bool vector = isa == Isa::avx2 || isa == Isa::avx512_vnni;
  for (int64_t t = 0; t < count; ++t) {
    dequantize_row(table, (int64_t)indices[t], vector, out + t * table.dim);
  }
  return Error::Ok;
}

}  // namespace

Error embedding(const EmbeddingDesc& table, const int64_t* indices, int64_t count, float* out) {
  return lookup(table, indices, count, out);
}

Error embedding(const EmbeddingDesc& table, const int32_t* indices, int64_t count, float* out) {
  return lookup(table, indices, count, out);
}

}  // namespace lowbit
}  // namespace ember
