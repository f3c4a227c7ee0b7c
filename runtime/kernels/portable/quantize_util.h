// Shared pieces of the quantize/dequantize reference kernels
// (op_quantize.cpp, op_quantize_affine.cpp): range and parameter checks,
// and element loads and stores across the dtypes those ops meet.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "runtime/core/half.h"
#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {
namespace quant {

/// The [lo, hi] of quantized dtype `t`; false for a dtype that is not one.
inline bool quantized_range(ScalarType t, int64_t* lo, int64_t* hi) {
  switch (t) {
    case ScalarType::Byte: *lo = 0; *hi = 255; return true;
    case ScalarType::Char: *lo = -128; *hi = 127; return true;
    case ScalarType::Short: *lo = -32768; *hi = 32767; return true;
    case ScalarType::Int:
      *lo = std::numeric_limits<int32_t>::min();
      *hi = std::numeric_limits<int32_t>::max();
      return true;
    default: return false;
  }
}

/// Checks a quantized dtype code and its [qmin, qmax] range.
inline bool check_qrange(KernelContext& ctx, const char* op, int64_t code, int64_t qmin,
                         int64_t qmax,
                  ScalarType* dtype) {
  int64_t lo = 0, hi = 0;
  const ScalarType t = static_cast<ScalarType>(code);
  if (code < 0 || code > 255 || !quantized_range(t, &lo, &hi)) {
    return kernel_fail(ctx, Error::NotSupported, op,
                       "dtype %lld is not a quantized dtype (uint8, int8, int16, int32)",
                       static_cast<long long>(code));
  }
  if (!(qmin <= qmax && qmin >= lo && qmax <= hi)) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "quantization range [%lld, %lld] is empty or outside the dtype's "
                       "[%lld, %lld]",
                       static_cast<long long>(qmin), static_cast<long long>(qmax),
                       static_cast<long long>(lo), static_cast<long long>(hi));
  }
  *dtype = t;
  return true;
}

inline bool check_scale(KernelContext& ctx, const char* op, double scale) {
  if (!(scale > 0.0 && std::isfinite(scale))) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "scale %g must be positive and finite",
                       scale);
  }
  return true;
}

inline bool check_zero_point(KernelContext& ctx, const char* op, int64_t zp, int64_t qmin,
                             int64_t qmax) {
  if (!(zp >= qmin && zp <= qmax)) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "zero point %lld is outside the quantization range [%lld, %lld]",
                       static_cast<long long>(zp), static_cast<long long>(qmin),
                       static_cast<long long>(qmax));
  }
  return true;
}

/// Element i of a float input (float32, float16 or bfloat16) as float.
inline float load_float(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case ScalarType::Half: return static_cast<float>(t.data_as<const Half>()[i]);
    case ScalarType::BFloat16: return static_cast<float>(t.data_as<const BFloat16>()[i]);
    default: return t.data_as<const float>()[i];
  }
}

/// Element i of an integer or float tensor as double (scales, zero points).
inline double load_number(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case ScalarType::Byte: return t.data_as<const uint8_t>()[i];
    case ScalarType::Char: return t.data_as<const int8_t>()[i];
    case ScalarType::Short: return t.data_as<const int16_t>()[i];
    case ScalarType::Int: return t.data_as<const int32_t>()[i];
    case ScalarType::Long: return static_cast<double>(t.data_as<const int64_t>()[i]);
    case ScalarType::Float: return t.data_as<const float>()[i];
    case ScalarType::Double: return t.data_as<const double>()[i];
    default: return 0.0;
  }
}

/// Element i of an integer tensor as int64 (quantized values).
inline int64_t load_integer(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case ScalarType::Byte: return t.data_as<const uint8_t>()[i];
    case ScalarType::Char: return t.data_as<const int8_t>()[i];
    case ScalarType::Short: return t.data_as<const int16_t>()[i];
    case ScalarType::Int: return t.data_as<const int32_t>()[i];
    case ScalarType::Long: return t.data_as<const int64_t>()[i];
    default: return 0;
  }
}

/// Stores a clamped, integral float as quantized dtype `t` (NaN as 0,
/// what PyTorch's float-to-integer conversion gives on x86).
inline void store_quantized(Tensor& out, int64_t i, float v) {
  const int64_t q = std::isnan(v) ? 0 : static_cast<int64_t>(v);
  switch (out.dtype()) {
    case ScalarType::Byte: out.data_as<uint8_t>()[i] = static_cast<uint8_t>(q); break;
    case ScalarType::Char: out.data_as<int8_t>()[i] = static_cast<int8_t>(q); break;
    case ScalarType::Short: out.data_as<int16_t>()[i] = static_cast<int16_t>(q); break;
    default: out.data_as<int32_t>()[i] = static_cast<int32_t>(q); break;
  }
}

/// Stores v (computed in float32) as `out`'s float dtype.
inline void store_float(Tensor& out, int64_t i, float v) {
  switch (out.dtype()) {
    case ScalarType::Half: out.data_as<Half>()[i] = Half(v); break;
    case ScalarType::BFloat16: out.data_as<BFloat16>()[i] = BFloat16(v); break;
    case ScalarType::Double: out.data_as<double>()[i] = v; break;
    default: out.data_as<float>()[i] = v; break;
  }
}

inline void store_number(Tensor& out, int64_t i, double v) {
  switch (out.dtype()) {
    case ScalarType::Byte: out.data_as<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case ScalarType::Char: out.data_as<int8_t>()[i] = static_cast<int8_t>(v); break;
    case ScalarType::Short: out.data_as<int16_t>()[i] = static_cast<int16_t>(v); break;
    case ScalarType::Int: out.data_as<int32_t>()[i] = static_cast<int32_t>(v); break;
    case ScalarType::Long: out.data_as<int64_t>()[i] = static_cast<int64_t>(v); break;
    default: store_float(out, i, static_cast<float>(v)); break;
  }
}

inline bool is_float_input(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Half || t == ScalarType::BFloat16;
}

inline bool is_integer_dtype(ScalarType t) {
  return t == ScalarType::Byte || t == ScalarType::Char || t == ScalarType::Short ||
         t == ScalarType::Int || t == ScalarType::Long;
}

inline bool check_float_input(KernelContext& ctx, const char* op, const char* name,
                              const Tensor& t) {
  if (!is_float_input(t.dtype())) return reject_dtype(ctx, op, name, t.dtype());
  return check_contiguous(ctx, op, name, t);
}

/// The float output of a dequantize: float32, float64, float16 or bfloat16.
inline bool check_float_out(KernelContext& ctx, const char* op, const Tensor& in, Tensor& out,
                     int64_t out_code) {
  const ScalarType want = static_cast<ScalarType>(out_code);
  if (!(want == ScalarType::Float || want == ScalarType::Double || want == ScalarType::Half ||
        want == ScalarType::BFloat16)) {
    return kernel_fail(ctx, Error::NotSupported, op,
                       "output dtype %lld is not a floating-point type",
                       static_cast<long long>(out_code));
  }
  return prepare_out(ctx, op, in, out, want) && check_contiguous(ctx, op, "out", out);
}

/// q = clamp(nearbyint(x * inv_scale) + zp, qmin, qmax), all in float32.
inline float quantize_one(float x, float inv_scale, float zp, float qmin, float qmax) {
  float v = std::nearbyint(x * inv_scale) + zp;
  if (v < qmin) v = qmin;  // NaN stays NaN (torch.clamp propagates it)
  if (v > qmax) v = qmax;
  return v;
}

/// min and max that propagate NaN, as torch.amin, amax and aminmax do.
inline float nan_min(float a, float b) { return (b < a || std::isnan(b)) ? b : a; }
inline float nan_max(float a, float b) { return (b > a || std::isnan(b)) ? b : a; }

/// torch.ao's determine_qparams for one per-tensor affine range (PT2E's
/// choose_qparams.tensor), in float32 as torch computes it; the scale is
/// returned as the float64 torch returns (the float32 value). An empty
/// input gives scale 1 and zero point 0.
inline void choose_qparams_per_tensor(const float* x, int64_t n, int64_t qmin, int64_t qmax,
                                      double eps, double* scale, int64_t* zp) {
  *scale = 1.0;
  *zp = 0;
  if (n <= 0) return;
  float lo = x[0], hi = x[0];
  for (int64_t i = 1; i < n; ++i) {
    lo = nan_min(lo, x[i]);
    hi = nan_max(hi, x[i]);
  }
  const float min_neg = std::fmin(lo, 0.0f), max_pos = std::fmax(hi, 0.0f);
  float s = (max_pos - min_neg) / static_cast<float>(qmax - qmin);
  s = std::fmax(s, static_cast<float>(eps));
  const float z = static_cast<float>(qmin) - std::nearbyint(min_neg / s);
  *zp = static_cast<int64_t>(std::fmin(std::fmax(z, static_cast<float>(qmin)),
                                       static_cast<float>(qmax)));
  *scale = s;
}

/// torchao's ASYMMETRIC choose_qparams_affine for one block whose extremes
/// are lo and hi: scale and (float) zero point, in float32.
inline void asymmetric_qparams(float lo, float hi, float qmin, float qmax, float eps,
                               float* scale, float* zp) {
  const float min_neg = std::fmin(lo, 0.0f), max_pos = std::fmax(hi, 0.0f);
  float s = (max_pos - min_neg) / (qmax - qmin);
  s = std::fmax(s, eps);
  const float z = qmin - std::nearbyint(min_neg / s);
  *scale = s;
  *zp = std::fmin(std::fmax(z, qmin), qmax);
}

/// float32's smallest normal: torchao's eps when none is given.
constexpr float kSmallestNormal = 1.17549435e-38f;

}  // namespace quant
}  // namespace portable
}  // namespace ember
