// float16 and bfloat16 kernels against the float32 kernels on the same
// inputs: every input is first rounded to the 16-bit dtype, the kernel runs
// once in that dtype and once in float32 on the rounded values, and each
// 16-bit output must be within a stated number of units in the last place of
// the 16-bit dtype (at the float32 result's magnitude) of the float32 output.
// A kernel that accumulates in float32 and rounds once lands within 1 ulp
// (0.5 from the final rounding, the rest from the float32 sums' order); one
// that accumulated in 16 bits would miss by many ulps on the long rows and
// deep dot products used here (sizes 1, 7, 17 and rows of 4099).
// The portable kernels run on the calling thread only: there is no thread
// count to vary (the optimized library registers float32 keys only).
#include <algorithm>
#include <functional>

#include "runtime/core/half.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

const ScalarType kHalfTypes[] = {ScalarType::Half, ScalarType::BFloat16};

/// `v` rounded to `dt` (float32: unchanged) and back to float.
std::vector<float> rounded(ScalarType dt, std::vector<float> v) {
  for (float& x : v) {
    if (dt == ScalarType::Half) x = static_cast<float>(Half(x));
    if (dt == ScalarType::BFloat16) x = static_cast<float>(BFloat16(x));
  }
  return v;
}

/// A static tensor of dtype `dt` holding `values` (exact when they were
/// rounded to dt first).
TensorPtr make_as(ScalarType dt, std::vector<int32_t> sizes, const std::vector<float>& values,
                  std::vector<uint8_t> dim_order = {}) {
  if (dt == ScalarType::Half) {
    return make_typed(dt, std::move(sizes), std::vector<Half>(values.begin(), values.end()),
                      std::move(dim_order));
  }
  if (dt == ScalarType::BFloat16) {
    return make_typed(dt, std::move(sizes),
                      std::vector<BFloat16>(values.begin(), values.end()), std::move(dim_order));
  }
  return make_f(std::move(sizes), values, std::move(dim_order));
}

/// A tensor's values in logical order as floats.
std::vector<float> read_as(const TestTensor& t, ScalarType dt) {
  if (dt == ScalarType::Half) {
    const std::vector<Half> h = t.get<Half>();
    return std::vector<float>(h.begin(), h.end());
  }
  if (dt == ScalarType::BFloat16) {
    const std::vector<BFloat16> h = t.get<BFloat16>();
    return std::vector<float>(h.begin(), h.end());
  }
  return t.get<float>();
}

/// One unit in the last place of `dt` at the magnitude of x.
float ulp_of(ScalarType dt, float x) {
  const int mantissa = dt == ScalarType::Half ? 10 : 7;
  const float smallest = dt == ScalarType::Half ? std::ldexp(1.0f, -24) : std::ldexp(1.0f, -133);
  int e = 0;
  std::frexp(std::fabs(x), &e);  // |x| = f * 2^e, f in [0.5, 1)
  return std::max(std::ldexp(1.0f, e - 1 - mantissa), smallest);
}

/// Runs the kernel with its inputs in the given dtype (all made from values
/// already rounded to the 16-bit dtype under test) and returns its output.
using Runner = std::function<std::vector<float>(ScalarType)>;

/// The 16-bit run against the float32 run: |half - f32| <= ulps * ulp(f32)
/// + abs_tol for each element (abs_tol covers float32 noise in results that
/// cancel to near zero). Returns the largest error seen, in ulps (0.5 for
/// every kernel here when this was written: each rounds once).
double expect_round_once(ScalarType dt, const Runner& run, double ulps = 1.0,
                         float abs_tol = 0.0f) {
  const std::vector<float> want = run(ScalarType::Float);
  const std::vector<float> got = run(dt);
  EXPECT_EQ(got.size(), want.size());
  double worst = 0.0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
      continue;
    }
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double unit = ulp_of(dt, want[i]);
    worst = std::max(worst, err / unit);
    EXPECT_LE(err, ulps * unit + abs_tol)
        << scalar_type_name(dt) << " at " << i << ": got " << got[i] << ", float32 " << want[i];
  }
  return worst;
}

/// Random values in [lo, hi) rounded to dt.
std::vector<float> inputs(ScalarType dt, size_t n, uint32_t seed, float lo = -1.0f,
                          float hi = 1.0f) {
  return rounded(dt, random_floats(n, seed, lo, hi));
}

// ---- matrix products

TEST(HalfPrecision, MmBmmAddmm) {
  const int sizes[][3] = {{1, 1, 1},   {7, 17, 1},   {17, 7, 17},
                          {1, 17, 7},  {7, 65, 129}, {33, 3, 300}};
  for (ScalarType dt : kHalfTypes) {
    uint32_t seed = 10;
    for (const auto& s : sizes) {
      const int m = s[0], n = s[1], k = s[2];
      SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " " << m << "x" << n << "x" << k);
      const std::vector<float> a = inputs(dt, static_cast<size_t>(m) * k, seed++);
      const std::vector<float> b = inputs(dt, static_cast<size_t>(k) * n, seed++);
      const std::vector<float> bias = inputs(dt, static_cast<size_t>(n), seed++);
      // mm, with mat2 both row-major and transposed (dim order {1, 0}).
      for (bool transposed : {false, true}) {
        expect_round_once(dt, [&](ScalarType d) {
          auto ta = make_as(d, {m, k}, a);
          auto tb = transposed ? make_as(d, {k, n}, b, {1, 0}) : make_as(d, {k, n}, b);
          auto out = make(d, {m, n});
          EXPECT_EQ(run("aten::mm.out", {ta->ev(), tb->ev(), out->ev(), out->ev()}), Error::Ok);
          return read_as(*out, d);
        }, 1.0, 1e-6f * k);
      }
      // addmm: beta * bias (broadcast over rows) + alpha * a b.
      Values v;
      expect_round_once(dt, [&](ScalarType d) {
        auto tbias = make_as(d, {n}, bias);
        auto ta = make_as(d, {m, k}, a);
        auto tb = make_as(d, {k, n}, b);
        auto out = make(d, {m, n});
        EXPECT_EQ(run("aten::addmm.out", {tbias->ev(), ta->ev(), tb->ev(), v.real(0.5),
                                          v.integer(2), out->ev(), out->ev()}),
                  Error::Ok);
        return read_as(*out, d);
      }, 1.0, 1e-6f * k);
      // bmm over 3 batches of a (the same values viewed as [3, m, k / 3] when k divides).
      if (k % 3 == 0) {
        const int kb = k / 3;
        const std::vector<float> b3 = inputs(dt, static_cast<size_t>(3) * kb * n, seed++);
        expect_round_once(dt, [&](ScalarType d) {
          auto ta = make_as(d, {3, m, kb}, a);
          auto tb = make_as(d, {3, kb, n}, b3);
          auto out = make(d, {3, m, n});
          EXPECT_EQ(run("aten::bmm.out", {ta->ev(), tb->ev(), out->ev(), out->ev()}), Error::Ok);
          return read_as(*out, d);
        }, 1.0, 1e-6f * k);
      }
    }
  }
}

TEST(HalfPrecision, Linear) {
  for (ScalarType dt : kHalfTypes) {
    for (int k : {1, 7, 129}) {
      SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " k=" << k);
      const int n = 17;
      const std::vector<float> x = inputs(dt, static_cast<size_t>(2) * 7 * k, 30 + k);
      const std::vector<float> w = inputs(dt, static_cast<size_t>(n) * k, 31 + k);
      const std::vector<float> bias = inputs(dt, static_cast<size_t>(n), 32 + k);
      // Input [2, 7, k], contiguous and with its two leading dims permuted
      // (rows that do not collapse), with and without a bias.
      for (bool permuted : {false, true}) {
        for (bool with_bias : {false, true}) {
          expect_round_once(dt, [&](ScalarType d) {
            auto tx = permuted ? make_as(d, {2, 7, k}, x, {1, 0, 2}) : make_as(d, {2, 7, k}, x);
            auto tw = make_as(d, {n, k}, w);
            auto tb = make_as(d, {n}, bias);
            auto out = make(d, {2, 7, n});
            Values v;
            EXPECT_EQ(run("aten::linear.out", {tx->ev(), tw->ev(), with_bias ? tb->ev() : v.none(),
                                               out->ev(), out->ev()}),
                      Error::Ok);
            return read_as(*out, d);
          }, 1.0, 1e-6f * k);
        }
      }
    }
  }
}

TEST(HalfPrecision, MatrixDtypesMustAgree) {
  auto a = make_as(ScalarType::Half, {2, 3}, std::vector<float>(6, 1.0f));
  auto b = make_as(ScalarType::BFloat16, {3, 2}, std::vector<float>(6, 1.0f));
  auto out = make(ScalarType::Half, {2, 2});
  LogCapture log;
  EXPECT_EQ(run("aten::mm.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::NotSupported);
  EXPECT_TRUE(log.contains("aten::mm.out"));
}

// ---- convolution

struct HalfConv {
  int n, c_in, h, w, c_out, kh, kw, s, p, d, groups;
  bool transposed;
};

/// Convolution in dt vs float32; `one_d` runs h == 1 cases as 1-d;
/// `temp_bytes` 0 takes the direct path.
void check_conv(ScalarType dt, const HalfConv& c, bool one_d, size_t temp_bytes, uint32_t seed) {
  SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " c_in=" << c.c_in << " " << c.h
                                  << "x" << c.w << " c_out=" << c.c_out << " k=" << c.kh << "x"
                                  << c.kw << " s=" << c.s << " p=" << c.p << " d=" << c.d
                                  << " g=" << c.groups << " transposed=" << c.transposed
                                  << " 1d=" << one_d << " temp=" << temp_bytes);
  const int w0 = c.transposed ? c.c_in : c.c_out;
  const int w1 = c.transposed ? c.c_out / c.groups : c.c_in / c.groups;
  const std::vector<float> in = inputs(dt, static_cast<size_t>(c.n) * c.c_in * c.h * c.w, seed);
  const std::vector<float> wt = inputs(dt, static_cast<size_t>(w0) * w1 * c.kh * c.kw, seed + 1);
  const std::vector<float> bias = inputs(dt, static_cast<size_t>(c.c_out), seed + 2);
  int oh, ow;
  if (!c.transposed) {
    oh = (c.h + 2 * c.p - c.d * (c.kh - 1) - 1) / c.s + 1;
    ow = (c.w + 2 * c.p - c.d * (c.kw - 1) - 1) / c.s + 1;
  } else {
    oh = (c.h - 1) * c.s - 2 * c.p + c.d * (c.kh - 1) + 1;
    ow = (c.w - 1) * c.s - 2 * c.p + c.d * (c.kw - 1) + 1;
  }
  const float depth = static_cast<float>(c.c_in / c.groups * c.kh * c.kw);
  expect_round_once(dt, [&](ScalarType d) {
    TensorPtr t_in, t_w, t_out;
    if (one_d) {
      t_in = make_as(d, {c.n, c.c_in, c.w}, in);
      t_w = make_as(d, {w0, w1, c.kw}, wt);
      t_out = make(d, {c.n, c.c_out, ow});
    } else {
      t_in = make_as(d, {c.n, c.c_in, c.h, c.w}, in);
      t_w = make_as(d, {w0, w1, c.kh, c.kw}, wt);
      t_out = make(d, {c.n, c.c_out, oh, ow});
    }
    auto t_b = make_as(d, {c.c_out}, bias);
    Values v;
    auto list = [&](int x) { return one_d ? v.ints({x}) : v.ints({x, x}); };
    EXPECT_EQ(run("aten::convolution.out",
                  {t_in->ev(), t_w->ev(), t_b->ev(), list(c.s), list(c.p), list(c.d),
                   v.boolean(c.transposed), list(0), v.integer(c.groups), t_out->ev(),
                   t_out->ev()},
                  temp_bytes),
              Error::Ok);
    return read_as(*t_out, d);
  }, 1.0, 1e-6f * depth);
}

const HalfConv kHalfConvs[] = {
    // n c_in h   w  c_out kh kw s  p  d  g  transposed
    {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, false},     // size 1
    {1, 3, 7, 7, 7, 3, 3, 1, 1, 1, 1, false},     // plain 3x3
    {2, 4, 17, 17, 6, 3, 3, 2, 1, 1, 2, false},   // strided, grouped
    {1, 7, 17, 7, 7, 3, 3, 1, 2, 2, 7, false},    // depthwise, dilated
    {1, 17, 7, 7, 7, 1, 1, 1, 0, 1, 1, false},    // pointwise (gemm on the input)
    {1, 64, 5, 5, 3, 3, 3, 1, 1, 1, 1, false},    // depth 576
    {1, 3, 7, 7, 4, 3, 3, 2, 1, 1, 1, true},      // transposed
    {1, 4, 5, 7, 6, 3, 3, 1, 0, 2, 2, true},      // transposed, grouped, dilated
};

TEST(HalfPrecision, Convolution) {
  for (ScalarType dt : kHalfTypes) {
    uint32_t seed = 200;
    for (const HalfConv& c : kHalfConvs) {
      check_conv(dt, c, false, 8 << 20, seed += 3);  // im2col + gemm_half
      check_conv(dt, c, false, 0, seed);             // no scratch: direct loops
    }
    check_conv(dt, {2, 3, 1, 17, 5, 1, 3, 1, 1, 1, 1, false}, true, 8 << 20, seed += 3);  // 1-d
  }
}

// ---- pooling

TEST(HalfPrecision, Pools) {
  for (ScalarType dt : kHalfTypes) {
    SCOPED_TRACE(scalar_type_name(dt));
    const std::vector<float> x = inputs(dt, 2 * 3 * 17 * 7, 300, -4.0f, 4.0f);
    Values v;
    std::vector<int64_t> idx_f32, idx_half;
    expect_round_once(dt, [&](ScalarType d) {
      auto in = make_as(d, {2, 3, 17, 7}, x);
      auto out = make(d, {2, 3, 9, 4});
      auto idx = make(ScalarType::Long, {2, 3, 9, 4});
      EXPECT_EQ(run("aten::max_pool2d_with_indices.out",
                    {in->ev(), v.ints({3, 3}), v.ints({2, 2}), v.ints({1, 1}), v.ints({1, 1}),
                     v.boolean(false), out->ev(), idx->ev(), out->ev()}),
                Error::Ok);
      (d == ScalarType::Float ? idx_f32 : idx_half) = idx->get<int64_t>();
      return read_as(*out, d);
    }, 0.0);  // a maximum is one of the inputs: exact
    EXPECT_EQ(idx_half, idx_f32);
    expect_round_once(dt, [&](ScalarType d) {
      auto in = make_as(d, {2, 3, 17, 7}, x);
      auto out = make(d, {2, 3, 9, 4});
      EXPECT_EQ(run("aten::avg_pool2d.out",
                    {in->ev(), v.ints({3, 3}), v.ints({2, 2}), v.ints({1, 1}), v.boolean(true),
                     v.boolean(false), v.none(), out->ev(), out->ev()}),
                Error::Ok);
      return read_as(*out, d);
    }, 1.0, 1e-6f);
    for (int o : {1, 3, 7}) {
      expect_round_once(dt, [&](ScalarType d) {
        auto in = make_as(d, {2, 3, 17, 7}, x);
        auto out = make(d, {2, 3, o, o});
        EXPECT_EQ(run("aten::_adaptive_avg_pool2d.out",
                      {in->ev(), v.ints({o, o}), out->ev(), out->ev()}),
                  Error::Ok);
        return read_as(*out, d);
      }, 1.0, 1e-6f);
    }
  }
}

// ---- attention

struct HalfSdpa {
  int n, hq, hk, l, s, e, ev;
  int mask;  // 0 none, 1 causal, 2 bool, 3 additive (the query's dtype)
};

TEST(HalfPrecision, Sdpa) {
  const HalfSdpa cases[] = {
      {1, 1, 1, 1, 1, 1, 1, 0}, {1, 2, 2, 7, 17, 7, 5, 0}, {2, 4, 2, 17, 17, 8, 8, 1},
      {1, 2, 1, 7, 17, 16, 7, 2}, {1, 3, 3, 17, 7, 7, 17, 3},
  };
  for (ScalarType dt : kHalfTypes) {
    uint32_t seed = 400;
    for (const HalfSdpa& c : cases) {
      SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " L=" << c.l << " S=" << c.s
                                      << " E=" << c.e << " mask=" << c.mask);
      const std::vector<float> q = inputs(dt, static_cast<size_t>(c.n) * c.hq * c.l * c.e, ++seed);
      const std::vector<float> k = inputs(dt, static_cast<size_t>(c.n) * c.hk * c.s * c.e, ++seed);
      const std::vector<float> val =
          inputs(dt, static_cast<size_t>(c.n) * c.hk * c.s * c.ev, ++seed);
      const std::vector<float> add =
          inputs(dt, static_cast<size_t>(c.l) * c.s, ++seed, -2.0f, 0.0f);
      std::vector<bool> keep(static_cast<size_t>(c.l) * c.s);
      for (size_t i = 0; i < keep.size(); ++i) keep[i] = (i * 7 + 3) % 5 != 0;
      expect_round_once(dt, [&](ScalarType d) {
        auto tq = make_as(d, {c.n, c.hq, c.l, c.e}, q);
        auto tk = make_as(d, {c.n, c.hk, c.s, c.e}, k);
        auto tv = make_as(d, {c.n, c.hk, c.s, c.ev}, val);
        auto out = make(d, {c.n, c.hq, c.l, c.ev});
        TensorPtr mask;
        if (c.mask == 2) {
          mask = make(ScalarType::Bool, {c.l, c.s});
          std::vector<uint8_t> bytes(keep.begin(), keep.end());
          std::memcpy(mask->t().mutable_data(), bytes.data(), bytes.size());
        } else if (c.mask == 3) {
          mask = make_as(d, {c.l, c.s}, add);
        }
        Values v;
        EXPECT_EQ(run("ember::sdpa.out",
                      {tq->ev(), tk->ev(), tv->ev(), mask ? mask->ev() : v.none(), v.real(0.0),
                       v.boolean(c.mask == 1), v.none(), v.boolean(c.hq != c.hk), out->ev(),
                       out->ev()}),
                  Error::Ok);
        return read_as(*out, d);
      }, 1.0, 1e-6f);
    }
  }
}

// ---- the ops that took 16-bit dtypes already: their float32 accumulation

TEST(HalfPrecision, SoftmaxAndLogSoftmax) {
  for (ScalarType dt : kHalfTypes) {
    for (int len : {1, 7, 17, 4099}) {
      SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " len=" << len);
      const std::vector<float> x = inputs(dt, static_cast<size_t>(3) * len, 500 + len, -6.0f, 6.0f);
      for (const char* op : {"aten::_softmax.out", "aten::_log_softmax.out"}) {
        Values v;
        expect_round_once(dt, [&](ScalarType d) {
          auto in = make_as(d, {3, len}, x);
          auto out = make(d, {3, len});
          EXPECT_EQ(run(op, {in->ev(), v.integer(-1), v.boolean(false), out->ev(), out->ev()}),
                    Error::Ok);
          return read_as(*out, d);
        }, 1.0, 1e-6f);
      }
    }
  }
}

TEST(HalfPrecision, LayerNorm) {
  for (ScalarType dt : kHalfTypes) {
    for (int len : {1, 7, 17, 4099}) {
      SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " len=" << len);
      // An offset of 8 makes a 16-bit running sum lose the deviations.
      const std::vector<float> x = inputs(dt, static_cast<size_t>(2) * len, 600 + len, 7.0f, 9.0f);
      const std::vector<float> w = inputs(dt, static_cast<size_t>(len), 601 + len);
      const std::vector<float> b = inputs(dt, static_cast<size_t>(len), 602 + len);
      Values v;
      expect_round_once(dt, [&](ScalarType d) {
        auto in = make_as(d, {2, len}, x);
        auto tw = make_as(d, {len}, w);
        auto tb = make_as(d, {len}, b);
        auto out = make(d, {2, len});
        auto mean = make(d, {2, 1});
        auto rstd = make(d, {2, 1});
        EXPECT_EQ(run("aten::native_layer_norm.out",
                      {in->ev(), v.ints({len}), tw->ev(), tb->ev(), v.real(1e-5), out->ev(),
                       mean->ev(), rstd->ev(), out->ev()}),
                  Error::Ok);
        std::vector<float> all = read_as(*out, d);
        for (float m : read_as(*mean, d)) all.push_back(m);
        return all;
      }, 1.0, 1e-5f);
    }
  }
}

// ember::rms_norm rounds twice, as its decomposition does: x * rstd, then
// the weight's product.
TEST(HalfPrecision, RmsNorm) {
  for (ScalarType dt : kHalfTypes) {
    for (int len : {1, 7, 17, 4099}) {
      SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " len=" << len);
      const std::vector<float> x = inputs(dt, static_cast<size_t>(2) * len, 700 + len, -3.0f, 3.0f);
      const std::vector<float> w = inputs(dt, static_cast<size_t>(len), 701 + len, 0.5f, 1.5f);
      Values v;
      expect_round_once(dt, [&](ScalarType d) {
        auto in = make_as(d, {2, len}, x);
        auto tw = make_as(d, {len}, w);
        auto out = make(d, {2, len});
        EXPECT_EQ(run("ember::rms_norm.out",
                      {in->ev(), v.ints({len}), tw->ev(), v.real(1e-6), out->ev(), out->ev()}),
                  Error::Ok);
        return read_as(*out, d);
      }, 2.0, 1e-6f);
    }
  }
}

TEST(HalfPrecision, MeanAndSumOfLongRows) {
  for (ScalarType dt : kHalfTypes) {
    for (int len : {1, 7, 17, 4099}) {
      SCOPED_TRACE(testing::Message() << scalar_type_name(dt) << " len=" << len);
      // All positive: a 16-bit running sum would stall once it passes 2^11
      // (float16) or 2^8 (bfloat16).
      const std::vector<float> x = inputs(dt, static_cast<size_t>(3) * len, 700 + len, 0.5f, 1.5f);
      for (const char* op : {"aten::mean.out", "aten::sum.IntList_out"}) {
        Values v;
        expect_round_once(dt, [&](ScalarType d) {
          auto in = make_as(d, {3, len}, x);
          auto out = make(d, {3});
          EXPECT_EQ(run(op, {in->ev(), v.ints({1}), v.boolean(false), v.none(), out->ev(),
                             out->ev()}),
                    Error::Ok);
          return read_as(*out, d);
        });
      }
    }
  }
}

TEST(HalfPrecision, PointwiseOps) {
  for (ScalarType dt : kHalfTypes) {
    SCOPED_TRACE(scalar_type_name(dt));
    const std::vector<float> x = inputs(dt, 17 * 7, 800, -5.0f, 5.0f);
    const std::vector<float> y = inputs(dt, 7, 801, -2.0f, 2.0f);
    Values v;
    for (const char* op : {"aten::sigmoid.out", "aten::tanh.out", "aten::exp.out"}) {
      SCOPED_TRACE(op);
      expect_round_once(dt, [&](ScalarType d) {
        auto in = make_as(d, {17, 7}, x);
        auto out = make(d, {17, 7});
        EXPECT_EQ(run(op, {in->ev(), out->ev(), out->ev()}), Error::Ok);
        return read_as(*out, d);
      });
    }
    for (const char* mode : {"none", "tanh"}) {
      SCOPED_TRACE(mode);
      expect_round_once(dt, [&](ScalarType d) {
        auto in = make_as(d, {17, 7}, x);
        auto out = make(d, {17, 7});
        EXPECT_EQ(run("aten::gelu.out", {in->ev(), v.str(mode), out->ev(), out->ev()}),
                  Error::Ok);
        return read_as(*out, d);
      }, 1.0, 1e-6f);
    }
    // Broadcast binary ops: [17, 7] with [7].
    expect_round_once(dt, [&](ScalarType d) {
      auto a = make_as(d, {17, 7}, x);
      auto b = make_as(d, {7}, y);
      auto out = make(d, {17, 7});
      EXPECT_EQ(run("aten::add.out", {a->ev(), b->ev(), v.real(0.5), out->ev(), out->ev()}),
                Error::Ok);
      return read_as(*out, d);
    });
    expect_round_once(dt, [&](ScalarType d) {
      auto a = make_as(d, {17, 7}, x);
      auto b = make_as(d, {7}, y);
      auto out = make(d, {17, 7});
      EXPECT_EQ(run("aten::mul.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
      return read_as(*out, d);
    });
  }
}

}  // namespace
}  // namespace test
}  // namespace ember
