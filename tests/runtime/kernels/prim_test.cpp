// Tests for the prim ops of dynamic shapes: sym_size/sym_numel, SymInt
// arithmetic with Python's semantics (floor division and modulo follow the
// divisor's sign, ints stay ints, any float makes a float), comparisons, and
// et_view sharing memory at computed sizes.
#include <cmath>
#include <cstdint>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

int64_t int_result(const char* op, EValue* a, EValue* b) {
  Values v;
  EValue* out = v.integer(0);
  EXPECT_EQ(run(op, {a, b, out}), Error::Ok) << op;
  EXPECT_TRUE(out->is_int()) << op;
  return out->to_int();
}

TEST(Prim, SymSizeAndNumel) {
  Values v;
  auto x = make(ScalarType::Float, {2, 5, 3});
  EValue* out = v.integer(0);
  ASSERT_EQ(run("aten::sym_size.int", {x->ev(), v.integer(1), out}), Error::Ok);
  EXPECT_EQ(out->to_int(), 5);
  ASSERT_EQ(run("aten::sym_size.int", {x->ev(), v.integer(-1), out}), Error::Ok);
  EXPECT_EQ(out->to_int(), 3);
  ASSERT_EQ(run("aten::sym_numel", {x->ev(), out}), Error::Ok);
  EXPECT_EQ(out->to_int(), 30);
  LogCapture log;
  EXPECT_EQ(run("aten::sym_size.int", {x->ev(), v.integer(3), out}), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("aten::sym_size.int: dim 3 out of range"));
}

TEST(Prim, IntegerArithmeticFollowsPython) {
  Values v;
  EXPECT_EQ(int_result("executorch_prim::add.Scalar", v.integer(7), v.integer(-3)), 4);
  EXPECT_EQ(int_result("executorch_prim::sub.Scalar", v.integer(7), v.integer(-3)), 10);
  EXPECT_EQ(int_result("executorch_prim::mul.Scalar", v.integer(7), v.integer(-3)), -21);
  // Python: 7 // -3 == -3, -7 // 3 == -3, 7 % -3 == -2, -7 % 3 == 2.
  EXPECT_EQ(int_result("executorch_prim::floordiv.Scalar", v.integer(7), v.integer(-3)), -3);
  EXPECT_EQ(int_result("executorch_prim::floordiv.int", v.integer(-7), v.integer(3)), -3);
  EXPECT_EQ(int_result("executorch_prim::floordiv.int", v.integer(6), v.integer(3)), 2);
  EXPECT_EQ(int_result("executorch_prim::mod.Scalar", v.integer(7), v.integer(-3)), -2);
  EXPECT_EQ(int_result("executorch_prim::mod.int", v.integer(-7), v.integer(3)), 2);
  // Overflow wraps instead of being undefined.
  EXPECT_EQ(int_result("executorch_prim::add.Scalar", v.integer(INT64_MAX), v.integer(1)),
            INT64_MIN);
  EXPECT_EQ(int_result("executorch_prim::floordiv.int", v.integer(INT64_MIN), v.integer(-1)),
            INT64_MIN);
  LogCapture log;
  EValue* out = v.integer(0);
  EXPECT_EQ(run("executorch_prim::floordiv.int", {v.integer(1), v.integer(0), out}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("integer division by zero"));
  EXPECT_EQ(run("executorch_prim::add.Scalar", {v.integer(1), v.none(), out}),
            Error::InvalidArgument);
}

TEST(Prim, FloatsPromoteAndRound) {
  Values v;
  EValue* out = v.integer(0);
  ASSERT_EQ(run("executorch_prim::mul.Scalar", {v.integer(3), v.real(0.5), out}), Error::Ok);
  ASSERT_TRUE(out->is_double());
  EXPECT_EQ(out->to_double(), 1.5);
  ASSERT_EQ(run("executorch_prim::truediv.Scalar", {v.integer(7), v.integer(2), out}), Error::Ok);
  EXPECT_EQ(out->to_double(), 3.5);
  ASSERT_EQ(run("executorch_prim::floordiv.Scalar", {v.real(-7.5), v.integer(2), out}), Error::Ok);
  EXPECT_EQ(out->to_double(), -4.0);
  ASSERT_EQ(run("executorch_prim::mod.Scalar", {v.real(-7.5), v.integer(2), out}), Error::Ok);
  EXPECT_EQ(out->to_double(), 0.5);
  ASSERT_EQ(run("executorch_prim::sym_float.Scalar", {v.integer(4), out}), Error::Ok);
  EXPECT_TRUE(out->is_double());
  ASSERT_EQ(run("executorch_prim::ceil.Scalar", {v.real(2.1), out}), Error::Ok);
  EXPECT_EQ(out->to_int(), 3);
  ASSERT_EQ(run("executorch_prim::round.Scalar", {v.real(2.5), out}), Error::Ok);
  EXPECT_EQ(out->to_int(), 2);  // half to even, as Python
  ASSERT_EQ(run("executorch_prim::trunc.Scalar", {v.real(-2.7), out}), Error::Ok);
  EXPECT_EQ(out->to_int(), -2);
  ASSERT_EQ(run("executorch_prim::neg.Scalar", {v.integer(5), out}), Error::Ok);
  EXPECT_EQ(out->to_int(), -5);
  EXPECT_EQ(run("executorch_prim::ceil.Scalar", {v.real(1e300), out}), Error::InvalidArgument);
}

TEST(Prim, Comparisons) {
  Values v;
  EValue* out = v.boolean(false);
  const struct {
    const char* op;
    bool lt, eq, gt;
  } cases[] = {{"executorch_prim::eq.Scalar", false, true, false},
               {"executorch_prim::gt.Scalar", false, false, true},
               {"executorch_prim::lt.Scalar", true, false, false},
               {"executorch_prim::ge.Scalar", false, true, true},
               {"executorch_prim::le.Scalar", true, true, false}};
  for (const auto& c : cases) {
    ASSERT_EQ(run(c.op, {v.integer(1), v.integer(2), out}), Error::Ok);
    EXPECT_EQ(out->to_bool(), c.lt) << c.op;
    ASSERT_EQ(run(c.op, {v.integer(2), v.real(2.0), out}), Error::Ok);
    EXPECT_EQ(out->to_bool(), c.eq) << c.op;
    ASSERT_EQ(run(c.op, {v.real(2.5), v.integer(2), out}), Error::Ok);
    EXPECT_EQ(out->to_bool(), c.gt) << c.op;
    ASSERT_EQ(run(c.op, {v.real(NAN), v.integer(2), out}), Error::Ok);
    EXPECT_FALSE(out->to_bool()) << c.op;
  }
}

TEST(Prim, EtViewSharesMemoryAtComputedSizes) {
  Values v;
  auto x = make_f({2, 6}, random_floats(12, 3));
  auto out = make_dynamic(ScalarType::Float, 3, 12);
  ASSERT_EQ(run("executorch_prim::et_view.default", {x->ev(), v.ints({3, -1, 2}), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->t().data(), x->t().data());
  EXPECT_EQ(out->t().sizes()[1], 2);
  LogCapture log;
  EXPECT_EQ(run("executorch_prim::et_view.default", {x->ev(), v.ints({5, 1, 2}), out->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("12 elements viewed as 10"));
  EXPECT_EQ(run("executorch_prim::et_view.default", {x->ev(), v.ints({-1, -1, 2}), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("executorch_prim::et_view.default", {x->ev(), v.ints({3, 4}), out->ev()}),
            Error::InvalidArgument);
}

}  // namespace
}  // namespace test
}  // namespace ember
