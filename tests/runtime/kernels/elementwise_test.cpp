// Tests for add/sub/mul/div(.out_mode): broadcasting against a plain
// index-mapping reference, dtype rules, rounding modes, and rejections.
#include <cmath>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

/// Flat index into `in` (right-aligned, size-1 dims broadcast) of the
/// element that feeds flat output index `flat`.
int64_t source_index(const std::vector<int32_t>& out, const std::vector<int32_t>& in,
                     int64_t flat) {
  int64_t idx = 0, stride = 1;
  for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) {
    const int64_t coord = flat % out[d];
    flat /= out[d];
    const int id = d - static_cast<int>(out.size() - in.size());
    if (id < 0) continue;
    if (in[id] != 1) idx += coord * stride;
    stride *= in[id];
  }
  return idx;
}

int64_t numel(const std::vector<int32_t>& s) {
  int64_t n = 1;
  for (int32_t v : s) n *= v;
  return n;
}

struct BroadcastCase {
  std::vector<int32_t> a, b, out;
};

TEST(Elementwise, BroadcastingMatchesReference) {
  const BroadcastCase cases[] = {
      {{2, 3}, {2, 3}, {2, 3}},          {{2, 3}, {3}, {2, 3}},
      {{4, 1}, {1, 5}, {4, 5}},          {{2, 3, 4, 5}, {3, 1, 1}, {2, 3, 4, 5}},
      {{}, {2, 2}, {2, 2}},              {{3, 1, 2}, {}, {3, 1, 2}},
      {{1}, {7}, {7}},                   {{}, {}, {}},
      {{5, 1, 3}, {1, 4, 1}, {5, 4, 3}}, {{2, 0, 3}, {1, 3}, {2, 0, 3}},
  };
  uint32_t seed = 1;
  for (const BroadcastCase& c : cases) {
    for (const char* op : {"aten::add.out", "aten::sub.out", "aten::mul.out", "aten::div.out"}) {
      const std::vector<float> av = random_floats(numel(c.a), seed++);
      std::vector<float> bv = random_floats(numel(c.b), seed++, 0.5f, 2.0f);
      auto a = make_f(c.a, av);
      auto b = make_f(c.b, bv);
      auto out = make(ScalarType::Float, c.out);
      Values v;
      const bool alpha = std::string(op) == "aten::add.out" || std::string(op) == "aten::sub.out";
      std::vector<EValue*> args = {a->ev(), b->ev()};
      if (alpha) args.push_back(v.real(0.5));
      args.push_back(out->ev());
      args.push_back(out->ev());
      ASSERT_EQ(run(op, args), Error::Ok) << op;
      std::vector<float> want(static_cast<size_t>(numel(c.out)));
      for (int64_t i = 0; i < numel(c.out); ++i) {
        const float x = av[source_index(c.out, c.a, i)];
        const float y = bv[source_index(c.out, c.b, i)];
        const std::string name = op;
        want[i] = name == "aten::add.out"   ? x + 0.5f * y
                  : name == "aten::sub.out" ? x - 0.5f * y
                  : name == "aten::mul.out" ? x * y
                                            : x / y;
      }
      expect_close(out->get<float>(), want, 1e-6f);
    }
  }
}

TEST(Elementwise, DynamicOutIsResizedToBroadcastShape) {
  auto a = make_f({2, 1}, {1, 2});
  auto b = make_f({3}, {10, 20, 30});
  auto out = make_dynamic(ScalarType::Float, 2, 16);
  Values v;
  ASSERT_EQ(run("aten::add.out", {a->ev(), b->ev(), v.integer(1), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(out->get<float>(), (std::vector<float>{11, 21, 31, 12, 22, 32}));
}

TEST(Elementwise, ChannelsLastOperandsUseStrides) {
  // a is NCHW-contiguous, b is channels-last; out is channels-last.
  const std::vector<float> av = random_floats(2 * 3 * 2 * 2, 7);
  const std::vector<float> bv = random_floats(2 * 3 * 2 * 2, 8);
  auto a = make_f({2, 3, 2, 2}, av);
  auto b = make_f({2, 3, 2, 2}, bv, {0, 2, 3, 1});
  auto out = make(ScalarType::Float, {2, 3, 2, 2}, {0, 2, 3, 1});
  ASSERT_EQ(run("aten::mul.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  std::vector<float> want(av.size());
  for (size_t i = 0; i < av.size(); ++i) want[i] = av[i] * bv[i];
  expect_close(out->get<float>(), want, 0.0f);
}

TEST(Elementwise, IntegerOpsWrapAndUseAlpha) {
  auto a = make_typed<int32_t>(ScalarType::Int, {3}, {1, 2147483647, -5});
  auto b = make_typed<int32_t>(ScalarType::Int, {3}, {2, 1, 3});
  auto out = make(ScalarType::Int, {3});
  Values v;
  ASSERT_EQ(run("aten::add.out", {a->ev(), b->ev(), v.integer(2), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int32_t>(), (std::vector<int32_t>{5, -2147483647, 1}));
  ASSERT_EQ(run("aten::sub.out", {a->ev(), b->ev(), v.integer(1), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int32_t>(), (std::vector<int32_t>{-1, 2147483646, -8}));

  auto la = make_typed<int64_t>(ScalarType::Long, {2}, {3, -4});
  auto lb = make_typed<int64_t>(ScalarType::Long, {}, {5});
  auto lout = make(ScalarType::Long, {2});
  ASSERT_EQ(run("aten::mul.out", {la->ev(), lb->ev(), lout->ev(), lout->ev()}), Error::Ok);
  EXPECT_EQ(lout->get<int64_t>(), (std::vector<int64_t>{15, -20}));
}

TEST(Elementwise, FloatWithZeroDimOfOtherDtype) {
  auto a = make_f({2, 2}, {1, 2, 3, 4});
  auto s = make_typed<int64_t>(ScalarType::Long, {}, {3});
  auto out = make(ScalarType::Float, {2, 2});
  ASSERT_EQ(run("aten::mul.out", {a->ev(), s->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{3, 6, 9, 12}));
  // The 0-d operand may come first too.
  Values v;
  ASSERT_EQ(run("aten::sub.out", {s->ev(), a->ev(), v.integer(1), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{2, 1, 0, -1}));
  // An int32 tensor with a 0-d int64 keeps int32.
  auto i = make_typed<int32_t>(ScalarType::Int, {2}, {4, 5});
  auto iout = make(ScalarType::Int, {2});
  ASSERT_EQ(run("aten::add.out", {i->ev(), s->ev(), v.integer(1), iout->ev(), iout->ev()}),
            Error::Ok);
  EXPECT_EQ(iout->get<int32_t>(), (std::vector<int32_t>{7, 8}));
}

TEST(Elementwise, TrueDivisionOfIntegersGivesFloat) {
  auto a = make_typed<int32_t>(ScalarType::Int, {3}, {7, -7, 1});
  auto b = make_typed<int32_t>(ScalarType::Int, {3}, {2, 2, 0});
  auto out = make(ScalarType::Float, {3});
  ASSERT_EQ(run("aten::div.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  const std::vector<float> got = out->get<float>();
  EXPECT_EQ(got[0], 3.5f);
  EXPECT_EQ(got[1], -3.5f);
  EXPECT_TRUE(std::isinf(got[2]));
  auto iout = make(ScalarType::Int, {3});
  EXPECT_EQ(run("aten::div.out", {a->ev(), b->ev(), iout->ev(), iout->ev()}),
            Error::NotSupported);
}

TEST(Elementwise, RoundingModes) {
  Values v;
  auto a = make_f({6}, {7, -7, 7, -7, 0.5f, -0.0f});
  auto b = make_f({6}, {2, 2, -2, -2, 0.0f, 3});
  auto out = make(ScalarType::Float, {6});
  ASSERT_EQ(run("aten::div.out_mode", {a->ev(), b->ev(), v.str("trunc"), out->ev(), out->ev()}),
            Error::Ok);
  std::vector<float> got = out->get<float>();
  EXPECT_EQ(std::vector<float>(got.begin(), got.begin() + 4), (std::vector<float>{3, -3, -3, 3}));
  EXPECT_TRUE(std::isinf(got[4]));
  ASSERT_EQ(run("aten::div.out_mode", {a->ev(), b->ev(), v.str("floor"), out->ev(), out->ev()}),
            Error::Ok);
  got = out->get<float>();
  EXPECT_EQ(std::vector<float>(got.begin(), got.begin() + 4), (std::vector<float>{3, -4, -4, 3}));
  EXPECT_TRUE(std::isinf(got[4]));
  EXPECT_TRUE(got[5] == 0.0f && std::signbit(got[5]));  // -0 / 3 floors to -0
  // None behaves like div.out.
  ASSERT_EQ(run("aten::div.out_mode", {a->ev(), b->ev(), v.none(), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>()[1], -3.5f);

  auto ia = make_typed<int64_t>(ScalarType::Long, {5}, {7, -7, 7, -7, INT64_MIN});
  auto ib = make_typed<int64_t>(ScalarType::Long, {5}, {2, 2, -2, -2, -1});
  auto iout = make(ScalarType::Long, {5});
  ASSERT_EQ(
      run("aten::div.out_mode", {ia->ev(), ib->ev(), v.str("trunc"), iout->ev(), iout->ev()}),
      Error::Ok);
  EXPECT_EQ(iout->get<int64_t>(), (std::vector<int64_t>{3, -3, -3, 3, INT64_MIN}));
  ASSERT_EQ(
      run("aten::div.out_mode", {ia->ev(), ib->ev(), v.str("floor"), iout->ev(), iout->ev()}),
      Error::Ok);
  EXPECT_EQ(iout->get<int64_t>(), (std::vector<int64_t>{3, -4, -4, 3, INT64_MIN}));
}

TEST(Elementwise, IntegerDivisionByZeroFailsWithoutTrapping) {
  Values v;
  auto a = make_typed<int32_t>(ScalarType::Int, {2}, {1, 2});
  auto b = make_typed<int32_t>(ScalarType::Int, {2}, {1, 0});
  auto out = make(ScalarType::Int, {2});
  LogCapture log;
  EXPECT_EQ(run("aten::div.out_mode", {a->ev(), b->ev(), v.str("floor"), out->ev(), out->ev()}),
            Error::KernelFailed);
  EXPECT_TRUE(log.contains("aten::div.out_mode"));
}

TEST(Elementwise, Rejections) {
  Values v;
  auto a = make_f({2, 3}, std::vector<float>(6, 1.0f));
  auto b = make_f({4}, std::vector<float>(4, 1.0f));
  auto out = make(ScalarType::Float, {2, 3});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::add.out", {a->ev(), b->ev(), v.integer(1), out->ev(), out->ev()}),
              Error::InvalidArgument);  // shapes do not broadcast
    EXPECT_TRUE(log.contains("aten::add.out"));
  }
  auto wrong = make(ScalarType::Float, {3, 2});
  EXPECT_EQ(run("aten::add.out", {a->ev(), a->ev(), v.integer(1), wrong->ev(), wrong->ev()}),
            Error::InvalidArgument);  // static out of the wrong shape
  auto iout = make(ScalarType::Int, {2, 3});
  EXPECT_EQ(run("aten::mul.out", {a->ev(), a->ev(), iout->ev(), iout->ev()}),
            Error::NotSupported);  // wrong out dtype
  auto ia = make_typed<int32_t>(ScalarType::Int, {2, 3}, std::vector<int32_t>(6, 1));
  EXPECT_EQ(run("aten::mul.out", {a->ev(), ia->ev(), iout->ev(), iout->ev()}),
            Error::NotSupported);  // float32 with int32 promotes to float32, not int32
  auto fs = make_f({}, {2.0f});
  EXPECT_EQ(run("aten::mul.out", {ia->ev(), fs->ev(), iout->ev(), iout->ev()}),
            Error::NotSupported);  // int tensor with a float 0-d would promote
  EXPECT_EQ(run("aten::add.out", {ia->ev(), ia->ev(), v.real(0.5), iout->ev(), iout->ev()}),
            Error::InvalidArgument);  // fractional alpha on ints
  EXPECT_EQ(run("aten::add.out", {a->ev(), a->ev(), out->ev(), out->ev()}),
            Error::InvalidArgument);  // missing alpha
  EXPECT_EQ(run("aten::add.out", {a->ev(), v.integer(3), v.integer(1), out->ev(), out->ev()}),
            Error::InvalidArgument);  // other is not a tensor
  EXPECT_EQ(run("aten::div.out_mode", {a->ev(), a->ev(), v.str("round"), out->ev(), out->ev()}),
            Error::InvalidArgument);
  auto d = make(ScalarType::Double, {2, 3});
  EXPECT_EQ(run("aten::add.out", {d->ev(), d->ev(), v.integer(1), out->ev(), out->ev()}),
            Error::NotSupported);  // float64 operands write float64, not float32
}

TEST(Elementwise, InPlaceAliasingOutput) {
  Values v;
  auto a = make_f({4}, {1, 2, 3, 4});
  auto b = make_f({1}, {10});
  ASSERT_EQ(run("aten::add.out", {a->ev(), b->ev(), v.integer(1), a->ev(), a->ev()}), Error::Ok);
  EXPECT_EQ(a->get<float>(), (std::vector<float>{11, 12, 13, 14}));
}

}  // namespace
}  // namespace test
}  // namespace ember
