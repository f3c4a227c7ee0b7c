// Ember's elementwise int8 ops, each one pass over int8 tensors where the
// reference path dequantizes, computes in float32 and quantizes:
//   ember::quantized_mul.out: a product of two quantized tensors of one
//     shape, or a channel gate [N, 1, ..., 1, C] times [N, ..., C]
//     (EfficientNet's squeeze-excitation, channels-last);
//   ember::quantized_mean.out: a mean over a run of dims (channels-last
//     global pooling), summed in double;
//   ember::quantized_lut.out: a 256-entry table lookup (a quantized
//     activation), 64 bytes at a time with AVX-512 VBMI, 32 with AVX2.
// The first two take the float32 steps of the chain they replace (the
// dequantize and quantize kernels' and aten::mul's / aten::mean's), so
// their results are the same bits: in chunks through the vector loops
// (simd_kernels.h), or in AVX-512 or AVX2 registers when the kernels'
// instruction set is avx512 or avx2. Everything off these paths, and every
// error, goes to the portable kernel unchanged.
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12's masked AVX-512 intrinsics pass _mm512_undefined_*() as the unused
// merge source, which -Wmaybe-uninitialized reports at every use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/op_quantized.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

/// One operand of quantized_mul: its bytes and dequantize parameters.
struct MulOperand {
  const uint8_t* data;
  float scale, zero_point;
};

/// y[i] = lut[x[i] ^ bias] over n bytes. The pointers are locals of their
/// own (no aliasing of the table with what is stored): a byte load, a
/// lookup and a store per element.
void lut_scalar(const uint8_t* __restrict x, const uint8_t* __restrict lut,
                uint8_t* __restrict y, int64_t n, uint8_t bias) {
  for (int64_t i = 0; i < n; ++i) y[i] = lut[static_cast<uint8_t>(x[i] ^ bias)];
}

#if defined(__x86_64__)
/// The same with AVX-512 VBMI: the table is four zmm registers, and two
/// vpermi2b look up 64 bytes in its low and high halves (index bits 0..6),
/// the index's top bit choosing between them.
#define EMBER_VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))
EMBER_VBMI inline __m512i lookup64(__m512i v, __m512i bias, const __m512i t[4]) {
  const __m512i idx = _mm512_xor_si512(v, bias);
  const __m512i lo = _mm512_permutex2var_epi8(t[0], idx, t[1]);
  const __m512i hi = _mm512_permutex2var_epi8(t[2], idx, t[3]);
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi);
}

EMBER_VBMI void lut_vbmi(const uint8_t* x, const uint8_t* lut, uint8_t* y, int64_t n,
                         uint8_t bias) {
  const __m512i t[4] = {_mm512_loadu_si512(lut), _mm512_loadu_si512(lut + 64),
                        _mm512_loadu_si512(lut + 128), _mm512_loadu_si512(lut + 192)};
  const __m512i b = _mm512_set1_epi8(static_cast<char>(bias));
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    _mm512_storeu_si512(y + i, lookup64(_mm512_loadu_si512(x + i), b, t));
  }
  if (i < n) {
    const __mmask64 m = (1ULL << (n - i)) - 1;  // n - i < 64
    _mm512_mask_storeu_epi8(y + i, m, lookup64(_mm512_maskz_loadu_epi8(m, x + i), b, t));
  }
}
#undef EMBER_VBMI

#define EMBER_AVX2 __attribute__((target("avx2")))

/// Whether the VBMI lookup runs: AVX-512 in use (EMBER_KERNELS_ISA can
/// turn it off) and the CPU has VBMI.
bool use_lut_vbmi() {
  static const bool has_vbmi = __builtin_cpu_supports("avx512vbmi");
  return has_vbmi && active_isa() == Isa::avx512;
}

/// With AVX2 (no byte permute over more than 16 entries): the table as 16
/// rows of 16 bytes, each in both lanes of a ymm. 32 bytes at a time, vpshufb
/// looks every row up by the index's low nibble, and a tree of vpblendvb
/// keeps the row the high nibble names (bit 4 picks within pairs of rows,
/// then bits 5, 6 and 7: vpblendvb reads a byte's top bit, so the 16-bit
/// shifts left by 3, 2, 1 bring each bit there). 36 vector ops for 32
/// bytes, where the scalar loop takes a load, a lookup and a store each.
EMBER_AVX2 inline __m256i lookup32(__m256i v, __m256i bias, const __m256i rows[16]) {
  const __m256i idx = _mm256_xor_si256(v, bias);
  const __m256i lo = _mm256_and_si256(idx, _mm256_set1_epi8(0x0f));
  __m256i r[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm256_shuffle_epi8(rows[i], lo);
  int shift = 3;
  for (int width = 8; width >= 1; width /= 2, --shift) {
    const __m256i bit = _mm256_slli_epi16(idx, shift);  // nibble bit (3 - shift) + 4 at bit 7
    for (int i = 0; i < width; ++i) r[i] = _mm256_blendv_epi8(r[2 * i], r[2 * i + 1], bit);
  }
  return r[0];
}

EMBER_AVX2 void lut_avx2(const uint8_t* x, const uint8_t* lut, uint8_t* y, int64_t n,
                         uint8_t bias) {
  __m256i rows[16];
  for (int i = 0; i < 16; ++i) {
    const __m128i row = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lut + 16 * i));
    rows[i] = _mm256_broadcastsi128_si256(row);
  }
  const __m256i b = _mm256_set1_epi8(static_cast<char>(bias));
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), lookup32(v, b, rows));
  }
  lut_scalar(x + i, lut, y + i, n - i, bias);
}

// AVX-512 loops of quantized_mul and quantized_mean that keep a step's
// values in registers instead of the chunk buffers: the same float32 steps
// as the dequantize and quantize kernels (simd_kernels.cpp) and the
// product, in the same order (no step fuses with another: no contraction),
// so the same bits. Used when the kernels' instruction set is avx512.
#define EMBER_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

/// 16 bytes (the first `m` lanes) as dequantized floats.
EMBER_AVX512 inline __m512 dequantize16(const uint8_t* x, __mmask16 m, bool is_unsigned,
                                        __m512 scale, __m512 zp) {
  const __m128i b = _mm_maskz_loadu_epi8(m, x);
  const __m512i w = is_unsigned ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
  return _mm512_mul_ps(_mm512_sub_ps(_mm512_cvtepi32_ps(w), zp), scale);
}

/// out[i] = quantize(dequantize(x[i]) * g[i]) for i < n.
EMBER_AVX512 void mul_quantize_avx512(const uint8_t* x, float sx, float zx, const float* g,
                                      uint8_t* out, int64_t n, const quant::Requant& rq,
                                      bool is_unsigned) {
  const __m512 vs = _mm512_set1_ps(sx), vz = _mm512_set1_ps(zx), inv = _mm512_set1_ps(rq.inv_out);
  const __m512 zo = _mm512_set1_ps(rq.zp), lo = _mm512_set1_ps(rq.qmin);
  const __m512 hi = _mm512_set1_ps(rq.qmax);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF)
                                    : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 p = _mm512_mul_ps(dequantize16(x + i, m, is_unsigned, vs, vz),
                                   _mm512_maskz_loadu_ps(m, g + i));
    __m512 y = _mm512_roundscale_ps(_mm512_mul_ps(p, inv),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    y = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(y, zo), lo), hi);
    // A NaN converts to 0, as the quantize kernel's.
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(p, p, _CMP_UNORD_Q), _mm512_setzero_ps());
    _mm_mask_storeu_epi8(out + i, m, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(y)));
  }
}

/// acc[j] += dequantize(x[r * stride + j]) in double, for r < rows, j < n.
EMBER_AVX512 void mean_accumulate_avx512(const uint8_t* x, int64_t rows, int64_t stride,
                                         int64_t n, float s, float z, bool is_unsigned,
                                         double* acc) {
  const __m512 vs = _mm512_set1_ps(s), vz = _mm512_set1_ps(z);
  for (int64_t j = 0; j < n; j += 16) {
    const int64_t left = n - j;
    const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xFFFF)
                                   : static_cast<__mmask16>((1u << left) - 1);
    const __mmask8 m0 = static_cast<__mmask8>(m), m1 = static_cast<__mmask8>(m >> 8);
    __m512d a0 = _mm512_maskz_loadu_pd(m0, acc + j), a1 = _mm512_maskz_loadu_pd(m1, acc + j + 8);
    for (int64_t r = 0; r < rows; ++r) {
      const __m512 v = dequantize16(x + r * stride + j, m, is_unsigned, vs, vz);
      a0 = _mm512_add_pd(a0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
      a1 = _mm512_add_pd(a1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
                                 _mm512_castps_pd(v), 1))));
    }
    _mm512_mask_storeu_pd(acc + j, m0, a0);
    _mm512_mask_storeu_pd(acc + j + 8, m1, a1);
  }
}
#undef EMBER_AVX512

/// Whether the AVX-512 loops run: the kernels' instruction set is avx512.
bool use_avx512_loops() { return active_isa() == Isa::avx512; }

// The same loops with AVX2 (the kernels' instruction set is avx2), 8 lanes
// at a time: mul over the whole multiples of 8 (the caller takes the rest),
// mean over a multiple of 8 columns.

/// 8 bytes as dequantized floats.
EMBER_AVX2 inline __m256 dequantize8(const uint8_t* x, bool is_unsigned, __m256 scale,
                                     __m256 zp) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x));
  const __m256i w = is_unsigned ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b);
  return _mm256_mul_ps(_mm256_sub_ps(_mm256_cvtepi32_ps(w), zp), scale);
}

/// mul_quantize_avx512 over i < n / 8 * 8; returns that count.
EMBER_AVX2 int64_t mul_quantize_avx2(const uint8_t* x, float sx, float zx, const float* g,
                                     uint8_t* out, int64_t n, const quant::Requant& rq,
                                     bool is_unsigned) {
  const __m256 vs = _mm256_set1_ps(sx), vz = _mm256_set1_ps(zx), inv = _mm256_set1_ps(rq.inv_out);
  const __m256 zo = _mm256_set1_ps(rq.zp), lo = _mm256_set1_ps(rq.qmin);
  const __m256 hi = _mm256_set1_ps(rq.qmax);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 p = _mm256_mul_ps(dequantize8(x + i, is_unsigned, vs, vz), _mm256_loadu_ps(g + i));
    __m256 y = _mm256_round_ps(_mm256_mul_ps(p, inv),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    y = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(y, zo), lo), hi);
    // A NaN converts to 0, as the quantize kernel's.
    y = _mm256_andnot_ps(_mm256_cmp_ps(p, p, _CMP_UNORD_Q), y);
    const __m256i q = _mm256_cvtps_epi32(y);  // integers within [qmin, qmax]: the packs are exact
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    const __m128i b = is_unsigned ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), b);
  }
  return i;
}

/// mean_accumulate_avx512 for n a multiple of 8.
EMBER_AVX2 void mean_accumulate_avx2(const uint8_t* x, int64_t rows, int64_t stride,
                                        int64_t n, float s, float z, bool is_unsigned,
                                        double* acc) {
  const __m256 vs = _mm256_set1_ps(s), vz = _mm256_set1_ps(z);
  for (int64_t j = 0; j < n; j += 8) {
    __m256d a0 = _mm256_loadu_pd(acc + j), a1 = _mm256_loadu_pd(acc + j + 4);
    for (int64_t r = 0; r < rows; ++r) {
      const __m256 v = dequantize8(x + r * stride + j, is_unsigned, vs, vz);
      a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
      a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    _mm256_storeu_pd(acc + j, a0);
    _mm256_storeu_pd(acc + j + 4, a1);
  }
}
#undef EMBER_AVX2

bool use_avx2_loops() { return active_isa() == Isa::avx2; }
#endif

/// out[i] = quantize(dequantize(x[i]) * gf[i]) for n elements, gf the other
/// operand already dequantized: the AVX-512 or AVX2 loop where the kernels'
/// instruction set is one of those, else (and for AVX2's last elements)
/// through the chunk buffer xf (n floats): the dequantize, mul and quantize
/// kernels. The same bits either way.
void mul_quantize(const SimdKernels& k, MulOperand x, const float* gf, float* xf, uint8_t* out,
                  int64_t n, const quant::Requant& rq, bool is_unsigned) {
  int64_t i = 0;
#if defined(__x86_64__)
  if (use_avx512_loops()) {
    mul_quantize_avx512(x.data, x.scale, x.zero_point, gf, out, n, rq, is_unsigned);
    return;
  }
  if (use_avx2_loops()) {
    i = mul_quantize_avx2(x.data, x.scale, x.zero_point, gf, out, n, rq, is_unsigned);
  }
#endif
  if (i == n) return;
  k.dequantize(x.data + i, xf, n - i, x.scale, x.zero_point, is_unsigned);
  k.binary(BinaryOp::Mul, xf, 1, gf + i, 1, xf, n - i, 1.0f);
  k.quantize(xf, out + i, n - i, rq.inv_out, rq.zp, rq.qmin, rq.qmax, is_unsigned);
}

/// Floats a quantized_mul step dequantizes at once (on the stack).
constexpr int64_t kMulChunk = 256;

/// How quantized_mul's operands pair up: `x` the full tensor, `g` either
/// the same shape or a gate [N, 1, ..., 1, C] of x [N, ..., C] (a
/// squeeze-excitation gate on a channels-last feature map), one value per
/// batch and channel.
struct MulShape {
  int64_t batch = 1, pixels = 1, channels = 1;
};

/// Whether g is x's gate (as above); fills the shape.
bool is_channel_gate(const Tensor& x, const Tensor& g, MulShape* s) {
  const int32_t r = x.dim();
  if (r < 3 || g.dim() != r || g.size(0) != x.size(0) || g.size(r - 1) != x.size(r - 1)) {
    return false;
  }
  s->batch = x.size(0);
  s->channels = x.size(r - 1);
  s->pixels = 1;
  for (int32_t d = 1; d + 1 < r; ++d) {
    if (g.size(d) != 1) return false;
    s->pixels *= x.size(d);
  }
  return true;
}

/// out[i] = quantize(dequantize(x[i]) * dequantize(g[i])) for n elements,
/// in chunks: the float32 steps of the dequantize -> mul -> quantize chain
/// it replaces, the same bits.
void mul_span(const SimdKernels& k, MulOperand x, MulOperand g, uint8_t* out, int64_t n,
              const quant::Requant& rq, bool is_unsigned) {
  float xf[kMulChunk], gf[kMulChunk];
  for (int64_t i = 0; i < n; i += kMulChunk) {
    const int64_t len = n - i < kMulChunk ? n - i : kMulChunk;
    k.dequantize(g.data + i, gf, len, g.scale, g.zero_point, is_unsigned);
    mul_quantize(k, {x.data + i, x.scale, x.zero_point}, gf, xf, out + i, len, rq, is_unsigned);
  }
}

/// Floats of the gate's buffers: a gate of at most this many channels is
/// repeated across it, so that one dequantize, product and quantize cover
/// several pixels (the large maps have few channels: 16 to 144).
constexpr int64_t kGateSpan = 1024;

/// The gate's form: per batch, each chunk of channels dequantizes the gate
/// once and multiplies every pixel's channels [c0, c0 + len) by it; a gate
/// of at most kGateSpan channels, repeated, takes several whole pixels a
/// step.
void mul_gated_pixels(const SimdKernels& k, MulOperand x, MulOperand g, uint8_t* out,
                      const MulShape& s, int64_t begin, int64_t end, const quant::Requant& rq,
                      bool is_unsigned) {
  float xf[kGateSpan], gf[kGateSpan];
  const int64_t c = s.channels;
  const int64_t per_step = c <= kGateSpan ? kGateSpan / c : 1;  // pixels a step
  const int64_t chunk = c <= kGateSpan ? c : kGateSpan;         // channels a step
  for (int64_t row = begin; row < end;) {  // row = batch * pixels + pixel
    const int64_t n = row / s.pixels;
    const int64_t last = (n + 1) * s.pixels < end ? (n + 1) * s.pixels : end;
    for (int64_t c0 = 0; c0 < c; c0 += chunk) {
      const int64_t len = c - c0 < chunk ? c - c0 : chunk;
      k.dequantize(g.data + n * c + c0, gf, len, g.scale, g.zero_point, is_unsigned);
      for (int64_t r = 1; r < per_step; ++r) std::memcpy(gf + r * len, gf, len * sizeof(float));
      for (int64_t p = row; p < last; p += per_step) {
        // per_step > 1 only when len is all of c: the pixels are contiguous.
        const int64_t at = p * c + c0;
        const int64_t m = (last - p < per_step ? last - p : per_step) * len;
        mul_quantize(k, {x.data + at, x.scale, x.zero_point}, gf, xf, out + at, m, rq,
                     is_unsigned);
      }
    }
    row = last;
  }
}

/// quantized_mean's shape: self [outer, len, inner] with the reduced dims
/// the middle run (inner 1 for trailing dims).
struct MeanShape {
  int64_t outer = 1, len = 1, inner = 1;
};

/// Whether `dims` (negative ones wrapping) are each of a run of self's dims
/// once; fills the shape and out's sizes.
bool mean_shape(const Tensor& self, Span<const int64_t> dims, bool keepdim, MeanShape* m,
                int64_t* out_sizes, int32_t* out_dim) {
  const int32_t r = self.dim();
  if (dims.empty() || dims.size() > static_cast<size_t>(r)) return false;
  bool reduced[kMaxRank] = {};
  int64_t first = r, last = -1;
  for (int64_t d : dims) {
    int64_t dim = 0;
    if (!normalize_dim(d, r, &dim) || reduced[dim]) return false;
    reduced[dim] = true;
    first = dim < first ? dim : first;
    last = dim > last ? dim : last;
  }
  if (last - first + 1 != static_cast<int64_t>(dims.size())) return false;
  *out_dim = 0;
  for (int32_t d = 0; d < r; ++d) {
    int64_t& part = d < first ? m->outer : d <= last ? m->len : m->inner;
    part *= self.size(d);
    if (!reduced[d] || keepdim) out_sizes[(*out_dim)++] = reduced[d] ? 1 : self.size(d);
  }
  return true;
}

/// Outputs [c0, c0 + n) of one outer block: each column's values
/// dequantized a row at a time (the dequantize kernel's float32 steps) and
/// added in double, as aten::mean's channels-last kernel adds the float
/// tensor; the double sum of such values is exact, so the order does not
/// matter and the mean is the same bits. Then quantized.
void mean_columns(const SimdKernels& k, const uint8_t* x, const MeanShape& m, int64_t c0,
                  int64_t n, float s, float z, const quant::Requant& rq, bool is_unsigned,
                  uint8_t* y) {
  double acc[kMulChunk];
  float rows[kGateSpan];
  for (int64_t j = 0; j < n; ++j) acc[j] = 0.0;
  // Whole rows (n == inner) are contiguous: several a dequantize.
  const int64_t per_step = n == m.inner ? kGateSpan / n : 1;
  int64_t r = 0;
#if defined(__x86_64__)
  if (use_avx512_loops()) {
    mean_accumulate_avx512(x + c0, m.len, m.inner, n, s, z, is_unsigned, acc);
    r = m.len;
  } else if (use_avx2_loops() && n % 8 == 0) {
    mean_accumulate_avx2(x + c0, m.len, m.inner, n, s, z, is_unsigned, acc);
    r = m.len;
  }
#endif
  for (; r < m.len; r += per_step) {
    const int64_t count = m.len - r < per_step ? m.len - r : per_step;
    k.dequantize(x + r * m.inner + c0, rows, count * n, s, z, is_unsigned);
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t j = 0; j < n; ++j) acc[j] += static_cast<double>(rows[i * n + j]);
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    rows[j] = static_cast<float>(acc[j] / static_cast<double>(m.len));
  }
  k.quantize(rows, y + c0, n, rq.inv_out, rq.zp, rq.qmin, rq.qmax, is_unsigned);
}

/// One output of a mean over trailing dims (inner 1): its contiguous run
/// dequantized in chunks and added in double.
void mean_run(const SimdKernels& k, const uint8_t* x, int64_t len, float s, float z,
              const quant::Requant& rq, bool is_unsigned, uint8_t* y) {
  float chunk[kMulChunk];
  double acc = 0.0;
  for (int64_t i = 0; i < len; i += kMulChunk) {
    const int64_t n = len - i < kMulChunk ? len - i : kMulChunk;
    k.dequantize(x + i, chunk, n, s, z, is_unsigned);
    for (int64_t j = 0; j < n; ++j) acc += static_cast<double>(chunk[j]);
  }
  const float mean = static_cast<float>(acc / static_cast<double>(len));
  k.quantize(&mean, y, 1, rq.inv_out, rq.zp, rq.qmin, rq.qmax, is_unsigned);
}

}  // namespace

void quantized_lut_out(KernelContext& ctx, Span<EValue*> args) {
  // (self, table, out) -> out: the portable kernel's checks and loop, split
  // over the pool (a byte lookup per element, 64 at a time with VBMI).
  quant::Peek p(args, 4);
  const Tensor* in = p.tensor(0);
  const Tensor* table = p.tensor(1);
  Tensor* out = p.tensor(2);
  if (!p.ok() || !in->is_contiguous_order() ||
      !table->is_contiguous_order() || table->numel() != 256 ||
      (in->dtype() != ScalarType::Char && in->dtype() != ScalarType::Byte) ||
      (table->dtype() != ScalarType::Char && table->dtype() != ScalarType::Byte) ||
      out->dtype() != table->dtype()) {
    portable::quantized_lut_out(ctx, args);
    return;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*in, sizes);
  if (!resize_out(ctx, "ember::quantized_lut.out", "out", *out, sizes, in->dim())) return;
  const uint8_t* x = in->data_as<const uint8_t>();
  const uint8_t* lut = table->data_as<const uint8_t>();
  uint8_t* y = out->data_as<uint8_t>();
  const uint8_t bias = in->dtype() == ScalarType::Char ? 0x80 : 0;
  auto run = &lut_scalar;
#if defined(__x86_64__)
  if (use_lut_vbmi()) {
    run = &lut_vbmi;
  } else if (active_isa() != Isa::generic) {
    run = &lut_avx2;
  }
#endif
  parallel_for(in->numel(), kElementwiseGrain, [&](int64_t i0, int64_t i1) {
    run(x + i0, lut, y + i0, i1 - i0, bias);
  });
}

void quantized_mul_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_mul.out";
  // quantized_add's arguments. Two forms run here: operands of one shape,
  // and a channel gate [N, 1, ..., 1, C] times a tensor [N, ..., C] (either
  // side: the product commutes, bit for bit).
  const quant::QuantizedBinary q = quant::read_quantized_binary(args);
  const Tensor *a = q.a, *b = q.b;
  Tensor* out = q.out;
  const qgemm::Activation &qa = q.qa, &qb = q.qb;
  const qgemm::QEpilogue& e = q.e;
  const double out_scale = q.out_scale;
  const bool fast = q.ok;
  MulShape shape;
  const bool same = fast && same_sizes(*a, *b);
  const bool b_gates_a = fast && !same && is_channel_gate(*a, *b, &shape);
  const bool a_gates_b = fast && !same && !b_gates_a && is_channel_gate(*b, *a, &shape);
  if (!same && !b_gates_a && !a_gates_b) {
    portable::quantized_mul_out(ctx, args);
    return;
  }
  const Tensor& x = a_gates_b ? *b : *a;
  int64_t sizes[kMaxRank];
  tensor_sizes(x, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, x.dim())) return;
  const quant::Requant rq(out_scale, e.out_zero_point, e.qmin, e.qmax);
  const MulOperand ma{a->data_as<const uint8_t>(), qa.scale, static_cast<float>(qa.zero_point)};
  const MulOperand mb{b->data_as<const uint8_t>(), qb.scale, static_cast<float>(qb.zero_point)};
  const bool is_unsigned = a->dtype() == ScalarType::Byte;
  uint8_t* z = out->data_as<uint8_t>();
  const SimdKernels& k = simd();
  if (same) {
    parallel_for(a->numel(), kElementwiseGrain, [&](int64_t i0, int64_t i1) {
      mul_span(k, {ma.data + i0, ma.scale, ma.zero_point}, {mb.data + i0, mb.scale, mb.zero_point},
               z + i0, i1 - i0, rq, is_unsigned);
    });
    return;
  }
  const MulOperand mx = a_gates_b ? mb : ma, mg = a_gates_b ? ma : mb;
  if (x.numel() == 0) return;
  const int64_t grain = (kElementwiseGrain + shape.channels - 1) / shape.channels;
  parallel_for(shape.batch * shape.pixels, grain, [&](int64_t r0, int64_t r1) {
    mul_gated_pixels(k, mx, mg, z, shape, r0, r1, rq, is_unsigned);
  });
}

void quantized_mean_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_mean.out";
  // (self, self_scale, self_zero_point, dim, keepdim, output_scale,
  //  output_zero_point, quant_min, quant_max, out) -> out: a contiguous
  // self of one dtype with out, reduced over a run of dims (a channels-last
  // global pool: [N, H, W, C] over H and W).
  quant::Peek p(args, 11);
  const Tensor* in = p.tensor(0);
  const double s = p.real(1);
  const int64_t zp = p.integer(2);
  const bool keepdim = p.ok() && args[4]->is_bool() && args[4]->to_bool();
  const double out_scale = p.real(5);
  const int64_t out_zp = p.integer(6), qmin = p.integer(7), qmax = p.integer(8);
  Tensor* out = p.tensor(9);
  qgemm::Activation qa;
  qgemm::QEpilogue e;
  MeanShape m;
  int64_t sizes[kMaxRank];
  int32_t ndim = 0;
  const bool fast = p.ok() && args[3]->is_int_list() && args[4]->is_bool() &&
                    in->dtype() == out->dtype() && in->is_contiguous_order() && in->numel() > 0 &&
                    quant::read_activation(*in, s, zp, &qa) &&
                    quant::read_output(*out, out_scale, out_zp, qmin, qmax, &e) &&
                    mean_shape(*in, args[3]->to_int_list(), keepdim, &m, sizes, &ndim);
  if (!fast) {
    portable::quantized_mean_out(ctx, args);
    return;
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  const quant::Requant rq(out_scale, e.out_zero_point, e.qmin, e.qmax);
  const float fs = qa.scale, fz = static_cast<float>(qa.zero_point);
  const bool is_unsigned = in->dtype() == ScalarType::Byte;
  const uint8_t* x = in->data_as<const uint8_t>();
  uint8_t* y = out->data_as<uint8_t>();
  const SimdKernels& k = simd();
  if (m.inner == 1) {
    parallel_rows(m.outer, m.len, [&](int64_t o) {
      mean_run(k, x + o * m.len, m.len, fs, fz, rq, is_unsigned, y + o);
    });
    return;
  }
  // Tasks: an outer block's chunk of columns each.
  const int64_t chunks = (m.inner + kMulChunk - 1) / kMulChunk;
  parallel_rows(m.outer * chunks, m.len * kMulChunk, [&](int64_t t) {
    const int64_t o = t / chunks, c0 = (t % chunks) * kMulChunk;
    const int64_t n = m.inner - c0 < kMulChunk ? m.inner - c0 : kMulChunk;
    mean_columns(k, x + o * m.len * m.inner, m, c0, n, fs, fz, rq, is_unsigned,
                 y + o * m.inner);
  });
}

}  // namespace optimized
}  // namespace ember
