// ExecuTorch's quantized embeddings (quantized_decomposed::embedding_byte /
// 4bit / 2bit): the portable kernels against ET's Python semantics written
// out here (unpack, (q - zp) * scale per group, in float32), and the
// optimized kernels (lowbit::embedding, scalar and AVX2 rows) against the
// portable ones: equal floats for every table format, group size (with
// vector tails), zero points or none, int64 and int32 indices, at 1 and 2
// threads. An index outside the table fails the call, naming the op and the
// index, before anything is written.
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/half.h"
#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/lowbit/lowbit.h"
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

/// A random table of `bits`-bit values [v, d] in ET's storage, with the
/// values it stands for.
struct Table {
  int bits = 4;
  int64_t v = 0, d = 0, groups = 1;
  std::vector<int> values;       ///< [v, d], the unpacked values
  std::vector<uint8_t> stored;   ///< ET's bytes
  std::vector<float> scales, zps;

  Table(int bits_, int64_t v_, int64_t d_, int64_t groups_, bool with_zp, uint32_t seed)
      : bits(bits_), v(v_), d(d_), groups(groups_) {
    std::mt19937 gen(seed);
    const int lo = bits == 8 ? -128 : -(1 << (bits - 1)), hi = -lo - 1;
    std::uniform_int_distribution<int> q(lo, hi);
    std::uniform_real_distribution<float> s(0.001f, 0.1f);
    for (int64_t i = 0; i < v * d; ++i) values.push_back(q(gen));
    for (int64_t i = 0; i < v * groups; ++i) {
      scales.push_back(s(gen));
      zps.push_back(with_zp ? static_cast<float>(q(gen)) : 0.0f);
    }
    if (!with_zp) zps.clear();
    const int per_byte = 8 / bits;
    stored.assign(static_cast<size_t>(v * d / per_byte), 0);
    for (int64_t i = 0; i < v * d; ++i) {
      const uint8_t u = static_cast<uint8_t>(values[i] + (bits == 8 ? 0 : -lo));
      if (bits == 8) stored[i] = u;
      else if (bits == 4) stored[i / 2] |= (i % 2 == 0) ? static_cast<uint8_t>(u << 4) : u;
      else stored[i / 4] |= static_cast<uint8_t>(u << (2 * (i % 4)));
    }
  }

  /// ET's reference for row r: (q - zp) * scale in float32.
  float expected(int64_t r, int64_t p) const {
    const int64_t g = r * groups + p / (d / groups);
    const float z = zps.empty() ? 0.0f : zps[g];
    return (static_cast<float>(values[r * d + p]) - z) * scales[g];
  }
};

struct Kernels {
  KernelFn portable, optimized;
  const char* name;
};

Kernels kernels_for(int bits) {
  switch (bits) {
    case 4:
      return {&portable::embedding_4bit_out, &optimized::embedding_4bit_out,
              "quantized_decomposed::embedding_4bit.out"};
    case 2:
      return {&portable::embedding_2bit_out, &optimized::embedding_2bit_out,
              "quantized_decomposed::embedding_2bit.out"};
    default:
      return {&portable::embedding_byte_out, &optimized::embedding_byte_out,
              "quantized_decomposed::embedding_byte.out"};
  }
}

class QuantizedEmbedding : public OptimizedKernelTest {
 protected:
  void TearDown() override {
    lowbit::set_isa(lowbit_isa_);
    OptimizedKernelTest::TearDown();
  }

  /// Runs `fn` on the table with indices [2, n / 2] into a fresh out.
  std::vector<float> lookup(KernelFn fn, const Table& t, ScalarType idx_type,
                            const std::vector<int64_t>& idx, Error* err) {
    const int per_byte = 8 / t.bits;
    const ScalarType wt = t.bits == 8 ? ScalarType::Char : ScalarType::Byte;
    TensorPtr w = make(wt, {static_cast<int32_t>(t.v), static_cast<int32_t>(t.d / per_byte)});
    std::memcpy(w->t().mutable_data(), t.stored.data(), t.stored.size());
    TensorPtr s = make_f({static_cast<int32_t>(t.v), static_cast<int32_t>(t.groups)}, t.scales);
    TensorPtr z = t.zps.empty() ? nullptr
                                : make_f({static_cast<int32_t>(t.v), static_cast<int32_t>(t.groups)},
                                         t.zps);
    const int32_t half = static_cast<int32_t>(idx.size() / 2);
    TensorPtr i = idx_type == ScalarType::Long
                      ? make_typed<int64_t>(ScalarType::Long, {2, half}, idx)
                      : make_typed<int32_t>(ScalarType::Int, {2, half},
                                            std::vector<int32_t>(idx.begin(), idx.end()));
    TensorPtr out = make_dynamic(kF, 3, static_cast<int64_t>(idx.size()) * t.d);
    for (int64_t k = 0; k < out->t().numel(); ++k) out->t().data_as<float>()[k] = -7.0f;
    Values v;
    const int64_t lo = t.bits == 8 ? -128 : -(1 << (t.bits - 1));
    *err = call(fn, {w->ev(), s->ev(), z ? z->ev() : v.none(), v.integer(lo), v.integer(-lo - 1),
                     i->ev(), out->ev(), out->ev()});
    const int64_t n = *err == Error::Ok ? out->t().numel() : static_cast<int64_t>(idx.size()) * t.d;
    const float* p = out->t().data_as<const float>();
    return std::vector<float>(p, p + n);
  }

 private:
  lowbit::Isa lowbit_isa_ = lowbit::active_isa();
};

struct Shape {
  int bits;
  int64_t v, d, groups;
};

// Group sizes 32, 64, 128 and per row, and ones that leave vector tails
// (4-bit groups of 20, 2-bit groups of 36, 8-bit rows of 13).
const Shape kShapes[] = {{4, 37, 128, 4},  {4, 37, 256, 2}, {4, 37, 128, 1}, {4, 11, 40, 2},
                         {2, 37, 128, 4},  {2, 37, 128, 1}, {2, 11, 72, 2},  {8, 37, 128, 4},
                         {8, 37, 128, 1},  {8, 11, 13, 1}};

TEST_F(QuantizedEmbedding, PortableIsExecuTorchsFormula) {
  for (const Shape& sh : kShapes) {
    const std::vector<int64_t> idx = {0, 5, sh.v - 1, 5, 1, 10, 2, 3};
    for (bool zp : {false, true}) {
      Table t(sh.bits, sh.v, sh.d, sh.groups, zp, 11);
      Error err;
      std::vector<float> got =
          lookup(kernels_for(sh.bits).portable, t, ScalarType::Long, idx, &err);
      ASSERT_EQ(err, Error::Ok);
      for (size_t k = 0; k < idx.size(); ++k) {
        for (int64_t p = 0; p < sh.d; ++p) {
          ASSERT_EQ(got[k * sh.d + p], t.expected(idx[k], p))
              << sh.bits << "-bit d=" << sh.d << " groups=" << sh.groups << " zp=" << zp;
        }
      }
    }
  }
}

TEST_F(QuantizedEmbedding, OptimizedMatchesPortable) {
  for (const Shape& sh : kShapes) {
    std::vector<int64_t> idx = {0, 5, 10, 5, 1, 10, 2, sh.v - 1};
    for (bool zp : {false, true}) {
      Table t(sh.bits, sh.v, sh.d, sh.groups, zp, 23);
      for (ScalarType it : {ScalarType::Long, ScalarType::Int}) {
        Error err;
        const std::vector<float> want = lookup(kernels_for(sh.bits).portable, t, it, idx, &err);
        ASSERT_EQ(err, Error::Ok);
        for (lowbit::Isa isa : {lowbit::Isa::generic, lowbit::Isa::avx2}) {
          if (lowbit::set_isa(isa) != Error::Ok) continue;
          for (size_t threads : thread_counts()) {
            ASSERT_EQ(set_num_threads(threads), Error::Ok);
            const std::vector<float> got = lookup(kernels_for(sh.bits).optimized, t, it, idx, &err);
            ASSERT_EQ(err, Error::Ok);
            ASSERT_EQ(got.size(), want.size());
            ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0)
                << sh.bits << "-bit d=" << sh.d << " groups=" << sh.groups << " zp=" << zp
                << " " << lowbit::isa_name(isa) << " " << threads << " threads";
          }
        }
      }
    }
  }
}

TEST_F(QuantizedEmbedding, OutOfRangeIndexIsAnError) {
  Table t(4, 9, 64, 2, false, 5);
  for (const Kernels& k : {kernels_for(4)}) {
    for (KernelFn fn : {k.portable, k.optimized}) {
      for (int64_t bad : {int64_t{-1}, int64_t{9}, int64_t{1} << 40}) {
        LogCapture log;
        Error err;
        const std::vector<float> out = lookup(fn, t, ScalarType::Long, {0, 1, 2, bad}, &err);
        EXPECT_EQ(err, Error::InvalidArgument) << bad;
        EXPECT_TRUE(log.contains(k.name)) << bad;
        EXPECT_TRUE(log.contains("indices[3] = " + std::to_string(bad))) << bad;
        for (float x : out) ASSERT_EQ(x, -7.0f) << "wrote before rejecting";
      }
    }
  }
}

TEST_F(QuantizedEmbedding, DtypeOverloadConvertsTheFloat32Rows) {
  // ExecuTorch's LLM form: embedding_4bit.dtype. dtype None or float32 is
  // the .out result; float16 is that result rounded to float16 (torch's
  // .to(dtype) after the float32 dequantize).
  Table t(4, 16, 64, 2, true, 31);
  TensorPtr w = make(ScalarType::Byte, {16, 32});
  std::memcpy(w->t().mutable_data(), t.stored.data(), t.stored.size());
  TensorPtr s = make_f({16, 2}, t.scales), z = make_f({16, 2}, t.zps);
  TensorPtr i = make_typed<int64_t>(ScalarType::Long, {3}, {4, 0, 15});
  Values v;
  for (int64_t dtype : {int64_t{-1}, int64_t{6}, int64_t{5}}) {
    const ScalarType ot = dtype == 5 ? ScalarType::Half : kF;
    for (KernelFn fn : {&portable::embedding_4bit_dtype_out, &optimized::embedding_4bit_dtype_out}) {
      TensorPtr out = make(ot, {3, 64});
      ASSERT_EQ(call(fn, {w->ev(), s->ev(), z->ev(), v.integer(-8), v.integer(7), i->ev(),
                          dtype < 0 ? v.none() : v.integer(dtype), out->ev(), out->ev()}),
                Error::Ok);
      const int64_t rows[3] = {4, 0, 15};
      for (int64_t k = 0; k < 3; ++k) {
        for (int64_t p = 0; p < 64; ++p) {
          const float want = t.expected(rows[k], p);
          const float got = ot == kF ? out->t().data_as<const float>()[k * 64 + p]
                                     : static_cast<float>(out->t().data_as<const Half>()[k * 64 + p]);
          ASSERT_EQ(got, ot == kF ? want : static_cast<float>(Half(want))) << dtype << " " << p;
        }
      }
    }
  }
}

TEST_F(QuantizedEmbedding, RegistryPicksTheOptimizedKernelForFloatTables) {
  const ScalarType f32_key[] = {ScalarType::Byte, kF, ScalarType::Long, kF, kF};
  EXPECT_EQ(find_kernel("quantized_decomposed::embedding_4bit.out",
                        Span<const ScalarType>(f32_key, 5)),
            &optimized::embedding_4bit_out);
  const ScalarType half_key[] = {ScalarType::Byte, ScalarType::Half, ScalarType::Long,
                                 ScalarType::Half, ScalarType::Half};
  EXPECT_EQ(find_kernel("quantized_decomposed::embedding_4bit.out",
                        Span<const ScalarType>(half_key, 5)),
            &portable::embedding_4bit_out);
}

}  // namespace
}  // namespace test
}  // namespace ember
