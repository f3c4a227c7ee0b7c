// Tests for clone, _to_copy and _to_dim_order_copy: casts between dtypes
// (truncation, bool, out-of-range floats), dim-order changes, rejections.
#include <cmath>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

TEST(Copy, CloneKeepsValuesAcrossDimOrders) {
  Values v;
  const std::vector<float> xs = random_floats(2 * 3 * 4 * 5, 1);
  auto x = make_f({2, 3, 4, 5}, xs);
  auto out = make(ScalarType::Float, {2, 3, 4, 5}, {0, 2, 3, 1});
  ASSERT_EQ(run("aten::clone.out", {x->ev(), v.none(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->get<float>(), xs);
  // The physical layout really is channels-last: element (0, 1, 0, 0) is at offset 1.
  EXPECT_EQ(out->t().data_as<float>()[1], xs[20]);
  auto b = make_typed<bool>(ScalarType::Bool, {3}, {true, false, true});
  auto bo = make(ScalarType::Bool, {3});
  ASSERT_EQ(run("aten::clone.out", {b->ev(), v.integer(0), bo->ev(), bo->ev()}), Error::Ok);
  EXPECT_EQ(bo->get<bool>(), (std::vector<bool>{true, false, true}));
  auto io = make(ScalarType::Int, {2, 3, 4, 5});
  EXPECT_EQ(run("aten::clone.out", {x->ev(), v.none(), io->ev(), io->ev()}), Error::NotSupported);
}

TEST(Copy, ToCopyCasts) {
  Values v;
  auto f = make_f({6}, {1.7f, -1.7f, 0.0f, 3e9f, NAN, -0.5f});
  auto i32 = make(ScalarType::Int, {6});
  ASSERT_EQ(run("aten::_to_copy.out", {f->ev(), v.boolean(false), v.none(), i32->ev(), i32->ev()}),
            Error::Ok);
  const std::vector<int32_t> got = i32->get<int32_t>();
  EXPECT_EQ(got[0], 1);
  EXPECT_EQ(got[1], -1);
  EXPECT_EQ(got[2], 0);
  EXPECT_EQ(got[5], 0);  // out-of-range and NaN values are unspecified but must not crash
  auto i64 = make(ScalarType::Long, {6});
  ASSERT_EQ(run("aten::_to_copy.out", {f->ev(), v.boolean(false), v.none(), i64->ev(), i64->ev()}),
            Error::Ok);
  EXPECT_EQ(i64->get<int64_t>()[3], 3000000000LL);
  auto bo = make(ScalarType::Bool, {6});
  ASSERT_EQ(run("aten::_to_copy.out", {f->ev(), v.boolean(false), v.none(), bo->ev(), bo->ev()}),
            Error::Ok);
  EXPECT_EQ(bo->get<bool>(), (std::vector<bool>{true, true, false, true, true, true}));
  auto back = make(ScalarType::Float, {6});
  ASSERT_EQ(run("aten::_to_copy.out", {bo->ev(), v.boolean(false), v.none(), back->ev(),
                                       back->ev()}),
            Error::Ok);
  EXPECT_EQ(back->get<float>(), (std::vector<float>{1, 1, 0, 1, 1, 1}));
  auto l = make_typed<int64_t>(ScalarType::Long, {3}, {-5, 1LL << 40, 7});
  auto lf = make(ScalarType::Float, {3});
  auto li = make(ScalarType::Int, {3});
  ASSERT_EQ(run("aten::_to_copy.out", {l->ev(), v.boolean(false), v.none(), lf->ev(), lf->ev()}),
            Error::Ok);
  EXPECT_EQ(lf->get<float>(), (std::vector<float>{-5.0f, 1099511627776.0f, 7.0f}));
  ASSERT_EQ(run("aten::_to_copy.out", {l->ev(), v.boolean(false), v.none(), li->ev(), li->ev()}),
            Error::Ok);
  EXPECT_EQ(li->get<int32_t>(), (std::vector<int32_t>{-5, 0, 7}));  // wraps
}

TEST(Copy, ToDimOrderCopyConvertsLayoutAndDtype) {
  Values v;
  const std::vector<float> xs = random_floats(2 * 3 * 2 * 2, 3, -10.0f, 10.0f);
  auto x = make_f({2, 3, 2, 2}, xs);
  auto out = make(ScalarType::Float, {2, 3, 2, 2}, {0, 2, 3, 1});
  ASSERT_EQ(run("dim_order_ops::_to_dim_order_copy.out",
                {x->ev(), v.boolean(false), v.ints({0, 2, 3, 1}), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), xs);
  auto back = make(ScalarType::Long, {2, 3, 2, 2});
  ASSERT_EQ(run("dim_order_ops::_to_dim_order_copy.out",
                {out->ev(), v.boolean(false), v.none(), back->ev(), back->ev()}),
            Error::Ok);
  const std::vector<int64_t> got = back->get<int64_t>();
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(got[i], static_cast<int64_t>(xs[i]));
  {
    LogCapture log;
    EXPECT_EQ(run("dim_order_ops::_to_dim_order_copy.out",
                  {x->ev(), v.boolean(false), v.ints({0, 1, 2, 3}), out->ev(), out->ev()}),
              Error::InvalidArgument);  // requested order differs from out's
    EXPECT_TRUE(log.contains("_to_dim_order_copy"));
  }
}

TEST(Copy, CloneDimOrderKeepsDtypeAndConvertsLayout) {
  Values v;
  const std::vector<float> xs = random_floats(2 * 3 * 2 * 2, 4, -10.0f, 10.0f);
  auto x = make_f({2, 3, 2, 2}, xs);
  auto out = make(ScalarType::Float, {2, 3, 2, 2}, {0, 2, 3, 1});
  ASSERT_EQ(run("dim_order_ops::_clone_dim_order.out",
                {x->ev(), v.boolean(false), v.ints({0, 2, 3, 1}), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), xs);  // same values, channels-last storage
  auto as_long = make(ScalarType::Long, {2, 3, 2, 2});
  LogCapture log;
  EXPECT_EQ(run("dim_order_ops::_clone_dim_order.out",
                {x->ev(), v.boolean(false), v.none(), as_long->ev(), as_long->ev()}),
            Error::NotSupported);  // a clone never changes the dtype (check_dtype's code)
  EXPECT_TRUE(log.contains("_clone_dim_order"));
}

TEST(Copy, Rejections) {
  Values v;
  auto x = make_f({2, 3}, std::vector<float>(6, 1.0f));
  auto wrong = make(ScalarType::Float, {3, 2});
  EXPECT_EQ(run("aten::_to_copy.out", {x->ev(), v.boolean(false), v.none(), wrong->ev(),
                                       wrong->ev()}),
            Error::InvalidArgument);
  auto u16 = make(ScalarType::UInt16, {2, 3});
  EXPECT_EQ(run("aten::_to_copy.out", {x->ev(), v.boolean(false), v.none(), u16->ev(),
                                       u16->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::_to_copy.out", {x->ev(), v.integer(0), v.none(), x->ev(), x->ev()}),
            Error::InvalidArgument);  // non_blocking must be a Bool
  EXPECT_EQ(run("aten::clone.out", {x->ev(), v.none(), wrong->ev()}), Error::InvalidArgument);
}

}  // namespace
}  // namespace test
}  // namespace ember
