// Ember's quantized linears and add on ember_qgemm (qgemm/qgemm.h):
//   ember::quantized_linear.out: int8 / uint8 input [..., K] (contiguous)
//     times the int8 weight [N, K], per-channel or per-tensor scales, float32
//     bias, requantized by the GEMM's epilogue straight into out;
//   ember::linear_dynamic_int8.out: the float32 input quantized per tensor at
//     run time (qgemm::quantize_tensor: choose_qparams.tensor + quantize_per_tensor
//     over the int8 or uint8 range), then the same GEMM with a float epilogue;
//   ember::quantized_add.out: same-shape operands of one dtype, dequantized,
//     added and requantized per element (vectorizable float32 steps, on the pool).
// (quantized_mul, quantized_mean and quantized_lut: op_quantized_elementwise.cpp.)
// The linears' weight is packed at load (prepare_quantized_linear,
// prepare_linear_dynamic_int8) when it is a constant: the calls then never
// read the int8 bytes of the file again (packed[] says so). Without a state
// (EMBER_PREPACK=0, a weight computed at run time) each call packs the weight
// into its scratch memory. Everything off these paths, and every error, goes
// to the portable kernel unchanged.
#include "runtime/kernels/optimized/op_quantized.h"

#include <cstring>

#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/simd_qwindow.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace quant {

bool read_activation(const Tensor& t, double scale, int64_t zero_point, qgemm::Activation* a) {
  int32_t lo = 0, hi = 0;
  if (!act_type(t.dtype(), &a->type) || !good_scale(scale)) return false;
  type_range(t.dtype(), &lo, &hi);
  if (zero_point < lo || zero_point > hi) return false;
  a->data = t.data();
  a->scale = static_cast<float>(scale);
  a->zero_point = static_cast<int32_t>(zero_point);
  return true;
}

bool read_output(const Tensor& out, double scale, int64_t zero_point, int64_t qmin, int64_t qmax,
                 qgemm::QEpilogue* e) {
  int32_t lo = 0, hi = 0;
  if ((out.dtype() != ScalarType::Char && out.dtype() != ScalarType::Byte) ||
      !out.is_contiguous_order() || !good_scale(scale)) {
    return false;
  }
  type_range(out.dtype(), &lo, &hi);
  if (zero_point < lo || zero_point > hi || qmin < lo || qmax > hi || qmin > qmax) return false;
  e->out = out.dtype() == ScalarType::Byte ? qgemm::OutType::u8 : qgemm::OutType::s8;
  e->out_scale = static_cast<float>(scale);
  e->out_zero_point = static_cast<int32_t>(zero_point);
  e->qmin = static_cast<int32_t>(qmin);
  e->qmax = static_cast<int32_t>(qmax);
  return true;
}

QuantizedBinary read_quantized_binary(Span<EValue*> args) {
  QuantizedBinary r;
  Peek p(args, 12);
  r.a = p.tensor(0);
  const double sa = p.real(1);
  const int64_t za = p.integer(2);
  r.b = p.tensor(3);
  const double sb = p.real(4);
  const int64_t zb = p.integer(5);
  r.out_scale = p.real(6);
  const int64_t out_zp = p.integer(7), qmin = p.integer(8), qmax = p.integer(9);
  r.out = p.tensor(10);
  r.ok = p.ok() && r.a->dtype() == r.b->dtype() && r.a->dtype() == r.out->dtype() &&
         r.a->is_contiguous_order() && r.b->is_contiguous_order() &&
         read_activation(*r.a, sa, za, &r.qa) && read_activation(*r.b, sb, zb, &r.qb) &&
         read_output(*r.out, r.out_scale, out_zp, qmin, qmax, &r.e);
  return r;
}

bool read_weight_scales(const Tensor& s, int64_t n, bool* per_channel) {
  if (s.dtype() != ScalarType::Float || s.dim() != 1 || (s.numel() != n && s.numel() != 1)) {
    return false;
  }
  const float* v = s.data_as<const float>();
  for (int64_t i = 0; i < s.numel(); ++i) {
    if (!(v[i] > 0.0f) || !std::isfinite(v[i])) return false;
  }
  *per_channel = s.numel() == n && n != 1;
  return true;
}

bool read_bias(const Tensor* bias, int64_t n) {
  return bias == nullptr || (bias->dtype() == ScalarType::Float && bias->dim() == 1 &&
                             bias->size(0) == n && (bias->stride(0) == 1 || n == 1));
}

bool is_int8_weight(const Tensor& w, int rank) {
  return w.dtype() == ScalarType::Char && w.dim() == rank && w.is_contiguous_order() &&
         w.numel() > 0;
}

void* qgemm_workspace(KernelContext& ctx, int64_t m, int64_t n, int64_t k, size_t* bytes) {
  const size_t least = qgemm::min_workspace_bytes(k);
  size_t want = qgemm::workspace_bytes(m, n, k, get_num_threads());
  for (; want > least; want /= 2) {
    if (void* p = ctx.allocate_temp(want, 64)) {
      *bytes = want;
      return p;
    }
  }
  *bytes = least;
  return ctx.allocate_temp(least, 64);
}

}  // namespace quant

namespace {

/// Packs an int8 weight [n, k] as the GEMM's B (a PackPart).
struct PackWeight {
  const int8_t* w;
  int64_t k, n;
};
Error pack_weight_part(const void* context, int64_t, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackWeight*>(context);
  return qgemm::pack_qb(p->w, p->k, p->n, p->k, dst, bytes);
}

/// Load-time packing of the int8 weight [n, k] at argument `index` when it is
/// a constant; marks it packed.
void* prepare_int8_weight(Span<EValue* const> args, Span<const bool> constant, size_t index,
                          Span<bool> packed) {
  if (index >= args.size() || index >= constant.size() || !constant[index] ||
      !args[index]->is_tensor()) {
    return nullptr;
  }
  const Tensor& w = args[index]->to_tensor();
  if (!quant::is_int8_weight(w, 2) || w.size(1) > qgemm::kMaxDepth) return nullptr;
  const PackWeight context{w.data_as<const int8_t>(), w.size(1), w.size(0)};
  void* state = make_prepacked(w.data(), 1, qgemm::packed_qb_bytes(w.size(1), w.size(0)),
                               &pack_weight_part, &context);
  if (state != nullptr && index < packed.size()) packed[index] = true;
  return state;
}

/// The call's packed weight: the load-time state, else packed now into the
/// scratch memory; nullptr if there is no room for it.
const void* packed_weight(KernelContext& ctx, const Tensor& w) {
  if (const Prepacked* p = prepacked_for(ctx, w.data())) return p->part(0);
  const int64_t n = w.size(0), k = w.size(1);
  const size_t bytes = qgemm::packed_qb_bytes(k, n);
  void* dst = ctx.allocate_temp(bytes, 64);
  if (dst == nullptr || qgemm::pack_qb(w.data_as<const int8_t>(), k, n, k, dst, bytes) != Error::Ok) {
    return nullptr;
  }
  return dst;
}

/// The rows of a contiguous input [..., k] and the sizes of out [..., n].
bool rows_of(const Tensor& input, int64_t k, int64_t n, int64_t* m, int64_t* sizes) {
  const int rank = input.dim();
  if (rank < 1 || input.size(rank - 1) != k || !input.is_contiguous_order()) return false;
  *m = 1;
  for (int d = 0; d + 1 < rank; ++d) {
    sizes[d] = input.size(d);
    *m *= sizes[d];
  }
  sizes[rank - 1] = n;
  return true;
}

/// out [m, n] = the GEMM of the call; false if the scratch memory is short
/// (nothing written yet: the caller hands the call to the portable kernel).
bool run_gemm(KernelContext& ctx, const char* op, int64_t m, int64_t n, int64_t k,
              const qgemm::Activation& a, const Tensor& weight, const qgemm::Weight& scales,
              const qgemm::QEpilogue& e, void* out) {
  const void* packed = packed_weight(ctx, weight);
  size_t ws_bytes = 0;
  void* ws = packed != nullptr ? quant::qgemm_workspace(ctx, m, n, k, &ws_bytes) : nullptr;
  if (ws == nullptr) return false;
  qgemm::Weight b = scales;
  b.packed = packed;
  const Error err = qgemm::qgemm(m, n, k, a, b, out, n, e, ws, ws_bytes);
  if (err != Error::Ok) kernel_fail(ctx, Error::Internal, op, "qgemm failed (%s)", error_name(err));
  return true;
}

}  // namespace

void* prepare_quantized_linear(Span<EValue* const> args, Span<const bool> constant,
                               Span<bool> packed) {
  return prepare_int8_weight(args, constant, 3, packed);  // (input, scale, zp, weight, ...)
}

void* prepare_linear_dynamic_int8(Span<EValue* const> args, Span<const bool> constant,
                                  Span<bool> packed) {
  return prepare_int8_weight(args, constant, 1, packed);  // (input, weight, ...)
}

void quantized_linear_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_linear.out";
  // (input, input_scale, input_zero_point, weight, weight_scales, bias,
  //  output_scale, output_zero_point, quant_min, quant_max, out) -> out
  quant::Peek p(args, 12);
  const Tensor* input = p.tensor(0);
  const double in_scale = p.real(1);
  const int64_t in_zp = p.integer(2);
  const Tensor* weight = p.tensor(3);
  const Tensor* w_scales = p.tensor(4);
  const Tensor* bias = p.optional_tensor(5);
  const double out_scale = p.real(6);
  const int64_t out_zp = p.integer(7), qmin = p.integer(8), qmax = p.integer(9);
  Tensor* out = p.tensor(10);
  qgemm::Activation a;
  qgemm::QEpilogue e;
  qgemm::Weight w;
  int64_t m = 0, sizes[kMaxRank];
  const bool fast = p.ok() && quant::is_int8_weight(*weight, 2) &&
                    weight->size(1) <= qgemm::kMaxDepth &&
                    quant::read_activation(*input, in_scale, in_zp, &a) &&
                    quant::read_output(*out, out_scale, out_zp, qmin, qmax, &e) &&
                    quant::read_weight_scales(*w_scales, weight->size(0), &w.per_channel) &&
                    quant::read_bias(bias, weight->size(0)) &&
                    rows_of(*input, weight->size(1), weight->size(0), &m, sizes);
  if (!fast) {
    portable::quantized_linear_out(ctx, args);
    return;
  }
  const int64_t n = weight->size(0), k = weight->size(1);
  if (!resize_out(ctx, op, "out", *out, sizes, input->dim())) return;
  if (m == 0) return;
  a.lda = k;
  w.scales = w_scales->data_as<const float>();
  e.bias = bias != nullptr ? bias->data_as<const float>() : nullptr;
  if (!run_gemm(ctx, op, m, n, k, a, *weight, w, e, out->mutable_data())) {
    ctx.reset_temp();
    portable::quantized_linear_out(ctx, args);
  }
}

void linear_dynamic_int8_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::linear_dynamic_int8.out";
  // (input, weight, weight_scales, bias, quant_min, quant_max, eps, out) -> out
  quant::Peek p(args, 9);
  const Tensor* input = p.tensor(0);
  const Tensor* weight = p.tensor(1);
  const Tensor* w_scales = p.tensor(2);
  const Tensor* bias = p.optional_tensor(3);
  const int64_t qmin = p.integer(4), qmax = p.integer(5);
  const double eps = p.real(6);
  Tensor* out = p.tensor(7);
  qgemm::Weight w;
  int64_t m = 0, sizes[kMaxRank];
  // quantize_tensor covers int8's full range (the op quantizes to int8).
  const bool fast = p.ok() && qmin == -128 && qmax == 127 && eps >= 0.0 &&
                    input->dtype() == ScalarType::Float && is_dense_float(*out) &&
                    quant::is_int8_weight(*weight, 2) && weight->size(1) <= qgemm::kMaxDepth &&
                    quant::read_weight_scales(*w_scales, weight->size(0), &w.per_channel) &&
                    quant::read_bias(bias, weight->size(0)) &&
                    rows_of(*input, weight->size(1), weight->size(0), &m, sizes);
  if (!fast) {
    portable::linear_dynamic_int8_out(ctx, args);
    return;
  }
  const int64_t n = weight->size(0), k = weight->size(1);
  if (!resize_out(ctx, op, "out", *out, sizes, input->dim())) return;
  if (m == 0) return;
  qgemm::Activation a;
  a.type = qgemm::ActType::s8;
  a.lda = k;
  void* q = ctx.allocate_temp(static_cast<size_t>(m * k), 64);
  if (q == nullptr) {
    portable::linear_dynamic_int8_out(ctx, args);
    return;
  }
  Error err = qgemm::quantize_tensor(input->data_as<const float>(), m, k, k, a.type,
                                     static_cast<float>(eps), q, k, &a.scale, &a.zero_point);
  EMBER_KERNEL_CHECK(ctx, err == Error::Ok, Internal, op, "quantize_tensor failed (%s)",
                     error_name(err));
  a.data = q;
  qgemm::QEpilogue e;  // float32 out
  e.bias = bias != nullptr ? bias->data_as<const float>() : nullptr;
  w.scales = w_scales->data_as<const float>();
  if (!run_gemm(ctx, op, m, n, k, a, *weight, w, e, out->mutable_data())) {
    ctx.reset_temp();
    portable::linear_dynamic_int8_out(ctx, args);
  }
}

void quantized_add_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::quantized_add.out";
  const quant::QuantizedBinary q = quant::read_quantized_binary(args);
  const Tensor *a = q.a, *b = q.b;
  Tensor* out = q.out;
  const qgemm::Activation &qa = q.qa, &qb = q.qb;
  const qgemm::QEpilogue& e = q.e;
  const double out_scale = q.out_scale;
  bool fast = q.ok && same_sizes(*a, *b);
  // Every sum stays finite (no inf - inf): |dq| <= 511 * scale.
  fast = fast && 511.0 * (static_cast<double>(qa.scale) + qb.scale) * (1.0 / e.out_scale) < 1e30;
  if (!fast) {
    portable::quantized_add_out(ctx, args);
    return;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*a, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, a->dim())) return;
  const quant::Requant rq(out_scale, e.out_zero_point, e.qmin, e.qmax);
  const QDepthwiseParams params = rq.window_params();
  const float fa = static_cast<float>(qa.zero_point), fb = static_cast<float>(qb.zero_point);
  const bool is_unsigned = a->dtype() == ScalarType::Byte;
  const uint8_t* x = a->data_as<const uint8_t>();
  const uint8_t* y = b->data_as<const uint8_t>();
  uint8_t* z = out->data_as<uint8_t>();
  const QWindowKernels& k = qwindow();
  parallel_for(a->numel(), kElementwiseGrain, [&](int64_t i0, int64_t i1) {
    k.add(x + i0, qa.scale, fa, y + i0, qb.scale, fb, z + i0, i1 - i0, is_unsigned, params);
  });
}

}  // namespace optimized
}  // namespace ember
