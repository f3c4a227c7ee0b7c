// Tests for max_pool2d_with_indices, avg_pool2d and _adaptive_avg_pool2d
// against plain window loops written from torch's documented rules.
#include <cmath>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

struct PoolCase {
  int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw;
  bool ceil;
};

int out_size(int in, int k, int s, int p, int d, bool ceil) {
  const int eff = d * (k - 1) + 1;
  int o = (in + 2 * p - eff + (ceil ? s - 1 : 0)) / s + 1;
  if (ceil && (o - 1) * s >= in + p) --o;
  return o;
}

const PoolCase kCases[] = {
    {1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, false}, {2, 3, 7, 9, 3, 3, 2, 2, 1, 1, 1, 1, false},
    {1, 2, 7, 9, 3, 3, 2, 2, 1, 1, 1, 1, true},  {1, 2, 10, 11, 3, 2, 3, 2, 1, 1, 2, 2, true},
    {1, 1, 5, 5, 2, 3, 1, 2, 0, 1, 1, 1, false}, {2, 2, 6, 6, 3, 3, 3, 3, 0, 0, 1, 1, true},
};

TEST(Pool, MaxPoolMatchesReference) {
  uint32_t seed = 20;
  for (const PoolCase& c : kCases) {
    const int oh = out_size(c.h, c.kh, c.sh, c.ph, c.dh, c.ceil);
    const int ow = out_size(c.w, c.kw, c.sw, c.pw, c.dw, c.ceil);
    const std::vector<float> x = random_floats(static_cast<size_t>(c.n) * c.c * c.h * c.w, ++seed);
    auto in = make_f({c.n, c.c, c.h, c.w}, x);
    auto out = make(ScalarType::Float, {c.n, c.c, oh, ow});
    auto idx = make(ScalarType::Long, {c.n, c.c, oh, ow});
    Values v;
    ASSERT_EQ(run("aten::max_pool2d_with_indices.out",
                  {in->ev(), v.ints({c.kh, c.kw}), v.ints({c.sh, c.sw}), v.ints({c.ph, c.pw}),
                   v.ints({c.dh, c.dw}), v.boolean(c.ceil), out->ev(), idx->ev(),
                   v.tensors({out.get(), idx.get()})}),
              Error::Ok);
    std::vector<float> want;
    std::vector<int64_t> want_idx;
    for (int p = 0; p < c.n * c.c; ++p)
      for (int i = 0; i < oh; ++i)
        for (int j = 0; j < ow; ++j) {
          float best = -INFINITY;
          int64_t best_i = -1;
          for (int a = 0; a < c.kh; ++a)
            for (int b = 0; b < c.kw; ++b) {
              const int ih = i * c.sh - c.ph + a * c.dh, iw = j * c.sw - c.pw + b * c.dw;
              if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
              const float val = x[(p * c.h + ih) * c.w + iw];
              if (best_i < 0 || val > best) {
                best = val;
                best_i = ih * c.w + iw;
              }
            }
          want.push_back(best);
          want_idx.push_back(best_i);
        }
    expect_close(out->get<float>(), want, 0.0f);
    EXPECT_EQ(idx->get<int64_t>(), want_idx);
  }
}

TEST(Pool, MaxPoolEmptyStrideAndNaN) {
  Values v;
  auto in = make_f({1, 4, 4}, {1, 2, 3, 4, 5, NAN, 7, 8, 9, 10, 11, 12, 13, 14, 16, 15});
  auto out = make_dynamic(ScalarType::Float, 3, 16);
  auto idx = make_dynamic(ScalarType::Long, 3, 16);
  ASSERT_EQ(run("aten::max_pool2d_with_indices.out",
                {in->ev(), v.ints({2, 2}), v.ints({}), v.ints({0}), v.ints({1}),
                 v.boolean(false), out->ev(), idx->ev(), v.tensors({out.get(), idx.get()})}),
            Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{1, 2, 2}));
  const std::vector<float> got = out->get<float>();
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], 8.0f);
  EXPECT_EQ(got[2], 14.0f);
  EXPECT_EQ(got[3], 16.0f);
  EXPECT_EQ(idx->get<int64_t>(), (std::vector<int64_t>{5, 7, 13, 14}));
}

TEST(Pool, AvgPoolMatchesReference) {
  uint32_t seed = 40;
  for (const PoolCase& c : kCases) {
    for (int mode = 0; mode < 3; ++mode) {  // include pad, exclude pad, divisor override
      const int oh = out_size(c.h, c.kh, c.sh, c.ph, 1, c.ceil);
      const int ow = out_size(c.w, c.kw, c.sw, c.pw, 1, c.ceil);
      const std::vector<float> x =
          random_floats(static_cast<size_t>(c.n) * c.c * c.h * c.w, ++seed);
      auto in = make_f({c.n, c.c, c.h, c.w}, x);
      auto out = make(ScalarType::Float, {c.n, c.c, oh, ow});
      Values v;
      ASSERT_EQ(run("aten::avg_pool2d.out",
                    {in->ev(), v.ints({c.kh, c.kw}), v.ints({c.sh, c.sw}), v.ints({c.ph, c.pw}),
                     v.boolean(c.ceil), v.boolean(mode == 0), mode == 2 ? v.integer(5) : v.none(),
                     out->ev(), out->ev()}),
                Error::Ok);
      std::vector<float> want;
      for (int p = 0; p < c.n * c.c; ++p)
        for (int i = 0; i < oh; ++i)
          for (int j = 0; j < ow; ++j) {
            const int h0 = i * c.sh - c.ph, w0 = j * c.sw - c.pw;
            const int h1 = std::min(h0 + c.kh, c.h + c.ph), w1 = std::min(w0 + c.kw, c.w + c.pw);
            const int padded = (h1 - h0) * (w1 - w0);
            double sum = 0.0;
            int count = 0;
            for (int ih = std::max(h0, 0); ih < std::min(h1, c.h); ++ih)
              for (int iw = std::max(w0, 0); iw < std::min(w1, c.w); ++iw) {
                sum += x[(p * c.h + ih) * c.w + iw];
                ++count;
              }
            const int div = mode == 2 ? 5 : mode == 0 ? padded : count;
            want.push_back(static_cast<float>(sum / div));
          }
      expect_close(out->get<float>(), want, 1e-5f);
    }
  }
}

TEST(Pool, AdaptiveAvgPoolMatchesReference) {
  const int shapes[][4] = {{7, 7, 1, 1}, {7, 9, 3, 4}, {5, 5, 5, 5}, {4, 6, 8, 3}, {10, 3, 4, 2}};
  uint32_t seed = 60;
  for (const auto& s : shapes) {
    const int h = s[0], w = s[1], oh = s[2], ow = s[3];
    const std::vector<float> x = random_floats(2 * 3 * h * w, ++seed);
    auto in = make_f({2, 3, h, w}, x);
    auto out = make(ScalarType::Float, {2, 3, oh, ow});
    Values v;
    ASSERT_EQ(run("aten::_adaptive_avg_pool2d.out",
                  {in->ev(), v.ints({oh, ow}), out->ev(), out->ev()}),
              Error::Ok);
    std::vector<float> want;
    for (int p = 0; p < 6; ++p)
      for (int i = 0; i < oh; ++i)
        for (int j = 0; j < ow; ++j) {
          const int h0 = static_cast<int>(std::floor(static_cast<double>(i) * h / oh));
          const int h1 = static_cast<int>(std::ceil(static_cast<double>(i + 1) * h / oh));
          const int w0 = static_cast<int>(std::floor(static_cast<double>(j) * w / ow));
          const int w1 = static_cast<int>(std::ceil(static_cast<double>(j + 1) * w / ow));
          double sum = 0.0;
          for (int a = h0; a < h1; ++a)
            for (int b = w0; b < w1; ++b) sum += x[(p * h + a) * w + b];
          want.push_back(static_cast<float>(sum / ((h1 - h0) * (w1 - w0))));
        }
    expect_close(out->get<float>(), want, 1e-5f);
  }
}

TEST(Pool, Rejections) {
  Values v;
  auto in = make_f({1, 1, 4, 4}, std::vector<float>(16, 1.0f));
  auto out = make(ScalarType::Float, {1, 1, 2, 2});
  auto idx = make(ScalarType::Long, {1, 1, 2, 2});
  auto maxpool = [&](EValue* kernel, EValue* pad, TestTensor* o, TestTensor* i) {
    return run("aten::max_pool2d_with_indices.out",
               {in->ev(), kernel, v.ints({}), pad, v.ints({1, 1}), v.boolean(false), o->ev(),
                i->ev(), v.tensors({o, i})});
  };
  ASSERT_EQ(maxpool(v.ints({2, 2}), v.ints({0, 0}), out.get(), idx.get()), Error::Ok);
  {
    LogCapture log;
    EXPECT_EQ(maxpool(v.ints({2, 2}), v.ints({2, 2}), out.get(), idx.get()),
              Error::InvalidArgument);  // padding > kernel / 2
    EXPECT_TRUE(log.contains("aten::max_pool2d_with_indices.out"));
  }
  auto idx32 = make(ScalarType::Int, {1, 1, 2, 2});
  EXPECT_EQ(maxpool(v.ints({2, 2}), v.ints({0, 0}), out.get(), idx32.get()), Error::NotSupported);
  auto big = make(ScalarType::Float, {1, 1, 3, 3});
  EXPECT_EQ(maxpool(v.ints({2, 2}), v.ints({0, 0}), big.get(), idx.get()),
            Error::InvalidArgument);
  EXPECT_EQ(maxpool(v.ints({0, 2}), v.ints({0, 0}), out.get(), idx.get()),
            Error::InvalidArgument);
  EXPECT_EQ(maxpool(v.ints({5, 5}), v.ints({0, 0}), out.get(), idx.get()),
            Error::InvalidArgument);  // window larger than input
  EXPECT_EQ(maxpool(v.ints({2, 2, 2}), v.ints({0, 0}), out.get(), idx.get()),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::avg_pool2d.out", {in->ev(), v.ints({2, 2}), v.ints({}), v.ints({0}),
                                         v.boolean(false), v.boolean(true), v.integer(0),
                                         out->ev(), out->ev()}),
            Error::InvalidArgument);  // divisor_override 0
  auto in2 = make_f({4, 4}, std::vector<float>(16, 1.0f));
  EXPECT_EQ(run("aten::_adaptive_avg_pool2d.out", {in2->ev(), v.ints({2, 2}), out->ev(),
                                                   out->ev()}),
            Error::InvalidArgument);  // 2-d input
  auto in_cl = make(ScalarType::Float, {1, 1, 4, 4}, {0, 2, 3, 1});
  EXPECT_EQ(run("aten::_adaptive_avg_pool2d.out", {in_cl->ev(), v.ints({2, 2}), out->ev(),
                                                   out->ev()}),
            Error::NotSupported);
}

}  // namespace
}  // namespace test
}  // namespace ember
