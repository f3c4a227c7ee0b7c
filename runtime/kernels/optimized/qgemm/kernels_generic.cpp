// Generic int8 micro-kernels in portable C++ (4 x 8 tiles of int32 in
// GCC/Clang vector-extension registers, SSE or NEON on any target without
// ISA flags), and the scalar epilogue every family matches:
// the fallback when the CPU has nothing better and the reference family.
#include <cmath>
#include <cstring>
#include <utility>

#include "runtime/kernels/optimized/qgemm/micro_kernel.h"

namespace ember {
namespace qgemm {

void epilogue_row_scalar(const int32_t* dot, float a_scale, int32_t a_zp, const TileArgs& t,
                         void* c) {
  for (size_t j = 0; j < t.cols; ++j) {
    // Wrapping int32 arithmetic, as the vector instructions do (exact: see qgemm.h's kMaxDepth).
    const int32_t acc = (int32_t)((uint32_t)dot[j] - (uint32_t)a_zp * (uint32_t)t.colsum[j]);
    const float s = a_scale * t.b_scale[j];
    float y = (float)acc * s;
    if (t.bias != nullptr) y = y + t.bias[j];
    if (t.out == OutType::f32) {
      if (t.clamp) {  // as MAXPS(min, y) then MINPS(max, y): NaN stays NaN
        y = t.min > y ? t.min : y;
        y = t.max < y ? t.max : y;
      }
      static_cast<float*>(c)[j] = y;
      continue;
    }
    float v = std::nearbyint(y * t.inv_out) + t.out_zp;
    v = v > t.qmin ? v : t.qmin;  // NaN -> qmin
    v = v < t.qmax ? v : t.qmax;
    static_cast<uint8_t*>(c)[j] = (uint8_t)(int32_t)v;
  }
}

namespace {

constexpr size_t kMr = 4;
constexpr size_t kNr = 8;

typedef int32_t Vec8 __attribute__((vector_size(32)));

template <size_t M>
void kernel(size_t kg, const uint8_t* a, const int8_t* b, void* c, size_t ldc, const TileArgs& t) {
  Vec8 acc[M] = {};
  for (size_t g = 0; g < kg; ++g) {
    // Column j's 4 bytes are word j: byte q sign-extended by two shifts.
    Vec8 words;
    std::memcpy(&words, b, sizeof(words));
    const Vec8 b0 = (words << 24) >> 24, b1 = (words << 16) >> 24;
    const Vec8 b2 = (words << 8) >> 24, b3 = words >> 24;
    for (size_t i = 0; i < M; ++i) {
      const uint8_t* ai = a + 4 * i;
      acc[i] += (int32_t)ai[0] * b0 + (int32_t)ai[1] * b1 + (int32_t)ai[2] * b2 +
                (int32_t)ai[3] * b3;
    }
    a += kMr * 4;
    b += kNr * 4;
  }
  const size_t elem = t.out == OutType::f32 ? sizeof(float) : 1;
  for (size_t i = 0; i < M; ++i) {
    int32_t dot[kNr];
    std::memcpy(dot, &acc[i], sizeof(dot));
    epilogue_row_scalar(dot, t.a_scale[i], t.a_zp[i], t, static_cast<uint8_t*>(c) + i * ldc * elem);
  }
}

template <size_t... I>
constexpr KernelSet make_set(std::index_sequence<I...>) {
  return KernelSet{Isa::generic, kMr, kNr, /*a_signed=*/false, {&kernel<I + 1>...}};
}

constexpr KernelSet kSet = make_set(std::make_index_sequence<kMr>());

}  // namespace

const KernelSet& generic_kernels() { return kSet; }

}  // namespace qgemm
}  // namespace ember
