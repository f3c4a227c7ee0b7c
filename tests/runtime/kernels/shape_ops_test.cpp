// Kernel-level tests of slice_copy, select_copy, alias_copy, constant_pad_nd,
// repeat, flip, cat's dtype widening, the creation ops (full, full_like,
// scalar_tensor, arange) and the 2-d resampling ops: what the Python tests
// cannot reach (channels-last and permuted dim orders, ranks past the walk
// limits, values torch itself refuses) and every rejection.
#include <cmath>
#include <limits>

#include "runtime/core/half.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

/// Row-major index of `idx` in `sizes`.
int64_t flat(const std::vector<int32_t>& sizes, const std::vector<int64_t>& idx) {
  int64_t f = 0;
  for (size_t d = 0; d < sizes.size(); ++d) f = f * sizes[d] + idx[d];
  return f;
}

/// Call fn(idx) for every index of `sizes`, in row-major order.
template <typename F>
void for_each_index(const std::vector<int32_t>& sizes, F fn) {
  int64_t n = 1;
  for (int32_t s : sizes) n *= s;
  std::vector<int64_t> idx(sizes.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i;
    for (int d = static_cast<int>(sizes.size()) - 1; d >= 0; --d) {
      idx[d] = rest % sizes[d];
      rest /= sizes[d];
    }
    fn(idx);
  }
}

/// A float[] argument (Values has no DoubleList).
struct Doubles {
  explicit Doubles(std::vector<double> v) : items(std::move(v)) {
    value.tag = Tag::DoubleList;
    value.payload.as_double_list.items = items.data();
    value.payload.as_double_list.size = items.size();
  }
  std::vector<double> items;
  EValue value;
};

const std::vector<uint8_t> kChannelsLast = {0, 2, 3, 1};

// ---- slice_copy, select_copy, alias_copy -----------------------------------

TEST(ShapeOps, SliceCopyMatchesPythonSlices) {
  const std::vector<int32_t> shape = {2, 3, 7, 2};
  const std::vector<float> xs = iota(2 * 3 * 7 * 2);
  struct Case {
    bool has_start, has_end;
    int64_t start, end, step;
  };
  const Case cases[] = {{false, false, 0, 0, 1},  {true, false, 2, 0, 1},  {false, true, 0, -1, 2},
                        {true, true, -3, 100, 1}, {true, true, -100, 4, 3}, {true, true, 5, 2, 1},
                        {true, false, 9, 0, 1},   {true, true, 1, 6, 4},   {true, true, 6, 7, 9}};
  for (bool channels_last : {false, true}) {
    auto x = channels_last ? make_f(shape, xs, kChannelsLast) : make_f(shape, xs);
    for (const Case& c : cases) {
      // Python's rules, written out.
      int64_t start = c.has_start ? c.start : 0, end = c.has_end ? c.end : 7;
      if (start < 0) start += 7;
      if (end < 0) end += 7;
      start = std::min<int64_t>(std::max<int64_t>(start, 0), 7);
      end = std::min<int64_t>(std::max<int64_t>(end, start), 7);
      const int32_t n = static_cast<int32_t>((end - start + c.step - 1) / c.step);
      std::vector<int32_t> out_shape = {2, 3, n, 2};
      auto out = channels_last ? make(ScalarType::Float, out_shape, kChannelsLast)
                               : make(ScalarType::Float, out_shape);
      Values v;
      ASSERT_EQ(run("aten::slice_copy.Tensor_out",
                    {x->ev(), v.integer(-2), c.has_start ? v.integer(c.start) : v.none(),
                     c.has_end ? v.integer(c.end) : v.none(), v.integer(c.step), out->ev(),
                     out->ev()}),
                Error::Ok);
      std::vector<float> want;
      for_each_index(out_shape, [&](const std::vector<int64_t>& i) {
        want.push_back(xs[flat(shape, {i[0], i[1], start + i[2] * c.step, i[3]})]);
      });
      EXPECT_EQ(out->get<float>(), want) << c.start << ":" << c.end << ":" << c.step;
    }
  }
}

TEST(ShapeOps, SelectCopyNegativeIndexAndDimOrders) {
  const std::vector<int32_t> shape = {2, 3, 4, 5};
  const std::vector<float> xs = iota(120);
  auto x = make_f(shape, xs, kChannelsLast);
  for (int64_t index : {0, 2, -1, -4}) {
    auto out = make(ScalarType::Float, {2, 3, 5}, {2, 0, 1});  // a permuted out too
    Values v;
    ASSERT_EQ(run("aten::select_copy.int_out",
                  {x->ev(), v.integer(2), v.integer(index), out->ev(), out->ev()}),
              Error::Ok);
    const int64_t i2 = index < 0 ? index + 4 : index;
    std::vector<float> want;
    for_each_index({2, 3, 5}, [&](const std::vector<int64_t>& i) {
      want.push_back(xs[flat(shape, {i[0], i[1], i2, i[2]})]);
    });
    EXPECT_EQ(out->get<float>(), want) << "index " << index;
  }
  // A 1-d tensor gives a 0-d one.
  auto b = make_typed<bool>(ScalarType::Bool, {3}, {false, true, false});
  auto ob = make(ScalarType::Bool, {});
  Values v;
  ASSERT_EQ(run("aten::select_copy.int_out", {b->ev(), v.integer(0), v.integer(-2), ob->ev(),
                                              ob->ev()}),
            Error::Ok);
  EXPECT_EQ(ob->get<bool>(), std::vector<bool>{true});
}

TEST(ShapeOps, SliceSelectAliasRejections) {
  Values v;
  auto x = make_f({2, 3}, iota(6));
  auto out = make(ScalarType::Float, {2, 3});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::slice_copy.Tensor_out", {x->ev(), v.integer(1), v.none(), v.none(),
                                                  v.integer(0), out->ev(), out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::slice_copy.Tensor_out: step 0 must be positive"));
  }
  EXPECT_EQ(run("aten::slice_copy.Tensor_out", {x->ev(), v.integer(2), v.none(), v.none(),
                                                v.integer(1), out->ev(), out->ev()}),
            Error::InvalidArgument);
  auto z = make(ScalarType::Float, {});
  EXPECT_EQ(run("aten::slice_copy.Tensor_out", {z->ev(), v.integer(0), v.none(), v.none(),
                                                v.integer(1), z->ev(), z->ev()}),
            Error::InvalidArgument);  // 0-d
  auto small = make(ScalarType::Float, {2, 2});  // static out of the wrong size
  EXPECT_EQ(run("aten::slice_copy.Tensor_out", {x->ev(), v.integer(1), v.integer(0),
                                                v.integer(3), v.integer(1), small->ev(),
                                                small->ev()}),
            Error::InvalidArgument);
  auto iout = make(ScalarType::Int, {2, 3});
  EXPECT_EQ(run("aten::slice_copy.Tensor_out", {x->ev(), v.integer(1), v.none(), v.none(),
                                                v.integer(1), iout->ev(), iout->ev()}),
            Error::NotSupported);
  auto o2 = make(ScalarType::Float, {2});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::select_copy.int_out", {x->ev(), v.integer(1), v.integer(3), o2->ev(),
                                                o2->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::select_copy.int_out: index 3 is out of range"));
  }
  EXPECT_EQ(run("aten::select_copy.int_out", {x->ev(), v.integer(1), v.integer(-4), o2->ev(),
                                              o2->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::select_copy.int_out", {z->ev(), v.integer(0), v.integer(0), z->ev(),
                                              z->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::select_copy.int_out", {x->ev(), v.integer(-3), v.integer(0), o2->ev(),
                                              o2->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::alias_copy.out", {x->ev(), iout->ev(), iout->ev()}), Error::NotSupported);
  EXPECT_EQ(run("aten::alias_copy.out", {x->ev(), o2->ev(), o2->ev()}), Error::InvalidArgument);
}

TEST(ShapeOps, AliasCopyBetweenDimOrders) {
  const std::vector<float> xs = random_floats(2 * 3 * 2 * 2, 1);
  auto x = make_f({2, 3, 2, 2}, xs, kChannelsLast);
  auto out = make(ScalarType::Float, {2, 3, 2, 2});
  ASSERT_EQ(run("aten::alias_copy.out", {x->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->get<float>(), xs);
}

// ---- constant_pad_nd --------------------------------------------------------

TEST(ShapeOps, ConstantPadCropsAndPadsInAnyDimOrder) {
  const std::vector<int32_t> shape = {1, 2, 3, 4};
  const std::vector<float> xs = iota(24);
  // Last dim (-1, 2): crop one before, two after. Dim 2 (2, 0). Dim 1 (0, -1).
  const std::vector<int64_t> pad = {-1, 2, 2, 0, 0, -1};
  const std::vector<int32_t> out_shape = {1, 1, 5, 5};
  for (bool channels_last : {false, true}) {
    auto x = channels_last ? make_f(shape, xs, kChannelsLast) : make_f(shape, xs);
    auto out = channels_last ? make(ScalarType::Float, out_shape, kChannelsLast)
                             : make(ScalarType::Float, out_shape);
    Values v;
    ASSERT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints(pad), v.real(-0.5), out->ev(),
                                                out->ev()}),
              Error::Ok);
    std::vector<float> want;
    for_each_index(out_shape, [&](const std::vector<int64_t>& i) {
      const int64_t h = i[2] - 2, w = i[3] + 1;  // back to self's indices
      want.push_back(h >= 0 && h < 3 && w < 4 ? xs[flat(shape, {0, i[1], h, w})] : -0.5f);
    });
    EXPECT_EQ(out->get<float>(), want);
  }
}

TEST(ShapeOps, ConstantPadValueConversion) {
  Values v;
  auto x = make_typed<int8_t>(ScalarType::Char, {1}, {5});
  auto out = make(ScalarType::Char, {3});
  ASSERT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({1, 1}), v.real(-2.9), out->ev(),
                                              out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int8_t>(), (std::vector<int8_t>{-2, 5, -2}));  // truncated
  {
    LogCapture log;
    EXPECT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({1, 1}), v.integer(300),
                                                out->ev(), out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains(
        "aten::constant_pad_nd.out: value = 300 cannot be converted to int8 without overflow"));
  }
  auto h = make_typed<Half>(ScalarType::Half, {1}, {Half(1.0f)});
  auto oh = make(ScalarType::Half, {2});
  ASSERT_EQ(run("aten::constant_pad_nd.out", {h->ev(), v.ints({0, 1}), v.real(0.1), oh->ev(),
                                              oh->ev()}),
            Error::Ok);
  EXPECT_EQ(oh->get<Half>()[1].bits, Half(0.1f).bits);
  EXPECT_EQ(run("aten::constant_pad_nd.out", {h->ev(), v.ints({0, 1}), v.real(1e6), oh->ev(),
                                              oh->ev()}),
            Error::InvalidArgument);  // beyond half's range
}

TEST(ShapeOps, ConstantPadRejections) {
  Values v;
  auto x = make_f({2, 3}, iota(6));
  auto out = make_dynamic(ScalarType::Float, 2, 64);
  EXPECT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({1, 1, 1}), v.real(0), out->ev(),
                                              out->ev()}),
            Error::InvalidArgument);  // odd length
  EXPECT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({1, 1, 1, 1, 1, 1}), v.real(0),
                                              out->ev(), out->ev()}),
            Error::InvalidArgument);  // three pairs for two dims
  {
    LogCapture log;
    EXPECT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({-5, 4}), v.real(0), out->ev(),
                                                out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("crops more than the 3 elements"));
  }
  const int64_t huge = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({huge, huge}), v.real(0),
                                              out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({-huge - 1, 0}), v.real(0),
                                              out->ev(), out->ev()}),
            Error::InvalidArgument);
  auto iout = make(ScalarType::Int, {2, 5});
  EXPECT_EQ(run("aten::constant_pad_nd.out", {x->ev(), v.ints({1, 1}), v.real(0), iout->ev(),
                                              iout->ev()}),
            Error::NotSupported);
}

// ---- repeat and flip ---------------------------------------------------------

TEST(ShapeOps, RepeatMatchesIndexMathPastTheWalkLimit) {
  // 9 dims of size 2 repeated twice each: 18 walk dims, past kMaxRank.
  const std::vector<int32_t> shape(9, 2), out_shape(9, 4);
  const std::vector<float> xs = iota(512);
  std::vector<uint8_t> order = {8, 0, 1, 2, 3, 4, 5, 6, 7};  // a permuted self
  auto x = make_f(shape, xs, order);
  auto out = make(ScalarType::Float, out_shape);
  Values v;
  ASSERT_EQ(run("aten::repeat.out", {x->ev(), v.ints(std::vector<int64_t>(9, 2)), out->ev(),
                                     out->ev()}),
            Error::Ok);
  std::vector<float> want;
  for_each_index(out_shape, [&](const std::vector<int64_t>& i) {
    std::vector<int64_t> s(9);
    for (int d = 0; d < 9; ++d) s[d] = i[d] % 2;
    want.push_back(xs[flat(shape, s)]);
  });
  EXPECT_EQ(out->get<float>(), want);
}

TEST(ShapeOps, RepeatLeadingDimsAndChannelsLastOut) {
  const std::vector<float> xs = iota(6);
  auto x = make_f({2, 3}, xs);
  const std::vector<int32_t> out_shape = {2, 1, 4, 6};
  auto out = make(ScalarType::Float, out_shape, kChannelsLast);
  Values v;
  ASSERT_EQ(run("aten::repeat.out", {x->ev(), v.ints({2, 1, 2, 2}), out->ev(), out->ev()}),
            Error::Ok);
  std::vector<float> want;
  for_each_index(out_shape, [&](const std::vector<int64_t>& i) {
    want.push_back(xs[(i[2] % 2) * 3 + i[3] % 3]);
  });
  EXPECT_EQ(out->get<float>(), want);
  // 0-d self; a zero repeat gives an empty out.
  auto z = make_f({}, {4.5f});
  auto oz = make(ScalarType::Float, {3});
  ASSERT_EQ(run("aten::repeat.out", {z->ev(), v.ints({3}), oz->ev(), oz->ev()}), Error::Ok);
  EXPECT_EQ(oz->get<float>(), (std::vector<float>{4.5f, 4.5f, 4.5f}));
  auto oe = make(ScalarType::Float, {0, 3});
  ASSERT_EQ(run("aten::repeat.out", {x->ev(), v.ints({0, 1}), oe->ev(), oe->ev()}), Error::Ok);
}

TEST(ShapeOps, RepeatRejections) {
  Values v;
  auto x = make_f({2, 3}, iota(6));
  auto out = make_dynamic(ScalarType::Float, 2, 64);
  EXPECT_EQ(run("aten::repeat.out", {x->ev(), v.ints({2}), out->ev(), out->ev()}),
            Error::InvalidArgument);  // fewer repeats than dims
  EXPECT_EQ(run("aten::repeat.out", {x->ev(), v.ints({-1, 2}), out->ev(), out->ev()}),
            Error::InvalidArgument);
  const int64_t huge = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_EQ(run("aten::repeat.out", {x->ev(), v.ints({huge, 1}), out->ev(), out->ev()}),
            Error::InvalidArgument);  // overflows
  EXPECT_EQ(run("aten::repeat.out", {x->ev(), v.ints(std::vector<int64_t>(17, 1)), out->ev(),
                                     out->ev()}),
            Error::InvalidArgument);  // more dims than the runtime holds
}

TEST(ShapeOps, FlipDimsInAnyDimOrder) {
  const std::vector<int32_t> shape = {2, 3, 4, 5};
  const std::vector<float> xs = iota(120);
  for (bool channels_last : {false, true}) {
    auto x = channels_last ? make_f(shape, xs, kChannelsLast) : make_f(shape, xs);
    auto out = make(ScalarType::Float, shape, channels_last ? std::vector<uint8_t>{}
                                                            : kChannelsLast);
    Values v;
    ASSERT_EQ(run("aten::flip.out", {x->ev(), v.ints({-1, 1, 0}), out->ev(), out->ev()}),
              Error::Ok);
    std::vector<float> want;
    for_each_index(shape, [&](const std::vector<int64_t>& i) {
      want.push_back(xs[flat(shape, {1 - i[0], 2 - i[1], i[2], 4 - i[3]})]);
    });
    EXPECT_EQ(out->get<float>(), want);
  }
  Values v;
  auto x = make_f({2, 3}, iota(6));
  auto out = make(ScalarType::Float, {2, 3});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::flip.out", {x->ev(), v.ints({0, -2}), out->ev(), out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::flip.out: dim 0 appears more than once"));
  }
  EXPECT_EQ(run("aten::flip.out", {x->ev(), v.ints({2}), out->ev(), out->ev()}),
            Error::InvalidArgument);
  auto empty = make(ScalarType::Float, {0, 3});
  auto oe = make(ScalarType::Float, {0, 3});
  EXPECT_EQ(run("aten::flip.out", {empty->ev(), v.ints({0, 1}), oe->ev(), oe->ev()}), Error::Ok);
}

// ---- cat: mixed dtypes ---------------------------------------------------------

TEST(ShapeOps, CatWidensMixedDtypes) {
  Values v;
  auto a = make_typed<int32_t>(ScalarType::Int, {1, 2}, {-7, 8});
  auto b = make_typed<bool>(ScalarType::Bool, {1, 2}, {true, false});
  auto c = make_typed<int64_t>(ScalarType::Long, {1, 2}, {int64_t{1} << 40, 3});
  auto out = make(ScalarType::Long, {3, 2});
  ASSERT_EQ(run("aten::cat.out", {v.tensors({a.get(), b.get(), c.get()}), v.integer(0),
                                  out->ev(), out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int64_t>(), (std::vector<int64_t>{-7, 8, 1, 0, int64_t{1} << 40, 3}));
  auto h = make_typed<Half>(ScalarType::Half, {2}, {Half(0.5f), Half(-2.0f)});
  auto u = make_typed<uint8_t>(ScalarType::Byte, {1}, {200});
  auto of = make(ScalarType::Float, {3});
  ASSERT_EQ(run("aten::cat.out", {v.tensors({h.get(), u.get()}), v.integer(0), of->ev(),
                                  of->ev()}),
            Error::Ok);
  EXPECT_EQ(of->get<float>(), (std::vector<float>{0.5f, -2.0f, 200.0f}));
  // Narrowing is refused: a float into int32, int64 into int32, int8 into uint8.
  auto f = make_f({1, 2}, {1.5f, 2.5f});
  auto oi = make(ScalarType::Int, {2, 2});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::cat.out", {v.tensors({a.get(), f.get()}), v.integer(0), oi->ev(),
                                    oi->ev()}),
              Error::NotSupported);
    EXPECT_TRUE(log.contains("tensor 1 has dtype float32, which does not widen to out's int32"));
  }
  EXPECT_EQ(run("aten::cat.out", {v.tensors({a.get(), c.get()}), v.integer(0), oi->ev(),
                                  oi->ev()}),
            Error::NotSupported);
  auto i8 = make_typed<int8_t>(ScalarType::Char, {1}, {-1});
  auto ou = make(ScalarType::Byte, {2});
  EXPECT_EQ(run("aten::cat.out", {v.tensors({u.get(), i8.get()}), v.integer(0), ou->ev(),
                                  ou->ev()}),
            Error::NotSupported);
}

// ---- full, full_like, scalar_tensor --------------------------------------------

TEST(ShapeOps, FullConvertsTheValueAsTorch) {
  Values v;
  auto run_full = [&](ScalarType dtype, EValue* value, TensorPtr& out) {
    out = make(dtype, {2});
    return run("aten::full.out", {v.ints({2}), value, out->ev(), out->ev()});
  };
  TensorPtr out;
  ASSERT_EQ(run_full(ScalarType::Byte, v.integer(-1), out), Error::Ok);
  EXPECT_EQ(out->get<uint8_t>(), (std::vector<uint8_t>{255, 255}));  // wraps, as in torch
  EXPECT_EQ(run_full(ScalarType::Byte, v.integer(-256), out), Error::InvalidArgument);
  EXPECT_EQ(run_full(ScalarType::Byte, v.real(-0.5), out), Error::InvalidArgument);
  EXPECT_EQ(run_full(ScalarType::Byte, v.real(255.5), out), Error::InvalidArgument);
  ASSERT_EQ(run_full(ScalarType::Int, v.real(-2.9), out), Error::Ok);
  EXPECT_EQ(out->get<int32_t>(), (std::vector<int32_t>{-2, -2}));
  EXPECT_EQ(run_full(ScalarType::Char, v.integer(128), out), Error::InvalidArgument);
  EXPECT_EQ(run_full(ScalarType::Long, v.real(NAN), out), Error::InvalidArgument);
  EXPECT_EQ(run_full(ScalarType::Long, v.real(9223372036854775808.0), out),
            Error::InvalidArgument);
  ASSERT_EQ(run_full(ScalarType::Long, v.real(-9223372036854775808.0), out), Error::Ok);
  EXPECT_EQ(out->get<int64_t>()[0], std::numeric_limits<int64_t>::min());
  ASSERT_EQ(run_full(ScalarType::Bool, v.real(NAN), out), Error::Ok);
  EXPECT_EQ(out->get<bool>(), (std::vector<bool>{true, true}));
  ASSERT_EQ(run_full(ScalarType::Bool, v.real(-0.0), out), Error::Ok);
  EXPECT_EQ(out->get<bool>(), (std::vector<bool>{false, false}));
  // Beyond float16's range, an int as a double (torch checks both)...
  EXPECT_EQ(run_full(ScalarType::Half, v.integer(70000), out), Error::InvalidArgument);
  EXPECT_EQ(run_full(ScalarType::Half, v.real(70000.0), out), Error::InvalidArgument);
  // ... except in its one-element fill, which rounds to inf.
  auto one = make(ScalarType::Half, {1});
  ASSERT_EQ(run("aten::full.out", {v.ints({1}), v.integer(70000), one->ev(), one->ev()}),
            Error::Ok);
  EXPECT_TRUE(std::isinf(static_cast<float>(one->get<Half>()[0])));
  ASSERT_EQ(run("aten::full.out", {v.ints({1}), v.real(-1e300), one->ev(), one->ev()}),
            Error::Ok);
  EXPECT_EQ(static_cast<float>(one->get<Half>()[0]), -INFINITY);
  ASSERT_EQ(run_full(ScalarType::Half, v.real(INFINITY), out), Error::Ok);
  EXPECT_EQ(run_full(ScalarType::Float, v.real(1e39), out), Error::InvalidArgument);
  ASSERT_EQ(run_full(ScalarType::BFloat16, v.boolean(true), out), Error::Ok);
  EXPECT_EQ(static_cast<float>(out->get<BFloat16>()[1]), 1.0f);
  ASSERT_EQ(run_full(ScalarType::Double, v.real(0.1), out), Error::Ok);
  EXPECT_EQ(out->get<double>()[0], 0.1);
}

TEST(ShapeOps, FullLikeAndScalarTensor) {
  Values v;
  auto x = make_f({2, 3, 2, 2}, iota(24), kChannelsLast);
  auto out = make(ScalarType::Short, {2, 3, 2, 2}, kChannelsLast);
  ASSERT_EQ(run("aten::full_like.out", {x->ev(), v.integer(-3), v.integer(2), out->ev(),
                                        out->ev()}),
            Error::Ok);
  EXPECT_EQ(out->get<int16_t>(), std::vector<int16_t>(24, -3));
  auto wrong = make(ScalarType::Float, {2, 3});
  EXPECT_EQ(run("aten::full_like.out", {x->ev(), v.real(1), v.none(), wrong->ev(), wrong->ev()}),
            Error::InvalidArgument);
  auto s = make(ScalarType::Double, {});
  ASSERT_EQ(run("aten::scalar_tensor.out", {v.real(-1.25), s->ev(), s->ev()}), Error::Ok);
  EXPECT_EQ(s->get<double>(), std::vector<double>{-1.25});
  auto s1 = make(ScalarType::Float, {1});
  EXPECT_EQ(run("aten::scalar_tensor.out", {v.real(1), s1->ev(), s1->ev()}),
            Error::InvalidArgument);  // not 0-d
  auto full_out = make(ScalarType::Float, {2, 2});
  EXPECT_EQ(run("aten::full.out", {v.ints({2, -2}), v.real(1), full_out->ev(), full_out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::full.out", {v.ints({2, 2}), v.str("x"), full_out->ev(), full_out->ev()}),
            Error::InvalidArgument);  // not a Scalar
}

// ---- arange ---------------------------------------------------------------------

TEST(ShapeOps, ArangeLengthsAsTorch) {
  Values v;
  struct Case {
    ScalarType dtype;
    EValue *start, *end, *step;
    int64_t length;
  };
  const int64_t big = int64_t{1} << 62;
  const Case cases[] = {
      {ScalarType::Long, v.integer(0), v.integer(5), v.integer(1), 5},
      {ScalarType::Long, v.integer(10), v.integer(-3), v.integer(-3), 5},
      {ScalarType::Long, v.real(0), v.real(5.5), v.integer(1), 5},  // end truncated first
      {ScalarType::Int, v.real(0), v.real(5.5), v.integer(1), 6},   // double formula
      {ScalarType::Long, v.real(0.5), v.real(5), v.real(1.5), 5},   // step truncated to 1
      {ScalarType::Int, v.real(0.5), v.real(5), v.real(1.5), 3},
      {ScalarType::Long, v.integer(-big), v.integer(big / 2), v.integer(big / 4), 6},
      {ScalarType::Float, v.real(0), v.real(1), v.real(0.1), 10},
      {ScalarType::Half, v.real(0), v.real(1000), v.real(0.7), 1429},
      {ScalarType::Double, v.integer(3), v.integer(3), v.integer(1), 0},
  };
  for (const Case& c : cases) {
    auto out = make_dynamic(c.dtype, 1, 2000);
    ASSERT_EQ(run("aten::arange.start_out", {c.start, c.end, c.step, out->ev(), out->ev()}),
              Error::Ok);
    EXPECT_EQ(out->shape(), (std::vector<int32_t>{static_cast<int32_t>(c.length)}));
  }
  // Values: int8 wraps, as torch's does; int64 near the limits is exact.
  auto o8 = make(ScalarType::Char, {4});
  ASSERT_EQ(run("aten::arange.start_out", {v.integer(126), v.integer(130), v.integer(1),
                                           o8->ev(), o8->ev()}),
            Error::Ok);
  EXPECT_EQ(o8->get<int8_t>(), (std::vector<int8_t>{126, 127, -128, -127}));
  auto o64 = make(ScalarType::Long, {6});
  const int64_t q = big / 4;
  ASSERT_EQ(run("aten::arange.start_out", {v.integer(-big), v.integer(2 * q), v.integer(q),
                                           o64->ev(), o64->ev()}),
            Error::Ok);
  EXPECT_EQ(o64->get<int64_t>(), (std::vector<int64_t>{-4 * q, -3 * q, -2 * q, -q, 0, q}));
  EXPECT_EQ(run("aten::arange.start_out", {v.integer(-big), v.integer(big), v.integer(q),
                                           o64->ev(), o64->ev()}),
            Error::InvalidArgument);  // end - start is 2^63: overflows int64
  auto oh = make(ScalarType::Half, {3});
  ASSERT_EQ(run("aten::arange.start_out", {v.real(0), v.real(0.3), v.real(0.1), oh->ev(),
                                           oh->ev()}),
            Error::Ok);
  EXPECT_EQ(oh->get<Half>()[2].bits, Half(0.1f * 2.0f).bits);  // start + step * i in float
  // float32 computes in double: values past float's range are inf, as in torch.
  auto of = make(ScalarType::Float, {10});
  ASSERT_EQ(run("aten::arange.start_out", {v.integer(0), v.real(1e39), v.real(1e38), of->ev(),
                                           of->ev()}),
            Error::Ok);
  EXPECT_EQ(of->get<float>()[3], 3e38f);
  EXPECT_EQ(of->get<float>()[4], INFINITY);
}

TEST(ShapeOps, ArangeRejections) {
  Values v;
  auto out = make_dynamic(ScalarType::Long, 1, 16);
  auto arange = [&](EValue* s, EValue* e, EValue* st, TestTensor& o) {
    return run("aten::arange.start_out", {s, e, st, o.ev(), o.ev()});
  };
  {
    LogCapture log;
    EXPECT_EQ(arange(v.integer(0), v.integer(5), v.integer(0), *out), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::arange.start_out: step must be nonzero"));
  }
  EXPECT_EQ(arange(v.integer(0), v.integer(5), v.real(0.5), *out),
            Error::InvalidArgument);  // truncates to 0 for int64
  EXPECT_EQ(arange(v.integer(5), v.integer(0), v.integer(1), *out), Error::InvalidArgument);
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(arange(v.integer(-max), v.integer(max), v.integer(1), *out),
            Error::InvalidArgument);  // the span overflows int64
  EXPECT_EQ(arange(v.integer(0), v.integer(100), v.integer(1), *out),
            Error::InvalidArgument);  // more than the out holds
  auto f = make_dynamic(ScalarType::Float, 1, 16);
  EXPECT_EQ(arange(v.real(NAN), v.real(1), v.real(1), *f), Error::InvalidArgument);
  EXPECT_EQ(arange(v.real(0), v.real(INFINITY), v.real(1), *f), Error::InvalidArgument);
  EXPECT_EQ(arange(v.real(0), v.real(1), v.real(NAN), *f), Error::InvalidArgument);
  EXPECT_EQ(arange(v.real(0), v.real(1e30), v.real(1e-30), *f), Error::InvalidArgument);
  auto h = make_dynamic(ScalarType::Half, 1, 16);
  EXPECT_EQ(arange(v.real(0), v.real(1e39), v.real(1e38), *h),
            Error::InvalidArgument);  // end overflows float, the 16-bit types' accumulator
  auto b = make_dynamic(ScalarType::Bool, 1, 16);
  EXPECT_EQ(arange(v.integer(0), v.integer(2), v.integer(1), *b), Error::NotSupported);
  auto two_d = make(ScalarType::Long, {1, 1});
  EXPECT_EQ(arange(v.integer(0), v.integer(1), v.integer(1), *two_d),
            Error::InvalidArgument);
}

// ---- upsample ------------------------------------------------------------------

/// Run an upsample kernel on `x` into `out`; `bilinear` takes align_corners.
Error upsample(bool bilinear, TestTensor& x, EValue* size, EValue* scales, TestTensor& out,
               bool align_corners = false) {
  Values v;
  if (bilinear) {
    return run("aten::upsample_bilinear2d.vec_out",
               {x.ev(), size, v.boolean(align_corners), scales, out.ev(), out.ev()});
  }
  return run("aten::upsample_nearest2d.vec_out", {x.ev(), size, scales, out.ev(), out.ev()});
}

TEST(ShapeOps, UpsampleKnownValues) {
  Values v;
  auto x = make_f({1, 1, 2, 2}, {0, 1, 2, 3});
  auto out = make(ScalarType::Float, {1, 1, 3, 3});
  ASSERT_EQ(upsample(true, *x, v.ints({3, 3}), v.none(), *out, /*align_corners=*/true),
            Error::Ok);
  expect_close(out->get<float>(), {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3}, 1e-6f);
  ASSERT_EQ(upsample(false, *x, v.ints({3, 3}), v.none(), *out), Error::Ok);
  // in / out = 2/3: rows and columns 0, 0, 1.
  EXPECT_EQ(out->get<float>(), (std::vector<float>{0, 0, 1, 0, 0, 1, 2, 2, 3}));
  // A given scale factor 1.7 maps through 1/1.7, not 4/6.
  auto y = make_f({1, 1, 4, 1}, {0, 1, 2, 3});
  auto oy = make(ScalarType::Float, {1, 1, 6, 1});
  Doubles scales({1.7, 1.0});
  ASSERT_EQ(upsample(false, *y, v.none(), &scales.value, *oy), Error::Ok);
  EXPECT_EQ(oy->get<float>(), (std::vector<float>{0, 0, 1, 1, 2, 2}));
  ASSERT_EQ(upsample(false, *y, v.ints({6, 1}), v.none(), *oy), Error::Ok);
  EXPECT_EQ(oy->get<float>(), (std::vector<float>{0, 0, 1, 2, 2, 3}));
}

TEST(ShapeOps, UpsampleChannelsLastMatchesNchw) {
  const std::vector<int32_t> shape = {2, 5, 3, 4};
  const std::vector<float> xs = random_floats(2 * 5 * 3 * 4, 7);
  Values v;
  Doubles scales({1.7, 2.3});
  for (bool bilinear : {false, true}) {
    for (ScalarType dtype : {ScalarType::Float, ScalarType::Half, ScalarType::BFloat16}) {
      for (bool by_scale : {false, true}) {
        std::vector<float> results[2];
        for (int cl = 0; cl < 2; ++cl) {
          const std::vector<uint8_t> order = cl ? kChannelsLast : std::vector<uint8_t>{};
          auto x = make(dtype, shape, order);
          if (dtype == ScalarType::Float) x->set(xs);
          if (dtype == ScalarType::Half) x->set(std::vector<Half>(xs.begin(), xs.end()));
          if (dtype == ScalarType::BFloat16) x->set(std::vector<BFloat16>(xs.begin(), xs.end()));
          auto out = make(dtype, {2, 5, 5, 9}, order);
          ASSERT_EQ(upsample(bilinear, *x, by_scale ? v.none() : v.ints({5, 9}),
                             by_scale ? &scales.value : v.none(), *out),
                    Error::Ok);
          if (dtype == ScalarType::Float) results[cl] = out->get<float>();
          if (dtype == ScalarType::Half) {
            for (Half h : out->get<Half>()) results[cl].push_back(h);
          }
          if (dtype == ScalarType::BFloat16) {
            for (BFloat16 h : out->get<BFloat16>()) results[cl].push_back(h);
          }
        }
        EXPECT_EQ(results[0], results[1]) << "bilinear " << bilinear << " scale " << by_scale;
      }
    }
  }
}

TEST(ShapeOps, UpsampleRejections) {
  Values v;
  auto x = make_f({1, 1, 2, 2}, {0, 1, 2, 3});
  auto out = make(ScalarType::Float, {1, 1, 4, 4});
  Doubles two({2.0, 2.0}), one({2.0}), nan({NAN, 2.0}), tiny({0.1, 2.0});
  {
    LogCapture log;
    EXPECT_EQ(upsample(false, *x, v.ints({4, 4}), &two.value, *out), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::upsample_nearest2d.vec_out: exactly one of output_size"));
  }
  EXPECT_EQ(upsample(true, *x, v.none(), v.none(), *out), Error::InvalidArgument);
  EXPECT_EQ(upsample(false, *x, v.ints({4}), v.none(), *out), Error::InvalidArgument);
  EXPECT_EQ(upsample(false, *x, v.ints({0, 4}), v.none(), *out), Error::InvalidArgument);
  EXPECT_EQ(upsample(false, *x, v.none(), &one.value, *out), Error::InvalidArgument);
  EXPECT_EQ(upsample(true, *x, v.none(), &nan.value, *out), Error::InvalidArgument);
  EXPECT_EQ(upsample(true, *x, v.none(), &tiny.value, *out), Error::InvalidArgument);
  EXPECT_EQ(upsample(false, *x, v.ints({3, 3}), v.none(), *out),
            Error::InvalidArgument);  // static out of another size
  EXPECT_EQ(upsample(false, *x, v.ints({4, 4}), v.ints({2, 2}), *out),
            Error::InvalidArgument);  // scale_factors of the wrong kind
  auto x3 = make_f({1, 2, 2}, {0, 1, 2, 3});
  EXPECT_EQ(upsample(false, *x3, v.ints({4, 4}), v.none(), *out), Error::InvalidArgument);
  auto xi = make(ScalarType::Int, {1, 1, 2, 2});
  auto oi = make(ScalarType::Int, {1, 1, 4, 4});
  EXPECT_EQ(upsample(false, *xi, v.ints({4, 4}), v.none(), *oi), Error::NotSupported);
  auto xd = make(ScalarType::Double, {1, 1, 2, 2});
  auto od = make(ScalarType::Double, {1, 1, 4, 4});
  EXPECT_EQ(upsample(true, *xd, v.ints({4, 4}), v.none(), *od), Error::NotSupported);
  auto oh = make(ScalarType::Half, {1, 1, 4, 4});
  EXPECT_EQ(upsample(true, *x, v.ints({4, 4}), v.none(), *oh), Error::NotSupported);
}

}  // namespace
}  // namespace test
}  // namespace ember
