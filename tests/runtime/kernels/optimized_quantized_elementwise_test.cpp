// The optimized elementwise quantized kernels against the portable ones,
// which compute what eager PyTorch's dequantize -> float op -> quantize
// chain computes:
//   quantized_mul: equal everywhere (the same float32 steps), on operands of
//     one shape and on a channel gate [N, 1, 1, C] times [N, H, W, C] (either
//     side; channels more than one chunk, odd pixel counts), with and
//     without a relu's clamp; other broadcasts are the portable kernel's;
//   quantized_mean: equal everywhere to the portable kernel, and to the
//     optimized dequantize -> aten::mean -> quantize chain it replaces over
//     middle dims (channels-last pooling: both sum in double, exactly);
//   quantized_lut: equal everywhere (a byte lookup), on sizes around the
//     64-byte vector and the pool's chunk, int8 and uint8 on both sides.
// quantized_mul is also the same bits as its optimized float chain.
// On every instruction set this CPU runs (avx512 takes the VBMI lookup where
// the CPU has it), at 1 and 2 threads; and the registry's keys.
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr ScalarType kI8 = ScalarType::Char, kU8 = ScalarType::Byte;

Error call(KernelFn fn, std::vector<EValue*> args) {
  KernelContext ctx(nullptr, 0);  // neither kernel needs scratch memory
  fn(ctx, Span<EValue*>(args.data(), args.size()));
  return ctx.error();
}

std::vector<uint8_t> bytes(TestTensor& t) {
  const uint8_t* p = t.t().data_as<const uint8_t>();
  return std::vector<uint8_t>(p, p + t.t().numel());
}

class OptimizedQuantizedElementwise : public OptimizedKernelTest {};

TEST_F(OptimizedQuantizedElementwise, Registered) {
  const ScalarType i8[4] = {kI8, kI8, kI8, kI8}, u8[4] = {kU8, kU8, kU8, kU8};
  EXPECT_EQ(find_kernel("ember::quantized_mul.out", i8), &optimized::quantized_mul_out);
  EXPECT_EQ(find_kernel("ember::quantized_mul.out", u8), &optimized::quantized_mul_out);
  const ScalarType mixed[4] = {kU8, kI8, kU8, kU8};
  EXPECT_EQ(find_kernel("ember::quantized_mul.out", mixed), &portable::quantized_mul_out);
  const ScalarType mean[3] = {kI8, kI8, kI8};
  EXPECT_EQ(find_kernel("ember::quantized_mean.out", mean), &optimized::quantized_mean_out);
  const ScalarType lut[4] = {kI8, kU8, kU8, kU8};
  EXPECT_EQ(find_kernel("ember::quantized_lut.out", lut), &optimized::quantized_lut_out);
}

/// The optimized float chain a fold replaces: dequantize_per_tensor of x.
TensorPtr dequantize(TestTensor& x, const std::vector<int32_t>& shape, double scale, int zp,
                     Values& v) {
  const bool u8 = x.t().dtype() == kU8;
  auto f = make(ScalarType::Float, shape);
  EXPECT_EQ(call(&optimized::dequantize_per_tensor_out,
                 {x.ev(), v.real(scale), v.integer(zp), v.integer(u8 ? 0 : -128),
                  v.integer(u8 ? 255 : 127), v.integer(static_cast<int64_t>(x.t().dtype())),
                  v.none(), f->ev(), f->ev()}),
            Error::Ok);
  return f;
}

/// ... and its quantize_per_tensor into `out`.
void quantize(TestTensor& f, double scale, int zp, int qmin, int qmax, TestTensor& out,
              Values& v) {
  EXPECT_EQ(call(&optimized::quantize_per_tensor_out,
                 {f.ev(), v.real(scale), v.integer(zp), v.integer(qmin), v.integer(qmax),
                  v.integer(static_cast<int64_t>(out.t().dtype())), out.ev(), out.ev()}),
            Error::Ok);
}

/// quantized_mul(a, b) by both kernels, for one configuration.
void expect_mul_matches(ScalarType t, const std::vector<int32_t>& sa,
                        const std::vector<int32_t>& sb, const std::vector<int32_t>& so, bool relu,
                        uint32_t seed, const std::string& label) {
  Values v;
  auto a = random_bytes(t, sa, seed), b = random_bytes(t, sb, seed + 1);
  auto out = make(t, so), ref = make(t, so);
  const int za = t == kU8 ? 131 : -3, zb = t == kU8 ? 0 : -128, zo = t == kU8 ? 120 : -7;
  const int qmin = relu ? zo : (t == kU8 ? 0 : -128), qmax = t == kU8 ? 255 : 127;
  auto args = [&](TestTensor* o) {
    return std::vector<EValue*>{a->ev(), v.real(0.037), v.integer(za), b->ev(),
                                v.real(0.0039), v.integer(zb), v.real(0.09),
                                v.integer(zo), v.integer(qmin), v.integer(qmax),
                                o->ev(), o->ev()};
  };
  ASSERT_EQ(call(&optimized::quantized_mul_out, args(out.get())), Error::Ok) << label;
  ASSERT_EQ(call(&portable::quantized_mul_out, args(ref.get())), Error::Ok) << label;
  EXPECT_EQ(bytes(*out), bytes(*ref)) << label;
  // The chain: dequantize both, aten::mul, quantize.
  auto af = dequantize(*a, sa, 0.037, za, v), bf = dequantize(*b, sb, 0.0039, zb, v);
  auto pf = make(ScalarType::Float, so), chain = make(t, so);
  ASSERT_EQ(call(&optimized::mul_out, {af->ev(), bf->ev(), pf->ev(), pf->ev()}), Error::Ok);
  quantize(*pf, 0.09, zo, qmin, qmax, *chain, v);
  EXPECT_EQ(bytes(*out), bytes(*chain)) << label << " (the float chain)";
}

TEST_F(OptimizedQuantizedElementwise, MulMatchesPortable) {
  using Shape = std::vector<int32_t>;
  struct Case {
    Shape a, b, out;
  };
  const Case cases[] = {
      {{1}, {1}, {1}},
      {{3, 17}, {3, 17}, {3, 17}},
      {{2, 33, 9, 9}, {2, 33, 9, 9}, {2, 33, 9, 9}},
      {{1, 28, 28, 96}, {1, 1, 1, 96}, {1, 28, 28, 96}},  // the gate (other)
      {{1, 1, 1, 96}, {1, 28, 28, 96}, {1, 28, 28, 96}},  // the gate (self)
      {{2, 7, 5, 300}, {2, 1, 1, 300}, {2, 7, 5, 300}},   // two chunks of channels, two batches
      {{1, 3, 1000}, {1, 1, 1000}, {1, 3, 1000}},
      {{3, 17}, {17}, {3, 17}},                           // the portable kernel's
      {{2, 4, 4, 8}, {1, 4, 1, 8}, {2, 4, 4, 8}},         // likewise
  };
  each_config([&](const std::string& config) {
    uint32_t seed = 7;
    for (ScalarType t : {kI8, kU8}) {
      for (const Case& c : cases) {
        for (bool relu : {false, true}) {
          expect_mul_matches(t, c.a, c.b, c.out, relu, seed, config);
          seed += 2;
        }
      }
    }
  });
}

TEST_F(OptimizedQuantizedElementwise, MeanMatchesPortableAndTheFloatChain) {
  using Shape = std::vector<int32_t>;
  struct Case {
    Shape in;
    std::vector<int64_t> dims;
    bool keepdim;
    Shape out;
    bool middle;  // aten::mean's optimized kernel sums these in double too
  };
  const Case cases[] = {
      {{1, 14, 14, 96}, {1, 2}, true, {1, 1, 1, 96}, true},       // EfficientNet's pool
      {{2, 7, 7, 300}, {2, 1}, false, {2, 300}, true},            // two chunks of channels
      {{4, 6}, {0}, false, {6}, true},
      {{3, 50}, {-1}, true, {3, 1}, false},                       // trailing
      {{2, 5, 6, 7}, {2, 3}, false, {2, 5}, false},
      {{2, 5, 6, 7}, {1, 3}, false, {2, 6}, false},               // not a run: portable
  };
  each_config([&](const std::string& config) {
    uint32_t seed = 11;
    for (ScalarType t : {kI8, kU8}) {
      for (const Case& c : cases) {
        for (bool relu : {false, true}) {
          Values v;
          auto x = random_bytes(t, c.in, seed++);
          auto out = make(t, c.out), ref = make(t, c.out), chain = make(t, c.out);
          const int zp = t == kU8 ? 127 : -2, zo = t == kU8 ? 125 : 0;
          const int qmin = relu ? zo : (t == kU8 ? 0 : -128), qmax = t == kU8 ? 255 : 127;
          auto args = [&](TestTensor* o) {
            return std::vector<EValue*>{x->ev(), v.real(0.043), v.integer(zp), v.ints(c.dims),
                                        v.boolean(c.keepdim), v.real(0.0061), v.integer(zo),
                                        v.integer(qmin), v.integer(qmax), o->ev(), o->ev()};
          };
          const std::string label = config + ", case " + std::to_string(&c - cases);
          ASSERT_EQ(call(&optimized::quantized_mean_out, args(out.get())), Error::Ok) << label;
          ASSERT_EQ(call(&portable::quantized_mean_out, args(ref.get())), Error::Ok) << label;
          EXPECT_EQ(bytes(*out), bytes(*ref)) << label;
          if (!c.middle) continue;
          auto xf = dequantize(*x, c.in, 0.043, zp, v);
          auto mf = make(ScalarType::Float, c.out);
          ASSERT_EQ(call(&optimized::mean_out, {xf->ev(), v.ints(c.dims), v.boolean(c.keepdim),
                                                v.none(), mf->ev(), mf->ev()}),
                    Error::Ok);
          quantize(*mf, 0.0061, zo, qmin, qmax, *chain, v);
          EXPECT_EQ(bytes(*out), bytes(*chain)) << label << " (the float chain)";
        }
      }
    }
  });
}

TEST_F(OptimizedQuantizedElementwise, LutMatchesPortable) {
  each_config([&](const std::string& config) {
    uint32_t seed = 3;
    for (ScalarType in_t : {kI8, kU8}) {
      for (ScalarType table_t : {kI8, kU8}) {
        for (int32_t n : {1, 31, 32, 33, 63, 64, 65, 70001, 200003}) {
          auto x = random_bytes(in_t, {n}, seed++);
          auto table = random_bytes(table_t, {256}, seed++);
          auto out = make(table_t, {n}), ref = make(table_t, {n});
          auto args = [&](TestTensor* o) {
            return std::vector<EValue*>{x->ev(), table->ev(), o->ev(), o->ev()};
          };
          ASSERT_EQ(call(&optimized::quantized_lut_out, args(out.get())), Error::Ok);
          ASSERT_EQ(call(&portable::quantized_lut_out, args(ref.get())), Error::Ok);
          EXPECT_EQ(bytes(*out), bytes(*ref)) << config << ", n = " << n;
        }
      }
    }
  });
}

}  // namespace
}  // namespace test
}  // namespace ember
