// The contract between the GEMM driver (gemm.cpp) and the per-ISA
// micro-kernels (kernels_<isa>.cpp, each compiled with only its ISA's flags).
//
// A micro-kernel computes an M x NR tile of C (M <= MR, a template
// parameter in each ISA file) over kc steps of depth:
//   acc[i][j] = sum_p a[p * MR + i] * b[p * ldb + j]     (p ascending, one FMA per step)
// then applies the tile's part of the epilogue and stores all NR columns
// (the driver handles narrower edge tiles through a scratch tile).
// Every kernel family computes each element of C the same way whatever M
// is, so the result of a tile does not depend on how C was split.
#pragma once

#include <cstddef>

#include "runtime/kernels/optimized/gemm/gemm.h"

namespace ember {
namespace gemm {

/// Most rows / columns of any micro-kernel tile (sizes scratch tiles).
constexpr size_t kMaxMr = 16;
constexpr size_t kMaxNr = 32;

/// The epilogue of one tile for one depth block.
struct TileArgs {
  float alpha;
  float beta;                ///< used only when load_c
  bool load_c;               ///< c = alpha * acc + beta * c (else c = alpha * acc)
  const float* bias_col;     ///< NR values added per column, or nullptr
  const float* bias_row;     ///< M values added per row, or nullptr
  bool clamp;                ///< clamp to [min, max] (last depth block only)
  float min;
  float max;
};

/// One tile: a is a packed A panel (lda == 0: kc x MR, element (i, p) at
/// a[p * MR + i]) or A itself (row-major rows lda apart: a[i * lda + p]);
/// b points at kc rows of NR floats ldb apart, c at the tile's top-left.
using MicroKernel = void (*)(size_t kc, const float* a, size_t lda, const float* b, size_t ldb,
                             float* c, size_t ldc, const TileArgs& args);

/// A micro-kernel family and its blocking.
struct KernelSet {
  Isa isa;
  size_t mr;   ///< rows of a full tile
  size_t nr;   ///< columns of every tile (the packed B panel width)
  size_t kc;   ///< depth block (fixed: the results depend on it)
  size_t mc;   ///< preferred rows of a packed A block (multiple of mr)
  size_t nc;   ///< preferred columns of a packed B block (multiple of nr)
  MicroKernel kernels[kMaxMr];  ///< kernels[m - 1] computes m rows, m in [1, mr]
};

/// The family of `isa`, or nullptr when this build has none (dispatch.cpp).
const KernelSet* kernels_for(Isa isa);

/// The family of active_isa().
const KernelSet& active_kernels();

const KernelSet& generic_kernels();
#if defined(__x86_64__) || defined(__i386__)
const KernelSet& avx2_kernels();
const KernelSet& avx512_kernels();
#endif
#if defined(__aarch64__)
const KernelSet& neon_kernels();
#endif

}  // namespace gemm
}  // namespace ember
