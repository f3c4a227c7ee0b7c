// Scalar::to, the one conversion of a kernel's Scalar argument to an element
// type, against torch 2.13: each expectation is what torch gave for the same
// value converted to the same dtype (constant_pad_nd.out / full.out of two
// elements, which go through Scalar::to; "fails" is its "value cannot be
// converted to type ... without overflow").
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/common/scalar.h"

namespace ember {
namespace {

const Scalar kTrue = Scalar::of_bool(true);
Scalar i(int64_t v) { return Scalar::of_int(v); }
Scalar d(double v) { return Scalar::of_double(v); }

/// s.to<T>() converts, to `want`.
template <typename T>
::testing::AssertionResult gives(const Scalar& s, T want) {
  T got{};
  if (!s.to(&got)) return ::testing::AssertionFailure() << scalar_text(s).text << " did not fit";
  const double g = static_cast<double>(got), w = static_cast<double>(want);
  if (g == w || (std::isnan(g) && std::isnan(w))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << scalar_text(s).text << " gave " << g << ", want " << w;
}

/// s.to<T>() fails.
template <typename T>
bool fails(const Scalar& s) {
  T got{};
  return !s.to(&got);
}

TEST(Scalar, KeepsWhatTheProgramGave) {
  EXPECT_TRUE(kTrue.is_bool() && kTrue.is_integral());
  EXPECT_EQ(kTrue.dtype(), ScalarType::Bool);
  EXPECT_EQ(*static_cast<const bool*>(kTrue.data()), true);
  EXPECT_EQ(i(-7).dtype(), ScalarType::Long);
  EXPECT_EQ(*static_cast<const int64_t*>(i(-7).data()), -7);
  EXPECT_EQ(d(2.5).dtype(), ScalarType::Double);
  EXPECT_FALSE(d(2.0).is_integral());
  EXPECT_EQ(*static_cast<const double*>(d(2.5).data()), 2.5);
  EXPECT_EQ(kTrue.to_double(), 1.0);
  EXPECT_EQ(i(-7).to_double(), -7.0);
  EXPECT_EQ(Scalar().int_value(), 0);
  EXPECT_STREQ(scalar_text(d(0.25)).text, "0.25");
  EXPECT_STREQ(scalar_text(i(-3)).text, "-3");
  EXPECT_STREQ(scalar_text(kTrue).text, "true");
}

TEST(Scalar, ToBoolIsNonzero) {
  EXPECT_TRUE(gives<bool>(kTrue, true));
  EXPECT_TRUE(gives<bool>(Scalar::of_bool(false), false));
  EXPECT_TRUE(gives<bool>(i(-1), true));
  EXPECT_TRUE(gives<bool>(i(70000), true));
  EXPECT_TRUE(gives<bool>(i(0), false));
  EXPECT_TRUE(gives<bool>(d(0.5), true));
  EXPECT_TRUE(gives<bool>(d(-0.0), false));
  EXPECT_TRUE(gives<bool>(d(NAN), true));
  EXPECT_TRUE(gives<bool>(d(1e300), true));
}

TEST(Scalar, ToUint8WrapsNegativeIntsDownToMinusMax) {
  EXPECT_TRUE(gives<uint8_t>(kTrue, 1));
  EXPECT_TRUE(gives<uint8_t>(i(255), 255));
  EXPECT_TRUE(gives<uint8_t>(i(-1), 255));
  EXPECT_TRUE(gives<uint8_t>(i(-255), 1));
  EXPECT_TRUE(fails<uint8_t>(i(256)));
  EXPECT_TRUE(fails<uint8_t>(i(-256)));
  EXPECT_TRUE(fails<uint8_t>(i(std::numeric_limits<int64_t>::min())));
  // Doubles must lie in [0, 255] before they truncate: no wrapping.
  EXPECT_TRUE(gives<uint8_t>(d(0.5), 0));
  EXPECT_TRUE(gives<uint8_t>(d(2.5), 2));
  EXPECT_TRUE(gives<uint8_t>(d(255.0), 255));
  EXPECT_TRUE(fails<uint8_t>(d(255.7)));
  EXPECT_TRUE(fails<uint8_t>(d(-0.5)));
  EXPECT_TRUE(fails<uint8_t>(d(-1.0)));
  EXPECT_TRUE(fails<uint8_t>(d(NAN)));
  EXPECT_TRUE(fails<uint8_t>(d(INFINITY)));
}

TEST(Scalar, ToInt8AndInt64MustFit) {
  EXPECT_TRUE(gives<int8_t>(kTrue, 1));
  EXPECT_TRUE(gives<int8_t>(i(-128), -128));
  EXPECT_TRUE(gives<int8_t>(i(127), 127));
  EXPECT_TRUE(fails<int8_t>(i(128)));
  EXPECT_TRUE(fails<int8_t>(i(-129)));
  EXPECT_TRUE(fails<int8_t>(i(255)));
  EXPECT_TRUE(gives<int8_t>(d(-0.5), 0));
  EXPECT_TRUE(gives<int8_t>(d(-1.5), -1));
  EXPECT_TRUE(fails<int8_t>(d(127.9)));  // checked before it truncates, as torch
  EXPECT_TRUE(fails<int8_t>(d(-128.5)));
  EXPECT_TRUE(gives<int64_t>(i(std::numeric_limits<int64_t>::min()),
                             std::numeric_limits<int64_t>::min()));
  EXPECT_TRUE(gives<int64_t>(d(255.7), 255));
  EXPECT_TRUE(gives<int64_t>(d(-9223372036854775808.0), std::numeric_limits<int64_t>::min()));
  // 2^63 does not fit (torch lets it through to an undefined conversion).
  EXPECT_TRUE(fails<int64_t>(d(9223372036854775808.0)));
  EXPECT_TRUE(fails<int64_t>(d(1e300)));
  EXPECT_TRUE(fails<int64_t>(d(NAN)));
  EXPECT_TRUE(fails<int64_t>(d(-INFINITY)));
}

TEST(Scalar, ToHalfChecksItsFiniteRange) {
  EXPECT_TRUE(gives<Half>(kTrue, Half(1.0f)));
  EXPECT_TRUE(gives<Half>(i(-1), Half(-1.0f)));
  EXPECT_TRUE(gives<Half>(i(65504), Half(65504.0f)));
  EXPECT_TRUE(fails<Half>(i(65505)));  // an int too
  EXPECT_TRUE(fails<Half>(i(70000)));
  EXPECT_TRUE(gives<Half>(d(255.7), Half(255.75f)));
  EXPECT_TRUE(gives<Half>(d(65504.0), Half(65504.0f)));
  EXPECT_TRUE(fails<Half>(d(65504.5)));
  EXPECT_TRUE(fails<Half>(d(70000.0)));
  EXPECT_TRUE(fails<Half>(d(3.4e38)));
  EXPECT_TRUE(gives<Half>(d(INFINITY), Half(INFINITY)));
  EXPECT_TRUE(gives<Half>(d(NAN), Half(NAN)));
  EXPECT_TRUE(gives<BFloat16>(i(70000), BFloat16(70144.0f)));
  EXPECT_TRUE(fails<BFloat16>(d(3.4e38)));
}

TEST(Scalar, ToFloatChecksDoublesOnly) {
  EXPECT_TRUE(gives<float>(kTrue, 1.0f));
  EXPECT_TRUE(gives<float>(i(70000), 70000.0f));
  EXPECT_TRUE(gives<float>(i(std::numeric_limits<int64_t>::max()), 9.223372036854776e18f));
  EXPECT_TRUE(gives<float>(d(255.7), 255.7f));
  EXPECT_TRUE(gives<float>(d(3.4028234663852886e38), std::numeric_limits<float>::max()));
  EXPECT_TRUE(fails<float>(d(3.5e38)));
  EXPECT_TRUE(fails<float>(d(-1e300)));
  EXPECT_TRUE(gives<float>(d(-INFINITY), -INFINITY));
  EXPECT_TRUE(gives<float>(d(NAN), NAN));
  EXPECT_TRUE(gives<double>(d(1e300), 1e300));
}

}  // namespace
}  // namespace ember
