// Packing A and B blocks into the panel layouts of micro_kernel.h.
#include "runtime/kernels/optimized/gemm/packing.h"

#include <algorithm>
#include <cstring>

namespace ember {
namespace gemm {

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
    // Transposed B (a linear layer's [n, k] weight): read each column contiguously.
    for (size_t j = 0; j < cols; ++j) {
      const float* col = b.data + (int64_t)(j0 + j) * cs + (int64_t)p0;
      for (size_t p = 0; p < kc; ++p) dst[p * nr + j] = col[p];
    }
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
