// Optimized ember::quantized_cat and ember::quantized_matmul.
//
//   quantized_cat: an input with the output's scale and zero point is a
//   byte copy (clamped to [quant_min, quant_max] when that is narrower than
//   the type); any other input takes 256 values, so it goes through a
//   256-entry table built with the reference kernel's float32 steps. Both
//   are the portable kernel's bits.
//
//   quantized_matmul: the chain it replaces, fused: both operands
//   dequantized (float32 steps) into temp memory, ember_gemm's batched
//   product (what aten::bmm.out's optimized kernel runs), quantized in
//   float32 as quantize_per_tensor does: the optimized reference path's
//   bits, in one kernel and without the float tensors in the memory plan.
//   The portable kernel sums in double: one output step apart at most.
//   (ember_qgemm does not fit: its B must be a symmetric weight, zero point
//   0, while both operands here are asymmetric activations; an exact int32
//   product would need a per-row correction term in its epilogue.)
#include <cstring>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/gemm/gemm.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/simd_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/quantize_util.h"
#include "runtime/kernels/portable/quantized_cat.h"
#include "runtime/kernels/portable/quantized_matmul.h"

namespace ember {
namespace optimized {
namespace {

using namespace portable::quant;

/// table[v ^ bias] = the output value of input byte v (bias 0x80 for int8,
/// so that index 0 is -128): dequantized and requantized as the reference.
void requantize_table(double scale, int64_t zp, bool is_signed,
                      const portable::QuantizedCatCall& c, uint8_t* table) {
  const float fs = static_cast<float>(scale), fz = static_cast<float>(zp);
  const float inv = static_cast<float>(1.0 / c.out_scale);
  const float zo = static_cast<float>(c.out_zero_point);
  const float lo = static_cast<float>(c.qmin), hi = static_cast<float>(c.qmax);
  for (int i = 0; i < 256; ++i) {
    const int v = is_signed ? i - 128 : i;
    const float q = quantize_one((static_cast<float>(v) - fz) * fs, inv, zo, lo, hi);
    const int out = static_cast<int>(q);
    table[i] = static_cast<uint8_t>(out);  // int8 stored as its two's complement byte
  }
}

/// memcpy for the short runs of a cat over channels-last channels (a pixel's
/// channels of one input: tens of bytes, thousands of them), where a call
/// per run costs more than the copy: 16-byte moves the compiler inlines.
inline void copy_run(uint8_t* dst, const uint8_t* src, int64_t len) {
  if (len > 256) {
    std::memcpy(dst, src, static_cast<size_t>(len));
    return;
  }
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) std::memcpy(dst + i, src + i, 16);
  for (; i < len; ++i) dst[i] = src[i];
}

}  // namespace

void quantized_cat_out(KernelContext& ctx, Span<EValue*> args) {
  portable::QuantizedCatCall c;
  if (!portable::quantized_cat_prepare(ctx, args, &c)) return;
  Tensor& out = *c.out;
  const bool is_signed = out.dtype() == ScalarType::Char;
  const int64_t type_lo = is_signed ? -128 : 0, type_hi = type_lo + 255;
  const bool full_range = c.qmin <= type_lo && c.qmax >= type_hi;
  const uint8_t bias = is_signed ? 0x80 : 0;
  const int64_t row = out.numel() / (c.outer ? c.outer : 1);
  uint8_t* dst = out.data_as<uint8_t>();
  int64_t offset = 0;
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    const Tensor& t = c.tensors[i]->to_tensor();
    const uint8_t* src = t.data_as<const uint8_t>();
    const int64_t run = t.size(static_cast<int32_t>(c.dim)) * c.inner;
    const bool same = c.scales[i] == c.out_scale && c.zero_points[i] == c.out_zero_point;
    if (same && full_range) {
      for (int64_t o = 0; o < c.outer; ++o) copy_run(dst + o * row + offset, src + o * run, run);
    } else {
      uint8_t table[256];
      requantize_table(c.scales[i], c.zero_points[i], is_signed, c, table);
      for (int64_t o = 0; o < c.outer; ++o) {
        uint8_t* d = dst + o * row + offset;
        const uint8_t* s = src + o * run;
        for (int64_t j = 0; j < run; ++j) d[j] = table[static_cast<uint8_t>(s[j] ^ bias)];
      }
    }
    offset += run;
  }
}

void quantized_matmul_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_matmul.out";
  portable::QuantizedMatmulCall c;
  if (!portable::quantized_matmul_prepare(ctx, args, &c)) return;
  const int64_t b = c.batch, m = c.m, k = c.k, n = c.n;
  auto floats = [&](int64_t count) {
    return static_cast<float*>(
        ctx.allocate_temp(static_cast<size_t>(count > 0 ? count : 1) * sizeof(float), 64));
  };
  float* x = floats(b * m * k);
  float* w = x ? floats(b * k * n) : nullptr;
  float* y = w ? floats(b * m * n) : nullptr;
  size_t bytes = 0;
  void* ws = y ? gemm_workspace(ctx, b, m, n, k, &bytes) : nullptr;
  if (ws == nullptr) {
    portable::quantized_matmul_out(ctx, args);  // its temp needs are smaller
    return;
  }
  // The quantize and dequantize kernels' vector loops (the same float32 steps).
  const SimdKernels& k_simd = simd();
  k_simd.dequantize(c.a->data(), x, c.a->numel(), static_cast<float>(c.a_scale),
                    static_cast<float>(c.a_zero_point), c.a->dtype() == ScalarType::Byte);
  k_simd.dequantize(c.b->data(), w, c.b->numel(), static_cast<float>(c.b_scale),
                    static_cast<float>(c.b_zero_point), c.b->dtype() == ScalarType::Byte);
  const gemm::BatchStrides strides{m * k, k * n, m * n};
  const Error e = gemm::gemm_batched(b, m, n, k, 1.0f, gemm::MatrixView{x, k, 1},
                                     gemm::MatrixView{w, n, 1}, 0.0f, y, n, strides,
                                     gemm::Epilogue{}, ws, bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, op, "gemm failed (%s)", error_name(e));
  k_simd.quantize(y, c.out->mutable_data(), b * m * n, static_cast<float>(1.0 / c.out_scale),
                  static_cast<float>(c.out_zero_point), static_cast<float>(c.qmin),
                  static_cast<float>(c.qmax), c.out->dtype() == ScalarType::Byte);
}

}  // namespace optimized
}  // namespace ember
