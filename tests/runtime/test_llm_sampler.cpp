// The LLM runner's sampler (runtime/extension/llm/sampler.h): greedy is the
// argmax, draws follow the softmax, top-k and top-p keep what transformers'
// warpers keep, the repetition penalty is HF's rule, and a seed reproduces.
// Generation through the runner is tested in tests/python/test_llm_runner.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "runtime/extension/llm/sampler.h"
#include "runtime/platform/platform.h"

using ember::Error;
using ember::llm::Rng;
using ember::llm::Sampler;
using ember::llm::SamplerConfig;

namespace {

/// Frequencies of `draws` samples from `logits` under `c`.
std::vector<double> frequencies(const std::vector<float>& logits, const SamplerConfig& c,
                                int draws) {
  Sampler s;
  EXPECT_EQ(s.init(c, static_cast<int32_t>(logits.size())), Error::Ok);
  std::vector<double> f(logits.size(), 0.0);
  for (int i = 0; i < draws; ++i) f[static_cast<size_t>(s.sample(logits.data()))] += 1.0 / draws;
  return f;
}

std::vector<double> softmax(const std::vector<float>& x, float t) {
  double top = x[0];
  for (float v : x) top = std::max(top, static_cast<double>(v));
  std::vector<double> p(x.size());
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) sum += p[i] = std::exp((x[i] - top) / t);
  for (double& v : p) v /= sum;
  return p;
}

std::vector<float> random_logits(int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = static_cast<float>(rng.uniform() * 8.0 - 4.0);
  return x;
}

}  // namespace

TEST(LlmSampler, GreedyIsTheArgmaxFirstOnTies) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::vector<float> x = random_logits(1000, seed);
    int32_t best = 0;
    for (int32_t i = 1; i < 1000; ++i) {
      if (x[static_cast<size_t>(i)] > x[static_cast<size_t>(best)]) best = i;
    }
    Sampler s;
    ASSERT_EQ(s.init(SamplerConfig(), 1000), Error::Ok);
    EXPECT_EQ(s.sample(x.data()), best);
  }
  const std::vector<float> tie = {0.0f, 3.0f, 1.0f, 3.0f};
  Sampler s;
  ASSERT_EQ(s.init(SamplerConfig(), 4), Error::Ok);
  EXPECT_EQ(s.sample(tie.data()), 1);
}

TEST(LlmSampler, DrawsFollowTheSoftmaxAtEachTemperature) {
  const std::vector<float> x = {0.0f, 1.0f, 2.0f, 3.0f, -1.0f};
  for (float t : {1.0f, 0.5f, 2.0f}) {
    SamplerConfig c;
    c.temperature = t;
    c.seed = 3;
    const std::vector<double> f = frequencies(x, c, 200000);
    const std::vector<double> p = softmax(x, t);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(f[i], p[i], 0.006) << "token " << i << " at temperature " << t;
    }
  }
}

TEST(LlmSampler, TopKKeepsTheKLargestAndTheirTies) {
  const std::vector<float> x = {1.0f, 4.0f, 2.0f, 3.0f, 0.5f};
  SamplerConfig c;
  c.temperature = 1.0f;
  c.top_k = 2;
  std::vector<double> f = frequencies(x, c, 100000);
  EXPECT_EQ(f[0] + f[2] + f[4], 0.0);
  // Renormalised over {1, 3}: e^4 / (e^4 + e^3).
  EXPECT_NEAR(f[1], 1.0 / (1.0 + std::exp(-1.0)), 0.006);
  // k = 1 with two equal largest values keeps both (HF compares with the k-th value).
  const std::vector<float> tie = {1.0f, 5.0f, 5.0f, 0.0f};
  c.top_k = 1;
  f = frequencies(tie, c, 20000);
  EXPECT_NEAR(f[1], 0.5, 0.02);
  EXPECT_NEAR(f[2], 0.5, 0.02);
  EXPECT_EQ(f[0] + f[3], 0.0);
}

TEST(LlmSampler, TopPKeepsTheSmallestSetReachingP) {
  // Probabilities 0.5, 0.3, 0.15, 0.05 (ids shuffled).
  const std::vector<float> x = {std::log(0.15f), std::log(0.5f), std::log(0.05f), std::log(0.3f)};
  SamplerConfig c;
  c.temperature = 1.0f;
  c.top_p = 0.75f;  // 0.5 < 0.75 keeps the second; 0.8 >= 0.75 stops
  std::vector<double> f = frequencies(x, c, 100000);
  EXPECT_EQ(f[0] + f[2], 0.0);
  EXPECT_NEAR(f[1], 0.5 / 0.8, 0.006);
  EXPECT_NEAR(f[3], 0.3 / 0.8, 0.006);
  c.top_p = 0.85f;
  f = frequencies(x, c, 100000);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_NEAR(f[0], 0.15 / 0.95, 0.006);
  // A tiny top_p keeps the most likely token only.
  c.top_p = 0.01f;
  f = frequencies(x, c, 1000);
  EXPECT_NEAR(f[1], 1.0, 1e-9);
  // Top-k first, then top-p over what is left (0.5 / 0.8 = 0.625 >= 0.6).
  c.top_k = 2;
  c.top_p = 0.6f;
  f = frequencies(x, c, 1000);
  EXPECT_NEAR(f[1], 1.0, 1e-9);
}

TEST(LlmSampler, TopPOverALargeVocabulary) {
  // 32,000 logits: every draw must come from the nucleus computed by sorting.
  const std::vector<float> x = random_logits(32000, 11);
  const std::vector<double> p = softmax(x, 1.0f);
  std::vector<int32_t> ids(x.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return p[a] > p[b]; });
  std::set<int32_t> nucleus;
  double above = 0.0;
  for (int32_t id : ids) {
    if (above >= 0.9) break;
    nucleus.insert(id);
    above += p[static_cast<size_t>(id)];
  }
  SamplerConfig c;
  c.temperature = 1.0f;
  c.top_p = 0.9f;
  Sampler s;
  ASSERT_EQ(s.init(c, 32000), Error::Ok);
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(nucleus.count(s.sample(x.data()))) << i;
}

TEST(LlmSampler, RepetitionPenaltyIsHfsRule) {
  SamplerConfig c;
  c.repetition_penalty = 2.0f;
  Sampler s;
  // Positive logits are divided: 2.0 -> 1.0 loses to 1.9.
  const std::vector<float> pos = {2.0f, 1.9f, -1.0f};
  ASSERT_EQ(s.init(c, 3), Error::Ok);
  EXPECT_EQ(s.sample(pos.data()), 0);
  s.accept(0);
  s.accept(0);  // each token once: not 2.0 / 4
  EXPECT_EQ(s.sample(pos.data()), 1);
  // Negative logits are multiplied: -1.0 -> -2.0 loses to -1.5.
  const std::vector<float> neg = {-1.0f, -1.5f};
  ASSERT_EQ(s.init(c, 2), Error::Ok);
  s.accept(0);
  EXPECT_EQ(s.sample(neg.data()), 1);
  // reset() forgets the tokens; ids outside the vocabulary are ignored.
  s.reset();
  s.accept(7);
  s.accept(-1);
  EXPECT_EQ(s.sample(neg.data()), 0);
  // The logits themselves are not modified.
  EXPECT_EQ(neg[0], -1.0f);
}

TEST(LlmSampler, ASeedReproducesAndSeedsDiffer) {
  const std::vector<float> x = random_logits(500, 5);
  auto run = [&](uint64_t seed) {
    SamplerConfig c;
    c.temperature = 1.0f;
    c.top_k = 50;
    c.top_p = 0.95f;
    c.seed = seed;
    Sampler s;
    EXPECT_EQ(s.init(c, 500), Error::Ok);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(x.data()));
    // reset() reseeds: the same draws again.
    s.reset();
    for (int i = 0; i < 64; ++i) EXPECT_EQ(s.sample(x.data()), out[static_cast<size_t>(i)]);
    return out;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(LlmSampler, RngIsUniformAndFixed) {
  Rng a(0), b(0);
  double sum = 0.0;
  for (int i = 0; i < 100000; ++i) {
    const double u = a.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
  // The sequence is part of the format of a seed: it must not change.
  b.reseed(1);
  const uint64_t first = b.next();
  b.reseed(1);
  EXPECT_EQ(b.next(), first);
  Rng c(1);
  EXPECT_EQ(c.next(), first);
}

TEST(LlmSampler, BadConfigsAreRefused) {
  ember::platform::set_errors_to_sink_only(true);
  ember::platform::set_log_sink([](ember::platform::LogLevel, const char*) {});
  Sampler s;
  SamplerConfig c;
  c.temperature = -1.0f;
  EXPECT_EQ(s.init(c, 10), Error::InvalidArgument);
  c = SamplerConfig();
  c.temperature = NAN;
  EXPECT_EQ(s.init(c, 10), Error::InvalidArgument);
  c = SamplerConfig();
  c.top_k = -1;
  EXPECT_EQ(s.init(c, 10), Error::InvalidArgument);
  c = SamplerConfig();
  c.top_p = 0.0f;
  EXPECT_EQ(s.init(c, 10), Error::InvalidArgument);
  c.top_p = 1.5f;
  EXPECT_EQ(s.init(c, 10), Error::InvalidArgument);
  c = SamplerConfig();
  c.repetition_penalty = 0.0f;
  EXPECT_EQ(s.init(c, 10), Error::InvalidArgument);
  EXPECT_EQ(s.init(SamplerConfig(), 0), Error::InvalidArgument);
  ember::platform::set_log_sink(nullptr);
  ember::platform::set_errors_to_sink_only(false);
}
