// The optimized channels-last float32 kernels (runtime/kernels/optimized:
// op_convolution_nhwc.cpp, op_pool.cpp, simd_nhwc.cpp) against the portable
// reference kernels, on every instruction set this CPU runs (the GEMM's set
// to the same) at 1 and 2 threads:
//   ember::convolution_nhwc.out: channels 1, 3, 7, 16, 17, 64, 129; kernels
//     1x1, 3x3, 5x5, 7x7; strides 1 and 2; padding 0, 1, 2, 3; dilation 2;
//     groups 1, 2, depthwise and a depthwise multiplier of 2 (the GEMM per
//     group); N = 1 and 2; bias or none; no clamp, relu, relu6. Tolerance:
//     |got - portable| <= 2e-6 sqrt(K) T per output, T = |bias| + sum over
//     its taps of |w x| (K the taps times in_cg): both sum K float products
//     in different orders (the portable kernel (ic, ki, kj), the GEMM
//     (ki, kj, ic) with fused multiply-adds). The weight packed at load gives
//     the same bits as packing per call; less temp memory (smaller im2col
//     chunks) the same bits; none at all the portable kernel's bits; 2 threads
//     the bits of 1. NaN inputs give NaN exactly where the portable kernel's do.
//   ember::max_pool2d_nhwc.out: bit for bit the portable kernel's (ties, -0
//     and +0, NaN, windows of -inf, padding, dilation, ceil mode).
//   Bad calls (wrong dtype, 3-d input) fail with an error naming the op.
//   im2col_nhwc_rows (shared with the int8 convolution): every row range of
//   stems and short rows (runs moved as whole 16-byte words) gives each
//   pixel's taps and writes nothing past its rows.
//   The backends' entry (conv_nhwc.h: filters in XNNPACK's channels-last
//   layouts, [OC, KH, KW, IC / groups] and, one input channel a group,
//   [KH, KW, OC]): the bits of the kernel above with its OIHW weight, at the
//   temp memory it asks for and at the least it takes; below that an error.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/conv_nhwc.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/gemm/gemm.h"
#include "runtime/kernels/optimized/im2col_nhwc.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

using optimized::Isa;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

/// What follows the convolution: a clamp (its bounds) or an activation.
enum class Clamp { none, relu, relu6, silu, hardswish };

struct ConvCase {
  int32_t n, h, w, c, oc, kh, kw;
  int64_t sh, sw, ph, pw, dh, dw, groups;
  bool bias;
  Clamp clamp;
};

std::string name_of(const ConvCase& c) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "n%d %dx%dx%d->%d k%dx%d s%lldx%lld p%lldx%lld d%lldx%lld g%lld%s%s",
                c.n, c.h, c.w, c.c, c.oc, c.kh, c.kw, static_cast<long long>(c.sh),
                static_cast<long long>(c.sw), static_cast<long long>(c.ph),
                static_cast<long long>(c.pw), static_cast<long long>(c.dh),
                static_cast<long long>(c.dw), static_cast<long long>(c.groups),
                c.bias ? " bias" : "",
                c.clamp == Clamp::relu        ? " relu"
                : c.clamp == Clamp::relu6     ? " relu6"
                : c.clamp == Clamp::silu      ? " silu"
                : c.clamp == Clamp::hardswish ? " hardswish"
                                              : "");
  return buf;
}

constexpr Clamp kNone = Clamp::none, kRelu = Clamp::relu, kRelu6 = Clamp::relu6,
                kSilu = Clamp::silu, kHswish = Clamp::hardswish;

const ConvCase kConvCases[] = {
    // n  h   w   c  oc  kh kw sh sw ph pw dh dw groups bias clamp
    {1, 9, 11, 1, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, kNone},        // one input channel
    {2, 8, 8, 3, 16, 7, 7, 2, 2, 3, 3, 1, 1, 1, true, kRelu},        // RGB stem, 7x7 s2
    {1, 10, 9, 7, 17, 5, 5, 1, 1, 2, 2, 1, 1, 1, false, kRelu6},     // 5x5
    {1, 7, 7, 16, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1, true, kNone},       // 1x1: input in place
    {2, 6, 5, 64, 17, 1, 1, 1, 1, 0, 0, 1, 1, 1, false, kRelu},      // ... two images
    {1, 9, 9, 64, 16, 1, 1, 2, 2, 0, 0, 1, 1, 1, true, kNone},       // strided 1x1: im2col
    {1, 8, 9, 17, 129, 3, 3, 2, 1, 1, 0, 1, 1, 1, true, kRelu6},     // mixed stride, padding
    {1, 11, 10, 16, 16, 3, 3, 1, 1, 2, 2, 2, 2, 1, true, kNone},     // dilation 2
    {2, 7, 6, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2, true, kRelu},       // groups 2
    {1, 6, 7, 16, 24, 1, 1, 1, 1, 0, 0, 1, 1, 2, false, kNone},      // groups 2, 1x1
    {1, 6, 6, 16, 16, 3, 3, 1, 1, 3, 3, 1, 1, 1, true, kRelu},       // padding 3: rows of bias
    {1, 20, 20, 64, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, kNone},     // several im2col chunks
    {1, 5, 6, 129, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, false, kNone},      // 129 input channels
    {1, 9, 13, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16, true, kRelu6},    // depthwise
    {2, 10, 11, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 17, false, kNone},   // ... stride 2, 17 channels
    {1, 12, 12, 129, 129, 5, 5, 1, 1, 2, 2, 1, 1, 129, true, kRelu}, // ... 5x5, 129 channels
    {1, 9, 10, 7, 7, 3, 3, 1, 1, 2, 2, 2, 2, 7, true, kNone},        // ... dilated, 7 channels
    {1, 5, 4, 3, 3, 7, 7, 1, 1, 3, 3, 1, 1, 3, true, kNone},         // ... 7x7 over a 5x4 image
    {1, 8, 8, 64, 64, 3, 3, 2, 2, 0, 0, 1, 1, 64, false, kRelu6},    // ... stride 2, no padding
    {1, 6, 6, 16, 16, 3, 3, 1, 1, 3, 3, 1, 1, 16, true, kNone},      // ... padding 3
    {1, 9, 9, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, kNone},         // ... one channel
    {1, 7, 8, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 16, true, kRelu},      // multiplier 2: GEMM
    {1, 30, 30, 16, 24, 1, 1, 1, 1, 0, 0, 1, 1, 1, true, kSilu},     // 1x1 + silu: row chunks
    {1, 9, 9, 17, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, false, kHswish},    // im2col + hardswish
    {1, 6, 7, 16, 24, 1, 1, 1, 1, 0, 0, 1, 1, 2, true, kSilu},       // groups 2 + silu
    {2, 9, 13, 33, 33, 3, 3, 1, 1, 1, 1, 1, 1, 33, true, kSilu},     // depthwise + silu
    {1, 8, 8, 16, 16, 5, 5, 2, 2, 2, 2, 1, 1, 16, false, kHswish},   // depthwise + hardswish
};

/// The arguments of one convolution_nhwc call and its inputs.
struct ConvCall {
  TensorPtr x, w, b;
  Values v;
  std::vector<EValue*> args;

  ConvCall(const ConvCase& c, uint32_t seed) {
    x = make_f({c.n, c.h, c.w, c.c},
               random_floats(static_cast<size_t>(c.n * c.h * c.w * c.c), seed));
    const int32_t in_cg = c.c / static_cast<int32_t>(c.groups);
    w = make_f({c.oc, in_cg, c.kh, c.kw},
               random_floats(static_cast<size_t>(c.oc * in_cg * c.kh * c.kw), seed + 1));
    b = make_f({c.oc}, random_floats(static_cast<size_t>(c.oc), seed + 2));
    const bool clamped = c.clamp == Clamp::relu || c.clamp == Clamp::relu6;
    EValue* lo = clamped ? v.real(0.0) : v.none();
    EValue* hi = c.clamp == Clamp::relu6 ? v.real(6.0) : v.none();
    EValue* act = v.str(c.clamp == Clamp::silu        ? "silu"
                        : c.clamp == Clamp::hardswish ? "hardswish"
                                                      : "none");
    args = {x->ev(),           w->ev(),          c.bias ? b->ev() : v.none(),
            v.ints({c.sh, c.sw}), v.ints({c.ph, c.pw}), v.ints({c.dh, c.dw}),
            v.integer(c.groups), lo, hi, act, nullptr, nullptr};
  }
  /// A fresh dynamic out for the call (args 10 and 11).
  TensorPtr make_out() {
    TensorPtr out = make_dynamic(ScalarType::Float, 4, 1 << 18);
    args[10] = args[11] = out->ev();
    return out;
  }
  /// The weight packed as at load (prepare_convolution_nhwc, the weight a
  /// constant), for the GEMM's instruction set in use; whether it says so.
  void* prepack(bool* weight_packed = nullptr) {
    bool constant[12] = {false, true};
    bool packed[12] = {};
    void* state = optimized::prepare_convolution_nhwc(
        Span<EValue* const>(args.data(), args.size()), Span<const bool>(constant, 12),
        Span<bool>(packed, 12));
    if (weight_packed != nullptr) *weight_packed = packed[1];
    return state;
  }
  /// Runs `fn` with `temp_bytes` of temp memory and `state`; ctx.error().
  Error run(KernelFn fn, size_t temp_bytes = 8 << 20, const void* state = nullptr) {
    std::vector<uint8_t> temp(temp_bytes);
    KernelContext ctx(temp_bytes ? temp.data() : nullptr, temp_bytes);
    ctx.set_state(state);
    fn(ctx, Span<EValue*>(args.data(), args.size()));
    return ctx.error();
  }
};

/// Per output (channels-last), T = |bias| + sum over the taps inside the
/// image of |w x|: the scale of the rounding errors of its float sums.
std::vector<double> magnitudes(const ConvCase& c, const ConvCall& call, int32_t oh, int32_t ow) {
  const std::vector<float> x = call.x->get<float>(), w = call.w->get<float>();
  const std::vector<float> b = call.b->get<float>();
  const int64_t in_cg = c.c / c.groups, out_cg = c.oc / c.groups;
  std::vector<double> t(static_cast<size_t>(c.n) * oh * ow * c.oc);
  size_t i = 0;
  for (int32_t n = 0; n < c.n; ++n) {
    for (int32_t y = 0; y < oh; ++y) {
      for (int32_t xo = 0; xo < ow; ++xo) {
        for (int32_t o = 0; o < c.oc; ++o, ++i) {
          double sum = c.bias ? std::fabs(b[static_cast<size_t>(o)]) : 0.0;
          const int64_t g = o / out_cg;
          for (int64_t ic = 0; ic < in_cg; ++ic) {
            for (int32_t ki = 0; ki < c.kh; ++ki) {
              const int64_t ih = y * c.sh - c.ph + ki * c.dh;
              if (ih < 0 || ih >= c.h) continue;
              for (int32_t kj = 0; kj < c.kw; ++kj) {
                const int64_t iw = xo * c.sw - c.pw + kj * c.dw;
                if (iw < 0 || iw >= c.w) continue;
                sum += std::fabs(x[static_cast<size_t>(((n * c.h + ih) * c.w + iw) * c.c +
                                                       g * in_cg + ic)] *
                                 w[static_cast<size_t>(((o * in_cg + ic) * c.kh + ki) * c.kw +
                                                       kj)]);
              }
            }
          }
          t[i] = sum;
        }
      }
    }
  }
  return t;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class OptimizedConvNhwc : public OptimizedKernelTest {
 protected:
  /// body(isa, threads, label) for every instruction set of this CPU (the
  /// GEMM's set to the same) and thread count.
  void each_isa_and_threads(const std::function<void(Isa, size_t, const std::string&)>& body) {
    for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
      if (!optimized::set_isa(isa)) continue;
      ASSERT_EQ(gemm::set_isa(isa), Error::Ok);
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        body(isa, threads,
             std::string(optimized::isa_name(isa)) + ", " + std::to_string(threads) + " threads");
      }
    }
  }
};

TEST_F(OptimizedConvNhwc, ConvolutionMatchesPortable) {
  uint32_t seed = 100;
  for (const ConvCase& c : kConvCases) {
    seed += 3;
    const std::string name = name_of(c);
    ConvCall call(c, seed);
    TensorPtr ref = call.make_out();
    ASSERT_EQ(call.run(&portable::convolution_nhwc_out), Error::Ok) << name;
    const std::vector<float> want = ref->get<float>();
    const int32_t oh = ref->shape()[1], ow = ref->shape()[2];
    const std::vector<double> t = magnitudes(c, call, oh, ow);
    const double k = static_cast<double>(c.c / c.groups * c.kh * c.kw);
    const double tol = 2e-6 * std::sqrt(k);
    ASSERT_EQ(want.size(), t.size()) << name;

    std::vector<float> one_thread;
    each_isa_and_threads([&](Isa, size_t threads, const std::string& config) {
      const std::string label = name + " (" + config + ")";
      TensorPtr out = call.make_out();
      ASSERT_EQ(call.run(&optimized::convolution_nhwc_out), Error::Ok) << label;
      ASSERT_EQ(out->shape(), ref->shape()) << label;
      const std::vector<float> got = out->get<float>();
      for (size_t i = 0; i < got.size(); ++i) {
        // An activation passes the sum's error on at most 1.1x (their
        // slopes), and adds its own vectorised rounding (op_activation).
        const double bound = c.clamp == Clamp::silu || c.clamp == Clamp::hardswish
                                 ? 1.1 * tol * t[i] + 1e-6 * std::fabs(want[i]) + 1e-7
                                 : tol * t[i];
        ASSERT_NEAR(got[i], want[i], bound) << label << " [" << i << "]";
      }
      if (threads == 1) one_thread = got;
      EXPECT_TRUE(same_bits(got, one_thread)) << label << ": differs from 1 thread";

      // The weight packed at load (prepare_convolution_nhwc), for the GEMM's
      // set of this config (a packed B runs on the set it was packed for).
      bool weight_packed = false;
      void* state = call.prepack(&weight_packed);
      ASSERT_NE(state, nullptr) << label;
      EXPECT_TRUE(weight_packed) << label;
      TensorPtr prepacked = call.make_out();
      ASSERT_EQ(call.run(&optimized::convolution_nhwc_out, 8 << 20, state), Error::Ok) << label;
      EXPECT_TRUE(same_bits(prepacked->get<float>(), got)) << label << ": prepacked";

      // Less temp memory: smaller im2col chunks, the same bits.
      TensorPtr small = call.make_out();
      ASSERT_EQ(call.run(&optimized::convolution_nhwc_out, 200 << 10, state), Error::Ok) << label;
      EXPECT_TRUE(same_bits(small->get<float>(), got)) << label << ": 200 KiB of temp memory";
      optimized::release_prepacked(state);
    });

    // No temp memory: the portable kernel (its direct loop, without temp
    // memory for its transposes; within the bound of its NCHW computation).
    TensorPtr direct = call.make_out();
    ASSERT_EQ(call.run(&portable::convolution_nhwc_out, 0), Error::Ok) << name;
    const std::vector<float> direct_want = direct->get<float>();
    TensorPtr fallback = call.make_out();
    ASSERT_EQ(call.run(&optimized::convolution_nhwc_out, 0), Error::Ok) << name;
    EXPECT_TRUE(same_bits(fallback->get<float>(), direct_want)) << name << ": no temp memory";
    for (size_t i = 0; i < want.size(); ++i) {
      const double bound = c.clamp == Clamp::silu || c.clamp == Clamp::hardswish
                               ? 1.1 * tol * t[i] + 1e-6 * std::fabs(want[i]) + 1e-7
                               : tol * t[i];
      ASSERT_NEAR(direct_want[i], want[i], bound) << name << ": direct loop [" << i << "]";
    }
  }
}

/// Filter `w` [OC, in_cg, KH, KW] as [OC, KH, KW, in_cg], or (in_cg == 1)
/// as [KH, KW, OC].
std::vector<float> channels_last_filter(const std::vector<float>& w, const ConvCase& c,
                                        optimized::WeightLayout layout) {
  const int64_t in_cg = c.c / c.groups;
  std::vector<float> out(w.size());
  for (int32_t o = 0; o < c.oc; ++o) {
    for (int64_t ic = 0; ic < in_cg; ++ic) {
      for (int32_t ki = 0; ki < c.kh; ++ki) {
        for (int32_t kj = 0; kj < c.kw; ++kj) {
          const float v = w[static_cast<size_t>(((o * in_cg + ic) * c.kh + ki) * c.kw + kj)];
          const size_t at = layout == optimized::WeightLayout::ohwi
                                ? static_cast<size_t>(((o * c.kh + ki) * c.kw + kj) * in_cg + ic)
                                : static_cast<size_t>((ki * c.kw + kj) * c.oc + o);
          out[at] = v;
        }
      }
    }
  }
  return out;
}

TEST_F(OptimizedConvNhwc, ChannelsLastFiltersForBackends) {
  uint32_t seed = 500;
  for (const ConvCase& c : kConvCases) {
    if (c.clamp == Clamp::silu || c.clamp == Clamp::hardswish) continue;  // bounds only
    seed += 3;
    const std::string name = name_of(c);
    ConvCall call(c, seed);
    TensorPtr ref = call.make_out();
    ASSERT_EQ(call.run(&portable::convolution_nhwc_out), Error::Ok) << name;  // sizes out
    portable::ConvShape s{};
    s.n = c.n, s.in_c = c.c, s.in_h = c.h, s.in_w = c.w;
    s.out_c = c.oc, s.out_h = ref->shape()[1], s.out_w = ref->shape()[2];
    s.k_h = c.kh, s.k_w = c.kw, s.stride_h = c.sh, s.stride_w = c.sw;
    s.pad_h = c.ph, s.pad_w = c.pw, s.dil_h = c.dh, s.dil_w = c.dw;
    s.groups = c.groups, s.in_cg = c.c / c.groups, s.out_cg = c.oc / c.groups;
    const std::vector<float> x = call.x->get<float>(), w = call.w->get<float>();
    const std::vector<float> b = call.b->get<float>();
    std::vector<optimized::WeightLayout> layouts = {optimized::WeightLayout::ohwi};
    if (s.in_cg == 1) layouts.push_back(optimized::WeightLayout::hwo);
    each_isa_and_threads([&](Isa, size_t, const std::string& config) {
      const std::string label = name + " (" + config + ")";
      void* state = call.prepack();
      ASSERT_NE(state, nullptr) << label;
      TensorPtr out = call.make_out();
      ASSERT_EQ(call.run(&optimized::convolution_nhwc_out, 8 << 20, state), Error::Ok) << label;
      optimized::release_prepacked(state);
      const std::vector<float> want = out->get<float>();
      for (optimized::WeightLayout layout : layouts) {
        const std::string what =
            label + (layout == optimized::WeightLayout::ohwi ? ", ohwi" : ", hwo");
        const std::vector<float> filter = channels_last_filter(w, c, layout);
        optimized::ConvolutionNhwc conv;
        conv.s = s;
        conv.packed = optimized::pack_convolution_nhwc(s, filter.data(), layout);
        ASSERT_NE(conv.packed, nullptr) << what;
        conv.bias = c.bias ? b.data() : nullptr;
        if (c.clamp == Clamp::relu || c.clamp == Clamp::relu6) conv.lo = 0.0f;
        if (c.clamp == Clamp::relu6) conv.hi = 6.0f;
        for (size_t temp_bytes : {optimized::convolution_nhwc_temp_bytes(s),
                                  optimized::convolution_nhwc_min_temp_bytes(s)}) {
          std::vector<uint8_t> temp(temp_bytes + 64);
          auto* aligned = reinterpret_cast<uint8_t*>(
              (reinterpret_cast<uintptr_t>(temp.data()) + 63) / 64 * 64);
          std::vector<float> got(want.size(), kNan);
          ASSERT_EQ(optimized::run_convolution_nhwc(conv, x.data(), got.data(), aligned,
                                                    temp_bytes),
                    Error::Ok)
              << what << ", " << temp_bytes << " bytes of temp memory";
          EXPECT_TRUE(same_bits(got, want)) << what << ", " << temp_bytes << " bytes of temp";
        }
        const size_t least = optimized::convolution_nhwc_min_temp_bytes(s);
        if (least > 0) {
          std::vector<uint8_t> temp(least);
          std::vector<float> got(want.size(), kNan);
          EXPECT_EQ(optimized::run_convolution_nhwc(conv, x.data(), got.data(), temp.data(),
                                                    least / 2),
                    Error::MemoryAllocationFailed)
              << what;
        }
        optimized::release_convolution_nhwc(const_cast<void*>(conv.packed));
      }
    });
  }
  // A layout that does not fit the shape is refused.
  portable::ConvShape s{1, 4, 5, 5, 4, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 4, 4};
  std::vector<float> filter(4 * 9 * 4, 1.0f);
  EXPECT_EQ(optimized::pack_convolution_nhwc(s, filter.data(), optimized::WeightLayout::hwo),
            nullptr);
}

TEST_F(OptimizedConvNhwc, RegisteredForFloat) {
  // The registry resolves a float32 call to the optimized kernels.
  ASSERT_EQ(register_optimized_kernels(), Error::Ok);
  const ScalarType f[] = {ScalarType::Float, ScalarType::Float, ScalarType::Float,
                          ScalarType::Float};
  EXPECT_EQ(find_kernel("ember::convolution_nhwc.out", Span<const ScalarType>(f, 4)),
            &optimized::convolution_nhwc_out);
  EXPECT_EQ(find_kernel("ember::max_pool2d_nhwc.out", Span<const ScalarType>(f, 2)),
            &optimized::max_pool2d_nhwc_out);
}

TEST_F(OptimizedConvNhwc, NanThroughTheClamp) {
  // NaN inputs: NaN outputs exactly where the portable kernel has them,
  // through relu6's clamp, on the depthwise and the GEMM paths.
  const ConvCase cases[] = {
      {1, 8, 9, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16, true, kRelu6},
      {1, 8, 9, 16, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, kRelu6},
      {1, 8, 9, 16, 24, 1, 1, 1, 1, 0, 0, 1, 1, 1, false, kRelu},
  };
  for (const ConvCase& c : cases) {
    const std::string name = name_of(c);
    ConvCall call(c, 77);
    float* x = call.x->t().data_as<float>();
    x[5] = kNan;
    x[16 * 30 + 3] = kNan;
    x[16 * 50 + 11] = kInf;
    TensorPtr ref = call.make_out();
    ASSERT_EQ(call.run(&portable::convolution_nhwc_out), Error::Ok) << name;
    const std::vector<float> want = ref->get<float>();
    size_t nans = 0;
    for (float y : want) nans += std::isnan(y) ? 1 : 0;
    EXPECT_GT(nans, 0u) << name;
    each_isa_and_threads([&](Isa, size_t, const std::string& config) {
      TensorPtr out = call.make_out();
      ASSERT_EQ(call.run(&optimized::convolution_nhwc_out), Error::Ok) << name;
      const std::vector<float> got = out->get<float>();
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(std::isnan(got[i]), std::isnan(want[i])) << name << " (" << config << ") " << i;
        if (!std::isnan(want[i])) {
          ASSERT_GE(got[i], 0.0f) << name;
          if (c.clamp == Clamp::relu6) ASSERT_LE(got[i], 6.0f) << name;
        }
      }
    });
  }
}

struct PoolCase {
  int32_t n, h, w, c;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool ceil;
};

TEST_F(OptimizedConvNhwc, MaxPoolMatchesPortableExactly) {
  const PoolCase cases[] = {
      {1, 28, 28, 64, 3, 3, 2, 2, 1, 1, 1, 1, false},   // ResNet's stem pool
      {2, 7, 7, 17, 2, 2, 2, 2, 0, 0, 1, 1, true},      // ceil mode, 17 channels
      {1, 17, 13, 3, 3, 3, 1, 1, 1, 1, 2, 2, false},    // dilated, 3 channels
      {1, 9, 20, 129, 3, 2, 3, 3, 1, 1, 1, 1, true},    // 129 channels
      {1, 5, 5, 1, 5, 5, 1, 1, 2, 2, 1, 1, false},      // one channel, windows past the edges
      {2, 6, 6, 7, 1, 1, 2, 2, 0, 0, 1, 1, false},      // 1x1 stride 2
  };
  uint32_t seed = 900;
  for (const PoolCase& c : cases) {
    ++seed;
    Values v;
    const size_t n = static_cast<size_t>(c.n * c.h * c.w * c.c);
    std::vector<float> x = random_floats(n, seed, -3.0f, 3.0f);
    for (size_t i = 0; i < n; i += 5) x[i] = std::round(x[i]);  // ties
    for (size_t i = 2; i < n; i += 11) x[i] = (i / 11) % 2 ? 0.0f : -0.0f;
    if (n > 200) {
      x[3] = kNan;
      x[c.c + 3] = -kNan;  // another NaN after it in the same channel
      x[40] = kNan;
      for (size_t i = 60; i < 200; ++i) x[i] = -kInf;  // windows of only -inf
    }
    TensorPtr in = make_f({c.n, c.h, c.w, c.c}, x);
    auto args = [&](TestTensor* out) {
      return std::vector<EValue*>{in->ev(),        v.ints({c.kh, c.kw}), v.ints({c.sh, c.sw}),
                                  v.ints({c.ph, c.pw}), v.ints({c.dh, c.dw}),
                                  v.boolean(c.ceil), out->ev(),           out->ev()};
    };
    const std::string name = "pool " + std::to_string(c.h) + "x" + std::to_string(c.w) + "x" +
                             std::to_string(c.c) + " k" + std::to_string(c.kh);
    TensorPtr ref = make_dynamic(ScalarType::Float, 4, 1 << 16);
    std::vector<EValue*> ref_args = args(ref.get());
    KernelContext ctx(nullptr, 0);
    portable::max_pool2d_nhwc_out(ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
    ASSERT_EQ(ctx.error(), Error::Ok) << name;
    const std::vector<float> want = ref->get<float>();
    each_isa_and_threads([&](Isa, size_t, const std::string& config) {
      TensorPtr out = make_dynamic(ScalarType::Float, 4, 1 << 16);
      ASSERT_EQ(run("ember::max_pool2d_nhwc.out", args(out.get())), Error::Ok) << name;
      EXPECT_EQ(out->shape(), ref->shape()) << name;
      EXPECT_TRUE(same_bits(out->get<float>(), want)) << name << " (" << config << ")";
    });
  }
}

// The im2col's rows [r0, r1) against the taps read one by one, for shapes
// whose kernel rows move as whole 16-byte words (3, 9, 21, 24 bytes; rows of
// 3 bytes, shorter than a word), and no byte written after row r1 - 1 (the
// canary); the image's buffer has no slack, so AddressSanitizer
// (scripts/sanitize.sh) sees a read past it.
TEST_F(OptimizedConvNhwc, Im2colRowsHoldTheTapsAndStayInTheirRows) {
  struct Shape {
    int64_t c, h, w, k, stride, pad;
  };
  const Shape shapes[] = {{3, 9, 11, 1, 2, 0}, {3, 20, 14, 3, 2, 1}, {3, 15, 19, 7, 2, 3},
                          {8, 12, 11, 3, 1, 0}, {3, 5, 5, 3, 1, 1}};
  for (const Shape& sh : shapes) {
    portable::ConvShape s{};
    s.n = 2;
    s.in_c = s.in_cg = sh.c;
    s.in_h = sh.h;
    s.in_w = sh.w;
    s.k_h = s.k_w = sh.k;
    s.stride_h = s.stride_w = sh.stride;
    s.pad_h = s.pad_w = sh.pad;
    s.dil_h = s.dil_w = 1;
    s.groups = 1;
    s.out_h = (sh.h + 2 * sh.pad - sh.k) / sh.stride + 1;
    s.out_w = (sh.w + 2 * sh.pad - sh.k) / sh.stride + 1;
    s.out_c = s.out_cg = 4;
    const int64_t k = sh.c * sh.k * sh.k, rows = s.n * s.out_h * s.out_w;
    const int64_t image = sh.h * sh.w * sh.c;
    std::vector<uint8_t> in(static_cast<size_t>(s.n * image));
    for (int64_t i = 0; i < s.n * image; ++i) in[i] = static_cast<uint8_t>(i * 7 % 200);
    const uint8_t pad = 0xC5;
    for (int64_t r0 : {int64_t{0}, int64_t{1}, rows / 3}) {
      for (int64_t r1 : {r0 + 1, rows / 2 + 1, rows}) {
        if (r1 <= r0 || r1 > rows) continue;
        std::vector<uint8_t> col(static_cast<size_t>(rows * k + 64), 0xAB);
        optimized::im2col_nhwc_rows<uint8_t>(s, in.data(), 0, 0, r0, r1, pad, col.data());
        const std::string where = "c" + std::to_string(sh.c) + " " + std::to_string(sh.h) + "x" +
                                  std::to_string(sh.w) + " k" + std::to_string(sh.k) + " rows [" +
                                  std::to_string(r0) + ", " + std::to_string(r1) + ")";
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t b = r / (s.out_h * s.out_w), p = r % (s.out_h * s.out_w);
          const int64_t oh = p / s.out_w, ow = p % s.out_w;
          for (int64_t ki = 0; ki < sh.k; ++ki) {
            for (int64_t kj = 0; kj < sh.k; ++kj) {
              for (int64_t ch = 0; ch < sh.c; ++ch) {
                const int64_t ih = oh * sh.stride - sh.pad + ki, iw = ow * sh.stride - sh.pad + kj;
                const bool inside = ih >= 0 && ih < sh.h && iw >= 0 && iw < sh.w;
                const uint8_t want = inside ? in[b * image + (ih * sh.w + iw) * sh.c + ch] : pad;
                ASSERT_EQ(col[r * k + (ki * sh.k + kj) * sh.c + ch], want)
                    << where << " row " << r << " tap " << ki << "," << kj << " channel " << ch;
              }
            }
          }
        }
        for (size_t i = static_cast<size_t>(r1 * k); i < col.size(); ++i) {
          ASSERT_EQ(col[i], 0xAB) << where << ": byte " << i << " written past row r1 - 1";
        }
      }
    }
  }
}

TEST_F(OptimizedConvNhwc, BadCallsFailWithAnError) {
  Values v;
  auto expect_fails = [](KernelFn fn, std::vector<EValue*> args, const char* op,
                         const std::string& what) {
    LogCapture log;
    KernelContext ctx(nullptr, 0);
    fn(ctx, Span<EValue*>(args.data(), args.size()));
    EXPECT_NE(ctx.error(), Error::Ok) << what;
    EXPECT_TRUE(log.contains(op)) << what;
  };
  const char* conv = "ember::convolution_nhwc.out";
  TensorPtr w = make_f({4, 3, 3, 3}, random_floats(108, 1));
  TensorPtr x_int = make(ScalarType::Int, {1, 5, 5, 3});
  TensorPtr x_3d = make_f({5, 5, 3}, random_floats(75, 2));
  TensorPtr out = make_dynamic(ScalarType::Float, 4, 1 << 10);
  auto conv_args = [&](TestTensor* x) {
    return std::vector<EValue*>{x->ev(),          w->ev(),          v.none(),  v.ints({1, 1}),
                                v.ints({1, 1}),   v.ints({1, 1}),   v.integer(1), v.none(),
                                v.none(),         v.str("none"),    out->ev(),    out->ev()};
  };
  expect_fails(&optimized::convolution_nhwc_out, conv_args(x_int.get()), conv, "int32 input");
  expect_fails(&optimized::convolution_nhwc_out, conv_args(x_3d.get()), conv, "3-d input");
  std::vector<EValue*> short_args = conv_args(x_3d.get());
  short_args.resize(5);
  expect_fails(&optimized::convolution_nhwc_out, short_args, conv, "too few arguments");
  const char* pool = "ember::max_pool2d_nhwc.out";
  auto pool_args = [&](TestTensor* x) {
    return std::vector<EValue*>{x->ev(),        v.ints({2, 2}), v.ints({2, 2}), v.ints({0, 0}),
                                v.ints({1, 1}), v.boolean(false), out->ev(),    out->ev()};
  };
  expect_fails(&optimized::max_pool2d_nhwc_out, pool_args(x_int.get()), pool, "int32 input");
  expect_fails(&optimized::max_pool2d_nhwc_out, pool_args(x_3d.get()), pool, "3-d input");
  // Not a constant, or not a 4-d float32 weight: nothing to prepare.
  std::vector<EValue*> args = conv_args(x_3d.get());
  bool constant[12] = {false, false};
  bool packed[12] = {};
  EXPECT_EQ(optimized::prepare_convolution_nhwc(Span<EValue* const>(args.data(), args.size()),
                                                Span<const bool>(constant, 12),
                                                Span<bool>(packed, 12)),
            nullptr);
  EXPECT_FALSE(packed[1]);
}

}  // namespace
}  // namespace test
}  // namespace ember
