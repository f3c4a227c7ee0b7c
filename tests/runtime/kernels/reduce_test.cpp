// Tests for mean.out and sum.IntList_out: every dim subset of a 3-d tensor
// with and without keepdim against a plain reference, dtype rules, negative
// dims, empty reductions and rejections.
#include <cmath>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

/// Reduce a [2, 3, 4] tensor over the dims in `mask` (bit d = dim d).
std::vector<double> ref_reduce(const std::vector<double>& x, int mask, bool mean) {
  const int sizes[3] = {2, 3, 4};
  int out_sizes[3];
  for (int d = 0; d < 3; ++d) out_sizes[d] = (mask >> d) & 1 ? 1 : sizes[d];
  std::vector<double> out(static_cast<size_t>(out_sizes[0]) * out_sizes[1] * out_sizes[2], 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        const int oi = mask & 1 ? 0 : i, oj = mask & 2 ? 0 : j, ok = mask & 4 ? 0 : k;
        out[(oi * out_sizes[1] + oj) * out_sizes[2] + ok] += x[(i * 3 + j) * 4 + k];
      }
  int count = 1;
  for (int d = 0; d < 3; ++d) count *= (mask >> d) & 1 ? sizes[d] : 1;
  if (mean) {
    for (double& v : out) v /= count;
  }
  return out;
}

TEST(Reduce, MeanAndSumOverEveryDimSubset) {
  const std::vector<float> xs = random_floats(24, 5);
  const std::vector<double> xd(xs.begin(), xs.end());
  for (bool mean : {true, false}) {
    for (int mask = 1; mask < 8; ++mask) {  // mask 0 would be dim=[], i.e. all dims
      for (bool keepdim : {false, true}) {
        for (bool channels_last : {false, true}) {
          std::vector<int64_t> dims;
          std::vector<int32_t> out_shape;
          const int32_t sizes[3] = {2, 3, 4};
          for (int d = 0; d < 3; ++d) {
            if ((mask >> d) & 1) {
              dims.push_back(d == 2 ? -1 : d);  // exercise a negative dim
              if (keepdim) out_shape.push_back(1);
            } else {
              out_shape.push_back(sizes[d]);
            }
          }
          if (mask == 7 && !keepdim) out_shape.clear();
          auto x = channels_last ? make_f({2, 3, 4}, xs, {0, 2, 1}) : make_f({2, 3, 4}, xs);
          auto out = make(ScalarType::Float, out_shape);
          Values v;
          ASSERT_EQ(run(mean ? "aten::mean.out" : "aten::sum.IntList_out",
                        {x->ev(), v.ints(dims), v.boolean(keepdim), v.none(), out->ev(),
                         out->ev()}),
                    Error::Ok);
          const std::vector<double> want = ref_reduce(xd, mask, mean);
          expect_close(out->get<float>(), std::vector<float>(want.begin(), want.end()), 1e-5f);
        }
      }
    }
  }
}

TEST(Reduce, NoneOrEmptyDimsReduceEverything) {
  auto x = make_f({2, 2}, {1, 2, 3, 4});
  auto out = make(ScalarType::Float, {});
  Values v;
  ASSERT_EQ(run("aten::mean.out", {x->ev(), v.none(), v.boolean(false), v.none(), out->ev(),
                                   out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>()[0], 2.5f);
  ASSERT_EQ(run("aten::sum.IntList_out", {x->ev(), v.ints({}), v.boolean(false), v.none(),
                                          out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>()[0], 10.0f);
  auto kept = make(ScalarType::Float, {1, 1});
  ASSERT_EQ(run("aten::mean.out", {x->ev(), v.none(), v.boolean(true), v.none(), kept->ev(),
                                   kept->ev()}),
            Error::Ok);
  EXPECT_EQ(kept->get<float>()[0], 2.5f);
}

TEST(Reduce, IntegerSumsWidenToInt64) {
  auto x = make_typed<int32_t>(ScalarType::Int, {2, 3}, {1, 2, 3, 2147483647, 1, 0});
  auto out = make(ScalarType::Long, {2});
  Values v;
  ASSERT_EQ(run("aten::sum.IntList_out", {x->ev(), v.ints({1}), v.boolean(false), v.none(),
                                          out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int64_t>(), (std::vector<int64_t>{6, 2147483648LL}));
  // dtype=int32 keeps int32 (and wraps).
  auto out32 = make(ScalarType::Int, {2});
  ASSERT_EQ(run("aten::sum.IntList_out", {x->ev(), v.ints({1}), v.boolean(false),
                                          v.integer(static_cast<int>(ScalarType::Int)),
                                          out32->ev(), out32->ev()}),
            Error::Ok);
  EXPECT_EQ(out32->get<int32_t>(), (std::vector<int32_t>{6, -2147483647 - 1}));
  auto xb = make_typed<bool>(ScalarType::Bool, {4}, {true, false, true, true});
  auto ob = make(ScalarType::Long, {});
  ASSERT_EQ(run("aten::sum.IntList_out", {xb->ev(), v.none(), v.boolean(false), v.none(),
                                          ob->ev(), ob->ev()}),
            Error::Ok);
  EXPECT_EQ(ob->get<int64_t>()[0], 3);
  // mean of ints needs dtype=float.
  auto of = make(ScalarType::Float, {2});
  ASSERT_EQ(run("aten::mean.out", {x->ev(), v.ints({-1}), v.boolean(false),
                                   v.integer(static_cast<int>(ScalarType::Float)), of->ev(),
                                   of->ev()}),
            Error::Ok);
  expect_close(of->get<float>(), {2.0f, 2147483648.0f / 3.0f}, 1e-6f);
}

TEST(Reduce, EmptyReductionGivesZeroOrNaN) {
  auto x = make(ScalarType::Float, {2, 0});
  auto out = make(ScalarType::Float, {2});
  Values v;
  ASSERT_EQ(run("aten::sum.IntList_out", {x->ev(), v.ints({1}), v.boolean(false), v.none(),
                                          out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{0.0f, 0.0f}));
  ASSERT_EQ(run("aten::mean.out", {x->ev(), v.ints({1}), v.boolean(false), v.none(), out->ev(),
                                   out->ev()}),
            Error::Ok);
  EXPECT_TRUE(std::isnan(out->get<float>()[0]));
}

TEST(Reduce, Rejections) {
  Values v;
  auto x = make_f({2, 3}, std::vector<float>(6, 1.0f));
  auto out = make(ScalarType::Float, {2});
  auto call = [&](const char* op, EValue* dims, EValue* dtype, TestTensor* o) {
    return run(op, {x->ev(), dims, v.boolean(false), dtype, o->ev(), o->ev()});
  };
  ASSERT_EQ(call("aten::mean.out", v.ints({1}), v.none(), out.get()), Error::Ok);
  {
    LogCapture log;
    EXPECT_EQ(call("aten::mean.out", v.ints({2}), v.none(), out.get()), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::mean.out"));
  }
  EXPECT_EQ(call("aten::mean.out", v.ints({1, -1}), v.none(), out.get()),
            Error::InvalidArgument);  // duplicate dim
  EXPECT_EQ(call("aten::mean.out", v.ints({0}), v.none(), out.get()),
            Error::InvalidArgument);  // out should be [3]
  auto ol = make(ScalarType::Long, {2});
  EXPECT_EQ(call("aten::sum.IntList_out", v.ints({1}), v.none(), ol.get()), Error::NotSupported);
  auto xi = make_typed<int32_t>(ScalarType::Int, {2}, {1, 2});
  auto o0 = make(ScalarType::Float, {});
  EXPECT_EQ(run("aten::mean.out", {xi->ev(), v.none(), v.boolean(false), v.none(), o0->ev(),
                                   o0->ev()}),
            Error::NotSupported);  // mean of ints without dtype
  EXPECT_EQ(call("aten::mean.out", v.real(1.0), v.none(), out.get()), Error::InvalidArgument);
}

}  // namespace
}  // namespace test
}  // namespace ember
