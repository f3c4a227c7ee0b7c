// Normalisations: native_layer_norm, native_group_norm, inference batch
// norm (_native_batch_norm_legit_no_training) and RMS norm (ember::rms_norm),
// for float32, float64, float16 and bfloat16 inputs in any dim order.
//
// Layer and group norm compute each group's mean and variance in double with
// two passes (mean first, then the squared deviations), so rows of thousands
// of elements match torch closely; rstd = 1 / sqrt(var + eps) with the biased
// variance. The output is then (x - mean) * rstd * weight + bias.
//
// RMS norm sums the squares in double; then, as its decomposition (pow, mean,
// add, rsqrt, mul, mul) computes: r = 1 / sqrt(mean + eps) in the compute
// type, y = x * r rounded to the dtype, then times the weight, rounded again.
//
// Batch norm uses the running statistics, computed as torch does per channel:
// x * alpha + beta with alpha = invstd * weight and beta = bias - mean * alpha.
// Its out1/out2 (saved mean and invstd) are planned by ExecuTorch with sizes
// [0]; they are filled with the running mean and invstd only when they have C
// elements.
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/op_args.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/reduce_util.h"

namespace ember {
namespace portable {
namespace {

/// An optional parameter must have `sizes` (and, with `dtype`, that dtype).
bool check_param(KernelContext& ctx, const char* op, const char* name, const Tensor* t,
                 const int64_t* sizes, int ndim, const ScalarType* dtype) {
  if (t == nullptr) return true;
  if (dtype != nullptr ? !check_dtype(ctx, op, name, *t, *dtype)
                       : !check_floating(ctx, op, name, *t)) {
    return false;
  }
  bool same = t->dim() == ndim;
  for (int d = 0; d < ndim && same; ++d) same = t->size(d) == sizes[d];
  if (same) return true;
  return kernel_fail(ctx, Error::InvalidArgument, op, "%s has sizes %s, expected %s", name,
                     sizes_text(t->sizes()).text, sizes_text(sizes, ndim).text);
}

/// normalized_shape names 1 to rank trailing dims of `input`, with their
/// sizes; `axis` is the first of them.
bool check_normalized_shape(KernelContext& ctx, const char* op, const Tensor& input,
                            Span<const int64_t> shape, int* axis) {
  const int ndim = input.dim();
  const int k = static_cast<int>(shape.size());
  if (k < 1 || k > ndim) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "normalized_shape has %d dims, expected 1 to %d (input sizes %s)", k, ndim,
                       sizes_text(input.sizes()).text);
  }
  *axis = ndim - k;
  bool match = true;
  for (int d = 0; d < k; ++d) match = match && input.size(*axis + d) == shape[d];
  if (match) return true;
  return kernel_fail(ctx, Error::InvalidArgument, op,
                     "normalized_shape %s does not match the trailing dims of input %s",
                     sizes_text(shape.data(), k).text, sizes_text(input.sizes()).text);
}

/// 1/sqrt(var + eps), with torch's results for a group of no elements.
double inverse_std(double var, double eps) { return 1.0 / std::sqrt(var + eps); }

template <typename T>
void layer_norm(const Tensor& x, const Tensor* w, const Tensor* b, double eps, int axis,
                Tensor& y, Tensor& mean_t, Tensor& rstd_t) {
  using C = compute_t<T>;
  const int ndim = x.dim();
  // Outer walk over dims [0, axis): x, y, mean, rstd. Inner walk over the
  // normalised dims: x, y, weight, bias (stride 0 on a constant when absent).
  int64_t sizes[kMaxRank], outer_st[4][kMaxRank], inner_st[4][kMaxRank];
  tensor_sizes(x, sizes);
  for (int d = 0; d < ndim; ++d) {
    const int64_t st[4] = {x.stride(d), y.stride(d), 0, 0};
    if (d < axis) {
      outer_st[0][d] = st[0];
      outer_st[1][d] = st[1];
      outer_st[2][d] = mean_t.stride(d);
      outer_st[3][d] = rstd_t.stride(d);
    } else {
      inner_st[0][d - axis] = st[0];
      inner_st[1][d - axis] = st[1];
      inner_st[2][d - axis] = w ? w->stride(d - axis) : 0;
      inner_st[3][d - axis] = b ? b->stride(d - axis) : 0;
    }
  }
  const int64_t* op_outer[4] = {outer_st[0], outer_st[1], outer_st[2], outer_st[3]};
  const int64_t* op_inner[4] = {inner_st[0], inner_st[1], inner_st[2], inner_st[3]};
  StridedLoop outer, inner;
  outer.init(axis, sizes, 4, op_outer);
  inner.init(ndim - axis, sizes + axis, 4, op_inner);
  const int64_t n = inner.numel;
  const T one = static_cast<T>(C(1)), zero = static_cast<T>(C(0));
  const T* xs = x.data_as<const T>();
  T* ys = y.data_as<T>();
  const T* ws = w ? w->data_as<const T>() : &one;
  const T* bs = b ? b->data_as<const T>() : &zero;
  T* means = mean_t.data_as<T>();
  T* rstds = rstd_t.data_as<T>();
  outer.run([&](const int64_t* off, int64_t rows, const int64_t* ost) {
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = xs + off[0] + r * ost[0];
      T* yr = ys + off[1] + r * ost[1];
      double sum = 0.0;
      inner.run([&](const int64_t* io, int64_t m, const int64_t* ist) {
        for (int64_t k = 0; k < m; ++k) sum += static_cast<C>(xr[io[0] + k * ist[0]]);
      });
      const double mean = n == 0 ? 0.0 : sum / static_cast<double>(n);
      double ssd = 0.0;
      inner.run([&](const int64_t* io, int64_t m, const int64_t* ist) {
        for (int64_t k = 0; k < m; ++k) {
          const double d = static_cast<C>(xr[io[0] + k * ist[0]]) - mean;
          ssd += d * d;
        }
      });
      const double rstd = inverse_std(n == 0 ? NAN : ssd / static_cast<double>(n), eps);
      inner.run([&](const int64_t* io, int64_t m, const int64_t* ist) {
        for (int64_t k = 0; k < m; ++k) {
          const double v = (static_cast<C>(xr[io[0] + k * ist[0]]) - mean) * rstd;
          const double wv = static_cast<C>(ws[io[2] + k * ist[2]]);
          const double bv = static_cast<C>(bs[io[3] + k * ist[3]]);
          yr[io[1] + k * ist[1]] = static_cast<T>(static_cast<C>(v * wv + bv));
        }
      });
      means[off[2] + r * ost[2]] = static_cast<T>(static_cast<C>(mean));
      rstds[off[3] + r * ost[3]] = static_cast<T>(static_cast<C>(rstd));
    }
  });
}

template <typename T>
void rms_norm(const Tensor& x, const Tensor* w, double eps, int axis, Tensor& y) {
  using C = compute_t<T>;
  const int ndim = x.dim();
  // Outer walk over dims [0, axis): x, y. Inner walk over the normalised
  // dims: x, y, weight (stride 0 on a constant one when absent).
  int64_t sizes[kMaxRank], outer_st[2][kMaxRank], inner_st[3][kMaxRank];
  tensor_sizes(x, sizes);
  for (int d = 0; d < ndim; ++d) {
    if (d < axis) {
      outer_st[0][d] = x.stride(d);
      outer_st[1][d] = y.stride(d);
    } else {
      inner_st[0][d - axis] = x.stride(d);
      inner_st[1][d - axis] = y.stride(d);
      inner_st[2][d - axis] = w ? w->stride(d - axis) : 0;
    }
  }
  const int64_t* op_outer[2] = {outer_st[0], outer_st[1]};
  const int64_t* op_inner[3] = {inner_st[0], inner_st[1], inner_st[2]};
  StridedLoop outer, inner;
  outer.init(axis, sizes, 2, op_outer);
  inner.init(ndim - axis, sizes + axis, 3, op_inner);
  const int64_t n = inner.numel;
  const T one = static_cast<T>(C(1));
  const T* xs = x.data_as<const T>();
  T* ys = y.data_as<T>();
  const T* ws = w ? w->data_as<const T>() : &one;
  outer.run([&](const int64_t* off, int64_t rows, const int64_t* ost) {
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = xs + off[0] + r * ost[0];
      T* yr = ys + off[1] + r * ost[1];
      double sum = 0.0;
      inner.run([&](const int64_t* io, int64_t m, const int64_t* ist) {
        for (int64_t k = 0; k < m; ++k) {
          const double v = static_cast<C>(xr[io[0] + k * ist[0]]);
          sum += v * v;
        }
      });
      // torch: the mean of nothing is NaN.
      const C mean = static_cast<C>(n == 0 ? NAN : sum / static_cast<double>(n));
      const C rstd = C(1) / std::sqrt(mean + static_cast<C>(eps));
      inner.run([&](const int64_t* io, int64_t m, const int64_t* ist) {
        for (int64_t k = 0; k < m; ++k) {
          const T t = static_cast<T>(static_cast<C>(xr[io[0] + k * ist[0]]) * rstd);
          yr[io[1] + k * ist[1]] =
              w ? static_cast<T>(static_cast<C>(ws[io[2] + k * ist[2]]) * static_cast<C>(t)) : t;
        }
      });
    }
  });
}

template <typename T>
void group_norm(const Tensor& x, const Tensor* w, const Tensor* b, int64_t groups, double eps,
                Tensor& y, Tensor& mean_t, Tensor& rstd_t) {
  using C = compute_t<T>;
  const int64_t batch = x.size(0), channels = x.size(1);
  const int64_t per_group = channels / groups;
  // The spatial dims (2..) of x and y, walked for one (n, c) at a time.
  int64_t sizes[kMaxRank], sx[kMaxRank], sy[kMaxRank];
  const int spatial = x.dim() - 2;
  for (int d = 0; d < spatial; ++d) {
    sizes[d] = x.size(d + 2);
    sx[d] = x.stride(d + 2);
    sy[d] = y.stride(d + 2);
  }
  const int64_t* strides[2] = {sx, sy};
  StridedLoop loop;
  loop.init(spatial, sizes, 2, strides);
  const double count = static_cast<double>(per_group * loop.numel);
  const T* xs = x.data_as<const T>();
  T* ys = y.data_as<T>();
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t c0 = g * per_group;
      auto each = [&](auto&& fn) {  // fn(channel, x row, y row, length, x step, y step)
        for (int64_t c = c0; c < c0 + per_group; ++c) {
          const T* xc = xs + n * x.stride(0) + c * x.stride(1);
          T* yc = ys + n * y.stride(0) + c * y.stride(1);
          loop.run([&](const int64_t* off, int64_t m, const int64_t* st) {
            fn(c, xc + off[0], yc + off[1], m, st[0], st[1]);
          });
        }
      };
      double sum = 0.0;
      each([&](int64_t, const T* xr, T*, int64_t m, int64_t s, int64_t) {
        for (int64_t k = 0; k < m; ++k) sum += static_cast<C>(xr[k * s]);
      });
      const double mean = count == 0 ? 0.0 : sum / count;
      double ssd = 0.0;
      each([&](int64_t, const T* xr, T*, int64_t m, int64_t s, int64_t) {
        for (int64_t k = 0; k < m; ++k) {
          const double d = static_cast<C>(xr[k * s]) - mean;
          ssd += d * d;
        }
      });
      const double rstd = inverse_std(count == 0 ? NAN : ssd / count, eps);
      each([&](int64_t c, const T* xr, T* yr, int64_t m, int64_t s, int64_t so) {
        const double alpha = rstd * (w ? load_double(*w, c) : 1.0);
        const double beta = (b ? load_double(*b, c) : 0.0) - mean * alpha;
        for (int64_t k = 0; k < m; ++k) {
          yr[k * so] = static_cast<T>(static_cast<C>(static_cast<C>(xr[k * s]) * alpha + beta));
        }
      });
      mean_t.data_as<T>()[n * mean_t.stride(0) + g * mean_t.stride(1)] =
          static_cast<T>(static_cast<C>(mean));
      rstd_t.data_as<T>()[n * rstd_t.stride(0) + g * rstd_t.stride(1)] =
          static_cast<T>(static_cast<C>(rstd));
    }
  }
}

template <typename T>
void batch_norm(const Tensor& x, const Tensor* w, const Tensor* b, const Tensor& mean,
                const Tensor& var, double eps, Tensor& y, Tensor* saved_mean,
                Tensor* saved_invstd) {
  using C = compute_t<T>;
  const int ndim = x.dim();
  int64_t sizes[kMaxRank], sx[kMaxRank], sy[kMaxRank];
  tensor_sizes(x, sizes);
  tensor_strides(x, sx);
  tensor_strides(y, sy);
  const int64_t channels = sizes[1];
  sizes[1] = 1;  // walk every dim but the channel one
  const int64_t* strides[2] = {sx, sy};
  StridedLoop loop;
  loop.init(ndim, sizes, 2, strides);
  const T* xs = x.data_as<const T>();
  T* ys = y.data_as<T>();
  for (int64_t c = 0; c < channels; ++c) {
    const double invstd = inverse_std(load_double(var, c), eps);
    const double m = load_double(mean, c);
    if (saved_mean != nullptr) store_double(*saved_mean, c, m);
    if (saved_invstd != nullptr) store_double(*saved_invstd, c, invstd);
    const C alpha = static_cast<C>(invstd * (w ? load_double(*w, c) : 1.0));
    const C beta = static_cast<C>((b ? load_double(*b, c) : 0.0) - m * alpha);
    const T* xc = xs + c * sx[1];
    T* yc = ys + c * sy[1];
    loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
      for (int64_t k = 0; k < n; ++k) {
        const C v = static_cast<C>(xc[off[0] + k * st[0]]);
        yc[off[1] + k * st[1]] = static_cast<T>(v * alpha + beta);
      }
    });
  }
}

/// Batch norm's out1/out2 may be [0] (not filled) or [C] (filled), of a
/// floating dtype; returns through `fill` whether to fill it.
bool check_saved_stat(KernelContext& ctx, const char* op, const char* name, const Tensor& t,
                      int64_t channels, bool* fill) {
  if (!check_floating(ctx, op, name, t)) return false;
  *fill = t.dim() == 1 && t.size(0) == channels && channels > 0;
  if (t.dim() == 1 && (t.size(0) == 0 || t.size(0) == channels)) return true;
  return kernel_fail(ctx, Error::InvalidArgument, op, "%s has sizes %s, expected [0] or [%lld]",
                     name, sizes_text(t.sizes()).text, static_cast<long long>(channels));
}

}  // namespace

void native_layer_norm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::native_layer_norm.out";
  ArgReader r(ctx, args, op, 9);
  const LayerNormArgs a = read_layer_norm_args(r);
  if (!r.ok()) return;
  Tensor *input = a.input, *weight = a.weight, *bias = a.bias;
  Tensor *out0 = a.out0, *out1 = a.out1, *out2 = a.out2;
  const Span<const int64_t> shape = a.normalized_shape;
  const double eps = a.eps;
  if (!check_floating(ctx, op, "input", *input)) return;
  const ScalarType dtype = input->dtype();
  const int ndim = input->dim();
  const int k = static_cast<int>(shape.size());
  int axis = 0;
  if (!check_normalized_shape(ctx, op, *input, shape, &axis)) return;
  if (!check_param(ctx, op, "weight", weight, shape.data(), k, &dtype) ||
      !check_param(ctx, op, "bias", bias, shape.data(), k, &dtype)) {
    return;
  }
  int64_t sizes[kMaxRank], stat_sizes[kMaxRank];
  tensor_sizes(*input, sizes);
  for (int d = 0; d < ndim; ++d) stat_sizes[d] = d < axis ? sizes[d] : 1;
  if (!check_dtype(ctx, op, "out0", *out0, dtype) || !check_dtype(ctx, op, "out1", *out1, dtype) ||
      !check_dtype(ctx, op, "out2", *out2, dtype) ||
      !resize_out(ctx, op, "out0", *out0, sizes, ndim) ||
      !resize_out(ctx, op, "out1", *out1, stat_sizes, ndim) ||
      !resize_out(ctx, op, "out2", *out2, stat_sizes, ndim)) {
    return;
  }
  EMBER_SWITCH_FLOAT(dtype, return,
                     layer_norm<CTYPE>(*input, weight, bias, eps, axis, *out0, *out1, *out2));
}

void rms_norm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "ember::rms_norm.out";
  ArgReader r(ctx, args, op, 6);
  const RmsNormArgs a = read_rms_norm_args(r);
  if (!r.ok()) return;
  Tensor *input = a.input, *weight = a.weight, *out = a.out;
  const Span<const int64_t> shape = a.normalized_shape;
  if (!check_floating(ctx, op, "input", *input)) return;
  const ScalarType dtype = input->dtype();
  const int ndim = input->dim();
  const int k = static_cast<int>(shape.size());
  int axis = 0;
  if (!check_normalized_shape(ctx, op, *input, shape, &axis)) return;
  EMBER_KERNEL_CHECK(ctx, a.eps >= 0.0, InvalidArgument, op, "eps %g is negative", a.eps);
  if (!check_param(ctx, op, "weight", weight, shape.data(), k, &dtype)) return;
  int64_t sizes[kMaxRank];
  tensor_sizes(*input, sizes);
  if (!check_dtype(ctx, op, "out", *out, dtype) || !resize_out(ctx, op, "out", *out, sizes, ndim)) {
    return;
  }
  EMBER_SWITCH_FLOAT(dtype, return, rms_norm<CTYPE>(*input, weight, a.eps, axis, *out));
}

void native_group_norm_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::native_group_norm.out";
  ArgReader r(ctx, args, op, 12);
  Tensor* input = r.tensor(0, "input");
  Tensor* weight = r.optional_tensor(1, "weight");
  Tensor* bias = r.optional_tensor(2, "bias");
  const int64_t n = r.integer(3, "N");
  const int64_t c = r.integer(4, "C");
  const int64_t hxw = r.integer(5, "HxW");
  const int64_t groups = r.integer(6, "group");
  const double eps = r.real(7, "eps");
  Tensor* out0 = r.tensor(8, "out0");
  Tensor* out1 = r.tensor(9, "out1");
  Tensor* out2 = r.tensor(10, "out2");
  if (!r.ok()) return;
  if (!check_floating(ctx, op, "input", *input)) return;
  const ScalarType dtype = input->dtype();
  EMBER_KERNEL_CHECK(ctx, input->dim() >= 2, InvalidArgument, op,
                     "input has sizes %s, expected rank >= 2 (N, C, *)",
                     sizes_text(input->sizes()).text);
  int64_t spatial = 1;
  for (int32_t d = 2; d < input->dim(); ++d) spatial *= input->size(d);
  EMBER_KERNEL_CHECK(ctx, input->size(0) == n && input->size(1) == c && spatial == hxw,
                     InvalidArgument, op, "input sizes %s do not match N=%lld, C=%lld, HxW=%lld",
                     sizes_text(input->sizes()).text, static_cast<long long>(n),
                     static_cast<long long>(c), static_cast<long long>(hxw));
  EMBER_KERNEL_CHECK(ctx, groups > 0 && c % groups == 0, InvalidArgument, op,
                     "group %lld must be positive and divide the %lld channels",
                     static_cast<long long>(groups), static_cast<long long>(c));
  if (!check_param(ctx, op, "weight", weight, &c, 1, nullptr) ||
      !check_param(ctx, op, "bias", bias, &c, 1, nullptr)) {
    return;
  }
  int64_t sizes[kMaxRank];
  tensor_sizes(*input, sizes);
  const int64_t stat_sizes[2] = {n, groups};
  if (!check_dtype(ctx, op, "out0", *out0, dtype) || !check_dtype(ctx, op, "out1", *out1, dtype) ||
      !check_dtype(ctx, op, "out2", *out2, dtype) ||
      !resize_out(ctx, op, "out0", *out0, sizes, input->dim()) ||
      !resize_out(ctx, op, "out1", *out1, stat_sizes, 2) ||
      !resize_out(ctx, op, "out2", *out2, stat_sizes, 2)) {
    return;
  }
  EMBER_SWITCH_FLOAT(dtype, return,
                     group_norm<CTYPE>(*input, weight, bias, groups, eps, *out0, *out1, *out2));
}

void native_batch_norm_legit_no_training_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::_native_batch_norm_legit_no_training.out";
  ArgReader r(ctx, args, op, 11);
  Tensor* input = r.tensor(0, "input");
  Tensor* weight = r.optional_tensor(1, "weight");
  Tensor* bias = r.optional_tensor(2, "bias");
  Tensor* mean = r.tensor(3, "running_mean");
  Tensor* var = r.tensor(4, "running_var");
  r.real(5, "momentum");
  const double eps = r.real(6, "eps");
  Tensor* out0 = r.tensor(7, "out0");
  Tensor* out1 = r.tensor(8, "out1");
  Tensor* out2 = r.tensor(9, "out2");
  if (!r.ok()) return;
  if (!check_floating(ctx, op, "input", *input)) return;
  EMBER_KERNEL_CHECK(ctx, input->dim() >= 2, InvalidArgument, op,
                     "input has sizes %s, expected rank >= 2 (N, C, ...)",
                     sizes_text(input->sizes()).text);
  const int64_t channels = input->size(1);
  if (!check_param(ctx, op, "weight", weight, &channels, 1, nullptr) ||
      !check_param(ctx, op, "bias", bias, &channels, 1, nullptr) ||
      !check_param(ctx, op, "running_mean", mean, &channels, 1, nullptr) ||
      !check_param(ctx, op, "running_var", var, &channels, 1, nullptr)) {
    return;
  }
  bool fill_mean = false, fill_invstd = false;
  if (!check_saved_stat(ctx, op, "out1", *out1, channels, &fill_mean) ||
      !check_saved_stat(ctx, op, "out2", *out2, channels, &fill_invstd)) {
    return;
  }
  if (!check_dtype(ctx, op, "out0", *out0, input->dtype())) return;
  int64_t sizes[kMaxRank];
  tensor_sizes(*input, sizes);
  if (!resize_out(ctx, op, "out0", *out0, sizes, input->dim())) return;
  EMBER_SWITCH_FLOAT(input->dtype(), return,
                     batch_norm<CTYPE>(*input, weight, bias, *mean, *var, eps, *out0,
                                       fill_mean ? out1 : nullptr, fill_invstd ? out2 : nullptr));
}

}  // namespace portable
}  // namespace ember
