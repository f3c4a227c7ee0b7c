// The channels-last im2col of Ember's GEMM convolutions, float32
// (op_convolution_nhwc.cpp) and int8 (op_quantized_conv.cpp): each output
// pixel's row of taps, gathered from an NHWC image.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "runtime/kernels/portable/convolution.h"

namespace ember {
namespace optimized {

/// in_cg elements from src to dst: a call to memcpy for wide groups, a loop
/// the compiler unrolls for the few channels of a first layer (RGB: 3 a tap).
template <typename T>
inline void copy_channels(T* dst, const T* src, int64_t in_cg) {
  if (in_cg >= 16) {
    std::memcpy(dst, src, static_cast<size_t>(in_cg) * sizeof(T));
  } else {
    for (int64_t c = 0; c < in_cg; ++c) dst[c] = src[c];
  }
}

/// Bytes [0, n) of src to dst as two moves of one Word each, the first
/// and the last sizeof(Word) bytes (overlapping when n < 2 * sizeof(Word)).
template <typename Word>
inline void copy_ends(uint8_t* d, const uint8_t* s, size_t n) {
  Word head, tail;
  std::memcpy(&head, s, sizeof(Word));
  std::memcpy(&tail, s + n - sizeof(Word), sizeof(Word));
  std::memcpy(d, &head, sizeof(Word));
  std::memcpy(d + n - sizeof(Word), &tail, sizeof(Word));
}

struct Bytes16 {
  uint8_t b[16];
};

/// n bytes from src to dst for the short runs of a first layer's kernel rows
/// (a 3x3 RGB int8 stem: 9 bytes): up to 32 as two overlapping fixed-size
/// moves, longer ones by memcpy. A call to memcpy per run had cost the im2col
/// of MobileNetV2's int8 stem more than its GEMM.
inline void copy_run(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (n > 32) {
    std::memcpy(d, s, n);
  } else if (n >= 16) {
    copy_ends<Bytes16>(d, s, n);
  } else if (n >= 8) {
    copy_ends<uint64_t>(d, s, n);
  } else if (n >= 4) {
    copy_ends<uint32_t>(d, s, n);
  } else {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  }
}

/// copy_run's n bytes (n <= 32) as whole 16-byte moves, which also write up
/// to 15 bytes past dst + n (the caller's next run overwrites them) and read
/// as far past src + n: both must stay inside their buffers.
inline void copy_run_over(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  Bytes16 lo, hi;
  std::memcpy(&lo, s, 16);
  if (n > 16) std::memcpy(&hi, s + 16, 16);
  std::memcpy(d, &lo, 16);
  if (n > 16) std::memcpy(d + 16, &hi, 16);
}

/// im2col rows [r0, r1) of the output pixels from flat pixel `first` on
/// (flat over the images of `input`, each in_h * in_w * in_c elements), group
/// g: row r holds the taps (ki, kj) of pixel first + r, in_cg channels each,
/// `pad` in the padding. A kernel row's taps (kj = 0 .. k_w - 1) of one
/// pixel are k_w * in_cg contiguous elements of the image when the group is
/// all the channels, the dilation 1 and the taps inside the row: one copy
/// each (a 7x7 RGB stem copies 21 elements, not 7 taps of 3).
template <typename T>
void im2col_nhwc_rows(const portable::ConvShape& shape, const T* input, int64_t g, int64_t first,
                      int64_t r0, int64_t r1, T pad, T* col) {
  // A copy in registers: through the reference, every byte store (which may
  // alias anything) made the loop reload the sizes.
  const portable::ConvShape s = shape;
  const int64_t k = s.in_cg * s.k_h * s.k_w, pixels = s.out_h * s.out_w;
  const int64_t row_taps = s.k_w * s.in_cg;  // elements of one kernel row of one pixel
  const bool whole_rows = s.dil_w == 1 && s.groups == 1;
  if (r0 >= r1) return;
  // A run of up to 32 bytes moves as whole 16-byte words (copy_run_over)
  // when the words stay inside the image's row and rows [r0, r1) of col: the
  // bytes written past a run belong to the next run, written after it.
  const size_t run_bytes = static_cast<size_t>(row_taps) * sizeof(T);
  const size_t over = run_bytes <= 32 ? (run_bytes + 15) / 16 * 16 : 0;
  const T* col_end = col + r1 * k;
  const size_t image_row_bytes = static_cast<size_t>(s.in_w * s.in_c) * sizeof(T);
  // The first row's image and pixel by division, the others by counting.
  int64_t b = (first + r0) / pixels, oh = (first + r0) % pixels / s.out_w;
  int64_t ow = (first + r0) % pixels % s.out_w;
  for (int64_t r = r0; r < r1; ++r, ++ow) {
    if (ow == s.out_w) {
      ow = 0;
      if (++oh == s.out_h) {
        oh = 0;
        ++b;
      }
    }
    const T* image = input + b * s.in_h * s.in_w * s.in_c;
    const int64_t iw0 = ow * s.stride_w - s.pad_w;
    const bool inside = whole_rows && iw0 >= 0 && iw0 + s.k_w <= s.in_w;
    T* dst = col + r * k;
    const int64_t ih0 = oh * s.stride_h - s.pad_h;
    if (inside && over != 0 && over <= image_row_bytes && ih0 >= 0 &&
        ih0 + (s.k_h - 1) * s.dil_h < s.in_h) {
      // A streak of this output row's pixels whose kernel rows all move as
      // whole words: up to the last pixel whose words stay inside the image
      // row and the last row whose last run's words end by col_end (a row
      // may be shorter than the words: a 1x1 stride-2 im2col of 3 channels).
      const int64_t step = s.in_c * static_cast<int64_t>(sizeof(T));
      const int64_t last_ow =
          ((static_cast<int64_t>(image_row_bytes) - static_cast<int64_t>(over)) / step + s.pad_w) /
          s.stride_w;
      const int64_t row_bytes = k * static_cast<int64_t>(sizeof(T));
      const int64_t room = r1 * row_bytes - (s.k_h - 1) * static_cast<int64_t>(run_bytes) -
                           static_cast<int64_t>(over);  // where the last row's last run may start
      const int64_t last_r = room < 0 ? r - 1 : room / row_bytes;
      const int64_t n = std::min({last_ow + 1, s.out_w, ow + (last_r + 1 - r)}) - ow;
      if (n > 0) {
        const T* src = image + ih0 * s.in_w * s.in_c + iw0 * s.in_c;
        const int64_t src_step = s.stride_w * s.in_c, row_step = s.dil_h * s.in_w * s.in_c;
        for (int64_t j = 0; j < n; ++j, src += src_step, dst += k) {
          for (int64_t ki = 0; ki < s.k_h; ++ki) {
            copy_run_over(dst + ki * row_taps, src + ki * row_step, run_bytes);
          }
        }
        r += n - 1;  // the loop's increments move on to the streak's next pixel
        ow += n - 1;
        continue;
      }
    }
    for (int64_t ki = 0; ki < s.k_h; ++ki, dst += row_taps) {
      const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
      if (ih < 0 || ih >= s.in_h) {
        std::fill_n(dst, row_taps, pad);
        continue;
      }
      const T* src_row = image + ih * s.in_w * s.in_c + g * s.in_cg;
      if (inside) {
        const size_t offset = static_cast<size_t>(iw0 * s.in_c) * sizeof(T);
        if (over != 0 && offset + over <= image_row_bytes &&
            reinterpret_cast<const uint8_t*>(dst) + over <=
                reinterpret_cast<const uint8_t*>(col_end)) {
          copy_run_over(dst, src_row + iw0 * s.in_c, run_bytes);
        } else {
          copy_run(dst, src_row + iw0 * s.in_c, run_bytes);
        }
        continue;
      }
      for (int64_t kj = 0; kj < s.k_w; ++kj) {
        const int64_t iw = iw0 + kj * s.dil_w;
        if (iw < 0 || iw >= s.in_w) {
          std::fill_n(dst + kj * s.in_cg, s.in_cg, pad);
        } else {
          copy_channels(dst + kj * s.in_cg, src_row + iw * s.in_c, s.in_cg);
        }
      }
    }
  }
}

}  // namespace optimized
}  // namespace ember
