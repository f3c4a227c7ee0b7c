// 2-d resampling of [N, C, H, W] tensors: upsample_nearest2d and
// upsample_bilinear2d (the .vec overloads, sized by output_size or by
// scale_factors). Both walk strides, so NCHW, channels-last and any other
// dim order work; float32, float16 and bfloat16, computed in float.
//
// The index math is torch's CPU kernels' (aten/src/ATen/native/UpSample.h),
// float for float: a given scale factor s maps an output index to the input
// through float(1 / s), not through in / out, which is why two graphs with
// the same sizes but different scale factors can differ.
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// The geometry of one call: sizes, strides and per-axis scales.
struct Resample {
  int64_t n = 0, c = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t in_st[4] = {}, out_st[4] = {};
  bool has_scale = false;
  double scale_h = 0, scale_w = 0;  ///< the given scale factors (if has_scale)
};

/// Read an optional float[] argument: false for None.
bool optional_doubles(ArgReader& r, Span<EValue*> args, size_t i, const char* name,
                      Span<const double>* list) {
  if (!r.ok()) return false;
  const EValue* v = args[i];
  if (v == nullptr) {
    r.fail(Error::InvalidArgument, "argument %zu (%s) is missing", i, name);
    return false;
  }
  if (v->is_none()) return false;
  if (v->tag != Tag::DoubleList) {
    r.fail(Error::InvalidArgument, "argument %zu (%s) should be a DoubleList", i, name);
    return false;
  }
  *list = Span<const double>(v->payload.as_double_list.items, v->payload.as_double_list.size);
  return true;
}

/// Check the input and the size arguments, compute the output size and
/// resize out. False (logged, failed) on a bad call.
bool prepare(ArgReader& r, Span<EValue*> args, const Tensor& in, size_t size_arg,
             size_t scales_arg, Tensor& out, Resample* g) {
  Span<const int64_t> output_size;
  Span<const double> scales;
  const bool has_size = r.optional_int_list(size_arg, "output_size", &output_size);
  g->has_scale = optional_doubles(r, args, scales_arg, "scale_factors", &scales);
  if (!r.ok()) return false;
  KernelContext& ctx = r.ctx();
  const char* op = r.op();
  if (in.dtype() != ScalarType::Float && in.dtype() != ScalarType::Half &&
      in.dtype() != ScalarType::BFloat16) {
    r.fail(Error::NotSupported, "input has dtype %s; float32, float16 and bfloat16 are supported",
           scalar_type_name(in.dtype()));
    return false;
  }
  if (in.dim() != 4) {
    r.fail(Error::InvalidArgument, "input must be 4-d [N, C, H, W], got %s",
           sizes_text(in.sizes()).text);
    return false;
  }
  if (!check_dtype(ctx, op, "out", out, in.dtype())) return false;
  if (has_size == g->has_scale) {
    r.fail(Error::InvalidArgument, "exactly one of output_size and scale_factors must be given");
    return false;
  }
  g->n = in.size(0);
  g->c = in.size(1);
  g->in_h = in.size(2);
  g->in_w = in.size(3);
  if (has_size) {
    if (output_size.size() != 2) {
      r.fail(Error::InvalidArgument, "output_size must have 2 entries, got %zu",
             output_size.size());
      return false;
    }
    g->out_h = output_size[0];
    g->out_w = output_size[1];
  } else {
    if (scales.size() != 2) {
      r.fail(Error::InvalidArgument, "scale_factors must have 2 entries, got %zu", scales.size());
      return false;
    }
    g->scale_h = scales[0];
    g->scale_w = scales[1];
    // torch: floor(in * scale); checked before the cast (NaN, huge).
    const double oh = std::floor(static_cast<double>(g->in_h) * g->scale_h);
    const double ow = std::floor(static_cast<double>(g->in_w) * g->scale_w);
    if (!(oh >= 1 && oh <= INT32_MAX && ow >= 1 && ow <= INT32_MAX)) {
      r.fail(Error::InvalidArgument, "scale_factors [%g, %g] give no valid output size for %s",
             g->scale_h, g->scale_w, sizes_text(in.sizes()).text);
      return false;
    }
    g->out_h = static_cast<int64_t>(oh);
    g->out_w = static_cast<int64_t>(ow);
  }
  if (g->in_h <= 0 || g->in_w <= 0 || g->out_h <= 0 || g->out_w <= 0) {
    r.fail(Error::InvalidArgument, "input %s and output size [%lld, %lld] must be non-empty",
           sizes_text(in.sizes()).text, static_cast<long long>(g->out_h),
           static_cast<long long>(g->out_w));
    return false;
  }
  const int64_t sizes[4] = {g->n, g->c, g->out_h, g->out_w};
  if (!resize_out(ctx, op, "out", out, sizes, 4)) return false;
  tensor_strides(in, g->in_st);
  tensor_strides(out, g->out_st);
  return true;
}

/// torch's compute_scales_value<float>: input / output, or 1 / the given
/// scale factor.
float scale_value(bool has_scale, double scale, int64_t in, int64_t out) {
  return has_scale && scale > 0 ? static_cast<float>(1.0 / scale)
                                : static_cast<float>(in) / static_cast<float>(out);
}

/// torch's nearest_idx: the input index of output index i.
int64_t nearest_index(int64_t i, int64_t in, int64_t out, float scale) {
  if (out == in) return i;
  if (out == 2 * in) return i >> 1;
  const int64_t src = static_cast<int64_t>(std::floor(static_cast<float>(i) * scale));
  return src < in - 1 ? src : in - 1;
}

/// One axis of a bilinear tap: two input indices and their weights.
struct Tap {
  int64_t i0, i1;
  float w0, w1;
};

/// torch's compute_source_index_and_lambda (float math).
Tap linear_tap(int64_t i, int64_t in, int64_t out, float scale, bool align_corners) {
  if (out == in) return {i, i, 1.0f, 0.0f};
  float real = align_corners ? scale * static_cast<float>(i)
                             : scale * (static_cast<float>(i) + 0.5f) - 0.5f;
  if (!align_corners && real < 0) real = 0;
  int64_t i0 = static_cast<int64_t>(std::floor(real));
  if (i0 > in - 1) i0 = in - 1;
  float w1 = real - static_cast<float>(i0);
  w1 = w1 < 0 ? 0 : (w1 > 1 ? 1 : w1);
  return {i0, i0 + (i0 < in - 1 ? 1 : 0), 1.0f - w1, w1};
}

/// Call pixel(in_off, out_off, oh, ow, nc) for every output position: in_off
/// is the element offset of the image (and channel) in the input, out_off
/// that of the output element, and the call writes `nc` channels from there.
/// When out keeps channels innermost (channels-last) one call covers all
/// channels of a position; otherwise one call per channel, so that the
/// inner loops run along memory either way.
template <typename F>
void for_each_pixel(const Resample& g, F&& pixel) {
  const bool channels_inner = g.out_st[1] == 1 && g.c > 1;
  for (int64_t n = 0; n < g.n; ++n) {
    if (channels_inner) {
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          pixel(n * g.in_st[0], n * g.out_st[0] + oh * g.out_st[2] + ow * g.out_st[3], oh, ow,
                g.c);
        }
      }
      continue;
    }
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          pixel(n * g.in_st[0] + c * g.in_st[1],
                n * g.out_st[0] + c * g.out_st[1] + oh * g.out_st[2] + ow * g.out_st[3], oh, ow,
                int64_t{1});
        }
      }
    }
  }
}

template <typename T>
void nearest(const Resample& g, const T* src, T* dst) {
  const float sh = scale_value(g.has_scale, g.scale_h, g.in_h, g.out_h);
  const float sw = scale_value(g.has_scale, g.scale_w, g.in_w, g.out_w);
  for_each_pixel(g, [&](int64_t in_off, int64_t out_off, int64_t oh, int64_t ow, int64_t nc) {
    const int64_t ih = nearest_index(oh, g.in_h, g.out_h, sh);
    const int64_t iw = nearest_index(ow, g.in_w, g.out_w, sw);
    const T* s = src + in_off + ih * g.in_st[2] + iw * g.in_st[3];
    T* d = dst + out_off;
    for (int64_t c = 0; c < nc; ++c) d[c * g.out_st[1]] = s[c * g.in_st[1]];
  });
}

template <typename T>
void bilinear(const Resample& g, bool align_corners, const T* src, T* dst) {
  auto scale = [&](int64_t in, int64_t out, double given) {
    if (align_corners) {
      return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f;
    }
    return scale_value(g.has_scale, given, in, out);
  };
  const float sh = scale(g.in_h, g.out_h, g.scale_h);
  const float sw = scale(g.in_w, g.out_w, g.scale_w);
  for_each_pixel(g, [&](int64_t in_off, int64_t out_off, int64_t oh, int64_t ow, int64_t nc) {
    const Tap h = linear_tap(oh, g.in_h, g.out_h, sh, align_corners);
    const Tap w = linear_tap(ow, g.in_w, g.out_w, sw, align_corners);
    const T* r0 = src + in_off + h.i0 * g.in_st[2];
    const T* r1 = src + in_off + h.i1 * g.in_st[2];
    const int64_t c0 = w.i0 * g.in_st[3], c1 = w.i1 * g.in_st[3];
    T* d = dst + out_off;
    for (int64_t c = 0; c < nc; ++c) {
      const int64_t k = c * g.in_st[1];
      const float top = static_cast<float>(r0[c0 + k]) * w.w0 + static_cast<float>(r0[c1 + k]) * w.w1;
      const float bottom =
          static_cast<float>(r1[c0 + k]) * w.w0 + static_cast<float>(r1[c1 + k]) * w.w1;
      d[c * g.out_st[1]] = static_cast<T>(top * h.w0 + bottom * h.w1);
    }
  });
}

}  // namespace

void upsample_nearest2d_vec_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::upsample_nearest2d.vec_out", 5);
  Tensor* in = r.tensor(0, "input");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  Resample g;
  if (!prepare(r, args, *in, 1, 2, *out, &g)) return;
  EMBER_SWITCH_FLOAT_HALF(
      in->dtype(),
      r.fail(Error::NotSupported, "unsupported dtype %s", scalar_type_name(in->dtype())),
      nearest<CTYPE>(g, in->data_as<const CTYPE>(), out->data_as<CTYPE>()));
}

void upsample_bilinear2d_vec_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::upsample_bilinear2d.vec_out", 6);
  Tensor* in = r.tensor(0, "input");
  const bool align_corners = r.boolean(2, "align_corners");
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;
  Resample g;
  if (!prepare(r, args, *in, 1, 3, *out, &g)) return;
  EMBER_SWITCH_FLOAT_HALF(
      in->dtype(),
      r.fail(Error::NotSupported, "unsupported dtype %s", scalar_type_name(in->dtype())),
      bilinear<CTYPE>(g, align_corners, in->data_as<const CTYPE>(), out->data_as<CTYPE>()));
}

}  // namespace portable
}  // namespace ember
