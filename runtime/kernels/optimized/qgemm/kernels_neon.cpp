// NEON int8 micro-kernels without the dot-product extension: 4 x 8 tiles.
// Per group of 4 depth steps, B's 8 columns x 4 bytes (two q) multiply a
// row's 4 bytes (replicated) with smull/smull2 into exact int16 products
// (|a|, |b| <= 128), and sadalp adds pairs of them into int32: each
// accumulator lane holds half a group of one column, folded by addp at the
// end. A is packed as int8 (the same domain as the sdot family).
#include <arm_neon.h>

#include <cstring>
#include <utility>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"
#include "runtime/kernels/optimized/qgemm/neon_epilogue.h"

namespace ember {
namespace qgemm {
namespace {

constexpr size_t kMr = 4;
constexpr size_t kNr = 8;

template <size_t M>
void kernel(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  int32x4_t acc[M][4];  // columns 0-1, 2-3, 4-5, 6-7
  for (size_t i = 0; i < M; ++i) {
    for (size_t q = 0; q < 4; ++q) acc[i][q] = vdupq_n_s32(0);
  }
  for (size_t g = 0; g < kg; ++g) {
    const int8x16_t b0 = vld1q_s8(b);
    const int8x16_t b1 = vld1q_s8(b + 16);
    __builtin_prefetch(b + 8 * kNr * 4);
    for (size_t i = 0; i < M; ++i) {
      int32_t a4;
      std::memcpy(&a4, a + 4 * i, 4);
      const int8x16_t ai = vreinterpretq_s8_s32(vdupq_n_s32(a4));
      acc[i][0] = vpadalq_s16(acc[i][0], vmull_s8(vget_low_s8(b0), vget_low_s8(ai)));
      acc[i][1] = vpadalq_s16(acc[i][1], vmull_high_s8(b0, ai));
      acc[i][2] = vpadalq_s16(acc[i][2], vmull_s8(vget_low_s8(b1), vget_low_s8(ai)));
      acc[i][3] = vpadalq_s16(acc[i][3], vmull_high_s8(b1, ai));
    }
    a += kMr * 4;
    b += kNr * 4;
  }
  const size_t elem = t.out == OutType::f32 ? sizeof(float) : 1;
  for (size_t i = 0; i < M; ++i) {
    const int32x4_t dot0 = vpaddq_s32(acc[i][0], acc[i][1]);
    const int32x4_t dot1 = vpaddq_s32(acc[i][2], acc[i][3]);
    store_row(dot0, dot1, t.a_scale[i], t.a_zp[i], t, static_cast<uint8_t*>(c) + i * ldc * elem);
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::neon, kMr, kNr, /*a_signed=*/true, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& neon_kernels() { return kSet; }

}  // namespace qgemm
}  // namespace ember
