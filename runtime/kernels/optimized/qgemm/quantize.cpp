// Dynamic quantization of float32 activations for qgemm (qgemm.h): per row
// (per token) and per tensor, step for step as PyTorch's quantized_decomposed
// Python ops (torch/ao/quantization/fx/_decomposed.py and
// torch.ao.quantization.utils.determine_qparams), whose float32 / float64
// choices are spelled out at each step below.
//
// Per tensor (the dynamic linears' path: it runs before every GEMM and, done
// in scalar code, cost a third of a dynamic-int8 BERT) is two vector passes
// per ISA (AVX-512, AVX2, NEON; chosen with the GEMM's family, so that
// qgemm::set_isa tests each) over the same chunks on the pool: the min and
// max, then the quantization. Every ISA takes the scalar steps lane by lane
// (compare-and-select min/max, multiply, round half to even, add, clamp with
// NaN -> qmin), so the bits do not depend on the ISA or the thread count.
// Per row stays scalar: no kernel calls it on a hot path.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/qgemm/qgemm.h"
#include "runtime/platform/platform.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define EMBER_QUANTIZE_X86 1
// GCC 12's masked AVX-512 intrinsics pass _mm512_undefined_*() as the unused
// merge source, which -Wmaybe-uninitialized reports at every use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#elif defined(__aarch64__)
#include <arm_neon.h>
#define EMBER_QUANTIZE_NEON 1
#endif

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

// ---- Per tensor: vector passes ---------------------------------------------

/// The quantization of one tensor: q = clamp(rint(x * inv) + zp, qmin, qmax).
struct QParams {
  float inv, zp, qmin, qmax;
};

/// Running min and max of n values (the scalar scan's rule: a value replaces
/// the current one only if it compares below / above it, so a NaN never does).
using MinMaxFn = void (*)(const float* x, size_t n, float* lo, float* hi);
/// q[0 .. n) from x[0 .. n).
using QuantizeFn = void (*)(const float* x, size_t n, const QParams& p, uint8_t* q);

struct TensorKernels {
  MinMaxFn min_max;
  QuantizeFn quantize;
};

void min_max_scalar(const float* x, size_t n, float* lo, float* hi) {
  float mn = *lo, mx = *hi;
  for (size_t p = 0; p < n; ++p) {
    mn = x[p] < mn ? x[p] : mn;
    mx = x[p] > mx ? x[p] : mx;
  }
  *lo = mn;
  *hi = mx;
}

/// One value, the steps every vector lane takes (NaN -> qmin).
inline uint8_t quantize_one(float x, const QParams& p) {
  float v = std::nearbyint(x * p.inv) + p.zp;
  v = v >= p.qmin ? v : p.qmin;
  v = v <= p.qmax ? v : p.qmax;
  return (uint8_t)(int32_t)v;
}

void quantize_scalar(const float* x, size_t n, const QParams& p, uint8_t* q) {
  for (size_t i = 0; i < n; ++i) q[i] = quantize_one(x[i], p);
}

#if EMBER_QUANTIZE_X86
// MINPS/MAXPS return their second operand unless the first compares below /
// above it: (v, current) is the scalar rule. Rounding is the current mode's
// (round half to even, as nearbyint).

__attribute__((target("avx512f"))) void min_max_avx512(const float* x, size_t n, float* lo,
                                                       float* hi) {
  __m512 mn0 = _mm512_set1_ps(*lo), mx0 = _mm512_set1_ps(*hi), mn1 = mn0, mx1 = mx0;
  size_t p = 0;
  for (; p + 32 <= n; p += 32) {
    const __m512 a = _mm512_loadu_ps(x + p), b = _mm512_loadu_ps(x + p + 16);
    mn0 = _mm512_min_ps(a, mn0);
    mx0 = _mm512_max_ps(a, mx0);
    mn1 = _mm512_min_ps(b, mn1);
    mx1 = _mm512_max_ps(b, mx1);
  }
  for (; p < n; p += 16) {
    const __mmask16 m = n - p >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - p)) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(m, x + p);
    mn0 = _mm512_mask_min_ps(mn0, m, a, mn0);
    mx0 = _mm512_mask_max_ps(mx0, m, a, mx0);
  }
  alignas(64) float l[32], h[32];
  _mm512_store_ps(l, mn0);
  _mm512_store_ps(l + 16, mn1);
  _mm512_store_ps(h, mx0);
  _mm512_store_ps(h + 16, mx1);
  float unused_hi = *hi, unused_lo = *lo;
  min_max_scalar(l, 32, lo, &unused_hi);
  min_max_scalar(h, 32, &unused_lo, hi);
}

/// 16 values' bytes (VPMOVDB to a register: to memory it is slow on Zen 4).
__attribute__((target("avx512f"))) inline __m128i quantize16(__m512 x, const QParams& p) {
  __m512 v = _mm512_mul_ps(x, _mm512_set1_ps(p.inv));
  v = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  v = _mm512_add_ps(v, _mm512_set1_ps(p.zp));
  v = _mm512_max_ps(v, _mm512_set1_ps(p.qmin));  // NaN -> qmin
  v = _mm512_min_ps(v, _mm512_set1_ps(p.qmax));
  return _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(v));  // the low bytes: the type's bits
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void quantize_avx512(const float* x,
                                                                          size_t n,
                                                                          const QParams& p,
                                                                          uint8_t* q) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), quantize16(_mm512_loadu_ps(x + i), p));
  }
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(q + i, m, quantize16(_mm512_maskz_loadu_ps(m, x + i), p));
  }
}

__attribute__((target("avx2"))) void min_max_avx2(const float* x, size_t n, float* lo,
                                                  float* hi) {
  __m256 mn0 = _mm256_set1_ps(*lo), mx0 = _mm256_set1_ps(*hi), mn1 = mn0, mx1 = mx0;
  size_t p = 0;
  for (; p + 16 <= n; p += 16) {
    const __m256 a = _mm256_loadu_ps(x + p), b = _mm256_loadu_ps(x + p + 8);
    mn0 = _mm256_min_ps(a, mn0);
    mx0 = _mm256_max_ps(a, mx0);
    mn1 = _mm256_min_ps(b, mn1);
    mx1 = _mm256_max_ps(b, mx1);
  }
  alignas(32) float l[16], h[16];
  _mm256_store_ps(l, mn0);
  _mm256_store_ps(l + 8, mn1);
  _mm256_store_ps(h, mx0);
  _mm256_store_ps(h + 8, mx1);
  float unused_hi = *hi, unused_lo = *lo;
  min_max_scalar(l, 16, lo, &unused_hi);
  min_max_scalar(h, 16, &unused_lo, hi);
  min_max_scalar(x + p, n - p, lo, hi);
}

__attribute__((target("avx2"))) void quantize_avx2(const float* x, size_t n, const QParams& p,
                                                   uint8_t* q) {
  const __m256 inv = _mm256_set1_ps(p.inv), zp = _mm256_set1_ps(p.zp);
  const __m256 qmin = _mm256_set1_ps(p.qmin), qmax = _mm256_set1_ps(p.qmax);
  // The low byte of each int32 (the values fit the type, so truncation keeps
  // them): bytes 0, 4, 8, 12 of each 128-bit half, then the halves' words.
  const __m256i low_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                             -1, -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1,
                                             -1, -1, -1, -1);
  const __m256i words = _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), inv);
    v = _mm256_add_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
    v = _mm256_min_ps(_mm256_max_ps(v, qmin), qmax);  // NaN -> qmin
    const __m256i b = _mm256_permutevar8x32_epi32(
        _mm256_shuffle_epi8(_mm256_cvtps_epi32(v), low_bytes), words);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm256_castsi256_si128(b));
  }
  quantize_scalar(x + i, n - i, p, q + i);
}
#endif  // EMBER_QUANTIZE_X86

#if EMBER_QUANTIZE_NEON
// FMIN/FMAX propagate NaN: compare and select, as the scalar rule.

void min_max_neon(const float* x, size_t n, float* lo, float* hi) {
  float32x4_t mn0 = vdupq_n_f32(*lo), mx0 = vdupq_n_f32(*hi), mn1 = mn0, mx1 = mx0;
  size_t p = 0;
  for (; p + 8 <= n; p += 8) {
    const float32x4_t a = vld1q_f32(x + p), b = vld1q_f32(x + p + 4);
    mn0 = vbslq_f32(vcltq_f32(a, mn0), a, mn0);
    mx0 = vbslq_f32(vcgtq_f32(a, mx0), a, mx0);
    mn1 = vbslq_f32(vcltq_f32(b, mn1), b, mn1);
    mx1 = vbslq_f32(vcgtq_f32(b, mx1), b, mx1);
  }
  float l[8], h[8];
  vst1q_f32(l, mn0);
  vst1q_f32(l + 4, mn1);
  vst1q_f32(h, mx0);
  vst1q_f32(h + 4, mx1);
  float unused_hi = *hi, unused_lo = *lo;
  min_max_scalar(l, 8, lo, &unused_hi);
  min_max_scalar(h, 8, &unused_lo, hi);
  min_max_scalar(x + p, n - p, lo, hi);
}

void quantize_neon(const float* x, size_t n, const QParams& p, uint8_t* q) {
  const float32x4_t inv = vdupq_n_f32(p.inv), zp = vdupq_n_f32(p.zp);
  const float32x4_t qmin = vdupq_n_f32(p.qmin), qmax = vdupq_n_f32(p.qmax);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int32x4_t r[2];
    for (int h = 0; h < 2; ++h) {
      float32x4_t v = vaddq_f32(vrndnq_f32(vmulq_f32(vld1q_f32(x + i + 4 * h), inv)), zp);
      v = vbslq_f32(vcgeq_f32(v, qmin), v, qmin);  // NaN -> qmin
      v = vbslq_f32(vcleq_f32(v, qmax), v, qmax);
      r[h] = vcvtq_s32_f32(v);
    }
    const int16x8_t w = vcombine_s16(vmovn_s32(r[0]), vmovn_s32(r[1]));
    vst1_u8(q + i, vreinterpret_u8_s8(vmovn_s16(w)));  // low bytes: the type's bits
  }
  quantize_scalar(x + i, n - i, p, q + i);
}
#endif  // EMBER_QUANTIZE_NEON

/// The passes of the GEMM's active family's ISA.
const TensorKernels& tensor_kernels() {
  static constexpr TensorKernels kScalar{&min_max_scalar, &quantize_scalar};
  switch (active_isa()) {
#if EMBER_QUANTIZE_X86
    case Isa::avx512vnni: {
      static constexpr TensorKernels k{&min_max_avx512, &quantize_avx512};
      return k;
    }
    case Isa::avx2: {
      static constexpr TensorKernels k{&min_max_avx2, &quantize_avx2};
      return k;
    }
#endif
#if EMBER_QUANTIZE_NEON
    case Isa::neon:
    case Isa::neon_dot: {
      static constexpr TensorKernels k{&min_max_neon, &quantize_neon};
      return k;
    }
#endif
    default:
      return kScalar;
  }
}

/// At most this many chunks (pool tasks) per pass.
constexpr size_t kMaxTasks = 16;
/// Elements per chunk at least. A pass runs at about 8 elements a cycle and
/// a parallel call costs 30-100 us on a 2-core VM (docs/benchmarks.md, "Two
/// threads on a VM"), so BERT's activations (128 x 768 and 128 x 3072, 13
/// and 50 us a pass) run serially: splitting them cost more than it saved.
constexpr size_t kTaskElements = size_t{512} << 10;

/// One quantize_tensor call, split into `tasks` chunks of whole rows (or of
/// one row's columns when there is a single row).
struct TensorJob {
  const TensorKernels* ks;
  const float* x;
  uint8_t* q;
  size_t rows, cols, ldx, ldq;
  size_t tasks;
  QParams params;
  float lo[kMaxTasks], hi[kMaxTasks];  ///< each chunk's min and max
};

/// Calls fn(x, q, n) on each span of chunk t.
template <typename Fn>
void for_chunk(const TensorJob& job, size_t t, Fn fn) {
  if (job.rows == 1) {  // columns in multiples of 64 values
    const size_t blocks = (job.cols + 63) / 64;
    const size_t p0 = std::min(job.cols, t * blocks / job.tasks * 64);
    const size_t p1 = std::min(job.cols, (t + 1) * blocks / job.tasks * 64);
    if (p0 < p1) fn(job.x + p0, job.q + p0, p1 - p0);
    return;
  }
  for (size_t i = t * job.rows / job.tasks; i < (t + 1) * job.rows / job.tasks; ++i) {
    fn(job.x + i * job.ldx, job.q + i * job.ldq, job.cols);
  }
}

void min_max_task(void* context, size_t t) {
  TensorJob& job = *static_cast<TensorJob*>(context);
  // Every chunk starts from x[0], as the scalar scan does: a NaN there stays
  // the result, a NaN elsewhere never replaces a value.
  float lo = job.x[0], hi = job.x[0];
  for_chunk(job, t, [&](const float* x, uint8_t*, size_t n) { job.ks->min_max(x, n, &lo, &hi); });
  job.lo[t] = lo;
  job.hi[t] = hi;
}

void quantize_task(void* context, size_t t) {
  const TensorJob& job = *static_cast<const TensorJob*>(context);
  for_chunk(job, t,
            [&](const float* x, uint8_t* q, size_t n) { job.ks->quantize(x, n, job.params, q); });
}

void run_tasks(void (*task)(void*, size_t), TensorJob* job) {
  if (job->tasks == 1) {
    task(job, 0);
  } else {
    parallelize_1d(task, job, job->tasks);
  }
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
  TensorJob job;
  job.ks = &tensor_kernels();
  job.x = x;
  job.q = static_cast<uint8_t*>(q);
  job.rows = (size_t)rows;
  job.cols = (size_t)cols;
  job.ldx = (size_t)ldx;
  job.ldq = (size_t)ldq;
  if (job.ldx == job.cols && job.ldq == job.cols) {  // one span: chunks need not follow rows
    job.cols *= job.rows;
    job.rows = 1;
    job.ldx = job.ldq = job.cols;
  }
  const size_t by_size = std::max<size_t>(1, job.rows * job.cols / kTaskElements);
  job.tasks = std::min({get_num_threads(), kMaxTasks, by_size, job.rows > 1 ? job.rows : SIZE_MAX});
  job.tasks = std::max<size_t>(1, job.tasks);
  // 1. determine_qparams (per_tensor_affine), in float32, from torch.aminmax.
  run_tasks(&min_max_task, &job);
  float mn = job.lo[0], mx = job.hi[0];  // chunk 0 holds x[0], the scalar scan's start
  for (size_t t = 1; t < job.tasks; ++t) {
    mn = job.lo[t] < mn ? job.lo[t] : mn;
    mx = job.hi[t] > mx ? job.hi[t] : mx;
  }
  const float min_neg = mn < 0.0f ? mn : 0.0f;
  const float max_pos = mx > 0.0f ? mx : 0.0f;
  float s = (max_pos - min_neg) / (float)(qmax - qmin);
  s = s > eps ? s : eps;
  int32_t zp = qmin - (int32_t)std::nearbyint(min_neg / s);
  zp = zp < qmin ? qmin : (zp > qmax ? qmax : zp);
  // 2. quantize_per_tensor: x * float(1.0 / scale) in float32, round, + zp, clamp.
  job.params = {(float)(1.0 / (double)s), (float)zp, (float)qmin, (float)qmax};
  run_tasks(&quantize_task, &job);
  *scale = s;
  *zero_point = zp;
  return Error::Ok;
}

}  // namespace qgemm
}  // namespace ember
