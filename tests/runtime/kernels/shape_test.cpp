// Tests for view_copy, permute_copy, unsqueeze_copy, squeeze_copy,
// expand_copy and cat: element order against plain index math, several
// dtypes and dim orders, and rejections.
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

TEST(Shape, ViewCopyInfersMinusOne) {
  Values v;
  auto x = make_typed<int64_t>(ScalarType::Long, {2, 3, 4}, std::vector<int64_t>(24, 7));
  x->set(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
                              19, 20, 21, 22, 23});
  auto out = make_dynamic(ScalarType::Long, 2, 24);
  ASSERT_EQ(run("aten::view_copy.out", {x->ev(), v.ints({-1, 8}), out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{3, 8}));
  EXPECT_EQ(out->get<int64_t>(), x->get<int64_t>());
  auto b = make_typed<bool>(ScalarType::Bool, {4}, {true, false, false, true});
  auto bout = make(ScalarType::Bool, {2, 2});
  ASSERT_EQ(run("aten::view_copy.out", {b->ev(), v.ints({2, 2}), bout->ev(), bout->ev()}),
            Error::Ok);
  EXPECT_EQ(bout->get<bool>(), (std::vector<bool>{true, false, false, true}));
  // An elided view: out aliases self.
  ASSERT_EQ(run("aten::view_copy.out", {b->ev(), v.ints({4}), b->ev(), b->ev()}), Error::Ok);
}

TEST(Shape, PermuteCopyMatchesIndexMath) {
  const std::vector<float> xs = iota(2 * 3 * 4 * 5);
  for (bool channels_last : {false, true}) {
    auto x = channels_last ? make_f({2, 3, 4, 5}, xs, {0, 2, 3, 1}) : make_f({2, 3, 4, 5}, xs);
    auto out = make(ScalarType::Float, {5, 2, 4, 3});
    Values v;
    ASSERT_EQ(run("aten::permute_copy.out", {x->ev(), v.ints({3, 0, -2, 1}), out->ev(),
                                             out->ev()}),
              Error::Ok);
    std::vector<float> want;
    for (int a = 0; a < 5; ++a)
      for (int b = 0; b < 2; ++b)
        for (int c = 0; c < 4; ++c)
          for (int d = 0; d < 3; ++d) want.push_back(xs[((b * 3 + d) * 4 + c) * 5 + a]);
    EXPECT_EQ(out->get<float>(), want);
  }
  auto xi = make_typed<int32_t>(ScalarType::Int, {2, 3}, {1, 2, 3, 4, 5, 6});
  auto oi = make(ScalarType::Int, {3, 2});
  Values v;
  ASSERT_EQ(run("aten::permute_copy.out", {xi->ev(), v.ints({1, 0}), oi->ev(), oi->ev()}),
            Error::Ok);
  EXPECT_EQ(oi->get<int32_t>(), (std::vector<int32_t>{1, 4, 2, 5, 3, 6}));
}

TEST(Shape, UnsqueezeAndSqueeze) {
  Values v;
  const std::vector<float> xs = iota(6);
  auto x = make_f({2, 3}, xs);
  for (int dim : {0, 1, 2, -1, -3}) {
    std::vector<int32_t> shape = {2, 3};
    const int d = dim < 0 ? dim + 3 : dim;
    shape.insert(shape.begin() + d, 1);
    auto out = make(ScalarType::Float, shape);
    ASSERT_EQ(run("aten::unsqueeze_copy.out", {x->ev(), v.integer(dim), out->ev(), out->ev()}),
              Error::Ok);
    EXPECT_EQ(out->get<float>(), xs);
  }
  auto y = make_f({1, 2, 1, 3}, xs);
  auto sq = make(ScalarType::Float, {2, 3});
  ASSERT_EQ(run("aten::squeeze_copy.dims_out", {y->ev(), v.ints({0, -2}), sq->ev(), sq->ev()}),
            Error::Ok);
  EXPECT_EQ(sq->get<float>(), xs);
  auto partial = make(ScalarType::Float, {2, 1, 3});
  ASSERT_EQ(run("aten::squeeze_copy.dims_out", {y->ev(), v.ints({0, 1}), partial->ev(),
                                                partial->ev()}),
            Error::Ok);  // dim 1 has size 2: kept
  EXPECT_EQ(partial->get<float>(), xs);
  auto no_dim2 = make(ScalarType::Float, {1, 2, 3});
  ASSERT_EQ(run("aten::squeeze_copy.dim_out", {y->ev(), v.integer(2), no_dim2->ev(),
                                               no_dim2->ev()}),
            Error::Ok);
  EXPECT_EQ(no_dim2->get<float>(), xs);
  auto s = make_f({}, {5.0f});
  auto s1 = make(ScalarType::Float, {1});
  ASSERT_EQ(run("aten::unsqueeze_copy.out", {s->ev(), v.integer(0), s1->ev(), s1->ev()}),
            Error::Ok);
  EXPECT_EQ(s1->get<float>()[0], 5.0f);
  // channels-last [1, C, 1, 1] squeezed to [1, C].
  auto cl = make_f({1, 4, 1, 1}, iota(4), {0, 2, 3, 1});
  auto c2 = make(ScalarType::Float, {1, 4});
  ASSERT_EQ(run("aten::squeeze_copy.dims_out", {cl->ev(), v.ints({2, 3}), c2->ev(), c2->ev()}),
            Error::Ok);
  EXPECT_EQ(c2->get<float>(), iota(4));
}

TEST(Shape, ExpandCopy) {
  Values v;
  auto x = make_f({3, 1}, {1, 2, 3});
  auto out = make(ScalarType::Float, {2, 3, 4});
  ASSERT_EQ(run("aten::expand_copy.out", {x->ev(), v.ints({2, -1, 4}), v.boolean(false),
                                          out->ev(), out->ev()}),
            Error::Ok);
  std::vector<float> want;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) want.push_back(static_cast<float>(b + 1));
  EXPECT_EQ(out->get<float>(), want);
}

TEST(Shape, CatAlongEachDim) {
  const std::vector<float> as = iota(2 * 2 * 2), bs = random_floats(2 * 2 * 3, 4);
  Values v;
  for (int dim : {0, 1, 2, -1}) {
    const int d = dim < 0 ? dim + 3 : dim;
    std::vector<int32_t> sa = {2, 2, 2}, sb = {2, 2, 2};
    sb[d] = 3;
    std::vector<int32_t> so = sa;
    so[d] = 5;
    auto a = make_f(sa, as);
    auto b = make_f(sb, bs);
    auto empty = make(ScalarType::Float, {0});
    auto out = make(ScalarType::Float, so);
    ASSERT_EQ(run("aten::cat.out", {v.tensors({a.get(), empty.get(), b.get()}), v.integer(dim),
                                    out->ev(), out->ev()}),
              Error::Ok);
    std::vector<float> want;
    for (int i = 0; i < so[0]; ++i)
      for (int j = 0; j < so[1]; ++j)
        for (int k = 0; k < so[2]; ++k) {
          int idx[3] = {i, j, k};
          if (idx[d] < 2) {
            want.push_back(as[(idx[0] * sa[1] + idx[1]) * sa[2] + idx[2]]);
          } else {
            idx[d] -= 2;
            want.push_back(bs[(idx[0] * sb[1] + idx[1]) * sb[2] + idx[2]]);
          }
        }
    EXPECT_EQ(out->get<float>(), want) << "dim " << dim;
  }
  // int32, with a channels-last output.
  auto a = make_typed<int32_t>(ScalarType::Int, {1, 1, 1, 2}, {1, 2});
  auto b = make_typed<int32_t>(ScalarType::Int, {1, 2, 1, 2}, {3, 4, 5, 6});
  auto out = make(ScalarType::Int, {1, 3, 1, 2}, {0, 2, 3, 1});
  ASSERT_EQ(run("aten::cat.out", {v.tensors({a.get(), b.get()}), v.integer(1), out->ev(),
                                  out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Shape, Rejections) {
  Values v;
  auto x = make_f({2, 3}, iota(6));
  auto out6 = make(ScalarType::Float, {6});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::view_copy.out", {x->ev(), v.ints({4}), out6->ev(), out6->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::view_copy.out"));
  }
  EXPECT_EQ(run("aten::view_copy.out", {x->ev(), v.ints({-1, -1}), out6->ev(), out6->ev()}),
            Error::InvalidArgument);
  auto iout = make(ScalarType::Int, {6});
  EXPECT_EQ(run("aten::view_copy.out", {x->ev(), v.ints({6}), iout->ev(), iout->ev()}),
            Error::NotSupported);
  auto out32 = make(ScalarType::Float, {3, 2});
  EXPECT_EQ(run("aten::permute_copy.out", {x->ev(), v.ints({0, 0}), out32->ev(), out32->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::permute_copy.out", {x->ev(), v.ints({1}), out32->ev(), out32->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::permute_copy.out", {x->ev(), v.ints({0, 1}), out32->ev(), out32->ev()}),
            Error::InvalidArgument);  // out has the permuted shape, not self's
  auto o3 = make(ScalarType::Float, {2, 3, 1});
  EXPECT_EQ(run("aten::unsqueeze_copy.out", {x->ev(), v.integer(4), o3->ev(), o3->ev()}),
            Error::InvalidArgument);
  auto o4 = make(ScalarType::Float, {2, 4});
  EXPECT_EQ(run("aten::expand_copy.out", {x->ev(), v.ints({2, 4}), v.boolean(false), o4->ev(),
                                          o4->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::expand_copy.out", {x->ev(), v.ints({3}), v.boolean(false), o4->ev(),
                                          o4->ev()}),
            Error::InvalidArgument);
  auto y = make_f({2, 4}, iota(8));
  auto ocat = make(ScalarType::Float, {4, 3});
  EXPECT_EQ(run("aten::cat.out", {v.tensors({x.get(), y.get()}), v.integer(0), ocat->ev(),
                                  ocat->ev()}),
            Error::InvalidArgument);
  auto yi = make_typed<int32_t>(ScalarType::Int, {2, 3}, std::vector<int32_t>(6, 0));
  auto ocat_i = make(ScalarType::Int, {4, 3});
  EXPECT_EQ(run("aten::cat.out", {v.tensors({x.get(), yi.get()}), v.integer(0), ocat_i->ev(),
                                  ocat_i->ev()}),
            Error::NotSupported);  // float32 does not widen to int32
  EXPECT_EQ(run("aten::cat.out", {x->ev(), v.integer(0), ocat->ev(), ocat->ev()}),
            Error::InvalidArgument);  // not a TensorList
}

}  // namespace
}  // namespace test
}  // namespace ember
