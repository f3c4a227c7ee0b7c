// Ember's float32 matrix product with a constant weight packed once (the
// GEMM of op_linear.cpp) for a backend whose graph holds fully-connected
// layers: XnnpackBackend runs its FullyConnected nodes with it where it is
// the faster one (docs/xnnpack.md).
//
//   void* w = optimized::pack_fully_connected(weight, n, k, /*transposed=*/false);  // init
//   optimized::FullyConnected fc{w, m, n, k, bias, lo, hi};
//   size_t temp = optimized::fully_connected_temp_bytes(fc);
//   Error e = optimized::run_fully_connected(fc, in, out, temp_memory, temp);        // a call
//   optimized::release_fully_connected(w);                                            // destroy
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"

namespace ember {
namespace optimized {

/// The weight [n, k] (transposed: [k, n]) packed as the GEMM's B, or nullptr
/// when out of memory. Heap memory; free it with release_fully_connected().
/// Packed for the GEMM's instruction set in use (runs only on it).
void* pack_fully_connected(const float* weight, int64_t n, int64_t k, bool transposed);

void release_fully_connected(void* packed);

/// out [m, n] = clamp(in [m, k] x weight^T + bias, lo, hi).
struct FullyConnected {
  const void* packed = nullptr;  ///< pack_fully_connected(weight, n, k, ...)
  int64_t m = 0, n = 0, k = 0;
  const float* bias = nullptr;   ///< [n] or nullptr
  float lo = -HUGE_VALF, hi = HUGE_VALF;
};

/// Temp memory a call works best with at the current thread count; any
/// amount from fully_connected_min_temp_bytes() works, with the same results.
size_t fully_connected_temp_bytes(const FullyConnected& fc);
size_t fully_connected_min_temp_bytes();

/// Runs `fc` on the process's thread pool. MemoryAllocationFailed (nothing
/// written) with less temp memory than fully_connected_min_temp_bytes().
Error run_fully_connected(const FullyConnected& fc, const float* in, float* out, uint8_t* temp,
                          size_t temp_bytes);

}  // namespace optimized
}  // namespace ember
