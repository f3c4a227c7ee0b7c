// The optimized quantized kernels (op_quantized.cpp, op_quantized_conv.cpp,
// op_lowbit.cpp) against the portable reference kernels, which compute what
// eager PyTorch's dequantize -> float op -> quantize graph computes:
//   requantized outputs (quantized_linear, quantized_convolution): equal to the
//     portable kernel's on at least 99% of the elements, one step apart at
//     most (only float rounding differs: the integer sums are exact);
//   quantized_add: equal everywhere (the same float32 steps);
//   float outputs: linear_dynamic_int8 within 2^-20 of sum |dq(x) dq(w)| +
//     |bias|; linear_lowbit within lowbit's documented bound.
// On odd shapes, int8 and uint8 activations, per-tensor and per-channel
// scales, clamps; on every qgemm / lowbit family the CPU has at 1 and 2
// threads (qgemm families and thread counts bit for bit; lowbit: thread
// counts bit for bit within a family); prepacked weights against packing
// per call, EMBER_PREPACK=0, little scratch memory, and the registry's keys.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "runtime/core/half.h"
#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/lowbit/lowbit.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/optimized/qgemm/qgemm.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr ScalarType kI8 = ScalarType::Char, kU8 = ScalarType::Byte, kF = ScalarType::Float;

Error call(KernelFn fn, std::vector<EValue*> args, size_t temp_bytes = 16 << 20,
           const void* state = nullptr) {
  std::vector<uint8_t> temp(temp_bytes);
  KernelContext ctx(temp_bytes ? temp.data() : nullptr, temp_bytes);
  ctx.set_state(state);
  fn(ctx, Span<EValue*>(args.data(), args.size()));
  return ctx.error();
}

TensorPtr random_act(ScalarType dtype, std::vector<int32_t> sizes, uint32_t seed) {
  return dtype == kU8 ? random_q(dtype, std::move(sizes), seed, 0, 255)
                      : random_q(dtype, std::move(sizes), seed, -128, 127);
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

/// Requantized results against the portable kernel's: >= 99% equal, all
/// within one step.
void expect_requantized(const std::vector<int>& got, const std::vector<int>& want,
                        const std::string& label) {
  ASSERT_EQ(got.size(), want.size()) << label;
  size_t differ = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    ++differ;
    if (std::abs(got[i] - want[i]) > 1) {
      ADD_FAILURE() << label << ": [" << i << "] = " << got[i] << ", portable " << want[i];
      return;
    }
  }
  EXPECT_LE(differ * 100, got.size()) << label << ": " << differ << " of " << got.size()
                                      << " elements one step off";
}

/// Each body under every qgemm and lowbit family the CPU has, at 1 and 2 threads.
class OptimizedQuantized : public OptimizedKernelTest {
 protected:
  void TearDown() override {
    qgemm::set_isa(qgemm_isa_);
    lowbit::set_isa(lowbit_isa_);
    OptimizedKernelTest::TearDown();
  }
  void each_qgemm(const std::function<void(const std::string&)>& body) {
    for (qgemm::Isa isa : {qgemm::Isa::generic, qgemm::Isa::avx2, qgemm::Isa::avx512vnni,
                           qgemm::Isa::neon, qgemm::Isa::neon_dot}) {
      if (!qgemm::isa_available(isa)) continue;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(qgemm::set_isa(isa), Error::Ok);
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        body(std::string(qgemm::isa_name(isa)) + ", " + std::to_string(threads) + " threads");
      }
    }
  }
  /// Bit-identical results under one label across the configurations.
  void expect_same_bits(const std::string& label, const std::vector<int>& got) {
    auto it = first_.find(label);
    if (it == first_.end()) {
      first_[label] = got;
    } else {
      EXPECT_EQ(got, it->second) << label << " differs between configurations";
    }
  }

 private:
  qgemm::Isa qgemm_isa_ = qgemm::active_isa();
  lowbit::Isa lowbit_isa_ = lowbit::active_isa();
  std::map<std::string, std::vector<int>> first_;
};

/// An output scale that spreads a K-deep sum of random 8-bit products over
/// most of the quantized range (some saturate).
double out_scale_for(int64_t k, double x_scale, double w_scale) {
  return std::sqrt(static_cast<double>(k)) * 74.0 * 73.0 * x_scale * w_scale * 2.5 / 127.0;
}

std::vector<float> weight_scales(int64_t n, bool per_channel, uint32_t seed) {
  return per_channel ? random_floats(n, seed, 0.005f, 0.02f) : std::vector<float>{0.01f};
}

TEST_F(OptimizedQuantized, RegisteredForTheirDtypes) {
  const ScalarType lin_bias[6] = {kU8, kI8, kF, kF, kI8, kI8};
  const ScalarType lin[5] = {kI8, kI8, kF, kU8, kU8};
  EXPECT_EQ(find_kernel("ember::quantized_linear.out", lin_bias), &optimized::quantized_linear_out);
  EXPECT_EQ(find_kernel("ember::quantized_linear.out", lin), &optimized::quantized_linear_out);
  EXPECT_EQ(find_kernel("ember::quantized_convolution.out", lin_bias),
            &optimized::quantized_convolution_out);
  const ScalarType add[4] = {kU8, kU8, kU8, kU8}, add_mixed[4] = {kU8, kI8, kU8, kU8};
  EXPECT_EQ(find_kernel("ember::quantized_add.out", add), &optimized::quantized_add_out);
  EXPECT_EQ(find_kernel("ember::quantized_add.out", add_mixed), &portable::quantized_add_out);
  const ScalarType dyn[5] = {kF, kI8, kF, kF, kF};
  EXPECT_EQ(find_kernel("ember::linear_dynamic_int8.out", dyn), &optimized::linear_dynamic_int8_out);
  const ScalarType lowbit4[7] = {kF, kU8, kF, kI8, kF, kF, kF}, lowbit8[5] = {kF, kI8, kF, kF, kF};
  EXPECT_EQ(find_kernel("ember::linear_lowbit.out", lowbit4), &optimized::linear_lowbit_out);
  EXPECT_EQ(find_kernel("ember::linear_lowbit.out", lowbit8), &optimized::linear_lowbit_out);
  // An int32 weight is no quantized op's fast path: the portable kernel rejects it.
  const ScalarType bad[5] = {kI8, ScalarType::Int, kF, kI8, kI8};
  EXPECT_EQ(find_kernel("ember::quantized_linear.out", bad), &portable::quantized_linear_out);
}

// quantized_linear: input [m, k] (and [2, m, k]), int8 or uint8 in and out,
// per-channel or per-tensor scales, bias or none, relu (qmin = zero point).
TEST_F(OptimizedQuantized, LinearMatchesPortable) {
  each_qgemm([&](const std::string& config) {
    uint32_t seed = 1;
    for (int32_t k : {1, 3, 17, 33}) {
      for (int32_t n : {1, 3, 17, 33}) {
        for (int32_t m : {1, 5, 17}) {
          const int variant = (k + n + m) % 8;  // cycle through the options
          const ScalarType in_t = variant & 1 ? kU8 : kI8, out_t = variant & 2 ? kU8 : kI8;
          const bool per_channel = variant & 4, with_bias = (k + m) % 2 == 0;
          const bool relu = n % 2 == 1, batched = m == 5;
          Values v;
          auto x = batched ? random_act(in_t, {2, m, k}, seed++) : random_act(in_t, {m, k}, seed++);
          auto w = random_q(kI8, {n, k}, seed++, -127, 127);
          auto s = make_f({per_channel ? n : 1}, weight_scales(n, per_channel, seed++));
          auto b = make_f({n}, random_floats(n, seed++, -0.5f, 0.5f));
          const int in_zp = in_t == kU8 ? 131 : -3, out_zp = out_t == kU8 ? 120 : 5;
          const int qmin = relu ? out_zp : (out_t == kU8 ? 0 : -128);
          const int qmax = out_t == kU8 ? 255 : 127;
          const double os = out_scale_for(k, 0.02, 0.0125);
          std::vector<int32_t> out_sizes = batched ? std::vector<int32_t>{2, m, n}
                                                   : std::vector<int32_t>{m, n};
          auto out = make(out_t, out_sizes), ref = make(out_t, out_sizes);
          auto args = [&](TestTensor* o) {
            return std::vector<EValue*>{x->ev(), v.real(0.02), v.integer(in_zp), w->ev(), s->ev(),
                                        with_bias ? b->ev() : v.none(), v.real(os),
                                        v.integer(out_zp), v.integer(qmin), v.integer(qmax),
                                        o->ev(), o->ev()};
          };
          const std::string label = "linear m" + std::to_string(m) + " n" + std::to_string(n) +
                                    " k" + std::to_string(k) + " variant " +
                                    std::to_string(variant);
          ASSERT_EQ(call(&optimized::quantized_linear_out, args(out.get())), Error::Ok) << label;
          ASSERT_EQ(call(&portable::quantized_linear_out, args(ref.get())), Error::Ok) << label;
          expect_requantized(values(*out), values(*ref), config + ", " + label);
          expect_same_bits(label, values(*out));
        }
      }
    }
  });
}

struct ConvCase {
  int32_t n, c, h, w, oc, kh, kw, stride, pad, dil, groups;
  bool one_d;
};

std::string conv_name(const ConvCase& c) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "conv n%d c%d %dx%d oc%d k%dx%d s%d p%d d%d g%d%s", c.n, c.c, c.h,
                c.w, c.oc, c.kh, c.kw, c.stride, c.pad, c.dil, c.groups, c.one_d ? " 1-d" : "");
  return buf;
}

/// Runs case c through `fn` into a fresh out; returns its values.
std::vector<int> run_conv(KernelFn fn, const ConvCase& c, ScalarType in_t, ScalarType out_t,
                          bool per_channel, bool with_bias, bool relu, uint32_t seed,
                          size_t temp = 16 << 20, bool prepare = false) {
  Values v;
  const int32_t in_cg = c.c / c.groups;
  auto x = c.one_d ? random_act(in_t, {c.n, c.c, c.w}, seed)
                   : random_act(in_t, {c.n, c.c, c.h, c.w}, seed);
  auto w = c.one_d ? random_q(kI8, {c.oc, in_cg, c.kw}, seed + 1, -127, 127)
                   : random_q(kI8, {c.oc, in_cg, c.kh, c.kw}, seed + 1, -127, 127);
  auto s = make_f({per_channel ? c.oc : 1}, weight_scales(c.oc, per_channel, seed + 2));
  auto b = make_f({c.oc}, random_floats(c.oc, seed + 3, -0.5f, 0.5f));
  const int span_h = c.dil * (c.kh - 1) + 1, span_w = c.dil * (c.kw - 1) + 1;
  const int32_t oh = (c.h + 2 * c.pad - span_h) / c.stride + 1;
  const int32_t ow = (c.w + 2 * c.pad - span_w) / c.stride + 1;
  auto out = c.one_d ? make(out_t, {c.n, c.oc, ow}) : make(out_t, {c.n, c.oc, oh, ow});
  const int in_zp = in_t == kU8 ? 128 : 7, out_zp = out_t == kU8 ? 100 : -10;
  const int qmin = relu ? out_zp : (out_t == kU8 ? 0 : -128), qmax = out_t == kU8 ? 255 : 127;
  const std::vector<int64_t> one = {c.stride}, pad = {c.pad}, dil = {c.dil};
  const std::vector<int64_t> two = {c.stride, c.stride}, pad2 = {c.pad, c.pad},
                             dil2 = {c.dil, c.dil};
  const double os = out_scale_for(int64_t{in_cg} * c.kh * c.kw, 0.03, 0.0125);
  std::vector<EValue*> args = {x->ev(), v.real(0.03), v.integer(in_zp), w->ev(), s->ev(),
                               with_bias ? b->ev() : v.none(), v.ints(c.one_d ? one : two),
                               v.ints(c.one_d ? pad : pad2), v.ints(c.one_d ? dil : dil2),
                               v.integer(c.groups), v.real(os), v.integer(out_zp),
                               v.integer(qmin), v.integer(qmax), out->ev(), out->ev()};
  void* state = nullptr;
  if (prepare) {  // as Method::load does for a constant weight
    bool constant[16] = {}, packed[16] = {};
    constant[3] = true;
    state = optimized::prepare_quantized_convolution(Span<EValue* const>(args.data(), 16),
                                                     Span<const bool>(constant, 16),
                                                     Span<bool>(packed, 16));
    // Depthwise weights get their channels-last forms and stay (the other
    // paths read them); the GEMM's are packed and may go.
    const bool depthwise = in_cg == 1 && c.oc == c.groups;
    EXPECT_NE(state, nullptr) << conv_name(c);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(packed[i], i == 3 && !depthwise) << conv_name(c);
  }
  EXPECT_EQ(call(fn, args, temp, state), Error::Ok) << conv_name(c);
  optimized::release_prepacked(state);
  return values(*out);
}

const ConvCase kConvCases[] = {
    {1, 3, 9, 9, 17, 3, 3, 1, 1, 1, 1, false},    // first layer, padding
    {2, 3, 20, 14, 16, 3, 3, 2, 1, 1, 1, false},  // RGB stem (9-byte runs as words)
    {1, 3, 15, 19, 8, 7, 7, 2, 3, 1, 1, false},   // 7x7 stem (21-byte runs)
    {1, 8, 12, 11, 9, 3, 3, 1, 0, 1, 1, false},   // 24-byte runs, no padding
    {1, 3, 9, 11, 5, 1, 1, 2, 0, 1, 1, false},    // 3-byte im2col rows, shorter than a word
    {2, 17, 7, 5, 33, 3, 3, 2, 1, 1, 1, false},   // stride 2
    {1, 33, 8, 9, 3, 3, 3, 1, 2, 2, 1, false},    // dilation 2
    {1, 33, 6, 6, 17, 1, 1, 1, 0, 1, 1, false},   // 1x1 on the NHWC input in place
    {1, 17, 7, 7, 33, 1, 1, 2, 0, 1, 1, false},   // 1x1 stride 2 (im2col)
    {1, 16, 5, 7, 8, 3, 1, 1, 1, 1, 4, false},    // grouped (4 per group in, 2 out)
    {1, 4, 3, 3, 8, 3, 3, 1, 1, 1, 2, false},     // grouped, 1x1 images
    {2, 17, 9, 9, 17, 3, 3, 1, 1, 1, 17, false},  // depthwise
    {1, 33, 9, 8, 33, 3, 3, 2, 1, 1, 33, false},  // depthwise stride 2
    {1, 3, 9, 9, 3, 5, 5, 1, 2, 2, 3, false},     // depthwise 5x5 dilation 2
    {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, false},     // one of everything
    {1, 17, 1, 9, 33, 1, 3, 1, 1, 1, 1, true},    // 1-d
    {2, 3, 1, 9, 3, 1, 3, 2, 1, 1, 3, true},      // 1-d depthwise stride 2
    {1, 8, 1, 300, 8, 1, 3, 1, 1, 1, 8, true},    // 1-d depthwise, several column blocks
};

TEST_F(OptimizedQuantized, ConvolutionMatchesPortable) {
  each_qgemm([&](const std::string& config) {
    uint32_t seed = 100;
    int variant = 0;
    for (const ConvCase& c : kConvCases) {
      for (int rep = 0; rep < 2; ++rep, ++variant, seed += 4) {
        const ScalarType in_t = variant & 1 ? kU8 : kI8, out_t = variant & 2 ? kI8 : kU8;
        const bool per_channel = (variant & 4) == 0, bias = variant % 3 != 0, relu = variant & 1;
        const std::string label = conv_name(c) + " variant " + std::to_string(variant);
        const std::vector<int> got = run_conv(&optimized::quantized_convolution_out, c, in_t,
                                              out_t, per_channel, bias, relu, seed);
        const std::vector<int> want = run_conv(&portable::quantized_convolution_out, c, in_t,
                                               out_t, per_channel, bias, relu, seed);
        expect_requantized(got, want, config + ", " + label);
        expect_same_bits(label, got);
      }
    }
  });
}

// A weight packed at load gives the same bits as one packed in the call
// (per group, taps reordered); only the weight is marked packed; depthwise
// weights are read in place (no state); EMBER_PREPACK=0 packs nothing; a
// scratch memory too small for the default chunks gives the same bits with
// smaller ones.
TEST_F(OptimizedQuantized, PreparedAndSmallScratchConvolutionGiveTheSameBits) {
  each_qgemm([&](const std::string& config) {
    uint32_t seed = 300;
    for (const ConvCase& c : kConvCases) {
      const std::string label = config + ", " + conv_name(c);
      KernelFn fn = &optimized::quantized_convolution_out;
      const std::vector<int> plain = run_conv(fn, c, kU8, kI8, true, true, false, seed);
      EXPECT_EQ(run_conv(fn, c, kU8, kI8, true, true, false, seed, 16 << 20, true), plain) << label;
      EXPECT_EQ(run_conv(fn, c, kU8, kI8, true, true, false, seed, 24 << 10), plain) << label;
      seed += 4;
    }
  });
  setenv("EMBER_PREPACK", "0", 1);
  Values v;
  auto x = make(kI8, {1, 4, 3, 3});
  auto w = random_q(kI8, {4, 4, 1, 1}, 1, -127, 127);
  std::vector<EValue*> args(16, v.none());
  args[0] = x->ev();
  args[3] = w->ev();
  args[9] = v.integer(1);
  bool constant[16] = {}, packed[16] = {};
  constant[3] = true;
  EXPECT_EQ(optimized::prepare_quantized_convolution(Span<EValue* const>(args.data(), 16),
                                                     Span<const bool>(constant, 16),
                                                     Span<bool>(packed, 16)),
            nullptr);
  EXPECT_FALSE(packed[3]);
  unsetenv("EMBER_PREPACK");
}

// The fast paths run (they do not hand every call to the portable kernel):
// with a prepared weight a linear needs only the GEMM's smallest workspace and
// a depthwise convolution no scratch at all, where the portable kernel needs
// float copies of everything and fails.
TEST_F(OptimizedQuantized, FastPathsRunWithLessScratchThanPortable) {
  LogCapture log;
  Values v;
  auto x = random_act(kI8, {17, 33}, 1);
  auto w = random_q(kI8, {33, 33}, 2, -127, 127);
  auto s = make_f({33}, weight_scales(33, true, 3));
  auto out = make(kI8, {17, 33});
  std::vector<EValue*> args = {x->ev(), v.real(0.02), v.integer(0), w->ev(), s->ev(), v.none(),
                               v.real(0.5), v.integer(0), v.integer(-128), v.integer(127),
                               out->ev(), out->ev()};
  bool constant[12] = {}, packed[12] = {};
  constant[3] = true;
  void* state = optimized::prepare_quantized_linear(Span<EValue* const>(args.data(), 12),
                                                    Span<const bool>(constant, 12),
                                                    Span<bool>(packed, 12));
  ASSERT_NE(state, nullptr);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(packed[i], i == 3);
  const size_t small = qgemm::min_workspace_bytes(33) + 64;
  EXPECT_EQ(call(&optimized::quantized_linear_out, args, small, state), Error::Ok);
  EXPECT_EQ(call(&portable::quantized_linear_out, args, small), Error::MemoryAllocationFailed);
  optimized::release_prepacked(state);
  const ConvCase dw{1, 17, 9, 9, 17, 3, 3, 1, 1, 1, 17, false};
  run_conv(&optimized::quantized_convolution_out, dw, kI8, kI8, true, true, false, 5, 0);
}

// quantized_add: same shapes on the fast path, equal to the portable kernel
// everywhere; broadcasting and mixed dtypes are the portable kernel's.
TEST_F(OptimizedQuantized, AddMatchesPortable) {
  for (size_t threads : thread_counts()) {
    ASSERT_EQ(set_num_threads(threads), Error::Ok);
    uint32_t seed = 50;
    for (ScalarType t : {kI8, kU8}) {
      for (std::vector<int32_t> shape : {std::vector<int32_t>{1}, std::vector<int32_t>{3, 17},
                                         std::vector<int32_t>{2, 33, 9, 9},
                                         std::vector<int32_t>{1, 64, 56, 56}}) {
        for (bool relu : {false, true}) {
          Values v;
          auto a = random_act(t, shape, seed++), b = random_act(t, shape, seed++);
          auto out = make(t, shape), ref = make(t, shape);
          const int za = t == kU8 ? 120 : -5, zb = t == kU8 ? 133 : 9, zo = t == kU8 ? 128 : 0;
          // relu: a fused clamp with both bounds inside the type's range (relu6-like).
          const int qmin = relu ? zo : (t == kU8 ? 0 : -128);
          const int qmax = relu ? zo + 90 : (t == kU8 ? 255 : 127);
          auto args = [&](TestTensor* o) {
            return std::vector<EValue*>{a->ev(), v.real(0.037), v.integer(za), b->ev(),
                                        v.real(0.021), v.integer(zb), v.real(0.043),
                                        v.integer(zo), v.integer(qmin), v.integer(qmax),
                                        o->ev(), o->ev()};
          };
          ASSERT_EQ(call(&optimized::quantized_add_out, args(out.get())), Error::Ok);
          ASSERT_EQ(call(&portable::quantized_add_out, args(ref.get())), Error::Ok);
          EXPECT_EQ(values(*out), values(*ref)) << threads << " threads";
        }
      }
    }
  }
  Values v;
  auto a = random_act(kI8, {3, 17}, 1), b = random_act(kI8, {17}, 2);
  auto out = make(kI8, {3, 17}), ref = make(kI8, {3, 17});
  auto args = [&](TestTensor* o) {
    return std::vector<EValue*>{a->ev(), v.real(0.1), v.integer(0), b->ev(), v.real(0.2),
                                v.integer(0), v.real(0.3), v.integer(0), v.integer(-128),
                                v.integer(127), o->ev(), o->ev()};
  };
  ASSERT_EQ(call(&optimized::quantized_add_out, args(out.get())), Error::Ok);
  ASSERT_EQ(call(&portable::quantized_add_out, args(ref.get())), Error::Ok);
  EXPECT_EQ(values(*out), values(*ref));
}

/// |got - want| <= tol[i] elementwise.
void expect_within(const std::vector<float>& got, const std::vector<float>& want,
                   const std::vector<double>& tol, const std::string& label) {
  ASSERT_EQ(got.size(), want.size()) << label;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(static_cast<double>(got[i]) - want[i]) <= tol[i])) {
      ADD_FAILURE() << label << ": [" << i << "] = " << got[i] << ", portable " << want[i]
                    << ", bound " << tol[i];
      return;
    }
  }
}

// linear_dynamic_int8: the input quantized per tensor exactly as the portable
// kernel (choose_qparams.tensor, eps 2^-12), then the integer GEMM with a
// float epilogue: within 2^-20 (sum_p |dq(x)_p dq(w)_p| + |bias|) of the
// portable kernel's double sums, bit-identical across qgemm families and threads.
TEST_F(OptimizedQuantized, LinearDynamicInt8MatchesPortable) {
  each_qgemm([&](const std::string& config) {
    uint32_t seed = 70;
    for (int32_t k : {1, 3, 17, 33, 200}) {
      for (int32_t n : {1, 17, 33}) {
        for (int32_t m : {1, 3, 17}) {
          Values v;
          const bool per_channel = (k + n) % 2 == 0, with_bias = m != 3;
          const std::vector<float> xv = random_floats(m * k, seed++, -2.0f, 3.0f);
          auto x = make_f({m, k}, xv);
          auto w = random_q(kI8, {n, k}, seed++, -127, 127);
          const std::vector<float> sv = weight_scales(n, per_channel, seed++);
          auto s = make_f({per_channel ? n : 1}, sv);
          const std::vector<float> bv = random_floats(n, seed++);
          auto b = make_f({n}, bv);
          auto out = make(kF, {m, n}), ref = make(kF, {m, n});
          auto args = [&](TestTensor* o) {
            return std::vector<EValue*>{x->ev(), w->ev(), s->ev(), with_bias ? b->ev() : v.none(),
                                        v.integer(-128), v.integer(127), v.real(1.0 / 4096),
                                        o->ev(), o->ev()};
          };
          const std::string label = config + ", dynamic m" + std::to_string(m) + " n" +
                                    std::to_string(n) + " k" + std::to_string(k);
          ASSERT_EQ(call(&optimized::linear_dynamic_int8_out, args(out.get())), Error::Ok);
          ASSERT_EQ(call(&portable::linear_dynamic_int8_out, args(ref.get())), Error::Ok);
          // The bound from |x| (each dq(x) is within half a step of x, whose
          // step is under range / 255).
          const std::vector<int> wq = values(*w);
          std::vector<double> tol(static_cast<size_t>(m * n));
          for (int32_t i = 0; i < m; ++i) {
            for (int32_t j = 0; j < n; ++j) {
              double mag = with_bias ? std::fabs(bv[j]) : 0.0;
              for (int32_t p = 0; p < k; ++p) {
                mag += (std::fabs(xv[i * k + p]) + 0.02) * std::abs(wq[j * k + p]) *
                       sv[per_channel ? j : 0];
              }
              tol[i * n + j] = std::ldexp(mag, -20);
            }
          }
          expect_within(out->get<float>(), ref->get<float>(), tol, label);
          std::vector<int> bits;
          for (float f : out->get<float>()) {
            int32_t u;
            std::memcpy(&u, &f, 4);
            bits.push_back(u);
          }
          expect_same_bits(label.substr(label.find("dynamic")), bits);
        }
      }
    }
  });
}

// linear_lowbit: int4 (nibbles) and int8 weights, group sizes 16, 32 and K,
// zero points or none, bias or none, dynamic int8 or float32 activations, on
// every lowbit family at 1 and 2 threads (bit-identical across threads),
// within lowbit's bound of the portable kernel: (k/G + 8) 2^-23 T for dynamic
// activations, (G + k/G + 8) 2^-23 T weight-only, T = sum_p |dq(x)_p dq(W)_p|
// + |bias| (dq(x) taken as x plus a step, |x| / 127 + 1e-30).
TEST_F(OptimizedQuantized, LinearLowbitMatchesPortable) {
  for (lowbit::Isa isa : {lowbit::Isa::generic, lowbit::Isa::avx2, lowbit::Isa::avx512_vnni,
                          lowbit::Isa::neon, lowbit::Isa::neon_dotprod}) {
    if (!lowbit::isa_available(isa)) continue;
    ASSERT_EQ(lowbit::set_isa(isa), Error::Ok);
    uint32_t seed = 900;
    for (int bits : {4, 8}) {
      for (int32_t k : {32, 96}) {
        for (int32_t g : {16, 32, k}) {
          for (int32_t n : {1, 3, 17, 33}) {
            for (int32_t m : {1, 3, 17}) {
              const int variant = (k + g + n + m + bits) % 8;
              const bool has_zp = variant & 1, with_bias = variant & 2, dynamic = variant & 4;
              const int32_t groups = k / g;
              Values v;
              const std::vector<float> xv = random_floats(m * k, seed++, -2.0f, 2.0f);
              auto x = make_f({m, k}, xv);
              auto w = bits == 4 ? random_q(kU8, {n, k / 2}, seed++, 0, 255)
                                 : random_q(kI8, {n, k}, seed++, -128, 127);
              const std::vector<float> sv = random_floats(n * groups, seed++, 0.001f, 0.01f);
              auto s = make_f({n, groups}, sv);
              auto zp = bits == 4 ? random_q(kI8, {n, groups}, seed++, -8, 7)
                                  : random_q(kI8, {n, groups}, seed++, -20, 20);
              const std::vector<float> bv = random_floats(n, seed++);
              auto b = make_f({n}, bv);
              std::vector<float> got;
              for (size_t threads : thread_counts()) {
                ASSERT_EQ(set_num_threads(threads), Error::Ok);
                auto out = make(kF, {m, n}), ref = make(kF, {m, n});
                auto args = [&](TestTensor* o) {
                  return std::vector<EValue*>{x->ev(), w->ev(), s->ev(),
                                              has_zp ? zp->ev() : v.none(), v.integer(bits),
                                              v.integer(g), v.boolean(dynamic),
                                              with_bias ? b->ev() : v.none(), o->ev(), o->ev()};
                };
                const std::string label = std::string(lowbit::isa_name(isa)) + ", " +
                                          std::to_string(threads) + " threads, lowbit " +
                                          std::to_string(bits) + "-bit m" + std::to_string(m) +
                                          " n" + std::to_string(n) + " k" + std::to_string(k) +
                                          " g" + std::to_string(g) + " variant " +
                                          std::to_string(variant);
                ASSERT_EQ(call(&optimized::linear_lowbit_out, args(out.get())), Error::Ok) << label;
                ASSERT_EQ(call(&portable::linear_lowbit_out, args(ref.get())), Error::Ok) << label;
                const std::vector<int> wq = values(*w), zq = values(*zp);
                std::vector<double> tol(static_cast<size_t>(m * n));
                for (int32_t i = 0; i < m; ++i) {
                  for (int32_t j = 0; j < n; ++j) {
                    double mag = with_bias ? std::fabs(bv[j]) : 0.0;
                    for (int32_t p = 0; p < k; ++p) {
                      int q = bits == 8 ? wq[j * k + p]
                                        : ((wq[j * (k / 2) + p / 2] >> (p % 2 ? 4 : 0)) & 15);
                      if (bits == 4 && q >= 8) q -= 16;
                      const int z = has_zp ? zq[j * groups + p / g] : 0;
                      mag += (std::fabs(xv[i * k + p]) * (1.0 + 1.0 / 127) + 1e-30) *
                             std::abs(q - z) * sv[j * groups + p / g];
                    }
                    const double factor = dynamic ? groups + 8.0 : g + groups + 8.0;
                    tol[i * n + j] = factor * std::ldexp(mag, -23);
                  }
                }
                expect_within(out->get<float>(), ref->get<float>(), tol, label);
                if (got.empty()) {
                  got = out->get<float>();
                } else {
                  EXPECT_EQ(out->get<float>(), got) << label << " differs from 1 thread";
                }
              }
            }
          }
        }
      }
    }
  }
}

// Prepared linears (quantized_linear, linear_dynamic_int8, linear_lowbit)
// give the bits of the unprepared calls and mark what they packed.
TEST_F(OptimizedQuantized, PreparedLinearsGiveTheSameBits) {
  Values v;
  const int32_t m = 7, n = 33, k = 64;
  auto xq = random_act(kU8, {m, k}, 1);
  auto xf = make_f({m, k}, random_floats(m * k, 2));
  auto w8 = random_q(kI8, {n, k}, 3, -127, 127);
  auto w4 = random_q(kU8, {n, k / 2}, 4, 0, 255);
  auto s = make_f({n}, weight_scales(n, true, 5));
  auto gs = make_f({n, 2}, random_floats(n * 2, 6, 0.001f, 0.01f));
  auto zp = random_q(kI8, {n, 2}, 7, -8, 7);
  auto b = make_f({n}, random_floats(n, 8));
  auto oq = make(kI8, {m, n}), rq = make(kI8, {m, n});
  auto of = make(kF, {m, n}), rf = make(kF, {m, n});
  struct Case {
    KernelFn fn;
    KernelPrepareFn prepare;
    std::vector<EValue*> args, ref_args;
    std::vector<size_t> packed;
    bool float_out;
  };
  auto q_args = [&](TestTensor* o) {
    return std::vector<EValue*>{xq->ev(), v.real(0.02), v.integer(128), w8->ev(), s->ev(), b->ev(),
                                v.real(0.3), v.integer(3), v.integer(-128), v.integer(127),
                                o->ev(), o->ev()};
  };
  auto d_args = [&](TestTensor* o) {
    return std::vector<EValue*>{xf->ev(), w8->ev(), s->ev(), b->ev(), v.integer(-128),
                                v.integer(127), v.real(1.0 / 4096), o->ev(), o->ev()};
  };
  auto l_args = [&](TestTensor* o) {
    return std::vector<EValue*>{xf->ev(), w4->ev(), gs->ev(), zp->ev(), v.integer(4),
                                v.integer(32), v.boolean(true), b->ev(), o->ev(), o->ev()};
  };
  const std::vector<Case> cases = {
      {&optimized::quantized_linear_out, &optimized::prepare_quantized_linear, q_args(oq.get()),
       q_args(rq.get()), {3}, false},
      {&optimized::linear_dynamic_int8_out, &optimized::prepare_linear_dynamic_int8,
       d_args(of.get()), d_args(rf.get()), {1}, true},
      {&optimized::linear_lowbit_out, &optimized::prepare_linear_lowbit, l_args(of.get()),
       l_args(rf.get()), {1, 2, 3}, true},
  };
  for (const Case& c : cases) {
    const size_t count = c.args.size();
    bool constant[16] = {}, packed[16] = {};
    for (size_t i : c.packed) constant[i] = true;
    void* state = c.prepare(Span<EValue* const>(c.args.data(), count),
                            Span<const bool>(constant, count), Span<bool>(packed, count));
    ASSERT_NE(state, nullptr);
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(packed[i], constant[i]) << i;
    }
    ASSERT_EQ(call(c.fn, c.args, 16 << 20, state), Error::Ok);
    ASSERT_EQ(call(c.fn, c.ref_args), Error::Ok);
    if (c.float_out) {
      EXPECT_EQ(of->get<float>(), rf->get<float>());
    } else {
      EXPECT_EQ(values(*oq), values(*rq));
    }
    optimized::release_prepacked(state);
    // Not constant: nothing packed.
    bool none[16] = {};
    EXPECT_EQ(c.prepare(Span<EValue* const>(c.args.data(), count), Span<const bool>(none, count),
                        Span<bool>(packed, count)),
              nullptr);
  }
}

// float16 and bfloat16 weight scales (torchao's weight_scale_dtype) mean
// exactly their float32 values: the prepared optimized call and the
// unprepared one (both pack the scales as stored, 16-bit, and widen them as
// they read them) give the bits of the optimized call with float32 scales,
// and the portable kernel those of its own call with float32 scales.
TEST_F(OptimizedQuantized, LinearLowbitHalfScalesAreTheirFloatValues) {
  Values v;
  const int32_t m = 5, n = 19, k = 64;
  auto x = make_f({m, k}, random_floats(m * k, 11, -2.0f, 2.0f));
  auto w = random_q(kU8, {n, k / 2}, 12, 0, 255);
  auto b = make_f({n}, random_floats(n, 13));
  const std::vector<float> raw = random_floats(n * 2, 14, 0.001f, 0.01f);
  for (ScalarType st : {ScalarType::Half, ScalarType::BFloat16}) {
    auto half = make(st, {n, 2});
    std::vector<float> wide(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      uint16_t bits;
      if (st == ScalarType::Half) {
        const Half h(raw[i]);
        bits = h.bits;
        wide[i] = h;
      } else {
        const BFloat16 h(raw[i]);
        bits = h.bits;
        wide[i] = h;
      }
      half->t().data_as<uint16_t>()[i] = bits;
    }
    auto f32 = make_f({n, 2}, wide);
    auto args = [&](TestTensor* s, TestTensor* o) {
      return std::vector<EValue*>{x->ev(), w->ev(), s->ev(), v.none(), v.integer(4),
                                  v.integer(32), v.boolean(true), b->ev(), o->ev(), o->ev()};
    };
    auto want = make(kF, {m, n}), prepared = make(kF, {m, n}), plain = make(kF, {m, n});
    auto portable_half = make(kF, {m, n}), portable_f32 = make(kF, {m, n});
    ASSERT_EQ(call(&optimized::linear_lowbit_out, args(f32.get(), want.get())), Error::Ok);
    std::vector<EValue*> pa = args(half.get(), prepared.get());
    bool constant[10] = {false, true, true, true}, packed[10] = {};
    void* state = optimized::prepare_linear_lowbit(Span<EValue* const>(pa.data(), pa.size()),
                                                   Span<const bool>(constant, pa.size()),
                                                   Span<bool>(packed, pa.size()));
    ASSERT_NE(state, nullptr) << scalar_type_name(st);
    ASSERT_EQ(call(&optimized::linear_lowbit_out, pa, 16 << 20, state), Error::Ok);
    optimized::release_prepacked(state);
    EXPECT_EQ(prepared->get<float>(), want->get<float>()) << scalar_type_name(st);
    ASSERT_EQ(call(&optimized::linear_lowbit_out, args(half.get(), plain.get())), Error::Ok);
    ASSERT_EQ(call(&portable::linear_lowbit_out, args(half.get(), portable_half.get())),
              Error::Ok);
    ASSERT_EQ(call(&portable::linear_lowbit_out, args(f32.get(), portable_f32.get())), Error::Ok);
    // Unprepared, the call packs the 16-bit scales as they are: the same bits.
    EXPECT_EQ(plain->get<float>(), want->get<float>()) << scalar_type_name(st);
    EXPECT_EQ(portable_half->get<float>(), portable_f32->get<float>()) << scalar_type_name(st);
  }
}

// Throughput of ResNet-like int8 convolutions (prepared weights, int8 in and
// out), against qgemm alone on the same [pixels, k, oc] product: run with
//   ember_optimized_kernel_tests --gtest_also_run_disabled_tests \
//     --gtest_filter='*DISABLED_ConvolutionThroughput'
// (EMBER_QGEMM_ISA picks the family; 1 and 2 threads).
TEST_F(OptimizedQuantized, DISABLED_ConvolutionThroughput) {
  struct Shape {
    const char* name;
    ConvCase c;
  };
  const Shape shapes[] = {
      {"3x3 64->64 56x56", {1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, false}},
      {"1x1 256->64 56x56", {1, 256, 56, 56, 64, 1, 1, 1, 0, 1, 1, false}},
      {"3x3 s2 128->128 56x56->28x28", {1, 128, 56, 56, 128, 3, 3, 2, 1, 1, 1, false}},
      {"3x3 s2 128->128 28x28->14x14", {1, 128, 28, 28, 128, 3, 3, 2, 1, 1, 1, false}},
      {"dw 3x3 32ch 112x112", {1, 32, 112, 112, 32, 3, 3, 1, 1, 1, 32, false}},
      {"dw 3x3 s2 96ch 56x56->28x28", {1, 96, 56, 56, 96, 3, 3, 2, 1, 1, 96, false}},
      {"dw 5x5 240ch 14x14", {1, 240, 14, 14, 240, 5, 5, 1, 2, 1, 240, false}},
  };
  for (size_t threads : thread_counts()) {
    ASSERT_EQ(set_num_threads(threads), Error::Ok);
    for (const Shape& sh : shapes) {
      const ConvCase& c = sh.c;
      Values v;
      const int32_t in_cg = c.c / c.groups;
      const int32_t oh = (c.h + 2 * c.pad - c.kh) / c.stride + 1;
      const int32_t ow = (c.w + 2 * c.pad - c.kw) / c.stride + 1;
      auto x = random_act(kI8, {c.n, c.c, c.h, c.w}, 1);
      auto w = random_q(kI8, {c.oc, in_cg, c.kh, c.kw}, 2, -127, 127);
      auto s = make_f({c.oc}, weight_scales(c.oc, true, 3));
      auto b = make_f({c.oc}, random_floats(c.oc, 4));
      auto out = make(kI8, {c.n, c.oc, oh, ow});
      std::vector<EValue*> args = {x->ev(), v.real(0.02), v.integer(3), w->ev(), s->ev(), b->ev(),
                                   v.ints({c.stride, c.stride}), v.ints({c.pad, c.pad}),
                                   v.ints({1, 1}), v.integer(c.groups), v.real(0.5),
                                   v.integer(0), v.integer(-128), v.integer(127), out->ev(),
                                   out->ev()};
      bool constant[16] = {}, packed[16] = {};
      constant[3] = true;
      void* state = optimized::prepare_quantized_convolution(
          Span<EValue* const>(args.data(), 16), Span<const bool>(constant, 16),
          Span<bool>(packed, 16));
      std::vector<uint8_t> temp(16 << 20);
      auto best_of = [&](const std::function<void()>& f) {
        double best = 1e30;
        for (int rep = 0; rep < 30; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          f();
          const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          best = dt < best ? dt : best;
        }
        return best;
      };
      const double conv_s = best_of([&] {
        KernelContext ctx(temp.data(), temp.size());
        ctx.set_state(state);
        optimized::quantized_convolution_out(ctx, Span<EValue*>(args.data(), args.size()));
        ASSERT_EQ(ctx.error(), Error::Ok);
      });
      const double ops = 2.0 * c.n * c.oc * oh * ow * in_cg * c.kh * c.kw;
      double gemm_s = 0.0;
      if (c.groups == 1) {  // qgemm alone on the product's shape
        const int64_t m = int64_t{oh} * ow, k = int64_t{in_cg} * c.kh * c.kw;
        std::vector<int8_t> a(static_cast<size_t>(m * k), 1), wr(static_cast<size_t>(c.oc * k), 1),
            y(static_cast<size_t>(m * c.oc));
        std::vector<uint8_t> pb(qgemm::packed_qb_bytes(k, c.oc) + 64);
        void* pbuf = pb.data() + (64 - reinterpret_cast<uintptr_t>(pb.data()) % 64) % 64;
        ASSERT_EQ(qgemm::pack_qb(wr.data(), k, c.oc, k, pbuf, qgemm::packed_qb_bytes(k, c.oc)),
                  Error::Ok);
        std::vector<uint8_t> ws(qgemm::workspace_bytes(m, c.oc, k, threads));
        qgemm::Activation act{a.data(), qgemm::ActType::s8, k};
        qgemm::Weight wt{pbuf, s->t().data_as<const float>(), true};
        qgemm::QEpilogue e;
        e.out = qgemm::OutType::s8;
        gemm_s = best_of([&] {
          ASSERT_EQ(qgemm::qgemm(m, c.oc, k, act, wt, y.data(), c.oc, e, ws.data(), ws.size()),
                    Error::Ok);
        });
      }
      std::printf("%-30s %zu thr (%s): %7.3f ms %6.1f GOP/s; qgemm alone %7.3f ms %6.1f GOP/s\n",
                  sh.name, threads, qgemm::isa_name(qgemm::active_isa()), conv_s * 1e3,
                  ops / conv_s * 1e-9, gemm_s * 1e3, gemm_s > 0 ? ops / gemm_s * 1e-9 : 0.0);
      optimized::release_prepacked(state);
    }
  }
}

}  // namespace
}  // namespace test
}  // namespace ember
