// AVX-512 VNNI low-bit kernels (-mavx512f -mavx512bw -mavx512vl
// -mavx512vnni only here; cpu_dot.cpp runs them only on CPUs with all four).
//
// dynamic_int8: activations are u8 (xq + 128), weights s8 (int4 unpacked
// from nibbles in registers: one 64-byte load gives two depth quads), and
// vpdpbusd adds four u8 x s8 products per int32 lane; a tile is M <= 4 rows
// x NV <= 2 blocks (M * NV int32 and as many float accumulators), one row x
// 4 blocks for a GEMV. Per group a tile forms T = D - b U (no vpmulld at all
// without zero points: the sums start at -b U) and adds sw * T; the
// activation zero's part, a Cw, is one FMA per tile row and block at the end.
// The 8da4w case (int4, G = 32, no zero points) has its own instantiation
// with the depth loop unrolled. Rows are quantized here too
// (quantize(), 16 values a step). float32: the weights are widened to float
// per depth step and multiplied into M x NV float accumulators per group.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_* as unused merge
// sources, which -Wmaybe-uninitialized reports at every use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <cstring>

#include "runtime/kernels/optimized/lowbit/kernels.h"

namespace ember {
namespace lowbit {
namespace {

/// How far ahead of a one-row pass over a panel the kernel prefetches: about
/// 3.5 group slices of an 8da4w panel. A 134M Llama's 768 x 32000 and a 1B's
/// 2048 x 2048 decode from DRAM (bench/lowbit_bench.cpp's _x cases) ran 1.5x
/// faster with it at 1 thread, and slower at 16 KB.
constexpr size_t kPrefetch = 4096;

inline __m512i load_b(const Geometry& g, const BlockParts& p, size_t off) {
  const int32_t* b = group_b(p, off);
  return b != nullptr ? _mm512_load_si512(b) : _mm512_set1_epi32(default_b(g));
}

/// A block's 16 scales at `sw`, widened to float32 (exact).
inline __m512 load_scales(const Geometry& g, const uint8_t* sw) {
  switch (g.scales) {
    case ScaleFormat::f16:
      return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(sw)));
    case ScaleFormat::bf16:
      return _mm512_castsi512_ps(_mm512_slli_epi32(
          _mm512_cvtepu16_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(sw))), 16));
    default:
      return _mm512_load_ps(reinterpret_cast<const float*>(sw));
  }
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

/// One tile: rows [row0, row0 + M) x blocks [bk, bk + NV). kGp: 0, or the
/// padded group size of a weight without zero points (the common 8da4w case,
/// G = 32), fixed so that the depth loop unrolls.
template <int kBits, size_t kGp, size_t M, size_t NV>
void dynamic_tile(const LinearArgs& a, size_t row0, size_t bk) {
  const Geometry& g = a.geo;
  const size_t gp = kGp != 0 ? kGp : g.gp;
  const bool has_zp = kGp != 0 ? false : g.has_zp;
  const uint8_t* rows[M];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) rows[i] = a.act + (row0 + i) * a.act_stride;
  BlockParts parts[NV];
#pragma GCC unroll 4
  for (size_t v = 0; v < NV; ++v) parts[v] = block_parts(g, a.blocks, bk + v);
  __m512 facc[M][NV];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) facc[i][v] = _mm512_setzero_ps();
  }
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const int32_t b0 = default_b(g);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    // Without zero points b is one constant: the integer sums start at -b * U.
    __m512i iacc[M][NV];
#pragma GCC unroll 4
    for (size_t i = 0; i < M; ++i) {
      const __m512i init = has_zp ? _mm512_setzero_si512()
                                    : _mm512_set1_epi32(-b0 * act_sums(g, rows[i])[gi]);
#pragma GCC unroll 4
      for (size_t v = 0; v < NV; ++v) iacc[i][v] = init;
    }
    // One row: the high nibbles in accumulators of their own, two dependency
    // chains per column block instead of one.
    __m512i iacc2[NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) iacc2[v] = _mm512_setzero_si512();
    const size_t off = gi * g.group_step;
    const size_t aoff = gi * gp;
    // One row over a whole panel reads one stream: fetch kPrefetch bytes ahead.
    if (M == 1 && NV == kPanel) {
      const uint8_t* ahead = parts[0].w + off + kPrefetch;
      for (size_t l = 0; l < g.group_step; l += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(ahead + l), _MM_HINT_T0);
      }
    }
    if (kBits == 4) {
#pragma GCC unroll 8
      for (size_t h = 0; h < gp / 8; ++h) {
        __m512i lo[NV], hi[NV];
#pragma GCC unroll 4
        for (size_t v = 0; v < NV; ++v) {
          const __m512i w = _mm512_load_si512(parts[v].w + off + 64 * h);
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
            if (M == 1) {
              iacc2[v] = _mm512_dpbusd_epi32(iacc2[v], u1, hi[v]);
            } else {
              iacc[i][v] = _mm512_dpbusd_epi32(iacc[i][v], u1, hi[v]);
            }
          }
        }
      }
    } else {
      for (size_t q = 0; q < gp / 4; ++q) {
        __m512i w[NV];
#pragma GCC unroll 4
        for (size_t v = 0; v < NV; ++v) w[v] = _mm512_load_si512(parts[v].w + off + 64 * q);
#pragma GCC unroll 4
        for (size_t i = 0; i < M; ++i) {
          const __m512i u =
              _mm512_set1_epi32(*reinterpret_cast<const int32_t*>(rows[i] + aoff + 4 * q));
#pragma GCC unroll 4
          for (size_t v = 0; v < NV; ++v) iacc[i][v] = _mm512_dpbusd_epi32(iacc[i][v], u, w[v]);
        }
      }
    }
    // T = D - b * U, then acc += sw * T.
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) {
      const __m512 sw = load_scales(g, parts[v].sw + off);
      const __m512i b = load_b(g, parts[v], off);
#pragma GCC unroll 4
      for (size_t i = 0; i < M; ++i) {
        __m512i t = M == 1 && kBits == 4 ? _mm512_add_epi32(iacc[i][v], iacc2[v]) : iacc[i][v];
        if (has_zp) {
          const __m512i usum = _mm512_set1_epi32(act_sums(g, rows[i])[gi]);
          t = _mm512_sub_epi32(t, _mm512_mullo_epi32(b, usum));
        }
        facc[i][v] = _mm512_fmadd_ps(sw, _mm512_cvtepi32_ps(t), facc[i][v]);
      }
    }
  }
  // y = sx * (acc - a * Cw).
#pragma GCC unroll 4
  for (size_t v = 0; v < NV; ++v) {
    const __m512 cw = _mm512_load_ps(parts[v].cw);
#pragma GCC unroll 4
    for (size_t i = 0; i < M; ++i) {
      const __m512 az = _mm512_set1_ps((float)act_zero(g, rows[i]));
      const __m512 sx = _mm512_set1_ps(act_scale(g, rows[i]));
      const __m512 r = _mm512_fnmadd_ps(az, cw, facc[i][v]);
      store(a, row0 + i, (bk + v) * kBlock, _mm512_mul_ps(sx, r));
    }
  }
}

template <size_t M, size_t NV>
void float_tile(const LinearArgs& a, size_t row0, size_t bk) {
  const Geometry& g = a.geo;
  const float* xs[M];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) xs[i] = a.x + (row0 + i) * a.ldx;
  BlockParts parts[NV];
#pragma GCC unroll 4
  for (size_t v = 0; v < NV; ++v) parts[v] = block_parts(g, a.blocks, bk + v);
  __m512 facc[M][NV];
#pragma GCC unroll 4
  for (size_t i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) facc[i][v] = _mm512_setzero_ps();
  }
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    const size_t off = gi * g.group_step;
    __m512 gacc[M][NV];
    __m512i b[NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) {
      b[v] = load_b(g, parts[v], off);
#pragma GCC unroll 4
      for (size_t i = 0; i < M; ++i) gacc[i][v] = _mm512_setzero_ps();
    }
    for (size_t q = 0; q < (g.group + 3) / 4; ++q) {  // quads with real offsets
      __m512i w[NV];  // 16 columns x 4 depth steps of stored bytes
#pragma GCC unroll 4
      for (size_t v = 0; v < NV; ++v) {
        if (g.bits == 8) {
          w[v] = _mm512_load_si512(parts[v].w + off + 64 * q);
        } else {
          const __m512i pair = _mm512_load_si512(parts[v].w + off + 64 * (q / 2));
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
      const __m512 sw = load_scales(g, parts[v].sw + off);
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

template <int kBits, size_t kGp, size_t M>
void dynamic_rows(const LinearArgs& a, size_t nv, size_t i, size_t bk) {
  if (nv == 4) dynamic_tile<kBits, kGp, M, 4>(a, i, bk);
  else if (nv == 2) dynamic_tile<kBits, kGp, M, 2>(a, i, bk);
  else dynamic_tile<kBits, kGp, M, 1>(a, i, bk);
}

template <int kBits, size_t kGp>
void dynamic_bits(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  auto tile = [&a](size_t m, size_t nv, size_t i, size_t bk) {
    switch (m) {
      case 1: dynamic_rows<kBits, kGp, 1>(a, nv, i, bk); break;
      case 2: dynamic_rows<kBits, kGp, 2>(a, nv, i, bk); break;
      case 3: dynamic_rows<kBits, kGp, 3>(a, nv, i, bk); break;
      default: dynamic_rows<kBits, kGp, 4>(a, nv, i, bk); break;
    }
  };
  if (rows == 1) walk<1, 4>(row0, rows, block0, blocks, tile);
  else walk<4, 2>(row0, rows, block0, blocks, tile);
}

void dynamic_int8(const LinearArgs& a, size_t row0, size_t rows, size_t block0, size_t blocks) {
  const Geometry& g = a.geo;
  if (g.bits == 8) dynamic_bits<8, 0>(a, row0, rows, block0, blocks);
  else if (!g.has_zp && g.gp == 32) dynamic_bits<4, 32>(a, row0, rows, block0, blocks);
  else dynamic_bits<4, 0>(a, row0, rows, block0, blocks);
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

/// The activation layout of kernels.h for one row, 16 values a step: the same
/// float operations as the driver's quantize_value() (x * inv, clamp to
/// +-512, round half to even by adding and subtracting 1.5 * 2^23, + zp,
/// clamp to the int8 range), so the bytes are quantize_row()'s plus 128.
void quantize(const Geometry& g, const float* x, uint8_t* row) {
  // 1. The row's minimum and maximum (masked lanes hold x[0]).
  __m512 lo = _mm512_set1_ps(x[0]), hi = lo;
  for (size_t p = 0; p < g.k; p += 16) {
    const __mmask16 m = g.k - p >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (g.k - p)) - 1u);
    const __m512 v = _mm512_mask_loadu_ps(lo, m, x + p);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, _mm512_mask_loadu_ps(hi, m, x + p));
  }
  float scale;
  int32_t zp;
  row_qparams(_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), &scale, &zp);
  // 2. Per group: the bytes (+ 128), zero padding to gp, and their sum.
  const __m512 inv = _mm512_set1_ps(1.0f / scale);
  const __m512 zpf = _mm512_set1_ps((float)zp);
  const __m512 lim = _mm512_set1_ps(512.0f), magic = _mm512_set1_ps(12582912.0f);
  const __m512 qmin = _mm512_set1_ps(-128.0f), qmax = _mm512_set1_ps(127.0f);
  const __m512i shift = _mm512_set1_epi32(128);
  int32_t* sums = reinterpret_cast<int32_t*>(row + g.groups * g.gp);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    const float* xg = x + gi * g.group;
    uint8_t* q = row + gi * g.gp;
    __m512i sum = _mm512_setzero_si512();
    for (size_t p = 0; p < g.group; p += 16) {
      const __mmask16 m =
          g.group - p >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (g.group - p)) - 1u);
      __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, xg + p), inv);
      v = _mm512_min_ps(_mm512_max_ps(v, _mm512_sub_ps(_mm512_setzero_ps(), lim)), lim);
      v = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(v, magic), magic), zpf);
      v = _mm512_min_ps(_mm512_max_ps(v, qmin), qmax);
      const __m512i u = _mm512_add_epi32(_mm512_cvttps_epi32(v), shift);
      sum = _mm512_mask_add_epi32(sum, m, sum, u);
      _mm_mask_storeu_epi8(q + p, m, _mm512_cvtepi32_epi8(u));
    }
    for (size_t p = g.group; p < g.gp; ++p) q[p] = 0;
    sums[gi] = _mm512_reduce_add_epi32(sum);
  }
  std::memcpy(row + g.groups * g.gp + 4 * g.groups, &scale, 4);
  const int32_t a = zp + 128;
  std::memcpy(row + g.groups * g.gp + 4 * g.groups + 4, &a, 4);
}

const KernelSet kAvx512Vnni = {Isa::avx512_vnni, 128, 4, &dynamic_int8, &float32, &quantize};

}  // namespace

const KernelSet& avx512_vnni_kernels() { return kAvx512Vnni; }

}  // namespace lowbit
}  // namespace ember
