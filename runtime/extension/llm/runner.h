// The LLM runner: an `ember.llm.export` program plus a tokenizer, generating
// text from a prompt on the device, without Python. The program's contract
// (python/ember/llm/export.py): forward(tokens int64 [1, T], input_pos int64
// [T]) -> float32 [1, vocab], the last token's logits, over a KV cache kept
// in the program's mutable buffers; constant methods get_max_seq_len,
// get_vocab_size, get_bos_id, get_eos_ids, use_kv_cache.
//
//   ember::Status st;
//   auto runner = ember::llm::Runner::load("model.pte", "tokenizer.json", {}, &st);
//   if (!runner) { fprintf(stderr, "%s\n", st.text().c_str()); return 1; }
//   ember::llm::GenerationConfig cfg;
//   cfg.max_new_tokens = 64;
//   ember::llm::Generation out;
//   st = runner->generate("Once upon a time", cfg,
//                         [](const std::string& text) { fputs(text.c_str(), stdout); }, &out);
//   printf("\n%s\n", ember::llm::format_stats(out.stats).c_str());
//
// Like the module layer it uses the heap freely and never throws: a call
// returns a Status whose message names what failed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/extension/llm/sampler.h"
#include "runtime/extension/llm/tokenizer.h"
#include "runtime/extension/module.h"

namespace ember {
namespace llm {

struct RunnerOptions {
  /// What the tokenizer file does not say (tiktoken's pattern and special
  /// tokens, bos/eos overrides).
  TokenizerOptions tokenizer;
};

/// One generate() call's choices.
struct GenerationConfig {
  /// Tokens to generate at most (>= 0; the stop token counts).
  int32_t max_new_tokens = 128;
  float temperature = 0.0f;  ///< 0: greedy
  int32_t top_k = 0;         ///< 0: off
  float top_p = 1.0f;        ///< 1: off
  float repetition_penalty = 1.0f;  ///< 1: off
  uint64_t seed = 0;
  /// Tokens that end generation (included in the tokens, not in the text).
  /// Empty: the model's get_eos_ids, or the tokenizer's eos when the model
  /// names none.
  std::vector<int32_t> stop_ids;
  /// Stream the prompt's text to the callback before the generated text.
  bool echo = false;
  /// Start the prompt with the model's bos id: -1 when the model has one
  /// (get_bos_id), 0 never, 1 always (the tokenizer's when the model has none).
  int bos = -1;
};

/// Why generation ended.
enum class StopReason : uint8_t { MaxNewTokens, StopToken, CacheFull };
const char* stop_reason_name(StopReason r);

/// Figures of one generate() call. Rates are 0 when nothing was timed.
struct GenerationStats {
  double load_ms = 0.0;           ///< Runner::load: program, tokenizer, forward
  double time_to_first_token_ms = 0.0;  ///< from generate() to the first new token
  double prefill_ms = 0.0;        ///< the prompt's forward call
  double decode_ms = 0.0;         ///< the forward calls after it
  double prefill_tokens_per_s = 0.0;
  double decode_tokens_per_s = 0.0;  ///< over the tokens after the first
  int32_t prompt_tokens = 0;
  int32_t generated_tokens = 0;
  long peak_rss_kib = -1;         ///< VmHWM; -1 where the system does not say
  StopReason stop_reason = StopReason::MaxNewTokens;
};

/// "prompt 12 tokens, generated 32 (max_new_tokens) | load 41.2 ms | ..." on one line.
std::string format_stats(const GenerationStats& s);

/// What generate() produced.
struct Generation {
  std::vector<int32_t> prompt_tokens;  ///< bos included
  std::vector<int32_t> tokens;         ///< the generated ids (a stop token included)
  std::string text;                    ///< the generated text (echoed prompt excluded)
  GenerationStats stats;
};

/// Receives text as it becomes valid UTF-8.
using TextCallback = std::function<void(const std::string& text)>;

/// A loaded LLM program and its tokenizer. Not thread-safe: one generation
/// at a time (the KV cache is the program's state).
class Runner {
 public:
  /// Load `pte_path` and `tokenizer_path`, read the constant methods and
  /// load forward. Returns nullptr and fills `status` when a file is
  /// missing or corrupt, the program is not an LLM export (InvalidArgument,
  /// "not an LLM export: ..."), or the tokenizer's vocabulary is larger than
  /// the model's (InvalidArgument naming both sizes).
  static std::unique_ptr<Runner> load(const std::string& pte_path,
                                      const std::string& tokenizer_path,
                                      const RunnerOptions& options, Status* status);

  /// Encode `prompt`, run it through forward in one call, then one call per
  /// new token until max_new_tokens, a stop token or a full cache. `on_text`
  /// (may be empty) gets the text as it streams. InvalidArgument for a
  /// prompt longer than the cache, an empty prompt, or bad sampling values.
  Status generate(const std::string& prompt, const GenerationConfig& config,
                  const TextCallback& on_text, Generation* out);

  /// The same from token ids (bos not added: `prompt` is taken as it is).
  Status generate_from_tokens(const std::vector<int32_t>& prompt, const GenerationConfig& config,
                              const TextCallback& on_text, Generation* out);

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  Module& module() { return *module_; }
  int64_t max_seq_len() const { return max_seq_len_; }
  int64_t vocab_size() const { return vocab_size_; }
  int64_t bos_id() const { return bos_id_; }  ///< -1: the model has none
  const std::vector<int64_t>& eos_ids() const { return eos_ids_; }
  const std::string& model_family() const { return family_; }
  double load_ms() const { return load_ms_; }

 private:
  Runner() = default;
  /// forward(tokens, input_pos = start .. start + n - 1); `logits` points
  /// into the program's memory until the next call.
  Status forward(const int64_t* tokens, int64_t n, int64_t start, const float** logits);

  std::unique_ptr<Module> module_;
  std::unique_ptr<Tokenizer> tokenizer_;
  int64_t max_seq_len_ = 0;
  int64_t vocab_size_ = 0;
  int64_t bos_id_ = -1;
  std::vector<int64_t> eos_ids_;
  std::string family_;
  double load_ms_ = 0.0;
  // Reused between calls: forward's input buffers.
  std::vector<int64_t> tokens_buf_;
  std::vector<int64_t> pos_buf_;
  Sampler sampler_;
};

/// The process's peak resident set in KiB (VmHWM of /proc/self/status), or
/// -1 where the system does not say.
long peak_rss_kib();

}  // namespace llm
}  // namespace ember
