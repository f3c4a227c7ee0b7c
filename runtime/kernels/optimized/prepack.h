// Constant operands packed at load (a kernel's KernelPrepareFn state, see
// runtime/kernel/kernel.h): the weights of the matrix products and of the
// convolutions, packed once into the GEMM's panels so that no call packs
// them again. One heap block per instruction: this header, then `parts`
// packed buffers (a convolution's groups; one for the others), each 64-byte
// aligned. EMBER_PREPACK=0 in the environment at load packs nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/optimized/gemm/gemm.h"

namespace ember {
namespace optimized {

struct Prepacked {
  const void* source;  ///< the constant's data the parts were packed from
  int64_t parts;
  size_t part_bytes;   ///< a multiple of 64

  const void* part(int64_t i) const {
    return reinterpret_cast<const uint8_t*>(this) + kHeaderBytes + static_cast<size_t>(i) * part_bytes;
  }
  static constexpr size_t kHeaderBytes = 64;
};

/// Fills part i (part_bytes at dst); an error drops the whole block.
using PackPart = Error (*)(const void* context, int64_t i, void* dst, size_t bytes);

/// A block of `parts` buffers of `part_bytes` packed from `source` by
/// `pack`, or nullptr (EMBER_PREPACK=0, no memory, or a part failed): the
/// kernel then packs in each call, as without a state.
void* make_prepacked(const void* source, int64_t parts, size_t part_bytes, PackPart pack,
                     const void* context);

/// make_prepacked whatever EMBER_PREPACK says: for callers that keep only
/// the packed form (a backend's weights), nullptr only when out of memory
/// or a part failed.
void* pack_parts(const void* source, int64_t parts, size_t part_bytes, PackPart pack,
                 const void* context);

/// A GEMM's B [k, n] (a view: row-major, or a linear's [n, k] weight read
/// transposed) for pack_gemm_b.
struct GemmB {
  gemm::MatrixView b;
  int64_t k, n;
};

/// The PackPart of a constant B (context: a GemmB): gemm::pack_b into the
/// part, for the GEMM's instruction set in use.
Error pack_gemm_b(const void* context, int64_t part, void* dst, size_t bytes);

/// Frees a make_prepacked block (the kernels' KernelReleaseFn).
void release_prepacked(void* state);

/// The call's prepared state when it was packed from `source`, else nullptr.
inline const Prepacked* prepacked_for(const KernelContext& ctx, const void* source) {
  const auto* p = static_cast<const Prepacked*>(ctx.state());
  return p != nullptr && p->source == source ? p : nullptr;
}

/// Argument `index` of a prepare call when it is a constant float32 tensor
/// of `rank` dims with elements, else nullptr.
const Tensor* constant_float(Span<EValue* const> args, Span<const bool> constant, size_t index,
                             int rank);

}  // namespace optimized
}  // namespace ember
