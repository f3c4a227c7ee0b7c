// Kernel-level tests of the reduction family that Python cannot reach:
// every kernel on inputs and outputs in permuted dim orders (channels-last and
// arbitrary) against the contiguous result, hand-checked semantics (ties and
// NaN, wrapping integer products, stray bool bytes, half types), and
// rejections with the right Error code and a log line naming the op.
#include <cmath>
#include <functional>
#include <limits>

#include "runtime/core/half.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

const ScalarType kF = ScalarType::Float;
const ScalarType kL = ScalarType::Long;

/// One kernel call on a float input `x`; `outs` are created by the case with
/// the given dim order (empty: contiguous) and read back in logical order.
struct Case {
  const char* name;
  std::function<std::vector<TensorPtr>(const std::vector<uint8_t>& order)> make_outs;
  std::function<std::vector<EValue*>(Values&, TestTensor* x, std::vector<TensorPtr>& outs)> args;
};

/// `order` restricted to a tensor of `rank` dims (the input's order when
/// ranks match, else contiguous).
std::vector<uint8_t> fit(const std::vector<uint8_t>& order, size_t rank) {
  return order.size() == rank ? order : std::vector<uint8_t>{};
}

EValue* list_of(Values& v, std::vector<TensorPtr>& outs) {
  std::vector<TestTensor*> raw;
  for (TensorPtr& t : outs) raw.push_back(t.get());
  return v.tensors(raw);
}

/// Logical values of every output as doubles (float or int64 outputs).
std::vector<std::vector<double>> values_of(std::vector<TensorPtr>& outs) {
  std::vector<std::vector<double>> all;
  for (TensorPtr& t : outs) {
    std::vector<double> vals;
    if (t->t().dtype() == kL) {
      for (int64_t x : t->get<int64_t>()) vals.push_back(static_cast<double>(x));
    } else if (t->t().dtype() == ScalarType::Bool) {
      for (bool x : t->get<bool>()) vals.push_back(x ? 1.0 : 0.0);
    } else {
      for (float x : t->get<float>()) vals.push_back(x);
    }
    all.push_back(vals);
  }
  return all;
}

std::vector<Case> cases() {
  auto one = [](ScalarType dt, std::vector<int32_t> sizes) {
    return [dt, sizes](const std::vector<uint8_t>& order) {
      std::vector<TensorPtr> outs;
      outs.push_back(make(dt, sizes, fit(order, sizes.size())));
      return outs;
    };
  };
  std::vector<Case> c;
  // x is [2, 3, 4, 5].
  c.push_back({"aten::sum.IntList_out", one(kF, {2, 1, 4, 1}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.ints({1, -1}), v.boolean(true), v.none(),
                                             o[0]->ev(), o[0]->ev()};
               }});
  c.push_back({"aten::mean.out", one(kF, {3, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.ints({0, 2}), v.boolean(false), v.none(),
                                             o[0]->ev(), o[0]->ev()};
               }});
  c.push_back({"aten::prod.int_out", one(kF, {2, 3, 4, 1}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.integer(3), v.boolean(true), v.none(),
                                             o[0]->ev(), o[0]->ev()};
               }});
  c.push_back({"aten::cumsum.out", one(kF, {2, 3, 4, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.integer(1), v.none(), o[0]->ev(),
                                             o[0]->ev()};
               }});
  c.push_back({"aten::amax.out", one(kF, {2, 1, 1, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.ints({1, 2}), v.boolean(true), o[0]->ev(),
                                             o[0]->ev()};
               }});
  c.push_back({"aten::max.dim_max",
               [](const std::vector<uint8_t>& order) {
                 std::vector<TensorPtr> outs;
                 outs.push_back(make(kF, {2, 3, 4, 1}, fit(order, 4)));
                 outs.push_back(make(kL, {2, 3, 4, 1}, fit(order, 4)));
                 return outs;
               },
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.integer(-1), v.boolean(true), o[0]->ev(),
                                             o[1]->ev(), list_of(v, o)};
               }});
  c.push_back({"aten::argmin.out", one(kL, {2, 4, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.integer(1), v.boolean(false), o[0]->ev(),
                                             o[0]->ev()};
               }});
  c.push_back({"aten::argmax.out", one(kL, {}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.none(), v.boolean(false), o[0]->ev(),
                                             o[0]->ev()};
               }});
  c.push_back({"aten::var.correction_out", one(kF, {1, 3, 1, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.ints({0, 2}), v.integer(1),
                                             v.boolean(true), o[0]->ev(), o[0]->ev()};
               }});
  c.push_back({"aten::any.dims_out", one(ScalarType::Bool, {2, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.ints({1, 2}), v.boolean(false),
                                             o[0]->ev(), o[0]->ev()};
               }});
  c.push_back({"aten::linalg_vector_norm.out", one(kF, {2, 1, 4, 1}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.real(3.0), v.ints({1, 3}),
                                             v.boolean(true), v.none(), o[0]->ev(), o[0]->ev()};
               }});
  c.push_back({"aten::_softmax.out", one(kF, {2, 3, 4, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.integer(1), v.boolean(false), o[0]->ev(),
                                             o[0]->ev()};
               }});
  c.push_back({"aten::_log_softmax.out", one(kF, {2, 3, 4, 5}),
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.integer(-1), v.boolean(false), o[0]->ev(),
                                             o[0]->ev()};
               }});
  c.push_back({"aten::native_layer_norm.out",
               [](const std::vector<uint8_t>& order) {
                 std::vector<TensorPtr> outs;
                 outs.push_back(make(kF, {2, 3, 4, 5}, fit(order, 4)));
                 outs.push_back(make(kF, {2, 3, 1, 1}, fit(order, 4)));
                 outs.push_back(make(kF, {2, 3, 1, 1}, fit(order, 4)));
                 return outs;
               },
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.ints({4, 5}), v.none(), v.none(),
                                             v.real(1e-5), o[0]->ev(), o[1]->ev(), o[2]->ev(),
                                             list_of(v, o)};
               }});
  c.push_back({"aten::native_group_norm.out",
               [](const std::vector<uint8_t>& order) {
                 std::vector<TensorPtr> outs;
                 outs.push_back(make(kF, {2, 3, 4, 5}, fit(order, 4)));
                 outs.push_back(make(kF, {2, 3}));
                 outs.push_back(make(kF, {2, 3}));
                 return outs;
               },
               [](Values& v, TestTensor* x, std::vector<TensorPtr>& o) {
                 return std::vector<EValue*>{x->ev(), v.none(), v.none(), v.integer(2),
                                             v.integer(3), v.integer(20), v.integer(3),
                                             v.real(1e-5), o[0]->ev(), o[1]->ev(), o[2]->ev(),
                                             list_of(v, o)};
               }});
  return c;
}

TEST(ReductionLayouts, EveryKernelMatchesAcrossDimOrders) {
  const std::vector<int32_t> sizes = {2, 3, 4, 5};
  std::vector<float> xs = random_floats(120, 41, -2.0f, 2.0f);
  xs[17] = xs[18];  // a tie
  const std::vector<std::vector<uint8_t>> orders = {{0, 2, 3, 1}, {3, 1, 0, 2}, {1, 0, 3, 2}};
  for (const Case& k : cases()) {
    SCOPED_TRACE(k.name);
    auto x = make_f(sizes, xs);
    std::vector<TensorPtr> want_outs = k.make_outs({});
    Values v;
    ASSERT_EQ(run(k.name, k.args(v, x.get(), want_outs)), Error::Ok);
    const auto want = values_of(want_outs);
    for (const auto& order : orders) {
      auto xo = make_f(sizes, xs, order);
      std::vector<TensorPtr> outs = k.make_outs(order);
      ASSERT_EQ(run(k.name, k.args(v, xo.get(), outs)), Error::Ok);
      const auto got = values_of(outs);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].size(), want[i].size());
        for (size_t j = 0; j < got[i].size(); ++j) {
          EXPECT_NEAR(got[i][j], want[i][j], 1e-6 * (1.0 + std::fabs(want[i][j])))
              << "output " << i << " element " << j;
        }
      }
    }
  }
}

TEST(ReductionLayouts, BatchNormWalksChannelsLast) {
  const std::vector<int32_t> sizes = {2, 3, 2, 2};
  const std::vector<float> xs = random_floats(24, 3);
  auto w = make_f({3}, {1.0f, -2.0f, 0.5f});
  auto b = make_f({3}, {0.0f, 1.0f, -1.0f});
  auto m = make_f({3}, {0.1f, 0.2f, -0.3f});
  auto var = make_f({3}, {1.0f, 0.5f, 2.0f});
  std::vector<std::vector<float>> results;
  const std::vector<std::vector<uint8_t>> orders = {{}, {0, 2, 3, 1}};
  for (const std::vector<uint8_t>& order : orders) {
    auto x = make_f(sizes, xs, order);
    auto out0 = make(kF, sizes, order);
    auto e1 = make(kF, {0});
    auto e2 = make(kF, {0});
    Values v;
    ASSERT_EQ(run("aten::_native_batch_norm_legit_no_training.out",
                  {x->ev(), w->ev(), b->ev(), m->ev(), var->ev(), v.real(0.1), v.real(1e-5),
                   out0->ev(), e1->ev(), e2->ev(), v.tensors({out0.get(), e1.get(), e2.get()})}),
              Error::Ok);
    results.push_back(out0->get<float>());
  }
  expect_close(results[1], results[0], 1e-6f);
  // Channel 1 of element 0: (x - 0.2) / sqrt(0.5 + 1e-5) * -2 + 1.
  EXPECT_NEAR(results[0][4], (xs[4] - 0.2) / std::sqrt(0.5 + 1e-5) * -2.0 + 1.0, 1e-5);
}

// --- semantics ------------------------------------------------------------

TEST(ReductionSemantics, TiesKeepTheFirstIndexAndTheFirstNaNWins) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto x = make_f({2, 5}, {1, 3, 3, 0, 3, 2, nan, 5, nan, 1});
  auto values = make(kF, {2});
  auto indices = make(kL, {2});
  Values v;
  ASSERT_EQ(run("aten::max.dim_max", {x->ev(), v.integer(1), v.boolean(false), values->ev(),
                                      indices->ev(), v.tensors({values.get(), indices.get()})}),
            Error::Ok);
  EXPECT_EQ(values->get<float>()[0], 3.0f);
  EXPECT_TRUE(std::isnan(values->get<float>()[1]));
  EXPECT_EQ(indices->get<int64_t>(), (std::vector<int64_t>{1, 1}));
  ASSERT_EQ(run("aten::argmin.out", {x->ev(), v.integer(1), v.boolean(false), indices->ev(),
                                     indices->ev()}),
            Error::Ok);
  EXPECT_EQ(indices->get<int64_t>(), (std::vector<int64_t>{3, 1}));
  auto all = make(kL, {});
  ASSERT_EQ(run("aten::argmax.out", {x->ev(), v.none(), v.boolean(false), all->ev(), all->ev()}),
            Error::Ok);
  EXPECT_EQ(all->get<int64_t>()[0], 6);  // flat index of the first NaN
  auto amin = make(kF, {5});
  ASSERT_EQ(run("aten::amin.out", {x->ev(), v.ints({0}), v.boolean(false), amin->ev(),
                                   amin->ev()}),
            Error::Ok);
  const std::vector<float> got = amin->get<float>();
  EXPECT_EQ(got[0], 1.0f);
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_EQ(got[2], 3.0f);
  EXPECT_TRUE(std::isnan(got[3]));
  EXPECT_EQ(got[4], 1.0f);
}

TEST(ReductionSemantics, IntegerProductsAndSumsWrapWithoutUndefinedBehaviour) {
  const int64_t big = std::numeric_limits<int64_t>::max();
  auto x = make_typed<int64_t>(kL, {2, 2}, {big, 2, big, big});
  auto out = make(kL, {2});
  Values v;
  ASSERT_EQ(run("aten::prod.int_out", {x->ev(), v.integer(1), v.boolean(false), v.none(),
                                       out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int64_t>(), (std::vector<int64_t>{-2, 1}));
  ASSERT_EQ(run("aten::sum.IntList_out", {x->ev(), v.ints({1}), v.boolean(false), v.none(),
                                          out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int64_t>(), (std::vector<int64_t>{std::numeric_limits<int64_t>::min() + 1,
                                                        -2}));
  auto cs = make(kL, {2, 2});
  ASSERT_EQ(run("aten::cumsum.out", {x->ev(), v.integer(0), v.none(), cs->ev(), cs->ev()}),
            Error::Ok);
  EXPECT_EQ(cs->get<int64_t>()[2], -2);
}

TEST(ReductionSemantics, FloatToIntegerDtypeCastsSafely) {
  auto x = make_f({4}, {1.9f, -2.7f, std::numeric_limits<float>::quiet_NaN(), 1e30f});
  auto out = make(ScalarType::Int, {});
  Values v;
  // Each element is cast first: 1 + -2 + INT32_MIN + INT32_MIN (wrapping).
  ASSERT_EQ(run("aten::sum.IntList_out", {x->ev(), v.none(), v.boolean(false),
                                          v.integer(static_cast<int>(ScalarType::Int)),
                                          out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int32_t>()[0], -1);
}

TEST(ReductionSemantics, StrayBoolBytesCountAsTrue) {
  auto x = make(ScalarType::Bool, {4});
  uint8_t* bytes = static_cast<uint8_t*>(x->t().mutable_data());
  bytes[0] = 0;
  bytes[1] = 2;
  bytes[2] = 0;
  bytes[3] = 255;
  auto any = make(ScalarType::Bool, {});
  auto sum = make(kL, {});
  auto amax = make(ScalarType::Bool, {});
  Values v;
  ASSERT_EQ(run("aten::any.all_out", {x->ev(), any->ev(), any->ev()}), Error::Ok);
  EXPECT_EQ(*static_cast<uint8_t*>(any->t().mutable_data()), 1);
  ASSERT_EQ(run("aten::sum.IntList_out", {x->ev(), v.none(), v.boolean(false), v.none(),
                                          sum->ev(), sum->ev()}),
            Error::Ok);
  EXPECT_EQ(sum->get<int64_t>()[0], 2);
  ASSERT_EQ(run("aten::max.unary_out", {x->ev(), amax->ev(), amax->ev()}), Error::Ok);
  EXPECT_EQ(*static_cast<uint8_t*>(amax->t().mutable_data()), 1);
}

TEST(ReductionSemantics, AnyOfUint8GivesUint8AndEmptyListsReduceNothing) {
  auto x = make_typed<uint8_t>(ScalarType::Byte, {2, 2}, {0, 7, 0, 0});
  auto out = make(ScalarType::Byte, {2, 2});
  Values v;
  ASSERT_EQ(run("aten::any.dims_out", {x->ev(), v.ints({}), v.boolean(false), out->ev(),
                                       out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<uint8_t>(), (std::vector<uint8_t>{0, 1, 0, 0}));
  auto wrong = make(ScalarType::Bool, {2});
  EXPECT_EQ(run("aten::any.out", {x->ev(), v.integer(1), v.boolean(false), wrong->ev(),
                                  wrong->ev()}),
            Error::NotSupported);
}

TEST(ReductionSemantics, HalfAndBFloat16ComputeInFloat) {
  auto h = make_typed<Half>(ScalarType::Half, {3}, {Half(1000.0f), Half(0.5f), Half(0.25f)});
  auto hs = make(ScalarType::Half, {});
  Values v;
  ASSERT_EQ(run("aten::sum.IntList_out", {h->ev(), v.none(), v.boolean(false), v.none(),
                                          hs->ev(), hs->ev()}),
            Error::Ok);
  // 1000.75 lies halfway between the halves 1000.5 and 1001: rounds to even.
  EXPECT_EQ(static_cast<float>(hs->get<Half>()[0]), 1001.0f);
  auto b = make_typed<BFloat16>(ScalarType::BFloat16, {4},
                                {BFloat16(1.0f), BFloat16(2.0f), BFloat16(3.0f), BFloat16(4.0f)});
  auto bs = make(ScalarType::BFloat16, {4});
  ASSERT_EQ(run("aten::_softmax.out", {b->ev(), v.integer(0), v.boolean(false), bs->ev(),
                                       bs->ev()}),
            Error::Ok);
  const double denom = std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0);
  EXPECT_NEAR(static_cast<float>(bs->get<BFloat16>()[3]), std::exp(4.0) / denom, 4e-3);
  auto bv = make(ScalarType::Float, {});
  ASSERT_EQ(run("aten::linalg_vector_norm.out",
                {b->ev(), v.real(2.0), v.none(), v.boolean(false),
                 v.integer(static_cast<int>(ScalarType::Float)), bv->ev(), bv->ev()}),
            Error::Ok);
  EXPECT_NEAR(bv->get<float>()[0], std::sqrt(30.0), 1e-6);
}

TEST(ReductionSemantics, LayerNormStatisticsOfALongOffsetRow) {
  // A row of 5000 values around 1000: a one-pass float variance would lose
  // most of its digits.
  std::vector<float> xs = random_floats(5000, 9, 999.0f, 1001.0f);
  double mean = 0.0, var = 0.0;
  for (float x : xs) mean += x;
  mean /= 5000.0;
  for (float x : xs) var += (x - mean) * (x - mean);
  var /= 5000.0;
  auto x = make_f({1, 5000}, xs);
  auto y = make(kF, {1, 5000});
  auto m = make(kF, {1, 1});
  auto r = make(kF, {1, 1});
  Values v;
  ASSERT_EQ(run("aten::native_layer_norm.out",
                {x->ev(), v.ints({5000}), v.none(), v.none(), v.real(1e-5), y->ev(), m->ev(),
                 r->ev(), v.tensors({y.get(), m.get(), r.get()})}),
            Error::Ok);
  EXPECT_NEAR(m->get<float>()[0], mean, 1e-4);
  EXPECT_NEAR(r->get<float>()[0], 1.0 / std::sqrt(var + 1e-5), 1e-5 / std::sqrt(var));
  EXPECT_NEAR(y->get<float>()[7], (xs[7] - mean) / std::sqrt(var + 1e-5), 1e-4);
}

// --- rejections -------------------------------------------------------------

TEST(ReductionRejections, EmptyReductionsWithoutIdentity) {
  auto x = make(kF, {3, 0});
  auto out = make(kF, {3});
  auto idx = make(kL, {3});
  Values v;
  {
    LogCapture log;
    EXPECT_EQ(run("aten::amax.out", {x->ev(), v.ints({1}), v.boolean(false), out->ev(),
                                     out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::amax.out"));
  }
  EXPECT_EQ(run("aten::max.dim_max", {x->ev(), v.integer(1), v.boolean(false), out->ev(),
                                      idx->ev(), v.tensors({out.get(), idx.get()})}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::argmax.out", {x->ev(), v.integer(-1), v.boolean(false), idx->ev(),
                                     idx->ev()}),
            Error::InvalidArgument);
  auto scalar = make(kF, {});
  EXPECT_EQ(run("aten::min.unary_out", {x->ev(), scalar->ev(), scalar->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::linalg_vector_norm.out", {x->ev(), v.real(INFINITY), v.ints({1}),
                                                 v.boolean(false), v.none(), out->ev(),
                                                 out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::linalg_vector_norm.out", {x->ev(), v.real(-1.0), v.ints({1}),
                                                 v.boolean(false), v.none(), out->ev(),
                                                 out->ev()}),
            Error::InvalidArgument);
  // An empty kept dim is fine: [0, 3] reduced over dim 1 gives [0].
  auto y = make(kF, {0, 3});
  auto empty = make(kF, {0});
  EXPECT_EQ(run("aten::amax.out", {y->ev(), v.ints({1}), v.boolean(false), empty->ev(),
                                   empty->ev()}),
            Error::Ok);
}

TEST(ReductionRejections, BadDimsAndShapes) {
  auto x = make_f({2, 3}, std::vector<float>(6, 1.0f));
  auto out = make(kF, {2});
  auto idx = make(kL, {2});
  Values v;
  {
    LogCapture log;
    EXPECT_EQ(run("aten::amin.out", {x->ev(), v.ints({2}), v.boolean(false), out->ev(),
                                     out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::amin.out: dim 2 is out of range"));
  }
  EXPECT_EQ(run("aten::var.correction_out", {x->ev(), v.ints({1, -1}), v.none(),
                                             v.boolean(false), out->ev(), out->ev()}),
            Error::InvalidArgument);  // duplicate dim
  EXPECT_EQ(run("aten::cumsum.out", {x->ev(), v.integer(-3), v.none(), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::_log_softmax.out", {x->ev(), v.integer(2), v.boolean(false), out->ev(),
                                           out->ev()}),
            Error::InvalidArgument);
  auto wrong = make(kF, {3});  // static out of the wrong size
  EXPECT_EQ(run("aten::prod.int_out", {x->ev(), v.integer(1), v.boolean(false), v.none(),
                                       wrong->ev(), wrong->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::any.all_out", {x->ev(), out->ev()}), Error::InvalidArgument);  // arg count
  EXPECT_EQ(run("aten::max.dim_max", {x->ev(), v.integer(1), v.boolean(false), out->ev(),
                                      out->ev(), v.tensors({out.get(), out.get()})}),
            Error::NotSupported);  // float indices
}

TEST(ReductionRejections, UnsupportedDtypes) {
  Values v;
  auto xi = make_typed<int32_t>(ScalarType::Int, {2, 2}, {1, 2, 3, 4});
  auto xb = make_typed<bool>(ScalarType::Bool, {2}, {true, false});
  auto xf = make_f({2, 2}, {1, 2, 3, 4});
  auto oi = make(ScalarType::Int, {2});
  auto of = make(kF, {2});
  auto ol = make(kL, {});
  auto o22 = make(ScalarType::Int, {2, 2});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::var.correction_out", {xi->ev(), v.ints({1}), v.none(), v.boolean(false),
                                               oi->ev(), oi->ev()}),
              Error::NotSupported);
    EXPECT_TRUE(log.contains("aten::var.correction_out"));
  }
  EXPECT_EQ(run("aten::argmax.out", {xb->ev(), v.none(), v.boolean(false), ol->ev(), ol->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::_softmax.out", {xi->ev(), v.integer(0), v.boolean(false), o22->ev(),
                                       o22->ev()}),
            Error::NotSupported);
  EXPECT_EQ(run("aten::_softmax.out", {xf->ev(), v.integer(0), v.boolean(true), of->ev(),
                                       of->ev()}),
            Error::NotSupported);  // half_to_float
  EXPECT_EQ(run("aten::mean.dtype_out", {xi->ev(), v.integer(static_cast<int>(ScalarType::Int)),
                                         oi->ev(), oi->ev()}),
            Error::NotSupported);  // mean needs a floating dtype
  EXPECT_EQ(run("aten::sum.IntList_out", {xi->ev(), v.ints({1}), v.boolean(false), v.none(),
                                          oi->ev(), oi->ev()}),
            Error::NotSupported);  // int32 sums give int64
  auto oh = make(ScalarType::Half, {});
  EXPECT_EQ(run("aten::linalg_vector_norm.out",
                {xf->ev(), v.real(2.0), v.none(), v.boolean(false),
                 v.integer(static_cast<int>(ScalarType::Half)), oh->ev(), oh->ev()}),
            Error::NotSupported);  // float32 -> float16 narrows
  EXPECT_EQ(run("aten::linalg_vector_norm.out",
                {xf->ev(), v.real(NAN), v.none(), v.boolean(false), v.none(), of->ev(),
                 of->ev()}),
            Error::InvalidArgument);
}

TEST(ReductionRejections, LayerAndGroupNormArguments) {
  auto x = make_f({2, 4, 3}, random_floats(24, 2));
  auto y = make(kF, {2, 4, 3});
  auto stats = make(kF, {2, 1, 1});
  Values v;
  auto ln = [&](EValue* shape, EValue* weight) {
    return run("aten::native_layer_norm.out",
               {x->ev(), shape, weight, v.none(), v.real(1e-5), y->ev(), stats->ev(), stats->ev(),
                v.tensors({y.get(), stats.get(), stats.get()})});
  };
  auto w43 = make_f({4, 3}, std::vector<float>(12, 1.0f));
  ASSERT_EQ(ln(v.ints({4, 3}), w43->ev()), Error::Ok);
  {
    LogCapture log;
    EXPECT_EQ(ln(v.ints({4, 2}), v.none()), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::native_layer_norm.out"));
  }
  EXPECT_EQ(ln(v.ints({}), v.none()), Error::InvalidArgument);
  EXPECT_EQ(ln(v.ints({1, 2, 4, 3}), v.none()), Error::InvalidArgument);
  auto w3 = make_f({3}, {1, 1, 1});
  EXPECT_EQ(ln(v.ints({4, 3}), w3->ev()), Error::InvalidArgument);
  auto wd = make(ScalarType::Double, {4, 3});
  EXPECT_EQ(ln(v.ints({4, 3}), wd->ev()), Error::NotSupported);

  auto g0 = make(kF, {2, 4, 3});
  auto gm = make(kF, {2, 2});
  auto gn = [&](int64_t n, int64_t c, int64_t hxw, int64_t groups, TestTensor* mean) {
    return run("aten::native_group_norm.out",
               {x->ev(), v.none(), v.none(), v.integer(n), v.integer(c), v.integer(hxw),
                v.integer(groups), v.real(1e-5), g0->ev(), mean->ev(), gm->ev(),
                v.tensors({g0.get(), mean, gm.get()})});
  };
  ASSERT_EQ(gn(2, 4, 3, 2, gm.get()), Error::Ok);
  {
    LogCapture log;
    EXPECT_EQ(gn(2, 4, 3, 3, gm.get()), Error::InvalidArgument);  // 3 does not divide 4
    EXPECT_TRUE(log.contains("aten::native_group_norm.out"));
  }
  EXPECT_EQ(gn(2, 4, 3, 0, gm.get()), Error::InvalidArgument);
  EXPECT_EQ(gn(2, 4, 4, 2, gm.get()), Error::InvalidArgument);  // HxW does not match
  EXPECT_EQ(gn(1, 4, 3, 2, gm.get()), Error::InvalidArgument);  // N does not match
  auto bad_mean = make(kF, {2, 3});
  EXPECT_EQ(gn(2, 4, 3, 2, bad_mean.get()), Error::InvalidArgument);
}

}  // namespace
}  // namespace test
}  // namespace ember
