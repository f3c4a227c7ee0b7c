// Tests for _native_batch_norm_legit_no_training.out: reference formula,
// optional weight/bias, out1/out2 as [0] or [C], and rejections.
#include <cmath>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr const char* kOp = "aten::_native_batch_norm_legit_no_training.out";

struct Bn {
  std::vector<int32_t> shape;
  std::vector<float> x, w, b, mean, var;
  TensorPtr tx, tw, tb, tm, tv;

  explicit Bn(std::vector<int32_t> s, uint32_t seed) : shape(std::move(s)) {
    size_t n = 1;
    for (int32_t d : shape) n *= static_cast<size_t>(d);
    const size_t c = static_cast<size_t>(shape[1]);
    x = random_floats(n, seed);
    w = random_floats(c, seed + 1);
    b = random_floats(c, seed + 2);
    mean = random_floats(c, seed + 3);
    var = random_floats(c, seed + 4, 0.1f, 2.0f);
    tx = make_f(shape, x);
    tw = make_f({shape[1]}, w);
    tb = make_f({shape[1]}, b);
    tm = make_f({shape[1]}, mean);
    tv = make_f({shape[1]}, var);
  }

  std::vector<float> reference(bool use_w, bool use_b, float eps) const {
    const int64_t c = shape[1];
    int64_t inner = 1;
    for (size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const int64_t ch = (static_cast<int64_t>(i) / inner) % c;
      const double norm = (x[i] - mean[ch]) / std::sqrt(static_cast<double>(var[ch]) + eps);
      y[i] = static_cast<float>(norm * (use_w ? w[ch] : 1.0) + (use_b ? b[ch] : 0.0));
    }
    return y;
  }
};

TEST(BatchNorm, MatchesReferenceForRanks2To4) {
  const std::vector<std::vector<int32_t>> shapes = {{4, 3}, {2, 5, 7}, {2, 3, 4, 5}, {1, 8, 1, 1}};
  uint32_t seed = 10;
  for (const auto& shape : shapes) {
    for (int mask = 0; mask < 4; ++mask) {
      const bool use_w = mask & 1, use_b = mask & 2;
      Bn bn(shape, seed += 5);
      Values v;
      auto out0 = make(ScalarType::Float, shape);
      auto out1 = make(ScalarType::Float, {0});
      auto out2 = make(ScalarType::Float, {0});
      EValue* list = v.tensors({out0.get(), out1.get(), out2.get()});
      ASSERT_EQ(run(kOp, {bn.tx->ev(), use_w ? bn.tw->ev() : v.none(),
                          use_b ? bn.tb->ev() : v.none(), bn.tm->ev(), bn.tv->ev(), v.real(0.1),
                          v.real(1e-5), out0->ev(), out1->ev(), out2->ev(), list}),
                Error::Ok);
      expect_close(out0->get<float>(), bn.reference(use_w, use_b, 1e-5f), 1e-5f);
    }
  }
}

TEST(BatchNorm, SavedStatsFilledOnlyWithChannelSizes) {
  Bn bn({2, 3, 2, 2}, 77);
  Values v;
  auto out0 = make(ScalarType::Float, {2, 3, 2, 2});
  auto out1 = make(ScalarType::Float, {3});
  auto out2 = make(ScalarType::Float, {3});
  EValue* list = v.tensors({out0.get(), out1.get(), out2.get()});
  ASSERT_EQ(run(kOp, {bn.tx->ev(), bn.tw->ev(), bn.tb->ev(), bn.tm->ev(), bn.tv->ev(),
                      v.real(0.1), v.real(1e-3), out0->ev(), out1->ev(), out2->ev(), list}),
            Error::Ok);
  expect_close(out1->get<float>(), bn.mean, 0.0f);
  std::vector<float> invstd(3);
  for (int c = 0; c < 3; ++c) invstd[c] = 1.0f / std::sqrt(bn.var[c] + 1e-3f);
  expect_close(out2->get<float>(), invstd, 1e-6f);
}

TEST(BatchNorm, HandCheckedValue) {
  // x = 3, mean 1, var 4 - eps, weight 2, bias 0.5: (3 - 1) / 2 * 2 + 0.5 = 2.5
  auto x = make_f({1, 1, 1}, {3.0f});
  auto w = make_f({1}, {2.0f});
  auto b = make_f({1}, {0.5f});
  auto m = make_f({1}, {1.0f});
  auto var = make_f({1}, {4.0f});
  Values v;
  auto out0 = make(ScalarType::Float, {1, 1, 1});
  auto out1 = make(ScalarType::Float, {0});
  auto out2 = make(ScalarType::Float, {0});
  EValue* list = v.tensors({out0.get(), out1.get(), out2.get()});
  ASSERT_EQ(run(kOp, {x->ev(), w->ev(), b->ev(), m->ev(), var->ev(), v.real(0.1), v.real(0.0),
                      out0->ev(), out1->ev(), out2->ev(), list}),
            Error::Ok);
  EXPECT_FLOAT_EQ(out0->get<float>()[0], 2.5f);
}

TEST(BatchNorm, Rejections) {
  Bn bn({2, 3, 4}, 5);
  Values v;
  auto out0 = make(ScalarType::Float, {2, 3, 4});
  auto empty = make(ScalarType::Float, {0});
  auto call = [&](EValue* input, EValue* weight, EValue* mean, TestTensor* o0, TestTensor* o1) {
    EValue* list = v.tensors({o0, o1, empty.get()});
    return run(kOp, {input, weight, v.none(), mean, bn.tv->ev(), v.real(0.1), v.real(1e-5),
                     o0->ev(), o1->ev(), empty->ev(), list});
  };
  ASSERT_EQ(call(bn.tx->ev(), bn.tw->ev(), bn.tm->ev(), out0.get(), empty.get()), Error::Ok);
  {
    LogCapture log;
    auto bad = make(ScalarType::Float, {2, 3, 5});
    EXPECT_EQ(call(bn.tx->ev(), bn.tw->ev(), bn.tm->ev(), bad.get(), empty.get()),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains(kOp));
  }
  auto w4 = make_f({4}, {1, 1, 1, 1});
  EXPECT_EQ(call(bn.tx->ev(), w4->ev(), bn.tm->ev(), out0.get(), empty.get()),
            Error::InvalidArgument);
  auto saved2 = make(ScalarType::Float, {2});
  EXPECT_EQ(call(bn.tx->ev(), bn.tw->ev(), bn.tm->ev(), out0.get(), saved2.get()),
            Error::InvalidArgument);
  auto mi = make_typed<int32_t>(ScalarType::Int, {3}, {0, 0, 0});
  EXPECT_EQ(call(bn.tx->ev(), bn.tw->ev(), mi->ev(), out0.get(), empty.get()),
            Error::NotSupported);
  auto x1 = make_f({3}, {1, 2, 3});
  EXPECT_EQ(call(x1->ev(), bn.tw->ev(), bn.tm->ev(), out0.get(), empty.get()),
            Error::InvalidArgument);
  EXPECT_EQ(call(bn.tx->ev(), bn.tw->ev(), v.none(), out0.get(), empty.get()),
            Error::InvalidArgument);  // running_mean is not optional
  EXPECT_EQ(run(kOp, {bn.tx->ev(), bn.tw->ev()}), Error::InvalidArgument);
}

}  // namespace
}  // namespace test
}  // namespace ember
