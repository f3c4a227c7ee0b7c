// Regression tests for what libFuzzer found in the kernels (docs/fuzzing.md):
// each case is an argument a corrupted program can carry, which must come
// back as a clean rejection (under UBSan: without undefined behaviour).
#include <cstdint>

#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

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

}  // namespace
}  // namespace test
}  // namespace ember
