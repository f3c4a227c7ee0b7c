// ember::sdpa.out: the portable kernel and the optimized (tiled, flash-style)
// one against a float64 reference written here, on every instruction set at 1
// and 2 threads (bit-identical across thread counts), with grouped heads,
// causal, bool and additive masks (broadcast, a fully masked row), odd sizes
// across the 64-row and 64-key blocks, another dim order (the portable
// path), a small scratch arena (fewer tasks, same result), and rejected calls.
#include <cmath>
#include <functional>
#include <limits>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/portable/portable_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"
#include "tests/runtime/kernels/optimized_test_util.h"

namespace ember {
namespace test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Problem {
  int n, hq, hk, l, s, e, ev;
  bool causal = false;
  std::vector<int32_t> mask_shape;  // empty: no mask
  bool bool_mask = false;
  double scale = -1.0;               // < 0: default 1 / sqrt(e)
  std::vector<uint8_t> q_order = {};  // dim order of q
  int cache_start = -1;  // >= 0: a static KV cache's mask, row i sees keys <= cache_start + i
};

/// The call's tensors and values, with random contents.
struct Call {
  TensorPtr q, k, v, mask, out;
  Values values;
  std::vector<EValue*> args;

  explicit Call(const Problem& p, double dropout = 0.0) {
    q = make_f({p.n, p.hq, p.l, p.e}, random_floats(size_t(p.n) * p.hq * p.l * p.e, 1, -2, 2),
               p.q_order);
    k = make_f({p.n, p.hk, p.s, p.e}, random_floats(size_t(p.n) * p.hk * p.s * p.e, 2, -2, 2));
    v = make_f({p.n, p.hk, p.s, p.ev}, random_floats(size_t(p.n) * p.hk * p.s * p.ev, 3));
    out = make(ScalarType::Float, {p.n, p.hq, p.l, p.ev});
    EValue* mask_ev = values.none();
    if (!p.mask_shape.empty()) {
      int64_t numel = 1;
      for (int32_t d : p.mask_shape) numel *= d;
      std::vector<float> r = random_floats(size_t(numel), 4);
      if (p.cache_start >= 0) {
        // [.., L, S]: row i's keys after cache_start + i are the cache's empty tail.
        const int64_t rows = p.mask_shape[p.mask_shape.size() - 2], keys = p.mask_shape.back();
        for (int64_t i = 0; i < numel; ++i) {
          const bool visible = i % keys <= p.cache_start + (i / keys) % rows;
          r[size_t(i)] = visible ? 1.0f : -1.0f;
        }
      }
      if (p.cache_start >= 0 && !p.bool_mask) {
        for (float& x : r) x = x > 0.0f ? 0.0f : -kInf;
        mask = make_f(p.mask_shape, r);
      } else if (p.bool_mask) {
        std::vector<bool> keep(r.size());
        for (size_t i = 0; i < r.size(); ++i) keep[i] = r[i] > -0.4f;
        // Row 1 (of the last two dims) fully masked.
        const int64_t row = p.mask_shape.back();
        for (int64_t j = 0; j < row && int64_t(r.size()) > row && p.cache_start < 0; ++j)
          keep[row + j] = false;
        mask = make(ScalarType::Bool, p.mask_shape);
        bool* m = mask->t().data_as<bool>();
        for (size_t i = 0; i < keep.size(); ++i) m[i] = keep[i];
      } else {
        for (size_t i = 0; i < r.size(); i += 3) r[i] = -kInf;  // some keys masked
        mask = make_f(p.mask_shape, r);
      }
      mask_ev = mask->ev();
    }
    args = {q->ev(), k->ev(), v->ev(), mask_ev, values.real(dropout), values.boolean(p.causal),
            p.scale < 0 ? values.none() : values.real(p.scale),
            values.boolean(p.hk != p.hq), out->ev(), out->ev()};
  }
};

/// float64 attention in logical order: softmax over the visible keys, 0 for a
/// row with none.
std::vector<double> reference(const Problem& p, Call& c) {
  std::vector<float> q = c.q->get<float>(), k = c.k->get<float>(), v = c.v->get<float>();
  const double scale = p.scale < 0 ? 1.0 / std::sqrt(double(p.e)) : p.scale;
  std::vector<double> out(size_t(p.n) * p.hq * p.l * p.ev, 0.0);
  const int group = p.hq / p.hk;
  for (int b = 0; b < p.n; ++b) {
    for (int h = 0; h < p.hq; ++h) {
      const int kh = h / group;
      for (int i = 0; i < p.l; ++i) {
        std::vector<double> s(size_t(p.s), -INFINITY);
        double max = -INFINITY;
        for (int j = 0; j < p.s; ++j) {
          if (p.causal && j > i) continue;
          double dot = 0.0;
          for (int d = 0; d < p.e; ++d) {
            dot += double(q[((size_t(b) * p.hq + h) * p.l + i) * p.e + d]) *
                   k[((size_t(b) * p.hk + kh) * p.s + j) * p.e + d];
          }
          double sj = dot * scale;
          if (c.mask) {
            const int32_t idx[4] = {b, h, i, j};
            const int rank = int(p.mask_shape.size());
            int64_t off = 0;
            for (int d = 0; d < rank; ++d) {
              const int32_t size = p.mask_shape[size_t(d)];
              off = off * size + (size == 1 ? 0 : idx[4 - rank + d]);
            }
            if (p.bool_mask) {
              if (!c.mask->t().data_as<bool>()[off]) sj = -INFINITY;
            } else {
              sj += c.mask->t().data_as<float>()[off];
            }
          }
          s[size_t(j)] = sj;
          max = std::max(max, sj);
        }
        double* o = &out[((size_t(b) * p.hq + h) * p.l + i) * p.ev];
        if (max == -INFINITY) continue;
        double sum = 0.0;
        for (int j = 0; j < p.s; ++j) sum += std::exp(s[size_t(j)] - max);
        for (int j = 0; j < p.s; ++j) {
          const double w = std::exp(s[size_t(j)] - max) / sum;
          for (int d = 0; d < p.ev; ++d) o[d] += w * v[((size_t(b) * p.hk + kh) * p.s + j) * p.ev + d];
        }
      }
    }
  }
  return out;
}

Error call(KernelFn fn, Call& c, size_t temp_bytes = 8 << 20) {
  std::vector<uint8_t> temp(temp_bytes);
  KernelContext ctx(temp_bytes ? temp.data() : nullptr, temp_bytes);
  fn(ctx, Span<EValue*>(c.args.data(), c.args.size()));
  return ctx.error();
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want, double tol,
                 const std::string& label) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * (1.0 + std::fabs(want[i]))) << label << " at " << i;
  }
}

class Attention : public OptimizedKernelTest {
 protected:
  /// The portable kernel, and the optimized one on every ISA at 1 and 2
  /// threads, against the reference; the optimized results equal at both
  /// thread counts.
  void check(const Problem& p) {
    Call c(p);
    const std::vector<double> want = reference(p, c);
    ASSERT_EQ(call(&portable::sdpa_out, c), Error::Ok);
    expect_near(c.out->get<float>(), want, 1e-6, "portable");
    for (optimized::Isa isa : {optimized::Isa::generic, optimized::Isa::avx2,
                               optimized::Isa::avx512, optimized::Isa::neon}) {
      if (!optimized::isa_available(isa)) continue;
      ASSERT_TRUE(optimized::set_isa(isa));
      std::vector<float> first;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        const std::string label = std::string(optimized::isa_name(isa)) + ", " +
                                  std::to_string(threads) + " threads";
        ASSERT_EQ(call(&optimized::sdpa_out, c), Error::Ok) << label;
        const std::vector<float> got = c.out->get<float>();
        expect_near(got, want, 5e-6, label);
        if (first.empty()) {
          first = got;
        } else {
          EXPECT_EQ(got, first) << label << ": differs from 1 thread";
        }
      }
    }
  }
};

TEST_F(Attention, PlainAcrossBlocks) { check({1, 2, 2, 130, 257, 24, 20}); }

TEST_F(Attention, GroupedHeadsCausal) {
  Problem p{2, 4, 2, 150, 37, 8, 5};
  p.causal = true;
  check(p);
  Problem wide{1, 3, 1, 65, 200, 64, 64};
  wide.causal = true;
  check(wide);
}

TEST_F(Attention, BoolMaskBroadcastWithFullyMaskedRow) {
  Problem p{2, 3, 3, 17, 129, 16, 16};
  p.mask_shape = {1, 1, 17, 129};
  p.bool_mask = true;
  check(p);
}

TEST_F(Attention, AdditiveMaskOverHeadsAndScale) {
  Problem p{1, 3, 3, 7, 140, 8, 3};
  p.mask_shape = {3, 7, 1};  // one bias per (head, query row): broadcast over keys
  p.scale = 0.3;
  check(p);
  Problem q{2, 2, 2, 9, 11, 4, 4};
  q.mask_shape = {2, 1, 9, 11};
  check(q);
}

// Attention over a static KV cache, as an LLM export runs it: a mask that
// hides the cache's empty tail (the optimized kernel never visits those
// keys), a decode step (one row: scores as dot products of the key rows),
// a few rows over grouped heads, and a prefill across key blocks; bool and
// additive masks.
TEST_F(Attention, StaticCacheMaskSkipsTheEmptyTail) {
  for (bool as_bool : {true, false}) {
    Problem decode{1, 4, 2, 1, 300, 64, 64};
    decode.mask_shape = {1, 1, 1, 300};
    decode.bool_mask = as_bool;
    decode.cache_start = 119;
    check(decode);
    Problem few{1, 6, 2, 3, 96, 16, 8};
    few.mask_shape = {1, 1, 3, 96};
    few.bool_mask = as_bool;
    few.cache_start = 40;
    check(few);
    Problem prefill{1, 2, 1, 70, 256, 32, 32};
    prefill.mask_shape = {1, 1, 70, 256};
    prefill.bool_mask = as_bool;
    prefill.cache_start = 0;
    check(prefill);
  }
}

TEST_F(Attention, OtherDimOrderRunsThePortablePath) {
  Problem p{1, 2, 2, 9, 13, 8, 8};
  p.q_order = {0, 1, 3, 2};  // the head dim is not contiguous
  check(p);
}

TEST_F(Attention, SmallScratchRunsFewerTasksWithTheSameResult) {
  Problem p{2, 4, 4, 130, 130, 32, 32};
  Call c(p);
  ASSERT_EQ(set_num_threads(thread_counts().back()), Error::Ok);
  ASSERT_EQ(call(&optimized::sdpa_out, c), Error::Ok);
  const std::vector<float> roomy = c.out->get<float>();
  // One task's scratch: 128 * (ev + 2) + (e + 5) * 64 floats (a block of
  // 128 query rows, one of 64 keys), and a little alignment slack; not two.
  const size_t one_task = (128 * (32 + 2) + (32 + 5) * 64) * sizeof(float) + 64;
  ASSERT_EQ(call(&optimized::sdpa_out, c, one_task), Error::Ok);
  EXPECT_EQ(c.out->get<float>(), roomy);
  LogCapture log;
  EXPECT_EQ(call(&optimized::sdpa_out, c, 0), Error::MemoryAllocationFailed);
  EXPECT_EQ(call(&portable::sdpa_out, c, 0), Error::MemoryAllocationFailed);
  EXPECT_TRUE(log.contains("ember::sdpa.out: no scratch memory"));
}

TEST_F(Attention, RejectsBadCalls) {
  struct Bad {
    Problem p;
    double dropout;
    Error error;
    const char* message;
  };
  Problem causal_and_mask{1, 1, 1, 4, 4, 8, 8};
  causal_and_mask.causal = true;
  causal_and_mask.mask_shape = {4, 4};
  Problem wide_mask{1, 1, 1, 4, 4, 8, 8};
  wide_mask.mask_shape = {4, 5};
  const Bad cases[] = {
      {{1, 1, 1, 4, 4, 8, 8}, 0.5, Error::NotSupported, "dropout_p must be 0"},
      {causal_and_mask, 0.0, Error::InvalidArgument, "attn_mask or is_causal, not both"},
      {wide_mask, 0.0, Error::InvalidArgument, "does not broadcast to the scores"},
      {{1, 3, 2, 4, 4, 8, 8}, 0.0, Error::InvalidArgument, "divide with enable_gqa"},
  };
  for (const Bad& bad : cases) {
    for (KernelFn fn : {&portable::sdpa_out, &optimized::sdpa_out}) {
      Call c(bad.p, bad.dropout);
      LogCapture log;
      EXPECT_EQ(call(fn, c), bad.error) << bad.message;
      EXPECT_TRUE(log.contains("ember::sdpa.out")) << bad.message;
      EXPECT_TRUE(log.contains(bad.message)) << bad.message;
    }
  }
  // q and k head dims differ.
  Call c({1, 1, 1, 4, 4, 8, 8});
  TensorPtr k = make(ScalarType::Float, {1, 1, 4, 6});
  c.args[1] = k->ev();
  LogCapture log;
  EXPECT_EQ(call(&portable::sdpa_out, c), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("shapes do not match"));
}

}  // namespace
}  // namespace test
}  // namespace ember
