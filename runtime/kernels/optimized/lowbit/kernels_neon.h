// AArch64 low-bit kernels, included by kernels_neon.cpp (baseline) and
// kernels_neon_dotprod.cpp (compiled with +dotprod, EMBER_LOWBIT_SDOT=1).
// Activations are s8 (act_shift 0), a block's 16 columns four int32x4
// vectors. The baseline multiplies with vmull_s8 (|product| <= 2^14 fits
// int16) and adds pairs up into int32; sdot adds four s8 x s8 per lane.
// A tile is M <= 2 rows x one block; float32 as in the x86 files.
#pragma once

#include <arm_neon.h>

#include "runtime/kernels/optimized/lowbit/kernels.h"

namespace ember {
namespace lowbit {
namespace EMBER_LOWBIT_NEON_NS {

inline int32x4_t load_b(const Geometry& g, const BlockParts& p, size_t off, size_t s) {
  const int32_t* b = group_b(p, off);
  return b != nullptr ? vld1q_s32(b + 4 * s) : vdupq_n_s32(default_b(g));
}

/// Scales 4 * s .. 4 * s + 3 of a block's scales at `sw`, widened to float32 (exact).
inline float32x4_t load_scales(const Geometry& g, const uint8_t* sw, size_t s) {
  const uint16_t* h = reinterpret_cast<const uint16_t*>(sw) + 4 * s;
  switch (g.scales) {
    case ScaleFormat::f16: return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
    case ScaleFormat::bf16: return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(h), 16));
    default: return vld1q_f32(reinterpret_cast<const float*>(sw) + 4 * s);
  }
}

/// acc[lane] += sum_t w[4 * lane + t] * u[t].
inline int32x4_t dot4(int32x4_t acc, int8x16_t w, int8x16_t u) {
#if EMBER_LOWBIT_SDOT
  return vdotq_s32(acc, w, u);
#else
  const int32x4_t lo = vpaddlq_s16(vmull_s8(vget_low_s8(w), vget_low_s8(u)));
  const int32x4_t hi = vpaddlq_s16(vmull_s8(vget_high_s8(w), vget_high_s8(u)));
  return vaddq_s32(acc, vpaddq_s32(lo, hi));
#endif
}

inline void store(const LinearArgs& a, size_t row, size_t col, const float32x4_t* v) {
  float tile[kBlock];
  for (size_t s = 0; s < 4; ++s) vst1q_f32(tile + 4 * s, v[s]);
  store_row(a, row, col, tile);
}

template <int kBits, size_t M>
void dynamic_tile(const LinearArgs& a, size_t row0, size_t bk) {
  const Geometry& g = a.geo;
  const uint8_t* rows[M];
  for (size_t i = 0; i < M; ++i) rows[i] = a.act + (row0 + i) * a.act_stride;
  const BlockParts parts = block_parts(g, a.blocks, bk);
  float32x4_t facc[M][4];
  for (size_t i = 0; i < M; ++i) {
    for (size_t s = 0; s < 4; ++s) facc[i][s] = vdupq_n_f32(0.0f);
  }
  for (size_t gi = 0; gi < g.groups; ++gi) {
    const size_t off = gi * g.group_step;
    const uint8_t* chunk = parts.w + off;
    const size_t aoff = gi * g.gp;
    int32x4_t iacc[M][4];
    for (size_t i = 0; i < M; ++i) {
      for (size_t s = 0; s < 4; ++s) iacc[i][s] = vdupq_n_s32(0);
    }
    if (kBits == 4) {
      for (size_t h = 0; h < g.gp / 8; ++h) {
        int8x16_t lo[4], hi[4];
        for (size_t s = 0; s < 4; ++s) {
          const uint8x16_t w = vld1q_u8(chunk + 64 * h + 16 * s);
          lo[s] = vreinterpretq_s8_u8(vandq_u8(w, vdupq_n_u8(0x0f)));
          hi[s] = vreinterpretq_s8_u8(vshrq_n_u8(w, 4));
        }
        for (size_t i = 0; i < M; ++i) {
          const uint8_t* u = rows[i] + aoff + 8 * h;
          int32_t u0, u1;
          __builtin_memcpy(&u0, u, 4);
          __builtin_memcpy(&u1, u + 4, 4);
          const int8x16_t v0 = vreinterpretq_s8_s32(vdupq_n_s32(u0));
          const int8x16_t v1 = vreinterpretq_s8_s32(vdupq_n_s32(u1));
          for (size_t s = 0; s < 4; ++s) {
            iacc[i][s] = dot4(iacc[i][s], lo[s], v0);
            iacc[i][s] = dot4(iacc[i][s], hi[s], v1);
          }
        }
      }
    } else {
      for (size_t q = 0; q < g.gp / 4; ++q) {
        int8x16_t w[4];
        for (size_t s = 0; s < 4; ++s) w[s] = vld1q_s8(reinterpret_cast<const int8_t*>(chunk + 64 * q + 16 * s));
        for (size_t i = 0; i < M; ++i) {
          int32_t u0;
          __builtin_memcpy(&u0, rows[i] + aoff + 4 * q, 4);
          const int8x16_t v0 = vreinterpretq_s8_s32(vdupq_n_s32(u0));
          for (size_t s = 0; s < 4; ++s) iacc[i][s] = dot4(iacc[i][s], w[s], v0);
        }
      }
    }
    // T = D - b * U, then acc += sw * T.
    for (size_t s = 0; s < 4; ++s) {
      const float32x4_t sw = load_scales(g, parts.sw + off, s);
      const int32x4_t b = load_b(g, parts, off, s);
      for (size_t i = 0; i < M; ++i) {
        const int32x4_t t = vmlsq_n_s32(iacc[i][s], b, act_sums(g, rows[i])[gi]);
        facc[i][s] = vfmaq_f32(facc[i][s], sw, vcvtq_f32_s32(t));
      }
    }
  }
  // y = sx * (acc - a * Cw).
  const float* cw = parts.cw;
  for (size_t i = 0; i < M; ++i) {
    const float32x4_t az = vdupq_n_f32((float)act_zero(g, rows[i]));
    const float sx = act_scale(g, rows[i]);
    float32x4_t out[4];
    for (size_t s = 0; s < 4; ++s) {
      out[s] = vmulq_n_f32(vfmsq_f32(facc[i][s], az, vld1q_f32(cw + 4 * s)), sx);
    }
    store(a, row0 + i, bk * kBlock, out);
  }
}

template <size_t M>
void float_tile(const LinearArgs& a, size_t row0, size_t bk) {
  const Geometry& g = a.geo;
  const float* xs[M];
  for (size_t i = 0; i < M; ++i) xs[i] = a.x + (row0 + i) * a.ldx;
  const BlockParts parts = block_parts(g, a.blocks, bk);
  float32x4_t facc[M][4];
  for (size_t i = 0; i < M; ++i) {
    for (size_t s = 0; s < 4; ++s) facc[i][s] = vdupq_n_f32(0.0f);
  }
  for (size_t gi = 0; gi < g.groups; ++gi) {
    const size_t off = gi * g.group_step;
    const uint8_t* chunk = parts.w + off;
    int32x4_t b[4];
    float32x4_t gacc[M][4];
    for (size_t s = 0; s < 4; ++s) {
      b[s] = load_b(g, parts, off, s);
      for (size_t i = 0; i < M; ++i) gacc[i][s] = vdupq_n_f32(0.0f);
    }
    for (size_t q = 0; q < (g.group + 3) / 4; ++q) {  // quads with real offsets
      int32x4_t w[4];
      for (size_t s = 0; s < 4; ++s) {
        if (g.bits == 8) {
          w[s] = vld1q_s32(reinterpret_cast<const int32_t*>(chunk + 64 * q + 16 * s));
        } else {
          const uint8x16_t pair = vld1q_u8(chunk + 64 * (q / 2) + 16 * s);
          w[s] = vreinterpretq_s32_u8(q % 2 == 0 ? vandq_u8(pair, vdupq_n_u8(0x0f)) : vshrq_n_u8(pair, 4));
        }
      }
      const size_t p0 = gi * g.group + 4 * q;
      const size_t steps = g.group - 4 * q < 4 ? g.group - 4 * q : 4;
      for (size_t t = 0; t < steps; ++t) {
        float32x4_t wf[4];
        for (size_t s = 0; s < 4; ++s) {
          const int32x4_t lane =
              g.bits == 8 ? vshlq_s32(vshlq_s32(w[s], vdupq_n_s32(24 - 8 * (int)t)), vdupq_n_s32(-24))
                          : vandq_s32(vshlq_s32(w[s], vdupq_n_s32(-8 * (int)t)), vdupq_n_s32(0xff));
          wf[s] = vcvtq_f32_s32(vsubq_s32(lane, b[s]));
        }
        for (size_t i = 0; i < M; ++i) {
          const float32x4_t xv = vdupq_n_f32(xs[i][p0 + t]);
          for (size_t s = 0; s < 4; ++s) gacc[i][s] = vfmaq_f32(gacc[i][s], xv, wf[s]);
        }
      }
    }
    for (size_t s = 0; s < 4; ++s) {
      const float32x4_t sw = load_scales(g, parts.sw + off, s);
      for (size_t i = 0; i < M; ++i) facc[i][s] = vfmaq_f32(facc[i][s], sw, gacc[i][s]);
    }
  }
  for (size_t i = 0; i < M; ++i) store(a, row0 + i, bk * kBlock, facc[i]);
}

template <int kBits>
void dynamic_bits(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  for (size_t bk = block0; bk < block0 + blocks; ++bk) {
    size_t i = row0;
    for (; i + 2 <= row0 + rows; i += 2) dynamic_tile<kBits, 2>(a, i, bk);
    if (i < row0 + rows) dynamic_tile<kBits, 1>(a, i, bk);
  }
}

inline void dynamic_int8(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  if (a.geo.bits == 4) dynamic_bits<4>(a, row0, rows, block0, blocks);
  else dynamic_bits<8>(a, row0, rows, block0, blocks);
}

inline void float32(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  for (size_t bk = block0; bk < block0 + blocks; ++bk) {
    size_t i = row0;
    for (; i + 2 <= row0 + rows; i += 2) float_tile<2>(a, i, bk);
    if (i < row0 + rows) float_tile<1>(a, i, bk);
  }
}

}  // namespace EMBER_LOWBIT_NEON_NS
}  // namespace lowbit
}  // namespace ember
