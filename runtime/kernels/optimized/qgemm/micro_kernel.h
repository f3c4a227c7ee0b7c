// The contract between the int8 GEMM driver (qgemm.cpp) and the per-ISA
// micro-kernels (kernels_<isa>.cpp, each compiled with only its ISA's flags).
//
// Depth is taken in groups of 4 (kp = k rounded up to 4, zero padded):
//   packed A panel: [kp / 4][MR][4] bytes (rows past M never read), or the
//                   family's own layout of a_bytes bytes an element (pack_a)
//   packed B panel: [kp / 4][NR][4] int8 (BLayout::quads), or by pairs of
//                   depth steps [kp / 4][2][NR][2] (BLayout::pairs)
// A micro-kernel computes an M x NR tile (M <= MR, a template parameter) over
// the whole depth in int32 registers:
//   dot[i][j] = sum_p a[i][p] * b[p][j]      (a in the family's domain: u8 or s8)
//   acc[i][j] = dot[i][j] - a_zp[i] * colsum[j]       (wrapping int32: exact)
// then the epilogue, in this order, in float32 (no contraction):
//   s = a_scale[i] * b_scale[j];  y = float(acc) * s;  y = y + bias[j]
//   f32: y = min(max(y, min), max) (NaN propagates), when clamp
//   s8/u8: v = rint(y * inv_out) + out_zp; v = max(v, qmin) (NaN -> qmin);
//          v = min(v, qmax); stored as an integer
// and stores the first `cols` columns. Every family computes every element
// this way, so results match bit for bit across families and tilings.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernels/optimized/qgemm/qgemm.h"

namespace ember {
namespace qgemm {

constexpr size_t kMaxMr = 16;
constexpr size_t kMaxNr = 32;

/// The epilogue of one tile. The per-column arrays hold NR values and the
/// per-row ones M (the driver pads edges).
struct TileArgs {
  const int32_t* colsum;  ///< column sums of B
  const float* b_scale;   ///< weight scale per column
  const float* bias;      ///< or nullptr
  const float* a_scale;   ///< activation scale per row
  const int32_t* a_zp;    ///< activation zero point per row, in the family's A domain
  bool uniform_rows;      ///< every row's a_scale and a_zp are row 0's (per-tensor A)
  OutType out;
  size_t cols;            ///< columns stored (1..NR)
  bool clamp;             ///< f32: apply [min, max]
  float min, max;
  float inv_out;          ///< s8/u8: float(1.0 / double(out_scale))
  float out_zp, qmin, qmax;
};

/// One tile: `a` a packed A panel, `b` a packed B panel, both of kg groups
/// of 4 depth steps; c the tile's top-left element, rows ldc elements apart.
using MicroKernel = void (*)(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc,
                             const TileArgs& args);

/// Packs A as packing.h's pack_a_block does, for the family's mr.
using PackA = void (*)(const uint8_t* a, size_t lda, size_t rows, size_t k, uint8_t flip,
                       uint8_t* dst);

/// How a B panel's group of 4 depth steps is laid out (packing.h).
enum class BLayout {
  quads,  ///< [NR][4]: a column's 4 steps together (dot-product instructions)
  pairs,  ///< [2][NR][2]: steps 0-1 of every column, then steps 2-3 (vpmaddwd)
};

/// A micro-kernel family and its blocking.
struct KernelSet {
  Isa isa;
  size_t mr;           ///< rows of a full tile
  size_t nr;           ///< columns of every tile (the packed B panel width)
  bool a_signed;       ///< A packed as int8 (NEON sdot) rather than uint8
  MicroKernel kernels[kMaxMr];  ///< kernels[m - 1] computes m rows
  PackA pack_a = nullptr;       ///< the family's own A packing (nullptr: pack_a_block)
  size_t a_bytes = 1;           ///< bytes of a packed A element (2: pack_a widens to int16)
  BLayout b_layout = BLayout::quads;
};

/// The family of `isa`, or nullptr when this build has none (dispatch.cpp).
const KernelSet* kernels_for(Isa isa);
const KernelSet& active_kernels();

const KernelSet& generic_kernels();
#if defined(__x86_64__) || defined(__i386__)
const KernelSet& avx2_kernels();
const KernelSet& avx512vnni_kernels();
#endif
#if defined(__aarch64__)
const KernelSet& neon_kernels();
const KernelSet& neon_dot_kernels();
#endif

/// One output row of the epilogue in scalar C++: acc[0 .. cols) to row `c`
/// for row scale/zero point `a_scale`/`a_zp` (the reference every vector
/// epilogue matches; the generic family's own).
void epilogue_row_scalar(const int32_t* dot, float a_scale, int32_t a_zp, const TileArgs& t,
                         void* c);

}  // namespace qgemm
}  // namespace ember
