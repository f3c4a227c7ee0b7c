// Reference kernels of the quantize/dequantize ops with many parameters:
// PT2E's per-channel ops, its dynamic choose_qparams, and torchao's affine
// ops (one scale and zero point per block of block_size). As in
// op_quantize.cpp, each computes what PyTorch computes in the same
// precision and order (see quantize_util.h); tensors must be contiguous.
//
// A block grid: dim d of the input is cut into counts[d] = size[d] /
// block[d] blocks, and parameter tensors hold one entry per block, row-major
// over the grid (torchao's view of scale as shape_after_reduction, and
// PT2E's per-channel axis: block 1 on the axis, the whole dim elsewhere).
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "runtime/kernels/portable/quantize_util.h"

namespace ember {
namespace portable {
namespace {

using namespace quant;

/// The block grid of an input, and the walk over its elements that yields
/// each element's parameter index.
struct BlockGrid {
  int ndim = 0;
  int64_t sizes[kMaxRank] = {};
  int64_t block[kMaxRank] = {};
  int64_t counts[kMaxRank] = {};
  int64_t num_blocks = 1;

  /// The parameter index of every element, in order: f(element, block).
  template <typename F>
  void walk(F f) const {
    int64_t coord[kMaxRank] = {};
    int64_t numel = 1;
    for (int d = 0; d < ndim; ++d) numel *= sizes[d];
    for (int64_t i = 0; i < numel; ++i) {
      int64_t b = 0;
      for (int d = 0; d < ndim; ++d) b = b * counts[d] + coord[d] / block[d];
      f(i, b);
      for (int d = ndim - 1; d >= 0; --d) {
        if (++coord[d] < sizes[d]) break;
        coord[d] = 0;
      }
    }
  }
};

/// torchao's block_size over `in`: one entry per dim, each dividing it.
bool block_grid(KernelContext& ctx, const char* op, const Tensor& in, Span<const int64_t> block,
                BlockGrid* g) {
  if (static_cast<int64_t>(block.size()) != in.dim()) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "block_size has %zu entries for a %d-d input", block.size(), in.dim());
  }
  g->ndim = in.dim();
  for (int d = 0; d < in.dim(); ++d) {
    const int64_t size = in.size(d), b = block[d];
    if (b <= 0 || size % b != 0) {
      return kernel_fail(ctx, Error::InvalidArgument, op,
                         "block size %lld does not divide dim %d of size %lld",
                         static_cast<long long>(b), d, static_cast<long long>(size));
    }
    g->sizes[d] = size;
    g->block[d] = b;
    g->counts[d] = size / b;
    g->num_blocks *= g->counts[d];
  }
  return true;
}

/// The grid of a per-channel op: one block per index of `axis`.
bool channel_grid(KernelContext& ctx, const char* op, const Tensor& in, int64_t axis,
                  BlockGrid* g) {
  int64_t dim = 0;
  if (!normalize_dim(axis, in.dim(), &dim) || in.dim() == 0) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "axis %lld is out of range for a %d-d input",
                       static_cast<long long>(axis), in.dim());
  }
  int64_t block[kMaxRank];
  for (int d = 0; d < in.dim(); ++d) block[d] = d == dim ? 1 : in.size(d);
  return block_grid(ctx, op, in, {block, static_cast<size_t>(in.dim())}, g);
}

/// A parameter tensor with one entry per block (scales float32; zero points
/// integer, or float32 where torchao allows it).
bool check_params(KernelContext& ctx, const char* op, const char* name, const Tensor* t,
                  int64_t blocks, bool is_scale) {
  if (t == nullptr) return true;
  if (t->numel() != blocks) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "%s has %lld entries, expected %lld (one per block)",
                       name, static_cast<long long>(t->numel()), static_cast<long long>(blocks));
  }
  const ScalarType d = t->dtype();
  const bool ok = is_scale ? d == ScalarType::Float
                           : (is_integer_dtype(d) || d == ScalarType::Float);
  if (!ok) return reject_dtype(ctx, op, name, d);
  return check_contiguous(ctx, op, name, *t);
}

/// Scales positive and finite, zero points within [qmin, qmax].
bool check_param_values(KernelContext& ctx, const char* op, const Tensor& scale, const Tensor* zp,
                        int64_t qmin, int64_t qmax) {
  for (int64_t i = 0; i < scale.numel(); ++i) {
    if (!check_scale(ctx, op, load_number(scale, i))) return false;
  }
  for (int64_t i = 0; zp != nullptr && i < zp->numel(); ++i) {
    const double z = load_number(*zp, i);
    if (!(z >= static_cast<double>(qmin) && z <= static_cast<double>(qmax))) {
      return kernel_fail(ctx, Error::InvalidArgument, op,
                         "zero point %g is outside the quantization range [%lld, %lld]", z,
                         static_cast<long long>(qmin), static_cast<long long>(qmax));
    }
  }
  return true;
}

/// quantize with one scale and zero point per block: torch's `1.0 / scale`
/// on a float32 tensor is a float32 reciprocal.
void quantize_blocks(const BlockGrid& g, const Tensor& in, const Tensor& scale, const Tensor* zp,
                     int64_t qmin, int64_t qmax, Tensor& out) {
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  const float* s = scale.data_as<const float>();
  g.walk([&](int64_t i, int64_t b) {
    const float inv = 1.0f / s[b];
    const float z = zp ? static_cast<float>(load_number(*zp, b)) : 0.0f;
    store_quantized(out, i, quantize_one(load_float(in, i), inv, z, lo, hi));
  });
}

/// (float(q) - float(zp)) * scale, in float32, then the output type.
void dequantize_blocks(const BlockGrid& g, const Tensor& in, const Tensor& scale, const Tensor* zp,
                       Tensor& out) {
  const float* s = scale.data_as<const float>();
  g.walk([&](int64_t i, int64_t b) {
    const float z = zp ? static_cast<float>(load_number(*zp, b)) : 0.0f;
    store_float(out, i, (static_cast<float>(load_integer(in, i)) - z) * s[b]);
  });
}

/// The quantized dtype and range of torchao's optional quant_min/quant_max
/// (the dtype's bounds when None).
bool affine_range(KernelContext& ctx, const char* op, Span<EValue*> args, ArgReader& r,
                  size_t min_at, int64_t code, int64_t* qmin, int64_t* qmax, ScalarType* dtype) {
  int64_t lo = 0, hi = 0;
  if (!quantized_range(static_cast<ScalarType>(code), &lo, &hi)) {
    return kernel_fail(ctx, Error::NotSupported, op,
                       "dtype %lld is not a quantized dtype (uint8, int8, int16, int32)",
                       static_cast<long long>(code));
  }
  const Scalar smin = arg_is_none(args, min_at) ? Scalar::of_int(lo) : r.scalar(min_at,
                                                                                "quant_min");
  const Scalar smax = arg_is_none(args, min_at + 1) ? Scalar::of_int(hi) : r.scalar(min_at + 1,
                                                                                    "quant_max");
  if (!r.ok()) return false;
  if (!smin.is_integral() || !smax.is_integral()) {
    return kernel_fail(ctx, Error::InvalidArgument, op, "quant_min and quant_max must be integers");
  }
  *qmin = smin.int_value();
  *qmax = smax.int_value();
  return check_qrange(ctx, op, code, *qmin, *qmax, dtype);
}

}  // namespace

void quantize_per_channel_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::quantize_per_channel.out";
  ArgReader r(ctx, args, op, 9);
  Tensor* in = r.tensor(0, "input");
  Tensor* scales = r.tensor(1, "scales");
  Tensor* zps = r.tensor(2, "zero_points");
  const int64_t axis = r.integer(3, "axis");
  const int64_t qmin = r.integer(4, "quant_min"), qmax = r.integer(5, "quant_max");
  const int64_t code = r.integer(6, "dtype");
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  ScalarType dtype = ScalarType::Char;
  BlockGrid g;
  if (!check_float_input(ctx, op, "input", *in) || !check_qrange(ctx, op, code, qmin, qmax,
                                                                 &dtype) ||
      !channel_grid(ctx, op, *in, axis, &g) ||
      !check_params(ctx, op, "scales", scales, g.num_blocks, true) ||
      !check_params(ctx, op, "zero_points", zps, g.num_blocks, false) ||
      !check_param_values(ctx, op, *scales, zps, qmin, qmax) ||
      !prepare_out(ctx, op, *in, *out, dtype) || !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  quantize_blocks(g, *in, *scales, zps, qmin, qmax, *out);
}

void dequantize_per_channel_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::dequantize_per_channel.out";
  ArgReader r(ctx, args, op, 10);
  Tensor* in = r.tensor(0, "input");
  Tensor* scales = r.tensor(1, "scales");
  Tensor* zps = r.optional_tensor(2, "zero_points");
  const int64_t axis = r.integer(3, "axis");
  const int64_t qmin = r.integer(4, "quant_min"), qmax = r.integer(5, "quant_max");
  const int64_t code = r.integer(6, "dtype");
  int64_t out_code = static_cast<int64_t>(ScalarType::Float);
  r.optional_integer(7, "out_dtype", &out_code);
  Tensor* out = r.tensor(8, "out");
  if (!r.ok()) return;
  ScalarType dtype = ScalarType::Char;
  BlockGrid g;
  if (!check_qrange(ctx, op, code, qmin, qmax, &dtype) || !channel_grid(ctx, op, *in, axis, &g) ||
      !check_params(ctx, op, "scales", scales, g.num_blocks, true) ||
      !check_params(ctx, op, "zero_points", zps, g.num_blocks, false) ||
      !check_param_values(ctx, op, *scales, zps, qmin, qmax)) {
    return;
  }
  EMBER_KERNEL_CHECK(ctx, in->dtype() == dtype, InvalidArgument, op,
                     "input dtype %d does not match dtype %d", static_cast<int>(in->dtype()),
                     static_cast<int>(dtype));
  if (!check_contiguous(ctx, op, "input", *in) || !check_float_out(ctx, op, *in, *out, out_code)) {
    return;
  }
  // torch: (input - zero_points) * scales in float32 (the integer
  // difference is exact), then the output type.
  dequantize_blocks(g, *in, *scales, zps, *out);
}

void choose_qparams_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "quantized_decomposed::choose_qparams.Tensor_out";
  ArgReader r(ctx, args, op, 8);
  Tensor* in = r.tensor(0, "input");
  const int64_t qmin = r.integer(1, "quant_min"), qmax = r.integer(2, "quant_max");
  const double eps = r.real(3, "eps");
  const int64_t code = r.integer(4, "dtype");
  Tensor* scale_out = r.tensor(5, "scale_out");
  Tensor* zp_out = r.tensor(6, "zero_point_out");
  if (!r.ok()) return;
  ScalarType dtype = ScalarType::Char;
  if (!check_qrange(ctx, op, code, qmin, qmax, &dtype)) return;
  EMBER_KERNEL_CHECK(ctx, qmin <= 0 && qmax >= 0 && qmin < qmax, InvalidArgument, op,
                     "quantization range [%lld, %lld] must include 0 and more than one value",
                     static_cast<long long>(qmin), static_cast<long long>(qmax));
  EMBER_KERNEL_CHECK(ctx, in->dtype() == ScalarType::Float, NotSupported, op,
                     "input must be float32, got dtype %d", static_cast<int>(in->dtype()));
  const int64_t one = 1;
  if (!check_contiguous(ctx, op, "input", *in) ||
      !check_dtype(ctx, op, "scale_out", *scale_out, ScalarType::Double) ||
      !check_dtype(ctx, op, "zero_point_out", *zp_out, ScalarType::Long) ||
      !resize_out(ctx, op, "scale_out", *scale_out, &one, 1) ||
      !resize_out(ctx, op, "zero_point_out", *zp_out, &one, 1)) {
    return;
  }
  double scale = 1.0;
  int64_t zp = 0;
  choose_qparams_per_tensor(in->data_as<const float>(), in->numel(), qmin, qmax, eps, &scale, &zp);
  scale_out->data_as<double>()[0] = scale;
  zp_out->data_as<int64_t>()[0] = zp;
}

void choose_qparams_affine_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "torchao::choose_qparams_affine.out";
  ArgReader r(ctx, args, op, 13);
  Tensor* in = r.optional_tensor(0, "input");
  Span<const char> mapping;
  r.optional_string(1, "mapping_type", &mapping);
  Span<const int64_t> block = r.int_list(2, "block_size");
  const int64_t code = r.integer(3, "target_dtype");
  double eps = 0.0;
  const bool has_eps = r.optional_real(6, "eps", &eps);
  Tensor* scale_out = r.tensor(10, "scale_out");
  Tensor* zp_out = r.tensor(11, "zero_point_out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, in != nullptr, InvalidArgument, op, "input is None");
  const bool symmetric = string_equals(mapping, "SYMMETRIC");
  const bool no_clip = string_equals(mapping, "SYMMETRIC_NO_CLIPPING_ERR");
  EMBER_KERNEL_CHECK(ctx, symmetric || no_clip || string_equals(mapping, "ASYMMETRIC"),
                     InvalidArgument, op,
                     "mapping_type must be SYMMETRIC, SYMMETRIC_NO_CLIPPING_ERR or ASYMMETRIC");
  int64_t qmin = 0, qmax = 0;
  ScalarType dtype = ScalarType::Char;
  BlockGrid g;
  if (!affine_range(ctx, op, args, r, 4, code, &qmin, &qmax, &dtype)) return;
  EMBER_KERNEL_CHECK(ctx, in->dtype() == ScalarType::Float, NotSupported, op,
                     "input must be float32, got dtype %d", static_cast<int>(in->dtype()));
  if (!check_contiguous(ctx, op, "input", *in) || !block_grid(ctx, op, *in, block, &g)) return;
  // One entry per block, shaped as torchao shapes them: with keepdim the
  // grid's counts; without, the grid's dims that are not reduced whole
  // (block 1 keeps the dim, a block of the whole dim drops it).
  const bool keepdim = r.boolean(9, "keepdim");
  int64_t shape[kMaxRank];
  int rank = 0;
  for (int d = 0; d < g.ndim; ++d) {
    if (keepdim || g.block[d] == 1 || g.block[d] != g.sizes[d]) shape[rank++] = g.counts[d];
  }
  if (!r.ok() || !resize_out(ctx, op, "scale_out", *scale_out, shape, rank) ||
      !resize_out(ctx, op, "zero_point_out", *zp_out, shape, rank) ||
      !check_contiguous(ctx, op, "scale_out", *scale_out) ||
      !check_contiguous(ctx, op, "zero_point_out", *zp_out)) {
    return;
  }
  // eps defaults to float32's smallest normal (torch.finfo(input.dtype)).
  const float feps = has_eps ? static_cast<float>(eps) : kSmallestNormal;
  const float flo = static_cast<float>(qmin), fhi = static_cast<float>(qmax);
  const float* x = in->data_as<const float>();
  // Per block: min and max (NaN propagates, as torch.amin/amax), then
  // torchao's formulas in float32.
  const int64_t blocks = g.num_blocks;
  const size_t extremes_bytes = static_cast<size_t>(blocks) * 2 * sizeof(float);
  float* lo = static_cast<float*>(ctx.allocate_temp(extremes_bytes));
  EMBER_KERNEL_CHECK(ctx, lo != nullptr, MemoryAllocationFailed, op,
                     "needs %lld bytes of temp memory for the block extremes",
                     static_cast<long long>(blocks * 2 * sizeof(float)));
  float* hi = lo + blocks;
  for (int64_t b = 0; b < blocks; ++b) {
    lo[b] = INFINITY;
    hi[b] = -INFINITY;
  }
  g.walk([&](int64_t i, int64_t b) {
    lo[b] = nan_min(lo[b], x[i]);
    hi[b] = nan_max(hi[b], x[i]);
  });
  for (int64_t b = 0; b < blocks; ++b) {
    const float min_neg = std::fmin(lo[b], 0.0f), max_pos = std::fmax(hi[b], 0.0f);
    float scale, zp;
    if (symmetric) {
      scale = std::fmax(-min_neg, max_pos) / static_cast<float>((qmax - qmin) / 2.0);
      zp = static_cast<float>(static_cast<int64_t>((qmax + qmin + 1) / 2.0));
    } else if (no_clip) {
      const float smin = min_neg / flo, smax = max_pos / fhi;
      scale = smin > smax ? smin : smax;
      zp = static_cast<float>(static_cast<int64_t>((qmax + qmin + 1) / 2.0));
    } else {
      asymmetric_qparams(lo[b], hi[b], flo, fhi, feps, &scale, &zp);
    }
    if (symmetric || no_clip) scale = std::fmax(scale, feps);
    store_number(*scale_out, b, scale);
    store_number(*zp_out, b, zp);
  }
}

void quantize_affine_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "torchao::quantize_affine.out";
  ArgReader r(ctx, args, op, 9);
  Tensor* in = r.tensor(0, "input");
  Span<const int64_t> block = r.int_list(1, "block_size");
  Tensor* scale = r.tensor(2, "scale");
  Tensor* zp = r.optional_tensor(3, "zero_point");
  const int64_t code = r.integer(4, "output_dtype");
  Tensor* out = r.tensor(7, "out");
  if (!r.ok()) return;
  int64_t qmin = 0, qmax = 0;
  ScalarType dtype = ScalarType::Char;
  BlockGrid g;
  if (zp != nullptr && zp->numel() == 0) zp = nullptr;  // torchao's "no zero point"
  if (!affine_range(ctx, op, args, r, 5, code, &qmin, &qmax, &dtype) ||
      !check_float_input(ctx, op, "input", *in) || !block_grid(ctx, op, *in, block, &g) ||
      !check_params(ctx, op, "scale", scale, g.num_blocks, true) ||
      !check_params(ctx, op, "zero_point", zp, g.num_blocks, false) ||
      !check_param_values(ctx, op, *scale, zp, qmin, qmax) ||
      !prepare_out(ctx, op, *in, *out, dtype) || !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  quantize_blocks(g, *in, *scale, zp, qmin, qmax, *out);
}

void dequantize_affine_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "torchao::dequantize_affine.out";
  ArgReader r(ctx, args, op, 10);
  Tensor* in = r.tensor(0, "input");
  Span<const int64_t> block = r.int_list(1, "block_size");
  Tensor* scale = r.tensor(2, "scale");
  Tensor* zp = r.optional_tensor(3, "zero_point");
  const int64_t code = r.integer(4, "input_dtype");
  const int64_t out_code = r.integer(7, "output_dtype");
  Tensor* out = r.tensor(8, "out");
  if (!r.ok()) return;
  int64_t qmin = 0, qmax = 0;
  ScalarType dtype = ScalarType::Char;
  BlockGrid g;
  if (!affine_range(ctx, op, args, r, 5, code, &qmin, &qmax, &dtype)) return;
  EMBER_KERNEL_CHECK(ctx, in->dtype() == dtype, InvalidArgument, op,
                     "input dtype %d does not match input_dtype %d", static_cast<int>(in->dtype()),
                     static_cast<int>(dtype));
  EMBER_KERNEL_CHECK(ctx, out_code == static_cast<int64_t>(ScalarType::Float), NotSupported, op,
                     "output_dtype %lld is not supported (float32 only)",
                     static_cast<long long>(out_code));
  if (!check_contiguous(ctx, op, "input", *in) || !block_grid(ctx, op, *in, block, &g) ||
      !check_params(ctx, op, "scale", scale, g.num_blocks, true) ||
      !check_params(ctx, op, "zero_point", zp, g.num_blocks, false) ||
      !check_param_values(ctx, op, *scale, zp, qmin, qmax) ||
      !check_float_out(ctx, op, *in, *out, out_code)) {
    return;
  }
  dequantize_blocks(g, *in, *scale, zp, *out);
}

}  // namespace portable
}  // namespace ember
