// Packing A and B blocks into the panel layouts of micro_kernel.h.
#include "runtime/kernels/optimized/gemm/packing.h"

#include <algorithm>
#include <cstring>

#include "runtime/kernels/common/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ember {
namespace gemm {
namespace {

/// Depth rows of a transposed B packed per pass: the panel rows they fill
/// (kTransposeRows x NR floats, 8 KiB at NR = 32) stay in L1 while every
/// column writes into them.
constexpr size_t kTransposeRows = 64;

#if defined(__x86_64__)
/// dst[i * nr + c] = src[c * cs + i] for i, c < 8: eight columns of a
/// transposed B (8 floats each) into eight panel rows.
__attribute__((target("avx2"))) void transpose_8x8(const float* src, int64_t cs, float* dst,
                                                    size_t nr) {
  __m256 r[8], t[8];
  for (int c = 0; c < 8; ++c) r[c] = _mm256_loadu_ps(src + c * cs);
  for (int c = 0; c < 8; c += 2) {
    t[c] = _mm256_unpacklo_ps(r[c], r[c + 1]);
    t[c + 1] = _mm256_unpackhi_ps(r[c], r[c + 1]);
  }
  for (int c = 0; c < 8; c += 4) {
    r[c] = _mm256_shuffle_ps(t[c], t[c + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[c + 1] = _mm256_shuffle_ps(t[c], t[c + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[c + 2] = _mm256_shuffle_ps(t[c + 1], t[c + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[c + 3] = _mm256_shuffle_ps(t[c + 1], t[c + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * nr, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * nr, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

/// Rows [0, rows) of the 8-column groups of a transposed panel; returns the
/// columns done (a multiple of 8, 0 without AVX2).
size_t pack_transposed_avx2(const float* src, int64_t cs, size_t rows, size_t cols, size_t nr,
                            float* dst) {
  static const bool avx2 = cpu_supports(Isa::avx2);
  if (!avx2 || rows % 8 != 0) return 0;
  const size_t groups = cols / 8 * 8;
  for (size_t j = 0; j < groups; j += 8) {
    for (size_t p = 0; p < rows; p += 8) transpose_8x8(src + j * cs + p, cs, dst + p * nr + j, nr);
  }
  return groups;
}
#endif

/// A transposed B (a linear layer's [n, k] weight, column j at src + j * cs)
/// into a panel: dst[p * nr + j] = src[j * cs + p], kTransposeRows depth rows
/// at a time, each column read contiguously.
void pack_transposed_panel(const float* src, int64_t cs, size_t kc, size_t cols, size_t nr,
                           float* dst) {
  for (size_t p0 = 0; p0 < kc; p0 += kTransposeRows) {
    const size_t rows = std::min(kTransposeRows, kc - p0);
    size_t done = 0;
#if defined(__x86_64__)
    done = pack_transposed_avx2(src + p0, cs, rows, cols, nr, dst + p0 * nr);
#endif
    for (size_t j = done; j < cols; ++j) {
      const float* col = src + (int64_t)j * cs + (int64_t)p0;
      for (size_t p = 0; p < rows; ++p) dst[(p0 + p) * nr + j] = col[p];
    }
  }
}

}  // namespace

/// B(p0 .. p0+kc, j0 .. j0+cols) into one panel: dst[p * nr + j], columns
/// past `cols` zeroed (the kernels compute all nr columns).
void pack_b_panel(MatrixView b, size_t p0, size_t kc, size_t j0, size_t cols, size_t nr,
                  float* dst) {
  const int64_t rs = b.row_stride;
  const int64_t cs = b.col_stride;
  if (cs == 1) {
    for (size_t p = 0; p < kc; ++p) {
      const float* row = b.data + (int64_t)(p0 + p) * rs + (int64_t)j0;
      std::memcpy(dst + p * nr, row, cols * sizeof(float));
      for (size_t j = cols; j < nr; ++j) dst[p * nr + j] = 0.0f;
    }
    return;
  }
  for (size_t p = 0; p < kc; ++p) {
    for (size_t j = cols; j < nr; ++j) dst[p * nr + j] = 0.0f;
  }
  if (rs == 1) {
    pack_transposed_panel(b.data + (int64_t)j0 * cs + (int64_t)p0, cs, kc, cols, nr, dst);
    return;
  }
  for (size_t p = 0; p < kc; ++p) {
    const float* row = b.data + (int64_t)(p0 + p) * rs;
    for (size_t j = 0; j < cols; ++j) dst[p * nr + j] = row[(int64_t)(j0 + j) * cs];
  }
}

/// B(p0 .. p0+kc, j0 .. j0+nc) into nr-wide panels, panel j at dst + j * kc * nr.
/// A row-major B is read row by row (one pass over memory; panel by panel
/// would touch a new page per row); other layouts panel by panel.
void pack_b_block(MatrixView b, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr,
                  float* dst) {
  if (b.col_stride != 1) {
    for (size_t j = 0; j < nc; j += nr) {
      pack_b_panel(b, p0, kc, j0 + j, std::min(nr, nc - j), nr, dst + j * kc);
    }
    return;
  }
  const size_t full = nc / nr * nr;
  for (size_t p = 0; p < kc; ++p) {
    const float* row = b.data + (int64_t)(p0 + p) * b.row_stride + (int64_t)j0;
    float* out = dst + p * nr;
    for (size_t j = 0; j < full; j += nr, out += kc * nr) {
      for (size_t x = 0; x < nr; ++x) out[x] = row[j + x];
    }
    if (full < nc) {
      for (size_t x = 0; x < nr; ++x) out[x] = full + x < nc ? row[full + x] : 0.0f;
    }
  }
}

/// A(i0 .. i0+mc, p0 .. p0+kc) into MR-row panels, panel r at dst + r * mr * kc,
/// element (i, p) of a panel at [p * mr + i]. Rows past the last are not written.
void pack_a_block(MatrixView a, size_t i0, size_t mc, size_t p0, size_t kc, size_t mr,
                  float* dst) {
  const int64_t rs = a.row_stride;
  const int64_t cs = a.col_stride;
  for (size_t r0 = 0; r0 < mc; r0 += mr) {
    const size_t rows = std::min(mr, mc - r0);
    float* panel = dst + r0 * kc;
    if (cs == 1) {
      for (size_t i = 0; i < rows; ++i) {
        const float* row = a.data + (int64_t)(i0 + r0 + i) * rs + (int64_t)p0;
        for (size_t p = 0; p < kc; ++p) panel[p * mr + i] = row[p];
      }
    } else {
      for (size_t p = 0; p < kc; ++p) {
        const float* col = a.data + (int64_t)(p0 + p) * cs + (int64_t)(i0 + r0) * rs;
        for (size_t i = 0; i < rows; ++i) panel[p * mr + i] = col[(int64_t)i * rs];
      }
    }
  }
}

}  // namespace gemm
}  // namespace ember
