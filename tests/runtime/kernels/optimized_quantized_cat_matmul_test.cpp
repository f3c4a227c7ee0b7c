// The optimized quantized_cat and quantized_matmul against the portable
// ones, and both against the dequantize -> float op -> quantize chain they
// replace (portable dequantize, cat or bmm, quantize):
//   quantized_cat: the same bytes everywhere (a copy on shared parameters,
//     a 256-entry table otherwise, both the reference's float32 steps), on
//     int8 and uint8, dims first, middle and last, with a relu's clamp;
//   quantized_matmul: the optimized chain's bits (optimized dequantize,
//     aten::bmm.out, quantize: the same GEMM), and within one output step of
//     the portable kernel (double sums) and of a plain float32 chain, equal
//     on most values; depths of a few and of a thousand, uint8 and int8,
//     batches, 2-d and 4-d.
// On every instruction set this CPU runs, at 1 and 2 threads; the registry's
// keys; and a call that does not fit fails, never crashes.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <tuple>
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
  static std::vector<uint8_t> temp(1 << 22);
  KernelContext ctx(temp.data(), temp.size());
  fn(ctx, Span<EValue*>(args.data(), args.size()));
  return ctx.error();
}

/// The values of a quantized tensor as ints.
std::vector<int> values(TestTensor& t) {
  std::vector<int> out;
  for (int64_t i = 0; i < t.t().numel(); ++i) {
    out.push_back(t.t().dtype() == kU8 ? t.t().data_as<const uint8_t>()[i]
                                       : t.t().data_as<const int8_t>()[i]);
  }
  return out;
}

/// A float[] argument (Values has no DoubleList).
struct Doubles {
  explicit Doubles(std::vector<double> items) : items_(std::move(items)) {
    value_.tag = Tag::DoubleList;
    value_.payload.as_double_list.items = items_.data();
    value_.payload.as_double_list.size = items_.size();
  }
  EValue* ev() { return &value_; }

 private:
  std::vector<double> items_;
  EValue value_;
};

TensorPtr dequantize(TestTensor& x, double scale, int zp, Values& v) {
  const bool u8 = x.t().dtype() == kU8;
  std::vector<int32_t> shape(x.t().sizes().begin(), x.t().sizes().end());
  auto f = make(ScalarType::Float, shape);
  EXPECT_EQ(call(&portable::dequantize_per_tensor_out,
                 {x.ev(), v.real(scale), v.integer(zp), v.integer(u8 ? 0 : -128),
                  v.integer(u8 ? 255 : 127), v.integer(static_cast<int64_t>(x.t().dtype())),
                  v.none(), f->ev(), f->ev()}),
            Error::Ok);
  return f;
}

void quantize(TestTensor& f, double scale, int zp, int qmin, int qmax, TestTensor& out,
              Values& v) {
  EXPECT_EQ(call(&portable::quantize_per_tensor_out,
                 {f.ev(), v.real(scale), v.integer(zp), v.integer(qmin), v.integer(qmax),
                  v.integer(static_cast<int64_t>(out.t().dtype())), out.ev(), out.ev()}),
            Error::Ok);
}

class OptimizedQuantizedCatMatmul : public OptimizedKernelTest {};

TEST_F(OptimizedQuantizedCatMatmul, Registered) {
  const ScalarType i8[4] = {kI8, kI8, kI8, kI8}, u8[4] = {kU8, kU8, kU8, kU8};
  EXPECT_EQ(find_kernel("ember::quantized_cat.out", i8), &optimized::quantized_cat_out);
  EXPECT_EQ(find_kernel("ember::quantized_matmul.out", u8), &optimized::quantized_matmul_out);
  const ScalarType mixed[4] = {kU8, kI8, kI8, kI8};
  EXPECT_EQ(find_kernel("ember::quantized_matmul.out", mixed), &portable::quantized_matmul_out);
}

TEST_F(OptimizedQuantizedCatMatmul, CatIsTheChainsBytes) {
  using Shape = std::vector<int32_t>;
  struct Case {
    std::vector<Shape> in;
    int64_t dim;
    Shape out;
  };
  const Case cases[] = {
      {{{1, 4, 6, 6}, {1, 6, 6, 6}}, 1, {1, 10, 6, 6}},        // two branches, NCHW
      {{{2, 5, 5, 16}, {2, 5, 5, 24}, {2, 5, 5, 8}}, -1, {2, 5, 5, 48}},  // NHWC channels
      {{{3, 7}, {2, 7}}, 0, {5, 7}},
      {{{4, 1, 3}, {4, 9, 3}}, 1, {4, 10, 3}},
  };
  each_config([&](const std::string& config) {
    uint32_t seed = 3;
    for (ScalarType t : {kI8, kU8}) {
      for (const Case& c : cases) {
        for (int variant = 0; variant < 3; ++variant) {  // shared, own scales, shared + relu
          Values v;
          const int zo = t == kU8 ? 125 : -3;
          const int qmin = variant == 2 ? zo : (t == kU8 ? 0 : -128), qmax = t == kU8 ? 255 : 127;
          std::vector<TensorPtr> in;
          std::vector<TestTensor*> list;
          std::vector<double> scales;
          std::vector<int64_t> zps;
          for (size_t i = 0; i < c.in.size(); ++i) {
            in.push_back(random_bytes(t, c.in[i], seed++));
            list.push_back(in.back().get());
            scales.push_back(variant == 1 ? 0.011 * static_cast<double>(i + 1) : 0.02);
            zps.push_back(variant == 1 ? zo + static_cast<int>(i) * 5 : zo);
          }
          Doubles s(scales);
          auto out = make(t, c.out), ref = make(t, c.out), chain = make(t, c.out);
          auto args = [&](TestTensor* o) {
            return std::vector<EValue*>{v.tensors(list), s.ev(), v.ints(zps), v.integer(c.dim),
                                        v.real(0.02), v.integer(zo), v.integer(qmin),
                                        v.integer(qmax), o->ev(), o->ev()};
          };
          const std::string label = config + ", case " + std::to_string(&c - cases) +
                                    ", variant " + std::to_string(variant);
          ASSERT_EQ(call(&optimized::quantized_cat_out, args(out.get())), Error::Ok) << label;
          ASSERT_EQ(call(&portable::quantized_cat_out, args(ref.get())), Error::Ok) << label;
          EXPECT_EQ(values(*out), values(*ref)) << label;
          std::vector<TensorPtr> floats;
          std::vector<TestTensor*> float_list;
          for (size_t i = 0; i < in.size(); ++i) {
            floats.push_back(dequantize(*in[i], scales[i], static_cast<int>(zps[i]), v));
            float_list.push_back(floats.back().get());
          }
          auto cf = make(ScalarType::Float, c.out);
          ASSERT_EQ(call(&portable::cat_out, {v.tensors(float_list), v.integer(c.dim), cf->ev(),
                                              cf->ev()}),
                    Error::Ok);
          quantize(*cf, 0.02, zo, qmin, qmax, *chain, v);
          EXPECT_EQ(values(*out), values(*chain)) << label << " (the float chain)";
        }
      }
    }
  });
}

TEST_F(OptimizedQuantizedCatMatmul, MatmulMatchesTheChains) {
  using Shape = std::vector<int32_t>;
  struct Case {
    Shape a, b, out;
  };
  const Case cases[] = {
      {{2, 5, 16}, {2, 16, 5}, {2, 5, 5}},           // Q @ K^T
      {{2, 5, 5}, {2, 5, 16}, {2, 5, 16}},           // P @ V
      {{3, 7}, {7, 300}, {3, 300}},                  // mm, two blocks of columns
      {{1, 2, 9, 1100}, {1, 2, 1100, 4}, {1, 2, 9, 4}},  // deep, 4-d
      {{3, 40, 1000}, {3, 1000, 33}, {3, 40, 33}},       // deep, several GEMM tiles
  };
  each_config([&](const std::string& config) {
    uint32_t seed = 17;
    for (ScalarType t : {kI8, kU8}) {
      for (const Case& c : cases) {
        for (bool relu : {false, true}) {
          Values v;
          auto a = random_bytes(t, c.a, seed++), b = random_bytes(t, c.b, seed++);
          auto out = make(t, c.out), ref = make(t, c.out);
          const int za = t == kU8 ? 131 : -3, zb = t == kU8 ? 7 : 20, zo = t == kU8 ? 120 : -7;
          const int qmin = relu ? zo : (t == kU8 ? 0 : -128), qmax = t == kU8 ? 255 : 127;
          const int64_t depth = c.a.back();
          const double sa = 0.037, sb = 0.011, so = 0.05 * std::sqrt(static_cast<double>(depth));
          auto args = [&](TestTensor* o) {
            return std::vector<EValue*>{a->ev(), v.real(sa), v.integer(za), b->ev(),
                                        v.real(sb), v.integer(zb), v.real(so), v.integer(zo),
                                        v.integer(qmin), v.integer(qmax), o->ev(), o->ev()};
          };
          const std::string label = config + ", case " + std::to_string(&c - cases);
          ASSERT_EQ(call(&optimized::quantized_matmul_out, args(out.get())), Error::Ok) << label;
          ASSERT_EQ(call(&portable::quantized_matmul_out, args(ref.get())), Error::Ok) << label;
          // The chain in plain float32: dequantize both, sum the products in
          // order, quantize_per_tensor (round half to even of y * (1 / so)).
          const int rank = static_cast<int>(c.a.size());
          int64_t batch = 1;
          for (int d = 0; d + 2 < rank; ++d) batch *= c.a[d];
          const int64_t m = c.a[rank - 2], k = c.a[rank - 1], n = c.b[rank - 1];
          const std::vector<int> qa = values(*a), qb = values(*b);
          std::vector<int> f;
          const float inv = static_cast<float>(1.0 / so);
          for (int64_t g = 0; g < batch; ++g) {
            for (int64_t i = 0; i < m; ++i) {
              for (int64_t j = 0; j < n; ++j) {
                float y = 0.0f;
                for (int64_t p = 0; p < k; ++p) {
                  const float x = (static_cast<float>(qa[(g * m + i) * k + p]) - za) *
                                  static_cast<float>(sa);
                  const float w = (static_cast<float>(qb[(g * k + p) * n + j]) - zb) *
                                  static_cast<float>(sb);
                  y += x * w;
                }
                const float q = std::nearbyint(y * inv) + static_cast<float>(zo);
                f.push_back(static_cast<int>(std::min(std::max(q, static_cast<float>(qmin)),
                                                      static_cast<float>(qmax))));
              }
            }
          }
          if (rank == 3) {  // the chain it replaces, on the optimized kernels
            auto ao = make(ScalarType::Float, c.a), bo = make(ScalarType::Float, c.b);
            auto po = make(ScalarType::Float, c.out), chain = make(t, c.out);
            const bool u8 = t == kU8;
            for (auto [q, fo, sc, zp] : {std::make_tuple(a.get(), ao.get(), sa, za),
                                         std::make_tuple(b.get(), bo.get(), sb, zb)}) {
              ASSERT_EQ(call(&optimized::dequantize_per_tensor_out,
                             {q->ev(), v.real(sc), v.integer(zp), v.integer(u8 ? 0 : -128),
                              v.integer(u8 ? 255 : 127), v.integer(static_cast<int64_t>(t)),
                              v.none(), fo->ev(), fo->ev()}),
                        Error::Ok);
            }
            ASSERT_EQ(call(&optimized::bmm_out, {ao->ev(), bo->ev(), po->ev(), po->ev()}),
                      Error::Ok);
            ASSERT_EQ(call(&optimized::quantize_per_tensor_out,
                           {po->ev(), v.real(so), v.integer(zo), v.integer(qmin), v.integer(qmax),
                            v.integer(static_cast<int64_t>(t)), chain->ev(), chain->ev()}),
                      Error::Ok);
            EXPECT_EQ(values(*out), values(*chain)) << label << " (the optimized chain)";
          }
          const std::vector<int> got = values(*out), want = values(*ref);
          int64_t differ = 0;
          for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_LE(std::abs(got[i] - want[i]), 1) << label << " at " << i;
            ASSERT_LE(std::abs(got[i] - f[i]), 1) << label << " at " << i << " (the float chain)";
            differ += got[i] != want[i];
          }
          EXPECT_LE(differ * 100, static_cast<int64_t>(got.size())) << label;  // under 1%
        }
      }
    }
  });
}

TEST_F(OptimizedQuantizedCatMatmul, CallsThatDoNotFitFail) {
  Values v;
  auto a = random_bytes(kI8, {2, 3, 4}, 1), b = random_bytes(kI8, {2, 5, 2}, 2);
  auto out = make(kI8, {2, 3, 2});
  for (KernelFn fn : {&optimized::quantized_matmul_out, &portable::quantized_matmul_out}) {
    EXPECT_EQ(call(fn, {a->ev(), v.real(0.1), v.integer(0), b->ev(), v.real(0.1), v.integer(0),
                        v.real(0.1), v.integer(0), v.integer(-128), v.integer(127), out->ev(),
                        out->ev()}),
              Error::InvalidArgument);
  }
  auto c = random_bytes(kI8, {2, 4}, 3), d = random_bytes(kU8, {2, 4}, 4);
  auto cat_out = make(kI8, {4, 4});
  Doubles s({0.1, 0.1});
  for (KernelFn fn : {&optimized::quantized_cat_out, &portable::quantized_cat_out}) {
    // int8 and uint8 inputs; then a zero point outside int8.
    EXPECT_EQ(call(fn, {v.tensors({c.get(), d.get()}), s.ev(), v.ints({0, 0}), v.integer(0),
                        v.real(0.1), v.integer(0), v.integer(-128), v.integer(127),
                        cat_out->ev(), cat_out->ev()}),
              Error::InvalidArgument);
    EXPECT_EQ(call(fn, {v.tensors({c.get(), c.get()}), s.ev(), v.ints({0, 300}), v.integer(0),
                        v.real(0.1), v.integer(0), v.integer(-128), v.integer(127),
                        cat_out->ev(), cat_out->ev()}),
              Error::InvalidArgument);
  }
}

}  // namespace
}  // namespace test
}  // namespace ember
