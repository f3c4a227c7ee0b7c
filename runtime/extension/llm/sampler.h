// Sampling the next token from a row of logits, as transformers' generate
// does: repetition penalty, then temperature, top-k and top-p, then a draw
// from the softmax (or the argmax when the temperature is 0). The random
// numbers are Ember's own (xoshiro256**, seeded through splitmix64), so a
// seed gives the same tokens on every platform and standard library.
//
//   ember::llm::SamplerConfig c;
//   c.temperature = 0.8f; c.top_p = 0.95f; c.seed = 42;
//   ember::llm::Sampler s;
//   if (s.init(c, vocab_size) != ember::Error::Ok) return 1;   // bad values logged
//   for (int32_t id : prompt) s.accept(id);                    // for the penalty
//   int32_t next = s.sample(logits);                           // logits[vocab_size]
//   s.accept(next);
//
// Scratch memory is allocated by init(); sample() and accept() allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/core/error.h"

namespace ember {
namespace llm {

/// xoshiro256** (Blackman and Vigna), its state filled from the seed by
/// splitmix64: small, fast and the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t s_[4];
};

/// How to pick a token. The defaults are greedy decoding.
struct SamplerConfig {
  /// 0: greedy (the argmax, first index on ties); > 0 divides the logits.
  float temperature = 0.0f;
  /// Keep the k most likely tokens (ties with the k-th kept); 0: all.
  int32_t top_k = 0;
  /// Keep the smallest set of most likely tokens whose probability reaches
  /// top_p, in (0, 1]; 1: all.
  float top_p = 1.0f;
  /// HF's rule over the tokens seen (prompt and generated, each once): a
  /// positive logit is divided by it, a negative one multiplied; 1: off.
  /// Applies to greedy decoding too.
  float repetition_penalty = 1.0f;
  uint64_t seed = 0;
};

class Sampler {
 public:
  /// Check `config` (InvalidArgument, logged, for a negative or non-finite
  /// temperature, a negative top_k, top_p outside (0, 1], a penalty <= 0)
  /// and size the scratch for `vocab_size` logits. Clears the seen tokens
  /// and reseeds.
  Error init(const SamplerConfig& config, int32_t vocab_size);
  /// Forget the seen tokens and reseed (a new sequence).
  void reset();
  /// Note a token of the sequence for the repetition penalty (ids outside
  /// the vocabulary are ignored).
  void accept(int32_t token);
  /// The next token from `logits` (vocab_size values; not modified).
  int32_t sample(const float* logits);

  const SamplerConfig& config() const { return config_; }
  int32_t vocab_size() const { return vocab_; }

 private:
  SamplerConfig config_;
  int32_t vocab_ = 0;
  Rng rng_;
  std::vector<float> work_;      ///< the adjusted logits, then probabilities
  std::vector<int32_t> order_;   ///< candidate ids
  std::vector<uint8_t> is_seen_;  ///< one flag per id
  std::vector<int32_t> seen_;    ///< the distinct ids seen, in order
};

}  // namespace llm
}  // namespace ember
