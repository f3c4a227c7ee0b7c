// Packing A and B blocks into the panel layouts the micro-kernels read
// (micro_kernel.h). Internal to ember_gemm.
#pragma once

#include <cstddef>

#include "runtime/kernels/optimized/gemm/gemm.h"

namespace ember {
namespace gemm {

/// B(p0 .. p0+kc, j0 .. j0+cols) into one panel: dst[p * nr + j], columns
/// past `cols` zeroed (the kernels compute all nr columns).
void pack_b_panel(MatrixView b, size_t p0, size_t kc, size_t j0, size_t cols, size_t nr,
                  float* dst);

/// B(p0 .. p0+kc, j0 .. j0+nc) into nr-wide panels, panel j at dst + j * kc * nr.
void pack_b_block(MatrixView b, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr,
                  float* dst);

/// A(i0 .. i0+mc, p0 .. p0+kc) into MR-row panels, panel r at dst + r * mr * kc,
/// element (i, p) of a panel at [p * mr + i]. Rows past the last are not written.
void pack_a_block(MatrixView a, size_t i0, size_t mc, size_t p0, size_t kc, size_t mr,
                  float* dst);

}  // namespace gemm
}  // namespace ember
