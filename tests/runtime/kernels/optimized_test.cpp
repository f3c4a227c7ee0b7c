// The optimized kernels (runtime/kernels/optimized) against float64
// references and against the portable kernels, on every instruction set this
// CPU runs (generic, avx2, avx512 on x86; generic, neon on aarch64), at 1 and
// 2 threads: odd sizes (1, 7, 17, 129, ...), special values (NaN, +-inf, -0,
// large and tiny), broadcasting, other dim orders (the portable fallback) and
// rejected calls. Results must be bit-identical whatever the thread count:
// no kernel splits a reduction over threads.
#include <cmath>
#include <algorithm>
#include <functional>
#include <limits>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

using optimized::Isa;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (optimized::isa_available(isa)) out.push_back(isa);
  }
  return out;
}

/// Runs each test body under every instruction set and 1 and 2 threads
/// (the fixture restores the defaults after).
class Optimized : public OptimizedKernelTest {
 protected:
  /// body(label) for every (isa, threads); the label names both.
  void each_config(const std::function<void(const std::string&)>& body) {
    for (Isa isa : available_isas()) {
      for (size_t threads : thread_counts()) {
        ASSERT_TRUE(optimized::set_isa(isa));
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        body(std::string(optimized::isa_name(isa)) + ", " + std::to_string(threads) + " threads");
      }
    }
  }
};

/// Inputs: random in [-lo, hi], then special values at the front.
std::vector<float> unary_inputs(size_t n, uint32_t seed, float range) {
  std::vector<float> x = random_floats(n, seed, -range, range);
  const float specials[] = {0.0f, -0.0f, kNan, kInf, -kInf, 1e-30f, -1e-30f, 88.0f, -88.0f,
                            100.0f, -100.0f, 0.624f, -0.626f, 5.0f, -5.0f};
  for (size_t i = 0; i < n && i < sizeof(specials) / sizeof(specials[0]); ++i) x[i] = specials[i];
  return x;
}

/// |got - want| <= abs_tol + rel_tol |want|, NaN for NaN, inf for inf.
void expect_within(const std::vector<float>& got, const std::vector<double>& want, double abs_tol,
                   double rel_tol, const std::string& label) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << label << " at " << i;
    } else if (std::isinf(want[i]) || std::fabs(want[i]) > 3.4e38) {
      EXPECT_EQ(static_cast<double>(got[i]), want[i] > 0 ? kInf : -kInf) << label << " at " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], abs_tol + rel_tol * std::fabs(want[i])) << label << " at " << i;
    }
  }
}

double gelu_erf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double gelu_tanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

struct UnaryCase {
  const char* op;
  const char* approximate;  ///< gelu's argument, or nullptr for a (self, out) schema
  double (*reference)(double);
  double abs_tol, rel_tol;
  float range;
};

std::vector<float> run_unary(const UnaryCase& c, const std::vector<float>& x, KernelFn fn) {
  Values v;
  auto in = make_f({static_cast<int32_t>(x.size())}, x);
  auto out = make(ScalarType::Float, {static_cast<int32_t>(x.size())});
  std::vector<EValue*> args = c.approximate != nullptr
                                  ? std::vector<EValue*>{in->ev(), v.str(c.approximate), out->ev(),
                                                         out->ev()}
                                  : std::vector<EValue*>{in->ev(), out->ev(), out->ev()};
  std::vector<uint8_t> temp(1 << 16);
  KernelContext ctx(temp.data(), temp.size());
  if (fn == nullptr) {
    EXPECT_EQ(run(c.op, args), Error::Ok);
  } else {
    fn(ctx, Span<EValue*>(args.data(), args.size()));
    EXPECT_EQ(ctx.error(), Error::Ok);
  }
  return out->get<float>();
}

TEST_F(Optimized, UnaryOpsMatchFloat64AndPortable) {
  const UnaryCase cases[] = {
      {"aten::gelu.out", "none", gelu_erf, 3e-7, 3e-7, 8.0f},
      {"aten::gelu.out", "tanh", gelu_tanh, 2e-7, 4e-7, 8.0f},
      {"aten::sigmoid.out", nullptr, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, 1e-7,
       4e-7, 20.0f},
      {"aten::tanh.out", nullptr, [](double x) { return std::tanh(x); }, 1e-7, 4e-7, 6.0f},
      {"aten::exp.out", nullptr, [](double x) { return std::exp(x); }, 1e-37, 2.5e-7, 90.0f},
      {"aten::silu.out", nullptr, [](double x) { return x / (1.0 + std::exp(-x)); }, 1e-7, 4e-7,
       20.0f},
      {"aten::hardswish.out", nullptr,
       [](double x) { return x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0; }, 1e-7, 2.5e-7,
       8.0f},
  };
  const KernelFn portable_fns[] = {&portable::gelu_out,  &portable::gelu_out,
                                   &portable::sigmoid_out, &portable::tanh_out,
                                   &portable::exp_out,   &portable::silu_out,
                                   &portable::hardswish_out};
  each_config([&](const std::string& config) {
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ++ci) {
      const UnaryCase& c = cases[ci];
      for (size_t n : {size_t{1}, size_t{7}, size_t{17}, size_t{129}, size_t{40000}}) {
        const std::string label = std::string(c.op) + (c.approximate ? c.approximate : "") +
                                  " n=" + std::to_string(n) + " (" + config + ")";
        const std::vector<float> x = unary_inputs(n, static_cast<uint32_t>(n + ci), c.range);
        const std::vector<float> got = run_unary(c, x, nullptr);
        std::vector<double> want(n);
        for (size_t i = 0; i < n; ++i) want[i] = c.reference(x[i]);
        // exp flushes results below FLT_MIN to 0 (documented): the reference too.
        if (std::string(c.op) == "aten::exp.out") {
          for (double& w : want) w = w < 1.1754943508222875e-38 ? 0.0 : w;
        }
        expect_within(got, want, c.abs_tol, c.rel_tol, label);
        // And against the portable kernel (its own float math), a little looser.
        const std::vector<float> ref = run_unary(c, x, portable_fns[ci]);
        std::vector<double> ref_d(ref.begin(), ref.end());
        if (std::string(c.op) == "aten::exp.out") {
          for (double& w : ref_d) w = w < 1.1754943508222875e-38 ? 0.0 : w;
        }
        expect_within(got, ref_d, 2 * c.abs_tol, 2 * c.rel_tol, label + " vs portable");
      }
    }
  });
}

TEST_F(Optimized, ResultsIdenticalAcrossThreadCounts) {
  if (thread_counts().size() < 2) GTEST_SKIP() << "built without pthreadpool: one thread only";
  const std::vector<float> x = random_floats(103000, 5, -6.0f, 6.0f);
  std::vector<std::vector<float>> per_threads;
  for (size_t threads : {size_t{1}, size_t{2}}) {
    ASSERT_EQ(set_num_threads(threads), Error::Ok);
    Values v;
    auto in = make_f({1000, 103}, x);
    auto g = make(ScalarType::Float, {1000, 103});
    auto s = make(ScalarType::Float, {1000, 103});
    auto ln = make(ScalarType::Float, {1000, 103});
    auto mean = make(ScalarType::Float, {1000, 1});
    auto rstd = make(ScalarType::Float, {1000, 1});
    auto sum = make(ScalarType::Float, {1000, 103});
    auto bias = make_f({103}, random_floats(103, 9));
    ASSERT_EQ(run("aten::gelu.out", {in->ev(), v.str("none"), g->ev(), g->ev()}), Error::Ok);
    ASSERT_EQ(run("aten::_softmax.out", {in->ev(), v.integer(-1), v.boolean(false), s->ev(),
                                         s->ev()}),
              Error::Ok);
    ASSERT_EQ(run("aten::native_layer_norm.out",
                  {in->ev(), v.ints({103}), bias->ev(), v.none(), v.real(1e-5), ln->ev(),
                   mean->ev(), rstd->ev(), v.none()}),
              Error::Ok);
    ASSERT_EQ(run("aten::add.out", {in->ev(), bias->ev(), v.integer(1), sum->ev(), sum->ev()}),
              Error::Ok);
    std::vector<float> all;
    for (auto* t : {g.get(), s.get(), ln.get(), mean.get(), rstd.get(), sum.get()}) {
      const std::vector<float> part = t->get<float>();
      all.insert(all.end(), part.begin(), part.end());
    }
    per_threads.push_back(all);
  }
  ASSERT_EQ(per_threads[0].size(), per_threads[1].size());
  for (size_t i = 0; i < per_threads[0].size(); ++i) {
    if (std::memcmp(&per_threads[0][i], &per_threads[1][i], sizeof(float)) != 0) {
      ADD_FAILURE() << "first difference at " << i << ": " << per_threads[0][i] << " vs "
                    << per_threads[1][i];
      break;
    }
  }
  EXPECT_EQ(std::memcmp(per_threads[0].data(), per_threads[1].data(),
                        per_threads[0].size() * sizeof(float)),
            0);
}

// The CNN kernels (depthwise, one-position and im2col convolutions, max
// pooling, trailing means) give the same bits at 1 and 2 threads, on shapes
// large enough to be split.
TEST_F(Optimized, CnnKernelsIdenticalAcrossThreadCounts) {
  if (thread_counts().size() < 2) GTEST_SKIP() << "built without pthreadpool: one thread only";
  const std::vector<float> x = random_floats(64 * 57 * 57, 21, -3.0f, 3.0f);
  const std::vector<float> wdw = random_floats(64 * 25, 22);
  const std::vector<float> wfc = random_floats(96 * 64, 23);
  const std::vector<float> w3 = random_floats(32 * 64 * 9, 24);
  const std::vector<float> bias = random_floats(96, 25);
  std::vector<std::vector<float>> per_threads;
  std::vector<std::vector<int64_t>> per_threads_idx;
  for (size_t threads : {size_t{1}, size_t{2}}) {
    ASSERT_EQ(set_num_threads(threads), Error::Ok);
    Values v;
    auto in = make_f({1, 64, 57, 57}, x);
    auto dw_w = make_f({64, 1, 5, 5}, wdw);
    auto fc_w = make_f({96, 64, 1, 1}, wfc);
    auto c3_w = make_f({32, 64, 3, 3}, w3);
    auto b = make_f({96}, bias);
    auto b32 = make_f({32}, std::vector<float>(bias.begin(), bias.begin() + 32));
    auto b64 = make_f({64}, std::vector<float>(bias.begin(), bias.begin() + 64));
    auto dw = make(ScalarType::Float, {1, 64, 29, 29});
    auto pooled = make(ScalarType::Float, {1, 64, 1, 1});
    auto fc = make(ScalarType::Float, {1, 96, 1, 1});
    auto c3 = make(ScalarType::Float, {1, 32, 57, 57});
    auto mp = make(ScalarType::Float, {1, 64, 29, 29});
    auto mp_idx = make(ScalarType::Long, {1, 64, 29, 29});
    auto conv = [&](TestTensor* input, TestTensor* w, TestTensor* bb, std::vector<int64_t> stride,
                    std::vector<int64_t> pad, int64_t groups, TestTensor* o) {
      return run("aten::convolution.out",
                 {input->ev(), w->ev(), bb->ev(), v.ints(stride), v.ints(pad), v.ints({1, 1}),
                  v.boolean(false), v.ints({0, 0}), v.integer(groups), o->ev(), o->ev()});
    };
    ASSERT_EQ(conv(in.get(), dw_w.get(), b64.get(), {2, 2}, {2, 2}, 64, dw.get()), Error::Ok);
    ASSERT_EQ(run("aten::mean.out", {in->ev(), v.ints({-1, -2}), v.boolean(true), v.none(),
                                     pooled->ev(), pooled->ev()}),
              Error::Ok);
    ASSERT_EQ(conv(pooled.get(), fc_w.get(), b.get(), {1, 1}, {0, 0}, 1, fc.get()), Error::Ok);
    ASSERT_EQ(conv(in.get(), c3_w.get(), b32.get(), {1, 1}, {1, 1}, 1, c3.get()), Error::Ok);
    ASSERT_EQ(run("aten::max_pool2d_with_indices.out",
                  {in->ev(), v.ints({3, 3}), v.ints({2, 2}), v.ints({1, 1}), v.ints({1, 1}),
                   v.boolean(false), mp->ev(), mp_idx->ev(), v.tensors({mp.get(), mp_idx.get()})}),
              Error::Ok);
    std::vector<float> all;
    for (auto* t : {dw.get(), pooled.get(), fc.get(), c3.get(), mp.get()}) {
      const std::vector<float> part = t->get<float>();
      all.insert(all.end(), part.begin(), part.end());
    }
    per_threads.push_back(all);
    per_threads_idx.push_back(mp_idx->get<int64_t>());
  }
  ASSERT_EQ(per_threads[0].size(), per_threads[1].size());
  EXPECT_EQ(std::memcmp(per_threads[0].data(), per_threads[1].data(),
                        per_threads[0].size() * sizeof(float)),
            0);
  EXPECT_EQ(per_threads_idx[0], per_threads_idx[1]);
}

TEST_F(Optimized, SoftmaxRowsMatchFloat64) {
  each_config([&](const std::string& config) {
    for (int32_t len : {1, 7, 17, 129, 1000}) {
      for (int32_t rows : {1, 3, 50}) {
        for (bool log : {false, true}) {
          Values v;
          std::vector<float> x = random_floats(static_cast<size_t>(rows * len),
                                               static_cast<uint32_t>(len * 7 + rows), -12.0f, 12.0f);
          if (len > 3) x[2] = -kInf;               // a masked position in row 0
          if (rows > 2) x[2 * len] = kNan;          // row 2 is all NaN
          auto in = make_f({rows, len}, x);
          auto out = make(ScalarType::Float, {rows, len});
          ASSERT_EQ(run(log ? "aten::_log_softmax.out" : "aten::_softmax.out",
                        {in->ev(), v.integer(1), v.boolean(false), out->ev(), out->ev()}),
                    Error::Ok);
          std::vector<double> want(x.size());
          for (int32_t r = 0; r < rows; ++r) {
            const float* row = x.data() + r * len;
            double m = -INFINITY;
            bool nan = false;
            for (int32_t i = 0; i < len; ++i) {
              nan = nan || std::isnan(row[i]);
              m = std::max(m, static_cast<double>(row[i]));
            }
            double s = 0.0;
            for (int32_t i = 0; i < len; ++i) s += std::exp(row[i] - m);
            for (int32_t i = 0; i < len; ++i) {
              const double e = log ? row[i] - m - std::log(s) : std::exp(row[i] - m) / s;
              want[static_cast<size_t>(r * len + i)] = nan ? NAN : e;
            }
          }
          const std::string label = std::string(log ? "log_softmax" : "softmax") + " [" +
                                    std::to_string(rows) + ", " + std::to_string(len) + "] (" +
                                    config + ")";
          // log_softmax: log(sum) of a float sum is good to a few 1e-7
          // absolute, which is the bound on small results near the maximum.
          expect_within(out->get<float>(), want, log ? 5e-7 : 1e-7, 2e-6, label);
        }
      }
    }
  });
}

TEST_F(Optimized, LayerNormMatchesFloat64) {
  each_config([&](const std::string& config) {
    for (int32_t len : {1, 7, 17, 129, 768}) {
      for (int mode = 0; mode < 3; ++mode) {  // 0: weight and bias, 1: weight only, 2: neither
        Values v;
        const int32_t rows = 9;
        const std::vector<float> x =
            random_floats(static_cast<size_t>(rows * len), static_cast<uint32_t>(len + mode), -3.0f, 5.0f);
        const std::vector<float> w = random_floats(static_cast<size_t>(len), 3, 0.5f, 1.5f);
        const std::vector<float> b = random_floats(static_cast<size_t>(len), 4);
        auto in = make_f({rows / 3, 3, len}, x);
        auto wt = make_f({len}, w);
        auto bt = make_f({len}, b);
        auto out = make(ScalarType::Float, {rows / 3, 3, len});
        auto mean = make_dynamic(ScalarType::Float, 3, rows);
        auto rstd = make_dynamic(ScalarType::Float, 3, rows);
        ASSERT_EQ(run("aten::native_layer_norm.out",
                      {in->ev(), v.ints({len}), mode < 2 ? wt->ev() : v.none(),
                       mode == 0 ? bt->ev() : v.none(), v.real(1e-5), out->ev(), mean->ev(),
                       rstd->ev(), v.none()}),
                  Error::Ok);
        std::vector<double> want(x.size()), want_mean(rows), want_rstd(rows);
        for (int32_t r = 0; r < rows; ++r) {
          double m = 0.0, var = 0.0;
          for (int32_t i = 0; i < len; ++i) m += x[static_cast<size_t>(r * len + i)];
          m /= len;
          for (int32_t i = 0; i < len; ++i) {
            const double d = x[static_cast<size_t>(r * len + i)] - m;
            var += d * d;
          }
          const double rs = 1.0 / std::sqrt(var / len + 1e-5);
          want_mean[static_cast<size_t>(r)] = m;
          want_rstd[static_cast<size_t>(r)] = rs;
          for (int32_t i = 0; i < len; ++i) {
            double y = (x[static_cast<size_t>(r * len + i)] - m) * rs;
            if (mode < 2) y *= w[static_cast<size_t>(i)];
            if (mode == 0) y += b[static_cast<size_t>(i)];
            want[static_cast<size_t>(r * len + i)] = y;
          }
        }
        const std::string label = "layer_norm len=" + std::to_string(len) + " mode " +
                                  std::to_string(mode) + " (" + config + ")";
        expect_within(out->get<float>(), want, 2e-6, 2e-6, label);
        EXPECT_EQ(mean->shape(), (std::vector<int32_t>{rows / 3, 3, 1})) << label;
        expect_within(mean->get<float>(), want_mean, 1e-6, 1e-6, label + " mean");
        expect_within(rstd->get<float>(), want_rstd, 1e-6, 2e-6, label + " rstd");
      }
    }
  });
}

// ember::rms_norm: the optimized kernel and the portable one against float64,
// rows of odd lengths, with and without a weight, a row of zeros (rstd of
// eps alone). Half types: tests/runtime/kernels/half_test.cpp.
TEST_F(Optimized, RmsNormMatchesFloat64) {
  each_config([&](const std::string& config) {
    for (int32_t len : {1, 7, 17, 129, 768}) {
      for (bool weighted : {true, false}) {
        Values v;
        const int32_t rows = 9;
        std::vector<float> x = random_floats(static_cast<size_t>(rows * len),
                                             static_cast<uint32_t>(len + weighted), -3.0f, 5.0f);
        for (int32_t i = 0; i < len; ++i) x[static_cast<size_t>(i)] = 0.0f;  // row 0: zeros
        const std::vector<float> w = random_floats(static_cast<size_t>(len), 3, 0.5f, 1.5f);
        auto in = make_f({rows / 3, 3, len}, x);
        auto wt = make_f({len}, w);
        auto out = make(ScalarType::Float, {rows / 3, 3, len});
        auto ref = make(ScalarType::Float, {rows / 3, 3, len});
        const double eps = 1e-6;
        ASSERT_EQ(run("ember::rms_norm.out", {in->ev(), v.ints({len}),
                                              weighted ? wt->ev() : v.none(), v.real(eps),
                                              out->ev(), out->ev()}),
                  Error::Ok);
        std::vector<EValue*> ref_args = {in->ev(), v.ints({len}), weighted ? wt->ev() : v.none(),
                                         v.real(eps), ref->ev(), ref->ev()};
        KernelContext ref_ctx(nullptr, 0);
        portable::rms_norm_out(ref_ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
        ASSERT_EQ(ref_ctx.error(), Error::Ok);
        std::vector<double> want(x.size());
        for (int32_t r = 0; r < rows; ++r) {
          double ss = 0.0;
          for (int32_t i = 0; i < len; ++i) {
            const double xi = x[static_cast<size_t>(r * len + i)];
            ss += xi * xi;
          }
          const double rs = 1.0 / std::sqrt(ss / len + static_cast<float>(eps));
          for (int32_t i = 0; i < len; ++i) {
            double y = x[static_cast<size_t>(r * len + i)] * rs;
            if (weighted) y *= w[static_cast<size_t>(i)];
            want[static_cast<size_t>(r * len + i)] = y;
          }
        }
        const std::string label = "rms_norm len=" + std::to_string(len) +
                                  (weighted ? " weighted" : "") + " (" + config + ")";
        expect_within(out->get<float>(), want, 1e-6, 2e-6, label);
        expect_within(ref->get<float>(), want, 1e-6, 2e-6, label + " portable");
      }
    }
  });
}

TEST_F(Optimized, RmsNormRejectsBadCalls) {
  Values v;
  const int32_t len = 40;
  auto in = make_f({3, len}, random_floats(3 * len, 11, -2.0f, 2.0f));
  LogCapture log;
  auto out = make(ScalarType::Float, {3, len});
  auto bad_w = make_f({len + 1}, random_floats(len + 1, 13));
  EXPECT_EQ(run("ember::rms_norm.out",
                {in->ev(), v.ints({len + 1}), v.none(), v.real(1e-5), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("ember::rms_norm.out",
                {in->ev(), v.ints({len}), bad_w->ev(), v.real(1e-5), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("ember::rms_norm.out",
                {in->ev(), v.ints({len}), v.none(), v.real(-1.0), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("ember::rms_norm.out"));
}

struct BinaryCase {
  std::vector<int32_t> a, b, out;
};

TEST_F(Optimized, BinaryOpsBroadcastLikePortable) {
  const BinaryCase shapes[] = {
      {{129}, {129}, {129}},
      {{7, 17}, {1}, {7, 17}},
      {{1}, {7, 17}, {7, 17}},
      {{5, 17}, {17}, {5, 17}},
      {{2, 3, 7, 7}, {1, 3, 1, 1}, {2, 3, 7, 7}},   // per-channel over H x W
      {{3, 1}, {1, 4}, {3, 4}},                     // both broadcast: rows of step 0 and 1
      {{2, 1, 5}, {4, 1}, {2, 4, 5}},
      {{200, 300}, {200, 300}, {200, 300}},         // threaded
      {{}, {}, {}},                                 // 0-d
  };
  const char* ops[] = {"aten::add.out", "aten::sub.out", "aten::mul.out", "aten::div.out"};
  const KernelFn portable_fns[] = {&portable::add_out, &portable::sub_out, &portable::mul_out,
                                   &portable::div_out};
  each_config([&](const std::string& config) {
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); ++s) {
      const BinaryCase& c = shapes[s];
      for (size_t o = 0; o < 4; ++o) {
        const bool alpha = o < 2;
        for (double alpha_value : {1.0, 0.5}) {
          if (!alpha && alpha_value != 1.0) continue;
          Values v;
          auto numel = [](const std::vector<int32_t>& sz) {
            size_t n = 1;
            for (int32_t d : sz) n *= static_cast<size_t>(d);
            return n;
          };
          std::vector<float> xa = random_floats(numel(c.a), static_cast<uint32_t>(s), -4, 4);
          std::vector<float> xb = random_floats(numel(c.b), static_cast<uint32_t>(s + 50), -4, 4);
          if (xb.size() > 1) xb[1] = 0.0f;  // division by zero: inf or NaN, as portable
          if (xa.size() > 2) xa[2] = kNan;
          auto a = make_f(c.a, xa);
          auto b = make_f(c.b, xb);
          auto out = make_dynamic(ScalarType::Float, static_cast<int>(c.out.size()),
                                  static_cast<int64_t>(numel(c.out)));
          auto ref = make_dynamic(ScalarType::Float, static_cast<int>(c.out.size()),
                                  static_cast<int64_t>(numel(c.out)));
          std::vector<EValue*> args = {a->ev(), b->ev()};
          std::vector<EValue*> ref_args = {a->ev(), b->ev()};
          if (alpha) {
            EValue* al = v.real(alpha_value);
            args.push_back(al);
            ref_args.push_back(al);
          }
          args.insert(args.end(), {out->ev(), out->ev()});
          ref_args.insert(ref_args.end(), {ref->ev(), ref->ev()});
          ASSERT_EQ(run(ops[o], args), Error::Ok);
          std::vector<uint8_t> temp(1 << 16);
          KernelContext ctx(temp.data(), temp.size());
          portable_fns[o](ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
          ASSERT_EQ(ctx.error(), Error::Ok);
          const std::string label = std::string(ops[o]) + " case " + std::to_string(s) +
                                    " alpha " + std::to_string(alpha_value) + " (" + config + ")";
          EXPECT_EQ(out->shape(), c.out) << label;
          const std::vector<float> want_f = ref->get<float>();
          expect_within(out->get<float>(), std::vector<double>(want_f.begin(), want_f.end()),
                        1e-6, 1e-6, label);
        }
      }
    }
  });
}

// relu, hardtanh and clamp (Scalar bounds, one or both, lo > hi, int and
// float bounds) and the .Scalar_out binaries equal the portable kernels
// bit for bit except where alpha fuses (checked within 1 ulp-ish).
TEST_F(Optimized, ClampFamilyAndScalarBinariesMatchPortable) {
  struct Case {
    const char* op;
    KernelFn reference;
    std::function<std::vector<EValue*>(Values&, EValue* in, EValue* out)> args;
    double tol;
  };
  const Case cases[] = {
      {"aten::relu.out", &portable::relu_out,
       [](Values&, EValue* in, EValue* out) { return std::vector<EValue*>{in, out, out}; }, 0.0},
      {"aten::hardtanh.out", &portable::hardtanh_out,
       [](Values& v, EValue* in, EValue* out) {
         return std::vector<EValue*>{in, v.real(-0.5), v.integer(6), out, out};
       }, 0.0},
      {"aten::clamp.out", &portable::clamp_out,
       [](Values& v, EValue* in, EValue* out) {
         return std::vector<EValue*>{in, v.none(), v.real(0.25), out, out};
       }, 0.0},
      {"aten::clamp.out", &portable::clamp_out,
       [](Values& v, EValue* in, EValue* out) {
         return std::vector<EValue*>{in, v.real(2.0), v.real(-1.0), out, out};  // lo > hi
       }, 0.0},
      {"aten::add.Scalar_out", &portable::add_scalar_out,
       [](Values& v, EValue* in, EValue* out) {
         return std::vector<EValue*>{in, v.real(0.75), v.real(2.0), out, out};
       }, 1e-6},
      {"aten::sub.Scalar_out", &portable::sub_scalar_out,
       [](Values& v, EValue* in, EValue* out) {
         return std::vector<EValue*>{in, v.integer(3), v.integer(1), out, out};
       }, 1e-6},
      {"aten::mul.Scalar_out", &portable::mul_scalar_out,
       [](Values& v, EValue* in, EValue* out) {
         return std::vector<EValue*>{in, v.real(-1.5), out, out};
       }, 0.0},
      {"aten::div.Scalar_out", &portable::div_scalar_out,
       [](Values& v, EValue* in, EValue* out) {
         return std::vector<EValue*>{in, v.real(3.0), out, out};
       }, 0.0},
  };
  each_config([&](const std::string& config) {
    for (const Case& c : cases) {
      for (int32_t n : {1, 7, 17, 129, 40000}) {
        std::vector<float> x = random_floats(static_cast<size_t>(n), static_cast<uint32_t>(n), -3, 3);
        x[0] = kNan;
        if (n > 2) x[1] = -0.0f;
        if (n > 3) x[2] = kInf;
        Values v;
        auto in = make_f({n}, x);
        auto out = make(ScalarType::Float, {n});
        auto ref = make(ScalarType::Float, {n});
        ASSERT_EQ(run(c.op, c.args(v, in->ev(), out->ev())), Error::Ok) << c.op;
        std::vector<EValue*> ref_args = c.args(v, in->ev(), ref->ev());
        std::vector<uint8_t> temp(1 << 12);
        KernelContext ctx(temp.data(), temp.size());
        c.reference(ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
        ASSERT_EQ(ctx.error(), Error::Ok);
        const std::vector<float> want = ref->get<float>();
        expect_within(out->get<float>(), std::vector<double>(want.begin(), want.end()), c.tol,
                      c.tol, std::string(c.op) + " n=" + std::to_string(n) + " (" + config + ")");
      }
    }
  });
}

// permute_copy: every permutation of a 4-d tensor with odd sizes, size-1
// dims, float32, float16 and int8, large enough to thread; 2, 3 and 4 byte
// planes interleaved (an image to channels-last), with and without a tail
// past 16; equal to portable.
TEST_F(Optimized, PermuteMatchesPortable) {
  each_config([&](const std::string& config) {
    const std::vector<std::vector<int32_t>> shapes = {
        {3, 1, 7, 17}, {2, 129, 3, 5}, {64, 33, 2, 31}, {1, 3, 40, 41}, {4, 2, 1, 37},
        {1, 3, 16, 4}};
    for (const auto& shape : shapes) {
      std::vector<int64_t> perm = {0, 1, 2, 3};
      do {
        for (ScalarType dtype : {ScalarType::Float, ScalarType::Half, ScalarType::Char}) {
          Values v;
          size_t n = 1;
          for (int32_t d : shape) n *= static_cast<size_t>(d);
          auto in = make(dtype, shape);
          std::vector<uint16_t> bits16(n);
          std::vector<float> bits32 = random_floats(n, static_cast<uint32_t>(n));
          for (size_t i = 0; i < n; ++i) bits16[i] = static_cast<uint16_t>(i * 2654435761u >> 7);
          std::vector<int8_t> bits8(n);
          for (size_t i = 0; i < n; ++i) bits8[i] = static_cast<int8_t>(bits16[i]);
          if (dtype == ScalarType::Float) {
            in->set(bits32);
          } else if (dtype == ScalarType::Half) {
            in->set(bits16);
          } else {
            in->set(bits8);
          }
          std::vector<int32_t> out_shape;
          for (int64_t p : perm) out_shape.push_back(shape[static_cast<size_t>(p)]);
          auto out = make(dtype, out_shape);
          auto ref = make(dtype, out_shape);
          ASSERT_EQ(run("aten::permute_copy.out", {in->ev(), v.ints(perm), out->ev(), out->ev()}),
                    Error::Ok);
          std::vector<EValue*> ref_args = {in->ev(), v.ints(perm), ref->ev(), ref->ev()};
          KernelContext ctx;
          portable::permute_copy_out(ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
          ASSERT_EQ(ctx.error(), Error::Ok);
          const size_t bytes = n * element_size(dtype);
          EXPECT_EQ(std::memcmp(out->t().data(), ref->t().data(), bytes), 0)
              << "perm " << perm[0] << perm[1] << perm[2] << perm[3] << " (" << config << ")";
        }
      } while (std::next_permutation(perm.begin(), perm.end()));
    }
  });
}

// Depthwise convolutions (stride 1, 2 and 3; padding; dilation; 1-d and
// 2-d; with and without bias) and GEMM convolutions (1x1 on the input,
// im2col in one or several chunks, groups, 1-d) against the portable kernel;
// the same bits with less scratch and with the weight packed at load.
TEST_F(Optimized, ConvolutionMatchesPortable) {
  struct Conv {
    std::vector<int32_t> in, w;
    std::vector<int64_t> stride, pad, dil;
    int64_t groups;
    bool bias;
  };
  const Conv convs[] = {
      {{2, 3, 17, 33}, {3, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 3, true},
      {{1, 5, 7, 40}, {5, 1, 3, 3}, {2, 2}, {1, 1}, {1, 1}, 5, true},
      {{1, 4, 16, 45}, {4, 1, 5, 5}, {2, 2}, {2, 2}, {1, 1}, 4, false},
      {{1, 2, 29, 29}, {2, 1, 7, 7}, {1, 1}, {3, 3}, {1, 1}, 2, true},
      {{1, 3, 20, 38}, {3, 1, 3, 3}, {1, 1}, {2, 2}, {2, 2}, 3, true},   // dilated
      {{1, 3, 9, 23}, {3, 1, 3, 3}, {3, 3}, {1, 1}, {1, 1}, 3, true},    // stride 3: scalar
      {{1, 2, 1, 1}, {2, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 2, true},     // all edge
      {{2, 6, 50}, {6, 1, 5}, {1}, {2}, {1}, 6, true},                   // 1-d
      {{1, 6, 7, 7}, {6, 1, 5, 5}, {1, 1}, {2, 2}, {1, 1}, 6, true},     // narrower than a vector
      {{1, 4, 14, 14}, {4, 1, 5, 5}, {2, 2}, {2, 2}, {1, 1}, 4, true},   // stride 2, 7 wide out
      {{1, 3, 17, 129}, {3, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 3, false}, // wide: blocks and a tail
      {{1, 3, 19, 31}, {3, 1, 3, 3}, {2, 2}, {2, 2}, {2, 2}, 3, true},   // stride 2, dilated
      {{1, 2, 5, 3000}, {2, 1, 5, 5}, {1, 1}, {2, 2}, {1, 1}, 2, true},  // too wide: scalar
      {{1, 2, 20, 9}, {2, 1, 17, 3}, {1, 1}, {8, 1}, {1, 1}, 2, true},   // too tall: scalar
      {{1, 4, 9, 9}, {4, 2, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 2, true},     // grouped: gemm per group
      {{1, 3, 9, 9}, {5, 3, 3, 3}, {2, 2}, {0, 0}, {1, 1}, 1, false},    // im2col + gemm
      {{1, 3, 70, 70}, {8, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true},   // two chunks in 512 KiB
      {{2, 16, 9, 11}, {24, 16, 1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true}, // 1x1: gemm on the input
      {{1, 8, 7, 7}, {12, 4, 1, 1}, {1, 1}, {0, 0}, {1, 1}, 2, false},   // grouped 1x1
      {{3, 129, 1, 1}, {17, 129, 1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true}, // one position: dots
      {{2, 14, 1, 1}, {6, 7, 1, 1}, {1, 1}, {0, 0}, {1, 1}, 2, false},   // ... grouped
      {{1, 7, 1, 1}, {1, 7, 1, 1}, {2, 2}, {0, 0}, {1, 1}, 1, true},     // ... strided, one output
      {{1, 6, 15, 13}, {10, 6, 3, 3}, {2, 1}, {1, 2}, {2, 1}, 1, true},  // mixed stride/pad/dilation
      {{2, 5, 33}, {7, 5, 3}, {2}, {1}, {1}, 1, true},                   // 1-d
  };
  each_config([&](const std::string& config) {
    for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); ++i) {
      const Conv& c = convs[i];
      Values v;
      auto numel = [](const std::vector<int32_t>& sz) {
        size_t n = 1;
        for (int32_t d : sz) n *= static_cast<size_t>(d);
        return n;
      };
      auto in = make_f(c.in, random_floats(numel(c.in), static_cast<uint32_t>(i)));
      auto w = make_f(c.w, random_floats(numel(c.w), static_cast<uint32_t>(i + 100)));
      auto b = make_f({c.w[0]}, random_floats(static_cast<size_t>(c.w[0]), 7));
      auto out = make_dynamic(ScalarType::Float, static_cast<int>(c.in.size()), 1 << 16);
      auto ref = make_dynamic(ScalarType::Float, static_cast<int>(c.in.size()), 1 << 16);
      auto args = [&](TestTensor* o) {
        return std::vector<EValue*>{in->ev(), w->ev(), c.bias ? b->ev() : v.none(),
                                    v.ints(c.stride), v.ints(c.pad), v.ints(c.dil),
                                    v.boolean(false), v.ints(std::vector<int64_t>(c.stride.size(), 0)),
                                    v.integer(c.groups), o->ev(), o->ev()};
      };
      ASSERT_EQ(run("aten::convolution.out", args(out.get())), Error::Ok) << i;
      std::vector<EValue*> ref_args = args(ref.get());
      std::vector<uint8_t> temp(8 << 20);
      KernelContext ctx(temp.data(), temp.size());
      portable::convolution_out(ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
      ASSERT_EQ(ctx.error(), Error::Ok);
      EXPECT_EQ(out->shape(), ref->shape()) << i;
      const std::vector<float> want = ref->get<float>();
      expect_within(out->get<float>(), std::vector<double>(want.begin(), want.end()), 2e-6, 2e-6,
                    "conv case " + std::to_string(i) + " (" + config + ")");

      // Less scratch (512 KiB: im2col in smaller chunks, the case above in
      // two) gives the same bits.
      auto small = make_dynamic(ScalarType::Float, static_cast<int>(c.in.size()), 1 << 16);
      ASSERT_EQ(run("aten::convolution.out", args(small.get()), 512 << 10), Error::Ok) << i;
      EXPECT_EQ(small->get<float>(), out->get<float>()) << "conv case " << i << ", 512 KiB";

      // ember::convolution_clamp.out (ember-fuse-activations' convolution +
      // relu / relu6 / clamp): the same result clamped, bit for bit, from the
      // optimized kernel (the clamp in the GEMM's epilogue, on depthwise
      // planes, after the portable computation) and the portable one.
      const std::pair<double, double> bounds[] = {{-0.5, 0.75}, {0.0, INFINITY}};
      for (const auto& [lo, hi] : bounds) {
        auto clamp_args = [&](TestTensor* o) {
          std::vector<EValue*> a = args(o);
          a.insert(a.begin() + 9, {v.real(lo), std::isinf(hi) ? v.none() : v.real(hi)});
          return a;
        };
        auto clamped = make_dynamic(ScalarType::Float, static_cast<int>(c.in.size()), 1 << 16);
        ASSERT_EQ(run("ember::convolution_clamp.out", clamp_args(clamped.get())), Error::Ok) << i;
        std::vector<float> want_clamped = out->get<float>();
        for (float& y : want_clamped) {
          y = std::min(std::max(y, static_cast<float>(lo)), static_cast<float>(hi));
        }
        EXPECT_EQ(clamped->get<float>(), want_clamped) << "conv+clamp case " << i << " " << lo;
        auto ref_clamped = make_dynamic(ScalarType::Float, static_cast<int>(c.in.size()), 1 << 16);
        std::vector<EValue*> ref_clamp_args = clamp_args(ref_clamped.get());
        KernelContext clamp_ctx(temp.data(), temp.size());
        portable::convolution_clamp_out(
            clamp_ctx, Span<EValue*>(ref_clamp_args.data(), ref_clamp_args.size()));
        ASSERT_EQ(clamp_ctx.error(), Error::Ok);
        std::vector<float> want_ref = ref->get<float>();
        for (float& y : want_ref) {
          y = std::min(std::max(y, static_cast<float>(lo)), static_cast<float>(hi));
        }
        EXPECT_EQ(ref_clamped->get<float>(), want_ref) << "portable conv+clamp case " << i;
      }

      // The weight packed at load (prepare_convolution) gives the same bits;
      // depthwise and one-position convolutions pack nothing.
      std::vector<EValue*> packed_args = args(ref.get());
      bool constant[11] = {false, true};
      bool packed[11] = {};
      void* state = optimized::prepare_convolution(
          Span<EValue* const>(packed_args.data(), packed_args.size()), Span<const bool>(constant, 11),
          Span<bool>(packed, 11));
      EXPECT_EQ(packed[1], state != nullptr) << i;
      const bool depthwise = c.w[1] == 1 && c.w[0] == c.groups;
      const bool one_position = c.in.size() == 4 && c.in[2] == 1 && c.in[3] == 1 &&
                                c.w[2] == 1 && c.w[3] == 1;
      EXPECT_EQ(state == nullptr, depthwise || one_position) << i;
      if (state != nullptr) {
        KernelContext packed_ctx(temp.data(), temp.size());
        packed_ctx.set_state(state);
        optimized::convolution_out(packed_ctx, Span<EValue*>(packed_args.data(), packed_args.size()));
        ASSERT_EQ(packed_ctx.error(), Error::Ok);
        EXPECT_EQ(ref->get<float>(), out->get<float>()) << "prepacked conv case " << i << " (" << config << ")";
        optimized::release_prepacked(state);
      }
    }
  });
}

// max_pool2d_with_indices: values and indices equal the portable kernel's
// (ties, NaN, -inf windows, padding, dilation, ceil mode, strides 1-3,
// planes narrower than a vector and one too wide for the row buffer).
TEST_F(Optimized, MaxPoolMatchesPortableExactly) {
  struct Case {
    std::vector<int32_t> in;
    std::vector<int64_t> k, stride, pad, dil;
    bool ceil;
  };
  const Case cases[] = {
      {{1, 3, 112, 112}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false},  // ResNet's stem
      {{2, 2, 7, 7}, {2, 2}, {2, 2}, {0, 0}, {1, 1}, true},
      {{1, 3, 17, 33}, {3, 3}, {1, 1}, {1, 1}, {2, 2}, false},
      {{1, 2, 20, 129}, {3, 2}, {3, 3}, {1, 1}, {1, 1}, true},
      {{4, 1, 1}, {1, 1}, {1, 1}, {0, 0}, {1, 1}, false},
      {{1, 1, 3, 5000}, {3, 3}, {1, 2}, {1, 1}, {1, 1}, false},   // too wide: scalar
  };
  each_config([&](const std::string& config) {
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ++ci) {
      const Case& c = cases[ci];
      Values v;
      size_t n = 1;
      for (int32_t d : c.in) n *= static_cast<size_t>(d);
      std::vector<float> x = random_floats(n, static_cast<uint32_t>(ci + 40), -3.0f, 3.0f);
      for (size_t i = 0; i < n; i += 7) x[i] = std::round(x[i]);  // ties
      if (n > 40) {
        x[3] = kNan;
        x[5] = kNan;
        for (size_t i = 10; i < 40; ++i) x[i] = -kInf;  // windows of only -inf
      }
      const int rank = static_cast<int>(c.in.size());
      auto in = make_f(c.in, x);
      auto out = make_dynamic(ScalarType::Float, rank, static_cast<int64_t>(n));
      auto idx = make_dynamic(ScalarType::Long, rank, static_cast<int64_t>(n));
      auto ref = make_dynamic(ScalarType::Float, rank, static_cast<int64_t>(n));
      auto ref_idx = make_dynamic(ScalarType::Long, rank, static_cast<int64_t>(n));
      auto args = [&](TestTensor* o, TestTensor* i) {
        return std::vector<EValue*>{in->ev(), v.ints(c.k), v.ints(c.stride), v.ints(c.pad),
                                    v.ints(c.dil), v.boolean(c.ceil), o->ev(), i->ev(),
                                    v.tensors({o, i})};
      };
      ASSERT_EQ(run("aten::max_pool2d_with_indices.out", args(out.get(), idx.get())), Error::Ok);
      std::vector<EValue*> ref_args = args(ref.get(), ref_idx.get());
      KernelContext ctx;
      portable::max_pool2d_with_indices_out(ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
      ASSERT_EQ(ctx.error(), Error::Ok);
      const std::string label = "max_pool case " + std::to_string(ci) + " (" + config + ")";
      ASSERT_EQ(out->shape(), ref->shape()) << label;
      const std::vector<float> got = out->get<float>(), want = ref->get<float>();
      const std::vector<int64_t> got_i = idx->get<int64_t>(), want_i = ref_idx->get<int64_t>();
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(std::isnan(got[i]), std::isnan(want[i])) << label << " at " << i;
        if (!std::isnan(want[i])) ASSERT_EQ(got[i], want[i]) << label << " at " << i;
        ASSERT_EQ(got_i[i], want_i[i]) << label << " at " << i;
      }
    }
  });
}

// sum.IntList_out and mean.out over trailing dims or a run of middle dims
// (any order, negative, keepdim or not) against float64 sums; other dims run
// the portable kernel.
TEST_F(Optimized, TrailingSumAndMeanMatchFloat64) {
  struct Case {
    std::vector<int32_t> in;
    std::vector<int64_t> dims;
    bool keepdim;
  };
  const Case cases[] = {
      {{2, 3, 7, 7}, {-1, -2}, true},    // squeeze-excite's mean
      {{1, 17, 129}, {2, 1}, false},
      {{5, 129}, {1}, false},
      {{3, 17, 1, 1}, {2, 3}, true},
      {{1, 2, 112, 112}, {3, 2}, false}, // long rows
      {{7}, {0}, false},                 // to a 0-d out
      {{2, 3, 4}, {1}, true},            // middle dims: rows of 4 columns
      {{2, 7, 7, 300}, {1, 2}, true},    // a channels-last global pool (blocks of 256 + 44)
      {{1, 5, 3, 2, 3}, {-4, 2, -2}, false},  // a run of three middle dims
      {{2, 3, 4}, {0, 2}, false},        // not one run: portable
  };
  each_config([&](const std::string& config) {
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ++ci) {
      const Case& c = cases[ci];
      for (bool mean : {false, true}) {
        Values v;
        size_t n = 1;
        for (int32_t d : c.in) n *= static_cast<size_t>(d);
        const std::vector<float> x = random_floats(n, static_cast<uint32_t>(ci), -2.0f, 3.0f);
        auto in = make_f(c.in, x);
        const int rank = static_cast<int>(c.in.size() - (c.keepdim ? 0 : c.dims.size()));
        auto out = make_dynamic(ScalarType::Float, rank, static_cast<int64_t>(n));
        auto ref = make_dynamic(ScalarType::Float, rank, static_cast<int64_t>(n));
        auto args = [&](TestTensor* o) {
          return std::vector<EValue*>{in->ev(), v.ints(c.dims), v.boolean(c.keepdim), v.none(),
                                      o->ev(), o->ev()};
        };
        const char* op = mean ? "aten::mean.out" : "aten::sum.IntList_out";
        ASSERT_EQ(run(op, args(out.get())), Error::Ok) << op;
        std::vector<EValue*> ref_args = args(ref.get());
        KernelContext ctx;
        (mean ? portable::mean_out : portable::sum_intlist_out)(
            ctx, Span<EValue*>(ref_args.data(), ref_args.size()));
        ASSERT_EQ(ctx.error(), Error::Ok);
        const std::string label = std::string(op) + " case " + std::to_string(ci) + " (" +
                                  config + ")";
        ASSERT_EQ(out->shape(), ref->shape()) << label;
        // float64 reference from the portable kernel's double sums; float
        // sums over vector lanes are good to 1e-6 of the sum of |x|.
        const std::vector<float> want = ref->get<float>();
        const std::vector<float> got = out->get<float>();
        const size_t len = n / want.size();
        double abs_sum = 0.0;
        for (float e : x) abs_sum += std::fabs(e);
        const double tol = 1e-6 * abs_sum / static_cast<double>(want.size()) /
                           (mean ? static_cast<double>(len) : 1.0);
        expect_within(got, std::vector<double>(want.begin(), want.end()), tol + 1e-7, 0.0, label);
      }
    }
  });
}

// Off the fast path the portable kernel runs: another dim order, another
// dtype (resolved at load), a dim other than the last; its errors are the
// portable kernel's.
TEST_F(Optimized, FallsBackToPortable) {
  Values v;
  // A channels-last input: the optimized gelu hands it to portable.
  const std::vector<float> x = random_floats(2 * 3 * 4 * 5, 11, -3, 3);
  auto in = make_f({2, 3, 4, 5}, x, {0, 2, 3, 1});
  auto out = make(ScalarType::Float, {2, 3, 4, 5}, {0, 2, 3, 1});
  ASSERT_EQ(run("aten::gelu.out", {in->ev(), v.str("none"), out->ev(), out->ev()}), Error::Ok);
  std::vector<double> want(x.size());
  for (size_t i = 0; i < x.size(); ++i) want[i] = gelu_erf(x[i]);
  expect_within(out->get<float>(), want, 1e-6, 1e-6, "channels-last gelu");

  // Softmax along dim 0: portable's strided walk.
  auto sm_in = make_f({3, 2}, {1, 2, 3, 4, 5, 6});
  auto sm_out = make(ScalarType::Float, {3, 2});
  ASSERT_EQ(run("aten::_softmax.out",
                {sm_in->ev(), v.integer(0), v.boolean(false), sm_out->ev(), sm_out->ev()}),
            Error::Ok);
  const std::vector<float> sm = sm_out->get<float>();
  EXPECT_NEAR(sm[0] + sm[2] + sm[4], 1.0f, 1e-6f);

  // float64 resolves to the portable kernel at load.
  const ScalarType doubles[3] = {ScalarType::Double, ScalarType::Double, ScalarType::Double};
  EXPECT_EQ(find_kernel("aten::gelu.out", doubles), &portable::gelu_out);
  const ScalarType floats[3] = {ScalarType::Float, ScalarType::Float, ScalarType::Float};
  EXPECT_NE(find_kernel("aten::gelu.out", floats), &portable::gelu_out);

  // A bad argument is refused with the portable kernel's message.
  LogCapture log;
  auto y = make(ScalarType::Float, {2, 3, 4, 5}, {0, 2, 3, 1});
  EXPECT_EQ(run("aten::gelu.out", {in->ev(), v.str("fast"), y->ev(), y->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("approximate must be"));
  auto a = make_f({2, 3}, std::vector<float>(6, 1.0f));
  auto b = make_f({4}, std::vector<float>(4, 1.0f));
  auto o = make(ScalarType::Float, {2, 3});
  EXPECT_EQ(run("aten::mul.out", {a->ev(), b->ev(), o->ev(), o->ev()}), Error::InvalidArgument);
  auto small = make(ScalarType::Float, {2, 2});
  EXPECT_NE(run("aten::exp.out", {a->ev(), small->ev(), small->ev()}), Error::Ok);
}

TEST_F(Optimized, RegistrationIsIdempotentAndChoosesAnIsa) {
  EXPECT_EQ(register_optimized_kernels(), Error::Ok);
  EXPECT_TRUE(optimized::isa_available(Isa::generic));
  EXPECT_TRUE(optimized::isa_available(optimized::active_isa()));
#if defined(__aarch64__)
  EXPECT_TRUE(optimized::isa_available(Isa::neon));
  EXPECT_FALSE(optimized::isa_available(Isa::avx2));
#else
  EXPECT_FALSE(optimized::isa_available(Isa::neon));
#endif
}

}  // namespace
}  // namespace test
}  // namespace ember
