// Ember's float32 GEMM: packed panels, register-blocked micro-kernels chosen
// at run time from the CPU (AVX-512, AVX2+FMA, NEON, generic C++), threaded
// over the process's pool. No heap: the caller gives a workspace.
//
//   C[m, n] = clamp(alpha * A[m, k] * B[k, n] + beta * C + bias, min, max)
//
// Usage (a linear layer y = relu(x W^T + b), W given as [n, k] row-major):
//
//   using namespace ember::gemm;
//   MatrixView x{x_data, k, 1};            // A: [m, k] row-major
//   MatrixView w_t{w_data, 1, k};          // B = W^T: element (p, j) at w[j * k + p]
//   Epilogue epi;
//   epi.bias = b; epi.bias_kind = BiasKind::per_column; epi.min = 0.0f;   // fused relu
//   size_t bytes = workspace_bytes(m, n, k, ember::get_num_threads(), false);
//   Error e = gemm(m, n, k, 1.0f, x, w_t, 0.0f, y, n, epi, scratch, bytes);
//
// Constant weights can be packed once (at load) and reused:
//
//   std::vector<uint8_t> packed(packed_b_bytes(k, n));      // caller's memory
//   pack_b(w_t, k, n, packed.data(), packed.size());
//   gemm_packed(m, n, k, 1.0f, x, packed.data(), 0.0f, y, n, epi, scratch, bytes);
//
// Results do not depend on the thread count or the workspace size: threads
// split C into tiles (never K), and the depth blocking is fixed per ISA, so
// 1 and N threads give bit-identical C. Different ISAs may differ in the
// last bits (FMA and summation order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "runtime/core/error.h"
#include "runtime/kernels/common/cpu_features.h"

namespace ember {
namespace gemm {

/// The micro-kernel families: the instruction sets of
/// runtime/kernels/common/cpu_features.h (generic < avx2 < avx512; neon).
using Isa = ::ember::Isa;
using ::ember::isa_name;

/// Whether this build and this CPU can run `isa` (generic: always).
bool isa_available(Isa isa);

/// The ISA new calls use: the best the CPU has, or EMBER_GEMM_ISA from the
/// environment (generic|avx2|avx512|neon, read at first use; when unset,
/// EMBER_KERNELS_ISA, the optimized kernels' setting) capped at what the CPU
/// has, or the last set_isa(). Thread-safe.
Isa active_isa();

/// Use `isa` from now on (tests and benchmarks). NotSupported if the CPU or
/// the build lacks it. Buffers packed before keep working: they record the
/// ISA they were packed for and gemm_packed uses that one's kernels.
Error set_isa(Isa isa);

/// A read-only float matrix view: element (i, j) is data[i * row_stride + j * col_stride].
/// Any strides (even 0 or negative) are accepted; unit column stride
/// (row-major) and unit row stride (transposed) take fast packing paths.
struct MatrixView {
  const float* data;
  int64_t row_stride;
  int64_t col_stride;
};

/// What the bias vector is indexed by.
enum class BiasKind : uint8_t {
  none = 0,
  per_column = 1,  ///< bias[j], length n (a linear layer's bias)
  per_row = 2,     ///< bias[i], length m (a convolution's bias when C is [out_channels, pixels])
};

/// Work done on C after the product, fused into the micro-kernel's stores.
/// The defaults do nothing. The clamp propagates NaN (a NaN stays NaN).
struct Epilogue {
  const float* bias = nullptr;
  BiasKind bias_kind = BiasKind::none;
  float min = -std::numeric_limits<float>::infinity();  ///< 0 for relu
  float max = std::numeric_limits<float>::infinity();   ///< 6 for relu6
};

/// Smallest workspace any call accepts with the active ISA (a few tens of
/// KiB; never more than 64 KiB). Calls given this much run on one thread.
size_t min_workspace_bytes();

/// Workspace for the fastest blocking of `batch` m x n x k products on
/// `num_threads` threads with the active ISA (B packed by the caller or
/// not). Any size >= min_workspace_bytes() works: with less, blocks shrink
/// and fewer threads are used; the results stay identical.
size_t workspace_bytes(int64_t m, int64_t n, int64_t k, size_t num_threads, bool b_prepacked,
                       int64_t batch = 1);

/// C = clamp(alpha * A * B + beta * C + bias). A is [m, k], B is [k, n], C
/// row-major [m, n] with row stride ldc >= n. beta == 0 never reads C (NaN
/// in C is overwritten). A and B must not overlap C. `workspace` is scratch
/// of `workspace_bytes` bytes (any alignment) used for this call only.
/// Threads: ember::get_num_threads() (serially for small products).
/// InvalidArgument on negative sizes, null pointers, ldc < n, min > max,
/// a missing bias or a workspace under min_workspace_bytes().
Error gemm(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b, float beta,
           float* c, int64_t ldc, const Epilogue& epilogue, void* workspace,
           size_t workspace_bytes);

/// Bytes of B [k, n] packed for the active ISA.
size_t packed_b_bytes(int64_t k, int64_t n);

/// Packs B [k, n] into `dst` (dst_bytes >= packed_b_bytes(k, n), 4-byte
/// aligned; 64 is best). The layout is internal: NR-column panels, each k x NR, after
/// a header recording the ISA, k and n.
Error pack_b(MatrixView b, int64_t k, int64_t n, void* dst, size_t dst_bytes);

/// gemm() with B from pack_b(). InvalidArgument if k or n differ from the
/// packed ones or the buffer is not a packed B. Same results as gemm() with
/// the same ISA.
Error gemm_packed(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, const void* packed_b,
                  float beta, float* c, int64_t ldc, const Epilogue& epilogue, void* workspace,
                  size_t workspace_bytes);

/// Bytes of A [m, k] packed for the active ISA.
size_t packed_a_bytes(int64_t m, int64_t k);
/// Packs A [m, k] (a constant left operand: a convolution's weight, C being
/// [out_channels, pixels]) into `dst` (dst_bytes >= packed_a_bytes(m, k),
/// 4-byte aligned; 64 is best): MR-row panels per depth block, after a header
/// recording the ISA, m and k.
Error pack_a(MatrixView a, int64_t m, int64_t k, void* dst, size_t dst_bytes);
/// gemm() with A from pack_a(). InvalidArgument if m or k differ from the
/// packed ones or the buffer is not a packed A. Same results as gemm() with
/// the same ISA.
Error gemm_packed_a(int64_t m, int64_t n, int64_t k, float alpha, const void* packed_a,
                    MatrixView b, float beta, float* c, int64_t ldc, const Epilogue& epilogue,
                    void* workspace, size_t workspace_bytes);

/// Strides between the matrices of a batch, in floats.
struct BatchStrides {
  int64_t a = 0;
  int64_t b = 0;
  int64_t c = 0;
};

/// `batch` independent gemm() calls (torch.bmm, baddbmm): matrix i uses
/// a.data + i * strides.a, b.data + i * strides.b, c + i * strides.c; the
/// epilogue's bias is shared by every matrix. Threads split the batch (or
/// each matrix when the batch is smaller than the thread count).
Error gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, float alpha, MatrixView a,
                   MatrixView b, float beta, float* c, int64_t ldc, BatchStrides strides,
                   const Epilogue& epilogue, void* workspace, size_t workspace_bytes);

}  // namespace gemm
}  // namespace ember
