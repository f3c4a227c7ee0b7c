// The vectorized inner loops of the optimized kernels, over contiguous
// float32 runs. simd_kernels.cpp is compiled once per instruction set (see
// CMakeLists.txt); each copy fills one SimdKernels table, and cpu.h picks the
// table for this CPU. The op files (op_*.cpp) check arguments, split the work
// over the thread pool and call these on rows or chunks.
//
// Accuracy against float64 math (measured in the kernel tests):
//   exp       about 1 ulp; 0 below -87.3 (no subnormal results), inf above 88.72
//   tanh      a few ulp
//   sigmoid   a few ulp (1 / (1 + exp(-x)))
//   gelu      erf: within 2e-7 absolute of 0.5 x (1 + erf(x / sqrt 2)) (the
//             erf of Abramowitz & Stegun 7.1.26, as eager's vectorized erf);
//             tanh: the tanh form, a few ulp
// NaN in gives NaN out everywhere.
#pragma once

#include <cstdint>

namespace ember {
namespace optimized {

/// One plane of a 2-d sliding window (a depthwise convolution, a pooling;
/// NCHW): sizes, stride, padding and dilation, as the aten ops take them.
struct WindowShape {
  int64_t in_h, in_w, out_h, out_w;
  int64_t k_h, k_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
};

/// A channels-last depthwise convolution of one image: in [in_h][in_w][C],
/// out [out_h][out_w][C], the weight reordered to [k_h * k_w][C], a bias
/// per channel (nullptr: none), then clamped to [lo, hi] (-inf / inf: none).
struct DepthwiseNhwc {
  WindowShape s;
  int64_t channels;
  const float* weight;  ///< [k_h * k_w][channels]
  const float* bias;    ///< [channels] or nullptr
  float lo, hi;
};

enum class UnaryOp : uint8_t { Exp, Sigmoid, Tanh, GeluErf, GeluTanh, Silu, Hardswish };
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div };

struct SimdKernels {
  /// y[i] = op(x[i]) for i < n (x and y may be the same array).
  void (*unary)(UnaryOp op, const float* x, float* y, int64_t n);
  /// One row of softmax (or log-softmax): y = exp(x - max) / sum, or
  /// x - max - log(sum). A NaN in the row makes the row NaN.
  void (*softmax_row)(const float* x, float* y, int64_t n, bool log);
  /// One row of layer norm: y = (x - mean) * rstd * w + b (w, b may be
  /// null), rstd = 1 / sqrt(var + eps), var the biased variance; the row's
  /// mean and rstd are stored where the pointers are not null.
  void (*layer_norm_row)(const float* x, float* y, int64_t n, const float* w, const float* b,
                         float eps, float* mean, float* rstd);
  /// y[i] = a[i * sa] op (alpha * b[i * sb]) with sa, sb 0 or 1 (0: that
  /// operand is one broadcast value); alpha applies to Add and Sub only.
  void (*binary)(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                 int64_t n, float alpha);
  /// y[i] = min(max(x[i], lo), hi) as torch's clamp: NaN stays NaN, lo > hi
  /// gives hi (pass -inf / inf for a missing bound; bounds must not be NaN).
  void (*clamp)(const float* x, float* y, int64_t n, float lo, float hi);
  /// out[oh][ow] = bias + sum over taps, in (ki, kj) order, of
  /// w[ki][kj] * in[ih][iw] (zero padding) for one channel's plane; every
  /// output column a vector lane (the rows copied into a zero-padded buffer;
  /// planes too wide for it per point, with bounds checks).
  void (*depthwise_plane)(const WindowShape& s, const float* in, const float* w, float bias,
                          float* out);
  /// Max pooling of one plane (NCHW; windows as depthwise_plane's, padding
  /// never chosen): out = the window's largest value, indices = its flat
  /// index in the plane (the first of equals; a NaN wins, the last NaN; a
  /// window of -inf gives its first tap inside), as the portable kernel.
  /// The plane must have fewer than 2^24 elements (indices ride in float lanes).
  void (*max_pool_plane)(const WindowShape& s, const float* in, float* out, int64_t* indices);
  /// Output rows [oh0, oh1) of a channels-last depthwise convolution (one
  /// image): out[oh][ow][c] = clamp(bias[c] + sum over the taps inside the
  /// image, in (ki, kj) order, of w[ki k_w + kj][c] * in[ih][iw][c]), each
  /// tap one fused multiply-add; channels are the vector lanes.
  void (*depthwise_nhwc_rows)(const DepthwiseNhwc& p, const float* in, int64_t oh0, int64_t oh1,
                              float* out);
  /// Output rows [oh0, oh1) of a channels-last max pool of one image (in
  /// [in_h][in_w][channels], out [out_h][out_w][channels]): per channel the
  /// largest of the window's taps inside the image (padding never wins), the
  /// first NaN when there is one, as the portable kernel.
  void (*max_pool_nhwc_rows)(const WindowShape& s, int64_t channels, const float* in,
                             int64_t oh0, int64_t oh1, float* out);
  /// sum_i x[i] for i < n, over four vector accumulators.
  float (*sum)(const float* x, int64_t n);
  /// sum_i a[i] * b[i] for i < n, over four vector accumulators.
  float (*dot)(const float* a, const float* b, int64_t n);
  /// Raw attention scores of up to 4 query rows (q_r at q + r * q_stride, e
  /// floats) against n keys packed transposed, k_j[d] = kt[d * kt_stride + j]
  /// (kt_stride a multiple of 32, at least n rounded up to it):
  /// s[r * s_stride + j] = q_r . k_j, summed over d in order.
  void (*attention_scores)(int64_t rows, const float* q, int64_t q_stride, const float* kt,
                           int64_t kt_stride, int64_t n, int64_t e, float* s, int64_t s_stride);
  /// Raw attention scores of one query row against n keys as they lie:
  /// s[j] = q . k_j (k_j at k + j * k_stride, e floats); a decode step's
  /// scores, where packing the keys transposed would cost more than it saves.
  void (*attention_dots)(const float* q, const float* k, int64_t k_stride, int64_t n, int64_t e,
                         float* s);
  /// The online-softmax step of one query row over a block of n keys, from
  /// its raw scores s: s_j = scale * s_j + (bias ? bias[j] : 0),
  /// m' = max(*m, max_j s_j), p_j = exp(s_j - m') written over s (and 0 for
  /// n <= j < n_pad), *l = *l * alpha + sum_j p_j, *m = m'; returns
  /// alpha = exp(*m - m'). A block whose scores are all -inf (or n = 0)
  /// changes nothing: p = 0, alpha = 1.
  float (*attention_softmax)(float* s, int64_t n, int64_t n_pad, float scale, const float* bias,
                             float* m, float* l);
  /// For up to 4 rows r: acc_r = acc_r * alpha[r] + sum_{j < n} p_r[j] v_j
  /// (p_r at p + r * p_stride, v_j at v + j * v_stride, acc_r at
  /// acc + r * acc_stride, ev floats), each sum over j in order.
  void (*attention_accumulate)(int64_t rows, const float* p, int64_t p_stride, int64_t n,
                               const float* v, int64_t v_stride, int64_t ev, const float* alpha,
                               float* acc, int64_t acc_stride);
  /// y = x * rstd (* w when given: w[i] * (x[i] * rstd), the decomposition's
  /// order) with rstd = 1 / sqrt(sum_i x[i]^2 / n + eps) in float (the sum
  /// as `dot`'s); n >= 1.
  void (*rms_norm_row)(const float* x, float* y, int64_t n, const float* w, float eps);
  /// PyTorch's quantize_per_tensor of n floats into int8 (uint8 when
  /// `is_unsigned`): q = clamp(nearbyint(x * inv_scale) + zp, lo, hi), all
  /// in float32 (round half to even), a NaN to 0; as the portable kernel.
  void (*quantize)(const float* x, void* q, int64_t n, float inv_scale, float zp, float lo,
                   float hi, bool is_unsigned);
  /// dequantize_per_tensor: x = (float(q) - zp) * scale, float32.
  void (*dequantize)(const void* q, float* x, int64_t n, float scale, float zp, bool is_unsigned);
  /// dst[i * planes + c] = src[c * ld_src + i] for i < n, c < planes, 2 <= planes
  /// <= 4: a few byte planes interleaved (an int8 image NCHW -> NHWC), where
  /// the tiled transpose ran element by element.
  void (*interleave_bytes)(const uint8_t* src, int64_t planes, int64_t ld_src, int64_t n,
                           uint8_t* dst);
};

// One table per instruction set compiled in (simd_kernels.cpp).
namespace generic {
const SimdKernels& simd_kernels();
}
namespace avx2 {
const SimdKernels& simd_kernels();
}
namespace avx512 {
const SimdKernels& simd_kernels();
}
namespace neon {
const SimdKernels& simd_kernels();
}

}  // namespace optimized
}  // namespace ember
