// Which instruction set the optimized kernels' vector loops run with: the
// best this CPU has among those compiled in, chosen once at first use.
//
// EMBER_KERNELS_ISA=generic|avx2|avx512|neon in the environment picks one
// (read once; a set the build or CPU lacks falls back to the best one below
// it, with a log line), so that tests and benchmarks can run every path on
// one machine; it also sets the GEMM's (gemm/gemm.h). set_isa() does it from
// code, for these loops only. CPU detection: runtime/kernels/common/cpu_features.h.
#pragma once

#include "runtime/kernels/common/cpu_features.h"
#include "runtime/kernels/optimized/simd_kernels.h"
#include "runtime/kernels/optimized/simd_qwindow.h"

namespace ember {
namespace optimized {

using Isa = ::ember::Isa;
using ::ember::isa_name;

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

/// The int8 window loops of the instruction set in use.
const QWindowKernels& qwindow();

}  // namespace optimized
}  // namespace ember
