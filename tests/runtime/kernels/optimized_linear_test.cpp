// The optimized aten::mm.out, aten::addmm.out, aten::bmm.out and
// aten::linear.out (on ember_gemm)
// against a float64 reference and the portable kernels, on every GEMM
// micro-kernel family this CPU runs, at 1 and 2 threads: odd sizes,
// transposed operands (other dim orders), addmm's bias forms and beta/alpha
// (beta 0 over NaN), the registry's choice, small scratch, bit-identical
// results across thread counts, and the portable fallback with its errors.
// The backends' entry (fully_connected.h): the bits of aten::linear.out for
// the weight as [n, k] and transposed as [k, n], at the temp memory it asks
// for and at the least; the clamp; an error below the least.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/fully_connected.h"
#include "runtime/kernels/optimized/gemm/gemm.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/optimized/prepack.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

/// Calls `fn` on args with `temp_bytes` of scratch and a prepared `state`;
/// returns the context's error.
Error call(KernelFn fn, std::vector<EValue*> args, size_t temp_bytes = 4 << 20,
           const void* state = nullptr) {
  std::vector<uint8_t> temp(temp_bytes);
  KernelContext ctx(temp_bytes ? temp.data() : nullptr, temp_bytes);
  ctx.set_state(state);
  fn(ctx, Span<EValue*>(args.data(), args.size()));
  return ctx.error();
}

/// out[i, j] ~ beta * self[i, j] + alpha * sum_p a[i, p] b[p, j] in float64,
/// with the tolerance float32 summation over k earns.
void expect_product(const std::vector<float>& got, const std::vector<float>& a,
                    const std::vector<float>& b, int64_t m, int64_t n, int64_t k, double alpha,
                    const std::function<double(int64_t, int64_t)>& added,
                    const std::string& label) {
  ASSERT_EQ(got.size(), static_cast<size_t>(m * n)) << label;
  int bad = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0, mag = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        sum += static_cast<double>(a[i * k + p]) * b[p * n + j];
        mag += std::fabs(static_cast<double>(a[i * k + p]) * b[p * n + j]);
      }
      const double extra = added(i, j);
      const double want = alpha * sum + extra;
      const double tol = (k + 4) * 1.2e-7 * (std::fabs(alpha) * mag + std::fabs(extra)) + 1e-30;
      if (!(std::fabs(got[i * n + j] - want) <= tol) && ++bad <= 3) {
        ADD_FAILURE() << label << ": [" << i << ", " << j << "] = " << got[i * n + j] << ", want "
                      << want;
      }
    }
  }
}

/// Each test body under every GEMM family the CPU has and 1 and 2 threads.
class OptimizedLinear : public OptimizedKernelTest {
 protected:
  void each_config(const std::function<void(const std::string&)>& body) {
    for (gemm::Isa isa : {gemm::Isa::generic, gemm::Isa::avx2, gemm::Isa::avx512,
                          gemm::Isa::neon}) {
      if (!gemm::isa_available(isa)) continue;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(gemm::set_isa(isa), Error::Ok);
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        body(std::string(gemm::isa_name(isa)) + ", " + std::to_string(threads) + " threads");
      }
    }
  }
};

TEST_F(OptimizedLinear, RegisteredForFloatOnly) {
  const ScalarType floats[3] = {ScalarType::Float, ScalarType::Float, ScalarType::Float};
  const ScalarType doubles[3] = {ScalarType::Double, ScalarType::Double, ScalarType::Double};
  EXPECT_EQ(find_kernel("aten::mm.out", floats), &optimized::mm_out);
  EXPECT_EQ(find_kernel("aten::bmm.out", floats), &optimized::bmm_out);
  const ScalarType addmm_floats[4] = {ScalarType::Float, ScalarType::Float, ScalarType::Float,
                                      ScalarType::Float};
  EXPECT_EQ(find_kernel("aten::addmm.out", addmm_floats), &optimized::addmm_out);
  EXPECT_EQ(find_kernel("aten::mm.out", doubles), &portable::mm_out);
  EXPECT_EQ(find_kernel("aten::linear.out", addmm_floats), &optimized::linear_out);
  EXPECT_EQ(find_kernel("aten::linear.out", doubles), &portable::linear_out);
}

// linear(input [.., k], weight [n, k], bias [n] or None): the weight read in
// place as the transposed right operand. Inputs of rank 1, 2 and 3, with
// leading dims that collapse into rows and (dim order 1, 0, 2) that do not.
TEST_F(OptimizedLinear, LinearMatchesFloat64AndPortable) {
  struct Shape {
    int32_t m, n, k;
  };
  each_config([&](const std::string& config) {
    uint32_t seed = 100;
    for (Shape s : {Shape{1, 1, 1}, Shape{7, 17, 129}, Shape{129, 33, 300}, Shape{3, 255, 64}}) {
      for (int layout = 0; layout < 4; ++layout) {  // rank 2, 3, 3 permuted, rank 1
        for (bool with_bias : {false, true}) {
          Values v;
          const int32_t m = layout == 3 ? 1 : s.m;
          const int32_t batch = layout == 1 || layout == 2 ? 2 : 1;
          const std::vector<float> x = random_floats(batch * m * s.k, seed++);
          const std::vector<float> w = random_floats(s.n * s.k, seed++);
          const std::vector<float> bias = random_floats(s.n, seed++);
          std::vector<float> wt(static_cast<size_t>(s.k) * s.n);  // w^T as [k, n]
          for (int32_t j = 0; j < s.n; ++j) {
            for (int32_t p = 0; p < s.k; ++p) wt[p * s.n + j] = w[j * s.k + p];
          }
          TensorPtr tx = layout == 0   ? make_f({m, s.k}, x)
                         : layout == 3 ? make_f({s.k}, x)
                                       : make_f({batch, m, s.k}, x,
                                                layout == 2 ? std::vector<uint8_t>{1, 0, 2}
                                                            : std::vector<uint8_t>{});
          std::vector<int32_t> out_sizes = layout == 3   ? std::vector<int32_t>{s.n}
                                           : layout == 0 ? std::vector<int32_t>{m, s.n}
                                                         : std::vector<int32_t>{batch, m, s.n};
          auto tw = make_f({s.n, s.k}, w);
          auto tb = make_f({s.n}, bias);
          auto out = make(ScalarType::Float, out_sizes);
          auto ref = make(ScalarType::Float, out_sizes);
          EValue* b = with_bias ? tb->ev() : v.none();
          const std::string label = config + ", linear " + std::to_string(m) + "x" +
                                    std::to_string(s.n) + "x" + std::to_string(s.k) +
                                    ", layout " + std::to_string(layout) +
                                    (with_bias ? ", bias" : "");
          ASSERT_EQ(call(&optimized::linear_out, {tx->ev(), tw->ev(), b, out->ev(), out->ev()}),
                    Error::Ok)
              << label;
          ASSERT_EQ(call(&portable::linear_out, {tx->ev(), tw->ev(), b, ref->ev(), ref->ev()}),
                    Error::Ok)
              << label;
          auto added = [&](int64_t, int64_t j) { return with_bias ? double(bias[j]) : 0.0; };
          expect_product(out->get<float>(), x, wt, batch * m, s.n, s.k, 1.0, added, label);
          expect_product(ref->get<float>(), x, wt, batch * m, s.n, s.k, 1.0, added,
                         label + " (portable)");
        }
      }
    }
  });
}

TEST_F(OptimizedLinear, FullyConnectedForBackendsGivesLinearsBits) {
  struct Shape {
    int32_t m, n, k;
  };
  each_config([&](const std::string& config) {
    uint32_t seed = 700;
    for (Shape s : {Shape{1, 1000, 2048}, Shape{7, 17, 129}, Shape{129, 33, 300},
                    Shape{197, 64, 32}}) {
      for (bool with_bias : {false, true}) {
        Values v;
        const std::vector<float> x = random_floats(s.m * s.k, seed++);
        const std::vector<float> w = random_floats(s.n * s.k, seed++);
        const std::vector<float> bias = random_floats(s.n, seed++);
        std::vector<float> wt(static_cast<size_t>(s.k) * s.n);  // w^T as [k, n]
        for (int32_t j = 0; j < s.n; ++j) {
          for (int32_t p = 0; p < s.k; ++p) wt[p * s.n + j] = w[j * s.k + p];
        }
        auto tx = make_f({s.m, s.k}, x);
        auto tw = make_f({s.n, s.k}, w);
        auto tb = make_f({s.n}, bias);
        auto out = make(ScalarType::Float, {s.m, s.n});
        const std::string label = config + ", " + std::to_string(s.m) + "x" +
                                  std::to_string(s.n) + "x" + std::to_string(s.k) +
                                  (with_bias ? ", bias" : "");
        ASSERT_EQ(call(&optimized::linear_out,
                       {tx->ev(), tw->ev(), with_bias ? tb->ev() : v.none(), out->ev(),
                        out->ev()}),
                  Error::Ok)
            << label;
        const std::vector<float> want = out->get<float>();
        for (bool transposed : {false, true}) {
          void* packed = optimized::pack_fully_connected(transposed ? wt.data() : w.data(), s.n,
                                                         s.k, transposed);
          ASSERT_NE(packed, nullptr) << label;
          optimized::FullyConnected fc;
          fc.packed = packed;
          fc.m = s.m, fc.n = s.n, fc.k = s.k;
          fc.bias = with_bias ? bias.data() : nullptr;
          for (size_t bytes : {optimized::fully_connected_temp_bytes(fc),
                               optimized::fully_connected_min_temp_bytes()}) {
            std::vector<uint8_t> temp(bytes);
            std::vector<float> got(want.size(), kNan);
            ASSERT_EQ(optimized::run_fully_connected(fc, x.data(), got.data(), temp.data(), bytes),
                      Error::Ok)
                << label;
            EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
                << label << (transposed ? ", transposed" : "") << ", " << bytes << " bytes";
          }
          // Clamped: the same values, clamped.
          fc.lo = -0.5f;
          fc.hi = 0.25f;
          std::vector<uint8_t> temp(optimized::fully_connected_temp_bytes(fc));
          std::vector<float> got(want.size(), kNan);
          ASSERT_EQ(optimized::run_fully_connected(fc, x.data(), got.data(), temp.data(),
                                                   temp.size()),
                    Error::Ok);
          for (size_t i = 0; i < want.size(); ++i) {
            ASSERT_EQ(got[i], std::min(0.25f, std::max(-0.5f, want[i]))) << label << " [" << i
                                                                          << "]";
          }
          EXPECT_EQ(optimized::run_fully_connected(fc, x.data(), got.data(), temp.data(),
                                                   optimized::fully_connected_min_temp_bytes() -
                                                       1),
                    Error::MemoryAllocationFailed);
          optimized::release_fully_connected(packed);
        }
      }
    }
  });
}

// A constant right operand packed at load (prepare_*) gives the same bits as
// packing it in the call, on every GEMM family and thread count; only a
// constant 2-d float operand is packed; a state packed from other data is
// ignored; EMBER_PREPACK=0 packs nothing.
TEST_F(OptimizedLinear, PreparedWeightsGiveTheSameBits) {
  Values v;
  const int32_t m = 37, n = 45, k = 70;
  auto x = make_f({m, k}, random_floats(m * k, 40));
  auto wt = make_f({k, n}, random_floats(k * n, 41));  // mm / addmm's mat2
  auto w = make_f({n, k}, random_floats(n * k, 42));   // linear's weight
  auto bias = make_f({n}, random_floats(n, 43));
  auto out = make(ScalarType::Float, {m, n});
  auto ref = make(ScalarType::Float, {m, n});
  EValue* one = v.real(1.0);
  struct Case {
    const char* name;
    KernelFn fn;
    KernelPrepareFn prepare;
    std::vector<EValue*> args;  ///< out last, as a call has it
    size_t weight;
  };
  const std::vector<Case> cases = {
      {"mm", &optimized::mm_out, &optimized::prepare_mm, {x->ev(), wt->ev()}, 1},
      {"addmm", &optimized::addmm_out, &optimized::prepare_addmm,
       {bias->ev(), x->ev(), wt->ev(), one, one}, 2},
      {"linear", &optimized::linear_out, &optimized::prepare_linear,
       {x->ev(), w->ev(), bias->ev()}, 1},
  };
  each_config([&](const std::string& config) {
    for (const Case& c : cases) {
      std::vector<EValue*> args = c.args;
      args.push_back(out->ev());
      args.push_back(out->ev());
      // Not constant (or no flags at all): nothing packed.
      bool flags[8] = {};
      bool packed[8] = {};
      EXPECT_EQ(c.prepare(Span<EValue* const>(args.data(), args.size()),
                          Span<const bool>(flags, args.size()), Span<bool>(packed, args.size())),
                nullptr);
      EXPECT_EQ(c.prepare(Span<EValue* const>(args.data(), args.size()), Span<const bool>(),
                          Span<bool>()),
                nullptr);
      EXPECT_EQ(std::count(packed, packed + 8, true), 0) << c.name;
      flags[c.weight] = true;
      void* state = c.prepare(Span<EValue* const>(args.data(), args.size()),
                              Span<const bool>(flags, args.size()), Span<bool>(packed, args.size()));
      ASSERT_NE(state, nullptr) << c.name;
      // It says which argument the state replaces, and only that one.
      for (size_t k = 0; k < args.size(); ++k) EXPECT_EQ(packed[k], k == c.weight) << c.name << k;
      std::vector<EValue*> ref_args = c.args;
      ref_args.push_back(ref->ev());
      ref_args.push_back(ref->ev());
      ASSERT_EQ(call(c.fn, args, 4 << 20, state), Error::Ok) << c.name;
      ASSERT_EQ(call(c.fn, ref_args), Error::Ok) << c.name;
      EXPECT_EQ(out->get<float>(), ref->get<float>()) << config << ", " << c.name;
      // A state packed from another tensor is not used: same result.
      auto other = c.weight == 2 || c.fn == &optimized::mm_out
                       ? make_f({k, n}, random_floats(k * n, 44))
                       : make_f({n, k}, random_floats(n * k, 44));
      std::vector<EValue*> other_args = args;
      other_args[c.weight] = other->ev();
      std::vector<EValue*> other_ref = ref_args;
      other_ref[c.weight] = other->ev();
      ASSERT_EQ(call(c.fn, other_args, 4 << 20, state), Error::Ok);
      ASSERT_EQ(call(c.fn, other_ref), Error::Ok);
      EXPECT_EQ(out->get<float>(), ref->get<float>()) << config << ", " << c.name << " (other)";
      optimized::release_prepacked(state);
    }
  });
  // Disabled by the environment: nothing packed.
  setenv("EMBER_PREPACK", "0", 1);
  std::vector<EValue*> args = {x->ev(), wt->ev(), out->ev(), out->ev()};
  bool flags[4] = {false, true, false, false};
  bool packed[4] = {};
  EXPECT_EQ(optimized::prepare_mm(Span<EValue* const>(args.data(), 4), Span<const bool>(flags, 4),
                                  Span<bool>(packed, 4)),
            nullptr);
  unsetenv("EMBER_PREPACK");
  // Not a float matrix: nothing packed.
  auto ints = make(ScalarType::Int, {k, n});
  args[1] = ints->ev();
  EXPECT_EQ(optimized::prepare_mm(Span<EValue* const>(args.data(), 4), Span<const bool>(flags, 4),
                                  Span<bool>(packed, 4)),
            nullptr);
  EXPECT_FALSE(packed[1]);
}

TEST_F(OptimizedLinear, LinearRejectsBadArguments) {
  LogCapture log;
  Values v;
  auto x = make_f({3, 4}, random_floats(12, 30));
  auto w = make_f({5, 4}, random_floats(20, 31));
  auto out = make(ScalarType::Float, {3, 5});
  auto w_bad = make_f({5, 3}, random_floats(15, 32));
  for (KernelFn fn : {&optimized::linear_out, &portable::linear_out}) {
    EXPECT_EQ(call(fn, {x->ev(), w_bad->ev(), v.none(), out->ev(), out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("does not have the 3 features"));
    auto bias_bad = make_f({4}, random_floats(4, 33));
    EXPECT_EQ(call(fn, {x->ev(), w->ev(), bias_bad->ev(), out->ev(), out->ev()}),
              Error::InvalidArgument);
    EXPECT_TRUE(log.contains("bias [4] should be [5]"));
    auto w3 = make_f({1, 5, 4}, random_floats(20, 34));
    EXPECT_EQ(call(fn, {x->ev(), w3->ev(), v.none(), out->ev(), out->ev()}),
              Error::InvalidArgument);
    auto wrong_out = make(ScalarType::Float, {3, 4});
    EXPECT_EQ(call(fn, {x->ev(), w->ev(), v.none(), wrong_out->ev(), wrong_out->ev()}),
              Error::InvalidArgument);
  }
}

TEST_F(OptimizedLinear, MmMatchesFloat64AndPortable) {
  struct Shape {
    int32_t m, n, k;
  };
  each_config([&](const std::string& config) {
    uint32_t seed = 1;
    for (Shape s : {Shape{1, 1, 1}, Shape{7, 17, 129}, Shape{129, 33, 300}, Shape{1, 255, 64},
                    Shape{40, 9, 0}}) {
      // mat2 as stored (row-major) and transposed (a linear layer's weight).
      for (bool transposed : {false, true}) {
        const std::vector<float> a = random_floats(s.m * s.k, seed++);
        const std::vector<float> b = random_floats(s.k * s.n, seed++);
        auto ta = make_f({s.m, s.k}, a);
        auto tb = make_f({s.k, s.n}, b, transposed ? std::vector<uint8_t>{1, 0}
                                                   : std::vector<uint8_t>{});
        auto out = make(ScalarType::Float, {s.m, s.n});
        auto ref = make(ScalarType::Float, {s.m, s.n});
        const std::string label = config + ", mm " + std::to_string(s.m) + "x" +
                                  std::to_string(s.n) + "x" + std::to_string(s.k) +
                                  (transposed ? " (mat2 transposed)" : "");
        ASSERT_EQ(call(&optimized::mm_out, {ta->ev(), tb->ev(), out->ev(), out->ev()}), Error::Ok)
            << label;
        ASSERT_EQ(call(&portable::mm_out, {ta->ev(), tb->ev(), ref->ev(), ref->ev()}), Error::Ok);
        expect_product(out->get<float>(), a, b, s.m, s.n, s.k, 1.0,
                       [](int64_t, int64_t) { return 0.0; }, label);
        expect_product(ref->get<float>(), a, b, s.m, s.n, s.k, 1.0,
                       [](int64_t, int64_t) { return 0.0; }, label + " (portable)");
      }
    }
  });
}

TEST_F(OptimizedLinear, AddmmBiasFormsBetaAndAlpha) {
  const int32_t m = 37, n = 45, k = 290;
  const std::vector<float> a = random_floats(m * k, 3);
  const std::vector<float> b = random_floats(k * n, 4);
  struct Form {
    const char* name;
    std::vector<int32_t> shape;
    double beta, alpha;
  };
  const Form forms[] = {
      {"bias [n]", {n}, 1.0, 1.0},           {"bias [1, n]", {1, n}, 1.0, 0.5},
      {"bias [m, 1]", {m, 1}, 1.0, 1.0},     {"self [m, n]", {m, n}, 0.5, 2.0},
      {"self [n], beta 3", {n}, 3.0, 1.0},   {"scalar self", {1}, 1.0, 1.0},
      {"beta 0 over NaN", {m, n}, 0.0, 1.0},
  };
  each_config([&](const std::string& config) {
    for (const Form& f : forms) {
      int64_t count = 1;
      for (int32_t d : f.shape) count *= d;
      std::vector<float> self = random_floats(count, 5);
      if (f.beta == 0.0) std::fill(self.begin(), self.end(), kNan);
      Values v;
      auto ts = make_f(f.shape, self);
      auto ta = make_f({m, k}, a);
      auto tb = make_f({k, n}, b, {1, 0});
      auto out = make(ScalarType::Float, {m, n});
      const std::string label = config + ", addmm " + f.name;
      ASSERT_EQ(call(&optimized::addmm_out, {ts->ev(), ta->ev(), tb->ev(), v.real(f.beta),
                                             v.real(f.alpha), out->ev(), out->ev()}),
                Error::Ok)
          << label;
      // self broadcast to [m, n] (NumPy rules from the trailing dim).
      auto self_at = [&](int64_t i, int64_t j) -> double {
        if (f.beta == 0.0) return 0.0;
        const size_t rank = f.shape.size();
        const int64_t cols = rank >= 1 ? f.shape[rank - 1] : 1;
        const int64_t rows = rank == 2 ? f.shape[0] : 1;
        const int64_t ii = rows == 1 ? 0 : i, jj = cols == 1 ? 0 : j;
        return f.beta * self[ii * cols + jj];
      };
      expect_product(out->get<float>(), a, b, m, n, k, f.alpha, self_at, label);
    }
  });
}

TEST_F(OptimizedLinear, AddmmNaNBiasPropagatesToItsColumn) {
  const int32_t m = 5, n = 40, k = 8;
  std::vector<float> bias = random_floats(n, 6);
  bias[3] = kNan;
  Values v;
  auto ts = make_f({n}, bias);
  auto ta = make_f({m, k}, random_floats(m * k, 7));
  auto tb = make_f({k, n}, random_floats(k * n, 8));
  auto out = make(ScalarType::Float, {m, n});
  ASSERT_EQ(call(&optimized::addmm_out, {ts->ev(), ta->ev(), tb->ev(), v.real(1.0), v.real(1.0),
                                         out->ev(), out->ev()}),
            Error::Ok);
  const std::vector<float> y = out->get<float>();
  for (int32_t i = 0; i < m; ++i) {
    for (int32_t j = 0; j < n; ++j) EXPECT_EQ(std::isnan(y[i * n + j]), j == 3) << i << ", " << j;
  }
}

TEST_F(OptimizedLinear, BmmMatchesFloat64) {
  const int32_t batch = 3, m = 17, n = 9, k = 40;
  each_config([&](const std::string& config) {
    for (bool transposed : {false, true}) {
      const std::vector<float> a = random_floats(batch * m * k, 9);
      const std::vector<float> b = random_floats(batch * k * n, 10);
      auto ta = make_f({batch, m, k}, a);
      // [b, k, n] stored as [b, n, k] (q @ k^T's second operand).
      auto tb = make_f({batch, k, n}, b, transposed ? std::vector<uint8_t>{0, 2, 1}
                                                    : std::vector<uint8_t>{});
      auto out = make(ScalarType::Float, {batch, m, n});
      ASSERT_EQ(call(&optimized::bmm_out, {ta->ev(), tb->ev(), out->ev(), out->ev()}), Error::Ok);
      const std::vector<float> y = out->get<float>();
      for (int32_t i = 0; i < batch; ++i) {
        expect_product(std::vector<float>(y.begin() + i * m * n, y.begin() + (i + 1) * m * n),
                       std::vector<float>(a.begin() + i * m * k, a.begin() + (i + 1) * m * k),
                       std::vector<float>(b.begin() + i * k * n, b.begin() + (i + 1) * k * n), m,
                       n, k, 1.0, [](int64_t, int64_t) { return 0.0; },
                       config + ", bmm matrix " + std::to_string(i));
      }
    }
  });
}

TEST_F(OptimizedLinear, SameBitsForAnyThreadCountOrScratch) {
  const int32_t m = 130, n = 200, k = 300;
  Values v;
  auto ts = make_f({n}, random_floats(n, 11));
  auto ta = make_f({m, k}, random_floats(m * k, 12));
  auto tb = make_f({k, n}, random_floats(k * n, 13), {1, 0});
  auto run_addmm = [&](size_t threads, size_t temp) {
    EXPECT_EQ(set_num_threads(threads), Error::Ok);
    auto out = make(ScalarType::Float, {m, n});
    EXPECT_EQ(call(&optimized::addmm_out, {ts->ev(), ta->ev(), tb->ev(), v.real(1.0),
                                           v.real(1.0), out->ev(), out->ev()},
                   temp),
              Error::Ok);
    return out->get<float>();
  };
  const std::vector<float> one = run_addmm(1, 4 << 20);
  if (set_num_threads(2) == Error::Ok) {
    const std::vector<float> two = run_addmm(2, 4 << 20);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
  }
  // The GEMM's smallest workspace (and a little for alignment): same bits.
  const std::vector<float> small = run_addmm(1, gemm::min_workspace_bytes() + 64);
  EXPECT_EQ(std::memcmp(one.data(), small.data(), one.size() * sizeof(float)), 0);
}

TEST_F(OptimizedLinear, FallsBackToPortableWithItsErrors) {
  Values v;
  // No scratch at all: the portable kernel computes it.
  auto ta = make_f({3, 4}, random_floats(12, 14));
  auto tb = make_f({4, 5}, random_floats(20, 15));
  auto out = make(ScalarType::Float, {3, 5});
  auto ref = make(ScalarType::Float, {3, 5});
  ASSERT_EQ(call(&optimized::mm_out, {ta->ev(), tb->ev(), out->ev(), out->ev()}, 0), Error::Ok);
  ASSERT_EQ(call(&portable::mm_out, {ta->ev(), tb->ev(), ref->ev(), ref->ev()}, 0), Error::Ok);
  EXPECT_EQ(out->get<float>(), ref->get<float>());

  // Bad calls fail as the portable kernel's do, with its messages.
  LogCapture log;
  auto bad = make_f({3, 3}, random_floats(9, 16));
  EXPECT_EQ(call(&optimized::mm_out, {ta->ev(), bad->ev(), out->ev(), out->ev()}),
            call(&portable::mm_out, {ta->ev(), bad->ev(), out->ev(), out->ev()}));
  EXPECT_TRUE(log.contains("cannot be multiplied"));
  auto wrong_out = make(ScalarType::Float, {5, 3});
  EXPECT_EQ(call(&optimized::mm_out, {ta->ev(), tb->ev(), wrong_out->ev(), wrong_out->ev()}),
            Error::InvalidArgument);
  auto ints = make(ScalarType::Int, {3, 4});
  EXPECT_EQ(call(&optimized::mm_out, {ints->ev(), tb->ev(), out->ev(), out->ev()}),
            call(&portable::mm_out, {ints->ev(), tb->ev(), out->ev(), out->ev()}));
  auto self_bad = make_f({4}, random_floats(4, 17));
  EXPECT_EQ(call(&optimized::addmm_out, {self_bad->ev(), ta->ev(), tb->ev(), v.real(1.0),
                                         v.real(1.0), out->ev(), out->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("does not broadcast"));
  auto b3 = make_f({2, 4, 5}, random_floats(40, 18));
  auto a3 = make_f({3, 3, 4}, random_floats(36, 19));
  auto o3 = make(ScalarType::Float, {3, 3, 5});
  EXPECT_EQ(call(&optimized::bmm_out, {a3->ev(), b3->ev(), o3->ev(), o3->ev()}),
            Error::InvalidArgument);
  EXPECT_TRUE(log.contains("cannot be batch-multiplied"));
}

}  // namespace
}  // namespace test
}  // namespace ember
