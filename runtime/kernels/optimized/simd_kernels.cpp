// The vectorized inner loops of simd_kernels.h, written once over vec.h and
// compiled once per instruction set: EMBER_SIMD_ISA names this copy's
// namespace (generic, avx2, avx512 or neon) and the flags of its build pick
// the Vec it gets.
//
// Polynomials (coefficients are the published ones, rounded to float):
//   exp:  x = n ln2 + r, |r| <= ln2 / 2 (ln2 split in two for an exact
//         reduction), e^r by a degree-5 minimax polynomial in r (Cephes
//         expf), 2^n built in the exponent bits, in two halves so that n = 128
//         does not overflow before the multiply.
//   tanh: |x| < 0.625: x + x^3 P(x^2) (Cephes tanhf); else
//         sign(x) (1 - 2 / (e^{2|x|} + 1)).
//   erf:  Abramowitz & Stegun 7.1.26: erfc(z) = t P(t) e^{-z^2},
//         t = 1 / (1 + 0.3275911 z), |error| < 1.5e-7; gelu takes
//         1 + erf(x / sqrt 2) as erfc(-x / sqrt 2) so that the negative side
//         keeps its relative accuracy.
#include <cmath>

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

#include "runtime/kernels/optimized/simd_kernels.h"
#include "runtime/kernels/optimized/vec.h"

#ifndef EMBER_SIMD_ISA
#error "simd_kernels.cpp is compiled once per instruction set with EMBER_SIMD_ISA defined"
#endif

namespace ember {
namespace optimized {
namespace EMBER_SIMD_ISA {
namespace {

using simd::Vec;
constexpr int kLanes = Vec::kLanes;

/// e^x's reduction for x = n ln2 + r, |r| <= ln2 / 2: n (rounded to an
/// integer) and the degree-6 polynomial's e^r.
inline Vec exp_reduced(Vec x, Vec* n_out) {
  const Vec n = simd::round_nearest(x * Vec(1.44269504088896341f));
  Vec r = simd::fmadd(n, Vec(-0.693359375f), x);
  r = simd::fmadd(n, Vec(2.12194440e-4f), r);
  Vec p(1.9875691500e-4f);
  p = simd::fmadd(p, r, Vec(1.3981999507e-3f));
  p = simd::fmadd(p, r, Vec(8.3334519073e-3f));
  p = simd::fmadd(p, r, Vec(4.1665795894e-2f));
  p = simd::fmadd(p, r, Vec(1.6666665459e-1f));
  p = simd::fmadd(p, r, Vec(5.0000001201e-1f));
  *n_out = n;
  return simd::fmadd(p, r * r, r + Vec(1.0f));
}

inline Vec exp_vec(Vec x) {
  const Vec hi(88.72283935546875f);   // above: inf
  const Vec lo(-87.33654022216797f);  // below: 0 (results would be subnormal)
  Vec n;
  Vec y = exp_reduced(simd::min(simd::max(x, lo), hi), &n);
  const Vec n1 = simd::round_nearest(n * Vec(0.5f));
  y = y * simd::exp2_int(n1) * simd::exp2_int(n - n1);
  y = simd::select(simd::greater(x, hi), Vec(INFINITY), y);
  y = simd::select(simd::less(x, lo), Vec(0.0f), y);
  return simd::select(simd::is_nan(x), x, y);
}

inline Vec tanh_vec(Vec x) {
  const Vec ax = simd::abs(x);
  const Vec z = x * x;
  Vec p(-5.70498872745e-3f);
  p = simd::fmadd(p, z, Vec(2.06390887954e-2f));
  p = simd::fmadd(p, z, Vec(-5.37397155531e-2f));
  p = simd::fmadd(p, z, Vec(1.33314422036e-1f));
  p = simd::fmadd(p, z, Vec(-3.33332819422e-1f));
  const Vec small = simd::fmadd(p * z, x, x);
  const Vec e = exp_vec(ax + ax);
  const Vec large = simd::with_sign_of(Vec(1.0f) - Vec(2.0f) / (e + Vec(1.0f)), x);
  return simd::select(simd::less(ax, Vec(0.625f)), small, large);
}

/// 1 / (1 + e^-x), with e^-x as exp_vec's polynomial over -x clamped to
/// [-87, 87], which needs one 2^n scale and none of exp_vec's range selects,
/// and a reciprocal for the division. Beyond the clamp the sigmoid is 1, or
/// 0 below x = -87 (within 1.7e-38 of it; exactly 0 at -inf, as torch, so
/// that x * sigmoid(x) is NaN there too). NaN stays NaN through the clamps
/// (max/min return their second operand for NaN).
inline Vec sigmoid_vec(Vec x) {
  const Vec neg = Vec(0.0f) - x;
  Vec n;
  const Vec er = exp_reduced(simd::min(Vec(87.0f), simd::max(Vec(-87.0f), neg)), &n);
  const Vec e = er * simd::exp2_int(n);
  return simd::select(simd::greater(neg, Vec(87.0f)), Vec(0.0f), simd::reciprocal(Vec(1.0f) + e));
}

/// erfc(z) for z >= 0.
inline Vec erfc_nonneg(Vec z) {
  const Vec t = Vec(1.0f) / simd::fmadd(Vec(0.3275911f), z, Vec(1.0f));
  Vec p(1.061405429f);
  p = simd::fmadd(p, t, Vec(-1.453152027f));
  p = simd::fmadd(p, t, Vec(1.421413741f));
  p = simd::fmadd(p, t, Vec(-0.284496736f));
  p = simd::fmadd(p, t, Vec(0.254829592f));
  return p * t * exp_vec(Vec(0.0f) - z * z);
}

inline Vec gelu_erf_vec(Vec x) {
  const Vec q = erfc_nonneg(simd::abs(x) * Vec(0.70710678118654752f));
  const Vec one_plus_erf = simd::select(simd::less(x, Vec(0.0f)), q, Vec(2.0f) - q);
  return Vec(0.5f) * x * one_plus_erf;
}

/// 0.5 x (1 + tanh(u)) computed as x sigmoid(2u), which is equal and has no
/// cancellation for negative x.
inline Vec gelu_tanh_vec(Vec x) {
  const Vec u = Vec(0.79788456080286536f) * simd::fmadd(Vec(0.044715f) * x, x * x, x);
  return x * sigmoid_vec(u + u);
}

template <UnaryOp kOp>
inline Vec apply(Vec x) {
  switch (kOp) {
    case UnaryOp::Exp:
      return exp_vec(x);
    case UnaryOp::Sigmoid:
      return sigmoid_vec(x);
    case UnaryOp::Tanh:
      return tanh_vec(x);
    case UnaryOp::GeluErf:
      return gelu_erf_vec(x);
    case UnaryOp::GeluTanh:
      return gelu_tanh_vec(x);
    case UnaryOp::Silu:
      return x * sigmoid_vec(x);
    case UnaryOp::Hardswish:
      // x * clamp(x + 3, 0, 6) / 6 in the portable kernel's order (the same
      // bits); a NaN x makes the product NaN whatever the clamp gives.
      return x * simd::min(simd::max(x + Vec(3.0f), Vec(0.0f)), Vec(6.0f)) / Vec(6.0f);
  }
  return x;
}

template <UnaryOp kOp>
void unary_loop(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) apply<kOp>(Vec::load(x + i)).store(y + i);
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    simd::store_partial(y + i, apply<kOp>(simd::load_partial(x + i, rest)), rest);
  }
}

void unary(UnaryOp op, const float* x, float* y, int64_t n) {
  switch (op) {
    case UnaryOp::Exp:
      return unary_loop<UnaryOp::Exp>(x, y, n);
    case UnaryOp::Sigmoid:
      return unary_loop<UnaryOp::Sigmoid>(x, y, n);
    case UnaryOp::Tanh:
      return unary_loop<UnaryOp::Tanh>(x, y, n);
    case UnaryOp::GeluErf:
      return unary_loop<UnaryOp::GeluErf>(x, y, n);
    case UnaryOp::GeluTanh:
      return unary_loop<UnaryOp::GeluTanh>(x, y, n);
    case UnaryOp::Silu:
      return unary_loop<UnaryOp::Silu>(x, y, n);
    case UnaryOp::Hardswish:
      return unary_loop<UnaryOp::Hardswish>(x, y, n);
  }
}

/// Sum of x[0..n) with four vector accumulators (fewer additions per lane,
/// so a smaller rounding error on long rows).
float sum_row(const float* x, int64_t n) {
  Vec acc[4] = {Vec(0.0f), Vec(0.0f), Vec(0.0f), Vec(0.0f)};
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    for (int k = 0; k < 4; ++k) acc[k] = acc[k] + Vec::load(x + i + k * kLanes);
  }
  for (; i + kLanes <= n; i += kLanes) acc[0] = acc[0] + Vec::load(x + i);
  if (i < n) acc[1] = acc[1] + simd::load_partial(x + i, static_cast<int>(n - i));
  return simd::reduce_add((acc[0] + acc[1]) + (acc[2] + acc[3]));
}

float dot(const float* a, const float* b, int64_t n) {
  Vec acc[4] = {Vec(0.0f), Vec(0.0f), Vec(0.0f), Vec(0.0f)};
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = simd::fmadd(Vec::load(a + i + k * kLanes), Vec::load(b + i + k * kLanes), acc[k]);
    }
  }
  for (; i + kLanes <= n; i += kLanes) acc[0] = simd::fmadd(Vec::load(a + i), Vec::load(b + i), acc[0]);
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    acc[1] = simd::fmadd(simd::load_partial(a + i, rest), simd::load_partial(b + i, rest), acc[1]);
  }
  return simd::reduce_add((acc[0] + acc[1]) + (acc[2] + acc[3]));
}

/// Sum of (x[i] - mean)^2.
float sum_sq_dev(const float* x, int64_t n, float mean) {
  const Vec m(mean);
  Vec acc[4] = {Vec(0.0f), Vec(0.0f), Vec(0.0f), Vec(0.0f)};
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    for (int k = 0; k < 4; ++k) {
      const Vec d = Vec::load(x + i + k * kLanes) - m;
      acc[k] = simd::fmadd(d, d, acc[k]);
    }
  }
  for (; i + kLanes <= n; i += kLanes) {
    const Vec d = Vec::load(x + i) - m;
    acc[0] = simd::fmadd(d, d, acc[0]);
  }
  float total = simd::reduce_add((acc[0] + acc[1]) + (acc[2] + acc[3]));
  for (; i < n; ++i) total += (x[i] - mean) * (x[i] - mean);
  return total;
}

void softmax_row(const float* x, float* y, int64_t n, bool log) {
  // 1. The row's maximum (maxps drops NaN lanes here; they come back in 2).
  Vec vmax(-INFINITY);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vmax = simd::max(Vec::load(x + i), vmax);
  float m = simd::reduce_max(vmax);
  for (int64_t j = i; j < n; ++j) m = x[j] > m ? x[j] : m;
  // 2. e = exp(x - max) and its sum (a NaN element makes the sum NaN).
  const Vec vm(m);
  Vec acc[2] = {Vec(0.0f), Vec(0.0f)};
  float* e = log ? nullptr : y;
  for (i = 0; i + kLanes <= n; i += kLanes) {
    const Vec v = exp_vec(Vec::load(x + i) - vm);
    if (e != nullptr) v.store(e + i);
    acc[(i / kLanes) & 1] = acc[(i / kLanes) & 1] + v;
  }
  float sum = simd::reduce_add(acc[0] + acc[1]);
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    float tail[kLanes];
    simd::store_partial(tail, exp_vec(simd::load_partial(x + i, rest) - vm), rest);
    for (int k = 0; k < rest; ++k) {
      sum += tail[k];
      if (e != nullptr) e[i + k] = tail[k];
    }
  }
  // 3. Normalize.
  if (log) {
    // (x - max) - log(sum), rounded twice like the reference: x - max is
    // exact near the maximum, where the result is small.
    const Vec log_sum(std::log(sum));
    for (i = 0; i + kLanes <= n; i += kLanes) ((Vec::load(x + i) - vm) - log_sum).store(y + i);
    if (i < n) {
      const int rest = static_cast<int>(n - i);
      simd::store_partial(y + i, (simd::load_partial(x + i, rest) - vm) - log_sum, rest);
    }
    return;
  }
  const Vec inv(1.0f / sum);
  for (i = 0; i + kLanes <= n; i += kLanes) (Vec::load(y + i) * inv).store(y + i);
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    simd::store_partial(y + i, simd::load_partial(y + i, rest) * inv, rest);
  }
}

void layer_norm_row(const float* x, float* y, int64_t n, const float* w, const float* b,
                    float eps, float* mean_out, float* rstd_out) {
  const float mean = sum_row(x, n) / static_cast<float>(n);
  const float var = sum_sq_dev(x, n, mean) / static_cast<float>(n);
  const float rstd = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var) + eps));
  if (mean_out != nullptr) *mean_out = mean;
  if (rstd_out != nullptr) *rstd_out = rstd;
  const Vec vm(mean), vr(rstd), one(1.0f), zero(0.0f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vec t = (Vec::load(x + i) - vm) * vr;
    const Vec vw = w != nullptr ? Vec::load(w + i) : one;
    const Vec vb = b != nullptr ? Vec::load(b + i) : zero;
    simd::fmadd(t, vw, vb).store(y + i);
  }
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    const Vec t = (simd::load_partial(x + i, rest) - vm) * vr;
    const Vec vw = w != nullptr ? simd::load_partial(w + i, rest) : one;
    const Vec vb = b != nullptr ? simd::load_partial(b + i, rest) : zero;
    simd::store_partial(y + i, simd::fmadd(t, vw, vb), rest);
  }
}

void rms_norm_row(const float* x, float* y, int64_t n, const float* w, float eps) {
  const float mean = dot(x, x, n) / static_cast<float>(n);
  const float rstd = 1.0f / std::sqrt(mean + eps);
  const Vec vr(rstd);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vec t = Vec::load(x + i) * vr;
    (w != nullptr ? Vec::load(w + i) * t : t).store(y + i);
  }
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    const Vec t = simd::load_partial(x + i, rest) * vr;
    simd::store_partial(y + i, w != nullptr ? simd::load_partial(w + i, rest) * t : t, rest);
  }
}

template <BinaryOp kOp>
inline Vec combine(Vec a, Vec b, Vec alpha, bool scaled) {
  switch (kOp) {
    case BinaryOp::Add:
      return scaled ? simd::fmadd(b, alpha, a) : a + b;
    case BinaryOp::Sub:
      return scaled ? a - b * alpha : a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
  }
  return a;
}

template <BinaryOp kOp>
void binary_loop(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n,
                 float alpha) {
  const Vec va = sa == 0 ? Vec(a[0]) : Vec(0.0f);
  const Vec vb = sb == 0 ? Vec(b[0]) : Vec(0.0f);
  const Vec valpha(alpha);
  const bool scaled = alpha != 1.0f;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vec x = sa != 0 ? Vec::load(a + i) : va;
    const Vec z = sb != 0 ? Vec::load(b + i) : vb;
    combine<kOp>(x, z, valpha, scaled).store(y + i);
  }
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    const Vec x = sa != 0 ? simd::load_partial(a + i, rest) : va;
    const Vec z = sb != 0 ? simd::load_partial(b + i, rest) : vb;
    simd::store_partial(y + i, combine<kOp>(x, z, valpha, scaled), rest);
  }
}

void binary(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
            int64_t n, float alpha) {
  switch (op) {
    case BinaryOp::Add:
      return binary_loop<BinaryOp::Add>(a, sa, b, sb, y, n, alpha);
    case BinaryOp::Sub:
      return binary_loop<BinaryOp::Sub>(a, sa, b, sb, y, n, alpha);
    case BinaryOp::Mul:
      return binary_loop<BinaryOp::Mul>(a, sa, b, sb, y, n, alpha);
    case BinaryOp::Div:
      return binary_loop<BinaryOp::Div>(a, sa, b, sb, y, n, alpha);
  }
}

void clamp(const float* x, float* y, int64_t n, float lo, float hi) {
  // max/min return their second operand when either is NaN: x goes second.
  const Vec vlo(lo), vhi(hi);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    simd::min(vhi, simd::max(vlo, Vec::load(x + i))).store(y + i);
  }
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    simd::store_partial(y + i, simd::min(vhi, simd::max(vlo, simd::load_partial(x + i, rest))),
                        rest);
  }
}

/// s[r * s_stride + j] = q_r . k_j for R query rows (q_r at q + r * q_stride)
/// and j < n, with k^T packed as kt[d * kt_stride + j] (kt_stride a multiple
/// of 2 * kLanes, at least n rounded up to it): the keys run along the vector
/// lanes, so no horizontal sum is needed, and each pair of key vectors loaded
/// serves R rows. Each score is the sum over d in order, whatever rows and
/// keys share its block.
template <int R>
void scores_rows(const float* q, int64_t q_stride, const float* kt, int64_t kt_stride, int64_t n,
                 int64_t e, float* s, int64_t s_stride) {
  for (int64_t j = 0; j < n; j += 2 * kLanes) {
    Vec a[R][2];
    for (int r = 0; r < R; ++r) a[r][0] = a[r][1] = Vec(0.0f);
    for (int64_t d = 0; d < e; ++d) {
      const float* row = kt + d * kt_stride + j;
      const Vec k0 = Vec::load(row), k1 = Vec::load(row + kLanes);
      for (int r = 0; r < R; ++r) {
        const Vec qd(q[r * q_stride + d]);
        a[r][0] = simd::fmadd(qd, k0, a[r][0]);
        a[r][1] = simd::fmadd(qd, k1, a[r][1]);
      }
    }
    // Lanes past n (kt's padding) are computed and not stored.
    const int64_t left = n - j;
    const int rest0 = left < kLanes ? static_cast<int>(left) : kLanes;
    const int rest1 = left - kLanes < kLanes ? static_cast<int>(left - kLanes) : kLanes;
    for (int r = 0; r < R; ++r) {
      float* out = s + r * s_stride + j;
      simd::store_partial(out, a[r][0], rest0);
      if (rest1 > 0) simd::store_partial(out + kLanes, a[r][1], rest1);
    }
  }
}

/// s[j] = q . k_j for n keys as they lie (k_j at k + j * k_stride, e floats):
/// four keys a step, one chain of lanes each, then each key's lanes summed.
void attention_dots(const float* q, const float* k, int64_t k_stride, int64_t n, int64_t e,
                    float* s) {
  const int64_t full = e / kLanes * kLanes;
  const int rest = static_cast<int>(e - full);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* kj = k + j * k_stride;
    Vec acc[4] = {Vec(0.0f), Vec(0.0f), Vec(0.0f), Vec(0.0f)};
    for (int64_t d = 0; d < full; d += kLanes) {
      const Vec qd = Vec::load(q + d);
      for (int i = 0; i < 4; ++i) {
        acc[i] = simd::fmadd(qd, Vec::load(kj + i * k_stride + d), acc[i]);
      }
    }
    if (rest > 0) {
      const Vec qd = simd::load_partial(q + full, rest);
      for (int i = 0; i < 4; ++i) {
        acc[i] = simd::fmadd(qd, simd::load_partial(kj + i * k_stride + full, rest), acc[i]);
      }
    }
    for (int i = 0; i < 4; ++i) s[j + i] = simd::reduce_add(acc[i]);
  }
  for (; j < n; ++j) {
    const float* kj = k + j * k_stride;
    Vec acc(0.0f);
    for (int64_t d = 0; d < full; d += kLanes) {
      acc = simd::fmadd(Vec::load(q + d), Vec::load(kj + d), acc);
    }
    if (rest > 0) {
      acc = simd::fmadd(simd::load_partial(q + full, rest), simd::load_partial(kj + full, rest),
                        acc);
    }
    s[j] = simd::reduce_add(acc);
  }
}

void attention_scores(int64_t rows, const float* q, int64_t q_stride, const float* kt,
                      int64_t kt_stride, int64_t n, int64_t e, float* s, int64_t s_stride) {
  switch (rows) {
    case 4:
      return scores_rows<4>(q, q_stride, kt, kt_stride, n, e, s, s_stride);
    case 3:
      return scores_rows<3>(q, q_stride, kt, kt_stride, n, e, s, s_stride);
    case 2:
      return scores_rows<2>(q, q_stride, kt, kt_stride, n, e, s, s_stride);
    default:
      return scores_rows<1>(q, q_stride, kt, kt_stride, n, e, s, s_stride);
  }
}

/// acc_r[c] = acc_r[c] * alpha[r] + sum_{j < n} p_r[j] v_j[c] over ev floats
/// for R rows (acc_r at acc + r * acc_stride, p_r at p + r * p_stride), C
/// vectors of each row held in registers across all n values, each vector
/// of v_j loaded once for the R rows: R * C independent sums, enough to keep
/// both FMA ports busy. Each row's sum runs over j in order.
template <int R, int C>
void weighted_sums(const float* p, int64_t p_stride, int64_t n, const float* v, int64_t v_stride,
                   int64_t ev, const float* alpha, float* acc, int64_t acc_stride) {
  int64_t c = 0;
  for (; c + C * kLanes <= ev; c += C * kLanes) {
    Vec r[R][C];
    for (int i = 0; i < R; ++i) {
      const Vec va(alpha[i]);
      for (int k = 0; k < C; ++k) r[i][k] = Vec::load(acc + i * acc_stride + c + k * kLanes) * va;
    }
    for (int64_t j = 0; j < n; ++j) {
      const float* row = v + j * v_stride + c;
      Vec vj[C];
      for (int k = 0; k < C; ++k) vj[k] = Vec::load(row + k * kLanes);
      for (int i = 0; i < R; ++i) {
        const Vec pj(p[i * p_stride + j]);
        for (int k = 0; k < C; ++k) r[i][k] = simd::fmadd(pj, vj[k], r[i][k]);
      }
    }
    for (int i = 0; i < R; ++i) {
      for (int k = 0; k < C; ++k) r[i][k].store(acc + i * acc_stride + c + k * kLanes);
    }
  }
  for (; c < ev; c += kLanes) {
    const int rest = ev - c < kLanes ? static_cast<int>(ev - c) : kLanes;
    Vec r[R];
    for (int i = 0; i < R; ++i) {
      r[i] = simd::load_partial(acc + i * acc_stride + c, rest) * Vec(alpha[i]);
    }
    for (int64_t j = 0; j < n; ++j) {
      const Vec vj = simd::load_partial(v + j * v_stride + c, rest);
      for (int i = 0; i < R; ++i) r[i] = simd::fmadd(Vec(p[i * p_stride + j]), vj, r[i]);
    }
    for (int i = 0; i < R; ++i) simd::store_partial(acc + i * acc_stride + c, r[i], rest);
  }
}

// Vectors of a row kept in registers: 4 rows x C accumulators, with room
// for C loaded values (AVX2 has 16 registers; AVX-512 and NEON 32).
constexpr int kAccVectors = kLanes == 8 ? 2 : 4;

void attention_accumulate(int64_t rows, const float* p, int64_t p_stride, int64_t n,
                          const float* v, int64_t v_stride, int64_t ev, const float* alpha,
                          float* acc, int64_t acc_stride) {
  switch (rows) {
    case 4:
      return weighted_sums<4, kAccVectors>(p, p_stride, n, v, v_stride, ev, alpha, acc, acc_stride);
    case 3:
      return weighted_sums<3, kAccVectors>(p, p_stride, n, v, v_stride, ev, alpha, acc, acc_stride);
    case 2:
      return weighted_sums<2, kAccVectors>(p, p_stride, n, v, v_stride, ev, alpha, acc, acc_stride);
    default:
      return weighted_sums<1, kAccVectors>(p, p_stride, n, v, v_stride, ev, alpha, acc, acc_stride);
  }
}

float attention_softmax(float* s, int64_t n, int64_t n_pad, float scale, const float* bias,
                        float* m, float* l) {
  // 1. Scaled and biased scores and their maximum.
  const Vec vscale(scale);
  Vec vmax(-INFINITY);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Vec x = Vec::load(s + i) * vscale;
    if (bias != nullptr) x = x + Vec::load(bias + i);
    x.store(s + i);
    vmax = simd::max(x, vmax);
  }
  float block_max = simd::reduce_max(vmax);
  for (; i < n; ++i) {
    const float sj = s[i] * scale + (bias != nullptr ? bias[i] : 0.0f);
    s[i] = sj;
    block_max = sj > block_max ? sj : block_max;
  }
  if (block_max == -INFINITY) {  // every key of the block masked (or none): no change
    for (int64_t j = 0; j < n_pad; ++j) s[j] = 0.0f;
    return 1.0f;
  }
  const float m_new = block_max > *m ? block_max : *m;
  const float alpha = std::exp(*m - m_new);  // 0 for the first block (m = -inf)
  // 2. p_j = exp(s_j - m') and their sum; no weight past n.
  const Vec vm(m_new);
  Vec vsum(0.0f);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const Vec p = exp_vec(Vec::load(s + j) - vm);
    p.store(s + j);
    vsum = vsum + p;
  }
  if (j < n) {
    const int rest = static_cast<int>(n - j);
    simd::store_partial(s + j, exp_vec(simd::load_partial(s + j, rest) - vm), rest);
  }
  float sum = simd::reduce_add(vsum);
  for (; j < n; ++j) sum += s[j];  // the tail's lanes only (not the padding's)
  for (j = n; j < n_pad; ++j) s[j] = 0.0f;
  *l = *l * alpha + sum;
  *m = m_new;
  return alpha;
}

/// quantize_per_tensor, a vector of floats at a time: the rounding and clamp
/// in vector lanes, the narrowing (exact: every value is integral and in
/// range) in a loop the compiler vectorises for this instruction set.
template <typename Q>
void quantize_as(const float* x, Q* q, int64_t n, float inv_scale, float zp, float lo, float hi) {
  const Vec vinv(inv_scale), vzp(zp), vlo(lo), vhi(hi), zero(0.0f);
  float block[kLanes];
  int64_t i = 0;
  for (; i < n; i += kLanes) {
    const int count = static_cast<int>(n - i < kLanes ? n - i : kLanes);
    const Vec v = count == kLanes ? Vec::load(x + i) : simd::load_partial(x + i, count);
    Vec y = simd::round_nearest(v * vinv) + vzp;
    y = simd::min(simd::max(y, vlo), vhi);
    y = simd::select(simd::is_nan(v), zero, y);  // torch.clamp keeps NaN; converting it gives 0
    y.store(block);
    for (int j = 0; j < count; ++j) q[i + j] = static_cast<Q>(static_cast<int32_t>(block[j]));
  }
}

void quantize(const float* x, void* q, int64_t n, float inv_scale, float zp, float lo, float hi,
              bool is_unsigned) {
  if (is_unsigned) {
    quantize_as(x, static_cast<uint8_t*>(q), n, inv_scale, zp, lo, hi);
  } else {
    quantize_as(x, static_cast<int8_t*>(q), n, inv_scale, zp, lo, hi);
  }
}

template <typename Q>
void dequantize_as(const Q* q, float* x, int64_t n, float scale, float zp) {
  for (int64_t i = 0; i < n; ++i) x[i] = (static_cast<float>(q[i]) - zp) * scale;
}

void dequantize(const void* q, float* x, int64_t n, float scale, float zp, bool is_unsigned) {
  if (is_unsigned) {
    dequantize_as(static_cast<const uint8_t*>(q), x, n, scale, zp);
  } else {
    dequantize_as(static_cast<const int8_t*>(q), x, n, scale, zp);
  }
}

#if defined(__SSSE3__)
/// interleave_bytes' first n / 16 * 16 elements, 16 a step: output chunk q
/// (bytes 16 q .. 16 q + 15 of the 16 * planes) ORs one pshufb of each
/// plane's 16 bytes, whose mask picks the plane's byte for the positions
/// that are the plane's (g % planes == c: element g / planes) and zeroes
/// the others. Returns the first element left.
int64_t interleave_bytes_ssse3(const uint8_t* src, int64_t planes, int64_t ld_src, int64_t n,
                               uint8_t* dst) {
  __m128i mask[4][4];
  for (int64_t q = 0; q < planes; ++q) {
    for (int64_t c = 0; c < planes; ++c) {
      alignas(16) int8_t m[16];
      for (int64_t o = 0; o < 16; ++o) {
        const int64_t g = 16 * q + o;
        m[o] = g % planes == c ? static_cast<int8_t>(g / planes) : int8_t{-128};
      }
      mask[q][c] = _mm_load_si128(reinterpret_cast<const __m128i*>(m));
    }
  }
  const int64_t n16 = n / 16 * 16;
  for (int64_t i = 0; i < n16; i += 16) {
    __m128i v[4];
    for (int64_t c = 0; c < planes; ++c) {
      v[c] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + c * ld_src + i));
    }
    uint8_t* out = dst + i * planes;
    for (int64_t q = 0; q < planes; ++q) {
      __m128i chunk = _mm_shuffle_epi8(v[0], mask[q][0]);
      for (int64_t c = 1; c < planes; ++c) {
        chunk = _mm_or_si128(chunk, _mm_shuffle_epi8(v[c], mask[q][c]));
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * q), chunk);
    }
  }
  return n16;
}
#endif

void interleave_bytes(const uint8_t* src, int64_t planes, int64_t ld_src, int64_t n,
                      uint8_t* dst) {
  int64_t i = 0;
#if defined(__SSSE3__)
  i = interleave_bytes_ssse3(src, planes, ld_src, n, dst);
#endif
  for (; i < n; ++i) {
    for (int64_t c = 0; c < planes; ++c) dst[i * planes + c] = src[c * ld_src + i];
  }
}

}  // namespace

// simd_window.cpp, this instruction set's copy.
void depthwise_plane(const WindowShape& s, const float* in, const float* w, float bias,
                     float* out);
void max_pool_plane(const WindowShape& s, const float* in, float* out, int64_t* indices);
// simd_nhwc.cpp, this instruction set's copy.
void depthwise_nhwc_rows(const DepthwiseNhwc& p, const float* in, int64_t oh0, int64_t oh1,
                         float* out);
void max_pool_nhwc_rows(const WindowShape& s, int64_t channels, const float* in, int64_t oh0,
                        int64_t oh1, float* out);

const SimdKernels& simd_kernels() {
  static constexpr SimdKernels kTable = {&unary,           &softmax_row,      &layer_norm_row,
                                         &binary,          &clamp,            &depthwise_plane,
                                         &max_pool_plane,  &depthwise_nhwc_rows,
                                         &max_pool_nhwc_rows, &sum_row,       &dot,
                                         &attention_scores, &attention_dots, &attention_softmax,
                                         &attention_accumulate, &rms_norm_row,
                                         &quantize,        &dequantize,
                                         &interleave_bytes};
  return kTable;
}

}  // namespace EMBER_SIMD_ISA
}  // namespace optimized
}  // namespace ember
