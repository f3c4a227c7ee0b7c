// AVX2 + FMA + F16C low-bit kernels (-mavx2 -mfma -mf16c only here). A block's 16 columns
// are two ymm halves. dynamic_int8 multiplies u8 activations by s8 weights
// with vpmaddubsw (pairs into int16) and vpmaddwd (pairs into int32): exact
// for int4 weights (|pair| <= 2 * 255 * 15); for int8 weights the activation
// bytes are split into nibbles, u = 16 * hi + lo, so that no int16 pair can
// saturate, and D = 16 * D_hi + D_lo. float32 as in the AVX-512 file.
#include <immintrin.h>

#include "runtime/kernels/optimized/lowbit/kernels.h"

namespace ember {
namespace lowbit {
namespace {

inline __m256i load_b(const Geometry& g, const BlockParts& p, size_t off, size_t half) {
  const int32_t* b = group_b(p, off);
  return b != nullptr ? _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 8 * half))
                      : _mm256_set1_epi32(default_b(g));
}

/// Scales 8 * half .. 8 * half + 7 of a block's scales at `sw`, widened to float32 (exact).
inline __m256 load_scales(const Geometry& g, const uint8_t* sw, size_t half) {
  switch (g.scales) {
    case ScaleFormat::f16:
      return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(sw) + half));
    case ScaleFormat::bf16:
      return _mm256_castsi256_ps(_mm256_slli_epi32(
          _mm256_cvtepu16_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(sw) + half)), 16));
    default:
      return _mm256_load_ps(reinterpret_cast<const float*>(sw) + 8 * half);
  }
}

inline __m256i load32(const uint8_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }

/// Stores y = v (+ bias) for one row of one block (two halves).
inline void store(const LinearArgs& a, size_t row, size_t col, const __m256* v) {
  if (col + kBlock <= a.geo.n) {
    float* out = a.y + row * a.ldy + col;
    for (size_t h = 0; h < 2; ++h) {
      __m256 r = v[h];
      if (a.bias != nullptr) r = _mm256_add_ps(r, _mm256_loadu_ps(a.bias + col + 8 * h));
      _mm256_storeu_ps(out + 8 * h, r);
    }
    return;
  }
  alignas(32) float tile[kBlock];
  _mm256_store_ps(tile, v[0]);
  _mm256_store_ps(tile + 8, v[1]);
  store_row(a, row, col, tile);
}

/// u8 x s8 products of one 4-byte broadcast with 8 lanes of 4 bytes, summed per lane.
inline __m256i dot4(__m256i u, __m256i w) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, w), _mm256_set1_epi16(1));
}

template <int kBits, size_t M>
void dynamic_tile(const LinearArgs& a, size_t row0, size_t bk) {
  const Geometry& g = a.geo;
  const uint8_t* rows[M];
  for (size_t i = 0; i < M; ++i) rows[i] = a.act + (row0 + i) * a.act_stride;
  const BlockParts parts = block_parts(g, a.blocks, bk);
  __m256 facc[M][2];
  for (size_t i = 0; i < M; ++i) facc[i][0] = facc[i][1] = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    const size_t off = gi * g.group_step;
    const uint8_t* chunk = parts.w + off;
    const size_t aoff = gi * g.gp;
    __m256i iacc[M][2];
    for (size_t i = 0; i < M; ++i) iacc[i][0] = iacc[i][1] = _mm256_setzero_si256();
    if (kBits == 4) {
      for (size_t h = 0; h < g.gp / 8; ++h) {
        __m256i lo[2], hi[2];
        for (size_t s = 0; s < 2; ++s) {
          const __m256i w = load32(chunk + 64 * h + 32 * s);
          lo[s] = _mm256_and_si256(w, low4);
          hi[s] = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
        }
        for (size_t i = 0; i < M; ++i) {
          const uint8_t* u = rows[i] + aoff + 8 * h;
          const __m256i u0 = _mm256_set1_epi32(*reinterpret_cast<const int32_t*>(u));
          const __m256i u1 = _mm256_set1_epi32(*reinterpret_cast<const int32_t*>(u + 4));
          for (size_t s = 0; s < 2; ++s) {
            iacc[i][s] = _mm256_add_epi32(iacc[i][s], dot4(u0, lo[s]));
            iacc[i][s] = _mm256_add_epi32(iacc[i][s], dot4(u1, hi[s]));
          }
        }
      }
    } else {
      __m256i hacc[M][2];
      for (size_t i = 0; i < M; ++i) hacc[i][0] = hacc[i][1] = _mm256_setzero_si256();
      for (size_t q = 0; q < g.gp / 4; ++q) {
        const __m256i w0 = load32(chunk + 64 * q);
        const __m256i w1 = load32(chunk + 64 * q + 32);
        for (size_t i = 0; i < M; ++i) {
          const __m256i u =
              _mm256_set1_epi32(*reinterpret_cast<const int32_t*>(rows[i] + aoff + 4 * q));
          const __m256i ul = _mm256_and_si256(u, low4);
          const __m256i uh = _mm256_and_si256(_mm256_srli_epi16(u, 4), low4);
          iacc[i][0] = _mm256_add_epi32(iacc[i][0], dot4(ul, w0));
          iacc[i][1] = _mm256_add_epi32(iacc[i][1], dot4(ul, w1));
          hacc[i][0] = _mm256_add_epi32(hacc[i][0], dot4(uh, w0));
          hacc[i][1] = _mm256_add_epi32(hacc[i][1], dot4(uh, w1));
        }
      }
      for (size_t i = 0; i < M; ++i) {
        for (size_t s = 0; s < 2; ++s) {
          iacc[i][s] = _mm256_add_epi32(iacc[i][s], _mm256_slli_epi32(hacc[i][s], 4));
        }
      }
    }
    // T = D - b * U, then acc += sw * T.
    for (size_t s = 0; s < 2; ++s) {
      const __m256 sw = load_scales(g, parts.sw + off, s);
      const __m256i b = load_b(g, parts, off, s);
      for (size_t i = 0; i < M; ++i) {
        const __m256i usum = _mm256_set1_epi32(act_sums(g, rows[i])[gi]);
        const __m256i t = _mm256_sub_epi32(iacc[i][s], _mm256_mullo_epi32(b, usum));
        facc[i][s] = _mm256_fmadd_ps(sw, _mm256_cvtepi32_ps(t), facc[i][s]);
      }
    }
  }
  // y = sx * (acc - a * Cw).
  const float* cw = parts.cw;
  for (size_t i = 0; i < M; ++i) {
    const __m256 az = _mm256_set1_ps((float)act_zero(g, rows[i]));
    const __m256 sx = _mm256_set1_ps(act_scale(g, rows[i]));
    __m256 out[2];
    for (size_t s = 0; s < 2; ++s) {
      out[s] = _mm256_mul_ps(sx, _mm256_fnmadd_ps(az, _mm256_loadu_ps(cw + 8 * s), facc[i][s]));
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
  __m256 facc[M][2];
  for (size_t i = 0; i < M; ++i) facc[i][0] = facc[i][1] = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    const size_t off = gi * g.group_step;
    const uint8_t* chunk = parts.w + off;
    const __m256i b[2] = {load_b(g, parts, off, 0), load_b(g, parts, off, 1)};
    __m256 gacc[M][2];
    for (size_t i = 0; i < M; ++i) gacc[i][0] = gacc[i][1] = _mm256_setzero_ps();
    for (size_t q = 0; q < (g.group + 3) / 4; ++q) {  // quads with real offsets
      __m256i w[2];
      for (size_t s = 0; s < 2; ++s) {
        if (g.bits == 8) {
          w[s] = load32(chunk + 64 * q + 32 * s);
        } else {
          const __m256i pair = load32(chunk + 64 * (q / 2) + 32 * s);
          w[s] = _mm256_and_si256(q % 2 == 0 ? pair : _mm256_srli_epi16(pair, 4), low4);
        }
      }
      const size_t p0 = gi * g.group + 4 * q;
      const size_t steps = g.group - 4 * q < 4 ? g.group - 4 * q : 4;
      for (size_t t = 0; t < steps; ++t) {
        __m256 wf[2];
        for (size_t s = 0; s < 2; ++s) {
          const __m256i lane =
              g.bits == 8
                  ? _mm256_srai_epi32(_mm256_sllv_epi32(w[s], _mm256_set1_epi32(24 - 8 * (int)t)), 24)
                  : _mm256_and_si256(_mm256_srlv_epi32(w[s], _mm256_set1_epi32(8 * (int)t)),
                                     _mm256_set1_epi32(0xff));
          wf[s] = _mm256_cvtepi32_ps(_mm256_sub_epi32(lane, b[s]));
        }
        for (size_t i = 0; i < M; ++i) {
          const __m256 xv = _mm256_set1_ps(xs[i][p0 + t]);
          gacc[i][0] = _mm256_fmadd_ps(xv, wf[0], gacc[i][0]);
          gacc[i][1] = _mm256_fmadd_ps(xv, wf[1], gacc[i][1]);
        }
      }
    }
    for (size_t s = 0; s < 2; ++s) {
      const __m256 sw = load_scales(g, parts.sw + off, s);
      for (size_t i = 0; i < M; ++i) facc[i][s] = _mm256_fmadd_ps(sw, gacc[i][s], facc[i][s]);
    }
  }
  for (size_t i = 0; i < M; ++i) store(a, row0 + i, bk * kBlock, facc[i]);
}

constexpr size_t kMr = 3;

template <int kBits>
void dynamic_bits(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  for (size_t bk = block0; bk < block0 + blocks; ++bk) {
    for (size_t i = row0; i < row0 + rows;) {
      const size_t m = row0 + rows - i >= kMr ? kMr : row0 + rows - i;
      if (m == 3) dynamic_tile<kBits, 3>(a, i, bk);
      else if (m == 2) dynamic_tile<kBits, 2>(a, i, bk);
      else dynamic_tile<kBits, 1>(a, i, bk);
      i += m;
    }
  }
}

void dynamic_int8(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  if (a.geo.bits == 4) dynamic_bits<4>(a, row0, rows, block0, blocks);
  else dynamic_bits<8>(a, row0, rows, block0, blocks);
}

void float32(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  for (size_t bk = block0; bk < block0 + blocks; ++bk) {
    for (size_t i = row0; i < row0 + rows;) {
      const size_t m = row0 + rows - i >= 4 ? 4 : row0 + rows - i;
      if (m == 4) float_tile<4>(a, i, bk);
      else if (m == 3) float_tile<3>(a, i, bk);
      else if (m == 2) float_tile<2>(a, i, bk);
      else float_tile<1>(a, i, bk);
      i += m;
    }
  }
}

const KernelSet kAvx2 = {Isa::avx2, 128, 3, &dynamic_int8, &float32};

}  // namespace

const KernelSet& avx2_kernels() { return kAvx2; }

}  // namespace lowbit
}  // namespace ember
