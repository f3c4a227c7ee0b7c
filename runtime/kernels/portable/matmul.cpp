// Cache-blocked float32 matrix multiply (see matmul.h).
//
// Algorithm, for row-major B (the common case):
//   1. Scale C by beta (or zero it).
//   2. Split N into column blocks of kBlockN and K into depth blocks of
//      kBlockK, so that a kBlockK x kBlockN block of B stays in L2.
//   3. Within a block, walk C in 4x8 tiles; each tile accumulates in
//      registers over the depth block, reading 8 contiguous floats of B and 4
//      scalars of A per step, then adds into C once.
//   4. Ragged edges (fewer than 4 rows or 8 columns) take a scalar loop.
// Transposed B (unit row stride) uses dot products over contiguous K.
//
// gemm_half (float16, bfloat16) cannot add partial sums into C, which would
// round at every depth block; per block of kHalfRows x kHalfCols of C:
//   1. zero float accumulators on the stack;
//   2. for each depth block, convert that block of A and of B to float
//      (stack panels) and accumulate their product;
//   3. round alpha * acc + beta * C into C once.
#include "runtime/kernels/portable/matmul.h"

#include <cstring>

namespace ember {
namespace portable {
namespace {

constexpr int64_t kBlockN = 256;
constexpr int64_t kBlockK = 128;
constexpr int kTileM = 4;
constexpr int kTileN = 8;

void scale_c(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  if (beta == 1.0f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) row[j] = 0.0f;
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

#if defined(__GNUC__) || defined(__clang__)
// GCC/Clang generic vectors (no target intrinsics): 4 lanes map to SSE/NEON
// registers, so a 4x8 tile is 8 accumulator registers on any target.
typedef float Vec4 __attribute__((vector_size(16)));

inline Vec4 load4(const float* p) {
  Vec4 v;
  memcpy(&v, p, sizeof(v));
  return v;
}

inline void store4(float* p, Vec4 v) { memcpy(p, &v, sizeof(v)); }

/// One 4x8 tile over depth [0, kb): B row-major (unit column stride).
inline void tile_4x8(const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                     int64_t kb, float alpha, float* c, int64_t ldc) {
  Vec4 c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};
  const float* a0 = a;
  const float* a1 = a + a_rs;
  const float* a2 = a + 2 * a_rs;
  const float* a3 = a + 3 * a_rs;
  for (int64_t p = 0; p < kb; ++p) {
    const Vec4 b0 = load4(b + p * b_rs);
    const Vec4 b1 = load4(b + p * b_rs + 4);
    const float x0 = a0[p * a_cs], x1 = a1[p * a_cs], x2 = a2[p * a_cs], x3 = a3[p * a_cs];
    c00 += x0 * b0;
    c01 += x0 * b1;
    c10 += x1 * b0;
    c11 += x1 * b1;
    c20 += x2 * b0;
    c21 += x2 * b1;
    c30 += x3 * b0;
    c31 += x3 * b1;
  }
  const Vec4 rows[kTileM][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
  for (int r = 0; r < kTileM; ++r) {
    float* crow = c + r * ldc;
    store4(crow, load4(crow) + alpha * rows[r][0]);
    store4(crow + 4, load4(crow + 4) + alpha * rows[r][1]);
  }
}
#else
/// One 4x8 tile over depth [0, kb): B row-major (unit column stride).
inline void tile_4x8(const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                     int64_t kb, float alpha, float* c, int64_t ldc) {
  float acc[kTileM][kTileN] = {};
  for (int64_t p = 0; p < kb; ++p) {
    const float* brow = b + p * b_rs;
    for (int r = 0; r < kTileM; ++r) {
      const float av = a[r * a_rs + p * a_cs];
      for (int t = 0; t < kTileN; ++t) acc[r][t] += av * brow[t];
    }
  }
  for (int r = 0; r < kTileM; ++r) {
    for (int t = 0; t < kTileN; ++t) c[r * ldc + t] += alpha * acc[r][t];
  }
}
#endif

/// Any rows x cols block with unit-column-stride B: the ragged edges.
void block_scalar(const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                  int64_t rows, int64_t cols, int64_t kb, float alpha, float* c, int64_t ldc) {
  for (int64_t i = 0; i < rows; ++i) {
    float* __restrict crow = c + i * ldc;
    for (int64_t p = 0; p < kb; ++p) {
      const float av = alpha * a[i * a_rs + p * a_cs];
      const float* __restrict brow = b + p * b_rs;
      for (int64_t j = 0; j < cols; ++j) crow[j] += av * brow[j];
    }
  }
}

void gemm_row_major_b(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
                      float* c, int64_t ldc) {
  for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
    const int64_t nb = n - j0 < kBlockN ? n - j0 : kBlockN;
    const int64_t n_tiles = nb / kTileN * kTileN;
    for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
      const int64_t kb = k - k0 < kBlockK ? k - k0 : kBlockK;
      const float* a_blk = a.data + k0 * a.col_stride;
      const float* b_blk = b.data + k0 * b.row_stride + j0;
      int64_t i = 0;
      for (; i + kTileM <= m; i += kTileM) {
        const float* a_rows = a_blk + i * a.row_stride;
        float* c_rows = c + i * ldc + j0;
        for (int64_t j = 0; j < n_tiles; j += kTileN) {
          tile_4x8(a_rows, a.row_stride, a.col_stride, b_blk + j, b.row_stride, kb, alpha,
                   c_rows + j, ldc);
        }
        if (n_tiles < nb) {
          block_scalar(a_rows, a.row_stride, a.col_stride, b_blk + n_tiles, b.row_stride,
                       kTileM, nb - n_tiles, kb, alpha, c_rows + n_tiles, ldc);
        }
      }
      if (i < m) {
        block_scalar(a_blk + i * a.row_stride, a.row_stride, a.col_stride, b_blk, b.row_stride,
                     m - i, nb, kb, alpha, c + i * ldc + j0, ldc);
      }
    }
  }
}

/// B with unit row stride and A with unit column stride: C[i, j] is a dot
/// product of two contiguous vectors; 8 partial sums keep the adds parallel.
void gemm_dot(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
              float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    const float* arow = a.data + i * a.row_stride;
    for (int64_t j = 0; j < n; ++j) {
      const float* bcol = b.data + j * b.col_stride;
      float part[8] = {};
      int64_t p = 0;
      for (; p + 8 <= k; p += 8) {
        for (int t = 0; t < 8; ++t) part[t] += arow[p + t] * bcol[p + t];
      }
      float sum = ((part[0] + part[1]) + (part[2] + part[3])) +
                  ((part[4] + part[5]) + (part[6] + part[7]));
      for (; p < k; ++p) sum += arow[p] * bcol[p];
      c[i * ldc + j] += alpha * sum;
    }
  }
}

void gemm_generic(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
                  float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t p = 0; p < k; ++p) {
      const float av = alpha * a.data[i * a.row_stride + p * a.col_stride];
      const float* brow = b.data + p * b.row_stride;
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] += av * brow[j * b.col_stride];
    }
  }
}

constexpr int64_t kHalfRows = 16;
constexpr int64_t kHalfCols = 64;
constexpr int64_t kHalfDepth = 64;

}  // namespace

template <typename T>
void gemm_half(int64_t m, int64_t n, int64_t k, float alpha, MatrixViewOf<T> a,
               MatrixViewOf<T> b, float beta, T* c, int64_t ldc) {
  float acc[kHalfRows][kHalfCols];
  float a_panel[kHalfRows][kHalfDepth];
  float b_panel[kHalfDepth][kHalfCols];
  for (int64_t j0 = 0; j0 < n; j0 += kHalfCols) {
    const int64_t nb = n - j0 < kHalfCols ? n - j0 : kHalfCols;
    for (int64_t i0 = 0; i0 < m; i0 += kHalfRows) {
      const int64_t mb = m - i0 < kHalfRows ? m - i0 : kHalfRows;
      // 1. Accumulators.
      for (int64_t r = 0; r < mb; ++r) {
        for (int64_t j = 0; j < nb; ++j) acc[r][j] = 0.0f;
      }
      // 2. Depth blocks, converted once per block of C.
      for (int64_t p0 = 0; p0 < k; p0 += kHalfDepth) {
        const int64_t kb = k - p0 < kHalfDepth ? k - p0 : kHalfDepth;
        for (int64_t r = 0; r < mb; ++r) {
          const T* arow = a.data + (i0 + r) * a.row_stride + p0 * a.col_stride;
          for (int64_t p = 0; p < kb; ++p) {
            a_panel[r][p] = static_cast<float>(arow[p * a.col_stride]);
          }
        }
        for (int64_t p = 0; p < kb; ++p) {
          const T* brow = b.data + (p0 + p) * b.row_stride + j0 * b.col_stride;
          for (int64_t j = 0; j < nb; ++j) {
            b_panel[p][j] = static_cast<float>(brow[j * b.col_stride]);
          }
        }
        for (int64_t r = 0; r < mb; ++r) {
          float* __restrict arow_acc = acc[r];
          for (int64_t p = 0; p < kb; ++p) {
            const float av = a_panel[r][p];
            const float* __restrict bp = b_panel[p];
            for (int64_t j = 0; j < nb; ++j) arow_acc[j] += av * bp[j];
          }
        }
      }
      // 3. Round once into C.
      for (int64_t r = 0; r < mb; ++r) {
        T* crow = c + (i0 + r) * ldc + j0;
        for (int64_t j = 0; j < nb; ++j) {
          const float prod = alpha == 0.0f ? 0.0f : alpha * acc[r][j];
          const float prior = beta == 0.0f ? 0.0f : beta * static_cast<float>(crow[j]);
          crow[j] = static_cast<T>(prod + prior);
        }
      }
    }
  }
}

template void gemm_half<Half>(int64_t, int64_t, int64_t, float, MatrixViewOf<Half>,
                              MatrixViewOf<Half>, float, Half*, int64_t);
template void gemm_half<BFloat16>(int64_t, int64_t, int64_t, float, MatrixViewOf<BFloat16>,
                                  MatrixViewOf<BFloat16>, float, BFloat16*, int64_t);

void gemm_f32(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b,
              float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  scale_c(m, n, beta, c, ldc);
  if (k <= 0 || alpha == 0.0f) return;
  if (b.col_stride == 1) {
    gemm_row_major_b(m, n, k, alpha, a, b, c, ldc);
  } else if (b.row_stride == 1 && a.col_stride == 1) {
    gemm_dot(m, n, k, alpha, a, b, c, ldc);
  } else {
    gemm_generic(m, n, k, alpha, a, b, c, ldc);
  }
}

}  // namespace portable
}  // namespace ember
