// Dynamic quantization of float32 activations for qgemm (qgemm.h): per row
// (per token) and per tensor, step for step as PyTorch's quantized_decomposed
// Python ops (torch/ao/quantization/fx/_decomposed.py and
// torch.ao.quantization.utils.determine_qparams), whose float32 / float64
// choices are spelled out at each step below. Scalar code: these are O(m * k)
// beside the GEMM's O(m * n * k).
#include <cfloat>
#include <cmath>

#include "runtime/kernels/optimized/qgemm/qgemm.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace qgemm {
namespace {

Error check(const char* fn, const float* x, int64_t rows, int64_t cols, int64_t ldx, ActType type,
            const void* q, int64_t ldq, const void* scales, const void* zero_points) {
  if (rows < 0 || cols < 0 || ldx < cols || ldq < cols) {
    EMBER_LOG(Error, "%s: size %lld x %lld is negative or a row stride (%lld, %lld) is under it",
              fn, (long long)rows, (long long)cols, (long long)ldx, (long long)ldq);
    return Error::InvalidArgument;
  }
  if (type != ActType::u8 && type != ActType::s8) {
    EMBER_LOG(Error, "%s: unknown element type %d", fn, (int)type);
    return Error::InvalidArgument;
  }
  const bool empty = rows == 0 || cols == 0;
  if ((!empty && (x == nullptr || q == nullptr)) || scales == nullptr || zero_points == nullptr) {
    EMBER_LOG(Error, "%s: a null input, output, scale or zero point", fn);
    return Error::InvalidArgument;
  }
  return Error::Ok;
}

/// torch.aminmax over rows x cols (0, 0 when empty).
void min_max(const float* x, int64_t rows, int64_t cols, int64_t ldx, float* lo, float* hi) {
  float mn = 0.0f, mx = 0.0f;
  bool first = true;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t p = 0; p < cols; ++p) {
      const float v = x[i * ldx + p];
      if (first) {
        mn = mx = v;
        first = false;
      }
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
    }
  }
  *lo = mn;
  *hi = mx;
}

}  // namespace

Error quantize_rows(const float* x, int64_t rows, int64_t cols, int64_t ldx, ActType type,
                    void* q, int64_t ldq, float* scales, int32_t* zero_points) {
  EMBER_TRY(check("qgemm::quantize_rows", x, rows, cols, ldx, type, q, ldq, scales, zero_points));
  const int32_t offset = type == ActType::u8 ? 128 : 0;  // uint8: the int8 values + 128
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = x + i * ldx;
    // _choose_qparams_per_token_asymmetric_impl, all in float32, qmin/qmax
    // fixed at -128/127 whatever the dtype.
    float mn, mx;
    min_max(row, 1, cols, ldx, &mn, &mx);
    const float min_neg = mn < 0.0f ? mn : 0.0f;
    const float max_pos = mx > 0.0f ? mx : 0.0f;
    float scale = (max_pos - min_neg) / 255.0f;
    scale = scale < FLT_EPSILON ? FLT_EPSILON : scale;  // clamp(min=eps)
    const float descaled_min = min_neg / scale;
    const float descaled_max = max_pos / scale;
    const float from_min = -128.0f + descaled_min;
    const float from_max = 127.0f + descaled_max;
    float zp = from_min + from_max > 0.0f ? -128.0f - descaled_min : 127.0f - descaled_max;
    zp = zp < -128.0f ? -128.0f : (zp > 127.0f ? 127.0f : zp);
    zp = std::nearbyint(zp);
    // quantize_per_token with the float64 scales choose_qparams returns:
    // x.mul(1.0 / scales) promotes to float64, then add, round, clamp.
    const double inv = 1.0 / (double)scale;
    const double zpd = (double)zp;
    uint8_t* out = static_cast<uint8_t*>(q) + i * ldq;
    for (int64_t p = 0; p < cols; ++p) {
      double v = std::nearbyint((double)row[p] * inv + zpd);
      v = v < -128.0 ? -128.0 : (v > 127.0 ? 127.0 : v);
      out[p] = (uint8_t)(int32_t)((int32_t)v + offset);
    }
    scales[i] = scale;
    zero_points[i] = (int32_t)zp + offset;
  }
  return Error::Ok;
}

Error quantize_tensor(const float* x, int64_t rows, int64_t cols, int64_t ldx, ActType type,
                      float eps, void* q, int64_t ldq, float* scale, int32_t* zero_point) {
  EMBER_TRY(check("qgemm::quantize_tensor", x, rows, cols, ldx, type, q, ldq, scale, zero_point));
  if (!(eps > 0.0f)) {
    EMBER_LOG(Error, "qgemm::quantize_tensor: eps %g is not positive", (double)eps);
    return Error::InvalidArgument;
  }
  const int32_t qmin = type == ActType::u8 ? 0 : -128;
  const int32_t qmax = type == ActType::u8 ? 255 : 127;
  if (rows == 0 || cols == 0) {  // determine_qparams' default for an empty tensor
    *scale = 1.0f;
    *zero_point = 0;
    return Error::Ok;
  }
  // determine_qparams (per_tensor_affine), in float32.
  float mn, mx;
  min_max(x, rows, cols, ldx, &mn, &mx);
  const float min_neg = mn < 0.0f ? mn : 0.0f;
  const float max_pos = mx > 0.0f ? mx : 0.0f;
  float s = (max_pos - min_neg) / (float)(qmax - qmin);
  s = s > eps ? s : eps;
  int32_t zp = qmin - (int32_t)std::nearbyint(min_neg / s);
  zp = zp < qmin ? qmin : (zp > qmax ? qmax : zp);
  // quantize_per_tensor: x * float(1.0 / scale) in float32, round, + zp, clamp.
  const float inv = (float)(1.0 / (double)s);
  const float zpf = (float)zp;
  for (int64_t i = 0; i < rows; ++i) {
    uint8_t* out = static_cast<uint8_t*>(q) + i * ldq;
    for (int64_t p = 0; p < cols; ++p) {
      float v = std::nearbyint(x[i * ldx + p] * inv) + zpf;
      v = v < (float)qmin ? (float)qmin : (v > (float)qmax ? (float)qmax : v);
      out[p] = (uint8_t)(int32_t)v;
    }
  }
  *scale = s;
  *zero_point = zp;
  return Error::Ok;
}

}  // namespace qgemm
}  // namespace ember
