// The int8 depthwise convolution of ember::quantized_convolution.out
// (op_quantized_conv.cpp over simd_qwindow.cpp's per-ISA planes) and the
// byte transposes its GEMM path runs (runtime/kernels/common/transpose.h):
//   depthwise: on odd shapes (channels 1, 3, 17, 33; planes 1x1 .. 13x11;
//     stride 1, 2 and 3; padding 0, 1, 2; dilation 1, 2; 3x3, 5x5, 1x7 and
//     17x1 kernels; a plane too wide for the vector path), int8 and uint8 in
//     and out, on every instruction set the CPU has at 1 and 2 threads:
//     bit-identical to the exact integer sums requantized by quant::Requant
//     (what the plain loop computes), and within one step of the portable
//     kernel on every element, equal on >= 99%;
//   channels-last (quantized_convolution_nhwc's depthwise rows and
//     quantized_max_pool2d_nhwc): the same integers, channels-last;
//   byte transposes: run_transpose and transpose_bytes against an
//     element-by-element copy, at sizes around the 16x16 blocks.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <random>
#include <string>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/common/transpose.h"
#include "runtime/kernels/common/cpu_features.h"
#include "runtime/kernels/optimized/op_quantized.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/optimized/simd_qwindow.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr ScalarType kI8 = ScalarType::Char, kU8 = ScalarType::Byte;

/// A depthwise case: c channels (groups = c), an h x w plane (h == 0: 1-d).
struct DwCase {
  int32_t c, h, w, kh, kw, stride, pad, dil;
  bool one_d;
  ScalarType in_t, out_t;
  bool per_channel, bias, relu;
};

std::string dw_name(const DwCase& d) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "dw c%d %dx%d k%dx%d s%d p%d d%d%s in %s out %s%s%s%s", d.c,
                d.h, d.w, d.kh, d.kw, d.stride, d.pad, d.dil, d.one_d ? " 1-d" : "",
                d.in_t == kU8 ? "u8" : "s8", d.out_t == kU8 ? "u8" : "s8",
                d.per_channel ? " per-channel" : "", d.bias ? " bias" : "", d.relu ? " relu" : "");
  return buf;
}

int32_t extent(int32_t in, int32_t k, int32_t stride, int32_t pad, int32_t dil) {
  const int32_t span = dil * (k - 1) + 1;
  return in + 2 * pad < span ? 0 : (in + 2 * pad - span) / stride + 1;
}

/// Integer values of an 8-bit tensor.
std::vector<int> values(TestTensor& t) {
  std::vector<int> v(static_cast<size_t>(t.t().numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = t.t().dtype() == kU8 ? t.t().data_as<const uint8_t>()[i]
                                : t.t().data_as<const int8_t>()[i];
  }
  return v;
}

/// One depthwise call's tensors and arguments (batch 1).
struct DwCall {
  Values v;
  TensorPtr x, w, s, b, out;
  std::vector<EValue*> args;
  int32_t oh = 0, ow = 0, in_zp = 0, out_zp = 0, qmin = 0, qmax = 0;
  double x_scale = 0.03, out_scale = 0.0;

  DwCall(const DwCase& d, uint32_t seed) {
    const int32_t h = d.one_d ? 1 : d.h, kh = d.one_d ? 1 : d.kh;
    oh = d.one_d ? 1 : extent(d.h, d.kh, d.stride, d.pad, d.dil);
    ow = extent(d.w, d.kw, d.stride, d.pad, d.dil);
    x = d.one_d ? random_q(d.in_t, {1, d.c, d.w}, seed, d.in_t == kU8 ? 0 : -128,
                           d.in_t == kU8 ? 255 : 127)
                : random_q(d.in_t, {1, d.c, h, d.w}, seed, d.in_t == kU8 ? 0 : -128,
                           d.in_t == kU8 ? 255 : 127);
    w = d.one_d ? random_q(kI8, {d.c, 1, d.kw}, seed + 1, -128, 127)
                : random_q(kI8, {d.c, 1, kh, d.kw}, seed + 1, -128, 127);
    s = make_f({d.per_channel ? d.c : 1},
               random_floats(d.per_channel ? d.c : 1, seed + 2, 0.005f, 0.02f));
    b = make_f({d.c}, random_floats(d.c, seed + 3, -0.5f, 0.5f));
    out = d.one_d ? make(d.out_t, {1, d.c, ow}) : make(d.out_t, {1, d.c, oh, ow});
    in_zp = d.in_t == kU8 ? 131 : -6;
    out_zp = d.out_t == kU8 ? 97 : -9;
    // relu: a fused clamp to [0, 6]-like bounds, both inside the type's range.
    qmin = d.relu ? out_zp : (d.out_t == kU8 ? 0 : -128);
    qmax = d.relu ? out_zp + 90 : (d.out_t == kU8 ? 255 : 127);
    // Spread a sum of kh * kw products over the out range (some saturate).
    out_scale = std::sqrt(double(kh) * d.kw) * 74.0 * 74.0 * x_scale * 0.0125 * 2.5 / 127.0;
    const std::vector<int64_t> st = d.one_d ? std::vector<int64_t>{d.stride}
                                            : std::vector<int64_t>{d.stride, d.stride};
    const std::vector<int64_t> pd = d.one_d ? std::vector<int64_t>{d.pad}
                                            : std::vector<int64_t>{d.pad, d.pad};
    const std::vector<int64_t> dl = d.one_d ? std::vector<int64_t>{d.dil}
                                            : std::vector<int64_t>{d.dil, d.dil};
    args = {x->ev(),        v.real(x_scale),     v.integer(in_zp),  w->ev(),
            s->ev(),        d.bias ? b->ev() : v.none(), v.ints(st), v.ints(pd),
            v.ints(dl),     v.integer(d.c),      v.real(out_scale), v.integer(out_zp),
            v.integer(qmin), v.integer(qmax),    out->ev(),         out->ev()};
  }

  Error run(KernelFn fn, size_t temp_bytes = 16 << 20, const void* state = nullptr) {
    std::vector<uint8_t> temp(temp_bytes);
    KernelContext ctx(temp_bytes ? temp.data() : nullptr, temp_bytes);
    ctx.set_state(state);
    fn(ctx, Span<EValue*>(args.data(), args.size()));
    return ctx.error();
  }

  /// The exact integer sums requantized by quant::Requant, as the plain
  /// loop of op_quantized_conv.cpp computes them.
  std::vector<int> reference(const DwCase& d) {
    const int32_t h = d.one_d ? 1 : d.h, kh = d.one_d ? 1 : d.kh;
    const int32_t sh = d.one_d ? 1 : d.stride, ph = d.one_d ? 0 : d.pad, dh = d.one_d ? 1 : d.dil;
    const std::vector<int> xv = values(*x), wv = values(*w);
    const optimized::quant::Requant rq(out_scale, out_zp, qmin, qmax);
    std::vector<int> y;
    for (int32_t ch = 0; ch < d.c; ++ch) {
      const float scale = static_cast<float>(x_scale) *
                          s->t().data_as<const float>()[d.per_channel ? ch : 0];
      const float bias = d.bias ? b->t().data_as<const float>()[ch] : 0.0f;
      for (int32_t i = 0; i < oh; ++i) {
        for (int32_t j = 0; j < ow; ++j) {
          int32_t acc = 0;
          for (int32_t ki = 0; ki < kh; ++ki) {
            for (int32_t kj = 0; kj < d.kw; ++kj) {
              const int32_t ih = i * sh - ph + ki * dh, iw = j * d.stride - d.pad + kj * d.dil;
              if (ih < 0 || ih >= h || iw < 0 || iw >= d.w) continue;
              acc += (xv[(ch * h + ih) * d.w + iw] - in_zp) * wv[(ch * kh + ki) * d.kw + kj];
            }
          }
          y.push_back(static_cast<int>(rq(static_cast<float>(acc) * scale + bias)));
        }
      }
    }
    return y;
  }
};

/// The depthwise cases: every kernel / stride / padding / dilation on
/// several planes, channels and dtypes cycling through the variants.
std::vector<DwCase> dw_cases() {
  std::vector<DwCase> cases;
  const int32_t kernels[][2] = {{3, 3}, {5, 5}, {1, 7}};
  const int32_t planes[][2] = {{1, 1}, {3, 2}, {6, 7}, {13, 11}, {9, 40}};
  const int32_t channels[] = {1, 3, 17, 33};
  int variant = 0;
  for (const auto& k : kernels) {
    for (int32_t stride : {1, 2}) {
      for (int32_t pad : {0, 1, 2}) {
        for (int32_t dil : {1, 2}) {
          for (const auto& p : planes) {
            if (extent(p[0], k[0], stride, pad, dil) < 1 || extent(p[1], k[1], stride, pad, dil) < 1) {
              continue;
            }
            const int v = variant++;
            cases.push_back({channels[v % 4], p[0], p[1], k[0], k[1], stride, pad, dil, false,
                             v & 1 ? kU8 : kI8, v & 2 ? kU8 : kI8, (v & 4) == 0, v % 3 != 0,
                             v % 5 == 1});
          }
        }
      }
    }
  }
  // Off the common paths: stride 3 (gathered columns), a kernel taller than
  // the vector path takes, a plane wider than its buffer, 1-d.
  cases.push_back({3, 9, 14, 3, 3, 3, 1, 1, false, kU8, kI8, true, true, false});
  cases.push_back({2, 20, 5, 17, 1, 1, 0, 1, false, kI8, kU8, true, true, false});
  cases.push_back({2, 3, 5000, 3, 3, 1, 1, 1, false, kI8, kI8, true, true, true});
  cases.push_back({5, 0, 300, 1, 3, 1, 1, 1, true, kU8, kU8, false, true, false});
  cases.push_back({5, 0, 301, 1, 5, 2, 2, 2, true, kI8, kI8, true, false, false});
  // Channels in the AVX-512 VNNI copy's quad blocks of 64, 32 and 16 (quads
  // of taps, one partial; 9, 25, 7 and 4 taps) and past them; every pairing
  // of input and output types.
  cases.push_back({64, 6, 7, 3, 3, 1, 1, 1, false, kI8, kI8, true, true, false});
  cases.push_back({80, 13, 11, 3, 3, 2, 1, 1, false, kU8, kI8, false, true, true});
  cases.push_back({144, 9, 12, 5, 5, 1, 2, 1, false, kI8, kU8, true, false, false});
  cases.push_back({200, 8, 9, 3, 3, 1, 2, 2, false, kU8, kU8, true, true, true});
  cases.push_back({128, 5, 12, 1, 7, 1, 3, 1, false, kI8, kI8, true, true, false});
  cases.push_back({96, 7, 7, 2, 2, 2, 0, 1, false, kU8, kI8, true, false, true});
  cases.push_back({48, 9, 13, 3, 3, 1, 1, 1, false, kI8, kU8, true, true, false});
  cases.push_back({112, 10, 11, 5, 5, 2, 2, 1, false, kU8, kU8, true, true, false});
  return cases;
}

class OptimizedQuantizedConv : public OptimizedKernelTest {};

TEST_F(OptimizedQuantizedConv, DepthwiseMatchesIntegerReferenceAndPortable) {
  const std::vector<DwCase> cases = dw_cases();
  uint32_t seed = 1000;
  for (const DwCase& d : cases) {
    seed += 4;
    DwCall call(d, seed);
    const std::string name = dw_name(d);
    ASSERT_EQ(call.run(&portable::quantized_convolution_out), Error::Ok) << name;
    const std::vector<int> portable = values(*call.out);
    const std::vector<int> want = call.reference(d);
    ASSERT_EQ(portable.size(), want.size()) << name;
    size_t differ = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      differ += want[i] != portable[i];
      ASSERT_LE(std::abs(want[i] - portable[i]), 1) << name << " [" << i << "]";
    }
    EXPECT_LE(differ * 100, want.size()) << name;
    for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
      if (!optimized::set_isa(isa)) continue;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        std::memset(call.out->t().data_as<uint8_t>(), 0x5a, static_cast<size_t>(call.out->t().numel()));
        // No scratch: depthwise needs none (the portable kernel would fail).
        ASSERT_EQ(call.run(&optimized::quantized_convolution_out, 0), Error::Ok) << name;
        EXPECT_EQ(values(*call.out), want) << name << ", " << isa_name(isa) << ", " << threads
                                           << " threads";
      }
    }
  }
}

/// t [1, C, H, W] as a channels-last [1, H, W, C] tensor of its dtype.
TensorPtr to_nhwc(TestTensor& t) {
  const int32_t c = static_cast<int32_t>(t.t().size(1)), h = static_cast<int32_t>(t.t().size(2)),
                w = static_cast<int32_t>(t.t().size(3));
  TensorPtr n = make(t.t().dtype(), {1, h, w, c});
  const uint8_t* src = t.t().data_as<const uint8_t>();
  uint8_t* dst = n->t().data_as<uint8_t>();
  for (int32_t ch = 0; ch < c; ++ch) {
    for (int32_t i = 0; i < h * w; ++i) dst[i * c + ch] = src[ch * h * w + i];
  }
  return n;
}

TEST_F(OptimizedQuantizedConv, ChannelsLastDepthwiseMatchesIntegerReference) {
  // ember::quantized_convolution_nhwc.out's depthwise (simd_qwindow.cpp's
  // channel-vector rows): the same integers as the NCHW planes, channels-last,
  // on every instruction set and thread count; and the portable kernel
  // within one step.
  uint32_t seed = 5000;
  for (const DwCase& d : dw_cases()) {
    seed += 4;
    if (d.one_d) continue;
    DwCall call(d, seed);
    const std::string name = dw_name(d) + " nhwc";
    const std::vector<int> want_nchw = call.reference(d);
    const int32_t oh = call.oh, ow = call.ow;
    std::vector<int> want(want_nchw.size());
    for (int32_t ch = 0; ch < d.c; ++ch) {
      for (int32_t i = 0; i < oh * ow; ++i) want[i * d.c + ch] = want_nchw[ch * oh * ow + i];
    }
    TensorPtr x = to_nhwc(*call.x);
    TensorPtr out = make(d.out_t, {1, oh, ow, d.c});
    call.args[0] = x->ev();
    call.args[14] = call.args[15] = out->ev();
    ASSERT_EQ(call.run(&portable::quantized_convolution_nhwc_out), Error::Ok) << name;
    const std::vector<int> portable = values(*out);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_LE(std::abs(want[i] - portable[i]), 1) << name << " [" << i << "]";
    }
    // The weight's forms built in the call, and prepared at load as
    // Method::load does for a constant weight.
    bool constant[16] = {}, packed[16] = {};
    constant[3] = true;
    void* state = optimized::prepare_quantized_convolution(
        Span<EValue* const>(call.args.data(), 16), Span<const bool>(constant, 16),
        Span<bool>(packed, 16));
    EXPECT_NE(state, nullptr) << name;
    EXPECT_FALSE(packed[3]) << name;  // the other paths read the weight itself
    for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
      if (!optimized::set_isa(isa)) continue;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        for (const void* st : {static_cast<const void*>(nullptr), static_cast<const void*>(state)}) {
          std::memset(out->t().data_as<uint8_t>(), 0x5a, static_cast<size_t>(out->t().numel()));
          ASSERT_EQ(call.run(&optimized::quantized_convolution_nhwc_out, 16 << 20, st), Error::Ok)
              << name;
          EXPECT_EQ(values(*out), want) << name << ", " << isa_name(isa) << ", " << threads
                                        << " threads" << (st != nullptr ? ", prepared" : "");
        }
      }
    }
    optimized::release_prepacked(state);
  }
}

TEST_F(OptimizedQuantizedConv, ChannelsLastMaxPoolMatchesPortable) {
  // ember::quantized_max_pool2d_nhwc.out: the optimized rows against the
  // portable loop and a direct max over each window (padding never wins),
  // int8 and uint8, strides, padding, dilation and ceil mode.
  struct PoolCase {
    int32_t c, h, w, k, stride, pad, dil;
    bool ceil;
    ScalarType t;
  };
  const PoolCase cases[] = {{20, 9, 11, 3, 2, 1, 1, false, kI8}, {3, 8, 8, 2, 2, 0, 1, true, kU8},
                            {33, 7, 5, 3, 1, 1, 2, false, kU8}, {64, 13, 13, 3, 2, 1, 1, true, kI8},
                            {1, 1, 1, 1, 1, 0, 1, false, kI8}};
  uint32_t seed = 9000;
  for (const PoolCase& pc : cases) {
    const std::string name = "pool c" + std::to_string(pc.c) + " " + std::to_string(pc.h) + "x" +
                             std::to_string(pc.w) + " k" + std::to_string(pc.k) + " s" +
                             std::to_string(pc.stride) + " p" + std::to_string(pc.pad) + " d" +
                             std::to_string(pc.dil) + (pc.ceil ? " ceil" : "");
    TensorPtr x = random_q(pc.t, {2, pc.h, pc.w, pc.c}, ++seed, pc.t == kU8 ? 0 : -128,
                           pc.t == kU8 ? 255 : 127);
    auto pooled = [&](int32_t in) {
      const int32_t span = pc.dil * (pc.k - 1) + 1;
      int32_t o = (in + 2 * pc.pad - span + (pc.ceil ? pc.stride - 1 : 0)) / pc.stride + 1;
      if (pc.ceil && (o - 1) * pc.stride >= in + pc.pad) --o;
      return o;
    };
    const int32_t oh = pooled(pc.h), ow = pooled(pc.w);
    const std::vector<int> xv = values(*x);
    std::vector<int> want;
    for (int32_t n = 0; n < 2; ++n) {
      for (int32_t i = 0; i < oh; ++i) {
        for (int32_t j = 0; j < ow; ++j) {
          for (int32_t ch = 0; ch < pc.c; ++ch) {
            int best = -1000;
            for (int32_t ki = 0; ki < pc.k; ++ki) {
              for (int32_t kj = 0; kj < pc.k; ++kj) {
                const int32_t ih = i * pc.stride - pc.pad + ki * pc.dil;
                const int32_t iw = j * pc.stride - pc.pad + kj * pc.dil;
                if (ih < 0 || ih >= pc.h || iw < 0 || iw >= pc.w) continue;
                best = std::max(best, xv[((n * pc.h + ih) * pc.w + iw) * pc.c + ch]);
              }
            }
            want.push_back(best);
          }
        }
      }
    }
    Values v;
    TensorPtr out = make(pc.t, {2, oh, ow, pc.c});
    std::vector<EValue*> args = {x->ev(),
                                 v.ints({pc.k, pc.k}),
                                 v.ints({pc.stride, pc.stride}),
                                 v.ints({pc.pad, pc.pad}),
                                 v.ints({pc.dil, pc.dil}),
                                 v.boolean(pc.ceil),
                                 out->ev(),
                                 out->ev()};
    auto run = [&](KernelFn fn) {
      KernelContext ctx(nullptr, 0);
      std::memset(out->t().data_as<uint8_t>(), 0x5a, static_cast<size_t>(out->t().numel()));
      fn(ctx, Span<EValue*>(args.data(), args.size()));
      return ctx.error();
    };
    ASSERT_EQ(run(&portable::quantized_max_pool2d_nhwc_out), Error::Ok) << name;
    EXPECT_EQ(values(*out), want) << name << " portable";
    for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
      if (!optimized::set_isa(isa)) continue;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        ASSERT_EQ(run(&optimized::quantized_max_pool2d_nhwc_out), Error::Ok) << name;
        EXPECT_EQ(values(*out), want) << name << ", " << isa_name(isa) << ", " << threads
                                      << " threads";
      }
    }
  }
}

// Each x86 table directly (the dispatch runs one per instruction set: the
// avx512 table without VNNI is not what this CPU's avx512 runs when it has
// VNNI), channel 0's plane of every case against the integer reference.
TEST_F(OptimizedQuantizedConv, DepthwisePlaneTablesMatchIntegerReference) {
#if defined(__x86_64__)
  struct Table {
    const char* name;
    const optimized::QWindowKernels* k;
    bool available;
  };
  const Table tables[] = {
      {"avx2", &optimized::avx2::qwindow_kernels(), cpu_supports(Isa::avx2)},
      {"avx512", &optimized::avx512::qwindow_kernels(), cpu_supports(Isa::avx512)},
      {"avx512vnni", &optimized::avx512vnni::qwindow_kernels(), cpu_has_avx512_vnni()},
  };
  uint32_t seed = 5000;
  for (const DwCase& d : dw_cases()) {
    seed += 4;
    DwCall call(d, seed);
    const std::vector<int> want = call.reference(d);
    const optimized::quant::Requant rq(call.out_scale, call.out_zp, call.qmin, call.qmax);
    optimized::QDepthwiseParams q{};
    q.in_zero_point = call.in_zp;
    q.in_unsigned = d.in_t == kU8;
    q.scale = static_cast<float>(call.x_scale) * call.s->t().data_as<const float>()[0];
    q.bias = d.bias ? call.b->t().data_as<const float>()[0] : 0.0f;
    q.inv_out = rq.inv_out;
    q.out_zp = rq.zp;
    q.qmin = rq.qmin;
    q.qmax = rq.qmax;
    q.lo = rq.lo;
    q.hi = rq.hi;
    const int32_t h = d.one_d ? 1 : d.h;
    const optimized::WindowShape ws{h,        d.w,        call.oh,  call.ow,
                                    d.one_d ? 1 : d.kh, d.kw, d.one_d ? 1 : d.stride, d.stride,
                                    d.one_d ? 0 : d.pad, d.pad, d.one_d ? 1 : d.dil, d.dil};
    const std::vector<int> plane0(want.begin(), want.begin() + call.oh * call.ow);
    for (const Table& t : tables) {
      if (!t.available) continue;
      std::vector<uint8_t> y(plane0.size(), 0x5a);
      if (!t.k->depthwise_plane(ws, call.x->t().data_as<const uint8_t>(),
                                call.w->t().data_as<const int8_t>(), q, y.data())) {
        // Declined: only planes off the vector path.
        EXPECT_TRUE(d.kh > 16 || d.w > 2000) << dw_name(d) << ", " << t.name;
        continue;
      }
      std::vector<int> got(y.size());
      for (size_t i = 0; i < y.size(); ++i) {
        got[i] = d.out_t == kU8 ? y[i] : static_cast<int8_t>(y[i]);
      }
      EXPECT_EQ(got, plane0) << dw_name(d) << ", " << t.name;
    }
  }
#endif
}

/// dst[j][i] = src[i][j] element by element.
std::vector<uint8_t> naive_transpose(const std::vector<uint8_t>& src, size_t rows, size_t cols) {
  std::vector<uint8_t> dst(src.size());
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) dst[j * rows + i] = src[i * cols + j];
  }
  return dst;
}

TEST_F(OptimizedQuantizedConv, ByteTransposesMatchElementCopies) {
  std::mt19937 gen(7);
  for (size_t threads : thread_counts()) {
    ASSERT_EQ(set_num_threads(threads), Error::Ok);
    for (size_t rows : {1, 2, 15, 16, 17, 33, 64, 100, 3136}) {
      for (size_t cols : {1, 3, 16, 31, 32, 47, 256}) {
        std::vector<uint8_t> src(rows * cols);
        for (uint8_t& b : src) b = static_cast<uint8_t>(gen());
        const std::vector<uint8_t> want = naive_transpose(src, rows, cols);
        // [rows, cols] -> [cols, rows] through the plan, with a batch of 2 for NCHW -> NHWC.
        std::vector<uint8_t> got(src.size());
        const size_t dims[2] = {rows, cols};
        const uint32_t perm[2] = {1, 0};
        run_transpose(plan_transpose(dims, 2, perm, 1), src.data(), got.data());
        EXPECT_EQ(got, want) << rows << " x " << cols << ", " << threads << " threads";
        std::vector<uint8_t> two(2 * src.size()), two_out(2 * src.size());
        std::memcpy(two.data(), src.data(), src.size());
        std::memcpy(two.data() + src.size(), src.data(), src.size());
        const size_t dims3[3] = {2, rows, cols};
        const uint32_t perm3[3] = {0, 2, 1};
        run_transpose(plan_transpose(dims3, 3, perm3, 1), two.data(), two_out.data());
        EXPECT_EQ(std::vector<uint8_t>(two_out.begin() + src.size(), two_out.end()), want)
            << "batched " << rows << " x " << cols;
        // Strided: a [rows, cols] block of a wider source into a wider destination.
        std::vector<uint8_t> wide(rows * (cols + 5), 0), out((cols) * (rows + 3), 0xee);
        for (size_t i = 0; i < rows; ++i) std::memcpy(&wide[i * (cols + 5)], &src[i * cols], cols);
        transpose_bytes(wide.data(), rows, cols, cols + 5, out.data(), rows + 3);
        for (size_t j = 0; j < cols; ++j) {
          for (size_t i = 0; i < rows + 3; ++i) {
            ASSERT_EQ(out[j * (rows + 3) + i], i < rows ? want[j * rows + i] : 0xee)
                << "strided " << rows << " x " << cols << " at " << j << ", " << i;
          }
        }
      }
    }
  }
}

// Throughput of MobileNet / EfficientNet depthwise planes on every
// instruction set at 1 thread:
//   ember_optimized_kernel_tests --gtest_also_run_disabled_tests \
//     --gtest_filter='*DISABLED_DepthwiseThroughput'
TEST_F(OptimizedQuantizedConv, DISABLED_DepthwiseThroughput) {
  struct Shape {
    const char* name;
    DwCase d;
  };
  const Shape shapes[] = {
      {"dw 3x3 32ch 112x112", {32, 112, 112, 3, 3, 1, 1, 1, false, kI8, kI8, true, true, false}},
      {"dw 3x3 s2 96ch 56x56", {96, 56, 56, 3, 3, 2, 1, 1, false, kI8, kI8, true, true, false}},
      {"dw 5x5 240ch 14x14", {240, 14, 14, 5, 5, 1, 2, 1, false, kI8, kI8, true, true, false}},
  };
  ASSERT_EQ(set_num_threads(1), Error::Ok);
  const int reps = std::getenv("EMBER_BENCH_REPS") ? std::atoi(std::getenv("EMBER_BENCH_REPS")) : 50;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (!optimized::set_isa(isa)) continue;
    for (const Shape& sh : shapes) {
      DwCall call(sh.d, 1);
      double best = 1e30;
      for (int rep = 0; rep < reps; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        ASSERT_EQ(call.run(&optimized::quantized_convolution_out, 0), Error::Ok);
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = dt < best ? dt : best;
      }
      const double ops = 2.0 * sh.d.c * call.oh * call.ow * sh.d.kh * sh.d.kw;
      std::printf("%-22s %-8s 1 thr: %7.3f ms %6.1f GOP/s\n", sh.name, isa_name(isa), best * 1e3,
                  ops / best * 1e-9);
      // The same convolution channels-last.
      TensorPtr x = to_nhwc(*call.x);
      TensorPtr out = make(sh.d.out_t, {1, call.oh, call.ow, sh.d.c});
      call.args[0] = x->ev();
      call.args[14] = call.args[15] = out->ev();
      best = 1e30;
      for (int rep = 0; rep < reps; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        ASSERT_EQ(call.run(&optimized::quantized_convolution_nhwc_out, 1 << 18), Error::Ok);  // small: run() clears it
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = dt < best ? dt : best;
      }
      std::printf("%-22s %-8s 1 thr: %7.3f ms %6.1f GOP/s (nhwc)\n", sh.name, isa_name(isa),
                  best * 1e3, ops / best * 1e-9);
    }
  }
}

}  // namespace
}  // namespace test
}  // namespace ember
