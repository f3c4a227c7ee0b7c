// Regression tests for what libFuzzer found in the kernels (docs/fuzzing.md):
// each case is an argument a corrupted program can carry, which must come
// back as a clean rejection (under UBSan: without undefined behaviour).
#include <cstdint>
#include <cstring>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

/// A one-entry Tensor?[] argument.
struct IndexListForTest {
  EValue* item;
  EValue value;
  explicit IndexListForTest(TestTensor* t) : item(t->ev()) {
    value.tag = Tag::OptionalTensorList;
    value.payload.as_tensor_list.items = &item;
    value.payload.as_tensor_list.size = 1;
  }
  EValue* ev() { return &value; }
};

// Finding 1: convolution padding 2^62 overflowed `in + 2 * pad` (int64).
TEST(FuzzRegression, ConvolutionHugePaddingRejected) {
  Values v;
  auto in = make_f({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto w = make_f({1, 1, 2, 2}, std::vector<float>(4, 1.0f));
  auto out = make(ScalarType::Float, {1, 1, 2, 2});
  for (int64_t huge : {int64_t{1} << 62, INT64_MAX, int64_t{1} << 31}) {
    LogCapture log;
    EXPECT_EQ(run("aten::convolution.out",
                  {in->ev(), w->ev(), v.none(), v.ints({1, 1}), v.ints({huge, 0}),
                   v.ints({1, 1}), v.boolean(false), v.ints({0, 0}), v.integer(1), out->ev(),
                   out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("out of range"));
    EXPECT_EQ(run("aten::convolution.out",
                  {in->ev(), w->ev(), v.none(), v.ints({1, 1}), v.ints({0, 0}),
                   v.ints({huge, huge}), v.boolean(true), v.ints({0, 0}), v.integer(1),
                   out->ev(), out->ev()}),
              Error::InvalidArgument);  // transposed: dilation * (k - 1)
  }
}

// The same guard in pooling windows (kernel, stride, padding, dilation).
TEST(FuzzRegression, PoolHugeWindowRejected) {
  Values v;
  auto in = make_f({1, 1, 4, 4}, std::vector<float>(16, 1.0f));
  auto out = make(ScalarType::Float, {1, 1, 2, 2});
  auto idx = make(ScalarType::Long, {1, 1, 2, 2});
  const int64_t huge = int64_t{1} << 62;
  EXPECT_EQ(run("aten::max_pool2d_with_indices.out",
                {in->ev(), v.ints({2, 2}), v.ints({huge}), v.ints({0}), v.ints({1}),
                 v.boolean(true), out->ev(), idx->ev(), v.tensors({out.get(), idx.get()})}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::avg_pool2d.out",
                {in->ev(), v.ints({huge, 2}), v.ints({}), v.ints({0}), v.boolean(false),
                 v.boolean(true), v.none(), out->ev(), out->ev()}),
            Error::InvalidArgument);
}

// Finding 3: in a corrupted program the index tensor of index_put shared
// planned memory with `out`; copying self into out rewrote the (already
// checked) index, and the scatter multiplied a garbage index into an offset.
// Indices are now checked again as they are used.
TEST(FuzzRegression, IndexPutIndexAliasingOut) {
  Values v;
  auto self = make_f({4}, {1, 1, 1, 1});
  auto out = make(ScalarType::Float, {4});
  auto idx = make_typed<int64_t>(ScalarType::Long, {1}, {1});
  idx->t().set_data(out->t().mutable_data());  // the index lives in out's first 8 bytes
  *idx->t().data_as<int64_t>() = 1;            // valid when checked...
  auto val = make_f({1}, {5});
  IndexListForTest indices(idx.get());
  LogCapture log;
  EXPECT_EQ(run("aten::index_put.out", {self->ev(), indices.ev(), val->ev(), v.boolean(false),
                                         out->ev(), out->ev()}),
            Error::InvalidArgument);  // ...then overwritten by self's 1.0f, 1.0f
  EXPECT_TRUE(log.contains("changed while writing")) << "index_put must re-check its indices";
}

// A bool tensor read from a file can hold any byte; reading it as C++ bool
// would be undefined. Kernels read bools as bytes: nonzero is true (torch).
TEST(FuzzRegression, BoolBytesOtherThanZeroOrOne) {
  Values v;
  auto b = make(ScalarType::Bool, {4});
  const uint8_t raw[4] = {2, 0, 171, 1};
  std::memcpy(b->t().mutable_data(), raw, 4);
  auto f = make(ScalarType::Float, {4});
  ASSERT_EQ(run("aten::_to_copy.out", {b->ev(), v.boolean(false), v.none(), f->ev(), f->ev()}),
            Error::Ok);
  EXPECT_EQ(f->get<float>(), (std::vector<float>{1, 0, 1, 1}));
  auto i = make(ScalarType::Long, {4});
  ASSERT_EQ(run("aten::copy_", {i->ev(), b->ev(), v.boolean(false), i->ev()}), Error::Ok);
  EXPECT_EQ(i->get<int64_t>(), (std::vector<int64_t>{1, 0, 1, 1}));
  auto bc = make(ScalarType::Bool, {4});
  ASSERT_EQ(run("aten::clone.out", {b->ev(), v.none(), bc->ev(), bc->ev()}), Error::Ok);
  auto sum = make(ScalarType::Long, {});
  ASSERT_EQ(run("aten::sum.IntList_out", {b->ev(), v.none(), v.boolean(false), v.none(),
                                          sum->ev(), sum->ev()}),
            Error::Ok);
  EXPECT_EQ(sum->get<int64_t>()[0], 3);
  auto idx = make_typed<int64_t>(ScalarType::Long, {1}, {1});
  auto one = make(ScalarType::Bool, {1});
  std::memcpy(one->t().mutable_data(), raw + 2, 1);  // 171
  IndexListForTest indices(idx.get());
  ASSERT_EQ(run("aten::index_put.out", {b->ev(), indices.ev(), one->ev(), v.boolean(true),
                                         b->ev(), b->ev()}),
            Error::Ok);
  const uint8_t* after = b->t().data_as<const uint8_t>();
  EXPECT_NE(after[1], 0);  // 0 | true
  auto mul_out = make(ScalarType::Float, {4});
  auto ones = make_f({4}, {1, 1, 1, 1});
  auto scalar = make(ScalarType::Bool, {});
  std::memcpy(scalar->t().mutable_data(), raw + 2, 1);
  ASSERT_EQ(run("aten::mul.out", {ones->ev(), scalar->ev(), mul_out->ev(), mul_out->ev()}),
            Error::Ok);
  EXPECT_EQ(mul_out->get<float>(), (std::vector<float>{1, 1, 1, 1}));
}

}  // namespace
}  // namespace test
}  // namespace ember

namespace ember {
namespace test {
namespace {

// A float Scalar far outside int64 (or NaN) where an integer is wanted is
// rejected; converting it would be undefined behaviour (UBSan checks this).
TEST(FuzzRegression, HugeFloatScalarForAnIntegerIsRejected) {
  for (double bad : {1e300, -1e300, 9.3e18, std::nan("")}) {
    Values v;
    auto x = make_typed<int64_t>(ScalarType::Long, {2}, {1, 2});
    auto out = make(ScalarType::Long, {2});
    EXPECT_EQ(run("aten::add.out", {x->ev(), x->ev(), v.real(bad), out->ev(), out->ev()}),
              Error::InvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace test
}  // namespace ember
