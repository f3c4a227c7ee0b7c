// Tests for relu, hardtanh, sigmoid, tanh, gelu and _softmax against plain
// formulas, including NaN propagation, other dim orders and rejections.
#include <cmath>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

std::vector<float> apply_fn(const std::vector<float>& x, float (*f)(float)) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = f(x[i]);
  return y;
}

TEST(Activation, ReluFloatAndIntegers) {
  auto x = make_f({2, 3}, {-1.5f, 0.0f, 2.0f, NAN, -0.0f, 7.0f});
  auto out = make(ScalarType::Float, {2, 3});
  ASSERT_EQ(run("aten::relu.out", {x->ev(), out->ev(), out->ev()}), Error::Ok);
  const std::vector<float> got = out->get<float>();
  EXPECT_EQ(got[0], 0.0f);
  EXPECT_EQ(got[2], 2.0f);
  EXPECT_TRUE(std::isnan(got[3]));
  EXPECT_EQ(got[5], 7.0f);

  auto xi = make_typed<int32_t>(ScalarType::Int, {4}, {-3, 0, 5, -2147483647 - 1});
  auto oi = make(ScalarType::Int, {4});
  ASSERT_EQ(run("aten::relu.out", {xi->ev(), oi->ev(), oi->ev()}), Error::Ok);
  EXPECT_EQ(oi->get<int32_t>(), (std::vector<int32_t>{0, 0, 5, 0}));

  auto xl = make_typed<int64_t>(ScalarType::Long, {3}, {-3, 9, 0});
  auto ol = make_dynamic(ScalarType::Long, 1, 8);
  ASSERT_EQ(run("aten::relu.out", {xl->ev(), ol->ev(), ol->ev()}), Error::Ok);
  EXPECT_EQ(ol->get<int64_t>(), (std::vector<int64_t>{0, 9, 0}));
}

TEST(Activation, HardtanhClamps) {
  Values v;
  auto x = make_f({5}, {-3.0f, -1.0f, 0.25f, 1.0f, 4.0f});
  auto out = make(ScalarType::Float, {5});
  ASSERT_EQ(run("aten::hardtanh.out", {x->ev(), v.integer(-1), v.real(1.5), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{-1.0f, -1.0f, 0.25f, 1.0f, 1.5f}));
  // relu6 as hardtanh(0, 6)
  ASSERT_EQ(run("aten::hardtanh.out", {x->ev(), v.real(0.0), v.real(6.0), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{0.0f, 0.0f, 0.25f, 1.0f, 4.0f}));
}

TEST(Activation, SigmoidTanhGeluMatchFormulas) {
  const std::vector<float> xs = random_floats(64, 3, -6.0f, 6.0f);
  Values v;
  struct Case {
    const char* op;
    float (*f)(float);
    bool gelu_tanh;
    bool gelu;
  };
  const Case cases[] = {
      {"aten::sigmoid.out", [](float x) { return 1.0f / (1.0f + std::exp(-x)); }, false, false},
      {"aten::tanh.out", [](float x) { return std::tanh(x); }, false, false},
      {"aten::gelu.out",
       [](float x) {
         return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))));
       },
       false, true},
      {"aten::gelu.out",
       [](float x) {
         const double k = std::sqrt(2.0 / 3.14159265358979323846);
         return static_cast<float>(0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x))));
       },
       true, true},
  };
  for (const Case& c : cases) {
    auto x = make_f({8, 8}, xs);
    auto out = make(ScalarType::Float, {8, 8});
    std::vector<EValue*> args = {x->ev()};
    if (c.gelu) args.push_back(v.str(c.gelu_tanh ? "tanh" : "none"));
    args.push_back(out->ev());
    args.push_back(out->ev());
    ASSERT_EQ(run(c.op, args), Error::Ok) << c.op;
    expect_close(out->get<float>(), apply_fn(xs, c.f), 1e-5f);
  }
}

TEST(Activation, UnaryAcrossDimOrders) {
  const std::vector<float> xs = random_floats(2 * 3 * 4 * 5, 9);
  auto x = make_f({2, 3, 4, 5}, xs, {0, 2, 3, 1});
  auto out = make(ScalarType::Float, {2, 3, 4, 5});
  ASSERT_EQ(run("aten::tanh.out", {x->ev(), out->ev(), out->ev()}), Error::Ok);
  expect_close(out->get<float>(), apply_fn(xs, +[](float a) { return std::tanh(a); }), 1e-6f);
}

TEST(Activation, SoftmaxAlongEveryDim) {
  const std::vector<int32_t> shape = {3, 4, 5};
  const std::vector<float> xs = random_floats(60, 11, -5.0f, 5.0f);
  for (int dim = -3; dim < 3; ++dim) {
    for (bool channels_last : {false, true}) {
      auto x = channels_last ? make_f(shape, xs, {0, 2, 1}) : make_f(shape, xs);
      auto out = make(ScalarType::Float, shape);
      Values v;
      ASSERT_EQ(run("aten::_softmax.out",
                    {x->ev(), v.integer(dim), v.boolean(false), out->ev(), out->ev()}),
                Error::Ok);
      const int d = dim < 0 ? dim + 3 : dim;
      std::vector<float> want(60);
      const int strides[3] = {20, 5, 1};
      for (int i = 0; i < 60; ++i) {
        const int coord = (i / strides[d]) % shape[d];
        const int base = i - coord * strides[d];
        double sum = 0.0;
        for (int k = 0; k < shape[d]; ++k) sum += std::exp(xs[base + k * strides[d]]);
        want[i] = static_cast<float>(std::exp(xs[i]) / sum);
      }
      expect_close(out->get<float>(), want, 1e-5f);
    }
  }
}

TEST(Activation, SoftmaxIsStableForLargeInputs) {
  Values v;
  auto x = make_f({3}, {1000.0f, 1000.0f, -1000.0f});
  auto out = make(ScalarType::Float, {3});
  ASSERT_EQ(run("aten::_softmax.out", {x->ev(), v.integer(0), v.boolean(false), out->ev(),
                                       out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{0.5f, 0.5f, 0.0f}));
}

TEST(Activation, Rejections) {
  Values v;
  auto x = make_f({2, 2}, {1, 2, 3, 4});
  auto wrong = make(ScalarType::Float, {4});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::relu.out", {x->ev(), wrong->ev(), wrong->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::relu.out"));
  }
  auto iout = make(ScalarType::Int, {2, 2});
  EXPECT_EQ(run("aten::sigmoid.out", {x->ev(), iout->ev(), iout->ev()}), Error::NotSupported);
  auto xi = make_typed<int32_t>(ScalarType::Int, {2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(run("aten::tanh.out", {xi->ev(), iout->ev(), iout->ev()}), Error::NotSupported);
  auto xb = make_typed<bool>(ScalarType::Bool, {2}, {true, false});
  auto ob = make(ScalarType::Bool, {2});
  EXPECT_EQ(run("aten::relu.out", {xb->ev(), ob->ev(), ob->ev()}), Error::NotSupported);
  auto out = make(ScalarType::Float, {2, 2});
  EXPECT_EQ(run("aten::gelu.out", {x->ev(), v.str("erf"), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::gelu.out", {x->ev(), out->ev(), out->ev()}), Error::InvalidArgument);
  EXPECT_EQ(run("aten::_softmax.out", {x->ev(), v.integer(2), v.boolean(false), out->ev(),
                                       out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::_softmax.out", {x->ev(), v.integer(1), v.boolean(true), out->ev(),
                                       out->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::hardtanh.out", {x->ev(), v.str("a"), v.real(1), out->ev(), out->ev()}),
            Error::InvalidArgument);
}

}  // namespace
}  // namespace test
}  // namespace ember
