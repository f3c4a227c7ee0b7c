// ember::convolution_nhwc.out over float32 channels-last input [N, H, W, C]
// and out [N, OH, OW, OC], the weight aten's [OC, C / groups, KH, KW], checked
// by the portable kernel's own prepare step (portable/convolution.h), then
// clamped when the call has bounds:
//   depthwise (groups == C == OC): output rows split over the pool, each
//     pixel's channels the vector lanes (SimdKernels::depthwise_nhwc_rows),
//     the weight reordered to [KH * KW][C] (at load, or into temp memory),
//     bias and clamp fused;
//   everything else, per group, on Ember's GEMM with out's pixel rows as C
//   (ldc = OC), the bias per column and the clamp in its epilogue:
//     1x1, stride 1, no padding: A is the input itself, [N * H * W, C] rows
//       (group g at +g * in_cg), one GEMM per group over every image;
//     else A = im2col rows [pixels, KH * KW * in_cg] of a chunk of output
//       pixels (any image), taps in (ki, kj, ic) order: each tap the pixel's
//       in_cg channels, one copy (a whole kernel row when the group is all
//       the channels and the row lies inside the image), zeros in the padding;
//     B = the group's weight as [K, out_cg] with K in that order, packed at
//       load (prepare_convolution_nhwc); without a state reordered into temp
//       memory (1x1: read in place through a strided view) and packed by
//       the GEMM per call.
//   Too little temp memory for the smallest chunk: the portable kernel.
// An activation (silu, hardswish) runs on each chunk's rows right after the
// GEMM wrote them (1x1: chunks of 256 KiB of output for it), on each
// depthwise row after the row.
#include <cstring>
#include <new>

#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/conv_nhwc.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/im2col_nhwc.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/convolution.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

constexpr const char* kOp = "ember::convolution_nhwc.out";

/// A 1x1, stride-1, unpadded convolution reads its input in place as A.
bool reads_input_in_place(const portable::ConvShape& s) {
  return s.k_h * s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 &&
         s.pad_w == 0;
}

/// Output pixels per im2col chunk of `column_bytes` (at least 16, at most `rows`).
int64_t column_chunk(int64_t column_bytes, int64_t k, int64_t rows) {
  const int64_t chunk = column_bytes / static_cast<int64_t>(sizeof(float)) / k;
  return chunk < 16 ? 16 : chunk > rows ? rows : chunk;
}

/// The weight's layout decides the path, so that load and calls agree.
bool is_depthwise(int64_t in_cg, int64_t out_cg) { return in_cg == 1 && out_cg == 1; }

/// Depthwise weight [C, 1, KH, KW] as [KH * KW][C].
void reorder_depthwise(const float* w, int64_t channels, int64_t taps, float* dst) {
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) dst[t * channels + c] = w[c * taps + t];
  }
}

/// Group g's weight [out_cg, in_cg, KH, KW] as B = [K, out_cg] row-major,
/// row (t * in_cg + ic) for tap t = ki * KW + kj: the order of im2col's rows.
void reorder_group(const float* w, int64_t g, int64_t out_cg, int64_t in_cg, int64_t taps,
                   float* dst) {
  // A transpose through 16 x 16 tiles: each tile reads one cache line of 16
  // weight rows and writes one line of 16 B rows, so no line has to stay
  // cached between visits. Rows k or out_cg floats apart are a multiple of
  // 2 KiB apart and share a handful of cache sets: a plain loop over either
  // order, or tiles revisiting lines, evicted them.
  const int64_t k = in_cg * taps;
  const float* src = w + g * out_cg * k;
  constexpr int64_t kTile = 16;
  float tile[kTile][kTile];
  for (int64_t oc0 = 0; oc0 < out_cg; oc0 += kTile) {
    const int64_t rows = out_cg - oc0 < kTile ? out_cg - oc0 : kTile;
    int64_t ic = 0, t = 0;  // of q0, the source column (q = ic * taps + t)
    for (int64_t q0 = 0; q0 < k; q0 += kTile) {
      const int64_t cols = k - q0 < kTile ? k - q0 : kTile;
      for (int64_t r = 0; r < rows; ++r) {
        std::memcpy(tile[r], src + (oc0 + r) * k + q0, static_cast<size_t>(cols) * sizeof(float));
      }
      for (int64_t c = 0; c < cols; ++c) {
        float* d = dst + (t * in_cg + ic) * out_cg + oc0;
        for (int64_t r = 0; r < rows; ++r) d[r] = tile[r][c];
        if (++t == taps) {
          t = 0;
          ++ic;
        }
      }
    }
  }
}

/// What the load-time packers (PackPart) need; `scratch` holds one reordered group.
struct PackNhwc {
  const float* weight;
  int64_t out_cg, in_cg, taps;
  float* scratch;
};

Error pack_depthwise(const void* context, int64_t, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackNhwc*>(context);
  if (bytes < static_cast<size_t>(p->out_cg * p->taps) * sizeof(float)) return Error::Internal;
  reorder_depthwise(p->weight, p->out_cg, p->taps, static_cast<float*>(dst));
  return Error::Ok;
}

Error pack_group(const void* context, int64_t g, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackNhwc*>(context);
  const int64_t k = p->in_cg * p->taps;
  if (p->taps == 1) {  // B is the weight transposed: packed from it in place
    return gemm::pack_b(gemm::MatrixView{p->weight + g * p->out_cg * k, 1, k}, k, p->out_cg,
                        dst, bytes);
  }
  reorder_group(p->weight, g, p->out_cg, p->in_cg, p->taps, p->scratch);
  return gemm::pack_b(gemm::MatrixView{p->scratch, p->out_cg, 1}, k, p->out_cg, dst, bytes);
}

WindowShape window_of(const portable::ConvShape& s) {
  return WindowShape{s.in_h,     s.in_w,     s.out_h, s.out_w, s.k_h,   s.k_w,
                     s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w};
}

/// Applies the call's activation to `rows` rows of `width` floats, `stride`
/// apart, in place (nothing when it has none): right after they were
/// written, while they are in cache.
void activate(const portable::ConvNhwcCall& c, float* rows, int64_t count, int64_t width,
              int64_t stride) {
  if (c.activation == portable::ConvActivation::none) return;
  const UnaryOp op =
      c.activation == portable::ConvActivation::silu ? UnaryOp::Silu : UnaryOp::Hardswish;
  const SimdKernels& k = simd();
  if (width == stride) {
    k.unary(op, rows, rows, count * width);
    return;
  }
  for (int64_t r = 0; r < count; ++r) k.unary(op, rows + r * stride, rows + r * stride, width);
}

/// The depthwise convolution: false (nothing written) when the weight is
/// not prepared and temp memory cannot hold its reordered copy.
bool depthwise(KernelContext& ctx, const portable::ConvNhwcCall& c) {
  const portable::ConvShape& s = c.s;
  const int64_t taps = s.k_h * s.k_w;
  const Prepacked* state = prepacked_for(ctx, c.weight);
  const float* weight = nullptr;
  if (state != nullptr && state->parts == 1) {
    weight = static_cast<const float*>(state->part(0));
  } else {
    auto* w = static_cast<float*>(
        ctx.allocate_temp(static_cast<size_t>(taps * s.out_c) * sizeof(float), 64));
    if (w == nullptr) return false;
    reorder_depthwise(c.weight, s.out_c, taps, w);
    weight = w;
  }
  const DepthwiseNhwc p{window_of(s), s.out_c, weight, c.bias, c.lo, c.hi};
  const int64_t in_image = s.in_h * s.in_w * s.in_c, out_image = s.out_h * s.out_w * s.out_c;
  const SimdKernels& k = simd();
  parallel_rows(s.n * s.out_h, s.out_w * s.out_c * taps, [&](int64_t row) {
    const int64_t b = row / s.out_h, oh = row % s.out_h;
    k.depthwise_nhwc_rows(p, c.input + b * in_image, oh, oh + 1, c.out + b * out_image);
    const int64_t width = s.out_w * s.out_c;
    activate(c, c.out + b * out_image + oh * width, 1, width, width);
  });
  return true;
}

/// Column buffers from 1 MiB down to 64 KiB (about L2 down to L1 and a
/// half on the machines measured), the largest the temp memory holds beside
/// the GEMM's workspace.
constexpr int64_t kColumnBytes[] = {int64_t{1} << 20, int64_t{256} << 10, int64_t{64} << 10};

/// Scratch of a GEMM convolution.
struct GemmScratch {
  float* reordered = nullptr;  ///< one group's B [K, out_cg] (unprepared, taps > 1)
  float* col = nullptr;        ///< chunk x K (nullptr: A read in place)
  void* ws = nullptr;
  size_t ws_bytes = 0;
  int64_t chunk = 0;  ///< output pixels per GEMM
};

bool allocate_scratch(KernelContext& ctx, const portable::ConvShape& s, bool prepared,
                      bool in_place, bool activated, GemmScratch* m) {
  const int64_t taps = s.k_h * s.k_w, k = s.in_cg * taps, rows = s.n * s.out_h * s.out_w;
  for (int64_t bytes : kColumnBytes) {
    ctx.reset_temp();
    *m = GemmScratch{};
    if (!prepared && taps > 1) {
      m->reordered = static_cast<float*>(
          ctx.allocate_temp(static_cast<size_t>(k * s.out_cg) * sizeof(float), 64));
      if (m->reordered == nullptr) break;  // smaller chunks do not help
    }
    int64_t chunk = rows;
    if (in_place && activated) {  // the activation reads rows the GEMM left in L2
      chunk = (int64_t{256} << 10) / static_cast<int64_t>(sizeof(float)) / s.out_c;
      chunk = chunk < 64 ? 64 : chunk > rows ? rows : chunk;
    }
    if (!in_place) {
      chunk = column_chunk(bytes, k, rows);
      m->col = static_cast<float*>(
          ctx.allocate_temp(static_cast<size_t>(chunk * k) * sizeof(float), 64));
      if (m->col == nullptr) continue;
    }
    m->chunk = chunk;
    m->ws = gemm_workspace(ctx, 1, chunk, s.out_cg, k, &m->ws_bytes, prepared);
    if (m->ws != nullptr) return true;
  }
  ctx.reset_temp();
  return false;
}

/// The GEMM convolution: false (nothing written) when temp memory is too
/// small, so that the caller hands the call to the portable kernel.
bool gemm_convolution(KernelContext& ctx, const portable::ConvNhwcCall& c) {
  const portable::ConvShape& s = c.s;
  const int64_t taps = s.k_h * s.k_w, k = s.in_cg * taps, rows = s.n * s.out_h * s.out_w;
  const Prepacked* state = prepacked_for(ctx, c.weight);
  if (state != nullptr && state->parts != s.groups) state = nullptr;
  const bool in_place = reads_input_in_place(s);
  GemmScratch m;
  if (!allocate_scratch(ctx, s, state != nullptr, in_place,
                        c.activation != portable::ConvActivation::none, &m)) {
    return false;
  }
  for (int64_t g = 0; g < s.groups; ++g) {
    gemm::Epilogue epilogue;
    epilogue.min = c.lo;
    epilogue.max = c.hi;
    if (c.bias != nullptr) {
      epilogue.bias = c.bias + g * s.out_cg;
      epilogue.bias_kind = gemm::BiasKind::per_column;
    }
    // B: packed at load; else the reordered group, or a 1x1 weight in place.
    gemm::MatrixView b{c.weight + g * s.out_cg * s.in_cg, 1, s.in_cg};
    if (state == nullptr && m.reordered != nullptr) {
      reorder_group(c.weight, g, s.out_cg, s.in_cg, taps, m.reordered);
      b = gemm::MatrixView{m.reordered, s.out_cg, 1};
    }
    for (int64_t r0 = 0; r0 < rows; r0 += m.chunk) {
      const int64_t count = rows - r0 < m.chunk ? rows - r0 : m.chunk;
      gemm::MatrixView a{c.input + r0 * s.in_c + g * s.in_cg, s.in_c, 1};
      if (!in_place) {
        parallel_for(count, 1 + kElementwiseGrain / k, [&](int64_t i0, int64_t i1) {
          im2col_nhwc_rows(s, c.input, g, r0, i0, i1, 0.0f, m.col);
        });
        a = gemm::MatrixView{m.col, k, 1};
      }
      float* out = c.out + r0 * s.out_c + g * s.out_cg;
      const Error e =
          state != nullptr
              ? gemm::gemm_packed(count, s.out_cg, k, 1.0f, a, state->part(g), 0.0f, out,
                                  s.out_c, epilogue, m.ws, m.ws_bytes)
              : gemm::gemm(count, s.out_cg, k, 1.0f, a, b, 0.0f, out, s.out_c, epilogue, m.ws,
                           m.ws_bytes);
      if (e != Error::Ok) {
        kernel_fail(ctx, Error::Internal, kOp, "gemm failed (%s)", error_name(e));
        return true;
      }
      if (c.activation != portable::ConvActivation::none) {
        parallel_for(count, 1 + kElementwiseGrain / s.out_cg, [&](int64_t i0, int64_t i1) {
          activate(c, out + i0 * s.out_c, i1 - i0, s.out_cg, s.out_c);
        });
      }
    }
  }
  return true;
}

/// A channels-last filter's packers (pack_convolution_nhwc).
struct PackChannelsLast {
  const float* filter;
  WeightLayout layout;
  int64_t out_cg, k;  ///< GEMM: per group; depthwise: out_cg = the channels, k = taps
  int64_t groups;
};

Error pack_channels_last_depthwise(const void* context, int64_t, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackChannelsLast*>(context);
  const size_t need = static_cast<size_t>(p->out_cg * p->k) * sizeof(float);
  if (bytes < need) return Error::Internal;
  if (p->layout == WeightLayout::hwo) {  // [KH, KW, C]: the rows' layout already
    std::memcpy(dst, p->filter, need);
  } else {  // [C, KH, KW, 1]
    reorder_depthwise(p->filter, p->out_cg, p->k, static_cast<float*>(dst));
  }
  return Error::Ok;
}

Error pack_channels_last_group(const void* context, int64_t g, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackChannelsLast*>(context);
  if (p->layout == WeightLayout::hwo) {  // one input channel a group: B [taps, out_cg] rows
    const int64_t row = p->out_cg * p->groups;  // apart by all the output channels
    return gemm::pack_b(gemm::MatrixView{p->filter + g * p->out_cg, row, 1}, p->k, p->out_cg,
                        dst, bytes);
  }
  // Group g's rows [out_cg, K], K in (kh, kw, ic) order: B transposed.
  return gemm::pack_b(gemm::MatrixView{p->filter + g * p->out_cg * p->k, 1, p->k}, p->k,
                      p->out_cg, dst, bytes);
}

/// Temp memory of a GEMM convolution whose im2col chunks take up to
/// `column_bytes`, with a workspace of `workspace(chunk)` bytes.
template <typename Workspace>
size_t gemm_temp_bytes(const portable::ConvShape& s, int64_t column_bytes, Workspace workspace) {
  if (is_depthwise(s.in_cg, s.out_cg)) return 0;  // the packed rows only
  const int64_t k = s.in_cg * s.k_h * s.k_w, rows = s.n * s.out_h * s.out_w;
  int64_t chunk = rows;
  size_t col = 0;
  if (!reads_input_in_place(s)) {
    chunk = column_chunk(column_bytes, k, rows);
    col = static_cast<size_t>(chunk * k) * sizeof(float) + 64;
  }
  return col + workspace(chunk, k) + 64;  // each allocation 64-byte aligned
}

}  // namespace

void* pack_convolution_nhwc(const portable::ConvShape& s, const float* filter,
                            WeightLayout layout) {
  const bool rows = is_depthwise(s.in_cg, s.out_cg);
  if (filter == nullptr || s.groups <= 0 || (layout == WeightLayout::hwo && s.in_cg != 1)) {
    return nullptr;
  }
  const int64_t taps = s.k_h * s.k_w;
  if (rows) {
    PackChannelsLast p{filter, layout, s.out_c, taps, s.groups};
    return pack_parts(filter, 1, static_cast<size_t>(s.out_c * taps) * sizeof(float),
                      &pack_channels_last_depthwise, &p);
  }
  const int64_t k = s.in_cg * taps;
  PackChannelsLast p{filter, layout, s.out_cg, k, s.groups};
  return pack_parts(filter, s.groups, gemm::packed_b_bytes(k, s.out_cg),
                    &pack_channels_last_group, &p);
}

void release_convolution_nhwc(void* packed) {
  if (packed != nullptr) release_prepacked(packed);
}

size_t convolution_nhwc_temp_bytes(const portable::ConvShape& s) {
  return gemm_temp_bytes(s, kColumnBytes[0], [&](int64_t chunk, int64_t k) {
    return gemm::workspace_bytes(chunk, s.out_cg, k, get_num_threads(), true, 1);
  });
}

size_t convolution_nhwc_min_temp_bytes(const portable::ConvShape& s) {
  constexpr int64_t kSmallest = kColumnBytes[sizeof(kColumnBytes) / sizeof(kColumnBytes[0]) - 1];
  return gemm_temp_bytes(s, kSmallest,
                         [](int64_t, int64_t) { return gemm::min_workspace_bytes(); });
}

Error run_convolution_nhwc(const ConvolutionNhwc& c, const float* input, float* out,
                           uint8_t* temp, size_t temp_bytes) {
  const portable::ConvShape& s = c.s;
  const auto* packed = static_cast<const Prepacked*>(c.packed);
  const bool rows = is_depthwise(s.in_cg, s.out_cg);  // the depthwise rows
  if (packed == nullptr || s.in_cg <= 0 || packed->parts != (rows ? 1 : s.groups)) {
    return Error::InvalidArgument;
  }
  if (s.n * s.out_h * s.out_w * s.out_c == 0) return Error::Ok;
  KernelContext ctx(temp, temp_bytes);
  ctx.set_state(packed);
  portable::ConvNhwcCall call;
  call.s = s;
  call.input = input;
  call.weight = static_cast<const float*>(packed->source);  // identifies the packing only
  call.bias = c.bias;
  call.out = out;
  call.lo = c.lo;
  call.hi = c.hi;
  const bool done = rows ? depthwise(ctx, call) : gemm_convolution(ctx, call);
  if (!done) return Error::MemoryAllocationFailed;
  return ctx.error();
}

void* prepare_convolution_nhwc(Span<EValue* const> args, Span<const bool> constant,
                               Span<bool> packed) {
  // convolution_nhwc.out(input, weight, bias, stride, padding, dilation,
  // groups, min, max, activation, out): a constant float32 weight, reordered for the
  // depthwise rows or packed per group as the GEMM's B.
  if (args.size() < 7 || !args[6]->is_int()) return nullptr;
  const Tensor* w = constant_float(args, constant, 1, 4);
  const int64_t groups = args[6]->to_int();
  if (w == nullptr || !w->is_contiguous_order() || groups <= 0 || w->size(0) % groups != 0) {
    return nullptr;
  }
  PackNhwc context{w->data_as<const float>(), w->size(0) / groups, w->size(1),
                   w->size(2) * w->size(3), nullptr};
  void* state = nullptr;
  if (is_depthwise(context.in_cg, context.out_cg)) {
    context.out_cg = w->size(0);  // the channels
    state = make_prepacked(w->data(), 1,
                           static_cast<size_t>(context.out_cg * context.taps) * sizeof(float),
                           &pack_depthwise, &context);
  } else {
    const int64_t k = context.in_cg * context.taps;
    context.scratch = new (std::nothrow) float[static_cast<size_t>(k * context.out_cg)];
    if (context.scratch == nullptr) return nullptr;
    state = make_prepacked(w->data(), groups, gemm::packed_b_bytes(k, context.out_cg),
                           &pack_group, &context);
    delete[] context.scratch;
  }
  if (state != nullptr && packed.size() > 1) packed[1] = true;
  return state;
}

void convolution_nhwc_out(KernelContext& ctx, Span<EValue*> args) {
  portable::ConvNhwcCall c;
  if (!portable::prepare_convolution_nhwc(ctx, args, &c)) return;
  const portable::ConvShape& s = c.s;
  if (s.n * s.out_h * s.out_w * s.out_c == 0) return;
  if (s.in_cg == 0) {  // no taps: the bias alone, clamped
    portable::convolution_nhwc_out(ctx, args);
    return;
  }
  const bool done = is_depthwise(s.in_cg, s.out_cg) ? depthwise(ctx, c) : gemm_convolution(ctx, c);
  if (!done) portable::convolution_nhwc_out(ctx, args);
}

}  // namespace optimized
}  // namespace ember
