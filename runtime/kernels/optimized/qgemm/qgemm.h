// Ember's int8 GEMM with requantization: uint8/int8 activations times a
// constant int8 weight packed once at load, int32 accumulation, and a fused
// epilogue writing int8/uint8 (requantized) or float32. Micro-kernels are
// chosen at run time from the CPU (AVX-512 VNNI, AVX2, NEON dot product,
// NEON, generic C++), threads come from the process's pool, and the caller
// gives the workspace: no heap, no exceptions.
//
//   acc[i][j] = sum_p (A[i][p] - a_zp(i)) * W[j][p]            exact, int32
//   y[i][j]   = float(acc) * (a_scale(i) * w_scale(j)) + bias[j]  float32
//   float output:  C = clamp(y, min, max)
//   int8/uint8:    C = clamp(rint(y * inv_out) + out_zp, qmin, qmax),
//                  inv_out = float(1.0 / double(out_scale)), rint half to even
//
// Usage (a static-quantized linear y = relu(x W^T + b), int8 in and out):
//
//   using namespace ember::qgemm;
//   // At load: W is the [n, k] int8 weight, w_scales its n per-channel scales.
//   size_t pb = packed_qb_bytes(k, n);                        // caller's memory
//   pack_qb(w, k, n, /*w_row_stride=*/k, packed, pb);
//   // Per call:
//   Activation a{x, ActType::s8, /*lda=*/k};
//   a.scale = x_scale; a.zero_point = x_zp;                  // per tensor
//   Weight b{packed, w_scales, /*per_channel=*/true};
//   QEpilogue e;
//   e.out = OutType::s8; e.bias = bias;
//   e.out_scale = y_scale; e.out_zero_point = y_zp;
//   e.qmin = y_zp; e.qmax = 127;                              // fused relu
//   size_t ws = workspace_bytes(m, n, k, ember::get_num_threads());
//   Error err = qgemm(m, n, k, a, b, y, /*ldc=*/n, e, scratch, ws);
//
// Dynamic quantization (per token) first quantizes the float rows:
//
//   quantize_rows(x_f32, m, k, k, ActType::s8, x_q, k, row_scales, row_zps);
//   a = Activation{x_q, ActType::s8, k}; a.row_scales = row_scales; a.row_zero_points = row_zps;
//   e.out = OutType::f32;                                     // float result
//
// Results are exact integer accumulations followed by one fixed sequence of
// float32 operations, so they are bit-identical for every ISA, thread count
// and workspace size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "runtime/core/error.h"

namespace ember {
namespace qgemm {

/// The micro-kernel families (not ember::Isa: the integer dot-product
/// extensions are separate families here).
enum class Isa : uint8_t {
  generic = 0,     ///< portable C++
  avx2 = 1,        ///< AVX2: int16 widening and vpmaddwd
  avx512vnni = 2,  ///< AVX-512 F/BW/VL + VNNI: vpdpbusd on zmm
  neon = 3,        ///< AArch64 NEON: int16 widening multiply-accumulate
  neon_dot = 4,    ///< AArch64 with the dot-product extension: sdot
};

/// "generic", "avx2", "avx512vnni", "neon" or "neondot".
const char* isa_name(Isa isa);

/// Whether this build and this CPU can run `isa` (generic: always).
bool isa_available(Isa isa);

/// The family new calls use: the best the CPU has, or EMBER_QGEMM_ISA from
/// the environment (a name of isa_name(); when unset, EMBER_KERNELS_ISA, where
/// avx512 means avx512vnni), read at first use and capped at what the CPU has
/// (avx512vnni -> avx2 -> generic, neondot -> neon), or the last set_isa().
Isa active_isa();

/// Use `isa` from now on (tests, benchmarks). NotSupported if the CPU or the
/// build lacks it. Buffers packed before keep working: they record their ISA.
Error set_isa(Isa isa);

/// Element type of the activations A.
enum class ActType : uint8_t { u8 = 0, s8 = 1 };

/// What C holds.
enum class OutType : uint8_t { f32 = 0, s8 = 1, u8 = 2 };

/// A [m, k]: element (i, p) at data[i * lda + p] (lda >= k), with its
/// quantization: per tensor (scale, zero_point) unless row_scales is set, then
/// per row (per token) from row_scales[i] and row_zero_points[i] (length m).
/// Zero points must lie in the element type's range.
struct Activation {
  const void* data = nullptr;
  ActType type = ActType::u8;
  int64_t lda = 0;
  float scale = 1.0f;
  int32_t zero_point = 0;
  const float* row_scales = nullptr;
  const int32_t* row_zero_points = nullptr;
};

/// B = W^T from pack_qb(), with symmetric scales (zero point 0): scales[j]
/// per output channel (length n) or scales[0] for the whole tensor.
struct Weight {
  const void* packed = nullptr;
  const float* scales = nullptr;
  bool per_channel = true;
};

/// The epilogue fused into the micro-kernels' stores (see the banner).
struct QEpilogue {
  OutType out = OutType::f32;
  const float* bias = nullptr;  ///< bias[j], length n, or none
  // OutType::f32: the clamp (NaN propagates).
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  // OutType::s8 / u8: out_scale > 0; the zero point and [qmin, qmax] within
  // the output type's range (qmin = out_zero_point fuses relu). NaN gives qmin.
  float out_scale = 1.0f;
  int32_t out_zero_point = 0;
  int32_t qmin = std::numeric_limits<int32_t>::min();  ///< default: the type's lowest
  int32_t qmax = std::numeric_limits<int32_t>::max();  ///< default: the type's highest
};

/// Largest depth accepted: every accumulator then fits int32 exactly.
constexpr int64_t kMaxDepth = 65536;

/// Bytes of W [n, k] packed for the active ISA.
size_t packed_qb_bytes(int64_t k, int64_t n);

/// Packs the int8 weight W [n, k] (row j at w + j * w_row_stride, unit
/// column stride; B = W^T) into `dst` (dst_bytes >= packed_qb_bytes(k, n),
/// 4-byte aligned; 64 is best): a header recording the ISA, k and n, the
/// column sums of B (for the activation zero point), then NR-column panels.
/// InvalidArgument on negative sizes, k > kMaxDepth, null pointers,
/// w_row_stride < k or a short destination.
Error pack_qb(const int8_t* w, int64_t k, int64_t n, int64_t w_row_stride, void* dst,
              size_t dst_bytes);

/// Smallest workspace any call of depth k accepts (one MR-row panel of A for
/// the families of this build, plus alignment: about 16 * k + 128 bytes). It
/// depends on k because the micro-kernels run the whole depth in registers.
size_t min_workspace_bytes(int64_t k);

/// Workspace for the preferred blocking on `num_threads` threads with the
/// active ISA. Any size >= min_workspace_bytes(k) works (fewer threads and
/// smaller blocks, the same results).
size_t workspace_bytes(int64_t m, int64_t n, int64_t k, size_t num_threads);

/// C [m, n] (row stride ldc >= n, elements of `epilogue.out`) from A and the
/// packed B (k and n must be the packed ones). `workspace` (any alignment) is
/// scratch for this call only. Threads: ember::get_num_threads(), serially
/// for small products. InvalidArgument on negative sizes, k > kMaxDepth, null
/// pointers, lda < k, ldc < n, zero points or [qmin, qmax] outside their
/// type, qmin > qmax, min > max, out_scale <= 0, a buffer that is not a
/// packed B of this k and n, or a workspace under min_workspace_bytes(k).
Error qgemm(int64_t m, int64_t n, int64_t k, const Activation& a, const Weight& b, void* c,
            int64_t ldc, const QEpilogue& epilogue, void* workspace, size_t workspace_bytes);

/// Dynamic per-row (per-token) asymmetric quantization of x [rows, cols]
/// (row stride ldx) into q (row stride ldq, `type` elements), exactly as
/// torch.ops.quantized_decomposed.choose_qparams_per_token_asymmetric then
/// quantize_per_token(q range of the type): scale = max((max(x_max, 0) -
/// min(x_min, 0)) / 255, FLT_EPSILON) in float32, the zero point from the
/// smaller-error end rounded half to even in [-128, 127]; q = clamp(rint(x *
/// (1.0 / scale) + zp)) in float64. For u8 the zero point and every value are
/// the int8 ones plus 128 (the same real values). scales[i] (the float64 one
/// is this float exactly) and zero_points[i] are written per row. x is
/// expected finite (torch's NaN propagation is not reproduced).
Error quantize_rows(const float* x, int64_t rows, int64_t cols, int64_t ldx, ActType type,
                    void* q, int64_t ldq, float* scales, int32_t* zero_points);

/// Dynamic per-tensor asymmetric quantization of x [rows, cols] as
/// quantized_decomposed.choose_qparams.tensor(x, qmin, qmax, eps, dtype) with
/// the type's full range, then quantize_per_tensor.tensor: scale =
/// max((max(x_max, 0) - min(x_min, 0)) / (qmax - qmin), eps) in float32
/// (PT2E passes eps = 2^-12; torch returns it as float64, which is this float
/// exactly), zp = clamp(qmin - rint(min(x_min, 0) / scale)); q = clamp(rint(x
/// * float(1.0 / scale)) + zp) in float32. rows * cols == 0 gives scale 1, zp 0.
Error quantize_tensor(const float* x, int64_t rows, int64_t cols, int64_t ldx, ActType type,
                      float eps, void* q, int64_t ldq, float* scale, int32_t* zero_point);

}  // namespace qgemm
}  // namespace ember
