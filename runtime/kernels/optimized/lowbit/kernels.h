// The contract between the low-bit driver (lowbit.cpp) and the per-family
// kernels (kernels_<isa>.cpp, each compiled with only its flags).
//
// Packed weight (after a 64-byte header): blocks of kBlock = 16 columns,
// kPanel = 4 blocks to a panel, panel_stride bytes apart (the last panel is
// padded with zero blocks). A panel interleaves its blocks group by group,
// so that a pass over all its columns reads one stream: per group, a slice
// of group_step bytes holding
//   weights  kPanel chunks of weight_bytes, block after block:
//            int8: Gp / 4 quads of 64 bytes; byte 4 * j + t of quad q is
//                  W_q[col j, group offset 4q + t] (int8)
//            int4: Gp / 8 pairs of 64 bytes; byte 4 * j + t of pair h holds
//                  v(col j, offset 8h + t) in its low nibble and
//                  v(col j, offset 8h + 4 + t) in its high nibble, v = W_q + 8
//   sw       kPanel x 16 scales, the group's scale per column, as the weight
//            stored them: f32 (64 bytes a block) or f16 / bf16 (32 bytes a
//            block; widened exactly to f32 when read)
//   b        (only with zero points) kPanel x i32[16], the stored value's
//            zero: zp (+ 8 for int4)
// and after the groups, kPanel x f32[16]: Cw per column,
//   Cw = sum_g sw_g * c_g,  c_g = sum_p v_p - G * b = sum_p (W_q - zp)
// summed over the groups in order in double (each product is exact there: a
// 24-bit scale times |c_g| <= G * 255 < 2^23), then rounded once to float.
// block_parts() gives a block's addresses at group 0; group gi's are
// gi * group_step further. Every part is 64-byte aligned but a 16-bit
// block's scales (32). Gp = G rounded up to 8; offsets >= G, columns >= n
// and padding blocks hold 0 (scale 0).
// Without zero points b is 8 for int4 and 0 for int8. Zero points that are all
// 0 (torchao's symmetric weights carry them) pack as none.
//
// Quantized activation rows (dynamic_int8), act_stride bytes apart: Gp bytes
// per group (xq + act_shift, offsets >= G hold 0), then U i32[groups] (the
// sums of those bytes per group), then sx f32 and a i32 (= zx + act_shift).
// Per group the exact integer product is
//   S = sum_p (xq_p - zx) (W_q - zp) = T - a * c,  T = D - b * U,  D = sum_p u_p v_p
// and a does not depend on the group, so a kernel forms only T per group, in
// int32 (|T| = |sum_p u_p (W_q - zp)| <= G * 255 * 255 < 2^31; wrap-around in
// D and b * U is harmless), and each output is
//   y = sx * (sum_g (sw_g * T_g) - a * Cw) (+ bias),
// the groups in order, then a * Cw subtracted, then the product with sx;
// every family computes an element the same way whatever the tile, so results
// do not depend on how the driver splits the work.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "runtime/core/half.h"
#include "runtime/kernels/optimized/lowbit/lowbit.h"

namespace ember {
namespace lowbit {

constexpr size_t kBlock = 16;
constexpr size_t kPanel = 4;

/// One packed weight's geometry (read from its header).
struct Geometry {
  size_t n, k, group, groups, gp;  ///< gp: the group padded to 8
  int bits;
  bool has_zp;
  ScaleFormat scales;   ///< how the chunks store sw
  size_t weight_bytes;  ///< per block and group
  size_t scale_bytes;   ///< per block and group: 64 (f32) or 32 (16-bit)
  size_t group_step;    ///< a panel's bytes per group: kPanel * (weights + sw (+ b))
  size_t panel_stride;  ///< groups * group_step + kPanel * 64 (Cw)
};

/// Where one block's parts lie at group 0 (add gi * group_step for group gi).
struct BlockParts {
  const uint8_t* w;   ///< its weight chunk
  const uint8_t* sw;  ///< its 16 scales
  const int32_t* b;   ///< its 16 zeros, or nullptr without zero points (then default_b())
  const float* cw;    ///< its 16 Cw (once, after the groups)
};

inline BlockParts block_parts(const Geometry& g, const uint8_t* blocks, size_t block) {
  const uint8_t* panel = blocks + (block / kPanel) * g.panel_stride;
  const size_t lane = block % kPanel;
  const uint8_t* scales = panel + kPanel * g.weight_bytes;
  const uint8_t* zeros = scales + kPanel * g.scale_bytes;
  return BlockParts{panel + lane * g.weight_bytes, scales + lane * g.scale_bytes,
                    g.has_zp ? reinterpret_cast<const int32_t*>(zeros + lane * 64) : nullptr,
                    reinterpret_cast<const float*>(panel + g.groups * g.group_step + lane * 64)};
}

/// The zeros of a block at byte offset `off` (a group's), nullptr without zero points.
inline const int32_t* group_b(const BlockParts& p, size_t off) {
  return p.b != nullptr ? reinterpret_cast<const int32_t*>(
                              reinterpret_cast<const uint8_t*>(p.b) + off)
                        : nullptr;
}

/// Scale i of scales stored as `format`, widened to float (exact).
inline float widen_scale(ScaleFormat format, const void* scales, size_t i) {
  const uint16_t* h = static_cast<const uint16_t*>(scales);
  switch (format) {
    case ScaleFormat::f16: return Half::to_float(h[i]);
    case ScaleFormat::bf16: return BFloat16::to_float(h[i]);
    default: return static_cast<const float*>(scales)[i];
  }
}

/// Scale j (< 16) of a block's scales at `sw`, widened to float (exact).
inline float scale_at(const Geometry& g, const uint8_t* sw, size_t j) {
  return widen_scale(g.scales, sw, j);
}

/// A linear call's operands as the kernels see them.
struct LinearArgs {
  Geometry geo;
  const uint8_t* blocks;  ///< the first block (64-byte aligned)
  // dynamic_int8
  const uint8_t* act;     ///< quantized rows
  size_t act_stride;
  // float32
  const float* x;
  size_t ldx;
  const float* bias;  ///< n floats or nullptr
  float* y;
  size_t ldy;
};

/// Computes y for rows [row0, row0 + rows) and column blocks
/// [block0, block0 + blocks), storing only columns < n.
using LinearKernel = void (*)(const LinearArgs& args, size_t row0, size_t rows, size_t block0,
                              size_t blocks);

/// Quantizes one row of x (geo.k floats) into `row`, the activation layout
/// above with act_shift added, bit for bit as quantize_row() does.
using QuantizeKernel = void (*)(const Geometry& geo, const float* x, uint8_t* row);

struct KernelSet {
  Isa isa;
  int act_shift;  ///< 128: activations stored as u8 (x86); 0: as s8
  size_t mr;      ///< rows the kernels prefer per call (work split granule)
  LinearKernel dynamic_int8;
  LinearKernel float32;
  QuantizeKernel quantize = nullptr;  ///< nullptr: the driver's scalar loop
};

/// The family of `isa` or nullptr when this build has none (cpu_dot.cpp).
const KernelSet* kernels_for(Isa isa);
/// Whether this CPU has `isa`'s instructions (cpu_dot.cpp).
bool cpu_has(Isa isa);

const KernelSet& generic_kernels();
#if defined(__x86_64__)
const KernelSet& avx2_kernels();
const KernelSet& avx512_vnni_kernels();
#endif
#if defined(__aarch64__)
const KernelSet& neon_kernels();
const KernelSet& neon_dotprod_kernels();
#endif

/// torchao's choose_qparams_affine (ASYMMETRIC, int8, eps=None) from a row's
/// minimum and maximum, in float32 like torch: shared by quantize_row() and
/// the vector quantizers so that they agree bit for bit.
inline void row_qparams(float lo, float hi, float* scale, int32_t* zero_point) {
  // std::min / std::max's comparisons, spelled out (this header has no <algorithm>).
  const float min_neg = 0.0f < lo ? 0.0f : lo;
  const float max_pos = hi < 0.0f ? 0.0f : hi;
  float s = (max_pos - min_neg) / 255.0f;
  s = s < 1.17549435e-38f ? 1.17549435e-38f : s;  // eps=None: finfo(float32).smallest_normal
  float zp = -128.0f - std::nearbyint(min_neg / s);
  zp = -128.0f < zp ? zp : -128.0f;
  zp = zp < 127.0f ? zp : 127.0f;
  *scale = s;
  *zero_point = (int32_t)zp;
}

// ---- Chunk accessors (shared by every family) ------------------------------

inline int32_t default_b(const Geometry& g) { return g.bits == 4 ? 8 : 0; }

/// A quantized activation row's parts.
inline const int32_t* act_sums(const Geometry& g, const uint8_t* row) {
  return reinterpret_cast<const int32_t*>(row + g.groups * g.gp);
}
inline float act_scale(const Geometry& g, const uint8_t* row) {
  return reinterpret_cast<const float*>(row + g.groups * g.gp + 4 * g.groups)[0];
}
inline int32_t act_zero(const Geometry& g, const uint8_t* row) {
  return reinterpret_cast<const int32_t*>(row + g.groups * g.gp + 4 * g.groups)[1];
}

/// Stores a 16-column tile row `v` (columns from `col`) to y, adding bias, up to n.
inline void store_row(const LinearArgs& a, size_t row, size_t col, const float* v) {
  float* out = a.y + row * a.ldy + col;
  const size_t cols = a.geo.n - col < kBlock ? a.geo.n - col : kBlock;
  if (a.bias != nullptr) {
    for (size_t j = 0; j < cols; ++j) out[j] = v[j] + a.bias[col + j];
  } else {
    for (size_t j = 0; j < cols; ++j) out[j] = v[j];
  }
}

}  // namespace lowbit
}  // namespace ember
