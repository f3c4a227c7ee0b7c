// Reference kernel of ember::quantized_matmul, which
// ember-fold-quantized-matmul makes from dequantize_per_tensor of two
// activations, mm or bmm, quantize_per_tensor (attention's Q @ K^T and
// P @ V). Both operands are dequantized with the pattern's float32 steps,
// each output's products are summed in double and rounded once to float32
// (as quantized_linear's reference does: the exact sum, which float kernels
// approach in another order), then quantize_per_tensor's round-half-even
// of y * float(1 / out_scale). Against the reference path the only
// difference is the float kernel's summation order, which can move a value
// across a rounding boundary: at most one output step. The dequantized
// operands live in the method's temp memory.
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/quantize_util.h"
#include "runtime/kernels/portable/quantized_matmul.h"

namespace ember {
namespace portable {
namespace {

using namespace quant;

/// A quantized activation (int8 or uint8, contiguous) with its parameters.
bool check_operand(KernelContext& ctx, const char* op, const char* name, const Tensor& t,
                   double scale, int64_t zp) {
  if (t.dtype() != ScalarType::Char && t.dtype() != ScalarType::Byte) {
    return reject_dtype(ctx, op, name, t.dtype());
  }
  const int64_t lo = t.dtype() == ScalarType::Byte ? 0 : -128;
  return check_contiguous(ctx, op, name, t) && check_scale(ctx, op, scale) &&
         check_zero_point(ctx, op, zp, lo, lo + 255);
}

/// dequantize_per_tensor of a whole operand into temp memory; nullptr after
/// failing the call.
float* dequantized(KernelContext& ctx, const char* op, const Tensor& t, double scale, int64_t zp) {
  const size_t bytes = static_cast<size_t>(t.numel() > 0 ? t.numel() : 1) * sizeof(float);
  float* dst = static_cast<float*>(ctx.allocate_temp(bytes));
  if (dst == nullptr) {
    kernel_fail(ctx, Error::MemoryAllocationFailed, op,
                "needs %zu bytes of temp memory for a dequantized operand", bytes);
    return nullptr;
  }
  const float fs = static_cast<float>(scale), fz = static_cast<float>(zp);
  for (int64_t i = 0; i < t.numel(); ++i) {
    dst[i] = (static_cast<float>(load_integer(t, i)) - fz) * fs;
  }
  return dst;
}

}  // namespace

bool quantized_matmul_prepare(KernelContext& ctx, Span<EValue*> args, QuantizedMatmulCall* c) {
  const char* op = "ember::quantized_matmul.out";
  ArgReader r(ctx, args, op, 12);
  c->a = r.tensor(0, "self");
  c->a_scale = r.real(1, "self_scale");
  c->a_zero_point = r.integer(2, "self_zero_point");
  c->b = r.tensor(3, "other");
  c->b_scale = r.real(4, "other_scale");
  c->b_zero_point = r.integer(5, "other_zero_point");
  c->out_scale = r.real(6, "output_scale");
  c->out_zero_point = r.integer(7, "output_zero_point");
  c->qmin = r.integer(8, "quant_min");
  c->qmax = r.integer(9, "quant_max");
  c->out = r.tensor(10, "out");
  if (!r.ok()) return false;
  const Tensor &a = *c->a, &b = *c->b;
  Tensor& out = *c->out;
  if (!check_operand(ctx, op, "self", a, c->a_scale, c->a_zero_point) ||
      !check_operand(ctx, op, "other", b, c->b_scale, c->b_zero_point)) {
    return false;
  }
  if (out.dtype() != ScalarType::Char && out.dtype() != ScalarType::Byte) {
    return reject_dtype(ctx, op, "out", out.dtype());
  }
  const int64_t lo = out.dtype() == ScalarType::Byte ? 0 : -128;
  ScalarType checked = out.dtype();
  if (!check_qrange(ctx, op, static_cast<int64_t>(out.dtype()), c->qmin, c->qmax, &checked) ||
      !check_scale(ctx, op, c->out_scale) ||
      !check_zero_point(ctx, op, c->out_zero_point, lo, lo + 255) ||
      !check_contiguous(ctx, op, "out", out)) {
    return false;
  }
  const int rank = a.dim();
  bool fits = rank >= 2 && b.dim() == rank && a.size(rank - 1) == b.size(rank - 2);
  for (int d = 0; fits && d < rank - 2; ++d) fits = a.size(d) == b.size(d);
  if (!fits) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "self %s and other %s are not [..., M, K] and [..., K, N] with the same "
                       "leading dims",
                       sizes_text(a.sizes()).text, sizes_text(b.sizes()).text);
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(a, sizes);
  sizes[rank - 1] = b.size(rank - 1);
  if (!resize_out(ctx, op, "out", out, sizes, rank)) return false;
  c->m = a.size(rank - 2);
  c->k = a.size(rank - 1);
  c->n = b.size(rank - 1);
  c->batch = 1;
  for (int d = 0; d < rank - 2; ++d) c->batch *= a.size(d);
  return true;
}

void quantized_matmul_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_matmul.out";
  QuantizedMatmulCall c;
  if (!quantized_matmul_prepare(ctx, args, &c)) return;
  float* x = dequantized(ctx, op, *c.a, c.a_scale, c.a_zero_point);
  float* w = x ? dequantized(ctx, op, *c.b, c.b_scale, c.b_zero_point) : nullptr;
  if (w == nullptr) return;
  const float inv = static_cast<float>(1.0 / c.out_scale);
  const float zo = static_cast<float>(c.out_zero_point);
  const float lo = static_cast<float>(c.qmin), hi = static_cast<float>(c.qmax);
  const int64_t m = c.m, n = c.n, k = c.k;
  for (int64_t g = 0; g < c.batch; ++g) {
    const float* xg = x + g * m * k;
    const float* wg = w + g * k * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(xg[i * k + p]) * wg[p * n + j];
        store_quantized(*c.out, (g * m + i) * n + j,
                        quantize_one(static_cast<float>(acc), inv, zo, lo, hi));
      }
    }
  }
}

}  // namespace portable
}  // namespace ember
