// The sampler of sampler.h: transformers' logits processors in the order its
// generate applies them (repetition penalty, temperature, top-k, top-p),
// then one draw from what is left.
#include "runtime/extension/llm/sampler.h"

#include <algorithm>
#include <cmath>

namespace ember {
namespace llm {

namespace {

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// The index of the largest of `n` values, the first one on ties (as
/// torch.argmax); NaNs are never chosen unless every value is one.
int32_t argmax(const float* x, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i) {
    if (x[i] > x[best] || std::isnan(x[best])) best = i;
  }
  return best;
}

}  // namespace

void Rng::reseed(uint64_t seed) {
  // splitmix64 spreads any seed (0 included) over the four words: xoshiro's
  // state must not be all zero.
  uint64_t z = seed;
  for (uint64_t& s : s_) {
    z += 0x9e3779b97f4a7c15ull;
    uint64_t x = z;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    s = x ^ (x >> 31);
  }
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

Error Sampler::init(const SamplerConfig& config, int32_t vocab_size) {
  EMBER_CHECK(vocab_size > 0, Error::InvalidArgument, "sampler: vocab_size %d must be > 0",
              vocab_size);
  EMBER_CHECK(std::isfinite(config.temperature) && config.temperature >= 0.0f,
              Error::InvalidArgument, "sampler: temperature %g must be finite and >= 0",
              static_cast<double>(config.temperature));
  EMBER_CHECK(config.top_k >= 0, Error::InvalidArgument, "sampler: top_k %d must be >= 0 (0: off)",
              config.top_k);
  EMBER_CHECK(config.top_p > 0.0f && config.top_p <= 1.0f, Error::InvalidArgument,
              "sampler: top_p %g must be in (0, 1] (1: off)", static_cast<double>(config.top_p));
  EMBER_CHECK(std::isfinite(config.repetition_penalty) && config.repetition_penalty > 0.0f,
              Error::InvalidArgument, "sampler: repetition_penalty %g must be > 0 (1: off)",
              static_cast<double>(config.repetition_penalty));
  config_ = config;
  vocab_ = vocab_size;
  const size_t n = static_cast<size_t>(vocab_size);
  work_.assign(n, 0.0f);
  order_.assign(n, 0);
  is_seen_.assign(n, 0);
  seen_.clear();
  seen_.reserve(n);
  rng_.reseed(config.seed);
  return Error::Ok;
}

void Sampler::reset() {
  for (int32_t id : seen_) is_seen_[static_cast<size_t>(id)] = 0;
  seen_.clear();
  rng_.reseed(config_.seed);
}

void Sampler::accept(int32_t token) {
  if (token < 0 || token >= vocab_ || is_seen_[static_cast<size_t>(token)]) return;
  is_seen_[static_cast<size_t>(token)] = 1;
  seen_.push_back(token);  // capacity reserved by init: no allocation
}

int32_t Sampler::sample(const float* logits) {
  const bool penalty = config_.repetition_penalty != 1.0f && !seen_.empty();
  if (config_.temperature == 0.0f && !penalty) return argmax(logits, vocab_);

  // 1. Repetition penalty (HF's RepetitionPenaltyLogitsProcessor), each
  //    seen token once.
  float* x = work_.data();
  std::copy(logits, logits + vocab_, x);
  if (penalty) {
    const float p = config_.repetition_penalty;
    for (int32_t id : seen_) x[id] = x[id] > 0.0f ? x[id] / p : x[id] * p;
  }
  if (config_.temperature == 0.0f) return argmax(x, vocab_);

  // 2. Temperature.
  const float inv_t = 1.0f / config_.temperature;
  for (int32_t i = 0; i < vocab_; ++i) x[i] *= inv_t;

  // Candidates in order_[0, n); ranked by value, ties by id, so that the
  // result does not depend on the standard library's sort.
  auto higher = [x](int32_t a, int32_t b) { return x[a] > x[b] || (x[a] == x[b] && a < b); };
  int32_t* ids = order_.data();
  int32_t n = 0;

  // 3. Top-k: keep the values >= the k-th largest (HF keeps its ties).
  if (config_.top_k > 0 && config_.top_k < vocab_) {
    for (int32_t i = 0; i < vocab_; ++i) ids[i] = i;
    std::nth_element(ids, ids + config_.top_k - 1, ids + vocab_, higher);
    const float kth = x[ids[config_.top_k - 1]];
    // The others leave the ranking (top-p compares every id with -inf).
    for (int32_t i = 0; i < vocab_; ++i) {
      if (x[i] >= kth) ids[n++] = i;
      else x[i] = -INFINITY;
    }
  } else {
    for (int32_t i = 0; i < vocab_; ++i) {
      if (!std::isnan(x[i])) ids[n++] = i;
    }
  }
  if (n == 0) return argmax(logits, vocab_);

  // Softmax over the candidates (probabilities replace the values in x).
  float top = x[ids[0]];
  for (int32_t k = 1; k < n; ++k) top = std::max(top, x[ids[k]]);
  if (!std::isfinite(top)) return ids[0];  // an infinite logit, or nothing but -inf
  double sum = 0.0;
  for (int32_t k = 0; k < n; ++k) {
    const float e = std::exp(x[ids[k]] - top);
    x[ids[k]] = e;
    sum += e;
  }
  const float inv_sum = static_cast<float>(1.0 / sum);
  for (int32_t k = 0; k < n; ++k) x[ids[k]] *= inv_sum;

  // 4. Top-p (HF's TopPLogitsWarper): keep a token while the tokens ranked
  //    above it hold less than top_p. A token with probability below
  //    (1 - top_p) / (n - 1) can never be kept (it and everything below it
  //    hold less than 1 - top_p), so only the rest is ranked. The last kept
  //    token is found by halving selections (linear time: a random model's
  //    nucleus can be most of a 32,000-token vocabulary, and sorting it cost
  //    a sixth of a decode step), then the draw walks the kept tokens in id
  //    order, which no library's selection order changes.
  if (config_.top_p < 1.0f && n > 1) {
    const float floor = (1.0f - config_.top_p) / static_cast<float>(n - 1);
    int32_t m = 0;
    for (int32_t k = 0; k < n; ++k) {
      if (x[ids[k]] >= floor) ids[m++] = ids[k];
    }
    if (m == 0) m = n;  // rounding: keep them all rather than none
    const double p = static_cast<double>(config_.top_p);
    // ids[0, lo) rank above ids[lo, hi), hold `taken` < p, and are kept.
    int32_t lo = 0;
    int32_t hi = m;
    double taken = 0.0;
    while (hi - lo > 64) {
      const int32_t mid = lo + (hi - lo) / 2;
      std::nth_element(ids + lo, ids + mid, ids + hi, higher);
      double mass = 0.0;
      for (int32_t k = lo; k < mid; ++k) mass += x[ids[k]];
      if (taken + mass >= p) {
        hi = mid;
      } else {
        taken += mass;
        lo = mid;
      }
    }
    std::sort(ids + lo, ids + hi, higher);
    int32_t last = ids[hi - 1];
    for (int32_t k = lo; k < hi; ++k) {
      last = ids[k];
      taken += x[last];
      if (taken >= p) break;
    }
    const double u = rng_.uniform() * taken;
    double acc = 0.0;
    int32_t drawn = last;
    for (int32_t i = 0; i < vocab_; ++i) {
      if (i != last && !higher(i, last)) continue;
      drawn = i;
      acc += x[i];
      if (u < acc) break;
    }
    return drawn;  // the last kept token when u is within rounding of the total
  }

  // 5. One draw from what is left, by its cumulative probability.
  const double u = rng_.uniform();
  double acc = 0.0;
  for (int32_t k = 0; k < n; ++k) {
    acc += x[ids[k]];
    if (u < acc) return ids[k];
  }
  return ids[n - 1];  // u within rounding of the total
}

}  // namespace llm
}  // namespace ember
