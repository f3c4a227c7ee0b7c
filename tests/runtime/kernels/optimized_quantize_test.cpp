// The optimized per-tensor quantize and dequantize (optimized/op_quantize.cpp)
// against the portable kernels, which compute what PyTorch computes: equal
// bytes and equal floats on every instruction set the CPU has, at 1 and 2
// threads, including ties (x.5 rounds to even), values out of range, NaN
// and infinities; both overloads, int8 and uint8, and the registry picks
// the optimized kernel for these dtypes (and the portable one for others).
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr ScalarType kF = ScalarType::Float;

Error call(KernelFn fn, std::vector<EValue*> args) {
  KernelContext ctx(nullptr, 0);
  fn(ctx, Span<EValue*>(args.data(), args.size()));
  return ctx.error();
}

/// Floats with ties at the given scale, values far out of range, NaN, inf.
std::vector<float> awkward_floats(int64_t n, float scale, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-300.0f * scale, 300.0f * scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = dist(gen);
  for (int64_t i = 0; i + 7 < n; i += 37) {
    v[i] = (static_cast<float>(i % 11) - 5.5f) * scale;  // ties: x / scale = k + 0.5
    v[i + 1] = NAN;
    v[i + 2] = INFINITY;
    v[i + 3] = -INFINITY;
    v[i + 4] = -0.0f;
  }
  return v;
}

class OptimizedQuantize : public OptimizedKernelTest {
 protected:
  template <typename Body>
  void each_config(const Body& body) {
    for (optimized::Isa isa : {optimized::Isa::generic, optimized::Isa::avx2,
                               optimized::Isa::avx512, optimized::Isa::neon}) {
      if (!optimized::set_isa(isa)) continue;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        body(std::string(optimized::isa_name(isa)) + ", " + std::to_string(threads) + " threads");
      }
    }
  }
};

TEST_F(OptimizedQuantize, QuantizeMatchesPortableBytes) {
  // 200003 elements: several chunks on the pool, and a vector tail.
  for (ScalarType q : {ScalarType::Char, ScalarType::Byte}) {
    const int64_t lo = q == ScalarType::Byte ? 0 : -128, hi = lo + 255;
    const int64_t zp = q == ScalarType::Byte ? 131 : -3;
    const double scale = 0.0375;
    TensorPtr x = make_f({200003}, awkward_floats(200003, static_cast<float>(scale), 7));
    TensorPtr want = make(q, {200003});
    Values v;
    ASSERT_EQ(call(&portable::quantize_per_tensor_out,
                   {x->ev(), v.real(scale), v.integer(zp), v.integer(lo + 1), v.integer(hi - 2),
                    v.integer(static_cast<int64_t>(q)), want->ev(), want->ev()}),
              Error::Ok);
    each_config([&](const std::string& label) {
      TensorPtr got = make(q, {200003});
      ASSERT_EQ(call(&optimized::quantize_per_tensor_out,
                     {x->ev(), v.real(scale), v.integer(zp), v.integer(lo + 1), v.integer(hi - 2),
                      v.integer(static_cast<int64_t>(q)), got->ev(), got->ev()}),
                Error::Ok);
      ASSERT_EQ(std::memcmp(got->t().data(), want->t().data(), 200003), 0) << label;
    });
  }
}

TEST_F(OptimizedQuantize, DequantizeMatchesPortable) {
  for (ScalarType q : {ScalarType::Char, ScalarType::Byte}) {
    TensorPtr x = make(q, {1001});
    for (int i = 0; i < 1001; ++i) x->t().data_as<uint8_t>()[i] = static_cast<uint8_t>(i * 7);
    const int64_t zp = q == ScalarType::Byte ? 128 : 5;
    const int64_t lo = q == ScalarType::Byte ? 0 : -128;
    TensorPtr want = make(kF, {1001});
    Values v;
    ASSERT_EQ(call(&portable::dequantize_per_tensor_out,
                   {x->ev(), v.real(0.02), v.integer(zp), v.integer(lo), v.integer(lo + 255),
                    v.integer(static_cast<int64_t>(q)), v.none(), want->ev(), want->ev()}),
              Error::Ok);
    each_config([&](const std::string& label) {
      TensorPtr got = make(kF, {1001});
      ASSERT_EQ(call(&optimized::dequantize_per_tensor_out,
                     {x->ev(), v.real(0.02), v.integer(zp), v.integer(lo), v.integer(lo + 255),
                      v.integer(static_cast<int64_t>(q)), v.none(), got->ev(), got->ev()}),
                Error::Ok);
      ASSERT_EQ(std::memcmp(got->t().data(), want->t().data(), 1001 * sizeof(float)), 0) << label;
    });
  }
}

TEST_F(OptimizedQuantize, TensorOverloadsReadTheirOneElementParameters) {
  // PT2E's dynamic quantization: a float64 scale and int64 zero point of one element.
  TensorPtr x = make_f({333}, awkward_floats(333, 0.01f, 3));
  TensorPtr scale = make_typed<double>(ScalarType::Double, {1}, {0.01});
  TensorPtr zp = make_typed<int64_t>(ScalarType::Long, {1}, {-7});
  Values v;
  TensorPtr want = make(ScalarType::Char, {333}), got = make(ScalarType::Char, {333});
  std::vector<EValue*> tail = {v.integer(-128), v.integer(127), v.integer(1)};
  ASSERT_EQ(call(&portable::quantize_per_tensor_tensor_out,
                 {x->ev(), scale->ev(), zp->ev(), tail[0], tail[1], tail[2], want->ev(),
                  want->ev()}),
            Error::Ok);
  ASSERT_EQ(call(&optimized::quantize_per_tensor_tensor_out,
                 {x->ev(), scale->ev(), zp->ev(), tail[0], tail[1], tail[2], got->ev(), got->ev()}),
            Error::Ok);
  EXPECT_EQ(std::memcmp(got->t().data(), want->t().data(), 333), 0);
  TensorPtr back_want = make(kF, {333}), back_got = make(kF, {333});
  ASSERT_EQ(call(&portable::dequantize_per_tensor_tensor_out,
                 {got->ev(), scale->ev(), zp->ev(), tail[0], tail[1], tail[2], v.none(),
                  back_want->ev(), back_want->ev()}),
            Error::Ok);
  ASSERT_EQ(call(&optimized::dequantize_per_tensor_tensor_out,
                 {got->ev(), scale->ev(), zp->ev(), tail[0], tail[1], tail[2], v.none(),
                  back_got->ev(), back_got->ev()}),
            Error::Ok);
  EXPECT_EQ(std::memcmp(back_got->t().data(), back_want->t().data(), 333 * sizeof(float)), 0);
}

TEST_F(OptimizedQuantize, BadParametersAreReportedAsThePortableKernelDoes) {
  TensorPtr x = make_f({4}, {1, 2, 3, 4});
  TensorPtr out = make(ScalarType::Char, {4});
  Values v;
  LogCapture log;
  EXPECT_EQ(call(&optimized::quantize_per_tensor_out,
                 {x->ev(), v.real(-1.0), v.integer(0), v.integer(-128), v.integer(127),
                  v.integer(1), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("scale -1 must be positive and finite"));
}

TEST_F(OptimizedQuantize, RegistryPicksTheOptimizedKernelForInt8) {
  const ScalarType q[] = {kF, ScalarType::Char, ScalarType::Char};
  EXPECT_EQ(find_kernel("quantized_decomposed::quantize_per_tensor.out",
                        Span<const ScalarType>(q, 3)),
            &optimized::quantize_per_tensor_out);
  const ScalarType half[] = {ScalarType::Half, ScalarType::Char, ScalarType::Char};
  EXPECT_EQ(find_kernel("quantized_decomposed::quantize_per_tensor.out",
                        Span<const ScalarType>(half, 3)),
            &portable::quantize_per_tensor_out);
}

}  // namespace
}  // namespace test
}  // namespace ember
