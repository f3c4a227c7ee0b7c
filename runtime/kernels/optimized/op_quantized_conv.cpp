// ember::quantized_convolution.out over int8 / uint8 NCHW (or NCL) input, and
// ember::quantized_convolution_nhwc.out over channels-last [N, H, W, C] input
// (out [N, OH, OW, OC]; steps 1 and 3's transposes fall away, the GEMM writes
// out's pixel rows in place, and depthwise runs simd_qwindow.h's channel-vector
// rows),
// int8 weights [OC, IC / groups, KH, KW] with per-channel or per-tensor
// scales, float32 bias, requantized to an int8 / uint8 out:
//   depthwise (groups == IC == OC): per (image, channel) plane, this CPU's
//     vector plane (simd_qwindow.h: int16 tap pairs, int32 lanes), or for
//     the planes it declines a direct integer loop, output columns in
//     blocks of int32 accumulators; both requantize with quant::Requant's
//     steps, as ember_qgemm's epilogue does; planes split over the pool;
//   everything else on ember_qgemm, per group:
//     1. the input is transposed once to NHWC (run_transpose, threaded);
//     2. for a chunk of output pixels, A = im2col^T [pixels, KH * KW * in_cg]:
//        each kernel row's taps one memcpy from the NHWC image where they lie
//        inside it, else each tap's in_cg channels (the input zero point
//        where the tap falls in the padding); a 1x1 stride-1
//        unpadded convolution reads the NHWC image in place (lda = IC);
//     3. qgemm with the requantizing epilogue into a [pixels, out_cg] tile,
//        transposed into out's channel planes (transpose_bytes' 16x16 blocks).
//   The weight of each group is packed once at load with its taps reordered
//   to (ki, kj, ic), the order step 2 writes (prepare_quantized_convolution),
//   so no call reads the file's int8 weight again; without a state the call
//   reorders and packs it into scratch memory. Scratch (NHWC copy, columns,
//   tile, GEMM workspace) is the context's temp memory, chunks shrinking to
//   what it holds; too little for the smallest chunk, or anything off these
//   paths (ranks, layouts, dtypes, parameters), goes to the portable kernel.
#include <algorithm>
#include <cstring>
#include <new>

#include "runtime/kernels/common/transpose.h"
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/op_quantized.h"
#include "runtime/kernels/optimized/im2col_nhwc.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/convolution.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

/// A call on the fast path: 1-d lifted to 2-d (k_h = 1, in_h = out_h = 1).
struct QConv {
  portable::ConvShape s{};
  const Tensor* input = nullptr;
  const Tensor* weight = nullptr;
  const float* scales = nullptr;
  const float* bias = nullptr;
  Tensor* out = nullptr;
  qgemm::Activation a;
  qgemm::QEpilogue e;
  bool per_channel = true;
  bool nhwc = false;       ///< quantized_convolution_nhwc: input [N, H, W, C], out [N, OH, OW, OC]
  double out_scale = 1.0;  ///< as given (the GEMM's epilogue takes it as a float)
  int64_t out_sizes[4] = {};
};

/// Largest stride, padding or dilation the fast path takes (keeps every
/// index computation far from overflow; torch has no larger ones in practice).
constexpr int64_t kMaxParam = int64_t{1} << 20;

/// One spatial dim: the output extent, or -1 when the parameters are off the path.
int64_t out_extent(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
  if (stride < 1 || stride > kMaxParam || dil < 1 || dil > kMaxParam || pad < 0 ||
      pad > kMaxParam) {
    return -1;
  }
  const int64_t span = dil * (k - 1) + 1;
  if (in + 2 * pad < span) return -1;
  return (in + 2 * pad - span) / stride + 1;
}

/// Reads convolution.out's arguments onto the fast path; false for anything
/// else (nothing failed: the portable kernel gets the call).
bool read_conv(Span<EValue*> args, bool nhwc, QConv* c) {
  // (input, input_scale, input_zero_point, weight, weight_scales, bias, stride,
  //  padding, dilation, groups, output_scale, output_zero_point, quant_min,
  //  quant_max, out) -> out
  quant::Peek p(args, 16);
  c->input = p.tensor(0);
  const double in_scale = p.real(1);
  const int64_t in_zp = p.integer(2);
  c->weight = p.tensor(3);
  const Tensor* scales = p.tensor(4);
  const Tensor* bias = p.optional_tensor(5);
  const Span<const int64_t> stride = p.ints(6), padding = p.ints(7), dilation = p.ints(8);
  const int64_t groups = p.integer(9);
  const double out_scale = p.real(10);
  const int64_t out_zp = p.integer(11), qmin = p.integer(12), qmax = p.integer(13);
  c->out = p.tensor(14);
  if (!p.ok()) return false;
  const Tensor& x = *c->input;
  const Tensor& w = *c->weight;
  const int rank = x.dim();
  const size_t spatial = static_cast<size_t>(rank - 2);
  const int c_dim = nhwc ? 3 : 1;
  if ((rank != 3 && rank != 4) || (nhwc && rank != 4) || !x.is_contiguous_order() ||
      !quant::is_int8_weight(w, rank) ||
      stride.size() != spatial || padding.size() != spatial || dilation.size() != spatial ||
      groups < 1 || groups > w.size(0) || w.size(0) % groups != 0 ||
      x.size(c_dim) != w.size(1) * groups ||
      !quant::read_activation(x, in_scale, in_zp, &c->a) ||
      !quant::read_output(*c->out, out_scale, out_zp, qmin, qmax, &c->e) ||
      !quant::read_weight_scales(*scales, w.size(0), &c->per_channel) ||
      !quant::read_bias(bias, w.size(0))) {
    return false;
  }
  portable::ConvShape& s = c->s;
  const bool one_d = rank == 3;
  s.n = x.size(0);
  s.in_c = x.size(c_dim);
  s.in_h = one_d ? 1 : x.size(nhwc ? 1 : 2);
  s.in_w = x.size(nhwc ? 2 : rank - 1);
  s.out_c = w.size(0);
  s.k_h = one_d ? 1 : w.size(2);
  s.k_w = w.size(rank - 1);
  s.stride_h = one_d ? 1 : stride[0];
  s.stride_w = stride[spatial - 1];
  s.pad_h = one_d ? 0 : padding[0];
  s.pad_w = padding[spatial - 1];
  s.dil_h = one_d ? 1 : dilation[0];
  s.dil_w = dilation[spatial - 1];
  s.groups = groups;
  s.in_cg = s.in_c / groups;
  s.out_cg = s.out_c / groups;
  s.out_h = out_extent(s.in_h, s.k_h, s.stride_h, s.pad_h, s.dil_h);
  s.out_w = out_extent(s.in_w, s.k_w, s.stride_w, s.pad_w, s.dil_w);
  if (s.out_h < 0 || s.out_w < 0) return false;
  c->out_scale = out_scale;
  c->scales = scales->data_as<const float>();
  c->bias = bias != nullptr ? bias->data_as<const float>() : nullptr;
  c->nhwc = nhwc;
  c->out_sizes[0] = s.n;
  if (nhwc) {
    c->out_sizes[1] = s.out_h;
    c->out_sizes[2] = s.out_w;
    c->out_sizes[3] = s.out_c;
  } else {
    c->out_sizes[1] = s.out_c;
    c->out_sizes[2] = one_d ? s.out_w : s.out_h;
    c->out_sizes[3] = s.out_w;
  }
  return true;
}

// ---- depthwise

/// The call's window, as the int8 window kernels take it.
WindowShape window_of(const portable::ConvShape& s) {
  return WindowShape{s.in_h,     s.in_w,     s.out_h, s.out_w, s.k_h,  s.k_w,
                     s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w};
}

/// The depthwise kernels' input zero point and requantization (per-channel
/// scale and bias left to the caller).
QDepthwiseParams depthwise_params(const QConv& c) {
  QDepthwiseParams q =
      quant::Requant(c.out_scale, c.e.out_zero_point, c.e.qmin, c.e.qmax).window_params();
  q.in_zero_point = c.a.zero_point;
  q.in_unsigned = c.input->dtype() == ScalarType::Byte;
  return q;
}

/// Output columns per block of int32 accumulators.
constexpr int64_t kBlock = 128;

/// One (image, channel) plane: y = requant(sum_taps (x - zp) * w * scale + bias).
template <typename In, typename Out>
void depthwise_plane(const portable::ConvShape& s, const In* x, const int8_t* w, int32_t zp,
                     float scale, float bias, const quant::Requant& rq, Out* y) {
  int32_t acc[kBlock];
  for (int64_t oh = 0; oh < s.out_h; ++oh) {
    for (int64_t ow0 = 0; ow0 < s.out_w; ow0 += kBlock) {
      const int64_t bw = s.out_w - ow0 < kBlock ? s.out_w - ow0 : kBlock;
      for (int64_t j = 0; j < bw; ++j) acc[j] = 0;
      for (int64_t ki = 0; ki < s.k_h; ++ki) {
        const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
        if (ih < 0 || ih >= s.in_h) continue;  // padding: (zp - zp) * w adds 0
        const In* row = x + ih * s.in_w;
        for (int64_t kj = 0; kj < s.k_w; ++kj) {
          const int32_t wv = w[ki * s.k_w + kj];
          const int64_t base = ow0 * s.stride_w + kj * s.dil_w - s.pad_w;  // column of j = 0
          int64_t lo = 0, hi = 0;  // block columns whose tap lands inside the row
          portable::valid_range(base, s.stride_w, s.in_w, bw, &lo, &hi);
          if (wv == 0 || lo >= hi) continue;
          // |(x - zp) * w| <= 255 * 128 fits int16: 16-bit multiplies, 32-bit sums.
          const int16_t w16 = static_cast<int16_t>(wv), zp16 = static_cast<int16_t>(zp);
          if (s.stride_w == 1) {
            const In* src = row + base + lo;
            int32_t* a = acc + lo;
            for (int64_t j = 0; j < hi - lo; ++j) {
              a[j] += static_cast<int16_t>((static_cast<int16_t>(src[j]) - zp16) * w16);
            }
          } else {
            for (int64_t j = lo; j < hi; ++j) {
              acc[j] += static_cast<int16_t>(
                  (static_cast<int16_t>(row[base + j * s.stride_w]) - zp16) * w16);
            }
          }
        }
      }
      Out* dst = y + oh * s.out_w + ow0;
      for (int64_t j = 0; j < bw; ++j) {
        dst[j] = static_cast<Out>(static_cast<int32_t>(rq(static_cast<float>(acc[j]) * scale + bias)));
      }
    }
  }
}

template <typename In, typename Out>
void depthwise(const QConv& c) {
  const portable::ConvShape& s = c.s;
  const In* in = c.input->data_as<const In>();
  Out* out = c.out->data_as<Out>();
  const int8_t* w = c.weight->data_as<const int8_t>();
  const quant::Requant rq(c.out_scale, c.e.out_zero_point, c.e.qmin, c.e.qmax);
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w, taps = s.k_h * s.k_w;
  const WindowShape ws = window_of(s);
  const QDepthwiseParams q = depthwise_params(c);
  const QWindowKernels& kernels = qwindow();
  parallel_rows(s.n * s.out_c, out_plane * taps, [&](int64_t plane) {
    const int64_t ch = plane % s.out_c;
    QDepthwiseParams p = q;
    p.scale = c.a.scale * c.scales[c.per_channel ? ch : 0];
    p.bias = c.bias != nullptr ? c.bias[ch] : 0.0f;
    // The vector plane of this CPU's instruction set; the plain loop for
    // the planes it declines (too wide, kernels over 16 x 32).
    if (kernels.depthwise_plane(ws, in + plane * in_plane, w + ch * taps, p,
                                out + plane * out_plane)) {
      return;
    }
    depthwise_plane(s, in + plane * in_plane, w + ch * taps, c.a.zero_point, p.scale, p.bias, rq,
                    out + plane * out_plane);
  });
}

/// A depthwise weight [C, 1, KH, KW] in the forms the channels-last rows
/// read (QDepthwiseNhwc): int32 [taps][C], the pairs, each channel's weight
/// sum and, for C >= 16, the quads and their lanes' sums. Built once at load
/// (prepare_quantized_convolution) or, without that, in each call's temp
/// memory; `bytes()` is one buffer's size, each part 64-byte aligned.
struct DepthwiseForms {
  int64_t taps, ch, pairs, blocks, quads;
  size_t w32, wp, sums, wq, quad_sums, end;  ///< byte offsets of the parts, and the size

  DepthwiseForms(int64_t taps_, int64_t ch_)
      : taps(taps_), ch(ch_), pairs((taps_ + 1) / 2), blocks(quad_blocks(ch_)),
        quads((taps_ + 3) / 4) {
    const auto up = [](size_t n) { return (n + 63) / 64 * 64; };
    w32 = 0;
    wp = w32 + up(static_cast<size_t>(taps * ch) * 4);
    sums = wp + up(static_cast<size_t>(pairs * ch) * 4);
    wq = sums + up(static_cast<size_t>(ch) * 4);
    quad_sums = wq + static_cast<size_t>(blocks * quads) * 256;
    end = quad_sums + static_cast<size_t>(blocks) * 256;
  }
  size_t bytes() const { return end; }

  /// Fills `dst` (bytes(), 64-byte aligned) from the weight w.
  void fill(const int8_t* w, uint8_t* dst) const {
    auto* w32p = reinterpret_cast<int32_t*>(dst + w32);
    auto* wpp = reinterpret_cast<int32_t*>(dst + wp);
    auto* sump = reinterpret_cast<int32_t*>(dst + sums);
    for (int64_t k = 0; k < ch; ++k) {
      int32_t sum = 0;
      for (int64_t t = 0; t < taps; ++t) {
        w32p[t * ch + k] = w[k * taps + t];
        sum += w[k * taps + t];
      }
      for (int64_t t = 0; t < pairs; ++t) {
        const auto lo = static_cast<uint16_t>(static_cast<int16_t>(w[k * taps + 2 * t]));
        const auto hi = 2 * t + 1 < taps
                            ? static_cast<uint16_t>(static_cast<int16_t>(w[k * taps + 2 * t + 1]))
                            : uint16_t{0};
        wpp[t * ch + k] = static_cast<int32_t>(static_cast<uint32_t>(lo) | uint32_t{hi} << 16);
      }
      sump[k] = sum;
    }
    auto* wqp = reinterpret_cast<int8_t*>(dst + wq);
    auto* qsum = reinterpret_cast<int32_t*>(dst + quad_sums);
    for (int64_t i = 0; i < blocks * 64; ++i) {  // lane i: vector i / 16 % 4 of block i / 64
      const int64_t b = i / 64, k = i / 16 % 4, l = i % 16, chan = quad_lane_channel(ch, i);
      for (int64_t t = 0; t < 4 * quads; ++t) {
        wqp[((b * quads + t / 4) * 4 + k) * 64 + 4 * l + t % 4] =
            t < taps ? w[chan * taps + t] : int8_t{0};
      }
      qsum[i] = sump[chan];
    }
  }
};

/// pack_depthwise_forms's context: the weight and its forms' geometry.
struct PackDepthwise {
  const int8_t* weight;
  DepthwiseForms forms;
};
Error pack_depthwise_forms(const void* context, int64_t, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackDepthwise*>(context);
  if (bytes < p->forms.bytes()) return Error::InvalidArgument;
  p->forms.fill(p->weight, static_cast<uint8_t*>(dst));
  return Error::Ok;
}

/// The channels-last depthwise convolution: the weight's forms (prepared at
/// load, else built in temp memory), the per-channel scales, biases and
/// zero-point sums, and the taps' offsets in temp memory, output rows split
/// over the pool. False when temp memory is too small.
bool depthwise_nhwc(KernelContext& ctx, const QConv& c) {
  const portable::ConvShape& s = c.s;
  const int64_t taps = s.k_h * s.k_w, ch = s.out_c;
  const DepthwiseForms f(taps, ch);
  ctx.reset_temp();
  const Prepacked* state = prepacked_for(ctx, c.weight->data());
  const uint8_t* forms = nullptr;
  if (state != nullptr && state->parts == 1 && state->part_bytes >= f.bytes()) {
    forms = static_cast<const uint8_t*>(state->part(0));
  } else {
    auto* built = static_cast<uint8_t*>(ctx.allocate_temp(f.bytes(), 64));
    if (built == nullptr) return false;
    f.fill(c.weight->data_as<const int8_t>(), built);
    forms = built;
  }
  // Folding the zero point into one product per channel keeps the sums
  // exact while sum |x| * |w| fits int32: |x| <= 255, |w| <= 128.
  const bool fold = taps <= 4096;
  const QWindowKernels& kernels = qwindow();
  const bool quads = fold && kernels.depthwise_quads && f.blocks > 0;
  const int64_t lanes = f.blocks * 64;
  const auto temp_offsets = [&](int64_t count) {
    return static_cast<int64_t*>(ctx.allocate_temp(static_cast<size_t>(count) * 8, 64));
  };
  int64_t* offsets = temp_offsets(2 * f.pairs);
  int64_t* quad_offsets = temp_offsets(4 * f.quads);
  auto* zp_row = static_cast<uint8_t*>(ctx.allocate_temp(static_cast<size_t>(ch), 64));
  auto* scale = static_cast<float*>(ctx.allocate_temp(static_cast<size_t>(ch + 2 * lanes) * 4, 64));
  auto* zp_sum = static_cast<int32_t*>(ctx.allocate_temp(static_cast<size_t>(ch + lanes) * 4, 64));
  auto* bias = static_cast<float*>(ctx.allocate_temp(static_cast<size_t>(ch) * 4, 64));
  if (offsets == nullptr || quad_offsets == nullptr || zp_row == nullptr || scale == nullptr ||
      zp_sum == nullptr || bias == nullptr) {
    return false;
  }
  const auto tap_offset = [&](int64_t t) {
    const int64_t tap = t < taps ? t : taps - 1;  // past the last tap, the last (weight 0)
    return ((tap / s.k_w) * s.dil_h * s.in_w + (tap % s.k_w) * s.dil_w) * ch;
  };
  for (int64_t t = 0; t < 2 * f.pairs; ++t) offsets[t] = tap_offset(t);
  for (int64_t t = 0; t < 4 * f.quads; ++t) quad_offsets[t] = tap_offset(t);
  const auto* sums = reinterpret_cast<const int32_t*>(forms + f.sums);
  for (int64_t k = 0; k < ch; ++k) {
    zp_sum[k] = c.a.zero_point * sums[k];
    scale[k] = c.a.scale * c.scales[c.per_channel ? k : 0];
    bias[k] = c.bias != nullptr ? c.bias[k] : 0.0f;
  }
  QDepthwiseNhwc p{};
  if (quads) {
    // int8 input goes in as x + 128 (QDepthwiseNhwc::quad_zp_sum).
    const int32_t shift = c.a.zero_point + (c.input->dtype() == ScalarType::Byte ? 0 : 128);
    const auto* quad_sums = reinterpret_cast<const int32_t*>(forms + f.quad_sums);
    float* quad_scale = scale + ch;
    float* quad_bias = quad_scale + lanes;
    int32_t* quad_zp = zp_sum + ch;
    for (int64_t i = 0; i < lanes; ++i) {
      const int64_t chan = quad_lane_channel(ch, i);
      quad_scale[i] = scale[chan];
      quad_bias[i] = bias[chan];
      quad_zp[i] = shift * quad_sums[i];
    }
    p.weight_quads = reinterpret_cast<const int8_t*>(forms + f.wq);
    std::memset(zp_row, static_cast<uint8_t>(c.a.zero_point), static_cast<size_t>(ch));
    p.zp_row = zp_row;
    p.quad_offsets = quad_offsets;
    p.quad_scale = quad_scale;
    p.quad_bias = quad_bias;
    p.quad_zp_sum = quad_zp;
  }
  p.s = window_of(s);
  p.channels = ch;
  p.weight = reinterpret_cast<const int32_t*>(forms + f.w32);
  p.weight_pairs = reinterpret_cast<const int32_t*>(forms + f.wp);
  p.pair_offsets = offsets;
  p.scale = scale;
  p.bias = bias;
  p.zp_sum = fold ? zp_sum : nullptr;
  p.q = depthwise_params(c);
  p.out_unsigned = c.out->dtype() == ScalarType::Byte;
  const auto* in = c.input->data_as<const uint8_t>();
  auto* out = c.out->data_as<uint8_t>();
  const int64_t in_image = s.in_h * s.in_w * ch, out_image = s.out_h * s.out_w * ch;
  parallel_rows(s.n * s.out_h, s.out_w * ch * taps, [&](int64_t row) {
    const int64_t b = row / s.out_h, oh = row % s.out_h;
    kernels.depthwise_nhwc_rows(p, in + b * in_image, oh, oh + 1, out + b * out_image);
  });
  return true;
}

template <typename In>
void depthwise_in(const QConv& c) {
  if (c.out->dtype() == ScalarType::Byte) {
    depthwise<In, uint8_t>(c);
  } else {
    depthwise<In, int8_t>(c);
  }
}

// ---- GEMM

/// Group g's weight [out_cg, in_cg, kh, kw] as rows [out_cg, (ki, kj, ic)].
void reorder_group(const portable::ConvShape& s, const int8_t* w, int64_t g, int8_t* dst) {
  const int64_t taps = s.k_h * s.k_w, k = s.in_cg * taps;
  for (int64_t oc = 0; oc < s.out_cg; ++oc) {
    const int8_t* src = w + (g * s.out_cg + oc) * k;
    int8_t* row = dst + oc * k;
    for (int64_t ic = 0; ic < s.in_cg; ++ic) {
      for (int64_t t = 0; t < taps; ++t) row[t * s.in_cg + ic] = src[ic * taps + t];
    }
  }
}

/// Packs group i of a convolution weight (a PackPart); `scratch` holds one
/// reordered group.
struct PackConv {
  portable::ConvShape s;
  const int8_t* weight;
  int8_t* scratch;
};
Error pack_conv_part(const void* context, int64_t g, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackConv*>(context);
  const int64_t k = p->s.in_cg * p->s.k_h * p->s.k_w;
  reorder_group(p->s, p->weight, g, p->scratch);
  return qgemm::pack_qb(p->scratch, k, p->s.out_cg, k, dst, bytes);
}

/// Output pixels per chunk for a column buffer of about `bytes` (k bytes a
/// pixel, plus its out_cg bytes of tile).
int64_t chunk_pixels(int64_t k, int64_t out_cg, int64_t pixels, int64_t bytes) {
  int64_t chunk = bytes / (k + out_cg);
  chunk = chunk < 16 ? 16 : chunk;
  return chunk > pixels ? pixels : chunk;
}

constexpr int64_t kColumnBytes[] = {int64_t{4} << 20, int64_t{1} << 20, int64_t{256} << 10,
                                    int64_t{32} << 10};

/// Scratch of a GEMM convolution: false if the context holds too little.
struct GemmScratch {
  uint8_t* nhwc = nullptr;    ///< the whole input, NHWC (nullptr: the input is already)
  int8_t* reordered = nullptr;  ///< one group's reordered weight (unprepared calls)
  void* packed = nullptr;       ///< one group's packed weight (unprepared calls)
  uint8_t* col = nullptr;     ///< chunk x k (nullptr: A read in place)
  uint8_t* tile = nullptr;    ///< chunk x out_cg
  void* ws = nullptr;
  size_t ws_bytes = 0, packed_bytes = 0;
  int64_t chunk = 0;
};

bool allocate_scratch(KernelContext& ctx, const portable::ConvShape& s, bool prepared,
                      bool in_place, bool channels_last, GemmScratch* m) {
  const int64_t k = s.in_cg * s.k_h * s.k_w, pixels = s.out_h * s.out_w;
  const bool nhwc_needed = !channels_last && s.in_c > 1 && s.in_h * s.in_w > 1;
  for (int64_t bytes : kColumnBytes) {
    ctx.reset_temp();
    *m = GemmScratch{};
    m->chunk = chunk_pixels(in_place ? 0 : k, s.out_cg, pixels, bytes);
    if (nhwc_needed && (m->nhwc = static_cast<uint8_t*>(ctx.allocate_temp(
                            static_cast<size_t>(s.n * s.in_c * s.in_h * s.in_w), 64))) == nullptr) {
      break;  // smaller chunks do not help
    }
    if (!prepared) {
      m->packed_bytes = qgemm::packed_qb_bytes(k, s.out_cg);
      m->reordered = static_cast<int8_t*>(ctx.allocate_temp(static_cast<size_t>(s.out_cg * k), 64));
      m->packed = ctx.allocate_temp(m->packed_bytes, 64);
      if (m->reordered == nullptr || m->packed == nullptr) break;
    }
    m->col = in_place ? nullptr
                      : static_cast<uint8_t*>(ctx.allocate_temp(static_cast<size_t>(m->chunk * k), 64));
    // Channels-last output: the GEMM writes out's rows in place.
    m->tile = channels_last ? nullptr
                            : static_cast<uint8_t*>(
                                  ctx.allocate_temp(static_cast<size_t>(m->chunk * s.out_cg), 64));
    if ((in_place || m->col != nullptr) && (channels_last || m->tile != nullptr) &&
        (m->ws = quant::qgemm_workspace(ctx, m->chunk, s.out_cg, k, &m->ws_bytes)) != nullptr) {
      return true;
    }
  }
  ctx.reset_temp();
  return false;
}

/// The GEMM convolution; false (nothing written) when the scratch memory is
/// too small, so that the caller hands the call to the portable kernel.
bool gemm_convolution(KernelContext& ctx, const QConv& c) {
  const portable::ConvShape& s = c.s;
  const int64_t k = s.in_cg * s.k_h * s.k_w, pixels = s.out_h * s.out_w;
  const int64_t in_image = s.in_c * s.in_h * s.in_w;
  const Prepacked* state = prepacked_for(ctx, c.weight->data());
  if (state != nullptr && state->parts != s.groups) state = nullptr;
  const bool in_place = s.k_h == 1 && s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                        s.pad_h == 0 && s.pad_w == 0;
  GemmScratch m;
  if (!allocate_scratch(ctx, s, state != nullptr, in_place, c.nhwc, &m)) return false;
  // 1. NHWC input.
  const uint8_t* nhwc = c.input->data_as<const uint8_t>();
  if (m.nhwc != nullptr) {
    const size_t dims[3] = {static_cast<size_t>(s.n), static_cast<size_t>(s.in_c),
                            static_cast<size_t>(s.in_h * s.in_w)};
    const uint32_t perm[3] = {0, 2, 1};
    run_transpose(plan_transpose(dims, 3, perm, 1), nhwc, m.nhwc);
    nhwc = m.nhwc;
  }
  const uint8_t pad = static_cast<uint8_t>(c.a.zero_point);
  uint8_t* out = c.out->data_as<uint8_t>();
  for (int64_t g = 0; g < s.groups; ++g) {
    qgemm::Weight w;
    w.per_channel = c.per_channel;
    w.scales = c.scales + (c.per_channel ? g * s.out_cg : 0);
    if (state != nullptr) {
      w.packed = state->part(g);
    } else {
      reorder_group(s, c.weight->data_as<const int8_t>(), g, m.reordered);
      const Error e = qgemm::pack_qb(m.reordered, k, s.out_cg, k, m.packed, m.packed_bytes);
      if (e != Error::Ok) {
        kernel_fail(ctx, Error::Internal, "ember::quantized_convolution.out",
                    "pack_qb failed (%s)", error_name(e));
        return true;
      }
      w.packed = m.packed;
    }
    qgemm::QEpilogue e = c.e;
    e.bias = c.bias != nullptr ? c.bias + g * s.out_cg : nullptr;
    for (int64_t b = 0; b < s.n; ++b) {
      const uint8_t* image = nhwc + b * in_image;
      for (int64_t p0 = 0; p0 < pixels; p0 += m.chunk) {
        const int64_t count = pixels - p0 < m.chunk ? pixels - p0 : m.chunk;
        // 2. A: the chunk's im2col rows, or the NHWC pixels in place.
        qgemm::Activation a = c.a;
        if (in_place) {
          a.data = image + p0 * s.in_c + g * s.in_cg;
          a.lda = s.in_c;
        } else {
          parallel_for(count, 1 + kElementwiseGrain / (k > 0 ? k : 1), [&](int64_t r0, int64_t r1) {
            im2col_nhwc_rows(s, image, g, p0, r0, r1, pad, m.col);
          });
          a.data = m.col;
          a.lda = k;
        }
        // 3. The tile [count, out_cg], then into the channel planes; or,
        // channels-last, the rows of out's pixels directly.
        uint8_t* rows = c.nhwc ? out + (b * pixels + p0) * s.out_c + g * s.out_cg : m.tile;
        const Error err = qgemm::qgemm(count, s.out_cg, k, a, w, rows,
                                       c.nhwc ? s.out_c : s.out_cg, e, m.ws, m.ws_bytes);
        if (err != Error::Ok) {
          kernel_fail(ctx, Error::Internal, "ember::quantized_convolution.out",
                      "qgemm failed (%s)", error_name(err));
          return true;
        }
        if (c.nhwc) continue;
        uint8_t* dst = out + (b * s.out_c + g * s.out_cg) * pixels + p0;
        parallel_for(s.out_cg, 1 + kElementwiseGrain / count, [&](int64_t oc0, int64_t oc1) {
          transpose_bytes(m.tile + oc0, static_cast<size_t>(count), static_cast<size_t>(oc1 - oc0),
                          static_cast<size_t>(s.out_cg), dst + oc0 * pixels,
                          static_cast<size_t>(pixels));
        });
      }
    }
  }
  return true;
}

}  // namespace

void* prepare_quantized_convolution(Span<EValue* const> args, Span<const bool> constant,
                                    Span<bool> packed) {
  // A constant weight: packed into the GEMM's panels, or a depthwise one's forms.
  if (args.size() != 16 || constant.size() < 4 || !constant[3] || !args[0]->is_tensor() ||
      !args[3]->is_tensor() || !args[9]->is_int()) {
    return nullptr;
  }
  const Tensor& x = args[0]->to_tensor();
  const Tensor& w = args[3]->to_tensor();
  const int rank = x.dim();
  const int64_t groups = args[9]->to_int();
  if ((rank != 3 && rank != 4) || !quant::is_int8_weight(w, rank) || groups < 1 ||
      groups > w.size(0) || w.size(0) % groups != 0) {
    return nullptr;
  }
  PackConv context{};
  portable::ConvShape& s = context.s;
  s.k_h = rank == 4 ? w.size(2) : 1;
  s.k_w = w.size(rank - 1);
  s.in_cg = w.size(1);
  s.out_cg = w.size(0) / groups;
  const int64_t k = s.in_cg * s.k_h * s.k_w;
  if (k > qgemm::kMaxDepth) return nullptr;
  if (s.in_cg == 1 && s.out_cg == 1) {
    // Depthwise: the channels-last rows' weight forms (the weight itself
    // stays: the other paths read it).
    const PackDepthwise forms{w.data_as<const int8_t>(), DepthwiseForms(k, w.size(0))};
    return make_prepacked(w.data(), 1, forms.forms.bytes(), &pack_depthwise_forms, &forms);
  }
  int8_t* scratch = new (std::nothrow) int8_t[static_cast<size_t>(s.out_cg * k)];
  if (scratch == nullptr) return nullptr;
  context.weight = w.data_as<const int8_t>();
  context.scratch = scratch;
  void* state = make_prepacked(w.data(), groups, qgemm::packed_qb_bytes(k, s.out_cg),
                               &pack_conv_part, &context);
  delete[] scratch;
  if (state != nullptr && packed.size() > 3) packed[3] = true;
  return state;
}

namespace {

void quantized_conv(KernelContext& ctx, Span<EValue*> args, bool nhwc) {
  const char* op =
      nhwc ? "ember::quantized_convolution_nhwc.out" : "ember::quantized_convolution.out";
  auto portable_call = nhwc ? &portable::quantized_convolution_nhwc_out
                            : &portable::quantized_convolution_out;
  QConv c;
  if (!read_conv(args, nhwc, &c)) {
    portable_call(ctx, args);
    return;
  }
  const portable::ConvShape& s = c.s;
  const bool depthwise_call = s.in_cg == 1 && s.out_cg == 1;
  if (s.in_cg * s.k_h * s.k_w > qgemm::kMaxDepth) {  // int32 sums could overflow
    portable_call(ctx, args);
    return;
  }
  if (!resize_out(ctx, op, "out", *c.out, c.out_sizes, c.input->dim())) return;
  if (c.out->numel() == 0) return;
  if (depthwise_call && nhwc) {
    if (!depthwise_nhwc(ctx, c)) portable_call(ctx, args);
    return;
  }
  if (depthwise_call) {
    if (c.input->dtype() == ScalarType::Byte) {
      depthwise_in<uint8_t>(c);
    } else {
      depthwise_in<int8_t>(c);
    }
    return;
  }
  if (!gemm_convolution(ctx, c)) portable_call(ctx, args);
}

}  // namespace

void quantized_convolution_out(KernelContext& ctx, Span<EValue*> args) {
  quantized_conv(ctx, args, /*nhwc=*/false);
}

void quantized_convolution_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  quantized_conv(ctx, args, /*nhwc=*/true);
}

}  // namespace optimized
}  // namespace ember
