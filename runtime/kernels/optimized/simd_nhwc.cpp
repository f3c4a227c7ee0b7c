// The channels-last float32 window loops of simd_kernels.h (a depthwise
// convolution's rows, a max pool's rows), compiled once per instruction set
// as simd_kernels.cpp is (EMBER_SIMD_ISA names the copy's namespace), whose
// table points at them.
//
// A pixel's channels are contiguous, so the channels are the vector lanes
// and no row needs copying or padding: a tap in the padding is simply left
// out of the sum (or of the max). Per output row:
//   1. the kernel rows whose taps lie inside the image (the same for the
//      whole row), and the columns [ow_lo, ow_hi) whose every column tap
//      does;
//   2. those columns kPixels at a time, kChannelVectors vectors of
//      channels at a time: each weight vector loaded once serves kPixels
//      pixels, kPixels x kChannelVectors independent accumulators;
//   3. the border columns one at a time over their own taps.
// The last channels (past a multiple of the vector width) use partial loads
// and stores. Every output is computed the same way whatever the rows a call
// is given, so results do not depend on how rows are split over threads.
#include <cmath>

#include "runtime/kernels/optimized/simd_kernels.h"
#include "runtime/kernels/optimized/vec.h"

#ifndef EMBER_SIMD_ISA
#error "simd_nhwc.cpp is compiled once per instruction set with EMBER_SIMD_ISA defined"
#endif

namespace ember {
namespace optimized {
namespace EMBER_SIMD_ISA {
namespace {

using simd::Vec;
constexpr int kLanes = Vec::kLanes;
/// Output pixels sharing each weight load, and vectors of channels per pixel:
/// 8 accumulators (AVX2 has 16 registers, the others 32).
constexpr int kPixels = 4;
constexpr int kChannelVectors = 2;

/// The taps [kh0, kh1) x [kw0, kw1) of a window that lie inside the image.
struct Taps {
  int64_t kh0, kh1, kw0, kw1;
};

/// First tap k with start + k * dil >= 0.
inline int64_t first_tap(int64_t start, int64_t dil) {
  return start >= 0 ? 0 : (-start + dil - 1) / dil;
}
/// One past the last tap k < taps with start + k * dil < extent (at most
/// first_tap when there is none).
inline int64_t end_tap(int64_t start, int64_t dil, int64_t taps, int64_t extent) {
  if (start >= extent) return 0;
  const int64_t n = (extent - 1 - start) / dil + 1;
  return n < taps ? n : taps;
}

/// Columns [lo, hi) of the output whose every column tap lies inside the image.
inline void interior_columns(const WindowShape& s, int64_t* lo, int64_t* hi) {
  const int64_t span = (s.k_w - 1) * s.dil_w;
  *lo = (s.pad_w + s.stride_w - 1) / s.stride_w;
  *lo = *lo < s.out_w ? *lo : s.out_w;
  const int64_t last = s.in_w - 1 - span + s.pad_w;  // largest ow * stride_w inside
  *hi = last < 0 ? *lo : last / s.stride_w + 1;
  *hi = *hi < *lo ? *lo : (*hi > s.out_w ? s.out_w : *hi);
}

/// kLanes channels from p, or the first `rest` (the others 0) when kTail.
template <bool kTail>
inline Vec load_ch(const float* p, int rest) {
  return kTail ? simd::load_partial(p, rest) : Vec::load(p);
}
template <bool kTail>
inline void store_ch(float* p, Vec v, int rest) {
  if (kTail) {
    simd::store_partial(p, v, rest);
  } else {
    v.store(p);
  }
}

/// Pixels (oh, ow + q), q < kP, channels [c0, c0 + kC kLanes) (kTail: kC is 1
/// and only `rest` channels): bias, then every tap of t in (ki, kj) order as
/// one fused multiply-add, then the clamp (maxps / minps keep a NaN sum).
template <int kP, int kC, bool kTail>
inline void depthwise_pixels(const DepthwiseNhwc& p, const float* in, int64_t oh, int64_t ow,
                             const Taps& t, int64_t c0, int rest, float* out) {
  const WindowShape& s = p.s;
  const int64_t ch = p.channels;
  Vec acc[kP][kC];
  for (int c = 0; c < kC; ++c) {
    const Vec b = p.bias != nullptr ? load_ch<kTail>(p.bias + c0 + c * kLanes, rest) : Vec(0.0f);
    for (int q = 0; q < kP; ++q) acc[q][c] = b;
  }
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  const int64_t step = s.stride_w * ch;  // from one pixel's taps to the next one's
  for (int64_t ki = t.kh0; ki < t.kh1; ++ki) {
    const float* row = in + ((h + ki * s.dil_h) * s.in_w + w) * ch + c0;
    const float* wrow = p.weight + ki * s.k_w * ch + c0;
    for (int64_t kj = t.kw0; kj < t.kw1; ++kj) {
      const float* x = row + kj * s.dil_w * ch;
      for (int c = 0; c < kC; ++c) {
        const Vec wv = load_ch<kTail>(wrow + kj * ch + c * kLanes, rest);
        for (int q = 0; q < kP; ++q) {
          acc[q][c] = simd::fmadd(wv, load_ch<kTail>(x + q * step + c * kLanes, rest), acc[q][c]);
        }
      }
    }
  }
  const Vec lo(p.lo), hi(p.hi);
  float* o = out + (oh * s.out_w + ow) * ch + c0;
  for (int q = 0; q < kP; ++q) {
    for (int c = 0; c < kC; ++c) {
      const Vec y = simd::min(hi, simd::max(lo, acc[q][c]));  // acc when it is NaN
      store_ch<kTail>(o + q * ch + c * kLanes, y, rest);
    }
  }
}

/// All channels of pixels (oh, ow + q), q < kP, over the taps t.
template <int kP>
inline void depthwise_all_channels(const DepthwiseNhwc& p, const float* in, int64_t oh,
                                   int64_t ow, const Taps& t, float* out) {
  const int64_t ch = p.channels;
  constexpr int64_t kBlock = kChannelVectors * kLanes;
  int64_t c0 = 0;
  for (; c0 + kBlock <= ch; c0 += kBlock) {
    depthwise_pixels<kP, kChannelVectors, false>(p, in, oh, ow, t, c0, kLanes, out);
  }
  for (; c0 + kLanes <= ch; c0 += kLanes) {
    depthwise_pixels<kP, 1, false>(p, in, oh, ow, t, c0, kLanes, out);
  }
  if (c0 < ch) depthwise_pixels<kP, 1, true>(p, in, oh, ow, t, c0, static_cast<int>(ch - c0), out);
}

/// The taps of window (oh, ow) inside the image.
inline Taps taps_of(const WindowShape& s, int64_t oh, int64_t ow) {
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  return Taps{first_tap(h, s.dil_h), end_tap(h, s.dil_h, s.k_h, s.in_h), first_tap(w, s.dil_w),
              end_tap(w, s.dil_w, s.k_w, s.in_w)};
}

/// The largest of the window's taps t per channel, the first NaN when there
/// is one (nan_seen keeps the last tap until a NaN lands in it, then that
/// NaN), as the portable kernel's `!(x <= o) && o == o`. maxps(v, best) is
/// v > best ? v : best: ties keep the earlier tap, as there.
template <int kC, bool kTail>
inline void pool_pixel(const WindowShape& s, int64_t ch, const float* in, int64_t oh, int64_t ow,
                       const Taps& t, int64_t c0, int rest, float* out) {
  Vec best[kC], nan_seen[kC];
  for (int c = 0; c < kC; ++c) {
    best[c] = Vec(-INFINITY);
    nan_seen[c] = Vec(0.0f);
  }
  const int64_t h = oh * s.stride_h - s.pad_h, w = ow * s.stride_w - s.pad_w;
  for (int64_t ki = t.kh0; ki < t.kh1; ++ki) {
    const float* row = in + ((h + ki * s.dil_h) * s.in_w + w) * ch + c0;
    for (int64_t kj = t.kw0; kj < t.kw1; ++kj) {
      const float* x = row + kj * s.dil_w * ch;
      for (int c = 0; c < kC; ++c) {
        const Vec v = load_ch<kTail>(x + c * kLanes, rest);
        best[c] = simd::max(v, best[c]);
        nan_seen[c] = simd::select(simd::is_nan(nan_seen[c]), nan_seen[c], v);
      }
    }
  }
  float* o = out + (oh * s.out_w + ow) * ch + c0;
  for (int c = 0; c < kC; ++c) {
    const Vec y = simd::select(simd::is_nan(nan_seen[c]), nan_seen[c], best[c]);
    store_ch<kTail>(o + c * kLanes, y, rest);
  }
}

}  // namespace

void depthwise_nhwc_rows(const DepthwiseNhwc& p, const float* in, int64_t oh0, int64_t oh1,
                         float* out) {
  const WindowShape& s = p.s;
  int64_t ow_lo, ow_hi;
  interior_columns(s, &ow_lo, &ow_hi);
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    for (int64_t ow = 0; ow < ow_lo; ++ow) {
      depthwise_all_channels<1>(p, in, oh, ow, taps_of(s, oh, ow), out);
    }
    Taps t = taps_of(s, oh, ow_lo);  // rows as every column's; all column taps
    t.kw0 = 0;
    t.kw1 = s.k_w;
    int64_t ow = ow_lo;
    for (; ow + kPixels <= ow_hi; ow += kPixels) {
      depthwise_all_channels<kPixels>(p, in, oh, ow, t, out);
    }
    for (; ow < ow_hi; ++ow) depthwise_all_channels<1>(p, in, oh, ow, t, out);
    for (ow = ow_hi; ow < s.out_w; ++ow) {
      depthwise_all_channels<1>(p, in, oh, ow, taps_of(s, oh, ow), out);
    }
  }
}

void max_pool_nhwc_rows(const WindowShape& s, int64_t channels, const float* in, int64_t oh0,
                        int64_t oh1, float* out) {
  constexpr int kC = 4;
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    for (int64_t ow = 0; ow < s.out_w; ++ow) {
      const Taps t = taps_of(s, oh, ow);
      int64_t c0 = 0;
      for (; c0 + kC * kLanes <= channels; c0 += kC * kLanes) {
        pool_pixel<kC, false>(s, channels, in, oh, ow, t, c0, kLanes, out);
      }
      for (; c0 + kLanes <= channels; c0 += kLanes) {
        pool_pixel<1, false>(s, channels, in, oh, ow, t, c0, kLanes, out);
      }
      if (c0 < channels) {
        pool_pixel<1, true>(s, channels, in, oh, ow, t, c0, static_cast<int>(channels - c0), out);
      }
    }
  }
}

}  // namespace EMBER_SIMD_ISA
}  // namespace optimized
}  // namespace ember
