// aten::convolution.out for 1-d (N, C, L) and 2-d (N, C, H, W) float32,
// float16 and bfloat16 inputs in the contiguous dim order: groups, stride,
// padding, dilation, optional bias, and transposed convolution with
// output_padding. A 1-d convolution runs as a 2-d one with H = 1.
//
// Forward convolution, per batch item and group:
//   1. Pre-fill the output planes with the bias (or zeros).
//   2. 1x1 / stride 1 / no padding: the input plane already is the
//      [C/g, H*W] matrix, so out += W_g * in_g is one gemm.
//   3. Otherwise im2col a chunk of output positions into temp memory
//      ([C/g*kh*kw, chunk]) and run the gemm on it; chunks keep the column
//      buffer near L2 size.
//   4. Without temp memory, a direct loop whose innermost loop runs over a
//      precomputed valid range of output columns (no bounds checks inside).
// Transposed convolution scatters each input pixel times each kernel tap
// into the output, again over precomputed valid ranges.
//
// float16 and bfloat16 accumulate in float32 and round each output once:
// the same steps with gemm_half, whose sums cover the whole depth; the
// direct and transposed loops gather each output's taps into one float sum.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "runtime/kernels/portable/convolution.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/matmul.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

const char* const kOp = "aten::convolution.out";

int64_t ceil_div(int64_t a, int64_t b) { return a <= 0 ? -((-a) / b) : (a + b - 1) / b; }

/// A clamp's optional Scalar bounds, arguments i and i + 1, as doubles
/// (-inf / inf when absent; `given`: either is). False (the call failed)
/// when one is not a number or they are not an interval.
bool read_bounds(ArgReader& r, Span<EValue*> args, size_t i, double* lo, double* hi,
                 bool* given) {
  const bool has_lo = !args[i]->is_none(), has_hi = !args[i + 1]->is_none();
  *lo = has_lo ? r.scalar(i, "min").to_double() : -HUGE_VAL;
  *hi = has_hi ? r.scalar(i + 1, "max").to_double() : HUGE_VAL;
  *given = has_lo || has_hi;
  if (!r.ok()) return false;
  if (*lo > *hi || *lo != *lo || *hi != *hi) {
    r.fail(Error::InvalidArgument, "the bounds [%g, %g] are not an interval", *lo, *hi);
    return false;
  }
  return true;
}

/// A channels-last convolution's value after its clamp or activation.
float finish(const ConvNhwcCall& c, float v) {
  if (c.activation == ConvActivation::silu) return silu(v);
  if (c.activation == ConvActivation::hardswish) return hardswish(v);
  v = v < c.lo ? c.lo : v;  // NaN stays NaN
  return v > c.hi ? c.hi : v;
}

/// A per-spatial-dim list of 1 or `spatial` values (1 broadcasts). A 1-d
/// convolution runs with H = 1, so its h value is `h_default`.
bool spatial_param(ArgReader& r, Span<const int64_t> list, int spatial, const char* name,
                   int64_t h_default, int64_t* h, int64_t* w) {
  if (list.size() != 1 && list.size() != static_cast<size_t>(spatial)) {
    r.fail(Error::InvalidArgument, "%s has %zu values, expected 1 or %d", name, list.size(),
           spatial);
    return false;
  }
  *w = list[list.size() - 1];
  *h = spatial == 2 ? list[0] : h_default;
  // Values come from the program: keep the shape arithmetic far from overflow.
  if (*h < -INT32_MAX || *h > INT32_MAX || *w < -INT32_MAX || *w > INT32_MAX) {
    r.fail(Error::InvalidArgument, "%s %s is out of range", name,
           sizes_text(list.data(), static_cast<int>(list.size())).text);
    return false;
  }
  return true;
}

template <typename T>
void fill_bias(const ConvShape& s, const T* bias, T* out) {
  const int64_t plane = s.out_h * s.out_w;
  for (int64_t b = 0; b < s.n; ++b) {
    for (int64_t c = 0; c < s.out_c; ++c) {
      T* dst = out + (b * s.out_c + c) * plane;
      const T v = bias ? bias[c] : T{};
      for (int64_t i = 0; i < plane; ++i) dst[i] = v;
    }
  }
}

/// im2col_chunk for element type T (the column rows hold T).
template <typename T>
void im2col_rows(const ConvShape& s, const T* in_g, int64_t p0, int64_t count, T* col,
                 int64_t ic_begin, int64_t ic_end) {
  const int64_t plane = s.in_h * s.in_w;
  for (int64_t ic = ic_begin; ic < ic_end; ++ic) {
    const T* src_plane = in_g + ic * plane;
    for (int64_t ki = 0; ki < s.k_h; ++ki) {
      for (int64_t kj = 0; kj < s.k_w; ++kj) {
        T* row = col + ((ic * s.k_h + ki) * s.k_w + kj) * count;
        const int64_t off_w = kj * s.dil_w - s.pad_w;
        int64_t lo_all, hi_all;
        valid_range(off_w, s.stride_w, s.in_w, s.out_w, &lo_all, &hi_all);
        int64_t p = p0;
        int64_t oh = p0 / s.out_w;
        int64_t ow0 = p0 % s.out_w;
        while (p < p0 + count) {
          const int64_t run = s.out_w - ow0 < p0 + count - p ? s.out_w - ow0 : p0 + count - p;
          T* dst = row + (p - p0) - ow0;  // indexed by ow
          const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
          if (ih < 0 || ih >= s.in_h) {
            for (int64_t ow = ow0; ow < ow0 + run; ++ow) dst[ow] = T{};
          } else {
            const T* src = src_plane + ih * s.in_w + off_w;
            const int64_t end = ow0 + run;
            const int64_t lo = lo_all < ow0 ? ow0 : (lo_all > end ? end : lo_all);
            const int64_t hi = hi_all > end ? end : (hi_all < lo ? lo : hi_all);
            for (int64_t ow = ow0; ow < lo; ++ow) dst[ow] = T{};
            if (s.stride_w == 1) {
              if (hi > lo) memcpy(dst + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(T));
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * s.stride_w];
            }
            for (int64_t ow = hi; ow < ow0 + run; ++ow) dst[ow] = T{};
          }
          p += run;
          ++oh;
          ow0 = 0;
        }
      }
    }
  }
}

}  // namespace

void im2col_chunk(const ConvShape& s, const float* in_g, int64_t p0, int64_t count, float* col,
                  int64_t ic_begin, int64_t ic_end) {
  im2col_rows(s, in_g, p0, count, col, ic_begin, ic_end);
}

namespace {

/// Direct convolution of one (batch, group) into out_g (pre-filled with bias).
void conv_direct(const ConvShape& s, const float* in_g, const float* w_g, float* out_g) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t oc = 0; oc < s.out_cg; ++oc) {
    float* dst_plane = out_g + oc * out_plane;
    for (int64_t ic = 0; ic < s.in_cg; ++ic) {
      const float* src_plane = in_g + ic * in_plane;
      const float* w = w_g + (oc * s.in_cg + ic) * s.k_h * s.k_w;
      for (int64_t ki = 0; ki < s.k_h; ++ki) {
        for (int64_t kj = 0; kj < s.k_w; ++kj) {
          const float wv = w[ki * s.k_w + kj];
          const int64_t off_w = kj * s.dil_w - s.pad_w;
          int64_t lo, hi;
          valid_range(off_w, s.stride_w, s.in_w, s.out_w, &lo, &hi);
          for (int64_t oh = 0; oh < s.out_h; ++oh) {
            const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
            if (ih < 0 || ih >= s.in_h) continue;
            const float* src = src_plane + ih * s.in_w + off_w;
            float* dst = dst_plane + oh * s.out_w;
            if (s.stride_w == 1) {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += wv * src[ow];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += wv * src[ow * s.stride_w];
            }
          }
        }
      }
    }
  }
}

/// The im2col buffer: aim for ~512 KiB, at least 32 positions (`*chunk`);
/// halve on failure. nullptr when there is no room (or nothing to do).
template <typename T>
T* column_buffer(KernelContext& ctx, int64_t k, int64_t positions, int64_t* chunk) {
  if (positions <= 0 || k <= 0) return nullptr;
  T* col = nullptr;
  int64_t c = (int64_t{512} * 1024 / static_cast<int64_t>(sizeof(T))) / k;
  if (c < 32) c = 32;
  if (c > positions) c = positions;
  while (c >= 8 || c == positions) {
    col = static_cast<T*>(ctx.allocate_temp(static_cast<size_t>(c * k) * sizeof(T), 64));
    if (col != nullptr || c < 16) break;
    c /= 2;
  }
  *chunk = c;
  return col;
}

void conv_forward(KernelContext& ctx, const ConvShape& s, const float* in, const float* weight,
                  float* out) {
  const int64_t k = s.in_cg * s.k_h * s.k_w;
  const int64_t positions = s.out_h * s.out_w;
  const bool pointwise = s.k_h == 1 && s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                         s.pad_h == 0 && s.pad_w == 0;
  int64_t chunk = 0;
  float* col = pointwise ? nullptr : column_buffer<float>(ctx, k, positions, &chunk);
  for (int64_t b = 0; b < s.n; ++b) {
    for (int64_t g = 0; g < s.groups; ++g) {
      const float* in_g = in + (b * s.in_c + g * s.in_cg) * s.in_h * s.in_w;
      const float* w_g = weight + g * s.out_cg * k;
      float* out_g = out + (b * s.out_c + g * s.out_cg) * positions;
      const MatrixView w_view{w_g, k, 1};
      if (pointwise) {
        gemm_f32(s.out_cg, positions, k, 1.0f, w_view, MatrixView{in_g, s.in_h * s.in_w, 1}, 1.0f,
                 out_g, positions);
      } else if (col != nullptr) {
        for (int64_t p0 = 0; p0 < positions; p0 += chunk) {
          const int64_t count = positions - p0 < chunk ? positions - p0 : chunk;
          im2col_rows(s, in_g, p0, count, col, 0, s.in_cg);
          gemm_f32(s.out_cg, count, k, 1.0f, w_view, MatrixView{col, count, 1}, 1.0f, out_g + p0,
                   positions);
        }
      } else {
        conv_direct(s, in_g, w_g, out_g);
      }
    }
  }
}

/// Transposed convolution: weight is [in_c, out_c / groups, k_h, k_w].
void conv_transposed(const ConvShape& s, const float* in, const float* weight, float* out) {
  const int64_t in_plane = s.in_h * s.in_w;
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t b = 0; b < s.n; ++b) {
    for (int64_t g = 0; g < s.groups; ++g) {
      for (int64_t ic = 0; ic < s.in_cg; ++ic) {
        const int64_t in_ch = g * s.in_cg + ic;
        const float* src_plane = in + (b * s.in_c + in_ch) * in_plane;
        for (int64_t oc = 0; oc < s.out_cg; ++oc) {
          float* dst_plane = out + (b * s.out_c + g * s.out_cg + oc) * out_plane;
          const float* w = weight + (in_ch * s.out_cg + oc) * s.k_h * s.k_w;
          for (int64_t ki = 0; ki < s.k_h; ++ki) {
            for (int64_t kj = 0; kj < s.k_w; ++kj) {
              const float wv = w[ki * s.k_w + kj];
              const int64_t off_w = kj * s.dil_w - s.pad_w;
              int64_t lo, hi;  // input columns whose output column is in range
              valid_range(off_w, s.stride_w, s.out_w, s.in_w, &lo, &hi);
              for (int64_t ih = 0; ih < s.in_h; ++ih) {
                const int64_t oh = ih * s.stride_h - s.pad_h + ki * s.dil_h;
                if (oh < 0 || oh >= s.out_h) continue;
                const float* src = src_plane + ih * s.in_w;
                float* dst = dst_plane + oh * s.out_w + off_w;
                for (int64_t iw = lo; iw < hi; ++iw) dst[iw * s.stride_w] += wv * src[iw];
              }
            }
          }
        }
      }
    }
  }
}

/// Direct forward convolution of one (batch, group) in float16 or bfloat16:
/// each output (pre-filled with its bias) gathers its taps into one float.
template <typename T>
void conv_direct_half(const ConvShape& s, const T* in_g, const T* w_g, T* out_g) {
  const int64_t in_plane = s.in_h * s.in_w;
  for (int64_t oc = 0; oc < s.out_cg; ++oc) {
    const T* w_oc = w_g + oc * s.in_cg * s.k_h * s.k_w;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        float acc = 0.0f;
        for (int64_t ic = 0; ic < s.in_cg; ++ic) {
          for (int64_t ki = 0; ki < s.k_h; ++ki) {
            const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
            if (ih < 0 || ih >= s.in_h) continue;
            for (int64_t kj = 0; kj < s.k_w; ++kj) {
              const int64_t iw = ow * s.stride_w - s.pad_w + kj * s.dil_w;
              if (iw < 0 || iw >= s.in_w) continue;
              acc += static_cast<float>(in_g[ic * in_plane + ih * s.in_w + iw]) *
                     static_cast<float>(w_oc[(ic * s.k_h + ki) * s.k_w + kj]);
            }
          }
        }
        T* o = out_g + (oc * s.out_h + oh) * s.out_w + ow;
        *o = static_cast<T>(static_cast<float>(*o) + acc);
      }
    }
  }
}

/// Forward convolution in float16 or bfloat16 (out pre-filled with the bias):
/// the float32 steps with gemm_half, which rounds each output once.
template <typename T>
void conv_forward_half(KernelContext& ctx, const ConvCallOf<T>& c) {
  const ConvShape& s = c.s;
  const int64_t k = s.in_cg * s.k_h * s.k_w;
  const int64_t positions = s.out_h * s.out_w;
  const bool pointwise = s.k_h == 1 && s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                         s.pad_h == 0 && s.pad_w == 0;
  int64_t chunk = 0;
  T* col = pointwise ? nullptr : column_buffer<T>(ctx, k, positions, &chunk);
  for (int64_t b = 0; b < s.n; ++b) {
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* in_g = c.input + (b * s.in_c + g * s.in_cg) * s.in_h * s.in_w;
      const T* w_g = c.weight + g * s.out_cg * k;
      T* out_g = c.out + (b * s.out_c + g * s.out_cg) * positions;
      const MatrixViewOf<T> w_view{w_g, k, 1};
      if (pointwise) {
        gemm_half<T>(s.out_cg, positions, k, 1.0f, w_view,
                     MatrixViewOf<T>{in_g, s.in_h * s.in_w, 1}, 1.0f, out_g, positions);
      } else if (col != nullptr) {
        for (int64_t p0 = 0; p0 < positions; p0 += chunk) {
          const int64_t count = positions - p0 < chunk ? positions - p0 : chunk;
          im2col_rows(s, in_g, p0, count, col, 0, s.in_cg);
          gemm_half<T>(s.out_cg, count, k, 1.0f, w_view, MatrixViewOf<T>{col, count, 1}, 1.0f,
                       out_g + p0, positions);
        }
      } else {
        conv_direct_half(s, in_g, w_g, out_g);
      }
    }
  }
}

/// Transposed convolution in float16 or bfloat16 (out pre-filled with the
/// bias): each output gathers the input pixels and taps that reach it,
/// oh = ih * stride - pad + ki * dil, into one float.
template <typename T>
void conv_transposed_half(const ConvShape& s, const T* in, const T* weight, T* out) {
  const int64_t in_plane = s.in_h * s.in_w;
  for (int64_t b = 0; b < s.n; ++b) {
    for (int64_t oc_all = 0; oc_all < s.out_c; ++oc_all) {
      const int64_t g = oc_all / s.out_cg, oc = oc_all % s.out_cg;
      T* dst_plane = out + (b * s.out_c + oc_all) * s.out_h * s.out_w;
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          float acc = 0.0f;
          for (int64_t ic = 0; ic < s.in_cg; ++ic) {
            const int64_t in_ch = g * s.in_cg + ic;
            const T* src_plane = in + (b * s.in_c + in_ch) * in_plane;
            const T* w = weight + (in_ch * s.out_cg + oc) * s.k_h * s.k_w;
            for (int64_t ki = 0; ki < s.k_h; ++ki) {
              const int64_t th = oh + s.pad_h - ki * s.dil_h;
              if (th < 0 || th % s.stride_h != 0 || th / s.stride_h >= s.in_h) continue;
              const int64_t ih = th / s.stride_h;
              for (int64_t kj = 0; kj < s.k_w; ++kj) {
                const int64_t tw = ow + s.pad_w - kj * s.dil_w;
                if (tw < 0 || tw % s.stride_w != 0 || tw / s.stride_w >= s.in_w) continue;
                acc += static_cast<float>(src_plane[ih * s.in_w + tw / s.stride_w]) *
                       static_cast<float>(w[ki * s.k_w + kj]);
              }
            }
          }
          T* o = dst_plane + oh * s.out_w + ow;
          *o = static_cast<T>(static_cast<float>(*o) + acc);
        }
      }
    }
  }
}

/// A call checked by check_and_resize, before its element type is bound.
struct CheckedConv {
  ConvShape s{};
  bool transposed = false;
  const Tensor* input = nullptr;
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;  ///< nullptr: no bias
  Tensor* out = nullptr;
};

template <typename T>
ConvCallOf<T> typed_call(const CheckedConv& c) {
  ConvCallOf<T> call;
  call.s = c.s;
  call.transposed = c.transposed;
  call.input = c.input->data_as<const T>();
  call.weight = c.weight->data_as<const T>();
  call.bias = c.bias ? c.bias->data_as<const T>() : nullptr;
  call.out = c.out->data_as<T>();
  return call;
}

/// prepare_convolution's checks, failing the call (through ctx) on the first
/// problem. Float32 only, or with `half_too` also float16 and bfloat16 (every
/// tensor of the call in the input's dtype).
void check_and_resize(KernelContext& ctx, Span<EValue*> args, bool half_too, CheckedConv* call) {
  ArgReader r(ctx, args, kOp, 11);
  Tensor* input = r.tensor(0, "input");
  Tensor* weight = r.tensor(1, "weight");
  Tensor* bias = r.optional_tensor(2, "bias");
  Span<const int64_t> stride = r.int_list(3, "stride");
  Span<const int64_t> padding = r.int_list(4, "padding");
  Span<const int64_t> dilation = r.int_list(5, "dilation");
  const bool transposed = r.boolean(6, "transposed");
  Span<const int64_t> output_padding = r.int_list(7, "output_padding");
  const int64_t groups = r.integer(8, "groups");
  Tensor* out = r.tensor(9, "out");
  if (!r.ok()) return;

  const int rank = input->dim();
  EMBER_KERNEL_CHECK(ctx, (rank == 3 || rank == 4) && weight->dim() == rank, NotSupported, kOp,
                     "input %s and weight %s must both be 3-d (N, C, L) or 4-d (N, C, H, W)",
                     sizes_text(input->sizes()).text, sizes_text(weight->sizes()).text);
  const int spatial = rank - 2;
  const ScalarType dtype = half_too ? input->dtype() : ScalarType::Float;
  EMBER_KERNEL_CHECK(ctx,
                     dtype == ScalarType::Float || dtype == ScalarType::Half ||
                         dtype == ScalarType::BFloat16,
                     NotSupported, kOp, "input has dtype %s (float32, float16 or bfloat16)",
                     scalar_type_name(dtype));
  if (!check_dtype(ctx, kOp, "input", *input, dtype) ||
      !check_dtype(ctx, kOp, "weight", *weight, dtype) ||
      !check_dtype(ctx, kOp, "out", *out, dtype) ||
      (bias && !check_dtype(ctx, kOp, "bias", *bias, dtype))) {
    return;
  }
  if (!check_contiguous(ctx, kOp, "input", *input) ||
      !check_contiguous(ctx, kOp, "weight", *weight) ||
      !check_contiguous(ctx, kOp, "out", *out)) {
    return;
  }

  ConvShape s{};
  int64_t op_h = 0, op_w = 0;
  if (!spatial_param(r, stride, spatial, "stride", 1, &s.stride_h, &s.stride_w) ||
      !spatial_param(r, padding, spatial, "padding", 0, &s.pad_h, &s.pad_w) ||
      !spatial_param(r, dilation, spatial, "dilation", 1, &s.dil_h, &s.dil_w)) {
    return;
  }
  if (transposed &&
      !spatial_param(r, output_padding, spatial, "output_padding", 0, &op_h, &op_w)) {
    return;
  }
  EMBER_KERNEL_CHECK(ctx, s.stride_h > 0 && s.stride_w > 0 && s.dil_h > 0 && s.dil_w > 0 &&
                              s.pad_h >= 0 && s.pad_w >= 0 && op_h >= 0 && op_w >= 0,
                     InvalidArgument, kOp,
                     "stride and dilation must be positive, padding non-negative");
  EMBER_KERNEL_CHECK(ctx, groups > 0, InvalidArgument, kOp, "groups = %lld must be positive",
                     static_cast<long long>(groups));

  s.groups = groups;
  s.n = input->size(0);
  s.in_c = input->size(1);
  s.in_h = spatial == 2 ? input->size(2) : 1;
  s.in_w = input->size(rank - 1);
  s.k_h = spatial == 2 ? weight->size(2) : 1;
  s.k_w = weight->size(rank - 1);
  EMBER_KERNEL_CHECK(ctx, s.k_h > 0 && s.k_w > 0 && s.in_c % groups == 0, InvalidArgument, kOp,
                     "weight %s with groups=%lld does not fit input %s",
                     sizes_text(weight->sizes()).text, static_cast<long long>(groups),
                     sizes_text(input->sizes()).text);
  s.in_cg = s.in_c / groups;
  if (!transposed) {
    s.out_c = weight->size(0);
    s.out_cg = s.out_c / groups;
    EMBER_KERNEL_CHECK(ctx, s.out_c % groups == 0 && weight->size(1) == s.in_cg, InvalidArgument,
                       kOp, "weight %s with groups=%lld does not fit input %s",
                       sizes_text(weight->sizes()).text, static_cast<long long>(groups),
                       sizes_text(input->sizes()).text);
    s.out_h = (s.in_h + 2 * s.pad_h - s.dil_h * (s.k_h - 1) - 1) / s.stride_h + 1;
    s.out_w = (s.in_w + 2 * s.pad_w - s.dil_w * (s.k_w - 1) - 1) / s.stride_w + 1;
    EMBER_KERNEL_CHECK(ctx,
                       s.in_h + 2 * s.pad_h - s.dil_h * (s.k_h - 1) - 1 >= 0 &&
                           s.in_w + 2 * s.pad_w - s.dil_w * (s.k_w - 1) - 1 >= 0,
                       InvalidArgument, kOp, "kernel %s is larger than the padded input %s",
                       sizes_text(weight->sizes()).text, sizes_text(input->sizes()).text);
  } else {
    EMBER_KERNEL_CHECK(ctx, weight->size(0) == s.in_c, InvalidArgument, kOp,
                       "transposed weight %s does not fit input %s",
                       sizes_text(weight->sizes()).text, sizes_text(input->sizes()).text);
    EMBER_KERNEL_CHECK(ctx,
                       (op_h < s.stride_h || op_h < s.dil_h) && (op_w < s.stride_w || op_w < s.dil_w),
                       InvalidArgument, kOp,
                       "output_padding must be smaller than either stride or dilation");
    s.out_cg = weight->size(1);
    s.out_c = s.out_cg * groups;
    s.out_h = (s.in_h - 1) * s.stride_h - 2 * s.pad_h + s.dil_h * (s.k_h - 1) + op_h + 1;
    s.out_w = (s.in_w - 1) * s.stride_w - 2 * s.pad_w + s.dil_w * (s.k_w - 1) + op_w + 1;
    EMBER_KERNEL_CHECK(ctx, s.out_h > 0 && s.out_w > 0, InvalidArgument, kOp,
                       "padding leaves no output for input %s",
                       sizes_text(input->sizes()).text);
  }
  if (bias != nullptr) {
    EMBER_KERNEL_CHECK(ctx, bias->dim() == 1 && bias->size(0) == s.out_c, InvalidArgument, kOp,
                       "bias has sizes %s, expected [%lld]",
                       sizes_text(bias->sizes()).text, static_cast<long long>(s.out_c));
  }
  int64_t out_sizes[4] = {s.n, s.out_c, s.out_h, s.out_w};
  if (spatial == 1) out_sizes[2] = s.out_w;
  if (!resize_out(ctx, kOp, "out", *out, out_sizes, rank)) return;
  call->s = s;
  call->transposed = transposed;
  call->input = input;
  call->weight = weight;
  call->bias = bias;
  call->out = out;
}

}  // namespace

void transpose_floats(const float* src, int64_t n, int64_t rows, int64_t cols, float* dst) {
  for (int64_t b = 0; b < n; ++b) {
    const float* from = src + b * rows * cols;
    float* to = dst + b * rows * cols;
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) to[j * rows + i] = from[i * cols + j];
    }
  }
}

void valid_range(int64_t offset, int64_t stride, int64_t extent, int64_t limit, int64_t* lo,
                 int64_t* hi) {
  int64_t l = offset >= 0 ? 0 : ceil_div(-offset, stride);
  int64_t h = extent - offset <= 0 ? 0 : ceil_div(extent - offset, stride);
  if (h > limit) h = limit;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

bool prepare_convolution(KernelContext& ctx, Span<EValue*> args, ConvCall* call) {
  CheckedConv checked;
  check_and_resize(ctx, args, false, &checked);
  if (ctx.error() != Error::Ok) return false;
  *call = typed_call<float>(checked);
  return true;
}

void run_convolution(KernelContext& ctx, const ConvCall& c) {
  fill_bias(c.s, c.bias, c.out);
  if (c.transposed) {
    conv_transposed(c.s, c.input, c.weight, c.out);
  } else {
    conv_forward(ctx, c.s, c.input, c.weight, c.out);
  }
}

void convolution_out(KernelContext& ctx, Span<EValue*> args) {
  CheckedConv checked;
  check_and_resize(ctx, args, true, &checked);
  if (ctx.error() != Error::Ok) return;
  const ScalarType dtype = checked.input->dtype();
  if (dtype == ScalarType::Float) {
    run_convolution(ctx, typed_call<float>(checked));
    return;
  }
  EMBER_SWITCH_FLOAT_HALF(dtype, return, {
    if constexpr (!std::is_same<CTYPE, float>::value) {
      const ConvCallOf<CTYPE> call = typed_call<CTYPE>(checked);
      fill_bias(call.s, call.bias, call.out);
      if (call.transposed) {
        conv_transposed_half(call.s, call.input, call.weight, call.out);
      } else {
        conv_forward_half(ctx, call);
      }
    }
  });
}

bool read_convolution_clamp(KernelContext& ctx, Span<EValue*> args, ConvClampArgs* a) {
  const char* op = "ember::convolution_clamp.out";
  ArgReader r(ctx, args, op, 13);
  if (!r.ok()) return false;
  bool given = false;
  double lo = 0.0, hi = 0.0;
  if (!read_bounds(r, args, 9, &lo, &hi, &given)) return false;
  if (!given) {
    r.fail(Error::InvalidArgument, "neither min nor max is given");
    return false;
  }
  for (int i = 0; i < 9; ++i) a->conv[i] = args[i];
  a->conv[9] = args[11];
  a->conv[10] = args[12];
  a->lo = static_cast<float>(lo);
  a->hi = static_cast<float>(hi);
  return true;
}

void convolution_clamp_out(KernelContext& ctx, Span<EValue*> args) {
  ConvClampArgs a;
  if (!read_convolution_clamp(ctx, args, &a)) return;
  convolution_out(ctx, Span<EValue*>(a.conv, 11));
  if (ctx.error() != Error::Ok) return;
  Tensor& out = a.conv[9]->to_tensor();
  // The bounds in out's type (exact for relu's 0 and relu6's 6), then the
  // clamp in float: NaN stays NaN.
  EMBER_SWITCH_FLOAT_HALF(out.dtype(), return, {
    const float lo = static_cast<float>(static_cast<CTYPE>(a.lo));
    const float hi = static_cast<float>(static_cast<CTYPE>(a.hi));
    CTYPE* y = out.data_as<CTYPE>();
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) {
      float v = static_cast<float>(y[i]);
      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      y[i] = static_cast<CTYPE>(v);
    }
  });
}

bool prepare_convolution_nhwc(KernelContext& ctx, Span<EValue*> args, ConvNhwcCall* call) {
  const char* op = "ember::convolution_nhwc.out";
  ArgReader r(ctx, args, op, 12);
  Tensor* input = r.tensor(0, "input");
  Tensor* weight = r.tensor(1, "weight");
  Tensor* bias = r.optional_tensor(2, "bias");
  Span<const int64_t> stride = r.int_list(3, "stride");
  Span<const int64_t> padding = r.int_list(4, "padding");
  Span<const int64_t> dilation = r.int_list(5, "dilation");
  const int64_t groups = r.integer(6, "groups");
  Span<const char> activation;
  const bool has_activation = r.optional_string(9, "activation", &activation);
  Tensor* out = r.tensor(10, "out");
  if (!r.ok()) return false;
  bool bounded = false;
  double lo = 0.0, hi = 0.0;
  if (!read_bounds(r, args, 7, &lo, &hi, &bounded)) return false;
  call->activation = ConvActivation::none;
  if (has_activation && string_equals(activation, "silu")) {
    call->activation = ConvActivation::silu;
  } else if (has_activation && string_equals(activation, "hardswish")) {
    call->activation = ConvActivation::hardswish;
  } else if (has_activation && !string_equals(activation, "none")) {
    r.fail(Error::InvalidArgument, "activation \"%.*s\" is not none, silu or hardswish",
           static_cast<int>(activation.size()), activation.data());
    return false;
  }
  if (call->activation != ConvActivation::none && bounded) {
    r.fail(Error::InvalidArgument, "takes bounds or an activation, not both");
    return false;
  }
  if (input->dim() != 4 || weight->dim() != 4) {
    r.fail(Error::NotSupported,
           "input %s and weight %s must both be 4-d ([N, H, W, C] and [OC, C / groups, KH, KW])",
           sizes_text(input->sizes()).text, sizes_text(weight->sizes()).text);
    return false;
  }
  if (!check_dtype(ctx, op, "input", *input, ScalarType::Float) ||
      !check_dtype(ctx, op, "weight", *weight, ScalarType::Float) ||
      !check_dtype(ctx, op, "out", *out, ScalarType::Float) ||
      (bias && !check_dtype(ctx, op, "bias", *bias, ScalarType::Float)) ||
      !check_contiguous(ctx, op, "input", *input) ||
      !check_contiguous(ctx, op, "weight", *weight) || !check_contiguous(ctx, op, "out", *out) ||
      (bias && !check_contiguous(ctx, op, "bias", *bias))) {
    return false;
  }
  ConvShape s{};
  if (!spatial_param(r, stride, 2, "stride", 1, &s.stride_h, &s.stride_w) ||
      !spatial_param(r, padding, 2, "padding", 0, &s.pad_h, &s.pad_w) ||
      !spatial_param(r, dilation, 2, "dilation", 1, &s.dil_h, &s.dil_w)) {
    return false;
  }
  if (s.stride_h <= 0 || s.stride_w <= 0 || s.dil_h <= 0 || s.dil_w <= 0 || s.pad_h < 0 ||
      s.pad_w < 0 || groups <= 0) {
    r.fail(Error::InvalidArgument,
           "stride, dilation and groups must be positive, padding non-negative");
    return false;
  }
  s.groups = groups;
  s.n = input->size(0);
  s.in_h = input->size(1);
  s.in_w = input->size(2);
  s.in_c = input->size(3);
  s.out_c = weight->size(0);
  s.k_h = weight->size(2);
  s.k_w = weight->size(3);
  if (s.k_h <= 0 || s.k_w <= 0 || s.in_c % groups != 0 || s.out_c % groups != 0 ||
      weight->size(1) * groups != s.in_c) {
    r.fail(Error::InvalidArgument, "weight %s with groups=%lld does not fit input %s",
           sizes_text(weight->sizes()).text, static_cast<long long>(groups),
           sizes_text(input->sizes()).text);
    return false;
  }
  s.in_cg = s.in_c / groups;
  s.out_cg = s.out_c / groups;
  const int64_t span_h = s.dil_h * (s.k_h - 1) + 1, span_w = s.dil_w * (s.k_w - 1) + 1;
  if (s.in_h + 2 * s.pad_h < span_h || s.in_w + 2 * s.pad_w < span_w) {
    r.fail(Error::InvalidArgument, "kernel %s is larger than the padded input %s",
           sizes_text(weight->sizes()).text, sizes_text(input->sizes()).text);
    return false;
  }
  s.out_h = (s.in_h + 2 * s.pad_h - span_h) / s.stride_h + 1;
  s.out_w = (s.in_w + 2 * s.pad_w - span_w) / s.stride_w + 1;
  if (bias != nullptr && (bias->dim() != 1 || bias->size(0) != s.out_c)) {
    r.fail(Error::InvalidArgument, "bias has sizes %s, expected [%lld]",
           sizes_text(bias->sizes()).text, static_cast<long long>(s.out_c));
    return false;
  }
  const int64_t sizes[4] = {s.n, s.out_h, s.out_w, s.out_c};
  if (!resize_out(ctx, op, "out", *out, sizes, 4)) return false;
  call->s = s;
  call->input = input->data_as<const float>();
  call->weight = weight->data_as<const float>();
  call->bias = bias ? bias->data_as<const float>() : nullptr;
  call->out = out->data_as<float>();
  call->lo = static_cast<float>(lo);
  call->hi = static_cast<float>(hi);
  return true;
}

/// The reference channels-last convolution: aten::convolution.out's
/// portable computation on the input transposed to NCHW, its result
/// transposed back; without temp memory for the two, each output value is its
/// bias plus the sum, in float, of its taps inside the image (input channel,
/// then kernel row, then column, as aten's direct loop). Then clamped or
/// activated.
void convolution_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  ConvNhwcCall c;
  if (!prepare_convolution_nhwc(ctx, args, &c)) return;
  const ConvShape& s = c.s;
  const int64_t in_count = s.n * s.in_h * s.in_w * s.in_c;
  const int64_t out_count = s.n * s.out_h * s.out_w * s.out_c;
  float* x = static_cast<float*>(ctx.allocate_temp(static_cast<size_t>(in_count) * 4, 64));
  float* y = x ? static_cast<float*>(ctx.allocate_temp(static_cast<size_t>(out_count) * 4, 64))
               : nullptr;
  if (y != nullptr) {
    // The NCHW convolution (im2col and GEMM, with what temp memory is left)
    // of the transposed input, transposed back.
    transpose_floats(c.input, s.n, s.in_h * s.in_w, s.in_c, x);
    ConvCall call;
    call.s = s;
    call.input = x;
    call.weight = c.weight;
    call.bias = c.bias;
    call.out = y;
    run_convolution(ctx, call);
    if (ctx.error() != Error::Ok) return;
    transpose_floats(y, s.n, s.out_c, s.out_h * s.out_w, c.out);
    const bool clamped = c.lo != -HUGE_VALF || c.hi != HUGE_VALF;
    if (c.activation != ConvActivation::none || clamped) {
      for (int64_t i = 0; i < out_count; ++i) c.out[i] = finish(c, c.out[i]);
    }
    return;
  }
  ctx.reset_temp();
  // No temp memory for the transposes: a direct loop.
  for (int64_t b = 0; b < s.n; ++b) {
    const float* image = c.input + b * s.in_h * s.in_w * s.in_c;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        float* o = c.out + ((b * s.out_h + oh) * s.out_w + ow) * s.out_c;
        for (int64_t oc = 0; oc < s.out_c; ++oc) {
          const int64_t g = oc / s.out_cg;
          const float* w = c.weight + oc * s.in_cg * s.k_h * s.k_w;
          float acc = c.bias != nullptr ? c.bias[oc] : 0.0f;
          for (int64_t ic = 0; ic < s.in_cg; ++ic) {
            for (int64_t kh = 0; kh < s.k_h; ++kh) {
              const int64_t ih = oh * s.stride_h - s.pad_h + kh * s.dil_h;
              if (ih < 0 || ih >= s.in_h) continue;
              for (int64_t kw = 0; kw < s.k_w; ++kw) {
                const int64_t iw = ow * s.stride_w - s.pad_w + kw * s.dil_w;
                if (iw < 0 || iw >= s.in_w) continue;
                acc += image[(ih * s.in_w + iw) * s.in_c + g * s.in_cg + ic] *
                       w[(ic * s.k_h + kh) * s.k_w + kw];
              }
            }
          }
          o[oc] = finish(c, acc);
        }
      }
    }
  }
}

}  // namespace portable
}  // namespace ember
