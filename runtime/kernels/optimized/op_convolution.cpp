// aten::convolution.out over float32 NCHW, checked by the portable kernel's
// own prepare step (portable/convolution.h):
//   depthwise (groups == in channels == out channels, not transposed):
//     one plane per (batch, channel), every output column a vector lane
//     (rows copied into a zero-padded buffer, SimdKernels::depthwise_plane),
//     every tap accumulated in registers, planes split over the pool;
//   1x1 over 1x1 planes (squeeze-excite): a dot product per output channel;
//   other forward convolutions, per batch item and group, on Ember's GEMM
//   (gemm/gemm.h) with the bias in its epilogue:
//     1x1, stride 1, no padding: out_g [out_cg, HW] = W_g [out_cg, in_cg] x in_g;
//     else im2col of a chunk of output positions into scratch (channel rows
//     filled in parallel), then W_g [out_cg, in_cg kh kw] x col;
//   transposed convolutions, or too little scratch: the portable computation.
// ember::convolution_clamp.out (a convolution followed by relu, relu6 or
// hardtanh, fused by ember-fuse-activations) runs the same paths, the clamp
// in the GEMM's epilogue or on each depthwise plane while it is in cache.
#include <cmath>

#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/convolution.h"

namespace ember {
namespace optimized {
namespace {

/// The clamp a call's result takes (none: -inf, inf).
struct Bounds {
  float lo, hi;
  bool any() const { return lo != -INFINITY || hi != INFINITY; }
};

void depthwise(const portable::ConvCall& c, Bounds clamp) {
  const portable::ConvShape& s = c.s;
  const WindowShape shape{s.in_h,     s.in_w,     s.out_h,  s.out_w, s.k_h,    s.k_w,
                             s.stride_h, s.stride_w, s.pad_h,  s.pad_w, s.dil_h,  s.dil_w};
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  const int64_t taps = s.k_h * s.k_w;
  const SimdKernels& k = simd();
  parallel_rows(s.n * s.out_c, out_plane * taps, [&](int64_t plane) {
    const int64_t ch = plane % s.out_c;
    float* out = c.out + plane * out_plane;
    k.depthwise_plane(shape, c.input + plane * in_plane, c.weight + ch * taps,
                      c.bias != nullptr ? c.bias[ch] : 0.0f, out);
    if (clamp.any()) k.clamp(out, out, out_plane, clamp.lo, clamp.hi);  // still in cache
  });
}

/// A 1x1 convolution of planes with one position (squeeze-excite's fully
/// connected layers): one dot product per output channel, over the weight's
/// rows in place; packing them for the GEMM would cost more than the product.
void single_position(const portable::ConvCall& c, Bounds clamp) {
  const portable::ConvShape& s = c.s;
  const SimdKernels& k = simd();
  parallel_rows(s.n * s.out_c, s.in_cg, [&](int64_t i) {
    const int64_t b = i / s.out_c, oc = i % s.out_c, g = oc / s.out_cg;
    const float* x = c.input + b * s.in_c + g * s.in_cg;
    const float acc = k.dot(c.weight + oc * s.in_cg, x, s.in_cg);
    c.out[i] = c.bias != nullptr ? acc + c.bias[oc] : acc;
  });
  if (clamp.any()) k.clamp(c.out, c.out, s.n * s.out_c, clamp.lo, clamp.hi);
}

/// Output positions per im2col chunk for a column buffer of about `bytes`
/// (at least 64 positions, at most all of them).
int64_t chunk_positions(int64_t k, int64_t positions, int64_t bytes) {
  int64_t chunk = bytes / 4 / (k > 0 ? k : 1);
  chunk = chunk < 64 ? 64 : chunk;
  return chunk > positions ? positions : chunk;
}

/// Column buffers from 4 MiB down to 384 KiB, the largest the scratch holds
/// beside the GEMM's workspace: fewer, larger chunks are fewer parallel
/// calls (each wakes the pool's threads), which is what 2 threads need
/// (ResNet-50 at 2 threads: about 94 -> 75 ms); one thread does not care.
constexpr int64_t kColumnBytes[] = {int64_t{4} << 20, int64_t{2} << 20, int64_t{1} << 20,
                                    int64_t{384} << 10};

/// Packs group i's weight [out_cg, k] as the GEMM's A (a PackPart).
struct PackGroups {
  const float* weight;
  int64_t out_cg, k;
};
Error pack_group(const void* context, int64_t g, void* dst, size_t bytes) {
  const auto* p = static_cast<const PackGroups*>(context);
  return gemm::pack_a(gemm::MatrixView{p->weight + g * p->out_cg * p->k, p->k, 1}, p->out_cg,
                      p->k, dst, bytes);
}

/// Forward convolution on the GEMM, the weight of each group packed at load
/// when the instruction prepared it; false (nothing written) when the
/// scratch memory is too small, so the caller runs the portable computation.
bool gemm_convolution(KernelContext& ctx, const portable::ConvCall& c, Bounds clamp) {
  const portable::ConvShape& s = c.s;
  const int64_t k = s.in_cg * s.k_h * s.k_w;
  const Prepacked* packed = prepacked_for(ctx, c.weight);
  if (packed != nullptr && packed->parts != s.groups) packed = nullptr;
  const int64_t positions = s.out_h * s.out_w;
  const bool pointwise = s.k_h == 1 && s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                         s.pad_h == 0 && s.pad_w == 0;
  int64_t chunk = positions;
  float* col = nullptr;
  size_t ws_bytes = 0;
  void* ws = nullptr;
  if (pointwise) {
    ws = gemm_workspace(ctx, 1, s.out_cg, chunk, k, &ws_bytes);
  } else {
    for (int64_t bytes : kColumnBytes) {
      ctx.reset_temp();
      chunk = chunk_positions(k, positions, bytes);
      col = static_cast<float*>(
          ctx.allocate_temp(static_cast<size_t>(chunk * k) * sizeof(float), 64));
      if (col != nullptr && (ws = gemm_workspace(ctx, 1, s.out_cg, chunk, k, &ws_bytes))) break;
    }
  }
  if (ws == nullptr) {
    ctx.reset_temp();  // the portable computation gets all of it
    return false;
  }
  const int64_t in_plane = s.in_h * s.in_w;
  for (int64_t b = 0; b < s.n; ++b) {
    for (int64_t g = 0; g < s.groups; ++g) {
      const float* in_g = c.input + (b * s.in_c + g * s.in_cg) * in_plane;
      float* out_g = c.out + (b * s.out_c + g * s.out_cg) * positions;
      const gemm::MatrixView w{c.weight + g * s.out_cg * k, k, 1};
      gemm::Epilogue epilogue;
      epilogue.min = clamp.lo;  // the activation, as each tile is stored
      epilogue.max = clamp.hi;
      if (c.bias != nullptr) {
        epilogue.bias = c.bias + g * s.out_cg;
        epilogue.bias_kind = gemm::BiasKind::per_row;
      }
      for (int64_t p0 = 0; p0 < positions; p0 += chunk) {
        const int64_t count = positions - p0 < chunk ? positions - p0 : chunk;
        gemm::MatrixView x{in_g, in_plane, 1};
        if (!pointwise) {
          parallel_for(s.in_cg, 1 + kElementwiseGrain / (s.k_h * s.k_w * count),
                       [&](int64_t ic0, int64_t ic1) {
                         portable::im2col_chunk(s, in_g, p0, count, col, ic0, ic1);
                       });
          x = gemm::MatrixView{col, count, 1};
        }
        const Error e =
            packed != nullptr
                ? gemm::gemm_packed_a(s.out_cg, count, k, 1.0f, packed->part(g), x, 0.0f,
                                      out_g + p0, positions, epilogue, ws, ws_bytes)
                : gemm::gemm(s.out_cg, count, k, 1.0f, w, x, 0.0f, out_g + p0, positions,
                             epilogue, ws, ws_bytes);
        if (e != Error::Ok) {
          kernel_fail(ctx, Error::Internal, "aten::convolution.out", "gemm failed (%s)",
                      error_name(e));
          return true;
        }
      }
    }
  }
  return true;
}

}  // namespace

void* prepare_convolution(Span<EValue* const> args, Span<const bool> constant,
                          Span<bool> packed) {
  // convolution.out(input, weight, bias, stride, padding, dilation, transposed,
  // output_padding, groups, out): a constant weight of a forward convolution
  // that runs on the GEMM (not depthwise, not one position).
  if (args.size() < 9 || !args[0]->is_tensor() || !args[6]->is_bool() || !args[8]->is_int() ||
      args[6]->to_bool()) {
    return nullptr;
  }
  const Tensor& input = args[0]->to_tensor();
  const int rank = input.dim();
  const Tensor* w = constant_float(args, constant, 1, rank);
  const int64_t groups = args[8]->to_int();
  if (w == nullptr || (rank != 3 && rank != 4) || !w->is_contiguous_order() || groups <= 0 ||
      w->size(0) % groups != 0) {
    return nullptr;
  }
  const int64_t out_cg = w->size(0) / groups, in_cg = w->size(1);
  int64_t taps = 1, positions = 1;
  for (int d = 2; d < rank; ++d) {
    taps *= w->size(d);
    positions *= input.size(d);
  }
  if ((in_cg == 1 && out_cg == 1) || (taps == 1 && positions == 1)) return nullptr;
  const PackGroups context{w->data_as<const float>(), out_cg, in_cg * taps};
  void* state = make_prepacked(w->data(), groups, gemm::packed_a_bytes(out_cg, in_cg * taps),
                               &pack_group, &context);
  if (state != nullptr && packed.size() > 1) packed[1] = true;
  return state;
}

namespace {

/// out = clamp(convolution(args), bounds): args are convolution.out's.
void convolution(KernelContext& ctx, Span<EValue*> args, Bounds clamp) {
  portable::ConvCall call;
  if (!portable::prepare_convolution(ctx, args, &call)) return;
  const portable::ConvShape& s = call.s;
  if (!call.transposed && s.in_cg == 1 && s.out_cg == 1) {  // depthwise: groups == channels
    depthwise(call, clamp);
    return;
  }
  if (!call.transposed && s.k_h == 1 && s.k_w == 1 && s.pad_h == 0 && s.pad_w == 0 &&
      s.out_h == 1 && s.out_w == 1 && s.in_h == 1 && s.in_w == 1) {
    single_position(call, clamp);
    return;
  }
  if (!call.transposed && gemm_convolution(ctx, call, clamp)) return;
  portable::run_convolution(ctx, call);
  if (clamp.any() && ctx.error() == Error::Ok) {
    const int64_t n = s.n * s.out_c * s.out_h * s.out_w;
    const SimdKernels& k = simd();
    parallel_for(n, kElementwiseGrain, [&](int64_t i0, int64_t i1) {
      k.clamp(call.out + i0, call.out + i0, i1 - i0, clamp.lo, clamp.hi);
    });
  }
}

}  // namespace

void convolution_out(KernelContext& ctx, Span<EValue*> args) {
  convolution(ctx, args, Bounds{-INFINITY, INFINITY});
}

void convolution_clamp_out(KernelContext& ctx, Span<EValue*> args) {
  portable::ConvClampArgs a;
  if (!portable::read_convolution_clamp(ctx, args, &a)) return;
  convolution(ctx, Span<EValue*>(a.conv, 11), Bounds{a.lo, a.hi});
}

}  // namespace optimized
}  // namespace ember
