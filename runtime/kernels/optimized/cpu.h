// Which instruction set the optimized kernels run with: the best one this
// CPU has among those compiled in, chosen once at first use.
//
// EMBER_KERNELS_ISA=generic|avx2|avx512|neon in the environment caps the
// choice (read once; a set the CPU lacks, or an unknown name, is reported on
// the log and ignored), so that tests and benchmarks can run every path on
// one machine. set_isa() does the same from code.
#pragma once

#include "runtime/kernels/optimized/simd_kernels.h"

namespace ember {
namespace optimized {

enum class Isa : uint8_t { Generic, Avx2, Avx512, Neon };

/// "generic", "avx2", "avx512" or "neon".
const char* isa_name(Isa isa);

/// True if `isa` is compiled in and this CPU can run it.
bool isa_available(Isa isa);

/// The instruction set in use.
Isa active_isa();

/// Use `isa` from now on (kernels read it per call). False, and no change,
/// if it is not available. Not thread-safe against running kernels: call it
/// between runs.
bool set_isa(Isa isa);

/// The vector loops of the instruction set in use.
const SimdKernels& simd();

}  // namespace optimized
}  // namespace ember
