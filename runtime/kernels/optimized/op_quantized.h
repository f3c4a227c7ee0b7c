// What the quantized kernels (op_quantized.cpp, op_quantized_conv.cpp,
// op_lowbit.cpp) share: reading the quantization parameters of a call into
// ember_qgemm's terms, the scratch for its workspace, and the requantization
// step written once so that the loops outside the GEMM (depthwise, add) round
// as its epilogue does. Each check here only decides the fast path: a call
// that fails one goes, unchanged, to the portable kernel, which reports it.
#pragma once

#include <cmath>
#include <cstdint>

#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/core/tensor.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/optimized/qgemm/qgemm.h"
#include "runtime/kernels/optimized/simd_qwindow.h"

namespace ember {
namespace optimized {
namespace quant {

/// Reads a call's arguments by position without failing it: a wrong count,
/// tag or list item clears ok() (the call then goes to the portable kernel,
/// which reports it with its own message).
class Peek {
 public:
  Peek(Span<EValue*> args, size_t expected) : args_(args), ok_(args.size() == expected) {
    for (size_t i = 0; ok_ && i < args.size(); ++i) ok_ = args[i] != nullptr;
  }
  bool ok() const { return ok_; }
  Tensor* tensor(size_t i) {
    const EValue* v = get(i);
    return check(v != nullptr && v->is_tensor()) ? &v->to_tensor() : nullptr;
  }
  /// nullptr for None (check ok() for a wrong tag).
  Tensor* optional_tensor(size_t i) {
    const EValue* v = get(i);
    return v != nullptr && v->is_none() ? nullptr : tensor(i);
  }
  int64_t integer(size_t i) {
    const EValue* v = get(i);
    return check(v != nullptr && v->is_int()) ? v->to_int() : 0;
  }
  bool boolean(size_t i) {
    const EValue* v = get(i);
    return check(v != nullptr && v->is_bool()) && v->to_bool();
  }
  double real(size_t i) {
    const EValue* v = get(i);
    if (!check(v != nullptr && (v->is_double() || v->is_int()))) return 0.0;
    return v->is_double() ? v->to_double() : static_cast<double>(v->to_int());
  }
  Span<const int64_t> ints(size_t i) {
    const EValue* v = get(i);
    if (!check(v != nullptr && v->is_int_list())) return {};
    const auto& l = v->payload.as_int_list;
    for (size_t k = 0; k < l.size; ++k) {
      if (l.items[k] == nullptr || !l.items[k]->is_int()) ok_ = false;
    }
    return ok_ ? v->to_int_list() : Span<const int64_t>();
  }

 private:
  const EValue* get(size_t i) const { return ok_ && i < args_.size() ? args_[i] : nullptr; }
  bool check(bool tag_ok) {
    ok_ = ok_ && tag_ok;
    return ok_;
  }
  Span<EValue*> args_;
  bool ok_;
};

/// int8 (Char) or uint8 (Byte) as the GEMM's activation type; false for others.
inline bool act_type(ScalarType t, qgemm::ActType* type) {
  if (t != ScalarType::Char && t != ScalarType::Byte) return false;
  *type = t == ScalarType::Byte ? qgemm::ActType::u8 : qgemm::ActType::s8;
  return true;
}

/// [lo, hi] of an int8 / uint8 tensor's dtype.
inline void type_range(ScalarType t, int32_t* lo, int32_t* hi) {
  *lo = t == ScalarType::Byte ? 0 : -128;
  *hi = t == ScalarType::Byte ? 255 : 127;
}

/// A scale the fast path takes: positive and finite as a float32.
inline bool good_scale(double s) {
  const float f = static_cast<float>(s);
  return f > 0.0f && std::isfinite(f);
}

/// An int8 / uint8 activation with its scale and zero point, for the GEMM.
/// False when the dtype, scale or zero point is off the fast path.
bool read_activation(const Tensor& t, double scale, int64_t zero_point, qgemm::Activation* a);

/// The requantizing epilogue for `out` (int8 / uint8, contiguous) with scale,
/// zero point and [qmin, qmax] inside the out type. False if off the path.
bool read_output(const Tensor& out, double scale, int64_t zero_point, int64_t qmin, int64_t qmax,
                 qgemm::QEpilogue* e);

/// The arguments of ember::quantized_add.out and ember::quantized_mul.out
/// (self, self_scale, self_zero_point, other, other_scale, other_zero_point,
/// output_scale, output_zero_point, quant_min, quant_max, out): `ok` when
/// both operands and out are contiguous int8 (or uint8) of one dtype with
/// parameters on the fast path (shapes are the caller's to check).
struct QuantizedBinary {
  bool ok = false;
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  Tensor* out = nullptr;
  qgemm::Activation qa, qb;
  qgemm::QEpilogue e;
  double out_scale = 0.0;  ///< as given (the requantization's float(1 / out_scale) is from it)
};
QuantizedBinary read_quantized_binary(Span<EValue*> args);

/// Per-output-channel weight scales: float32, one dim, contiguous, `n` or one
/// entries, each positive and finite. Sets `per_channel`.
bool read_weight_scales(const Tensor& s, int64_t n, bool* per_channel);

/// A float32 bias of n contiguous entries (or none).
bool read_bias(const Tensor* bias, int64_t n);

/// An int8 weight [n, ...] in the contiguous dim order.
bool is_int8_weight(const Tensor& w, int rank);

/// Scratch for the GEMM: workspace_bytes() on this many threads when the
/// context has it, else the largest power-of-two fraction of it down to the
/// minimum for depth k. nullptr if not even that fits.
void* qgemm_workspace(KernelContext& ctx, int64_t m, int64_t n, int64_t k, size_t* bytes);

/// qgemm's requantization of one value y (float32, already scaled and
/// biased), as its epilogue does it: rint(y * inv_out) + zp, NaN to qmin,
/// clamped to [qmin, qmax]. The clamp to [lo, hi] (one step outside the
/// range) comes first, so that the rounding is (v + 1.5 * 2^23) - 1.5 * 2^23,
/// which vectorizes (SSE2 has no rint) and is rint for |v| < 2^22.
struct Requant {
  float inv_out, zp, qmin, qmax, lo, hi;

  /// inv_out = float(1.0 / out_scale), as quantize_per_tensor computes it
  /// from the double scale.
  Requant(double out_scale, int32_t out_zp, int32_t q_min, int32_t q_max)
      : inv_out(static_cast<float>(1.0 / out_scale)),
        zp(static_cast<float>(out_zp)),
        qmin(static_cast<float>(q_min)),
        qmax(static_cast<float>(q_max)),
        lo(static_cast<float>(q_min - out_zp - 1)),
        hi(static_cast<float>(q_max - out_zp + 1)) {}

  float operator()(float y) const {
    constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
    float v = y * inv_out;
    v = v > lo ? v : lo;  // NaN -> lo -> qmin
    v = v < hi ? v : hi;
    v = (v + kMagic) - kMagic + zp;
    v = v > qmin ? v : qmin;
    return v < qmax ? v : qmax;
  }

  /// These constants as the int8 window kernels take them (simd_qwindow.h);
  /// the input and scale fields are the caller's to fill.
  QDepthwiseParams window_params() const {
    QDepthwiseParams p{};
    p.inv_out = inv_out;
    p.out_zp = zp;
    p.qmin = qmin;
    p.qmax = qmax;
    p.lo = lo;
    p.hi = hi;
    return p;
  }
};

}  // namespace quant
}  // namespace optimized
}  // namespace ember
