// The int8 loops of the quantized kernels: one depthwise convolution plane
// over int8 / uint8 input, and the quantized add. simd_qwindow.cpp is compiled
// once per instruction set, as simd_kernels.cpp is (see CMakeLists.txt);
// each copy fills one QWindowKernels table and cpu.h picks the table for
// this CPU. op_quantized_conv.cpp checks the call, splits the planes over
// the pool and keeps its plain loop for the planes these decline.
#pragma once

#include <cstdint>

#include "runtime/kernels/optimized/simd_kernels.h"

namespace ember {
namespace optimized {

/// What one depthwise plane needs beside its data: the input's zero point
/// and the requantization, the constants of quant::Requant (op_quantized.h)
/// copied from one, so that every path rounds with the same numbers.
struct QDepthwiseParams {
  int32_t in_zero_point;
  bool in_unsigned;  ///< uint8 input (else int8)
  float scale;       ///< x_scale * w_scale: y = float(acc) * scale + bias
  float bias;
  float inv_out, out_zp, qmin, qmax, lo, hi;  ///< quant::Requant's fields
};

/// A channels-last depthwise convolution: the image [H][W][C] and out
/// [OH][OW][C] of one batch element, the weights reordered to [taps][C]
/// int16, and per channel the product of scales (x_scale * w_scale[c]) and
/// the bias (0 when none); the requantization as QDepthwiseParams' (its
/// scale and bias unused). The weights are int32 [taps][C]: one 64-byte
/// load per 16 channels and tap.
struct QDepthwiseNhwc {
  WindowShape s;
  int64_t channels;
  const int32_t* weight;  ///< [k_h * k_w][channels]
  /// [(k_h * k_w + 1) / 2][channels]: the taps (flattened ki * k_w + kj) in
  /// pairs, pair t of channel c the int16s weight[2t][c] (low half) and
  /// weight[2t + 1][c] (high; 0 past the last tap), for vpmaddwd; or nullptr.
  const int32_t* weight_pairs;
  /// [2 * pairs]: tap t's input element from a pixel's first tap's,
  /// (ki * dil_h * in_w + kj * dil_w) * channels; past the last tap (odd
  /// counts) the last again. Given with weight_pairs.
  const int64_t* pair_offsets;
  const float* scale;     ///< [channels]
  const float* bias;      ///< [channels]
  /// [channels]: in_zero_point * the sum of the channel's weights over all
  /// taps, taken off once for pixels whose taps all lie inside the image;
  /// nullptr: the zero point comes off every tap.
  const int32_t* zp_sum;
  /// For copies with QWindowKernels::depthwise_quads (else nullptr): the
  /// channels in quad blocks (quad_block) and the taps in quads of 4, for
  /// vpdpbusd (4 u8 x s8 products a lane). Four tap vectors interleaved by
  /// bytes, then by words, give four vectors whose lane l of 128-bit lane j
  /// holds channel quad_channel(k, 4 j + l, width) of vector k (from the
  /// block's first); a block narrower than 64 channels holds 64 / width
  /// pixels a vector, its 128-bit lanes repeating for each. The weights,
  /// scales, biases and zero-point sums come in that order, block by block.
  /// [blocks][quads][4][64]: tap 4 g + b of lane l's channel in byte b of
  /// lane l (0 past the last tap).
  const int8_t* weight_quads;
  const int64_t* quad_offsets;  ///< [4 * quads]: as pair_offsets, past the last tap the last
  /// [channels] bytes equal to the input's zero point: what a tap off the
  /// image reads (it then adds nothing, the zero point being folded).
  const void* zp_row;
  const float* quad_scale;      ///< [blocks][4][16]
  const float* quad_bias;       ///< [blocks][4][16]
  /// [blocks][4][16]: (zp + 128 for int8 input, whose bytes go in as x ^ 0x80
  /// = x + 128; zp for uint8) * the sum of the channel's weights.
  const int32_t* quad_zp_sum;
  QDepthwiseParams q;
  bool out_unsigned;      ///< uint8 out (else int8)
};

/// Quad blocks: channels [0, C / 64 * 64) in blocks of 64, then one block
/// of 32 and one of 16 when as many channels are left (the rest runs the
/// 32-bit path). quad_blocks(C) of them; block b's first channel and width.
inline int64_t quad_blocks(int64_t channels) {
  const int64_t r = channels % 64;
  return channels / 64 + (r >= 32 ? 1 : 0) + (r % 32 >= 16 ? 1 : 0);
}
inline void quad_block(int64_t channels, int64_t b, int64_t* first, int64_t* width) {
  const int64_t full = channels / 64, r = channels % 64;
  if (b < full) {
    *first = 64 * b;
    *width = 64;
  } else if (b == full && r >= 32) {
    *first = 64 * full;
    *width = 32;
  } else {
    *first = 64 * full + (r >= 32 ? 32 : 0);
    *width = 16;
  }
}

/// The channel (from its block's first) of lane `lane` (0..15) of quad
/// vector k (0..3) in a block `width` channels wide.
inline int64_t quad_channel(int64_t k, int64_t lane, int64_t width) {
  return 16 * (lane / 4 % (width / 16)) + 4 * k + lane % 4;
}

/// The channel of lane i (0 .. 64 quad_blocks(channels)) of the quads' lane
/// order (vector i / 16 % 4 of block i / 64, lane i % 16).
inline int64_t quad_lane_channel(int64_t channels, int64_t i) {
  int64_t first, width;
  quad_block(channels, i / 64, &first, &width);
  return first + quad_channel(i / 16 % 4, i % 16, width);
}

/// A channels-last max pool of one batch element: window as s, the image
/// [H][W][C] and out [OH][OW][C] of int8 or uint8; padding never wins.
struct QMaxPoolNhwc {
  WindowShape s;
  int64_t channels;
  bool is_unsigned;
};

struct QWindowKernels {
  /// out[oh][ow] = requant(float(acc) * scale + bias), acc = sum over taps of
  /// (in[ih][iw] - zp) * w[ki][kj] in int32 (exact; padding adds nothing),
  /// requant as quant::Requant: v = y * inv_out clamped to [lo, hi] (NaN to
  /// lo), rounded by adding and subtracting 1.5 * 2^23, plus out_zp, clamped
  /// to [qmin, qmax]; out's bytes are int8 or uint8 as qmin / qmax say.
  /// False (nothing written) for planes off its path: kernels taller than
  /// 16 or wider than 32, rows too wide for its stack buffers (about 2000
  /// columns), and every plane in the generic copy (the caller's plain loop
  /// is faster there).
  bool (*depthwise_plane)(const WindowShape& s, const void* in, const int8_t* w,
                          const QDepthwiseParams& p, void* out);
  /// out[i] = requant((float(a[i]) - za) * sa + (float(b[i]) - zb) * sb) for
  /// i < n, a, b and out all int8 (or all uint8 when `is_unsigned`), requant
  /// as depthwise_plane's with p's inv_out, out_zp, qmin, qmax, lo, hi (its
  /// other fields unused): ember::quantized_add's loop, the portable
  /// kernel's float32 steps, vectorised by the compiler for this set.
  void (*add)(const void* a, float sa, float za, const void* b, float sb, float zb, void* out,
              int64_t n, bool is_unsigned, const QDepthwiseParams& p);
  /// Output rows [oh0, oh1) of a channels-last depthwise convolution:
  /// out[oh][ow][c] = requant(float(acc) * scale[c] + bias[c]), acc the exact
  /// int32 sum over the taps inside the image of (x - zp) * w[tap][c], the
  /// requantization as depthwise_plane's. Every copy computes it (the
  /// compiler vectorises the channel loops for its set).
  void (*depthwise_nhwc_rows)(const QDepthwiseNhwc& p, const void* in, int64_t oh0, int64_t oh1,
                              void* out);
  /// Output rows [oh0, oh1) of a channels-last max pool.
  void (*max_pool_nhwc_rows)(const QMaxPoolNhwc& p, const void* in, int64_t oh0, int64_t oh1,
                             void* out);
  /// Whether depthwise_nhwc_rows runs QDepthwiseNhwc's quads (the AVX-512
  /// VNNI copy), so that the caller builds them.
  bool depthwise_quads;
};

// One table per instruction set compiled in (simd_qwindow.cpp).
namespace generic {
const QWindowKernels& qwindow_kernels();
}
namespace avx2 {
const QWindowKernels& qwindow_kernels();
}
namespace avx512 {
const QWindowKernels& qwindow_kernels();
}
/// avx512 with AVX512_VNNI (vpdpwssd fuses each multiply-add): used for
/// avx512 on CPUs that have it.
namespace avx512vnni {
const QWindowKernels& qwindow_kernels();
}
namespace neon {
const QWindowKernels& qwindow_kernels();
}

}  // namespace optimized
}  // namespace ember
