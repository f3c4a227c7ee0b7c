// Packing A blocks and B panels for the int8 micro-kernels (packing.h).
#include "runtime/kernels/optimized/qgemm/packing.h"

#include <cstring>

namespace ember {
namespace qgemm {

void pack_a_block(const uint8_t* a, size_t lda, size_t rows, size_t k, size_t mr, uint8_t flip,
                  uint8_t* dst) {
  const size_t kg = (k + 3) / 4;
  const size_t full = k / 4;
  const uint32_t flip4 = flip * 0x01010101u;
  const size_t stride = mr * 4;  // bytes between a row's groups
  for (size_t r0 = 0; r0 < rows; r0 += mr) {
    uint8_t* panel = dst + r0 * kg * 4;
    for (size_t i = 0; i < mr; ++i) {
      uint8_t* out = panel + i * 4;
      if (r0 + i >= rows) {  // past the last row: zeros the loads may touch
        for (size_t g = 0; g < kg; ++g) std::memset(out + g * stride, 0, 4);
        continue;
      }
      const uint8_t* row = a + (r0 + i) * lda;
      for (size_t g = 0; g < full; ++g) {
        uint32_t word;
        std::memcpy(&word, row + 4 * g, 4);
        word ^= flip4;
        std::memcpy(out + g * stride, &word, 4);
      }
      if (full < kg) {
        uint8_t tail[4] = {0, 0, 0, 0};
        for (size_t p = 4 * full; p < k; ++p) tail[p - 4 * full] = row[p] ^ flip;
        std::memcpy(out + full * stride, tail, 4);
      }
    }
  }
}

void pack_b_panel(const int8_t* w, size_t ldw, size_t k, size_t j0, size_t cols, size_t nr,
                  bool pairs, int8_t* dst, int32_t* colsum) {
  const size_t kg = (k + 3) / 4;
  std::memset(dst, 0, kg * nr * 4);
  for (size_t j = 0; j < nr; ++j) {
    int32_t sum = 0;
    if (j < cols) {
      const int8_t* row = w + (j0 + j) * ldw;
      for (size_t p = 0; p < k; ++p) {
        const size_t at = pairs ? (p % 4 / 2) * nr * 2 + j * 2 + p % 2 : j * 4 + p % 4;
        dst[(p / 4) * nr * 4 + at] = row[p];
        sum += row[p];
      }
    }
    colsum[j] = sum;
  }
}

}  // namespace qgemm
}  // namespace ember
