// The sliding-window loops of simd_kernels.h (a depthwise convolution's
// plane, a max pooling's plane), compiled once per instruction set as
// simd_kernels.cpp is (EMBER_SIMD_ISA names the copy's namespace), whose
// table points at them.
//
// Each plane goes by bands of output rows: the band's input rows are copied
// into a stack buffer with the padding value (0, or -inf for the pooling)
// left and right of every row and past its end, so that every output column
// is a vector lane at any plane width and no load needs a bounds check.
#include <cmath>
#include <cstring>

#include "runtime/kernels/optimized/simd_kernels.h"
#include "runtime/kernels/optimized/vec.h"

#ifndef EMBER_SIMD_ISA
#error "simd_window.cpp is compiled once per instruction set with EMBER_SIMD_ISA defined"
#endif

namespace ember {
namespace optimized {
namespace EMBER_SIMD_ISA {
namespace {

using simd::Vec;
constexpr int kLanes = Vec::kLanes;

/// One output element at (oh, ow) with bounds checks: planes too wide for
/// the padded buffer of depthwise_plane.
float depthwise_point(const WindowShape& s, const float* in, const float* w, float bias,
                      int64_t oh, int64_t ow) {
  float acc = bias;
  for (int64_t ki = 0; ki < s.k_h; ++ki) {
    const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
    if (ih < 0 || ih >= s.in_h) continue;
    for (int64_t kj = 0; kj < s.k_w; ++kj) {
      const int64_t iw = ow * s.stride_w - s.pad_w + kj * s.dil_w;
      if (iw < 0 || iw >= s.in_w) continue;
      acc += w[ki * s.k_w + kj] * in[ih * s.in_w + iw];
    }
  }
  return acc;
}

/// Floats of the stack buffer a sliding-window plane's input rows are
/// padded into (32 KiB).
constexpr int64_t kWindowBuffer = 8192;
/// Output rows computed together (independent accumulators, one tap's
/// weight broadcast once for all of them).
constexpr int kDepthwiseRows = 4;
/// Tallest kernel the padded path takes (taller ones: depthwise_point).
constexpr int64_t kDepthwiseMaxKh = 16;

/// p[0], p[stride], ..., p[(kLanes - 1) stride]; kStride 0: any stride.
template <int kStride>
inline Vec load_columns(const float* p, int64_t stride) {
  if (kStride == 1) return Vec::load(p);
  if (kStride == 2) return simd::load_stride2(p);
  alignas(64) float lanes[kLanes];
  for (int i = 0; i < kLanes; ++i) lanes[i] = p[i * stride];
  return Vec::load(lanes);
}

/// Output rows oh0 .. oh0 + rows - 1 (rows <= kDepthwiseRows), kC column
/// blocks of kLanes from ow: rowp[r * k_h + ki] is the padded input row tap
/// ki of output row r reads (the zero row off the plane), column 0 at the
/// input's column -pad_w. Each output sums bias then the taps in (ki, kj)
/// order, as depthwise_point (a padding tap adds 0 * w, which changes no sum).
template <int kStride, int kC>
inline void depthwise_block(const WindowShape& s, const float* const* rowp, const float* w,
                            Vec vbias, float* out, int64_t oh0, int rows, int64_t ow) {
  constexpr int R = kDepthwiseRows;
  Vec acc[R][kC];
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < kC; ++c) acc[r][c] = vbias;
  }
  const int64_t sw = s.stride_w;
  for (int64_t ki = 0; ki < s.k_h; ++ki) {
    for (int64_t kj = 0; kj < s.k_w; ++kj) {
      const Vec wv(w[ki * s.k_w + kj]);
      const int64_t col = ow * sw + kj * s.dil_w;
      for (int r = 0; r < R; ++r) {
        const float* p = rowp[r * s.k_h + ki] + col;
        for (int c = 0; c < kC; ++c) {
          acc[r][c] = simd::fmadd(wv, load_columns<kStride>(p + c * kLanes * sw, sw), acc[r][c]);
        }
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    float* dst = out + (oh0 + r) * s.out_w + ow;
    for (int c = 0; c < kC; ++c) {
      const int64_t left = s.out_w - ow - c * kLanes;
      if (left >= kLanes) {
        acc[r][c].store(dst + c * kLanes);
      } else if (left > 0) {
        simd::store_partial(dst + c * kLanes, acc[r][c], static_cast<int>(left));
      }
    }
  }
}

/// Width of a plane's padded rows: every lane of every block of kLanes
/// output columns from column 0 (the last block rounded up to a whole
/// vector, plus the odd element a stride-2 load reads past its last lane)
/// reads inside the row, for every column tap.
int64_t padded_width(const WindowShape& s) {
  const int64_t blocks = (s.out_w + kLanes - 1) / kLanes;
  const int64_t last_read = (blocks * kLanes - 1) * s.stride_w + (s.stride_w == 2 ? 1 : 0) +
                            (s.k_w - 1) * s.dil_w;
  return last_read + 1 > s.pad_w + s.in_w ? last_read + 1 : s.pad_w + s.in_w;
}

/// Runs f(rows, ih0, ih1, oh0, oh1) over bands of output rows [oh0, oh1)
/// (a multiple of `step` but the last), with the band's input rows
/// [ih0, ih1) copied to rows + (ih - ih0) * row_w, `fill` left of column
/// pad_w and right of the data, in at most `capacity` floats. False (f never
/// called) when a band of `step` output rows does not fit.
template <typename F>
bool for_each_band(const WindowShape& s, const float* in, float fill, int64_t row_w,
                   float* rows, int64_t capacity, int64_t step, const F& f) {
  const int64_t fit = capacity / row_w;                // input rows the buffer holds
  const int64_t span = (s.k_h - 1) * s.dil_h + 1;      // input rows of one output row
  if (fit < (step - 1) * s.stride_h + span) return false;
  const int64_t band = ((fit - span) / s.stride_h + 1) / step * step;
  for (int64_t oh0 = 0; oh0 < s.out_h; oh0 += band) {
    const int64_t oh1 = oh0 + band < s.out_h ? oh0 + band : s.out_h;
    int64_t ih0 = oh0 * s.stride_h - s.pad_h, ih1 = (oh1 - 1) * s.stride_h - s.pad_h + span;
    ih0 = ih0 < 0 ? 0 : ih0;
    ih1 = ih1 > s.in_h ? s.in_h : ih1;
    for (int64_t ih = ih0; ih < ih1; ++ih) {
      float* dst = rows + (ih - ih0) * row_w;
      const float* src = in + ih * s.in_w;
      for (int64_t i = 0; i < s.pad_w; ++i) dst[i] = fill;
      for (int64_t i = 0; i < s.in_w; ++i) dst[s.pad_w + i] = src[i];
      for (int64_t i = s.pad_w + s.in_w; i < row_w; ++i) dst[i] = fill;
    }
    f(static_cast<const float*>(rows), ih0, ih1, oh0, oh1);
  }
  return true;
}

/// depthwise_plane for one column stride (kStride 1 or 2, or 0 for any):
/// returns false, nothing written, when even one band does not fit the buffer.
template <int kStride>
bool depthwise_padded(const WindowShape& s, const float* in, const float* w, float bias,
                      float* out) {
  constexpr int R = kDepthwiseRows;
  alignas(64) float buf[kWindowBuffer];
  const int64_t row_w = padded_width(s);
  if (2 * row_w > kWindowBuffer) return false;
  float* zero = buf;  // the row that taps off the plane read
  for (int64_t i = 0; i < row_w; ++i) zero[i] = 0.0f;
  const Vec vbias(bias);
  const float* rowp[R * kDepthwiseMaxKh];
  return for_each_band(s, in, 0.0f, row_w, buf + row_w, kWindowBuffer - row_w, R,
                       [&](const float* rows, int64_t ih0, int64_t ih1, int64_t b0, int64_t b1) {
    // R output rows at a time, two column blocks at a time while they last.
    for (int64_t oh = b0; oh < b1; oh += R) {
      const int rows_here = static_cast<int>(b1 - oh < R ? b1 - oh : R);
      for (int r = 0; r < R; ++r) {
        for (int64_t ki = 0; ki < s.k_h; ++ki) {
          const int64_t ih = (oh + r) * s.stride_h - s.pad_h + ki * s.dil_h;
          const bool inside = r < rows_here && ih >= ih0 && ih < ih1;
          rowp[r * s.k_h + ki] = inside ? rows + (ih - ih0) * row_w : zero;
        }
      }
      int64_t ow = 0;
      for (; ow + kLanes < s.out_w; ow += 2 * kLanes) {
        depthwise_block<kStride, 2>(s, rowp, w, vbias, out, oh, rows_here, ow);
      }
      if (ow < s.out_w) depthwise_block<kStride, 1>(s, rowp, w, vbias, out, oh, rows_here, ow);
    }
  });
}

/// max_pool_plane for one column stride (as depthwise_padded).
template <int kStride>
bool max_pool_padded(const WindowShape& s, const float* in, float* out, int64_t* indices) {
  alignas(64) float buf[kWindowBuffer];
  const int64_t row_w = padded_width(s);
  alignas(64) float lane_cols[kLanes];  // lane i's input column offset: i * stride_w
  for (int i = 0; i < kLanes; ++i) lane_cols[i] = static_cast<float>(i * s.stride_w);
  const Vec vlane = Vec::load(lane_cols);
  return for_each_band(s, in, -INFINITY, row_w, buf, kWindowBuffer, 1,
                       [&](const float* rows, int64_t ih0, int64_t, int64_t b0, int64_t b1) {
    for (int64_t oh = b0; oh < b1; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ow += kLanes) {
        // As the portable kernel: taps in order, a larger value or a NaN
        // takes over; padding (-inf) never does. -1: no tap took over yet.
        Vec best(-INFINITY), idx(-1.0f);
        for (int64_t ki = 0; ki < s.k_h; ++ki) {
          const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
          if (ih < 0 || ih >= s.in_h) continue;
          const float* row = rows + (ih - ih0) * row_w + ow * s.stride_w;
          for (int64_t kj = 0; kj < s.k_w; ++kj) {
            const Vec v = load_columns<kStride>(row + kj * s.dil_w, s.stride_w);
            const Vec at = vlane + Vec(static_cast<float>(ih * s.in_w + ow * s.stride_w - s.pad_w +
                                                          kj * s.dil_w));
            const auto larger = simd::greater(v, best);
            best = simd::select(larger, v, best);
            idx = simd::select(larger, at, idx);
            const auto nan = simd::is_nan(v);
            best = simd::select(nan, v, best);
            idx = simd::select(nan, at, idx);
          }
        }
        const int n = s.out_w - ow < kLanes ? static_cast<int>(s.out_w - ow) : kLanes;
        alignas(64) float lanes[kLanes];
        idx.store(lanes);
        simd::store_partial(out + oh * s.out_w + ow, best, n);
        int64_t* dst = indices + oh * s.out_w + ow;
        for (int i = 0; i < n; ++i) {
          if (lanes[i] >= 0.0f) {
            dst[i] = static_cast<int64_t>(lanes[i]);
            continue;
          }
          // Every tap -inf (or off the plane): the first tap inside.
          int64_t h = oh * s.stride_h - s.pad_h, c = (ow + i) * s.stride_w - s.pad_w;
          while (h < 0) h += s.dil_h;
          while (c < 0) c += s.dil_w;
          dst[i] = h * s.in_w + c;
        }
      }
    }
  });
}

}  // namespace

void depthwise_plane(const WindowShape& s, const float* in, const float* w, float bias,
                     float* out) {
  // Every column is a vector lane: the band's input rows are copied into a
  // buffer with zeros where the padding is, so no load needs a bounds check.
  bool done = false;
  if (s.k_h <= kDepthwiseMaxKh) {
    if (s.stride_w == 1) {
      done = depthwise_padded<1>(s, in, w, bias, out);
    } else if (s.stride_w == 2) {
      done = depthwise_padded<2>(s, in, w, bias, out);
    } else {
      done = depthwise_padded<0>(s, in, w, bias, out);
    }
  }
  if (done) return;
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    for (int64_t ow = 0; ow < s.out_w; ++ow) {
      out[oh * s.out_w + ow] = depthwise_point(s, in, w, bias, oh, ow);
    }
  }
}

void max_pool_plane(const WindowShape& s, const float* in, float* out, int64_t* indices) {
  if (s.stride_w == 1) {
    if (max_pool_padded<1>(s, in, out, indices)) return;
  } else if (s.stride_w == 2) {
    if (max_pool_padded<2>(s, in, out, indices)) return;
  } else if (max_pool_padded<0>(s, in, out, indices)) {
    return;
  }
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    int64_t h0 = oh * s.stride_h - s.pad_h;
    const int64_t h_end = h0 + (s.k_h - 1) * s.dil_h + 1;
    const int64_t h1 = h_end < s.in_h ? h_end : s.in_h;
    while (h0 < 0) h0 += s.dil_h;
    for (int64_t ow = 0; ow < s.out_w; ++ow) {
      int64_t w0 = ow * s.stride_w - s.pad_w;
      const int64_t w_end = w0 + (s.k_w - 1) * s.dil_w + 1;
      const int64_t w1 = w_end < s.in_w ? w_end : s.in_w;
      while (w0 < 0) w0 += s.dil_w;
      int64_t best = h0 * s.in_w + w0;
      float best_val = -INFINITY;
      for (int64_t ih = h0; ih < h1; ih += s.dil_h) {
        for (int64_t iw = w0; iw < w1; iw += s.dil_w) {
          const float v = in[ih * s.in_w + iw];
          if (v > best_val || v != v) {
            best_val = v;
            best = ih * s.in_w + iw;
          }
        }
      }
      out[oh * s.out_w + ow] = best_val;
      indices[oh * s.out_w + ow] = best;
    }
  }
}

}  // namespace EMBER_SIMD_ISA
}  // namespace optimized
}  // namespace ember
