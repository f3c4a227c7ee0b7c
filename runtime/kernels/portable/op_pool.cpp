// 2-d pooling over float32, float16 and bfloat16 (N, C, H, W) or (C, H, W)
// inputs in the contiguous dim order: max_pool2d_with_indices, avg_pool2d
// and _adaptive_avg_pool2d, with torch's output-size and window rules.
// Averages of 16-bit inputs are summed in float32 and rounded once.
// ember::quantized_max_pool2d_nhwc: the max pool of a channels-last int8 or
// uint8 tensor, in its integers.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/pool.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// torch's pooling_output_shape.
int64_t pooled_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil) {
  int64_t out = floor_div(in + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0), stride) + 1;
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

/// A 2-element int list (1 element broadcasts; `allow_empty` lists give
/// `fallback`, as stride=[] means stride = kernel_size).
bool pair_param(ArgReader& r, Span<const int64_t> list, const char* name, bool allow_empty,
                const int64_t* fallback, int64_t* h, int64_t* w) {
  if (list.empty() && allow_empty) {
    *h = fallback[0];
    *w = fallback[1];
    return true;
  }
  if (list.size() != 1 && list.size() != 2) {
    r.fail(Error::InvalidArgument, "%s has %zu values, expected 1 or 2", name, list.size());
    return false;
  }
  *h = list[0];
  *w = list[list.size() - 1];
  // Values come from the program: keep the window arithmetic far from overflow.
  if (*h < -INT32_MAX || *h > INT32_MAX || *w < -INT32_MAX || *w > INT32_MAX) {
    r.fail(Error::InvalidArgument, "%s %s is out of range", name,
           sizes_text(list.data(), static_cast<int>(list.size())).text);
    return false;
  }
  return true;
}

/// float32, float16 or bfloat16 (out has self's dtype).
bool check_pool_dtype(ArgReader& r, const Tensor& self) {
  const ScalarType d = self.dtype();
  if (d == ScalarType::Float || d == ScalarType::Half || d == ScalarType::BFloat16) return true;
  r.fail(Error::NotSupported, "self has dtype %s, expected float32, float16 or bfloat16",
         scalar_type_name(d));
  return false;
}

/// Reads self, kernel_size, stride, padding (and dilation if given) and
/// fills the shape; checks dtype, rank, order and window validity.
bool read_window(ArgReader& r, const Tensor& self, Span<const int64_t> kernel,
                 Span<const int64_t> stride, Span<const int64_t> padding,
                 const Span<const int64_t>* dilation, bool ceil_mode, PoolShape* s,
                 bool channels_last = false) {
  KernelContext& ctx = r.ctx();
  const char* op = r.op();
  if (channels_last && self.dim() != 4) {
    r.fail(Error::InvalidArgument, "self has sizes %s, expected (N, H, W, C)",
           sizes_text(self.sizes()).text);
    return false;
  }
  if (!channels_last && !check_pool_dtype(r, self)) return false;
  if (self.dim() != 3 && self.dim() != 4) {
    r.fail(Error::InvalidArgument, "self has sizes %s, expected (N, C, H, W) or (C, H, W)",
           sizes_text(self.sizes()).text);
    return false;
  }
  if (!check_contiguous(ctx, op, "self", self)) return false;
  const int64_t ones[2] = {1, 1};
  const int64_t zeros[2] = {0, 0};
  int64_t ks[2];
  if (!pair_param(r, kernel, "kernel_size", false, ones, &ks[0], &ks[1])) return false;
  if (!pair_param(r, stride, "stride", true, ks, &s->s_h, &s->s_w) ||
      !pair_param(r, padding, "padding", false, zeros, &s->p_h, &s->p_w)) {
    return false;
  }
  s->k_h = ks[0];
  s->k_w = ks[1];
  s->d_h = s->d_w = 1;
  if (dilation && !pair_param(r, *dilation, "dilation", false, ones, &s->d_h, &s->d_w)) {
    return false;
  }
  if (s->k_h <= 0 || s->k_w <= 0 || s->s_h <= 0 || s->s_w <= 0 || s->d_h <= 0 || s->d_w <= 0 ||
      s->p_h < 0 || s->p_w < 0) {
    r.fail(Error::InvalidArgument, "kernel_size, stride and dilation must be positive");
    return false;
  }
  if (s->p_h > s->k_h / 2 || s->p_w > s->k_w / 2) {
    r.fail(Error::InvalidArgument, "padding must be at most half of the kernel size");
    return false;
  }
  const int rank = self.dim();
  const int h_dim = channels_last ? 1 : rank - 2;
  s->in_h = self.size(h_dim);
  s->in_w = self.size(h_dim + 1);
  s->planes = channels_last ? self.size(0)
                            : rank == 4 ? int64_t{self.size(0)} * self.size(1) : self.size(0);
  s->channels = channels_last ? self.size(3) : 1;
  s->out_h = pooled_size(s->in_h, s->k_h, s->p_h, s->s_h, s->d_h, ceil_mode);
  s->out_w = pooled_size(s->in_w, s->k_w, s->p_w, s->s_w, s->d_w, ceil_mode);
  if (s->out_h <= 0 || s->out_w <= 0) {
    r.fail(Error::InvalidArgument, "input %s is too small for the window (output %lldx%lld)",
           sizes_text(self.sizes()).text, static_cast<long long>(s->out_h),
           static_cast<long long>(s->out_w));
    return false;
  }
  return true;
}

/// Output sizes: self's leading dims with the pooled H, W.
bool resize_pooled(ArgReader& r, const Tensor& self, Tensor& out, const char* name, int64_t h,
                   int64_t w) {
  int64_t sizes[4];
  tensor_sizes(self, sizes);
  const int rank = self.dim();
  sizes[rank - 2] = h;
  sizes[rank - 1] = w;
  return check_contiguous(r.ctx(), r.op(), name, out) &&
         resize_out(r.ctx(), r.op(), name, out, sizes, rank);
}

/// max_pool2d_with_indices over planes of T (compared as float, exact).
template <typename T>
void max_pool(const PoolShape& s, const T* in, T* dst, int64_t* idx) {
  for (int64_t p = 0; p < s.planes; ++p) {
    const T* plane = in + p * s.in_h * s.in_w;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      int64_t h0 = oh * s.s_h - s.p_h;
      const int64_t h1 = h0 + (s.k_h - 1) * s.d_h + 1 < s.in_h ? h0 + (s.k_h - 1) * s.d_h + 1
                                                                 : s.in_h;
      while (h0 < 0) h0 += s.d_h;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        int64_t w0 = ow * s.s_w - s.p_w;
        const int64_t w1 = w0 + (s.k_w - 1) * s.d_w + 1 < s.in_w ? w0 + (s.k_w - 1) * s.d_w + 1
                                                                   : s.in_w;
        while (w0 < 0) w0 += s.d_w;
        // As torch: the first valid tap is the default; NaN wins.
        int64_t best = h0 * s.in_w + w0;
        float best_val = -INFINITY;
        for (int64_t ih = h0; ih < h1; ih += s.d_h) {
          for (int64_t iw = w0; iw < w1; iw += s.d_w) {
            const float v = static_cast<float>(plane[ih * s.in_w + iw]);
            if (v > best_val || std::isnan(v)) {
              best_val = v;
              best = ih * s.in_w + iw;
            }
          }
        }
        const int64_t o = (p * s.out_h + oh) * s.out_w + ow;
        dst[o] = static_cast<T>(best_val);  // exact: a value of T
        idx[o] = best;
      }
    }
  }
}

/// avg_pool2d over planes of T, summed in float (`divisor` 0: none given).
template <typename T>
void avg_pool(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* in, T* dst) {
  for (int64_t p = 0; p < s.planes; ++p) {
    const T* plane = in + p * s.in_h * s.in_w;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        // 1. The window clipped to the padded input gives pool_size;
        // 2. clipped to the input it gives the taps summed.
        int64_t h0 = oh * s.s_h - s.p_h, w0 = ow * s.s_w - s.p_w;
        int64_t h1 = h0 + s.k_h < s.in_h + s.p_h ? h0 + s.k_h : s.in_h + s.p_h;
        int64_t w1 = w0 + s.k_w < s.in_w + s.p_w ? w0 + s.k_w : s.in_w + s.p_w;
        const int64_t pool_size = (h1 - h0) * (w1 - w0);
        h0 = h0 < 0 ? 0 : h0;
        w0 = w0 < 0 ? 0 : w0;
        h1 = h1 > s.in_h ? s.in_h : h1;
        w1 = w1 > s.in_w ? s.in_w : w1;
        const int64_t o = (p * s.out_h + oh) * s.out_w + ow;
        if (h0 >= h1 || w0 >= w1) {
          dst[o] = T{};
          continue;
        }
        float sum = 0.0f;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) sum += static_cast<float>(plane[ih * s.in_w + iw]);
        }
        const int64_t div = divisor != 0        ? divisor
                            : count_include_pad ? pool_size
                                                : (h1 - h0) * (w1 - w0);
        dst[o] = static_cast<T>(sum / static_cast<float>(div));
      }
    }
  }
}

/// _adaptive_avg_pool2d over planes of T, summed in float.
template <typename T>
void adaptive_avg_pool(int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w,
                       const T* in, T* dst) {
  for (int64_t p = 0; p < planes; ++p) {
    const T* plane = in + p * in_h * in_w;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      const int64_t h0 = oh * in_h / out_h;
      const int64_t h1 = ((oh + 1) * in_h + out_h - 1) / out_h;
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const int64_t w0 = ow * in_w / out_w;
        const int64_t w1 = ((ow + 1) * in_w + out_w - 1) / out_w;
        float sum = 0.0f;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) sum += static_cast<float>(plane[ih * in_w + iw]);
        }
        dst[(p * out_h + oh) * out_w + ow] =
            static_cast<T>(sum / static_cast<float>((h1 - h0) * (w1 - w0)));
      }
    }
  }
}

/// The channels-last max pool of T: each pixel's C values at once, padding
/// left out of every window (it never wins); a float NaN wins, as in torch.
template <typename T>
void max_pool_nhwc(const PoolShape& s, const T* in, T* dst) {
  const int64_t c = s.channels;
  for (int64_t n = 0; n < s.planes; ++n) {
    const T* image = in + n * s.in_h * s.in_w * c;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      int64_t h0 = oh * s.s_h - s.p_h;
      const int64_t h1 = std::min(h0 + (s.k_h - 1) * s.d_h + 1, s.in_h);
      while (h0 < 0) h0 += s.d_h;
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        int64_t w0 = ow * s.s_w - s.p_w;
        const int64_t w1 = std::min(w0 + (s.k_w - 1) * s.d_w + 1, s.in_w);
        while (w0 < 0) w0 += s.d_w;
        T* o = dst + ((n * s.out_h + oh) * s.out_w + ow) * c;
        constexpr T lowest = std::numeric_limits<T>::has_infinity
                                 ? -std::numeric_limits<T>::infinity()
                                 : std::numeric_limits<T>::lowest();
        for (int64_t ch = 0; ch < c; ++ch) o[ch] = lowest;
        for (int64_t ih = h0; ih < h1; ih += s.d_h) {
          for (int64_t iw = w0; iw < w1; iw += s.d_w) {
            const T* px = image + (ih * s.in_w + iw) * c;
            for (int64_t ch = 0; ch < c; ++ch) {
              if constexpr (std::is_floating_point_v<T>) {
                if (!(px[ch] <= o[ch]) && o[ch] == o[ch]) o[ch] = px[ch];  // NaN wins
              } else {
                o[ch] = px[ch] > o[ch] ? px[ch] : o[ch];
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

bool prepare_max_pool2d_with_indices(KernelContext& ctx, Span<EValue*> args, MaxPoolCall* call,
                                     bool half_too) {
  ArgReader r(ctx, args, "aten::max_pool2d_with_indices.out", 9);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> kernel = r.int_list(1, "kernel_size");
  Span<const int64_t> stride = r.int_list(2, "stride");
  Span<const int64_t> padding = r.int_list(3, "padding");
  Span<const int64_t> dilation = r.int_list(4, "dilation");
  const bool ceil_mode = r.boolean(5, "ceil_mode");
  Tensor* out = r.tensor(6, "out");
  Tensor* indices = r.tensor(7, "indices");
  if (!r.ok()) return false;
  if (!half_too && !check_dtype(ctx, r.op(), "self", *self, ScalarType::Float)) return false;
  PoolShape& s = call->s;
  if (!read_window(r, *self, kernel, stride, padding, &dilation, ceil_mode, &s)) return false;
  if (!check_dtype(ctx, r.op(), "out", *out, self->dtype()) ||
      !check_dtype(ctx, r.op(), "indices", *indices, ScalarType::Long) ||
      !resize_pooled(r, *self, *out, "out", s.out_h, s.out_w) ||
      !resize_pooled(r, *self, *indices, "indices", s.out_h, s.out_w)) {
    return false;
  }
  call->dtype = self->dtype();
  call->input = self->data();
  call->out = out->mutable_data();
  call->indices = indices->data_as<int64_t>();
  return true;
}

void max_pool2d_with_indices_out(KernelContext& ctx, Span<EValue*> args) {
  MaxPoolCall call;
  if (!prepare_max_pool2d_with_indices(ctx, args, &call, /*half_too=*/true)) return;
  EMBER_SWITCH_FLOAT_HALF(call.dtype, return,
                          max_pool(call.s, static_cast<const CTYPE*>(call.input),
                                   static_cast<CTYPE*>(call.out), call.indices));
}

void avg_pool2d_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::avg_pool2d.out", 9);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> kernel = r.int_list(1, "kernel_size");
  Span<const int64_t> stride = r.int_list(2, "stride");
  Span<const int64_t> padding = r.int_list(3, "padding");
  const bool ceil_mode = r.boolean(4, "ceil_mode");
  const bool count_include_pad = r.boolean(5, "count_include_pad");
  int64_t divisor = 0;
  const bool has_divisor = r.optional_integer(6, "divisor_override", &divisor);
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, !has_divisor || divisor != 0, InvalidArgument, r.op(),
                     "divisor_override must be non-zero");
  PoolShape s;
  if (!read_window(r, *self, kernel, stride, padding, nullptr, ceil_mode, &s)) return;
  if (!check_dtype(ctx, r.op(), "out", *out, self->dtype()) ||
      !resize_pooled(r, *self, *out, "out", s.out_h, s.out_w)) {
    return;
  }
  const int64_t div = has_divisor ? divisor : 0;
  EMBER_SWITCH_FLOAT_HALF(self->dtype(), return,
                          avg_pool(s, count_include_pad, div, self->data_as<const CTYPE>(),
                                   out->data_as<CTYPE>()));
}

void adaptive_avg_pool2d_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::_adaptive_avg_pool2d.out", 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> output_size = r.int_list(1, "output_size");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!check_pool_dtype(r, *self) || !check_dtype(ctx, op, "out", *out, self->dtype()) ||
      !check_contiguous(ctx, op, "self", *self)) {
    return;
  }
  EMBER_KERNEL_CHECK(ctx, self->dim() == 3 || self->dim() == 4, InvalidArgument, op,
                     "self has sizes %s, expected (N, C, H, W) or (C, H, W)",
                     sizes_text(self->sizes()).text);
  EMBER_KERNEL_CHECK(ctx, output_size.size() == 2 && output_size[0] >= 0 && output_size[1] >= 0,
                     InvalidArgument, op, "output_size must be two non-negative values");
  const int rank = self->dim();
  const int64_t in_h = self->size(rank - 2), in_w = self->size(rank - 1);
  const int64_t out_h = output_size[0], out_w = output_size[1];
  EMBER_KERNEL_CHECK(ctx, (in_h > 0 && in_w > 0) || out_h * out_w == 0, InvalidArgument, op,
                     "self %s has an empty spatial dim", sizes_text(self->sizes()).text);
  if (!resize_pooled(r, *self, *out, "out", out_h, out_w)) return;
  const int64_t planes = rank == 4 ? int64_t{self->size(0)} * self->size(1) : self->size(0);
  EMBER_SWITCH_FLOAT_HALF(self->dtype(), return,
                          adaptive_avg_pool(planes, in_h, in_w, out_h, out_w,
                                            self->data_as<const CTYPE>(), out->data_as<CTYPE>()));
}

bool prepare_max_pool2d_nhwc(KernelContext& ctx, Span<EValue*> args, bool quantized,
                             MaxPoolNhwcCall* call) {
  ArgReader r(ctx, args,
              quantized ? "ember::quantized_max_pool2d_nhwc.out" : "ember::max_pool2d_nhwc.out", 8);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> kernel = r.int_list(1, "kernel_size");
  Span<const int64_t> stride = r.int_list(2, "stride");
  Span<const int64_t> padding = r.int_list(3, "padding");
  Span<const int64_t> dilation = r.int_list(4, "dilation");
  const bool ceil_mode = r.boolean(5, "ceil_mode");
  Tensor* out = r.tensor(6, "out");
  if (!r.ok()) return false;
  const ScalarType d = self->dtype();
  if (quantized && d != ScalarType::Char && d != ScalarType::Byte) {
    r.fail(Error::NotSupported, "self has dtype %s, expected int8 or uint8", scalar_type_name(d));
    return false;
  }
  if (!quantized && d != ScalarType::Float) {
    r.fail(Error::NotSupported, "self has dtype %s, expected float32", scalar_type_name(d));
    return false;
  }
  PoolShape& s = call->s;
  if (!read_window(r, *self, kernel, stride, padding, &dilation, ceil_mode, &s,
                   /*channels_last=*/true) ||
      !check_dtype(ctx, r.op(), "out", *out, d) || !check_contiguous(ctx, r.op(), "out", *out)) {
    return false;
  }
  const int64_t sizes[4] = {s.planes, s.out_h, s.out_w, s.channels};
  if (!resize_out(ctx, r.op(), "out", *out, sizes, 4)) return false;
  call->dtype = d;
  call->input = self->data();
  call->out = out->mutable_data();
  return true;
}

void quantized_max_pool2d_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  MaxPoolNhwcCall call;
  if (!prepare_max_pool2d_nhwc(ctx, args, /*quantized=*/true, &call)) return;
  if (call.dtype == ScalarType::Char) {
    max_pool_nhwc(call.s, static_cast<const int8_t*>(call.input), static_cast<int8_t*>(call.out));
  } else {
    max_pool_nhwc(call.s, static_cast<const uint8_t*>(call.input), static_cast<uint8_t*>(call.out));
  }
}

void max_pool2d_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  MaxPoolNhwcCall call;
  if (!prepare_max_pool2d_nhwc(ctx, args, /*quantized=*/false, &call)) return;
  max_pool_nhwc(call.s, static_cast<const float*>(call.input), static_cast<float*>(call.out));
}

}  // namespace portable
}  // namespace ember
