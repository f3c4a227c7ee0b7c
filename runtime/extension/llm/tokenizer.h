// Tokenizers for the LLM runner: text to token ids and back, on the device,
// without Python. Three file formats share one byte-pair-encoding core:
//   - HF tokenizer.json with a BPE model: byte-level (GPT-2, Llama 3, Qwen2/3)
//     or SentencePiece-style (Metaspace / Replace+Prepend, byte_fallback);
//   - tiktoken files (lines of `base64(bytes) rank`);
//   - SentencePiece .model files with a BPE model (Llama 2, Mistral, Gemma).
// Like the module layer it uses the heap freely; like the rest of the
// runtime it never throws: calls return an Error and log a line naming the
// file, the JSON member or the token at fault.
//
//   ember::llm::TokenizerOptions opts;
//   auto tok = ember::llm::load_tokenizer("tokenizer.json", opts);
//   if (!tok.ok()) return 1;                  // the reason was logged
//   std::vector<int32_t> ids;
//   (*tok)->encode("Hello", /*bos=*/true, /*eos=*/false, &ids);
//   ember::llm::TextStream out;               // joins pieces into valid UTF-8
//   for (int32_t id : ids) fputs(out.push((*tok)->piece(id)).c_str(), stdout);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/core/error.h"

namespace ember {
namespace llm {

enum class TokenizerFormat : uint8_t { HfJson, Tiktoken, SentencePiece };

/// A short name for messages: "tokenizer.json", "tiktoken", "sentencepiece".
const char* format_name(TokenizerFormat f);

/// What a file does not say about itself.
struct TokenizerOptions {
  /// tiktoken: the pre-tokenizer pattern; empty means Llama 3's.
  std::string pattern;
  /// tiktoken: the special tokens as (text, id); empty means Llama 3's 256
  /// as ExecuTorch's runner numbers them from the vocabulary's size
  /// (<|begin_of_text|>, <|end_of_text|>, ..., <|eot_id|> at +9, <|image|> at +11).
  std::vector<std::pair<std::string, int32_t>> special_tokens;
  /// Override the bos / eos ids the file implies (-1: keep the file's).
  int32_t bos_id = -1;
  int32_t eos_id = -1;
};

/// A loaded tokenizer. Immutable after load: encode and the decoders may be
/// called from several threads.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  /// Token ids of `text` (UTF-8), with the bos id first and/or the eos id
  /// last when asked (InvalidState if the tokenizer has none). Special and
  /// added tokens written in the text are matched as themselves.
  virtual Error encode(std::string_view text, bool bos, bool eos,
                       std::vector<int32_t>* ids) const = 0;

  /// The bytes token `id` contributes to the text (possibly part of a UTF-8
  /// character: join pieces with TextStream). `at_start`: the token begins the
  /// text, so a SentencePiece-style leading space (the dummy prefix) is
  /// dropped. InvalidArgument for an id outside the vocabulary.
  virtual Error decode_piece(int32_t id, bool at_start, std::string* bytes) const = 0;

  /// The whole text of `ids` (invalid UTF-8 replaced by U+FFFD, as HF's
  /// decode does). Special tokens are kept unless `skip_special`.
  Error decode(const std::vector<int32_t>& ids, bool skip_special, std::string* text) const;

  /// The piece of `id`, or "" for an id outside the vocabulary (for
  /// streaming; decode_piece says why).
  std::string piece(int32_t id, bool at_start = false) const;

  virtual bool is_special(int32_t id) const = 0;
  /// One more than the largest id (added tokens included).
  virtual int32_t vocab_size() const = 0;
  /// -1 when the tokenizer has none.
  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }
  TokenizerFormat format() const { return format_; }

 protected:
  int32_t bos_id_ = -1;
  int32_t eos_id_ = -1;
  /// decode() passes at_start to every token until the text is not empty
  /// (else only to the first token with text).
  bool strip_until_text_ = false;
  TokenizerFormat format_ = TokenizerFormat::HfJson;
};

/// Load a tokenizer file, its format found from its contents: a JSON object
/// (tokenizer.json), a protobuf (SentencePiece .model), or lines of
/// `base64 rank` (tiktoken). NotFound / AccessFailed for a missing or
/// unreadable file, InvalidArgument for a corrupt one, NotSupported for a
/// valid file using what Ember does not implement (named in the log).
Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path,
                                                  const TokenizerOptions& options);

/// The same from bytes already in memory; `name` is used in messages.
Result<std::unique_ptr<Tokenizer>> load_tokenizer_from_bytes(std::string_view bytes,
                                                             std::string_view name,
                                                             const TokenizerOptions& options);

/// Joins decoded pieces into valid UTF-8 for printing as tokens arrive: a
/// character split across tokens is held back until complete; bytes that
/// can never form a character become U+FFFD.
class TextStream {
 public:
  /// Text that is ready: pending bytes + `bytes`, up to the last complete character.
  std::string push(std::string_view bytes);
  /// Whatever is held back, as U+FFFD (the text ended inside a character).
  std::string finish();

 private:
  std::string pending_;
};

/// `bytes` with every maximal invalid UTF-8 subsequence replaced by U+FFFD
/// (Unicode's recommended practice, as Rust's from_utf8_lossy and Python's
/// errors="replace" do).
std::string utf8_lossy(std::string_view bytes);

}  // namespace llm
}  // namespace ember
