// AVX-512 VNNI low-bit kernels (-mavx512f -mavx512bw -mavx512vl
// -mavx512vnni only here; cpu_dot.cpp runs them only on CPUs with all four).
//
// dynamic_int8: activations are u8 (xq + 128), weights s8 (int4 unpacked
// from nibbles in registers: one 64-byte load gives two depth quads), and
// vpdpbusd adds four u8 x s8 products per int32 lane; a tile is M <= 4 rows
// x NV <= 2 blocks (M * NV int32 and as many float accumulators), one row x
// 4 blocks for a GEMV. float32: the weights are widened to float per depth
// step and multiplied into M x NV float accumulators per group.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_* as unused merge
// sources, which -Wmaybe-uninitialized reports at every use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "runtime/kernels/optimized/lowbit/kernels.h"

namespace ember {
namespace lowbit {
namespace {

inline __m512i load_b(const Geometry& g, const uint8_t* chunk) {
  const int32_t* b = chunk_b(g, chunk);
  return b != nullptr ? _mm512_loadu_si512(b) : _mm512_set1_epi32(default_b(g));
}

inline __mmask16 column_mask(const Geometry& g, size_t col) {
  const size_t cols = g.n - col < kBlock ? g.n - col : kBlock;
  return (__mmask16)((1u << cols) - 1u);
}

/// Stores y = sx * acc (+ bias) for one row of one block.
inline void store(const LinearArgs& a, size_t row, size_t col, __m512 acc) {
  const __mmask16 mask = column_mask(a.geo, col);
  __m512 v = acc;
  if (a.bias != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, a.bias + col));
  _mm512_mask_storeu_ps(a.y + row * a.ldy + col, mask, v);
}

template <int kBits, size_t M, size_t NV>
void dynamic_tile(const LinearArgs& a, size_t row0, size_t bk) {
  const Geometry& g = a.geo;
  const uint8_t* rows[M];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) rows[i] = a.act + (row0 + i) * a.act_stride;
  const uint8_t* chunks[NV];
#pragma GCC unroll 4
  for (size_t v = 0; v < NV; ++v) chunks[v] = a.blocks + (bk + v) * g.block_stride;
  __m512 facc[M][NV];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) facc[i][v] = _mm512_setzero_ps();
  }
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    __m512i iacc[M][NV];
#pragma GCC unroll 4
    for (size_t i = 0; i < M; ++i) {
#pragma GCC unroll 4
      for (size_t v = 0; v < NV; ++v) iacc[i][v] = _mm512_setzero_si512();
    }
    const size_t off = gi * g.group_stride;
    const size_t aoff = gi * g.gp;
    if (kBits == 4) {
      for (size_t h = 0; h < g.gp / 8; ++h) {
        __m512i lo[NV], hi[NV];
#pragma GCC unroll 4
        for (size_t v = 0; v < NV; ++v) {
          const __m512i w = _mm512_load_si512(chunks[v] + off + 64 * h);
          lo[v] = _mm512_and_si512(w, low4);
          hi[v] = _mm512_and_si512(_mm512_srli_epi16(w, 4), low4);
        }
#pragma GCC unroll 4
        for (size_t i = 0; i < M; ++i) {
          const uint8_t* u = rows[i] + aoff + 8 * h;
          const __m512i u0 = _mm512_set1_epi32(*reinterpret_cast<const int32_t*>(u));
          const __m512i u1 = _mm512_set1_epi32(*reinterpret_cast<const int32_t*>(u + 4));
#pragma GCC unroll 4
          for (size_t v = 0; v < NV; ++v) {
            iacc[i][v] = _mm512_dpbusd_epi32(iacc[i][v], u0, lo[v]);
            iacc[i][v] = _mm512_dpbusd_epi32(iacc[i][v], u1, hi[v]);
          }
        }
      }
    } else {
      for (size_t q = 0; q < g.gp / 4; ++q) {
        __m512i w[NV];
#pragma GCC unroll 4
        for (size_t v = 0; v < NV; ++v) w[v] = _mm512_load_si512(chunks[v] + off + 64 * q);
#pragma GCC unroll 4
        for (size_t i = 0; i < M; ++i) {
          const __m512i u =
              _mm512_set1_epi32(*reinterpret_cast<const int32_t*>(rows[i] + aoff + 4 * q));
#pragma GCC unroll 4
          for (size_t v = 0; v < NV; ++v) iacc[i][v] = _mm512_dpbusd_epi32(iacc[i][v], u, w[v]);
        }
      }
    }
    // S = D - b * U - a * c, then acc += sw * S.
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) {
      const uint8_t* chunk = chunks[v] + off;
      const __m512 sw = _mm512_loadu_ps(chunk_scales(g, chunk));
      const __m512i c = _mm512_loadu_si512(chunk_c(g, chunk));
      const __m512i b = load_b(g, chunk);
#pragma GCC unroll 4
      for (size_t i = 0; i < M; ++i) {
        const __m512i usum = _mm512_set1_epi32(act_sums(g, rows[i])[gi]);
        const __m512i az = _mm512_set1_epi32(act_zero(g, rows[i]));
        __m512i s = _mm512_sub_epi32(iacc[i][v], _mm512_mullo_epi32(b, usum));
        s = _mm512_sub_epi32(s, _mm512_mullo_epi32(az, c));
        facc[i][v] = _mm512_fmadd_ps(sw, _mm512_cvtepi32_ps(s), facc[i][v]);
      }
    }
  }
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) {
    const __m512 sx = _mm512_set1_ps(act_scale(g, rows[i]));
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) store(a, row0 + i, (bk + v) * kBlock, _mm512_mul_ps(sx, facc[i][v]));
  }
}

template <size_t M, size_t NV>
void float_tile(const LinearArgs& a, size_t row0, size_t bk) {
  const Geometry& g = a.geo;
  const float* xs[M];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) xs[i] = a.x + (row0 + i) * a.ldx;
  const uint8_t* chunks[NV];
#pragma GCC unroll 4
  for (size_t v = 0; v < NV; ++v) chunks[v] = a.blocks + (bk + v) * g.block_stride;
  __m512 facc[M][NV];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) facc[i][v] = _mm512_setzero_ps();
  }
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    const size_t off = gi * g.group_stride;
    __m512 gacc[M][NV];
    __m512i b[NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) {
      b[v] = load_b(g, chunks[v] + off);
#pragma GCC unroll 4
      for (size_t i = 0; i < M; ++i) gacc[i][v] = _mm512_setzero_ps();
    }
    for (size_t q = 0; q < (g.group + 3) / 4; ++q) {  // quads with real offsets
      __m512i w[NV];  // 16 columns x 4 depth steps of stored bytes
#pragma GCC unroll 4
      for (size_t v = 0; v < NV; ++v) {
        if (g.bits == 8) {
          w[v] = _mm512_load_si512(chunks[v] + off + 64 * q);
        } else {
          const __m512i pair = _mm512_load_si512(chunks[v] + off + 64 * (q / 2));
          w[v] = _mm512_and_si512(q % 2 == 0 ? pair : _mm512_srli_epi16(pair, 4), low4);
        }
      }
      const size_t p0 = gi * g.group + 4 * q;
      const size_t steps = g.group - 4 * q < 4 ? g.group - 4 * q : 4;
      for (size_t t = 0; t < steps; ++t) {
        __m512 wf[NV];
#pragma GCC unroll 4
        for (size_t v = 0; v < NV; ++v) {
          // Byte t of each lane, sign-extended (int8) or not (int4 nibbles), minus b.
          const __m512i lane = g.bits == 8
                                   ? _mm512_srai_epi32(_mm512_sllv_epi32(w[v], _mm512_set1_epi32(24 - 8 * (int)t)), 24)
                                   : _mm512_and_si512(_mm512_srlv_epi32(w[v], _mm512_set1_epi32(8 * (int)t)),
                                                      _mm512_set1_epi32(0xff));
          wf[v] = _mm512_cvtepi32_ps(_mm512_sub_epi32(lane, b[v]));
        }
#pragma GCC unroll 4
        for (size_t i = 0; i < M; ++i) {
          const __m512 xv = _mm512_set1_ps(xs[i][p0 + t]);
#pragma GCC unroll 4
          for (size_t v = 0; v < NV; ++v) gacc[i][v] = _mm512_fmadd_ps(xv, wf[v], gacc[i][v]);
        }
      }
    }
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) {
      const __m512 sw = _mm512_loadu_ps(chunk_scales(g, chunks[v] + off));
#pragma GCC unroll 4
      for (size_t i = 0; i < M; ++i) facc[i][v] = _mm512_fmadd_ps(sw, gacc[i][v], facc[i][v]);
    }
  }
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) store(a, row0 + i, (bk + v) * kBlock, facc[i][v]);
  }
}

/// Walks the range in tiles: NV blocks (fewer at the end) x M rows (fewer at the end).
template <size_t MR, size_t NVMAX, typename Tile>
void walk(size_t row0, size_t rows, size_t block0, size_t blocks, Tile tile) {
  for (size_t bk = block0; bk < block0 + blocks;) {
    const size_t nv = block0 + blocks - bk >= NVMAX ? NVMAX : 1;
    for (size_t i = row0; i < row0 + rows;) {
      const size_t m = row0 + rows - i >= MR ? MR : row0 + rows - i;
      tile(m, nv, i, bk);
      i += m;
    }
    bk += nv;
  }
}

template <int kBits, size_t M>
void dynamic_rows(const LinearArgs& a, size_t nv, size_t i, size_t bk) {
  if (nv == 4) dynamic_tile<kBits, M, 4>(a, i, bk);
  else if (nv == 2) dynamic_tile<kBits, M, 2>(a, i, bk);
  else dynamic_tile<kBits, M, 1>(a, i, bk);
}

template <int kBits>
void dynamic_bits(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  auto tile = [&a](size_t m, size_t nv, size_t i, size_t bk) {
    switch (m) {
      case 1: dynamic_rows<kBits, 1>(a, nv, i, bk); break;
      case 2: dynamic_rows<kBits, 2>(a, nv, i, bk); break;
      case 3: dynamic_rows<kBits, 3>(a, nv, i, bk); break;
      default: dynamic_rows<kBits, 4>(a, nv, i, bk); break;
    }
  };
  if (rows == 1) walk<1, 4>(row0, rows, block0, blocks, tile);
  else walk<4, 2>(row0, rows, block0, blocks, tile);
}

void dynamic_int8(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  if (a.geo.bits == 4) dynamic_bits<4>(a, row0, rows, block0, blocks);
  else dynamic_bits<8>(a, row0, rows, block0, blocks);
}

template <size_t M>
void float_rows(const LinearArgs& a, size_t nv, size_t i, size_t bk) {
  if (nv == 4) float_tile<M, 4>(a, i, bk);
  else if (nv == 2) float_tile<M, 2>(a, i, bk);
  else float_tile<M, 1>(a, i, bk);
}

void float32(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  auto tile = [&a](size_t m, size_t nv, size_t i, size_t bk) {
    switch (m) {
      case 1: float_rows<1>(a, nv, i, bk); break;
      case 2: float_rows<2>(a, nv, i, bk); break;
      case 3: float_rows<3>(a, nv, i, bk); break;
      case 4: float_rows<4>(a, nv, i, bk); break;
      case 5: float_rows<5>(a, nv, i, bk); break;
      default: float_rows<6>(a, nv, i, bk); break;
    }
  };
  if (rows == 1) walk<1, 4>(row0, rows, block0, blocks, tile);
  else walk<6, 2>(row0, rows, block0, blocks, tile);
}

const KernelSet kAvx512Vnni = {Isa::avx512_vnni, 128, 4, &dynamic_int8, &float32};

}  // namespace

const KernelSet& avx512_vnni_kernels() { return kAvx512Vnni; }

}  // namespace lowbit
}  // namespace ember
