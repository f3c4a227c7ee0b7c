// Tests for the gemm helper and addmm/mm/bmm against a triple-loop
// reference, over ragged sizes (tile edges), transposed operands, beta/alpha
// and broadcast bias, plus rejections.
#include "runtime/kernels/portable/matmul.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {
namespace {

/// C = alpha * A B + beta * C0 with A [m,k], B [k,n] row-major.
std::vector<float> ref_gemm(int m, int n, int k, float alpha, const std::vector<float>& a,
                            const std::vector<float>& b, float beta, const std::vector<float>& c0) {
  std::vector<float> c(static_cast<size_t>(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * b[p * n + j];
      c[i * n + j] = static_cast<float>(alpha * acc + (beta == 0.0f ? 0.0 : beta * c0[i * n + j]));
    }
  return c;
}

std::vector<float> transpose(const std::vector<float>& x, int rows, int cols) {
  std::vector<float> t(x.size());
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) t[j * rows + i] = x[i * cols + j];
  return t;
}

TEST(Gemm, LayoutsAndRaggedSizes) {
  const int sizes[][3] = {{1, 1, 1},   {4, 8, 3},    {5, 9, 7},    {13, 17, 130},
                          {64, 300, 5}, {3, 520, 260}, {33, 31, 129}, {0, 4, 4}, {4, 4, 0}};
  uint32_t seed = 1;
  for (const auto& s : sizes) {
    const int m = s[0], n = s[1], k = s[2];
    const std::vector<float> a = random_floats(static_cast<size_t>(m) * k, seed++);
    const std::vector<float> b = random_floats(static_cast<size_t>(k) * n, seed++);
    const std::vector<float> c0 = random_floats(static_cast<size_t>(m) * n, seed++);
    const std::vector<float> at = transpose(a, m, k), bt = transpose(b, k, n);
    for (int layout = 0; layout < 4; ++layout) {
      const bool ta = layout & 1, tb = layout & 2;
      SCOPED_TRACE(testing::Message() << m << "x" << n << "x" << k << " layout " << layout);
      portable::MatrixView va = ta ? portable::MatrixView{at.data(), 1, m}
                                   : portable::MatrixView{a.data(), k, 1};
      portable::MatrixView vb = tb ? portable::MatrixView{bt.data(), 1, k}
                                   : portable::MatrixView{b.data(), n, 1};
      std::vector<float> c = c0;
      portable::gemm_f32(m, n, k, 0.75f, va, vb, 0.5f, c.data(), n);
      expect_close(c, ref_gemm(m, n, k, 0.75f, a, b, 0.5f, c0), 1e-5f);
    }
  }
}

TEST(Gemm, BetaZeroIgnoresNaN) {
  std::vector<float> a = {1, 2}, b = {3, 4};
  std::vector<float> c = {NAN};
  portable::gemm_f32(1, 1, 2, 1.0f, {a.data(), 2, 1}, {b.data(), 1, 1}, 0.0f, c.data(), 1);
  EXPECT_EQ(c[0], 11.0f);
}

TEST(Linear, AddmmWithBroadcastBias) {
  const int m = 6, k = 10, n = 9;
  const std::vector<float> a = random_floats(m * k, 3), b = random_floats(k * n, 4);
  const std::vector<float> bias = random_floats(n, 5);
  std::vector<float> c0(m * n);
  for (int i = 0; i < m * n; ++i) c0[i] = bias[i % n];
  auto ta = make_f({m, k}, a);
  auto tb = make_f({k, n}, b);
  auto tbias = make_f({n}, bias);
  auto out = make(ScalarType::Float, {m, n});
  Values v;
  ASSERT_EQ(run("aten::addmm.out", {tbias->ev(), ta->ev(), tb->ev(), v.real(0.5), v.integer(2),
                                    out->ev(), out->ev()}),
            Error::Ok);
  expect_close(out->get<float>(), ref_gemm(m, n, k, 2.0f, a, b, 0.5f, c0), 1e-5f);
  // A [m, 1] column bias and a transposed (dim order 1, 0) mat2.
  const std::vector<float> col = random_floats(m, 6);
  for (int i = 0; i < m * n; ++i) c0[i] = col[i / n];
  auto tcol = make_f({m, 1}, col);
  auto tb_t = make_f({k, n}, b, {1, 0});
  ASSERT_EQ(run("aten::addmm.out", {tcol->ev(), ta->ev(), tb_t->ev(), v.integer(1), v.integer(1),
                                    out->ev(), out->ev()}),
            Error::Ok);
  expect_close(out->get<float>(), ref_gemm(m, n, k, 1.0f, a, b, 1.0f, c0), 1e-5f);
}

TEST(Linear, MmAndBmm) {
  const int bsz = 3, m = 5, k = 7, n = 11;
  const std::vector<float> a = random_floats(bsz * m * k, 8), b = random_floats(bsz * k * n, 9);
  auto ta = make_f({m, k}, std::vector<float>(a.begin(), a.begin() + m * k));
  auto tb = make_f({k, n}, std::vector<float>(b.begin(), b.begin() + k * n));
  auto out = make_dynamic(ScalarType::Float, 2, 64);
  ASSERT_EQ(run("aten::mm.out", {ta->ev(), tb->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->shape(), (std::vector<int32_t>{m, n}));
  std::vector<float> zeros(m * n);
  expect_close(out->get<float>(),
               ref_gemm(m, n, k, 1.0f, std::vector<float>(a.begin(), a.begin() + m * k),
                        std::vector<float>(b.begin(), b.begin() + k * n), 0.0f, zeros),
               1e-5f);

  auto ba = make_f({bsz, m, k}, a);
  auto bb = make_f({bsz, k, n}, b);
  auto bout = make(ScalarType::Float, {bsz, m, n});
  ASSERT_EQ(run("aten::bmm.out", {ba->ev(), bb->ev(), bout->ev(), bout->ev()}), Error::Ok);
  std::vector<float> want;
  for (int i = 0; i < bsz; ++i) {
    const std::vector<float> ai(a.begin() + i * m * k, a.begin() + (i + 1) * m * k);
    const std::vector<float> bi(b.begin() + i * k * n, b.begin() + (i + 1) * k * n);
    const std::vector<float> ci = ref_gemm(m, n, k, 1.0f, ai, bi, 0.0f, zeros);
    want.insert(want.end(), ci.begin(), ci.end());
  }
  expect_close(bout->get<float>(), want, 1e-5f);
}

TEST(Linear, HandChecked) {
  auto a = make_f({2, 2}, {1, 2, 3, 4});
  auto b = make_f({2, 2}, {5, 6, 7, 8});
  auto out = make(ScalarType::Float, {2, 2});
  ASSERT_EQ(run("aten::mm.out", {a->ev(), b->ev(), out->ev(), out->ev()}), Error::Ok);
  EXPECT_EQ(out->get<float>(), (std::vector<float>{19, 22, 43, 50}));
}

TEST(Linear, Rejections) {
  Values v;
  auto a = make_f({2, 3}, std::vector<float>(6, 1.0f));
  auto b = make_f({4, 2}, std::vector<float>(8, 1.0f));
  auto out = make(ScalarType::Float, {2, 2});
  {
    LogCapture log;
    EXPECT_EQ(run("aten::mm.out", {a->ev(), b->ev(), out->ev(), out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("aten::mm.out"));
  }
  auto b32 = make_f({3, 2}, std::vector<float>(6, 1.0f));
  auto wrong = make(ScalarType::Float, {2, 3});
  EXPECT_EQ(run("aten::mm.out", {a->ev(), b32->ev(), wrong->ev(), wrong->ev()}),
            Error::InvalidArgument);
  auto ai = make_typed<int32_t>(ScalarType::Int, {2, 3}, std::vector<int32_t>(6, 1));
  EXPECT_EQ(run("aten::mm.out", {ai->ev(), b32->ev(), out->ev(), out->ev()}),
            Error::NotSupported);
  auto bias3 = make_f({3}, {1, 2, 3});
  EXPECT_EQ(run("aten::addmm.out", {bias3->ev(), a->ev(), b32->ev(), v.integer(1), v.integer(1),
                                    out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_EQ(run("aten::bmm.out", {a->ev(), b32->ev(), out->ev(), out->ev()}),
            Error::InvalidArgument);  // 2-d into bmm
  auto out_t = make(ScalarType::Float, {2, 2}, {1, 0});
  EXPECT_EQ(run("aten::mm.out", {a->ev(), b32->ev(), out_t->ev(), out_t->ev()}),
            Error::NotSupported);
}

}  // namespace
}  // namespace test
}  // namespace ember
