// ember_gemm against a naive double-precision reference, for every micro-kernel
// family this CPU can run (selected with gemm::set_isa, as EMBER_GEMM_ISA would):
// odd sizes, strided and transposed operands, alpha/beta (beta 0 over NaN),
// bias per row and per column, clamp, pre-packed B, the smallest workspace,
// batches, and bit-identical results on 1 and 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/gemm/gemm.h"

namespace ember {
namespace gemm {
// gtest prints parameters with this (the family's name, not its byte).
void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace gemm
}  // namespace ember

namespace {

using ember::Error;
using namespace ember::gemm;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Deterministic values in [-1, 1).
struct Rng {
  uint64_t state;
  float next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((state >> 40) & 0xffffff) / (float)(1 << 23) - 1.0f;
  }
};

enum class Layout { row_major, transposed, strided, reversed_rows };

/// A rows x cols matrix stored in `layout`, with its view.
struct Matrix {
  std::vector<float> storage;
  MatrixView view;
  int64_t rows, cols;
  float at(int64_t i, int64_t j) const { return view.data[i * view.row_stride + j * view.col_stride]; }
};

Matrix make_matrix(int64_t rows, int64_t cols, Layout layout, Rng& rng) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  switch (layout) {
    case Layout::row_major:
      m.storage.resize(rows * cols + 1);
      m.view = {nullptr, cols, 1};
      break;
    case Layout::transposed:
      m.storage.resize(rows * cols + 1);
      m.view = {nullptr, 1, rows};
      break;
    case Layout::strided:  // every other column, rows padded by 3
      m.storage.resize(rows * (2 * cols + 3) + 1);
      m.view = {nullptr, 2 * cols + 3, 2};
      break;
    case Layout::reversed_rows:  // row-major, last row first (a negative row stride)
      m.storage.resize(rows * cols + 1);
      m.view = {nullptr, -cols, 1};
      break;
  }
  for (float& x : m.storage) x = rng.next();
  m.view.data = m.storage.data();
  if (layout == Layout::reversed_rows) m.view.data += (rows - 1) * cols;
  return m;
}

struct Case {
  int64_t m, n, k;
  float alpha = 1.0f;
  float beta = 0.0f;
  BiasKind bias_kind = BiasKind::none;
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  Layout a_layout = Layout::row_major;
  Layout b_layout = Layout::row_major;
};

/// Operands of a case: A, B, the initial C (NaN when beta is 0), the bias.
struct Operands {
  Matrix a, b;
  std::vector<float> c0, bias;
  int64_t ldc;
};

Operands make_operands(const Case& t, uint64_t seed) {
  Rng rng{seed};
  Operands o;
  o.a = make_matrix(t.m, t.k, t.a_layout, rng);
  o.b = make_matrix(t.k, t.n, t.b_layout, rng);
  o.ldc = t.n + 5;  // C rows padded: the padding must stay untouched
  o.c0.resize(t.m * o.ldc);
  for (float& x : o.c0) x = t.beta == 0.0f ? kNaN : rng.next();
  o.bias.resize(t.bias_kind == BiasKind::per_row ? t.m : t.n);
  for (float& x : o.bias) x = rng.next();
  return o;
}

Epilogue epilogue_of(const Case& t, const Operands& o) {
  Epilogue e;
  e.bias_kind = t.bias_kind;
  e.bias = t.bias_kind == BiasKind::none ? nullptr : o.bias.data();
  e.min = t.min;
  e.max = t.max;
  return e;
}

/// Checks `c` against the double reference, the padding of C untouched.
void expect_matches_reference(const Case& t, const Operands& o, const std::vector<float>& c) {
  int bad = 0;
  for (int64_t i = 0; i < t.m; ++i) {
    for (int64_t j = 0; j < o.ldc; ++j) {
      const float got = c[i * o.ldc + j];
      if (j >= t.n) {  // the padding keeps its bits (NaN included)
        const float before = o.c0[i * o.ldc + j];
        EXPECT_TRUE(got == before || (std::isnan(got) && std::isnan(before)));
        continue;
      }
      double sum = 0.0, magnitude = 0.0;
      for (int64_t p = 0; p < t.k; ++p) {
        const double prod = (double)o.a.at(i, p) * (double)o.b.at(p, j);
        sum += prod;
        magnitude += std::fabs(prod);
      }
      double want = (double)t.alpha * sum;
      magnitude *= std::fabs(t.alpha);
      if (t.beta != 0.0f) {
        want += (double)t.beta * o.c0[i * o.ldc + j];
        magnitude += std::fabs((double)t.beta * o.c0[i * o.ldc + j]);
      }
      if (t.bias_kind != BiasKind::none) {
        const float bias = o.bias[t.bias_kind == BiasKind::per_row ? i : j];
        want += bias;
        magnitude += std::fabs(bias);
      }
      want = std::fmin(std::fmax(want, (double)t.min), (double)t.max);
      // float32 rounding error grows with the length of the sum.
      const double tol = (double)(t.k + 4) * 1.2e-7 * magnitude + 1e-30;
      if (!(std::fabs((double)got - want) <= tol) && ++bad <= 5) {
        ADD_FAILURE() << "C[" << i << ", " << j << "] = " << got << ", want " << want
                      << " (tolerance " << tol << ") for m=" << t.m << " n=" << t.n
                      << " k=" << t.k;
      }
    }
  }
  EXPECT_EQ(bad, 0);
}

std::vector<float> run_gemm(const Case& t, const Operands& o, size_t workspace) {
  std::vector<float> c = o.c0;
  std::vector<uint8_t> ws(workspace + 1);
  // An odd workspace address: the library aligns it itself.
  EXPECT_EQ(gemm(t.m, t.n, t.k, t.alpha, o.a.view, o.b.view, t.beta, c.data(), o.ldc,
                 epilogue_of(t, o), ws.data() + 1, workspace),
            Error::Ok);
  return c;
}

std::vector<float> run_packed(const Case& t, const Operands& o, size_t workspace) {
  std::vector<uint8_t> packed(packed_b_bytes(t.k, t.n));
  EXPECT_EQ(pack_b(o.b.view, t.k, t.n, packed.data(), packed.size()), Error::Ok);
  std::vector<float> c = o.c0;
  std::vector<uint8_t> ws(workspace);
  EXPECT_EQ(gemm_packed(t.m, t.n, t.k, t.alpha, o.a.view, packed.data(), t.beta, c.data(), o.ldc,
                        epilogue_of(t, o), ws.data(), workspace),
            Error::Ok);
  return c;
}

std::vector<float> run_packed_a(const Case& t, const Operands& o, size_t workspace) {
  std::vector<uint8_t> packed(packed_a_bytes(t.m, t.k));
  EXPECT_EQ(pack_a(o.a.view, t.m, t.k, packed.data(), packed.size()), Error::Ok);
  std::vector<float> c = o.c0;
  std::vector<uint8_t> ws(workspace);
  EXPECT_EQ(gemm_packed_a(t.m, t.n, t.k, t.alpha, packed.data(), o.b.view, t.beta, c.data(),
                          o.ldc, epilogue_of(t, o), ws.data(), workspace),
            Error::Ok);
  return c;
}

bool same_bits(const std::vector<float>& x, const std::vector<float>& y) {
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

size_t full_workspace(const Case& t) { return workspace_bytes(t.m, t.n, t.k, 2, false); }

/// Each test runs once per micro-kernel family; families the CPU lacks are skipped.
class GemmIsa : public ::testing::TestWithParam<Isa> {
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

TEST_P(GemmIsa, OddSizes) {
  const int64_t sizes[] = {1, 7, 17, 129};
  uint64_t seed = 1;
  for (int64_t m : sizes) {
    for (int64_t n : sizes) {
      for (int64_t k : sizes) {
        Case t{m, n, k};
        Operands o = make_operands(t, seed++);
        expect_matches_reference(t, o, run_gemm(t, o, full_workspace(t)));
      }
    }
  }
  // Past one depth block, a long thin product, and row-major A whose rows are
  // 4 KiB apart (read in place or packed, as many as the L1's sets hold).
  for (Case t : {Case{255, 33, 300}, Case{3, 255, 513}, Case{40, 1, 255}, Case{29, 40, 1024}}) {
    Operands o = make_operands(t, seed++);
    expect_matches_reference(t, o, run_gemm(t, o, full_workspace(t)));
  }
}

TEST_P(GemmIsa, StridedAndTransposedOperands) {
  const Layout layouts[] = {Layout::row_major, Layout::transposed, Layout::strided,
                            Layout::reversed_rows};
  uint64_t seed = 100;
  // m = 37: B packed (many row panels use it); m = 3: a row-major B read in place.
  for (int64_t m : {37, 3}) {
    for (Layout la : layouts) {
      for (Layout lb : layouts) {
        Case t{m, 45, 290};
        t.a_layout = la;
        t.b_layout = lb;
        Operands o = make_operands(t, seed++);
        expect_matches_reference(t, o, run_gemm(t, o, full_workspace(t)));
      }
    }
  }
}

TEST_P(GemmIsa, AlphaBetaBiasClamp) {
  uint64_t seed = 200;
  for (float alpha : {1.0f, -0.5f}) {
    for (float beta : {0.0f, 1.0f, 0.25f}) {
      for (BiasKind bias : {BiasKind::none, BiasKind::per_column, BiasKind::per_row}) {
        Case t{19, 71, 260, alpha, beta, bias};
        if (bias != BiasKind::none) {  // relu6 and a hardtanh-like clamp
          t.min = bias == BiasKind::per_row ? 0.0f : -0.5f;
          t.max = bias == BiasKind::per_row ? 6.0f : 0.5f;
        }
        Operands o = make_operands(t, seed++);
        std::vector<float> c = run_gemm(t, o, full_workspace(t));
        expect_matches_reference(t, o, c);
        if (beta == 0.0f) {  // the NaN in C never leaks in
          for (int64_t i = 0; i < t.m; ++i) {
            for (int64_t j = 0; j < t.n; ++j) ASSERT_FALSE(std::isnan(c[i * o.ldc + j]));
          }
        }
      }
    }
  }
}

TEST_P(GemmIsa, ClampPropagatesNaN) {
  Case t{5, 40, 3};
  t.min = 0.0f;
  t.max = 6.0f;
  Operands o = make_operands(t, 7);
  o.a.storage[0] = kNaN;  // row 0 of A
  std::vector<float> c = run_gemm(t, o, full_workspace(t));
  for (int64_t j = 0; j < t.n; ++j) EXPECT_TRUE(std::isnan(c[j])) << j;
  for (int64_t j = 0; j < t.n; ++j) EXPECT_FALSE(std::isnan(c[o.ldc + j])) << j;
}

TEST_P(GemmIsa, EmptyDepthGivesBetaCPlusBias) {
  Case t{6, 20, 0, 2.0f, 0.5f, BiasKind::per_column};
  Operands o = make_operands(t, 9);
  expect_matches_reference(t, o, run_gemm(t, o, full_workspace(t)));
}

TEST_P(GemmIsa, PackedBMatchesUnpackedBitForBit) {
  uint64_t seed = 300;
  for (Case t : {Case{17, 129, 255}, Case{1, 300, 77}, Case{70, 33, 600, 1.0f, 0.5f,
                                                               BiasKind::per_column, 0.0f}}) {
    for (Layout lb : {Layout::row_major, Layout::transposed}) {
      t.b_layout = lb;
      Operands o = make_operands(t, seed++);
      std::vector<float> plain = run_gemm(t, o, full_workspace(t));
      std::vector<float> packed = run_packed(t, o, workspace_bytes(t.m, t.n, t.k, 2, true));
      expect_matches_reference(t, o, packed);
      EXPECT_TRUE(same_bits(plain, packed)) << "m=" << t.m << " n=" << t.n << " k=" << t.k;
    }
  }
}

// A pre-packed A (a convolution's weight) gives gemm()'s bits: depth past one
// KC block, rows past one MC block and a partial MR panel, both A layouts,
// B row-major (read directly when one row panel) and transposed, at 1 and 2
// threads and with the smallest workspace.
TEST_P(GemmIsa, PackedAMatchesUnpackedBitForBit) {
  uint64_t seed = 350;
  for (Case t : {Case{17, 129, 255}, Case{1, 300, 77}, Case{301, 49, 1100, 1.0f, 0.0f,
                                                               BiasKind::per_row},
                 Case{70, 33, 600, 1.0f, 0.5f, BiasKind::per_column, 0.0f}}) {
    for (Layout la : {Layout::row_major, Layout::transposed}) {
      for (Layout lb : {Layout::row_major, Layout::transposed}) {
        t.a_layout = la;
        t.b_layout = lb;
        Operands o = make_operands(t, seed++);
        std::vector<float> plain = run_gemm(t, o, full_workspace(t));
        std::vector<float> packed = run_packed_a(t, o, full_workspace(t));
        expect_matches_reference(t, o, packed);
        EXPECT_TRUE(same_bits(plain, packed)) << "m=" << t.m << " n=" << t.n << " k=" << t.k;
        EXPECT_TRUE(same_bits(plain, run_packed_a(t, o, min_workspace_bytes())));
        if (ember::set_num_threads(2) == Error::Ok) {
          EXPECT_TRUE(same_bits(plain, run_packed_a(t, o, full_workspace(t))));
          ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
        }
      }
    }
  }
}

TEST_P(GemmIsa, SmallestWorkspaceGivesTheSameBits) {
  // A read in place (row-major) and packed (transposed): both fit the minimum.
  for (Layout la : {Layout::row_major, Layout::transposed}) {
    Case t{131, 200, 700, 1.0f, 0.5f, BiasKind::per_row};
    t.a_layout = la;
    Operands o = make_operands(t, 400);
    std::vector<float> big = run_gemm(t, o, full_workspace(t));
    std::vector<float> small = run_gemm(t, o, min_workspace_bytes());
    expect_matches_reference(t, o, small);
    EXPECT_TRUE(same_bits(big, small));
    EXPECT_TRUE(same_bits(big, run_packed(t, o, min_workspace_bytes())));
  }
  EXPECT_LE(min_workspace_bytes(), size_t{64} << 10);
}

/// Whether this build can run 2 threads (not without pthreadpool).
bool have_two_threads() {
  const bool ok = ember::set_num_threads(2) == Error::Ok;
  EXPECT_EQ(ember::set_num_threads(1), Error::Ok);
  return ok;
}

TEST_P(GemmIsa, OneAndTwoThreadsGiveTheSameBits) {
  if (!have_two_threads()) GTEST_SKIP() << "built without a thread pool";
  uint64_t seed = 500;
  // Each over the 2^20 multiply-adds under which a call runs on one thread.
  for (Case t : {Case{255, 129, 300}, Case{1, 2304, 768}, Case{300, 40, 129, 1.0f, 1.0f,
                                                                BiasKind::per_column, 0.0f, 6.0f}}) {
    Operands o = make_operands(t, seed++);
    ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
    std::vector<float> one = run_gemm(t, o, full_workspace(t));
    ASSERT_EQ(ember::set_num_threads(2), Error::Ok);
    std::vector<float> two = run_gemm(t, o, full_workspace(t));
    std::vector<float> two_packed = run_packed(t, o, workspace_bytes(t.m, t.n, t.k, 2, true));
    ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
    expect_matches_reference(t, o, two);
    EXPECT_TRUE(same_bits(one, two)) << "m=" << t.m << " n=" << t.n << " k=" << t.k;
    EXPECT_TRUE(same_bits(one, two_packed)) << "m=" << t.m << " n=" << t.n << " k=" << t.k;
  }
}

TEST_P(GemmIsa, BatchedMatchesOneCallPerMatrix) {
  for (size_t threads : {1, 2}) {
    if (threads == 2 && !have_two_threads()) continue;
    ASSERT_EQ(ember::set_num_threads(threads), Error::Ok);
    for (int64_t batch : {1, 3}) {
      const int64_t m = 64, n = 70, k = 250;  // over 2^20 multiply-adds: threaded
      Rng rng{600};
      std::vector<float> a(batch * m * k), b(batch * n * k), c(batch * m * n, kNaN);
      for (float& x : a) x = rng.next();
      for (float& x : b) x = rng.next();
      // B transposed per matrix (as in q @ k^T).
      const MatrixView av{a.data(), k, 1}, bv{b.data(), 1, k};
      std::vector<uint8_t> ws(workspace_bytes(m, n, k, threads, false, batch));
      ASSERT_EQ(gemm_batched(batch, m, n, k, 1.0f, av, bv, 0.0f, c.data(), n,
                             BatchStrides{m * k, n * k, m * n}, Epilogue{}, ws.data(), ws.size()),
                Error::Ok);
      for (int64_t i = 0; i < batch; ++i) {
        std::vector<float> one(m * n, kNaN);
        ASSERT_EQ(gemm(m, n, k, 1.0f, MatrixView{av.data + i * m * k, k, 1},
                       MatrixView{bv.data + i * n * k, 1, k}, 0.0f, one.data(), n, Epilogue{},
                       ws.data(), ws.size()),
                  Error::Ok);
        EXPECT_EQ(std::memcmp(one.data(), c.data() + i * m * n, one.size() * sizeof(float)), 0)
            << "matrix " << i << " of " << batch << ", " << threads << " threads";
      }
    }
  }
  ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, GemmIsa,
                         ::testing::Values(Isa::generic, Isa::avx2, Isa::avx512, Isa::neon),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

TEST(Gemm, BadArgumentsAreRefused) {
  float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {};
  const MatrixView av{a, 2, 1}, bv{b, 2, 1};
  std::vector<uint8_t> ws(min_workspace_bytes());
  Epilogue none;
  EXPECT_EQ(gemm(-1, 2, 2, 1, av, bv, 0, c, 2, none, ws.data(), ws.size()), Error::InvalidArgument);
  EXPECT_EQ(gemm(2, 2, 2, 1, av, bv, 0, c, 1, none, ws.data(), ws.size()), Error::InvalidArgument);
  EXPECT_EQ(gemm(2, 2, 2, 1, av, bv, 0, nullptr, 2, none, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(gemm(2, 2, 2, 1, MatrixView{nullptr, 2, 1}, bv, 0, c, 2, none, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(gemm(2, 2, 2, 1, av, bv, 0, c, 2, none, ws.data(), 100), Error::InvalidArgument);
  EXPECT_EQ(gemm(2, 2, 2, 1, av, bv, 0, c, 2, none, nullptr, ws.size()), Error::InvalidArgument);
  Epilogue no_bias;
  no_bias.bias_kind = BiasKind::per_row;
  EXPECT_EQ(gemm(2, 2, 2, 1, av, bv, 0, c, 2, no_bias, ws.data(), ws.size()),
            Error::InvalidArgument);
  Epilogue empty_clamp;
  empty_clamp.min = 1.0f;
  empty_clamp.max = 0.0f;
  EXPECT_EQ(gemm(2, 2, 2, 1, av, bv, 0, c, 2, empty_clamp, ws.data(), ws.size()),
            Error::InvalidArgument);

  // A packed B is checked against the call's k and n, and must be one.
  std::vector<uint8_t> packed(packed_b_bytes(2, 2));
  EXPECT_EQ(pack_b(bv, 2, 2, packed.data(), packed.size() - 1), Error::InvalidArgument);
  ASSERT_EQ(pack_b(bv, 2, 2, packed.data(), packed.size()), Error::Ok);
  EXPECT_EQ(gemm_packed(2, 2, 3, 1, av, packed.data(), 0, c, 2, none, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(gemm_packed(2, 2, 2, 1, av, packed.data(), 0, c, 2, none, ws.data(), ws.size()),
            Error::Ok);
  EXPECT_EQ(c[0], 1.0f);
  EXPECT_EQ(c[3], 4.0f);
  std::vector<uint8_t> shifted(packed.size() + 1);
  EXPECT_EQ(pack_b(bv, 2, 2, shifted.data() + 1, packed.size()), Error::InvalidArgument);
  std::vector<uint8_t> junk(packed.size(), 0xab);
  EXPECT_EQ(gemm_packed(2, 2, 2, 1, av, junk.data(), 0, c, 2, none, ws.data(), ws.size()),
            Error::InvalidArgument);

  // A packed A likewise: checked against m and k, a B's buffer is not one.
  std::vector<uint8_t> packed_a_buf(packed_a_bytes(2, 2));
  EXPECT_EQ(pack_a(av, 2, 2, packed_a_buf.data(), packed_a_buf.size() - 1),
            Error::InvalidArgument);
  ASSERT_EQ(pack_a(av, 2, 2, packed_a_buf.data(), packed_a_buf.size()), Error::Ok);
  EXPECT_EQ(gemm_packed_a(3, 2, 2, 1, packed_a_buf.data(), bv, 0, c, 2, none, ws.data(),
                          ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(gemm_packed_a(2, 2, 2, 1, packed.data(), bv, 0, c, 2, none, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(gemm_packed_a(2, 2, 2, 1, packed_a_buf.data(), bv, 0, c, 2, none, ws.data(),
                          ws.size()),
            Error::Ok);
  EXPECT_EQ(c[0], 1.0f);
  EXPECT_EQ(c[3], 4.0f);

  // Empty products touch nothing.
  EXPECT_EQ(gemm(0, 2, 2, 1, av, bv, 0, nullptr, 2, none, nullptr, 0), Error::Ok);
}

TEST(Gemm, IsaSelection) {
  const Isa saved = active_isa();
  EXPECT_TRUE(isa_available(Isa::generic));
  EXPECT_TRUE(isa_available(saved));
  EXPECT_EQ(set_isa(Isa::generic), Error::Ok);
  EXPECT_STREQ(isa_name(active_isa()), "generic");
#if defined(__x86_64__)
  EXPECT_EQ(set_isa(Isa::neon), Error::NotSupported);
  EXPECT_EQ(isa_available(Isa::avx512), (bool)__builtin_cpu_supports("avx512f"));
#elif defined(__aarch64__)
  EXPECT_EQ(set_isa(Isa::avx2), Error::NotSupported);
  EXPECT_TRUE(isa_available(Isa::neon));
#endif
  EXPECT_EQ(active_isa(), Isa::generic);  // a refused set_isa changes nothing
  EXPECT_EQ(set_isa(saved), Error::Ok);
}

// What decides whether A's rows are read in place: the L1 data cache's shape,
// which Linux states (the test machine's sysfs), in whole 64-byte lines.
TEST(Gemm, L1DataCacheShape) {
  const ember::CacheGeometry l1 = ember::l1_data_cache();
  if (l1.ways == 0) {
    EXPECT_EQ(l1.way_bytes, 0u);
#if defined(__linux__)
    FILE* f = std::fopen("/sys/devices/system/cpu/cpu0/cache/index0/ways_of_associativity", "r");
    const bool stated = f != nullptr;
    if (stated) std::fclose(f);
    EXPECT_FALSE(stated) << "sysfs states the cache, yet it was not read";
#endif
    return;
  }
  EXPECT_LE(l1.ways, 64u);
  EXPECT_GE(l1.way_bytes, 64u);
  EXPECT_EQ(l1.way_bytes % 64, 0u);
  EXPECT_EQ(ember::l1_data_cache().ways, l1.ways);  // read once, the same every call
}

// Run by ctest with EMBER_GEMM_ISA or EMBER_KERNELS_ISA set
// (tests/runtime/gemm/CMakeLists.txt): the variable picks the family at
// first use, capped at what the CPU has.
TEST(Gemm, EnvironmentOverride) {
  const char* env = std::getenv("EMBER_GEMM_ISA");
  if (env == nullptr) env = std::getenv("EMBER_KERNELS_ISA");
  if (env == nullptr) GTEST_SKIP() << "neither EMBER_GEMM_ISA nor EMBER_KERNELS_ISA is set";
  const Isa isa = active_isa();
  bool known = false;
  for (Isa want : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (std::string(env) != isa_name(want)) continue;
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
