// Ember's low-bit weight kernels for LLMs: linear layers whose weight is
// stored group-wise quantized along k (int4 or int8, torchao's
// dequantize_affine with block_size [1, G]), and quantized embedding lookups.
// A sibling of the float32 GEMM (optimized/gemm): ember::Error returns, no
// exceptions, no heap, a caller-given workspace, runtime ISA dispatch, threads
// from ember's pool, results bit-identical for any thread count.
//
//   dq(W)[j, p] = (W_q[j, p] - zp[j, p / G]) * scale[j, p / G]
//   y[m, n]     = x[m, k] * dq(W)[n, k]^T (+ bias[n])
//
// Two activation modes:
//   Activation::dynamic_int8 (torchao 8da4w / 8da8w): each row of x is
//     quantized to asymmetric int8 exactly as torchao's choose_qparams_affine
//     + quantize_affine do (quantize_row()), then per group the product is an
//     exact int32 sum and y[i, j] = sx[i] * sum_g (sw[j, g] * S[i, j, g]).
//   Activation::float32 (4w / 8w weight-only): y = x * dq(W)^T in float32,
//     the weights dequantized group by group in registers.
//
// Usage (an 8da4w linear: weight [n, k] as Ember's nibble storage, group 32):
//
//   using namespace ember::lowbit;
//   WeightDesc w{n, k, 32, WeightFormat::int4_nibbles, w_bytes, w_scales, w_zps};
//   size_t pb = packed_bytes(w);                       // 0: invalid description
//   pack(w, packed, pb);                               // once, at load (64-byte aligned dst)
//   size_t wb = workspace_bytes(m, packed, Activation::dynamic_int8);
//   Error e = linear(m, x, k, packed, bias, y, n, Activation::dynamic_int8, scratch, wb);
//
// Quantized embeddings (ExecuTorch's quantized_decomposed::embedding_4bit /
// embedding_2bit / embedding_byte, ET's storage as is):
//
//   EmbeddingDesc t{vocab, dim, 32, EmbeddingFormat::et_4bit, table, scales, nullptr};
//   Error e = embedding(t, token_ids, count, out);     // out: [count, dim] float32
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/error.h"

namespace ember {
namespace lowbit {

/// Kernel families (cpu_dot.cpp detects them; each in its own file compiled
/// with only its flags).
enum class Isa : uint8_t {
  generic = 0,       ///< portable C++
  avx2 = 1,          ///< AVX2 + FMA (vpmaddubsw)
  avx512_vnni = 2,   ///< AVX-512 F/BW/VL + VNNI (vpdpbusd)
  neon = 3,          ///< AArch64 baseline (widening multiplies)
  neon_dotprod = 4,  ///< AArch64 with the dot-product extension (sdot)
};

/// "generic", "avx2", "avx512_vnni", "neon" or "neon_dotprod".
const char* isa_name(Isa isa);

/// Whether this build and this CPU run `isa` (generic: always).
bool isa_available(Isa isa);

/// The family pack() uses: the best available, or EMBER_LOWBIT_ISA from the
/// environment (a name above, read at first use; an unavailable one falls
/// back to the best available with a log line), or the last set_isa().
Isa active_isa();

/// Pack for `isa` from now on (tests, benchmarks). NotSupported if the CPU
/// or the build lacks it. Packed weights record their family and keep using it.
Error set_isa(Isa isa);

/// How a weight is stored in the caller's (the .pte's) memory.
enum class WeightFormat : uint8_t {
  /// Ember's int4 storage: uint8 [n, ceil(k / 2)]; byte b of row j holds
  /// element 2b in its low nibble and 2b + 1 in its high nibble, each a
  /// signed 4-bit two's complement value (-8..7).
  int4_nibbles = 0,
  /// torchao's int4 layout (IntxUnpackedToInt8Tensor qdata): int8 [n, k]
  /// holding values in -8..7.
  int4_unpacked = 1,
  /// int8 [n, k], values -128..127.
  int8 = 2,
};

/// How a weight's scales are stored (the packed weight keeps them so: 16-bit
/// scales read half the bytes, and widen to float32 exactly).
enum class ScaleFormat : uint8_t {
  f32 = 0,
  f16 = 1,   ///< IEEE binary16
  bf16 = 2,  ///< bfloat16
};

/// A quantized linear weight W [n, k] as stored.
struct WeightDesc {
  int64_t n = 0;           ///< output features (rows of W)
  int64_t k = 0;           ///< input features
  int64_t group_size = 0;  ///< G: divides k; even for int4; k for per-channel; <= 32768
  WeightFormat format = WeightFormat::int4_nibbles;
  const void* data = nullptr;          ///< the weight, in `format`
  const void* scales = nullptr;        ///< [n, k / G] in scale_format
  const int8_t* zero_points = nullptr; ///< int8 [n, k / G] (in -8..7 for int4) or nullptr (symmetric)
  ScaleFormat scale_format = ScaleFormat::f32;
};

/// Scale i of `w`'s row-major [n, k / G] scales, widened to float32 (exact).
float scale_of(const WeightDesc& w, int64_t i);

/// Bytes pack() needs for `w` with the active family; 0 if `w`'s sizes are
/// invalid (the same checks pack() logs).
size_t packed_bytes(const WeightDesc& w);

/// Packs `w` into `dst` (dst_bytes >= packed_bytes(w), 64-byte aligned). The
/// layout is internal: a header recording the family, k, n, G, the width and
/// the scales' format, then panels of 64 columns, group by group their
/// weights and scales, each panel ending in its columns' scaled weight sums
/// (the activation zero's correction). InvalidArgument (naming the fault) on
/// bad sizes, a group size that does not divide k (or is odd for int4), null
/// pointers, an unknown scale format, a scale that is not finite or an int4
/// value or zero point outside -8..7.
Error pack(const WeightDesc& w, void* dst, size_t dst_bytes);

/// What a packed buffer holds. InvalidArgument if it is not one.
struct PackedInfo {
  int64_t n, k, group_size;
  int bits;  ///< 4 or 8
  bool has_zero_points;
  Isa isa;
  ScaleFormat scale_format;
};
Error packed_info(const void* packed, PackedInfo* info);

enum class Activation : uint8_t {
  dynamic_int8 = 0,  ///< 8da4w / 8da8w: x quantized per row to int8 (torchao)
  float32 = 1,       ///< weight-only: x used as is
};

/// Workspace linear() needs for m rows (dynamic_int8: the quantized rows,
/// about m * (k + 4 * k / G) bytes; float32: 0). 0 also for an invalid buffer.
size_t workspace_bytes(int64_t m, const void* packed, Activation activation);

/// y[m, n] = x[m, k] * dq(W)^T (+ bias[n]); x rows ldx >= k floats apart, y
/// rows ldy >= n floats apart (must not overlap x). `workspace` (any
/// alignment, may be null when workspace_bytes() is 0) is used for this call
/// only. Threads: ember::get_num_threads(), split over rows and column
/// blocks; the result does not depend on the thread count. InvalidArgument on
/// negative m, null pointers, small strides or workspace, or a buffer that
/// is not a packed weight.
Error linear(int64_t m, const float* x, int64_t ldx, const void* packed, const float* bias,
             float* y, int64_t ldy, Activation activation, void* workspace,
             size_t workspace_bytes);

/// torchao's per-row dynamic quantization, bit for bit:
/// choose_qparams_affine(x, ASYMMETRIC, [1, k], int8, -128, 127, eps=None
/// (float32's smallest normal), scale f32, zero_point int8) then
/// quantize_affine. `q` may be null (only the parameters). InvalidArgument on
/// k <= 0 or null pointers.
Error quantize_row(const float* x, int64_t k, int8_t* q, float* scale, int8_t* zero_point);

/// ExecuTorch's quantized embedding storages.
enum class EmbeddingFormat : uint8_t {
  /// embedding_4bit: uint8 [vocab, dim / 2]; byte b holds element 2b in its
  /// HIGH nibble and 2b + 1 in its low nibble, each as an unsigned 0..15
  /// meaning value - 8 (ET's Python reference: weight.div(16) then
  /// weight.remainder(16), then .add(-8)).
  et_4bit = 0,
  et_int8 = 1,   ///< embedding_byte with int8 [vocab, dim]
  et_uint8 = 2,  ///< embedding_byte with uint8 [vocab, dim]
  /// embedding_2bit: uint8 [vocab, dim / 4]; byte b holds element 4b + j in
  /// bits 2j..2j+1, as an unsigned 0..3 meaning value - 2.
  et_2bit = 3,
};

/// A quantized embedding table (ET semantics: out = (w - zp) * scale with
/// float zero points of the scales' dtype).
struct EmbeddingDesc {
  int64_t vocab = 0;
  int64_t dim = 0;
  int64_t group_size = 0;  ///< divides dim (dim for one scale per row); even for et_4bit,
                           ///< a multiple of 4 for et_2bit
  EmbeddingFormat format = EmbeddingFormat::et_4bit;
  const uint8_t* data = nullptr;
  const float* scales = nullptr;       ///< f32 [vocab, dim / G]
  const float* zero_points = nullptr;  ///< f32 [vocab, dim / G] or nullptr
};

/// out[t, :] = dq(W)[indices[t], :] for t < count, out row-major [count, dim].
/// Runs on the calling thread. InvalidArgument (naming the position) on an
/// index outside [0, vocab), checked before anything is written; on bad
/// sizes or null pointers.
Error embedding(const EmbeddingDesc& table, const int64_t* indices, int64_t count, float* out);
/// The same with int32 indices.
Error embedding(const EmbeddingDesc& table, const int32_t* indices, int64_t count, float* out);

}  // namespace lowbit
}  // namespace ember
