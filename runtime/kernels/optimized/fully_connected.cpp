// The backends' fully-connected entry (fully_connected.h): the weight packed
// once as the GEMM's B (pack_parts, whatever EMBER_PREPACK says: the caller
// keeps only the packed form), each call one gemm_packed with the bias per
// column and the clamp in its epilogue.
#include "runtime/kernels/optimized/fully_connected.h"

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/gemm/gemm.h"
#include "runtime/kernels/optimized/prepack.h"

namespace ember {
namespace optimized {

void* pack_fully_connected(const float* weight, int64_t n, int64_t k, bool transposed) {
  if (weight == nullptr || n <= 0 || k <= 0) return nullptr;
  // B [k, n]: the weight [n, k] read transposed, or [k, n] as it is.
  const GemmB b{transposed ? gemm::MatrixView{weight, n, 1} : gemm::MatrixView{weight, 1, k}, k,
                n};
  return pack_parts(weight, 1, gemm::packed_b_bytes(k, n), &pack_gemm_b, &b);
}

void release_fully_connected(void* packed) {
  if (packed != nullptr) release_prepacked(packed);
}

size_t fully_connected_temp_bytes(const FullyConnected& fc) {
  return gemm::workspace_bytes(fc.m, fc.n, fc.k, get_num_threads(), true);
}

size_t fully_connected_min_temp_bytes() { return gemm::min_workspace_bytes(); }

Error run_fully_connected(const FullyConnected& fc, const float* in, float* out, uint8_t* temp,
                          size_t temp_bytes) {
  const auto* packed = static_cast<const Prepacked*>(fc.packed);
  if (packed == nullptr || packed->parts != 1 || fc.m < 0 || fc.n <= 0 || fc.k <= 0) {
    return Error::InvalidArgument;
  }
  if (temp_bytes < gemm::min_workspace_bytes()) return Error::MemoryAllocationFailed;
  gemm::Epilogue epilogue;
  epilogue.min = fc.lo;
  epilogue.max = fc.hi;
  if (fc.bias != nullptr) {
    epilogue.bias = fc.bias;
    epilogue.bias_kind = gemm::BiasKind::per_column;
  }
  return gemm::gemm_packed(fc.m, fc.n, fc.k, 1.0f, gemm::MatrixView{in, fc.k, 1}, packed->part(0),
                           0.0f, out, fc.n, epilogue, temp, temp_bytes);
}

}  // namespace optimized
}  // namespace ember
