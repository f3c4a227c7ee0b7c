// Portable C++ low-bit kernels: the reference every other family is tested
// against, and the fallback on CPUs without the vector sets. One row and one
// 16-column block at a time, in the order kernels.h fixes.
#include <cstring>

#include "runtime/kernels/optimized/lowbit/kernels.h"

namespace ember {
namespace lowbit {
namespace {

/// The stored value v of column j at group offset p of a chunk.
inline int32_t stored_value(const Geometry& g, const uint8_t* w, size_t j, size_t p) {
  if (g.bits == 8) return (int8_t)w[(p / 4) * 64 + 4 * j + p % 4];
  const uint8_t byte = w[(p / 8) * 64 + 4 * j + p % 4];
  return (p % 8) < 4 ? (byte & 0x0f) : (byte >> 4);
}

void dynamic_int8(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  const Geometry& g = a.geo;
  for (size_t i = row0; i < row0 + rows; ++i) {
    const uint8_t* row = a.act + i * a.act_stride;
    const int32_t* usum = act_sums(g, row);
    const int32_t az = act_zero(g, row);
    const float sx = act_scale(g, row);
    for (size_t bk = block0; bk < block0 + blocks; ++bk) {
      float acc[kBlock] = {};
      const BlockParts parts = block_parts(g, a.blocks, bk);
      for (size_t gi = 0; gi < g.groups; ++gi) {
        const size_t off = gi * g.group_step;
        const uint8_t* chunk = parts.w + off;
        const int8_t* u = reinterpret_cast<const int8_t*>(row + gi * g.gp);
        const int32_t* b = group_b(parts, off);
        for (size_t j = 0; j < kBlock; ++j) {
          uint32_t d = 0;  // wraps like the vector kernels
          for (size_t p = 0; p < g.gp; ++p) d += (uint32_t)((int32_t)u[p] * stored_value(g, chunk, j, p));
          const int32_t bj = b != nullptr ? b[j] : default_b(g);
          const uint32_t t = d - (uint32_t)bj * (uint32_t)usum[gi];
          acc[j] += scale_at(g, parts.sw + off, j) * (float)(int32_t)t;
        }
      }
      // y = sx * (acc - a * Cw).
      const float* cw = parts.cw;
      float out[kBlock];
      for (size_t j = 0; j < kBlock; ++j) out[j] = sx * (acc[j] - (float)az * cw[j]);
      store_row(a, i, bk * kBlock, out);
    }
  }
}

void float32(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  const Geometry& g = a.geo;
  for (size_t i = row0; i < row0 + rows; ++i) {
    const float* x = a.x + i * a.ldx;
    for (size_t bk = block0; bk < block0 + blocks; ++bk) {
      float acc[kBlock] = {};
      const BlockParts parts = block_parts(g, a.blocks, bk);
      for (size_t gi = 0; gi < g.groups; ++gi) {
        const size_t off = gi * g.group_step;
        const uint8_t* chunk = parts.w + off;
        const float* xg = x + gi * g.group;
        const int32_t* b = group_b(parts, off);
        for (size_t j = 0; j < kBlock; ++j) {
          const int32_t bj = b != nullptr ? b[j] : default_b(g);
          float part = 0.0f;
          for (size_t p = 0; p < g.group; ++p) part += xg[p] * (float)(stored_value(g, chunk, j, p) - bj);
          acc[j] += scale_at(g, parts.sw + off, j) * part;
        }
      }
      store_row(a, i, bk * kBlock, acc);
    }
  }
}

// The generic kernels read activations as s8 (act_shift 0).
const KernelSet kGeneric = {Isa::generic, 0, 4, &dynamic_int8, &float32};

}  // namespace

const KernelSet& generic_kernels() { return kGeneric; }

}  // namespace lowbit
}  // namespace ember
