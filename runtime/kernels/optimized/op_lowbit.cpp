// ember::linear_lowbit.out on ember_lowbit (lowbit/lowbit.h): torchao's
// group-wise int4 / int8 weights (8da4w, 8da8w with quantize_input, 4w / 8w
// weight-only without), float32 input [..., K] (contiguous) and out. The
// weight with its scales and zero points is packed once at load
// (prepare_linear_lowbit, when all three are constants: the calls then read
// none of them, packed[] says so); without a state each call packs into its
// scratch memory. lowbit's kernels quantize the rows (torchao's
// choose_qparams_affine + quantize_affine, bit for bit) and run the product
// on the best family the CPU has. Anything off this path, a weight lowbit
// rejects, or too little scratch memory, goes to the portable kernel.
#include <cmath>

#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/lowbit/lowbit.h"
#include "runtime/kernels/optimized/op_quantized.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

/// A 2-d tensor of `dtype`, [rows, cols], contiguous.
bool is_matrix(const Tensor* t, ScalarType dtype, int64_t rows, int64_t cols) {
  return t != nullptr && t->dtype() == dtype && t->dim() == 2 && t->size(0) == rows &&
         t->size(1) == cols && t->is_contiguous_order();
}

/// The weight description of linear_lowbit's arguments (weight, scales,
/// zero points, bits, group size), or false when they are off the path.
/// `check_pack`: also lowbit's own size checks (G even for int4, ...), which
/// read every zero point; a call with a prepared state skips them (they held
/// at load).
bool describe(const Tensor* weight, const Tensor* scales, const Tensor* zero_points, int64_t bits,
              int64_t group_size, bool check_pack, lowbit::WeightDesc* w) {
  if (weight == nullptr || scales == nullptr || weight->dim() != 2 ||
      !weight->is_contiguous_order() || (bits != 4 && bits != 8) || group_size < 1) {
    return false;
  }
  const ScalarType storage = bits == 4 ? ScalarType::Byte : ScalarType::Char;
  const int64_t n = weight->size(0), k = bits == 4 ? weight->size(1) * 2 : weight->size(1);
  if (weight->dtype() != storage || n < 1 || k < 1 || k % group_size != 0) return false;
  const int64_t groups = k / group_size;
  const ScalarType st = scales->dtype();
  if (!(is_matrix(scales, ScalarType::Float, n, groups) ||
        ((st == ScalarType::Half || st == ScalarType::BFloat16) &&
         is_matrix(scales, st, n, groups))) ||
      (zero_points != nullptr && !is_matrix(zero_points, ScalarType::Char, n, groups))) {
    return false;
  }
  w->n = n;
  w->k = k;
  w->group_size = group_size;
  w->format = bits == 4 ? lowbit::WeightFormat::int4_nibbles : lowbit::WeightFormat::int8;
  w->data = weight->data();
  w->scales = scales->data();  // packed as stored: 16-bit scales stay 16-bit
  w->scale_format = st == ScalarType::Half       ? lowbit::ScaleFormat::f16
                    : st == ScalarType::BFloat16 ? lowbit::ScaleFormat::bf16
                                                 : lowbit::ScaleFormat::f32;
  w->zero_points = zero_points != nullptr ? zero_points->data_as<const int8_t>() : nullptr;
  return !check_pack || lowbit::packed_bytes(*w) != 0;
}

/// The parameters the portable kernel accepts: every scale positive and
/// finite, every zero point inside the weight's range (lowbit::pack checks
/// only finiteness and the int4 range).
bool params_valid(const lowbit::WeightDesc& w) {
  const int64_t count = w.n * (w.k / w.group_size);
  const int lo = w.format == lowbit::WeightFormat::int8 ? -128 : -8;
  const int hi = w.format == lowbit::WeightFormat::int8 ? 127 : 7;
  for (int64_t i = 0; i < count; ++i) {
    const float s = lowbit::scale_of(w, i);
    if (!(s > 0.0f) || !std::isfinite(s)) return false;
    if (w.zero_points != nullptr && (w.zero_points[i] < lo || w.zero_points[i] > hi)) return false;
  }
  return true;
}

Error pack_lowbit_part(const void* context, int64_t, void* dst, size_t bytes) {
  return lowbit::pack(*static_cast<const lowbit::WeightDesc*>(context), dst, bytes);
}

bool is_constant_tensor(Span<EValue* const> args, Span<const bool> constant, size_t i) {
  return i < args.size() && i < constant.size() && constant[i] && args[i]->is_tensor();
}

}  // namespace

void* prepare_linear_lowbit(Span<EValue* const> args, Span<const bool> constant,
                            Span<bool> packed) {
  // (input, weight, weight_scales, weight_zero_points, bits, group_size,
  //  quantize_input, bias, out) -> out
  if (args.size() != 10 || !args[4]->is_int() || !args[5]->is_int() ||
      !is_constant_tensor(args, constant, 1) || !is_constant_tensor(args, constant, 2)) {
    return nullptr;
  }
  const bool has_zp = !args[3]->is_none();
  if (has_zp && !is_constant_tensor(args, constant, 3)) return nullptr;
  lowbit::WeightDesc w;
  if (!describe(&args[1]->to_tensor(), &args[2]->to_tensor(),
                has_zp ? &args[3]->to_tensor() : nullptr, args[4]->to_int(), args[5]->to_int(),
                true, &w) ||
      !params_valid(w)) {
    return nullptr;
  }
  void* state = make_prepacked(w.data, 1, lowbit::packed_bytes(w), &pack_lowbit_part, &w);
  if (state != nullptr && packed.size() > 3) {
    packed[1] = packed[2] = true;  // the packed buffer holds the weight and its parameters
    packed[3] = has_zp;
  }
  return state;
}

void linear_lowbit_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::linear_lowbit.out";
  quant::Peek p(args, 10);
  const Tensor* input = p.tensor(0);
  const Tensor* weight = p.tensor(1);
  const Tensor* scales = p.tensor(2);
  const Tensor* zero_points = p.optional_tensor(3);
  const int64_t bits = p.integer(4), group_size = p.integer(5);
  const bool quantize_input = p.boolean(6);
  const Tensor* bias = p.optional_tensor(7);
  Tensor* out = p.tensor(8);
  lowbit::WeightDesc w;
  const Prepacked* state =
      p.ok() && weight != nullptr ? prepacked_for(ctx, weight->data()) : nullptr;
  const bool described =
      p.ok() && describe(weight, scales, zero_points, bits, group_size, state == nullptr, &w);
  const int rank = described ? input->dim() : 0;
  const bool fast = described && rank >= 1 && input->dtype() == ScalarType::Float &&
                    input->is_contiguous_order() && input->size(rank - 1) == w.k &&
                    is_dense_float(*out) && quant::read_bias(bias, w.n);
  if (!fast) {
    portable::linear_lowbit_out(ctx, args);
    return;
  }
  int64_t sizes[kMaxRank], m = 1;
  for (int d = 0; d + 1 < rank; ++d) {
    sizes[d] = input->size(d);
    m *= sizes[d];
  }
  sizes[rank - 1] = w.n;
  if (!resize_out(ctx, op, "out", *out, sizes, rank)) return;
  if (m == 0) return;
  const void* packed = nullptr;
  if (state != nullptr) {
    packed = state->part(0);
  } else if (params_valid(w)) {  // else the portable kernel runs it
    const size_t bytes = lowbit::packed_bytes(w);
    void* dst = ctx.allocate_temp(bytes, 64);
    if (dst != nullptr && lowbit::pack(w, dst, bytes) == Error::Ok) packed = dst;
  }
  const lowbit::Activation act =
      quantize_input ? lowbit::Activation::dynamic_int8 : lowbit::Activation::float32;
  const size_t ws_bytes = packed != nullptr ? lowbit::workspace_bytes(m, packed, act) : 0;
  void* ws = ws_bytes > 0 ? ctx.allocate_temp(ws_bytes, 64) : nullptr;
  if (packed == nullptr || (ws_bytes > 0 && ws == nullptr)) {
    ctx.reset_temp();
    portable::linear_lowbit_out(ctx, args);
    return;
  }
  const Error e = lowbit::linear(m, input->data_as<const float>(), w.k, packed,
                                 bias != nullptr ? bias->data_as<const float>() : nullptr,
                                 out->data_as<float>(), w.n, act, ws, ws_bytes);
  EMBER_KERNEL_CHECK(ctx, e == Error::Ok, Internal, op, "lowbit::linear failed (%s)",
                     error_name(e));
}

}  // namespace optimized
}  // namespace ember
