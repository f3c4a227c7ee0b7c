// The epilogue of micro_kernel.h on NEON registers, shared by the two NEON
// families (kernels_neon.cpp, kernels_neon_dot.cpp). Internal linkage: each
// file compiles its own copy with its own flags. Clamps are compare-and-
// select, not FMAX/FMIN, so that NaN and -0 behave as MAXPS/MINPS and the
// scalar epilogue do.
#pragma once

#include <arm_neon.h>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"

namespace ember {
namespace qgemm {
namespace {

/// y for 4 columns j0 .. j0+3 of a row.
inline float32x4_t dequantize4(int32x4_t dot, float a_scale, int32_t a_zp, const TileArgs& t,
                               size_t j0) {
  const int32x4_t acc = vsubq_s32(dot, vmulq_s32(vdupq_n_s32(a_zp), vld1q_s32(t.colsum + j0)));
  const float32x4_t s = vmulq_f32(vdupq_n_f32(a_scale), vld1q_f32(t.b_scale + j0));
  float32x4_t y = vmulq_f32(vcvtq_f32_s32(acc), s);
  if (t.bias != nullptr) y = vaddq_f32(y, vld1q_f32(t.bias + j0));
  return y;
}

/// The requantized integers of y (in [qmin, qmax]; NaN -> qmin).
inline int32x4_t requantize4(float32x4_t y, const TileArgs& t) {
  const float32x4_t qmin = vdupq_n_f32(t.qmin), qmax = vdupq_n_f32(t.qmax);
  float32x4_t v = vaddq_f32(vrndnq_f32(vmulq_f32(y, vdupq_n_f32(t.inv_out))), vdupq_n_f32(t.out_zp));
  v = vbslq_f32(vcgtq_f32(v, qmin), v, qmin);
  v = vbslq_f32(vcltq_f32(v, qmax), v, qmax);
  return vcvtq_s32_f32(v);
}

/// The epilogue of a full row of 8 columns (dot: columns 0-3 and 4-7) into c.
inline void epilogue8(int32x4_t dot0, int32x4_t dot1, float a_scale, int32_t a_zp,
                      const TileArgs& t, void* c) {
  float32x4_t y0 = dequantize4(dot0, a_scale, a_zp, t, 0);
  float32x4_t y1 = dequantize4(dot1, a_scale, a_zp, t, 4);
  if (t.out == OutType::f32) {
    if (t.clamp) {
      const float32x4_t lo = vdupq_n_f32(t.min), hi = vdupq_n_f32(t.max);
      y0 = vbslq_f32(vcgtq_f32(lo, y0), lo, y0);
      y0 = vbslq_f32(vcltq_f32(hi, y0), hi, y0);
      y1 = vbslq_f32(vcgtq_f32(lo, y1), lo, y1);
      y1 = vbslq_f32(vcltq_f32(hi, y1), hi, y1);
    }
    vst1q_f32(static_cast<float*>(c), y0);
    vst1q_f32(static_cast<float*>(c) + 4, y1);
    return;
  }
  const int16x8_t w = vcombine_s16(vmovn_s32(requantize4(y0, t)), vmovn_s32(requantize4(y1, t)));
  vst1_s8(static_cast<int8_t*>(c), vmovn_s16(w));  // the low byte: int8 or uint8 alike
}

/// A row of the tile: the vector epilogue when all 8 columns are stored,
/// else the scalar one (the same values) on the first t.cols.
inline void store_row(int32x4_t dot0, int32x4_t dot1, float a_scale, int32_t a_zp,
                      const TileArgs& t, void* c) {
  if (t.cols == 8) {
    epilogue8(dot0, dot1, a_scale, a_zp, t, c);
    return;
  }
  int32_t tmp[8];
  vst1q_s32(tmp, dot0);
  vst1q_s32(tmp + 4, dot1);
  epilogue_row_scalar(tmp, a_scale, a_zp, t, c);
}

}  // namespace
}  // namespace qgemm
}  // namespace ember
