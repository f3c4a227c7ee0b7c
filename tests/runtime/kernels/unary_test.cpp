// Kernel-level tests of the unary math (op_unary.cpp) and the activations and
// clamps of op_activation.cpp: results against <cmath> formulas, result
// dtypes, integer wrap-around, other dim orders, and every rejection path
// (each must fail cleanly with the right Error, naming the op).
#include <cmath>
#include <cstdint>
#include <limits>

#include "runtime/core/half.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> map(const std::vector<float>& x, double (*f)(double)) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<float>(f(x[i]));
  return y;
}

/// Run a (self, out, ret) kernel.
Error run1(const char* op, TestTensor& self, TestTensor& out) {
  return run(op, {self.ev(), out.ev(), out.ev()});
}

TEST(Unary, FloatMathMatchesCmathAcrossDimOrders) {
  struct Case {
    const char* op;
    double (*f)(double);
    float lo, hi;
  };
  const Case cases[] = {
      {"aten::exp.out", [](double x) { return std::exp(x); }, -5, 5},
      {"aten::expm1.out", [](double x) { return std::expm1(x); }, -1e-3f, 1e-3f},
      {"aten::log.out", [](double x) { return std::log(x); }, 0.01f, 10},
      {"aten::log1p.out", [](double x) { return std::log1p(x); }, -0.5f, 1e-3f},
      {"aten::log2.out", [](double x) { return std::log2(x); }, 0.01f, 10},
      {"aten::sqrt.out", [](double x) { return std::sqrt(x); }, 0, 10},
      {"aten::rsqrt.out", [](double x) { return 1 / std::sqrt(x); }, 0.01f, 10},
      {"aten::reciprocal.out", [](double x) { return 1 / x; }, 0.1f, 10},
      {"aten::sin.out", [](double x) { return std::sin(x); }, -6, 6},
      {"aten::cos.out", [](double x) { return std::cos(x); }, -6, 6},
      {"aten::tan.out", [](double x) { return std::tan(x); }, -1.5f, 1.5f},
      {"aten::atan.out", [](double x) { return std::atan(x); }, -6, 6},
      {"aten::asin.out", [](double x) { return std::asin(x); }, -1, 1},
      {"aten::acos.out", [](double x) { return std::acos(x); }, -1, 1},
      {"aten::sinh.out", [](double x) { return std::sinh(x); }, -4, 4},
      {"aten::cosh.out", [](double x) { return std::cosh(x); }, -4, 4},
      {"aten::erf.out", [](double x) { return std::erf(x); }, -3, 3},
      {"aten::sigmoid.out", [](double x) { return 1 / (1 + std::exp(-x)); }, -20, 20},
      {"aten::tanh.out", [](double x) { return std::tanh(x); }, -5, 5},
  };
  const std::vector<int32_t> shape = {2, 3, 4, 5};
  for (const Case& c : cases) {
    const std::vector<float> xs = random_floats(120, 7, c.lo, c.hi);
    // Input channels-last, output contiguous; then the other way round.
    auto x = make_f(shape, xs, {0, 2, 3, 1});
    auto out = make(ScalarType::Float, shape);
    ASSERT_EQ(run1(c.op, *x, *out), Error::Ok) << c.op;
    expect_close(out->get<float>(), map(xs, c.f), 2e-6f);
    auto x2 = make_f(shape, xs);
    auto out2 = make(ScalarType::Float, shape, {0, 3, 1, 2});
    ASSERT_EQ(run1(c.op, *x2, *out2), Error::Ok) << c.op;
    expect_close(out2->get<float>(), map(xs, c.f), 2e-6f);
  }
}

TEST(Unary, IntegerAndBoolInputsGiveFloat32) {
  auto x = make_typed<int32_t>(ScalarType::Int, {2, 2}, {-2, 0, 1, 3});
  auto out = make(ScalarType::Float, {2, 2});
  ASSERT_EQ(run1("aten::exp.out", *x, *out), Error::Ok);
  expect_close(out->get<float>(), {std::exp(-2.0f), 1.0f, std::exp(1.0f), std::exp(3.0f)}, 1e-6f);

  auto big = make_typed<int64_t>(ScalarType::Long, {2}, {INT64_MAX, INT64_MIN});
  auto out_big = make(ScalarType::Float, {2});
  ASSERT_EQ(run1("aten::sqrt.out", *big, *out_big), Error::Ok);
  EXPECT_FLOAT_EQ(out_big->get<float>()[0], std::sqrt(9.223372e18f));
  EXPECT_TRUE(std::isnan(out_big->get<float>()[1]));

  // A bool byte other than 0 or 1 (another kernel's memory) reads as true.
  auto b = make(ScalarType::Bool, {3});
  uint8_t* bytes = b->t().data_as<uint8_t>();
  bytes[0] = 0;
  bytes[1] = 1;
  bytes[2] = 2;
  auto out_b = make(ScalarType::Float, {3});
  ASSERT_EQ(run1("aten::sigmoid.out", *b, *out_b), Error::Ok);
  expect_close(out_b->get<float>(), {0.5f, 1 / (1 + std::exp(-1.0f)), 1 / (1 + std::exp(-1.0f))});

  // The out dtype must be float32.
  LogCapture log;
  auto out_int = make(ScalarType::Int, {2, 2});
  EXPECT_EQ(run1("aten::exp.out", *x, *out_int), Error::NotSupported);
  EXPECT_TRUE(log.contains("aten::exp.out"));
  auto out_double = make(ScalarType::Double, {2, 2});
  EXPECT_EQ(run1("aten::log.out", *x, *out_double), Error::NotSupported);
}

TEST(Unary, HalfBFloat16AndDoubleComputeInTheirOpMath) {
  const std::vector<float> xs = {-3.5f, -0.75f, 0.0f, 0.3f, 1.25f, 7.0f};
  auto h = make(ScalarType::Half, {6});
  auto bf = make(ScalarType::BFloat16, {6});
  auto d = make(ScalarType::Double, {6});
  std::vector<Half> hv;
  std::vector<BFloat16> bv;
  std::vector<double> dv;
  for (float v : xs) {
    hv.emplace_back(v);
    bv.emplace_back(v);
    dv.push_back(v);
  }
  h->set(hv);
  bf->set(bv);
  d->set(dv);
  auto oh = make(ScalarType::Half, {6});
  auto ob = make(ScalarType::BFloat16, {6});
  auto od = make(ScalarType::Double, {6});
  ASSERT_EQ(run1("aten::exp.out", *h, *oh), Error::Ok);
  ASSERT_EQ(run1("aten::exp.out", *bf, *ob), Error::Ok);
  ASSERT_EQ(run1("aten::exp.out", *d, *od), Error::Ok);
  for (size_t i = 0; i < xs.size(); ++i) {
    // float of the rounded input, then rounded once.
    EXPECT_EQ(oh->get<Half>()[i].bits, Half(std::exp(static_cast<float>(hv[i]))).bits) << i;
    EXPECT_EQ(ob->get<BFloat16>()[i].bits, BFloat16(std::exp(static_cast<float>(bv[i]))).bits)
        << i;
    EXPECT_EQ(od->get<double>()[i], std::exp(dv[i])) << i;
  }
  // Half out for a bfloat16 input is a dtype mismatch.
  EXPECT_EQ(run1("aten::exp.out", *bf, *oh), Error::NotSupported);
}

TEST(Unary, IntegerNegAbsSignWrapAndRoundingIsIdentity) {
  auto l = make_typed<int64_t>(ScalarType::Long, {4}, {INT64_MIN, -7, 0, INT64_MAX});
  auto ol = make(ScalarType::Long, {4});
  ASSERT_EQ(run1("aten::neg.out", *l, *ol), Error::Ok);
  EXPECT_EQ(ol->get<int64_t>(), (std::vector<int64_t>{INT64_MIN, 7, 0, -INT64_MAX}));
  ASSERT_EQ(run1("aten::abs.out", *l, *ol), Error::Ok);
  EXPECT_EQ(ol->get<int64_t>(), (std::vector<int64_t>{INT64_MIN, 7, 0, INT64_MAX}));
  ASSERT_EQ(run1("aten::sign.out", *l, *ol), Error::Ok);
  EXPECT_EQ(ol->get<int64_t>(), (std::vector<int64_t>{-1, -1, 0, 1}));

  auto c = make_typed<int8_t>(ScalarType::Char, {3}, {-128, -1, 127});
  auto oc = make(ScalarType::Char, {3});
  ASSERT_EQ(run1("aten::neg.out", *c, *oc), Error::Ok);
  EXPECT_EQ(oc->get<int8_t>(), (std::vector<int8_t>{-128, 1, -127}));
  ASSERT_EQ(run1("aten::abs.out", *c, *oc), Error::Ok);
  EXPECT_EQ(oc->get<int8_t>(), (std::vector<int8_t>{-128, 1, 127}));

  auto u = make_typed<uint8_t>(ScalarType::Byte, {3}, {0, 5, 255});
  auto ou = make(ScalarType::Byte, {3});
  ASSERT_EQ(run1("aten::neg.out", *u, *ou), Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{0, 251, 1}));
  ASSERT_EQ(run1("aten::sign.out", *u, *ou), Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{0, 1, 1}));
  ASSERT_EQ(run1("aten::relu.out", *u, *ou), Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{0, 5, 255}));

  auto s = make_typed<int16_t>(ScalarType::Short, {3}, {-300, 0, 301});
  auto os = make(ScalarType::Short, {3});
  for (const char* op :
       {"aten::floor.out", "aten::ceil.out", "aten::trunc.out", "aten::round.out"}) {
    ASSERT_EQ(run1(op, *s, *os), Error::Ok) << op;
    EXPECT_EQ(os->get<int16_t>(), (std::vector<int16_t>{-300, 0, 301})) << op;
  }
  ASSERT_EQ(run1("aten::relu.out", *s, *os), Error::Ok);
  EXPECT_EQ(os->get<int16_t>(), (std::vector<int16_t>{0, 0, 301}));

  auto b = make_typed<bool>(ScalarType::Bool, {2}, {true, false});
  auto ob = make(ScalarType::Bool, {2});
  ASSERT_EQ(run1("aten::sign.out", *b, *ob), Error::Ok);
  EXPECT_EQ(ob->get<bool>(), (std::vector<bool>{true, false}));
}

TEST(Unary, FloatSignRoundingAndRoundDecimals) {
  auto x = make_f({8}, {kNan, -0.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, kInf});
  auto out = make(ScalarType::Float, {8});
  ASSERT_EQ(run1("aten::sign.out", *x, *out), Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{0, 0, 1, 1, 1, -1, -1, 1}));
  ASSERT_EQ(run1("aten::round.out", *x, *out), Error::Ok);  // half to even
  std::vector<float> r = out->get<float>();
  EXPECT_TRUE(std::isnan(r[0]));
  EXPECT_EQ(std::vector<float>(r.begin() + 1, r.end()),
            (std::vector<float>{0, 0, 2, 2, -0.0f, -2, kInf}));
  EXPECT_TRUE(std::signbit(r[5]));
  ASSERT_EQ(run1("aten::floor.out", *x, *out), Error::Ok);
  EXPECT_EQ(out->get<float>()[6], -3.0f);
  ASSERT_EQ(run1("aten::ceil.out", *x, *out), Error::Ok);
  EXPECT_EQ(out->get<float>()[6], -2.0f);
  ASSERT_EQ(run1("aten::trunc.out", *x, *out), Error::Ok);
  EXPECT_EQ(out->get<float>()[4], 2.0f);

  Values v;
  auto y = make_f({3}, {1.2345f, 1250.0f, -15.0f});
  auto oy = make(ScalarType::Float, {3});
  ASSERT_EQ(run("aten::round.decimals_out", {y->ev(), v.integer(2), oy->ev(), oy->ev()}),
            Error::Ok);
  expect_close(oy->get<float>(), {1.23f, 1250.0f, -15.0f}, 1e-6f);
  ASSERT_EQ(run("aten::round.decimals_out", {y->ev(), v.integer(-2), oy->ev(), oy->ev()}),
            Error::Ok);
  EXPECT_EQ(oy->get<float>(), (std::vector<float>{0.0f, 1200.0f, -0.0f}));
  // 10^|decimals| overflows float: NaN as torch, and no undefined behaviour
  // for the most negative decimals.
  for (int64_t d : {int64_t{40}, INT64_MAX, INT64_MIN}) {
    ASSERT_EQ(run("aten::round.decimals_out", {y->ev(), v.integer(d), oy->ev(), oy->ev()}),
              Error::Ok);
    for (float got : oy->get<float>()) EXPECT_TRUE(std::isnan(got)) << d;
  }
  // float64 holds 10^40.
  auto yd = make_typed<double>(ScalarType::Double, {1}, {1.25});
  auto od = make(ScalarType::Double, {1});
  ASSERT_EQ(run("aten::round.decimals_out", {yd->ev(), v.integer(40), od->ev(), od->ev()}),
            Error::Ok);
  EXPECT_EQ(od->get<double>()[0], 1.25);
}

TEST(Unary, PredicatesAndBitwiseNot) {
  auto x = make_f({5}, {kNan, kInf, -kInf, 0.0f, -0.0f});
  auto out = make(ScalarType::Bool, {5});
  ASSERT_EQ(run1("aten::isnan.out", *x, *out), Error::Ok);
  EXPECT_EQ(out->get<bool>(), (std::vector<bool>{true, false, false, false, false}));
  ASSERT_EQ(run1("aten::isinf.out", *x, *out), Error::Ok);
  EXPECT_EQ(out->get<bool>(), (std::vector<bool>{false, true, true, false, false}));
  ASSERT_EQ(run1("aten::logical_not.out", *x, *out), Error::Ok);
  EXPECT_EQ(out->get<bool>(), (std::vector<bool>{false, false, false, true, true}));

  auto h = make(ScalarType::Half, {2});
  h->set(std::vector<Half>{Half(kNan), Half(1.0f)});
  auto oh = make(ScalarType::Bool, {2});
  ASSERT_EQ(run1("aten::isnan.out", *h, *oh), Error::Ok);
  EXPECT_EQ(oh->get<bool>(), (std::vector<bool>{true, false}));

  auto i = make_typed<int32_t>(ScalarType::Int, {3}, {0, -1, INT32_MIN});
  auto oi = make(ScalarType::Bool, {3});
  ASSERT_EQ(run1("aten::isinf.out", *i, *oi), Error::Ok);
  EXPECT_EQ(oi->get<bool>(), (std::vector<bool>{false, false, false}));
  ASSERT_EQ(run1("aten::logical_not.out", *i, *oi), Error::Ok);
  EXPECT_EQ(oi->get<bool>(), (std::vector<bool>{true, false, false}));
  auto bits = make(ScalarType::Int, {3});
  ASSERT_EQ(run1("aten::bitwise_not.out", *i, *bits), Error::Ok);
  EXPECT_EQ(bits->get<int32_t>(), (std::vector<int32_t>{-1, 0, INT32_MAX}));

  auto u = make_typed<uint8_t>(ScalarType::Byte, {2}, {0, 0x0f});
  auto ou = make(ScalarType::Byte, {2});
  ASSERT_EQ(run1("aten::bitwise_not.out", *u, *ou), Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{0xff, 0xf0}));

  auto b = make(ScalarType::Bool, {3});
  b->t().data_as<uint8_t>()[1] = 1;
  b->t().data_as<uint8_t>()[2] = 7;  // non-canonical true
  auto ob = make(ScalarType::Bool, {3});
  ASSERT_EQ(run1("aten::bitwise_not.out", *b, *ob), Error::Ok);
  EXPECT_EQ(ob->get<bool>(), (std::vector<bool>{true, false, false}));
  ASSERT_EQ(run1("aten::logical_not.out", *b, *ob), Error::Ok);
  EXPECT_EQ(ob->get<bool>(), (std::vector<bool>{true, false, false}));

  // Predicates write bool; bitwise_not has no float kernel.
  LogCapture log;
  auto of = make(ScalarType::Float, {5});
  EXPECT_EQ(run1("aten::isnan.out", *x, *of), Error::NotSupported);
  EXPECT_EQ(run1("aten::bitwise_not.out", *x, *of), Error::NotSupported);
  EXPECT_TRUE(log.contains("aten::bitwise_not.out"));
}

TEST(Clamp, ScalarBoundsPromotionAndNan) {
  Values v;
  auto x = make_f({5}, {kNan, -3.0f, 0.25f, 5.0f, -kInf});
  auto out = make(ScalarType::Float, {5});
  ASSERT_EQ(run("aten::clamp.out", {x->ev(), v.real(-1), v.none(), out->ev(), out->ev()}),
            Error::Ok);
  std::vector<float> got = out->get<float>();
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(std::vector<float>(got.begin() + 1, got.end()),
            (std::vector<float>{-1.0f, 0.25f, 5.0f, -1.0f}));
  ASSERT_EQ(run("aten::clamp.out", {x->ev(), v.none(), v.integer(1), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>()[3], 1.0f);
  // min > max gives max; a NaN bound gives NaN everywhere; inf bounds are fine.
  ASSERT_EQ(run("aten::clamp.out", {x->ev(), v.real(2), v.real(-2), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>()[2], -2.0f);
  ASSERT_EQ(run("aten::clamp.out", {x->ev(), v.real(NAN), v.none(), out->ev(), out->ev()}),
            Error::Ok);
  for (float g : out->get<float>()) EXPECT_TRUE(std::isnan(g));
  ASSERT_EQ(run("aten::clamp.out", {x->ev(), v.real(-INFINITY), v.real(INFINITY), out->ev(),
                                    out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>()[4], -kInf);

  // An integer tensor with a float bound gives float32; a bool tensor with
  // int bounds int64.
  auto i = make_typed<int32_t>(ScalarType::Int, {3}, {-5, 1, 9});
  auto fo = make(ScalarType::Float, {3});
  ASSERT_EQ(run("aten::clamp.out", {i->ev(), v.real(-2.5), v.integer(4), fo->ev(), fo->ev()}),
            Error::Ok);
  EXPECT_EQ(fo->get<float>(), (std::vector<float>{-2.5f, 1.0f, 4.0f}));
  auto io = make(ScalarType::Int, {3});
  EXPECT_EQ(run("aten::clamp.out", {i->ev(), v.real(-2.5), v.none(), io->ev(), io->ev()}),
            Error::NotSupported);
  auto b = make_typed<bool>(ScalarType::Bool, {2}, {true, false});
  auto lo = make(ScalarType::Long, {2});
  ASSERT_EQ(run("aten::clamp.out", {b->ev(), v.integer(0), v.integer(0), lo->ev(), lo->ev()}),
            Error::Ok);
  EXPECT_EQ(lo->get<int64_t>(), (std::vector<int64_t>{0, 0}));
  auto bo = make(ScalarType::Bool, {2});
  EXPECT_EQ(run("aten::clamp.out", {b->ev(), v.boolean(true), v.none(), bo->ev(), bo->ev()}),
            Error::NotSupported);
}

TEST(Clamp, BoundsThatDoNotFitAreRejected) {
  Values v;
  auto c = make_typed<int8_t>(ScalarType::Char, {2}, {1, 2});
  auto oc = make(ScalarType::Char, {2});
  auto f = make_f({2}, {1, 2});
  auto of = make(ScalarType::Float, {2});
  auto h = make(ScalarType::Half, {2});
  auto oh = make(ScalarType::Half, {2});
  auto l = make_typed<int64_t>(ScalarType::Long, {2}, {1, 2});
  auto ol = make(ScalarType::Long, {2});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::clamp.out", {c->ev(), v.integer(300), v.none(), oc->ev(), oc->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("without overflow"));
  }
  EXPECT_EQ(run("aten::clamp.out", {f->ev(), v.real(1e300), v.none(), of->ev(), of->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::clamp.out", {h->ev(), v.none(), v.integer(70000), oh->ev(), oh->ev()}),
            Error::InvalidArgument);
  // Doubles beyond int64 (or NaN) must not reach a float-to-int conversion.
  EXPECT_EQ(run("aten::hardtanh.out", {l->ev(), v.integer(-1), v.real(9.3e18), ol->ev(),
                                       ol->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::hardtanh.out", {l->ev(), v.real(-9.2233720368547758e18), v.integer(1),
                                       ol->ev(), ol->ev()}),
            Error::Ok);  // -2^63 itself fits
  EXPECT_EQ(run("aten::hardtanh.out", {l->ev(), v.real(NAN), v.integer(1), ol->ev(), ol->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::hardtanh.out", {c->ev(), v.real(-1), v.real(1e20), oc->ev(), oc->ev()}),
            Error::InvalidArgument);
  // Both bounds None; a bound of the wrong tag.
  EXPECT_EQ(run("aten::clamp.out", {f->ev(), v.none(), v.none(), of->ev(), of->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::clamp.out", {f->ev(), v.str("1"), v.none(), of->ev(), of->ev()}),
            Error::InvalidArgument);
}

TEST(Clamp, HardtanhOnIntegersTruncatesFloatBounds) {
  Values v;
  auto c = make_typed<int8_t>(ScalarType::Char, {5}, {-128, -3, 0, 2, 127});
  auto oc = make(ScalarType::Char, {5});
  ASSERT_EQ(run("aten::hardtanh.out", {c->ev(), v.real(-2.5), v.real(1.5), oc->ev(), oc->ev()}),
            Error::Ok);
  EXPECT_EQ(oc->get<int8_t>(), (std::vector<int8_t>{-2, -2, 0, 1, 1}));
  auto u = make_typed<uint8_t>(ScalarType::Byte, {2}, {0, 200});
  auto ou = make(ScalarType::Byte, {2});
  ASSERT_EQ(run("aten::hardtanh.out", {u->ev(), v.integer(1), v.integer(100), ou->ev(), ou->ev()}),
            Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{1, 100}));
  // As torch, a double bound truncates to int64 first: -0.5 is 0, not negative.
  ASSERT_EQ(run("aten::hardtanh.out", {u->ev(), v.real(-0.5), v.real(150.9), ou->ev(), ou->ev()}),
            Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{0, 150}));
  LogCapture log;
  EXPECT_EQ(run("aten::hardtanh.out", {u->ev(), v.integer(-1), v.integer(1), ou->ev(), ou->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("unsigned type with negative limits"));
}

// clamp converts an int bound to uint8 as torch's Scalar::to: -1 wraps to
// 255 (torch.clamp(uint8, min=-1) is all 255), -256 does not fit.
TEST(Clamp, NegativeIntBoundsWrapIntoUint8AsTorch) {
  Values v;
  auto u = make_typed<uint8_t>(ScalarType::Byte, {2}, {0, 1});
  auto ou = make(ScalarType::Byte, {2});
  ASSERT_EQ(run("aten::clamp.out", {u->ev(), v.integer(-1), v.none(), ou->ev(), ou->ev()}),
            Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{255, 255}));
  ASSERT_EQ(run("aten::clamp.out", {u->ev(), v.none(), v.integer(-255), ou->ev(), ou->ev()}),
            Error::Ok);
  EXPECT_EQ(ou->get<uint8_t>(), (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(run("aten::clamp.out", {u->ev(), v.integer(-256), v.none(), ou->ev(), ou->ev()}),
            Error::InvalidArgument);
}

TEST(Clamp, TensorBoundsBroadcastPromoteAndWalkDimOrders) {
  Values v;
  // self [2, 3, 4] stored channels-last, min [4], max 0-d float64: float32.
  const std::vector<float> xs = random_floats(24, 5, -3.0f, 3.0f);
  auto x = make_f({2, 3, 4}, xs, {0, 2, 1});
  auto lo = make_f({4}, {-1.0f, -0.5f, 0.0f, 5.0f});
  auto hi = make_typed<double>(ScalarType::Double, {}, {1.0});
  auto out = make(ScalarType::Float, {2, 3, 4}, {2, 0, 1});
  ASSERT_EQ(run("aten::clamp.Tensor_out", {x->ev(), lo->ev(), hi->ev(), out->ev(), out->ev()}),
            Error::Ok);
  std::vector<float> want(24);
  const float lows[4] = {-1.0f, -0.5f, 0.0f, 5.0f};
  for (int k = 0; k < 24; ++k) {
    float y = xs[k] < lows[k % 4] ? lows[k % 4] : xs[k];
    want[k] = y > 1.0f ? 1.0f : y;
  }
  EXPECT_EQ(out->get<float>(), want);

  // int32 self with a 0-d float32 min: float32 (the 0-d tensor is of a higher category).
  auto i = make_typed<int32_t>(ScalarType::Int, {3}, {-4, 0, 4});
  auto z = make_typed<float>(ScalarType::Float, {}, {0.5f});
  auto fo = make_dynamic(ScalarType::Float, 1, 8);
  ASSERT_EQ(run("aten::clamp.Tensor_out", {i->ev(), z->ev(), v.none(), fo->ev(), fo->ev()}),
            Error::Ok);
  EXPECT_EQ(fo->get<float>(), (std::vector<float>{0.5f, 0.5f, 4.0f}));

  // bool [2, 1] self with int8 [3] max: int8 [2, 3]; uint8 with int8 gives int16.
  auto b = make_typed<bool>(ScalarType::Bool, {2, 1}, {true, false});
  auto c = make_typed<int8_t>(ScalarType::Char, {3}, {-1, 0, 2});
  auto oc = make(ScalarType::Char, {2, 3});
  ASSERT_EQ(run("aten::clamp.Tensor_out", {b->ev(), v.none(), c->ev(), oc->ev(), oc->ev()}),
            Error::Ok);
  EXPECT_EQ(oc->get<int8_t>(), (std::vector<int8_t>{-1, 0, 1, -1, 0, 0}));
  auto u = make_typed<uint8_t>(ScalarType::Byte, {3}, {0, 100, 250});
  auto os = make(ScalarType::Short, {3});
  ASSERT_EQ(run("aten::clamp.Tensor_out", {u->ev(), c->ev(), v.none(), os->ev(), os->ev()}),
            Error::Ok);
  EXPECT_EQ(os->get<int16_t>(), (std::vector<int16_t>{0, 100, 250}));
}

TEST(Clamp, TensorBoundsRejections) {
  Values v;
  auto x = make_f({2, 3}, {1, 2, 3, 4, 5, 6});
  auto bad = make_f({4}, {0, 0, 0, 0});
  auto out = make(ScalarType::Float, {2, 3});
  LogCapture log;
  EXPECT_EQ(run("aten::clamp.Tensor_out", {x->ev(), v.none(), v.none(), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::clamp.Tensor_out", {x->ev(), bad->ev(), v.none(), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("do not broadcast"));
  auto d = make_typed<double>(ScalarType::Double, {3}, {0, 0, 0});
  EXPECT_EQ(run("aten::clamp.Tensor_out", {x->ev(), d->ev(), v.none(), out->ev(), out->ev()}),
            Error::NotSupported);  // float64 result, float32 out
  auto b = make_typed<bool>(ScalarType::Bool, {3}, {true, false, true});
  auto ob = make(ScalarType::Bool, {3});
  EXPECT_EQ(run("aten::clamp.Tensor_out", {b->ev(), b->ev(), v.none(), ob->ev(), ob->ev()}),
            Error::NotSupported);
  auto q = make(ScalarType::QInt8, {3});
  EXPECT_EQ(run("aten::clamp.Tensor_out", {x->ev(), q->ev(), v.none(), out->ev(), out->ev()}),
            Error::NotSupported);
  auto small = make(ScalarType::Float, {2, 2});
  EXPECT_EQ(run("aten::clamp.Tensor_out", {x->ev(), x->ev(), v.none(), small->ev(), small->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("aten::clamp.Tensor_out"));
}

TEST(Activation, LeakyReluEluGeluOnEveryFloatType) {
  Values v;
  const std::vector<float> xs = {-4.0f, -1.0f, -0.25f, 0.0f, 0.5f, 3.0f};
  auto gelu_erf = [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); };
  for (ScalarType dt : {ScalarType::Double, ScalarType::Half, ScalarType::BFloat16}) {
    auto x = make(dt, {6});
    auto out = make(dt, {6});
    std::vector<double> in(xs.begin(), xs.end());
    if (dt == ScalarType::Double) x->set(in);
    if (dt == ScalarType::Half) x->set(std::vector<Half>(xs.begin(), xs.end()));
    if (dt == ScalarType::BFloat16) x->set(std::vector<BFloat16>(xs.begin(), xs.end()));
    auto read = [&]() {
      std::vector<float> r;
      if (dt == ScalarType::Double) {
        for (double d : out->get<double>()) r.push_back(static_cast<float>(d));
      } else if (dt == ScalarType::Half) {
        for (Half h : out->get<Half>()) r.push_back(h);
      } else {
        for (BFloat16 b : out->get<BFloat16>()) r.push_back(b);
      }
      return r;
    };
    const float tol = dt == ScalarType::Double ? 1e-6f : 1e-2f;
    ASSERT_EQ(run("aten::leaky_relu.out", {x->ev(), v.real(0.1), out->ev(), out->ev()}),
              Error::Ok);
    expect_close(read(), {-0.4f, -0.1f, -0.025f, 0.0f, 0.5f, 3.0f}, tol);
    ASSERT_EQ(run("aten::elu.out",
                  {x->ev(), v.real(1.5), v.integer(2), v.real(0.5), out->ev(), out->ev()}),
              Error::Ok);
    std::vector<float> want;
    for (float f : xs) {
      want.push_back(f <= 0 ? static_cast<float>(std::expm1(0.5 * f) * 3.0) : 2 * f);
    }
    expect_close(read(), want, tol);
    ASSERT_EQ(run("aten::gelu.out", {x->ev(), v.str("none"), out->ev(), out->ev()}), Error::Ok);
    expect_close(read(), map(xs, +gelu_erf), tol);
  }
  // A slope that overflows float32 is rejected for float32, kept for float64.
  auto f = make_f({1}, {-1.0f});
  auto of = make(ScalarType::Float, {1});
  EXPECT_EQ(run("aten::leaky_relu.out", {f->ev(), v.real(1e39), of->ev(), of->ev()}),
            Error::InvalidArgument);
  auto d = make_typed<double>(ScalarType::Double, {1}, {-1.0});
  auto od = make(ScalarType::Double, {1});
  ASSERT_EQ(run("aten::leaky_relu.out", {d->ev(), v.real(1e39), od->ev(), od->ev()}), Error::Ok);
  EXPECT_EQ(od->get<double>()[0], -1e39);
}

TEST(Unary, EmptyAndZeroDimTensors) {
  Values v;
  auto e = make(ScalarType::Float, {0, 3});
  auto oe = make_dynamic(ScalarType::Float, 2, 4);
  ASSERT_EQ(run1("aten::exp.out", *e, *oe), Error::Ok);
  EXPECT_EQ(oe->shape(), (std::vector<int32_t>{0, 3}));
  auto ei = make(ScalarType::Int, {0});
  auto oei = make_dynamic(ScalarType::Float, 1, 4);
  ASSERT_EQ(run1("aten::sqrt.out", *ei, *oei), Error::Ok);
  auto oc = make_dynamic(ScalarType::Float, 2, 4);
  ASSERT_EQ(run("aten::clamp.Tensor_out", {e->ev(), e->ev(), v.none(), oc->ev(), oc->ev()}),
            Error::Ok);
  EXPECT_EQ(oc->shape(), (std::vector<int32_t>{0, 3}));

  auto s = make_f({}, {-2.0f});
  auto os = make(ScalarType::Float, {});
  ASSERT_EQ(run1("aten::abs.out", *s, *os), Error::Ok);
  EXPECT_EQ(os->get<float>(), std::vector<float>{2.0f});
  ASSERT_EQ(run("aten::clamp.out", {s->ev(), v.integer(0), v.none(), os->ev(), os->ev()}),
            Error::Ok);
  EXPECT_EQ(os->get<float>(), std::vector<float>{0.0f});
}

TEST(Unary, Rejections) {
  Values v;
  auto x = make_f({2, 2}, {1, 2, 3, 4});
  auto out = make(ScalarType::Float, {2, 2});
  auto wrong = make(ScalarType::Float, {3});
  auto i = make_typed<int64_t>(ScalarType::Long, {2, 2}, {1, 2, 3, 4});
  auto oi = make(ScalarType::Long, {2, 2});
  auto b = make_typed<bool>(ScalarType::Bool, {2, 2}, {true, false, true, false});
  auto ob = make(ScalarType::Bool, {2, 2});
  LogCapture log;
  EXPECT_EQ(run1("aten::sin.out", *x, *wrong), Error::InvalidArgument);  // static out, wrong size
  EXPECT_TRUE(log.contains("aten::sin.out"));
  EXPECT_EQ(run("aten::cos.out", {x->ev(), out->ev()}), Error::InvalidArgument);  // arg count
  EXPECT_EQ(run("aten::neg.out", {x->ev(), v.integer(1), out->ev()}), Error::InvalidArgument);
  EXPECT_EQ(run1("aten::neg.out", *b, *ob), Error::NotSupported);
  EXPECT_EQ(run1("aten::abs.out", *b, *ob), Error::NotSupported);
  EXPECT_EQ(run1("aten::floor.out", *b, *ob), Error::NotSupported);
  EXPECT_EQ(run1("aten::relu.out", *b, *ob), Error::NotSupported);
  EXPECT_EQ(run1("aten::neg.out", *x, *oi), Error::NotSupported);  // out dtype
  EXPECT_EQ(run("aten::round.decimals_out", {i->ev(), v.integer(1), oi->ev(), oi->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::gelu.out", {i->ev(), v.str("none"), oi->ev(), oi->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::leaky_relu.out", {i->ev(), v.real(0.1), oi->ev(), oi->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::elu.out", {i->ev(), v.real(1), v.real(1), v.real(1), oi->ev(), oi->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::elu.out", {x->ev(), v.str("a"), v.real(1), v.real(1), out->ev(),
                                  out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::hardtanh.out", {b->ev(), v.integer(0), v.integer(1), ob->ev(), ob->ev()}),
            Error::NotSupported);
  auto q = make(ScalarType::QInt8, {2, 2});
  auto oq = make(ScalarType::QInt8, {2, 2});
  EXPECT_EQ(run1("aten::sign.out", *q, *oq), Error::NotSupported);
  EXPECT_EQ(run1("aten::isnan.out", *q, *ob), Error::NotSupported);
  EXPECT_EQ(run("aten::clamp.out", {q->ev(), v.integer(0), v.none(), oq->ev(), oq->ev()}),
            Error::NotSupported);
}

}  // namespace
}  // namespace test
}  // namespace ember
