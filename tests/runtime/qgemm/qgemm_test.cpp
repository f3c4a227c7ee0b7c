// ember_qgemm against a straightforward int64 reference, for every
// micro-kernel family this CPU can run (selected with qgemm::set_isa, as
// EMBER_QGEMM_ISA would): odd sizes, depth not a multiple of 4, uint8 and
// int8 activations, per-tensor and per-row parameters, float and
// requantized outputs, bias, clamps, extreme values, bit-identical results
// across families, thread counts and workspace sizes, and bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/qgemm/qgemm.h"

namespace ember {
namespace qgemm {
void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace qgemm
}  // namespace ember

namespace {

using ember::Error;
using namespace ember::qgemm;

constexpr Isa kAllIsas[] = {Isa::generic, Isa::avx2, Isa::avx512vnni, Isa::neon, Isa::neon_dot};

struct Rng {
  uint64_t state;
  uint32_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(state >> 33);
  }
  int32_t range(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * (float)(next() & 0xffffff) / 16777216.0f; }
};

struct Case {
  int64_t m, n, k;
  ActType a_type = ActType::s8;
  bool per_row = false;
  bool per_channel = true;
  OutType out = OutType::f32;
  bool bias = false;
  bool clamp = false;
};

/// A case's data: A (rows padded: lda = k + 3), W [n, k] (rows padded), the
/// parameters, and C's initial contents (a pattern the padding must keep).
struct Data {
  Case t;
  int64_t lda, ldw, ldc;
  std::vector<uint8_t> a;
  std::vector<int8_t> w;
  std::vector<float> a_scales, w_scales, bias;
  std::vector<int32_t> a_zps;
  QEpilogue epi;
  size_t elem;
  std::vector<uint8_t> c0;
};

Data make_data(const Case& t, uint64_t seed) {
  Rng rng{seed};
  Data d;
  d.t = t;
  d.lda = t.k + 3;
  d.ldw = t.k + 1;
  d.ldc = t.n + 2;
  d.a.resize(t.m * d.lda + 1);
  for (uint8_t& x : d.a) x = (uint8_t)rng.next();
  d.w.resize(t.n * d.ldw + 1);
  for (int8_t& x : d.w) x = (int8_t)rng.next();
  const int32_t lo = t.a_type == ActType::u8 ? 0 : -128;
  for (int64_t i = 0; i < (t.per_row ? t.m : 1); ++i) {
    d.a_scales.push_back(rng.uniform(0.002f, 0.05f));
    d.a_zps.push_back(rng.range(lo, lo + 255));
  }
  for (int64_t j = 0; j < (t.per_channel ? t.n : 1); ++j) d.w_scales.push_back(rng.uniform(0.001f, 0.02f));
  for (int64_t j = 0; j < t.n; ++j) d.bias.push_back(rng.uniform(-3.0f, 3.0f));
  d.epi.out = t.out;
  d.epi.bias = t.bias ? d.bias.data() : nullptr;
  if (t.out == OutType::f32) {
    if (t.clamp) {
      d.epi.min = -0.5f;
      d.epi.max = 1.5f;
    }
  } else {
    // Outputs spread over the type's range for |acc| ~ 128 * 128 * sqrt(k / 3).
    d.epi.out_scale = 0.02f * std::sqrt((float)t.k + 1.0f) * 0.3f;
    const bool u8 = t.out == OutType::u8;
    d.epi.out_zero_point = u8 ? rng.range(100, 150) : rng.range(-20, 20);
    if (t.clamp) {  // a fused relu6-like range
      d.epi.qmin = d.epi.out_zero_point;
      d.epi.qmax = d.epi.out_zero_point + 90;
    }
  }
  d.elem = t.out == OutType::f32 ? 4 : 1;
  d.c0.resize(t.m * d.ldc * d.elem);
  for (size_t i = 0; i < d.c0.size(); ++i) d.c0[i] = (uint8_t)(0x5a ^ i);
  return d;
}

Activation activation_of(const Data& d) {
  Activation a;
  a.data = d.a.data();
  a.type = d.t.a_type;
  a.lda = d.lda;
  if (d.t.per_row) {
    a.row_scales = d.a_scales.data();
    a.row_zero_points = d.a_zps.data();
  } else {
    a.scale = d.a_scales[0];
    a.zero_point = d.a_zps[0];
  }
  return a;
}

/// The element A(i, p) as the integer it stands for.
int32_t a_value(const Data& d, int64_t i, int64_t p) {
  const uint8_t raw = d.a[i * d.lda + p];
  return d.t.a_type == ActType::u8 ? (int32_t)raw : (int32_t)(int8_t)raw;
}

/// C of the micro_kernel.h formula: the accumulator in int64, then the
/// documented float32 sequence (this file is built with -ffp-contract=off).
std::vector<uint8_t> reference(const Data& d) {
  const Case& t = d.t;
  std::vector<uint8_t> c = d.c0;
  for (int64_t i = 0; i < t.m; ++i) {
    const int32_t zp = d.a_zps[t.per_row ? i : 0];
    const float a_scale = d.a_scales[t.per_row ? i : 0];
    for (int64_t j = 0; j < t.n; ++j) {
      int64_t acc = 0;
      for (int64_t p = 0; p < t.k; ++p) {
        acc += (int64_t)(a_value(d, i, p) - zp) * (int64_t)d.w[j * d.ldw + p];
      }
      EXPECT_LE(std::llabs(acc), (int64_t)INT32_MAX);
      const float s = a_scale * d.w_scales[t.per_channel ? j : 0];
      float y = (float)acc * s;
      if (t.bias) y = y + d.bias[j];
      uint8_t* dst = c.data() + (i * d.ldc + j) * d.elem;
      if (t.out == OutType::f32) {
        y = d.epi.min > y ? d.epi.min : y;  // NaN stays NaN
        y = d.epi.max < y ? d.epi.max : y;
        std::memcpy(dst, &y, 4);
        continue;
      }
      const bool u8 = t.out == OutType::u8;
      const int32_t qmin = d.epi.qmin == INT32_MIN ? (u8 ? 0 : -128) : d.epi.qmin;
      const int32_t qmax = d.epi.qmax == INT32_MAX ? (u8 ? 255 : 127) : d.epi.qmax;
      const float inv = (float)(1.0 / (double)d.epi.out_scale);
      const double q = (double)std::nearbyint(y * inv) + d.epi.out_zero_point;  // half to even
      *dst = (uint8_t)(std::isnan(q) ? qmin : q < qmin ? qmin : q > qmax ? qmax : (int32_t)q);
    }
  }
  return c;
}

std::vector<uint8_t> pack(const Data& d) {
  std::vector<uint8_t> packed(packed_qb_bytes(d.t.k, d.t.n) + 64);
  // 64-byte aligned within the vector, the layout's best case.
  const size_t skip = (64 - reinterpret_cast<uintptr_t>(packed.data()) % 64) % 64;
  std::vector<uint8_t> out(packed_qb_bytes(d.t.k, d.t.n));
  EXPECT_EQ(pack_qb(d.w.data(), d.t.k, d.t.n, d.ldw, packed.data() + skip, out.size()), Error::Ok);
  std::memcpy(out.data(), packed.data() + skip, out.size());
  return out;
}

std::vector<uint8_t> run(const Data& d, const std::vector<uint8_t>& packed, size_t workspace) {
  std::vector<uint8_t> c = d.c0;
  std::vector<uint8_t> ws(workspace + 1);
  const Weight b{packed.data(), d.w_scales.data(), d.t.per_channel};
  // An odd workspace address: the library aligns it itself.
  EXPECT_EQ(qgemm(d.t.m, d.t.n, d.t.k, activation_of(d), b, c.data(), d.ldc, d.epi, ws.data() + 1,
                  workspace),
            Error::Ok);
  return c;
}

std::vector<uint8_t> run(const Data& d) {
  return run(d, pack(d), workspace_bytes(d.t.m, d.t.n, d.t.k, 2));
}

std::string describe(const Case& t) {
  return "m=" + std::to_string(t.m) + " n=" + std::to_string(t.n) + " k=" + std::to_string(t.k) +
         (t.a_type == ActType::u8 ? " u8" : " s8") + (t.per_row ? " per-row" : " per-tensor") +
         (t.per_channel ? " per-channel" : " per-tensor-w") +
         (t.out == OutType::f32 ? " f32" : t.out == OutType::s8 ? " s8-out" : " u8-out") +
         (t.bias ? " bias" : "") + (t.clamp ? " clamp" : "");
}

/// Byte-exact equality (C's padding included), with the first differences.
void expect_same(const Data& d, const std::vector<uint8_t>& want, const std::vector<uint8_t>& got) {
  ASSERT_EQ(want.size(), got.size());
  int bad = 0;
  for (size_t x = 0; x < want.size(); x += d.elem) {
    if (std::memcmp(&want[x], &got[x], d.elem) == 0) continue;
    if (++bad > 5) break;
    const size_t e = x / d.elem;
    ADD_FAILURE() << "C[" << e / d.ldc << ", " << e % d.ldc << "] differs for " << describe(d.t);
  }
  EXPECT_EQ(bad, 0);
}

class QgemmIsa : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    saved_ = active_isa();
    if (!isa_available(GetParam())) GTEST_SKIP() << isa_name(GetParam()) << " not on this CPU";
    ASSERT_EQ(set_isa(GetParam()), Error::Ok);
    ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
  }
  void TearDown() override { set_isa(saved_); }
  Isa saved_;
};

// Every m, n, k in {1, 3, 7, 17, 33, 129}: each size combination with one of
// the parameter combinations, in turn.
TEST_P(QgemmIsa, OddSizesMatchTheReference) {
  const int64_t sizes[] = {1, 3, 7, 17, 33, 129};
  uint64_t seed = 1;
  for (int64_t m : sizes) {
    for (int64_t n : sizes) {
      for (int64_t k : sizes) {
        Case t{m, n, k};
        t.a_type = seed % 2 ? ActType::s8 : ActType::u8;
        t.per_row = seed % 3 == 0;
        t.per_channel = seed % 5 != 0;
        t.out = (OutType)(seed % 3);
        t.bias = seed % 4 < 2;
        t.clamp = seed % 7 < 3;
        Data d = make_data(t, seed++);
        expect_same(d, reference(d), run(d));
      }
    }
  }
}

// Every combination of activation type, parameters, output, bias and clamp,
// with k = 70 (not a multiple of 4) and edge tiles in both directions: n = 45
// and 24 end in panels of 13 and 8 columns (families of 16-column panels
// store whole 8-column halves with their vector epilogue).
TEST_P(QgemmIsa, AllModesMatchTheReference) {
  uint64_t seed = 1000;
  for (ActType a_type : {ActType::u8, ActType::s8}) {
    for (bool per_row : {false, true}) {
      for (OutType out : {OutType::f32, OutType::s8, OutType::u8}) {
        for (bool bias : {false, true}) {
          for (bool clamp : {false, true}) {
            for (int64_t n : {45, 24}) {
              Case t{37, n, 70, a_type, per_row, /*per_channel=*/seed % 2 == 0, out, bias, clamp};
              Data d = make_data(t, seed++);
              expect_same(d, reference(d), run(d));
            }
          }
        }
      }
    }
  }
}

// The float output against float64 arithmetic (the formula, not only its
// reimplementation): relative error of a few float32 roundings.
TEST_P(QgemmIsa, FloatOutputIsTheDequantizedProduct) {
  Case t{19, 70, 300, ActType::u8, true, true, OutType::f32, true};
  Data d = make_data(t, 77);
  std::vector<uint8_t> c = run(d);
  for (int64_t i = 0; i < t.m; ++i) {
    for (int64_t j = 0; j < t.n; ++j) {
      double want = d.bias[j], magnitude = std::fabs(d.bias[j]);
      for (int64_t p = 0; p < t.k; ++p) {
        const double term = (double)d.a_scales[i] * (a_value(d, i, p) - d.a_zps[i]) *
                            (double)d.w_scales[j] * d.w[j * d.ldw + p];
        want += term;
        magnitude += std::fabs(term);
      }
      float got;
      std::memcpy(&got, &c[(i * d.ldc + j) * 4], 4);
      EXPECT_NEAR(got, want, 4e-7 * magnitude + 1e-6) << i << ", " << j;
    }
  }
}

// The widest accumulators: A and W at their extremes over the largest depth.
TEST_P(QgemmIsa, ExtremeValuesStayExact) {
  for (int64_t k : {int64_t{4099}, kMaxDepth}) {
    for (ActType a_type : {ActType::u8, ActType::s8}) {
      Case t{3, 5, k, a_type, false, true, OutType::f32};
      Data d = make_data(t, 5);
      const bool u8 = a_type == ActType::u8;
      for (uint8_t& x : d.a) x = u8 ? 255 : 0x80;  // 255 or -128
      d.a_zps[0] = u8 ? 0 : 127;                  // |a - zp| = 255
      for (int8_t& x : d.w) x = -128;
      for (float& s : d.w_scales) s = 1.0f;
      d.a_scales[0] = 1.0f;
      expect_same(d, reference(d), run(d));
    }
  }
}

// Requantization ties round half to even, and NaN (a NaN scale) gives qmin.
TEST_P(QgemmIsa, RequantizationRoundsHalfToEvenAndMapsNaNToQmin) {
  Case t{1, 4, 1, ActType::u8, false, true, OutType::s8};
  Data d = make_data(t, 9);
  d.a[0] = 1;
  d.a_zps[0] = 0;
  d.a_scales[0] = 1.0f;
  for (int j = 0; j < 4; ++j) d.w[j * d.ldw] = (int8_t)(2 * j + 1);  // acc = 1, 3, 5, 7
  d.w_scales = {0.5f, 0.5f, 0.5f, std::numeric_limits<float>::quiet_NaN()};
  d.epi.out_scale = 1.0f;
  d.epi.out_zero_point = 0;
  d.epi.qmin = -100;
  std::vector<uint8_t> c = run(d);
  EXPECT_EQ((int8_t)c[0], 0);     // 0.5 -> 0
  EXPECT_EQ((int8_t)c[1], 2);     // 1.5 -> 2
  EXPECT_EQ((int8_t)c[2], 2);     // 2.5 -> 2
  EXPECT_EQ((int8_t)c[3], -100);  // NaN -> qmin
  expect_same(d, reference(d), c);
}

// Results past the output's range and infinities clamp to qmax / qmin, with
// a zero point, on a full 32-column tile (the unmasked store) and a part one.
TEST_P(QgemmIsa, RequantizationClampsInfinitiesAndLargeValues) {
  for (int64_t n : {int64_t{32}, int64_t{5}}) {
    Case t{3, n, 1, ActType::u8, false, true, OutType::u8};
    Data d = make_data(t, 11);
    for (int64_t i = 0; i < 3; ++i) d.a[i * d.lda] = 1;
    d.a_zps[0] = 0;
    d.a_scales[0] = 1.0f;
    const float big[] = {std::numeric_limits<float>::infinity(), 1e30f, 3e9f, -3e9f,
                         -std::numeric_limits<float>::infinity()};
    for (int64_t j = 0; j < n; ++j) {
      d.w[j * d.ldw] = (int8_t)(j % 2 ? 1 : -1);
      d.w_scales[j] = big[j % 5];
    }
    d.epi.out_scale = 1.0f;
    d.epi.out_zero_point = 7;
    d.epi.qmin = 3;
    d.epi.qmax = 250;
    std::vector<uint8_t> c = run(d);
    // row 0: w = -1, +1, -1, ...: scale inf * -1 -> -inf -> qmin, ...
    EXPECT_EQ(c[0], 3);    // -inf
    EXPECT_EQ(c[1], 250);  // 1e30
    EXPECT_EQ(c[2], 3);    // -3e9
    EXPECT_EQ(c[3], 3);    // -3e9 * 1
    EXPECT_EQ(c[4], 250);  // -inf * -1
    expect_same(d, reference(d), c);
  }
}

bool have_two_threads() {
  const bool ok = ember::set_num_threads(2) == Error::Ok;
  EXPECT_EQ(ember::set_num_threads(1), Error::Ok);
  return ok;
}

// Threads split C, never k; the smallest workspace shrinks the blocks and
// the thread count: the bits stay the same.
TEST_P(QgemmIsa, ThreadsAndWorkspaceDoNotChangeTheBits) {
  uint64_t seed = 2000;
  for (Case t : {Case{255, 129, 300, ActType::s8, true, true, OutType::f32, true, true},
                 Case{1, 2048, 2048, ActType::u8, false, true, OutType::u8, true},
                 Case{300, 40, 129, ActType::s8, false, false, OutType::s8, false, true}}) {
    Data d = make_data(t, seed++);
    const std::vector<uint8_t> packed = pack(d);
    std::vector<uint8_t> one = run(d, packed, workspace_bytes(t.m, t.n, t.k, 1));
    expect_same(d, reference(d), one);
    expect_same(d, one, run(d, packed, min_workspace_bytes(t.k)));
    if (!have_two_threads()) continue;
    ASSERT_EQ(ember::set_num_threads(2), Error::Ok);
    expect_same(d, one, run(d, packed, workspace_bytes(t.m, t.n, t.k, 2)));
    expect_same(d, one, run(d, packed, min_workspace_bytes(t.k)));
    ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, QgemmIsa, ::testing::ValuesIn(kAllIsas),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

// Every family gives the generic family's bytes (their own packed B each).
TEST(Qgemm, FamiliesAgreeBitForBit) {
  const Isa saved = active_isa();
  uint64_t seed = 3000;
  for (Case t : {Case{45, 77, 203, ActType::s8, true, true, OutType::f32, true, true},
                 Case{33, 64, 576, ActType::u8, false, true, OutType::u8, true, true},
                 Case{17, 40, 27, ActType::s8, false, false, OutType::s8, true}}) {
    Data d = make_data(t, seed++);
    ASSERT_EQ(set_isa(Isa::generic), Error::Ok);
    const std::vector<uint8_t> want = run(d);
    for (Isa isa : kAllIsas) {
      if (!isa_available(isa)) continue;
      ASSERT_EQ(set_isa(isa), Error::Ok);
      SCOPED_TRACE(isa_name(isa));
      expect_same(d, want, run(d));
    }
  }
  ASSERT_EQ(set_isa(saved), Error::Ok);
}

// A buffer packed for one family keeps working after set_isa changes the active one.
TEST(Qgemm, PackedBufferKeepsItsFamily) {
  const Isa saved = active_isa();
  Data d = make_data(Case{9, 50, 31, ActType::u8, false, true, OutType::f32}, 4000);
  const std::vector<uint8_t> packed = pack(d);
  const std::vector<uint8_t> want = run(d, packed, min_workspace_bytes(d.t.k));
  ASSERT_EQ(set_isa(Isa::generic), Error::Ok);
  expect_same(d, want, run(d, packed, min_workspace_bytes(d.t.k)));
  ASSERT_EQ(set_isa(saved), Error::Ok);
}

TEST(Qgemm, BadArgumentsAreRefused) {
  Data d = make_data(Case{2, 3, 5, ActType::s8, false, true, OutType::s8}, 6);
  const std::vector<uint8_t> packed = pack(d);
  std::vector<uint8_t> c(d.c0), ws(min_workspace_bytes(5));
  const Weight b{packed.data(), d.w_scales.data(), true};
  const Activation a = activation_of(d);
  auto call = [&](int64_t m, int64_t n, int64_t k, const Activation& av, const Weight& bv, void* cp,
                  int64_t ldc, const QEpilogue& e, void* w, size_t wb) {
    return qgemm(m, n, k, av, bv, cp, ldc, e, w, wb);
  };
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), Error::Ok);
  c = d.c0;
  const Error bad = Error::InvalidArgument;
  EXPECT_EQ(call(-1, 3, 5, a, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  EXPECT_EQ(call(2, 3, 4, a, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);  // other k
  EXPECT_EQ(call(2, 4, 5, a, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);  // other n
  EXPECT_EQ(call(2, 3, 5, a, b, nullptr, d.ldc, d.epi, ws.data(), ws.size()), bad);
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), 2, d.epi, ws.data(), ws.size()), bad);  // ldc < n
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, d.epi, nullptr, ws.size()), bad);
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, d.epi, ws.data(), ws.size() - 1), bad);
  EXPECT_EQ(call(2, 3, kMaxDepth + 1, a, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  Activation a2 = a;
  a2.data = nullptr;
  EXPECT_EQ(call(2, 3, 5, a2, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  a2 = a;
  a2.lda = 4;  // under k
  EXPECT_EQ(call(2, 3, 5, a2, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  a2 = a;
  a2.zero_point = 128;  // outside int8
  EXPECT_EQ(call(2, 3, 5, a2, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  a2 = a;
  a2.row_scales = d.a_scales.data();  // per-row scales without zero points
  EXPECT_EQ(call(2, 3, 5, a2, b, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  Weight b2 = b;
  b2.scales = nullptr;
  EXPECT_EQ(call(2, 3, 5, a, b2, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  std::vector<uint8_t> junk(packed.size(), 0xab);
  b2 = b;
  b2.packed = junk.data();
  EXPECT_EQ(call(2, 3, 5, a, b2, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  b2.packed = nullptr;
  EXPECT_EQ(call(2, 3, 5, a, b2, c.data(), d.ldc, d.epi, ws.data(), ws.size()), bad);
  QEpilogue e = d.epi;
  e.qmin = 10;
  e.qmax = 9;  // qmin > qmax
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, e, ws.data(), ws.size()), bad);
  e = d.epi;
  e.qmax = 128;  // outside int8
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, e, ws.data(), ws.size()), bad);
  e = d.epi;
  e.out_zero_point = -129;
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, e, ws.data(), ws.size()), bad);
  e = d.epi;
  e.out_scale = 0.0f;
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, e, ws.data(), ws.size()), bad);
  e = QEpilogue{};
  e.min = 1.0f;
  e.max = 0.0f;
  EXPECT_EQ(call(2, 3, 5, a, b, c.data(), d.ldc, e, ws.data(), ws.size()), bad);
  EXPECT_EQ(c, d.c0) << "a refused call wrote C";

  // Packing: sizes, strides and destinations.
  std::vector<uint8_t> dst(packed_qb_bytes(5, 3) + 1);
  EXPECT_EQ(pack_qb(d.w.data(), 5, 3, d.ldw, dst.data(), dst.size() - 2), bad);
  EXPECT_EQ(pack_qb(d.w.data(), 5, 3, 4, dst.data(), dst.size()), bad);
  EXPECT_EQ(pack_qb(nullptr, 5, 3, d.ldw, dst.data(), dst.size()), bad);
  EXPECT_EQ(pack_qb(d.w.data(), -1, 3, d.ldw, dst.data(), dst.size()), bad);
  EXPECT_EQ(pack_qb(d.w.data(), 5, 3, d.ldw, dst.data() + 1, dst.size() - 1), bad);  // unaligned
  EXPECT_EQ(pack_qb(d.w.data(), 5, 3, d.ldw, nullptr, dst.size()), bad);

  // Empty products touch nothing, but the packed B is still checked.
  std::vector<uint8_t> empty(packed_qb_bytes(5, 3));
  EXPECT_EQ(call(0, 3, 5, a, b, nullptr, 3, d.epi, nullptr, 0), Error::Ok);
  EXPECT_EQ(call(0, 3, 4, a, b, nullptr, 3, d.epi, nullptr, 0), bad);
}

TEST(Qgemm, IsaSelection) {
  const Isa saved = active_isa();
  EXPECT_TRUE(isa_available(Isa::generic));
  EXPECT_TRUE(isa_available(saved));
  EXPECT_EQ(set_isa(Isa::generic), Error::Ok);
  EXPECT_STREQ(isa_name(active_isa()), "generic");
#if defined(__x86_64__)
  EXPECT_EQ(set_isa(Isa::neon), Error::NotSupported);
  EXPECT_EQ(isa_available(Isa::avx512vnni), (bool)__builtin_cpu_supports("avx512vnni"));
#elif defined(__aarch64__)
  EXPECT_EQ(set_isa(Isa::avx2), Error::NotSupported);
  EXPECT_TRUE(isa_available(Isa::neon));
#endif
  EXPECT_EQ(active_isa(), Isa::generic);  // a refused set_isa changes nothing
  EXPECT_EQ(set_isa(saved), Error::Ok);
}

// Run by ctest with EMBER_QGEMM_ISA or EMBER_KERNELS_ISA set
// (tests/runtime/qgemm/CMakeLists.txt): the variable picks the family at
// first use, capped at what the CPU has.
TEST(Qgemm, EnvironmentOverride) {
  const char* env = std::getenv("EMBER_QGEMM_ISA");
  if (env == nullptr) env = std::getenv("EMBER_KERNELS_ISA");
  if (env == nullptr) GTEST_SKIP() << "neither EMBER_QGEMM_ISA nor EMBER_KERNELS_ISA is set";
  const Isa isa = active_isa();
  bool known = false;
  for (Isa want : kAllIsas) {
    const bool alias = want == Isa::avx512vnni && std::string(env) == "avx512";
    if (std::string(env) != isa_name(want) && !alias) continue;
    known = true;
    if (isa_available(want)) {
      EXPECT_EQ(isa, want);
    } else {
      EXPECT_TRUE(isa_available(isa));
      EXPECT_NE(isa, want);
    }
  }
  EXPECT_TRUE(known) << env;
}

}  // namespace
