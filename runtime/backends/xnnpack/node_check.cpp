// Checking every node before XNNPACK sees it: Debian's 2022 library runs
// it (datatypes, quantization, flags), and its shapes and parameters agree
// (XNNPACK sizes its reads and writes from the node's parameters and the
// input shapes, so a declared output shape that disagrees would overflow).
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <initializer_list>

#include "runtime/backends/xnnpack/graph.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace xnnpack {
namespace {

using K = fb::NodeKind;

constexpr uint32_t kFlagLegacyResize = 0x4;      // XNN_FLAG_TENSORFLOW_LEGACY_MODE
constexpr uint32_t kFlagAlignCorners = 0x8;      // XNN_FLAG_ALIGN_CORNERS
constexpr uint64_t kMaxParam = uint64_t{1} << 20;  // pads, kernels, strides, channels

/// One node being checked; fail() logs "node i (Kind): message".
struct Check {
  const Graph& g;
  const Node& n;
  uint32_t index;

  const Value& in(uint32_t k) const { return g.values[n.inputs[k]]; }
  const Value& out(uint32_t k = 0) const { return g.values[n.outputs[k]]; }

  Error fail(Error err, const char* fmt, ...) const {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    EMBER_LOG(Error, "XnnpackBackend: node %u (%s): %s", index, node_kind_name(n.kind), msg);
    return err;
  }
};

bool same_dims(const Value& v, const size_t* dims, uint32_t rank) {
  if (v.rank != rank) return false;
  for (uint32_t d = 0; d < rank; ++d) {
    if (v.dims[d] != dims[d]) return false;
  }
  return true;
}

bool same_shape(const Value& a, const Value& b) { return same_dims(a, b.dims, b.rank); }

bool is_activation_type(fb::DataType t) {
  return t == fb::DataType::fp32 || t == fb::DataType::qint8 || t == fb::DataType::quint8;
}

/// Every operand has a datatype and quantization this library has.
Error check_operand_types(const Check& c) {
  for (uint32_t k = 0; k < c.n.num_inputs + c.n.num_outputs; ++k) {
    const uint32_t id = k < c.n.num_inputs ? c.n.inputs[k] : c.n.outputs[k - c.n.num_inputs];
    if (id == kInvalidId) continue;
    const Value& v = c.g.values[id];
    if (datatype_size(v.dtype) == 0 || v.dynamic_quant) {
      return c.fail(Error::NotSupported,
                    "value %u has datatype %s%s, which Debian's XNNPACK (2022-02-16) lacks", id,
                    datatype_name(v.dtype), v.dynamic_quant ? " quantized at run time" : "");
    }
    if (v.quant == QuantKind::Unsupported) {
      return c.fail(Error::NotSupported,
                    "value %u is quantized per token or per group, which Debian's XNNPACK "
                    "(2022-02-16) lacks", id);
    }
    const bool per_channel_type = v.dtype == fb::DataType::qcint8 ||
                                  v.dtype == fb::DataType::qcint32;
    const bool quantized_type = per_channel_type || v.dtype == fb::DataType::qint8 ||
                                v.dtype == fb::DataType::quint8 || v.dtype == fb::DataType::qint32;
    const bool ok = per_channel_type ? v.quant == QuantKind::PerChannel
                    : quantized_type ? v.quant == QuantKind::PerTensor
                                     : v.quant == QuantKind::None;
    if (!ok) {
      return c.fail(Error::InvalidProgram, "value %u: datatype %s with the wrong kind of "
                    "quantization parameters", id, datatype_name(v.dtype));
    }
    if (v.is_constant && v.data == nullptr) {
      return c.fail(Error::InvalidProgram, "constant value %u has no data", id);
    }
  }
  return Error::Ok;
}

/// Quantization parameters the 2022 library takes: a zero point inside
/// the 8-bit type (0 for int32 biases), per-channel scales positive and
/// finite (blob.cpp checked their count), and 8-bit activations only on the
/// nodes that have int8 kernels there. XNNPACK checks some of this itself
/// at define time; this says which value of which node is at fault.
Error check_quantization(const Check& c) {
  for (uint32_t k = 0; k < c.n.num_inputs + c.n.num_outputs; ++k) {
    const uint32_t id = k < c.n.num_inputs ? c.n.inputs[k] : c.n.outputs[k - c.n.num_inputs];
    if (id == kInvalidId) continue;
    const Value& v = c.g.values[id];
    const int32_t zp = v.zero_point;
    const bool zp_ok = v.dtype == fb::DataType::qint8    ? zp >= -128 && zp <= 127
                       : v.dtype == fb::DataType::quint8 ? zp >= 0 && zp <= 255
                       : v.dtype == fb::DataType::qint32 ? zp == 0
                                                         : true;
    if (!zp_ok) {
      return c.fail(Error::InvalidProgram, "value %u: zero point %d outside its datatype %s", id,
                    v.zero_point, datatype_name(v.dtype));
    }
    if (v.quant == QuantKind::PerChannel) {
      for (size_t i = 0; i < v.dims[v.channel_dim]; ++i) {
        const float s = v.channel_scales[i];
        if (!(s > 0.0f) || !std::isfinite(s)) {
          return c.fail(Error::InvalidProgram, "value %u: channel %zu has scale %g", id, i,
                        static_cast<double>(s));
        }
      }
    }
  }
  const fb::DataType t = c.n.num_inputs > 0 ? c.in(0).dtype : fb::DataType::fp32;
  if (t == fb::DataType::qint8 || t == fb::DataType::quint8) {
    switch (c.n.kind) {
      case K::Softmax: case K::Divide: case K::Minimum: case K::Maximum: case K::SquareRoot:
      case K::Square: case K::Abs: case K::Negate: case K::Floor: case K::Ceiling:
      case K::Hardswish: case K::Prelu:
        return c.fail(Error::NotSupported, "8-bit quantized input (%s): Debian's XNNPACK "
                      "(2022-02-16) runs this node in fp32 only", datatype_name(t));
      default: break;
    }
  }
  // Per-channel filters and biases: XNNPACK reads a convolution filter's
  // scales on its output-channel dim (0; the last dim of a depthwise
  // filter [1, KH, KW, C]) and a bias's on dim 0.
  const bool conv = c.n.kind == K::Conv2d || c.n.kind == K::DepthwiseConv2d ||
                    c.n.kind == K::ConvTranspose2d || c.n.kind == K::FullyConnected;
  if (conv && c.n.num_inputs >= 2) {
    const Value& w = c.in(1);
    const bool per_channel_filter = w.quant == QuantKind::PerChannel;
    if (per_channel_filter) {
      const uint32_t want = c.n.kind == K::DepthwiseConv2d ? w.rank - 1 : 0;
      if (w.channel_dim != want) {
        return c.fail(Error::InvalidProgram, "filter's scales are on dim %u, XNNPACK reads them on "
                      "dim %u", w.channel_dim, want);
      }
    }
    if (c.n.num_inputs >= 3 && c.n.inputs[2] != kInvalidId) {
      const Value& b = c.in(2);
      if ((b.quant == QuantKind::PerChannel) != per_channel_filter &&
          b.dtype != fb::DataType::fp32) {
        return c.fail(Error::InvalidProgram, "bias %s with filter %s: quantized per channel both "
                      "or neither", datatype_name(b.dtype), datatype_name(w.dtype));
      }
      if (b.quant == QuantKind::PerChannel && b.channel_dim != 0) {
        return c.fail(Error::InvalidProgram, "bias's scales are on dim %u, not 0", b.channel_dim);
      }
    }
  }
  return Error::Ok;
}

/// The activations (the inputs listed, every output) share one datatype,
/// fp32 or 8-bit per-tensor quantized.
Error check_activations(const Check& c, uint32_t num_activation_inputs) {
  const fb::DataType t = c.in(0).dtype;
  if (!is_activation_type(t)) {
    return c.fail(Error::NotSupported, "input has datatype %s; this node takes fp32, qint8 or "
                  "quint8 here", datatype_name(t));
  }
  for (uint32_t k = 0; k < num_activation_inputs; ++k) {
    if (c.in(k).dtype != t) {
      return c.fail(Error::InvalidProgram, "inputs have datatypes %s and %s", datatype_name(t),
                    datatype_name(c.in(k).dtype));
    }
  }
  for (uint32_t k = 0; k < c.n.num_outputs; ++k) {
    if (c.out(k).dtype != t && !(c.n.kind == K::ArgMaxPooling2d && k == 1)) {
      return c.fail(Error::InvalidProgram, "output has datatype %s, input %s",
                    datatype_name(c.out(k).dtype), datatype_name(t));
    }
  }
  return Error::Ok;
}

/// Convolution-like weights: a constant filter (and bias) of the types the
/// input's datatype calls for.
Error check_weights(const Check& c, bool per_channel_filter_ok) {
  const Value& filter = c.in(1);
  const fb::DataType t = c.in(0).dtype;
  if (!filter.is_constant || (c.n.inputs[2] != kInvalidId && !c.in(2).is_constant)) {
    return c.fail(Error::NotSupported,
                  "the filter and bias must be constants (Debian's XNNPACK packs them at init)");
  }
  const bool per_channel = per_channel_filter_ok && filter.dtype == fb::DataType::qcint8;
  const bool filter_ok =
      t == fb::DataType::fp32    ? filter.dtype == fb::DataType::fp32
      : t == fb::DataType::qint8 ? filter.dtype == fb::DataType::qint8 || per_channel
                                 : filter.dtype == fb::DataType::quint8;
  if (!filter_ok) {
    if (filter.dtype == fb::DataType::qcint8 && c.n.kind == K::FullyConnected) {
      return c.fail(Error::NotSupported, "per-channel int8 weights (qcint8): Debian's XNNPACK "
                    "(2022-02-16) has no per-channel fully-connected operator");
    }
    return c.fail(Error::InvalidProgram, "filter datatype %s does not go with input datatype %s",
                  datatype_name(filter.dtype), datatype_name(t));
  }
  if (c.n.inputs[2] != kInvalidId) {
    const fb::DataType b = c.in(2).dtype;
    const bool bias_ok = t == fb::DataType::fp32
                             ? b == fb::DataType::fp32
                             : b == fb::DataType::qint32 || b == fb::DataType::qcint32;
    if (!bias_ok) {
      return c.fail(Error::InvalidProgram, "bias datatype %s does not go with input datatype %s",
                    datatype_name(b), datatype_name(t));
    }
  }
  return Error::Ok;
}

/// Output size of a window of `kernel` (dilated) sliding by `stride` over
/// `size` padded by `pad`; 0 when the window does not fit.
uint64_t window_out(uint64_t size, uint64_t pad, uint64_t kernel, uint64_t dilation,
                    uint64_t stride) {
  const uint64_t effective = (kernel - 1) * dilation + 1;
  if (size + pad < effective) return 0;
  return (size + pad - effective) / stride + 1;
}

bool params_ok(std::initializer_list<uint64_t> positive, std::initializer_list<uint64_t> any) {
  for (uint64_t p : positive) {
    if (p == 0 || p > kMaxParam) return false;
  }
  for (uint64_t p : any) {
    if (p > kMaxParam) return false;
  }
  return true;
}

Error check_convolution(const Check& c) {
  const auto* p = static_cast<const fb::Convolution*>(c.n.fb->kind());
  const Value& x = c.in(0);
  const Value& w = c.in(1);
  const Value& y = c.out();
  EMBER_TRY(check_activations(c, 1));
  EMBER_TRY(check_weights(c, c.n.kind != K::FullyConnected));
  if (!params_ok({p->kernel_height(), p->kernel_width(), p->stride_height(), p->stride_width(),
                  p->dilation_height(), p->dilation_width(), p->groups(),
                  p->group_input_channels(), p->group_output_channels()},
                 {p->pad_top(), p->pad_bottom(), p->pad_left(), p->pad_right(),
                  p->adjustment_height(), p->adjustment_width()})) {
    return c.fail(Error::InvalidProgram, "a kernel, stride, dilation, group or padding parameter "
                  "is zero or too large");
  }
  if (x.rank != 4 || w.rank != 4 || y.rank != 4) {
    return c.fail(Error::InvalidProgram, "input, filter and output must be 4-D (NHWC)");
  }
  const uint64_t groups = p->groups(), gic = p->group_input_channels();
  const uint64_t goc = p->group_output_channels();
  const uint64_t kh = p->kernel_height(), kw = p->kernel_width();
  uint64_t oh = 0, ow = 0;
  size_t filter_dims[4] = {};
  if (c.n.kind == K::ConvTranspose2d) {
    if (p->adjustment_height() >= p->stride_height() ||
        p->adjustment_width() >= p->stride_width()) {
      return c.fail(Error::InvalidProgram, "output adjustment not below the stride");
    }
    const uint64_t full_h = p->stride_height() * (x.dims[1] - 1) + p->adjustment_height() +
                            (kh - 1) * p->dilation_height() + 1;
    const uint64_t full_w = p->stride_width() * (x.dims[2] - 1) + p->adjustment_width() +
                            (kw - 1) * p->dilation_width() + 1;
    const uint64_t pad_h = uint64_t{p->pad_top()} + p->pad_bottom();
    const uint64_t pad_w = uint64_t{p->pad_left()} + p->pad_right();
    oh = full_h > pad_h ? full_h - pad_h : 0;
    ow = full_w > pad_w ? full_w - pad_w : 0;
  } else {
    oh = window_out(x.dims[1], uint64_t{p->pad_top()} + p->pad_bottom(), kh, p->dilation_height(),
                    p->stride_height());
    ow = window_out(x.dims[2], uint64_t{p->pad_left()} + p->pad_right(), kw, p->dilation_width(),
                    p->stride_width());
  }
  if (c.n.kind == K::DepthwiseConv2d) {
    // groups = input channels, one input channel per group, goc = depth multiplier;
    // filter [1, kh, kw, channels * multiplier].
    if (gic != 1) return c.fail(Error::InvalidProgram, "depthwise with %llu input channels per "
                                "group", static_cast<unsigned long long>(gic));
    filter_dims[0] = 1;
    filter_dims[3] = static_cast<size_t>(groups * goc);
  } else {
    filter_dims[0] = static_cast<size_t>(groups * goc);
    filter_dims[3] = static_cast<size_t>(gic);
  }
  filter_dims[1] = static_cast<size_t>(kh);
  filter_dims[2] = static_cast<size_t>(kw);
  const size_t out_dims[4] = {x.dims[0], static_cast<size_t>(oh), static_cast<size_t>(ow),
                              static_cast<size_t>(groups * goc)};
  if (x.dims[3] != groups * gic) {
    return c.fail(Error::InvalidProgram, "input has %zu channels, %llu groups of %llu expected",
                  x.dims[3], static_cast<unsigned long long>(groups),
                  static_cast<unsigned long long>(gic));
  }
  if (!same_dims(w, filter_dims, 4)) {
    return c.fail(Error::InvalidProgram, "filter is [%zu, %zu, %zu, %zu], expected [%zu, %zu, "
                  "%zu, %zu]", w.dims[0], w.dims[1], w.dims[2], w.dims[3], filter_dims[0],
                  filter_dims[1], filter_dims[2], filter_dims[3]);
  }
  if (oh == 0 || ow == 0 || !same_dims(y, out_dims, 4)) {
    return c.fail(Error::InvalidProgram, "output is [%zu, %zu, %zu, %zu], the parameters give "
                  "[%zu, %zu, %zu, %zu]", y.dims[0], y.dims[1], y.dims[2], y.dims[3], out_dims[0],
                  out_dims[1], out_dims[2], out_dims[3]);
  }
  if (c.n.inputs[2] != kInvalidId && c.in(2).numel != groups * goc) {
    return c.fail(Error::InvalidProgram, "bias has %zu elements, %zu output channels",
                  c.in(2).numel, out_dims[3]);
  }
  return Error::Ok;
}

Error check_fully_connected(const Check& c) {
  EMBER_TRY(check_activations(c, 1));
  EMBER_TRY(check_weights(c, false));
  const Value& x = c.in(0);
  const Value& w = c.in(1);
  const Value& y = c.out();
  if (w.rank != 2 || x.rank < 1 || y.rank < 1) {
    return c.fail(Error::InvalidProgram, "filter must be 2-D, input and output at least 1-D");
  }
  const bool transposed = (c.n.flags & kFlagTransposeWeights) != 0;
  const size_t k = transposed ? w.dims[0] : w.dims[1];
  const size_t n = transposed ? w.dims[1] : w.dims[0];
  if (x.dims[x.rank - 1] != k || y.dims[y.rank - 1] != n || y.numel != x.numel / k * n) {
    return c.fail(Error::InvalidProgram, "input [..., %zu] by a %zu x %zu filter cannot give an "
                  "output of %zu elements ending in %zu", x.dims[x.rank - 1], w.dims[0], w.dims[1],
                  y.numel, y.dims[y.rank - 1]);
  }
  if (c.n.inputs[2] != kInvalidId && c.in(2).numel != n) {
    return c.fail(Error::InvalidProgram, "bias has %zu elements, %zu outputs", c.in(2).numel, n);
  }
  return Error::Ok;
}

Error check_pooling(const Check& c) {
  EMBER_TRY(check_activations(c, 1));
  const Value& x = c.in(0);
  const Value& y = c.out();
  if (x.rank != 4 || y.rank != 4) {
    return c.fail(Error::InvalidProgram, "input and output must be 4-D");
  }
  uint32_t ph, pw, sh, sw, dh = 1, dw = 1, pt, pb, pl, pr;
  if (c.n.kind == K::ArgMaxPooling2d) {
    const auto* p = c.n.fb->kind_as_ArgMaxPooling2d();
    ph = sh = p->pool_height();
    pw = sw = p->pool_width();
    pt = p->pad_top(); pb = p->pad_bottom(); pl = p->pad_left(); pr = p->pad_right();
  } else {
    const auto* p = static_cast<const fb::Pooling2d*>(c.n.fb->kind());
    ph = p->pool_height(); pw = p->pool_width(); sh = p->stride_height(); sw = p->stride_width();
    pt = p->pad_top(); pb = p->pad_bottom(); pl = p->pad_left(); pr = p->pad_right();
    if (c.n.kind == K::MaxPooling2d) {  // average pooling has no dilation (ExecuTorch writes 0)
      dh = p->dilation_height();
      dw = p->dilation_width();
    }
  }
  if (!params_ok({ph, pw, sh, sw, dh, dw}, {pt, pb, pl, pr})) {
    return c.fail(Error::InvalidProgram, "a pooling size, stride or dilation is zero or too large");
  }
  const size_t dims[4] = {x.dims[0],
                          static_cast<size_t>(window_out(x.dims[1], uint64_t{pt} + pb, ph, dh, sh)),
                          static_cast<size_t>(window_out(x.dims[2], uint64_t{pl} + pr, pw, dw, sw)),
                          x.dims[3]};
  if (dims[1] == 0 || dims[2] == 0 || !same_dims(y, dims, 4)) {
    return c.fail(Error::InvalidProgram, "output is [%zu, %zu, %zu, %zu], the parameters give "
                  "[%zu, %zu, %zu, %zu]", y.dims[0], y.dims[1], y.dims[2], y.dims[3], dims[0],
                  dims[1], dims[2], dims[3]);
  }
  if (c.n.kind == K::ArgMaxPooling2d) {
    const Value& idx = c.out(1);
    if (!same_shape(idx, y) || idx.dtype != fb::DataType::fp32 || idx.is_input || idx.is_output) {
      return c.fail(Error::NotSupported, "the index result must be an internal 32-bit value of "
                    "the output's shape (XNNPACK writes uint32 indices)");
    }
  }
  return Error::Ok;
}

Error check_binary(const Check& c) {
  EMBER_TRY(check_activations(c, 2));
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  const Value& y = c.out();
  const uint32_t rank = a.rank > b.rank ? a.rank : b.rank;
  size_t dims[kMaxDims] = {};
  for (uint32_t d = 0; d < rank; ++d) {  // numpy broadcasting, aligned on the last dim
    const size_t da = d + a.rank >= rank ? a.dims[d + a.rank - rank] : 1;
    const size_t db = d + b.rank >= rank ? b.dims[d + b.rank - rank] : 1;
    if (da != db && da != 1 && db != 1) {
      return c.fail(Error::InvalidProgram, "inputs do not broadcast (dim %u: %zu and %zu)", d, da,
                    db);
    }
    dims[d] = da > db ? da : db;
  }
  if (!same_dims(y, dims, rank)) {
    return c.fail(Error::InvalidProgram, "output shape is not the inputs' broadcast shape");
  }
  return Error::Ok;
}

Error check_prelu(const Check& c) {
  const Value& x = c.in(0);
  const Value& slope = c.in(1);
  if (x.dtype != fb::DataType::fp32 || slope.dtype != fb::DataType::fp32 ||
      c.out().dtype != fb::DataType::fp32) {
    return c.fail(Error::NotSupported, "Debian's XNNPACK runs PReLU in fp32 only");
  }
  if (!slope.is_constant) {
    return c.fail(Error::NotSupported, "the slope must be a constant (XNNPACK packs it at init)");
  }
  if (x.rank < 1 || slope.numel != x.dims[x.rank - 1] || !same_shape(c.out(), x)) {
    return c.fail(Error::InvalidProgram, "slope of %zu elements for input channels %zu, or the "
                  "output's shape differs from the input's", slope.numel,
                  x.rank > 0 ? x.dims[x.rank - 1] : size_t{0});
  }
  return Error::Ok;
}

Error check_convert(const Check& c) {
  const fb::DataType a = c.in(0).dtype, b = c.out().dtype;
  const bool a_float = a == fb::DataType::fp32, b_float = b == fb::DataType::fp32;
  auto narrow = [](fb::DataType t) {
    return t == fb::DataType::fp16 || t == fb::DataType::qint8 || t == fb::DataType::quint8;
  };
  const bool a_other = narrow(a), b_other = narrow(b);
  if (!((a_float && b_other) || (a_other && b_float))) {
    return c.fail(Error::NotSupported, "convert from %s to %s (this XNNPACK converts between fp32 "
                  "and fp16, qint8 or quint8)", datatype_name(a), datatype_name(b));
  }
  if (!same_shape(c.in(0), c.out())) return c.fail(Error::InvalidProgram, "shapes differ");
  return Error::Ok;
}

Error check_transpose(const Check& c) {
  const auto* t = c.n.fb->kind_as_StaticTranspose();
  const Value& x = c.in(0);
  const Value& y = c.out();
  const auto* perm = t->perm();
  if (perm == nullptr || perm->size() != x.rank || t->rank() != x.rank || y.rank != x.rank ||
      x.dtype != y.dtype) {
    return c.fail(Error::InvalidProgram, "permutation, input and output disagree in rank or type");
  }
  uint32_t seen = 0;
  for (uint32_t d = 0; d < x.rank; ++d) {
    const uint32_t p = perm->Get(d);
    if (p >= x.rank || (seen & (1u << p)) != 0 || y.dims[d] != x.dims[p]) {
      return c.fail(Error::InvalidProgram, "the permutation is invalid or the output shape is not "
                    "the permuted input shape");
    }
    seen |= 1u << p;
  }
  return Error::Ok;
}

Error check_reshape(const Check& c) {
  const auto* r = c.n.fb->kind_as_StaticReshape();
  const Value& x = c.in(0);
  const Value& y = c.out();
  const auto* shape = r->shape();
  if (shape == nullptr || shape->size() != y.rank || r->rank() != y.rank || x.numel != y.numel ||
      x.dtype != y.dtype) {
    return c.fail(Error::InvalidProgram, "new shape, input and output disagree");
  }
  for (uint32_t d = 0; d < y.rank; ++d) {  // 0 marks the one inferred dim
    if (shape->Get(d) != 0 && shape->Get(d) != y.dims[d]) {
      return c.fail(Error::InvalidProgram, "new shape dim %u is %u, the output's %zu", d,
                    shape->Get(d), y.dims[d]);
    }
  }
  return Error::Ok;
}

Error check_pad(const Check& c) {
  const auto* p = c.n.fb->kind_as_StaticConstantPad();
  const Value& x = c.in(0);
  const Value& y = c.out();
  const auto* pre = p->pad_before();
  const auto* post = p->pad_after();
  if (pre == nullptr || post == nullptr || pre->size() != x.rank || post->size() != x.rank ||
      y.rank != x.rank || x.dtype != y.dtype || !std::isfinite(p->value())) {
    return c.fail(Error::InvalidProgram, "paddings, input and output disagree");
  }
  for (uint32_t d = 0; d < x.rank; ++d) {
    if (pre->Get(d) > kMaxParam || post->Get(d) > kMaxParam ||
        y.dims[d] != x.dims[d] + pre->Get(d) + post->Get(d)) {
      return c.fail(Error::InvalidProgram, "output dim %u is %zu, input %zu padded by %u and %u", d,
                    y.dims[d], x.dims[d], pre->Get(d), post->Get(d));
    }
  }
  return check_activations(c, 1);
}

Error check_resize(const Check& c) {
  const auto* r = c.n.fb->kind_as_StaticResizeBilinear2d();
  const Value& x = c.in(0);
  const Value& y = c.out();
  EMBER_TRY(check_activations(c, 1));
  if (x.rank != 4) return c.fail(Error::InvalidProgram, "input must be 4-D (NHWC)");
  const size_t dims[4] = {x.dims[0], r->height(), r->width(), x.dims[3]};
  if (r->height() == 0 || r->width() == 0 || r->height() > kMaxParam || r->width() > kMaxParam ||
      !same_dims(y, dims, 4)) {
    return c.fail(Error::InvalidProgram, "output is not [N, %u, %u, C]", r->height(), r->width());
  }
  return Error::Ok;
}

Error check_global_pooling(const Check& c) {
  EMBER_TRY(check_activations(c, 1));
  const Value& x = c.in(0);
  const Value& y = c.out();
  const size_t dims4[4] = {x.rank == 4 ? x.dims[0] : 0, 1, 1, x.rank == 4 ? x.dims[3] : 0};
  const size_t dims2[2] = {dims4[0], dims4[3]};
  if (x.rank != 4 || !(same_dims(y, dims4, 4) || same_dims(y, dims2, 2))) {
    return c.fail(Error::InvalidProgram, "input must be [N, H, W, C] and output [N, 1, 1, C]");
  }
  return Error::Ok;
}

Error check_unary(const Check& c) {
  EMBER_TRY(check_activations(c, 1));
  if (!same_shape(c.in(0), c.out())) {
    return c.fail(Error::InvalidProgram, "output shape differs from the input's");
  }
  if (c.n.kind == K::Softmax && c.in(0).rank == 0) {
    return c.fail(Error::InvalidProgram, "softmax of a 0-d value");
  }
  if (c.n.kind == K::LeakyRelu && !std::isfinite(c.n.fb->kind_as_LeakyRelu()->negative_slope())) {
    return c.fail(Error::InvalidProgram, "negative slope is not finite");
  }
  if (c.n.kind == K::Elu && !std::isfinite(c.n.fb->kind_as_Elu()->alpha())) {
    return c.fail(Error::InvalidProgram, "alpha is not finite");
  }
  return Error::Ok;
}

/// Flags each kind may carry (XNNPACK's, in the 2022 meaning; KEEP_DIMS
/// only where the 2022 output shape is the same).
uint32_t allowed_flags(K kind) {
  switch (kind) {
    case K::FullyConnected: return kFlagTransposeWeights;
    case K::StaticResizeBilinear2d: return kFlagAlignCorners | kFlagLegacyResize;
    case K::AvgPooling2d: case K::MaxPooling2d: case K::GlobalAvgPooling2d: return kFlagKeepDims;
    default: return 0;
  }
}

bool takes_clamp(K kind) {
  switch (kind) {
    case K::Add: case K::Subtract: case K::Multiply: case K::Divide: case K::Conv2d:
    case K::DepthwiseConv2d: case K::ConvTranspose2d: case K::FullyConnected: case K::Clamp:
    case K::AvgPooling2d: case K::MaxPooling2d: case K::GlobalAvgPooling2d: return true;
    default: return false;
  }
}

Error check_node(const Check& c) {
  const Node& n = c.n;
  for (uint32_t k = 0; k < n.num_inputs; ++k) {  // only a bias may be absent
    const bool optional = k == 2 && (n.kind == K::FullyConnected || n.kind == K::Conv2d ||
                                     n.kind == K::DepthwiseConv2d || n.kind == K::ConvTranspose2d);
    if (n.inputs[k] == kInvalidId && !optional) {
      return c.fail(Error::InvalidProgram, "operand %u is missing", k);
    }
  }
  if ((n.flags & ~allowed_flags(n.kind)) != 0) {
    return c.fail(Error::NotSupported, "flags 0x%x are not supported here", n.flags);
  }
  if (n.has_clamp && !takes_clamp(n.kind) &&
      (n.output_min != -INFINITY || n.output_max != INFINITY)) {
    return c.fail(Error::InvalidProgram, "this node kind takes no output clamp");
  }
  EMBER_TRY(check_operand_types(c));
  EMBER_TRY(check_quantization(c));
  switch (n.kind) {
    case K::Conv2d: case K::DepthwiseConv2d: case K::ConvTranspose2d: return check_convolution(c);
    case K::FullyConnected: return check_fully_connected(c);
    case K::AvgPooling2d: case K::MaxPooling2d: case K::ArgMaxPooling2d: return check_pooling(c);
    case K::Add: case K::Subtract: case K::Multiply: case K::Divide: case K::Minimum:
    case K::Maximum: return check_binary(c);
    case K::Prelu: return check_prelu(c);
    case K::Convert: return check_convert(c);
    case K::StaticTranspose: return check_transpose(c);
    case K::StaticReshape: return check_reshape(c);
    case K::StaticConstantPad: return check_pad(c);
    case K::StaticResizeBilinear2d: return check_resize(c);
    case K::GlobalAvgPooling2d: return check_global_pooling(c);
    case K::Softmax: case K::Sigmoid: case K::Clamp: case K::Floor: case K::SquareRoot:
    case K::Ceiling: case K::Hardswish: case K::Negate: case K::Square: case K::Abs:
    case K::LeakyRelu: case K::Elu: return check_unary(c);
    default: return c.fail(Error::NotSupported, "no check for this kind");
  }
}

}  // namespace

Error check_nodes(const Graph& graph) {
  for (uint32_t i = 0; i < graph.num_nodes; ++i) {
    EMBER_TRY(check_node(Check{graph, graph.nodes[i], i}));
  }
  return Error::Ok;
}

}  // namespace xnnpack
}  // namespace ember
