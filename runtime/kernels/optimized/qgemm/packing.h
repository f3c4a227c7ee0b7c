// Packing A blocks and B panels into the layouts of micro_kernel.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember {
namespace qgemm {

/// Rows [0, rows) of A (row i at a + i * lda, k bytes each) into MR-row
/// panels of kp = round_up(k, 4) depth, panel r at dst + r * mr * kp, byte
/// (i, p) at [(p / 4) * mr * 4 + i * 4 + p % 4]. Each byte is XORed with
/// `flip` (0x80 moves int8 to the uint8 domain and back); depth past k and
/// rows past `rows` in the last panel are zero.
void pack_a_block(const uint8_t* a, size_t lda, size_t rows, size_t k, size_t mr, uint8_t flip,
                  uint8_t* dst);

/// Columns [j0, j0 + cols) of B = W^T (W row j at w + j * ldw) into one
/// NR-wide panel of kp depth, columns past `cols` and depth past k zero;
/// colsum[j] (nr values) gets each column's sum. Byte (p, j) is at
/// [p / 4][j][p % 4] when `pairs` is false, else [p / 4][p % 4 / 2][j][p % 2].
void pack_b_panel(const int8_t* w, size_t ldw, size_t k, size_t j0, size_t cols, size_t nr,
                  bool pairs, int8_t* dst, int32_t* colsum);

}  // namespace qgemm
}  // namespace ember
