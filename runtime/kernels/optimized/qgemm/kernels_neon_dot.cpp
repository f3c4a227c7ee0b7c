// NEON int8 micro-kernels with the dot-product extension: 8 x 8 tiles (16
// q-register int32 accumulators). Per group of 4 depth steps, two q of B
// (4 columns x 4 bytes each) and two of A (4 rows x 4 bytes each); sdot by
// lane adds a row's 4 products to each column. A is packed as int8.
// Compiled with -march=armv8.2-a+dotprod (this file only); the driver calls
// it only when the CPU reports the extension.
#include <arm_neon.h>

#include <utility>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"
#include "runtime/kernels/optimized/qgemm/neon_epilogue.h"

namespace ember {
namespace qgemm {
namespace {

constexpr size_t kMr = 8;
constexpr size_t kNr = 8;

/// Row I of the tile: lane I % 4 of a0 (rows 0-3) or a1 (rows 4-7).
template <size_t I>
inline void dot_row(int32x4_t* lo, int32x4_t* hi, int8x16_t b0, int8x16_t b1, int8x16_t a0,
                    int8x16_t a1) {
  const int8x16_t a = I < 4 ? a0 : a1;
  lo[I] = vdotq_laneq_s32(lo[I], b0, a, I % 4);
  hi[I] = vdotq_laneq_s32(hi[I], b1, a, I % 4);
}

template <size_t... I>
inline void step(int32x4_t* lo, int32x4_t* hi, int8x16_t b0, int8x16_t b1, int8x16_t a0,
                 int8x16_t a1, std::index_sequence<I...>) {
  (dot_row<I>(lo, hi, b0, b1, a0, a1), ...);
}

template <size_t M>
void kernel(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  int32x4_t lo[M], hi[M];
  for (size_t i = 0; i < M; ++i) lo[i] = hi[i] = vdupq_n_s32(0);
  const int8_t* ap = reinterpret_cast<const int8_t*>(a);
  for (size_t g = 0; g < kg; ++g) {
    const int8x16_t b0 = vld1q_s8(b);
    const int8x16_t b1 = vld1q_s8(b + 16);
    __builtin_prefetch(b + 8 * kNr * 4);
    // Rows past M of a packed panel are zeros (pack_a_block).
    const int8x16_t a0 = vld1q_s8(ap);
    const int8x16_t a1 = M > 4 ? vld1q_s8(ap + 16) : vdupq_n_s8(0);
    step(lo, hi, b0, b1, a0, a1, std::make_index_sequence<M>());
    ap += kMr * 4;
    b += kNr * 4;
  }
  const size_t elem = t.out == OutType::f32 ? sizeof(float) : 1;
  for (size_t i = 0; i < M; ++i) {
    store_row(lo[i], hi[i], t.a_scale[i], t.a_zp[i], t, static_cast<uint8_t*>(c) + i * ldc * elem);
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::neon_dot, kMr, kNr, /*a_signed=*/true, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& neon_dot_kernels() { return kSet; }

}  // namespace qgemm
}  // namespace ember
