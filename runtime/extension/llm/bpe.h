// The byte-pair-encoding core every tokenizer format loads into: added
// tokens matched first, then normalizer steps, pre-tokenizer steps, and BPE
// merges by rank on each pre-tokenized word. The loaders (hf_json.cpp,
// tiktoken.cpp, sentencepiece.cpp) fill a BpeModel; BpeTokenizer runs it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/extension/llm/regex.h"
#include "runtime/extension/llm/tokenizer.h"

namespace ember {
namespace llm {

/// A token matched in the text before anything else (HF "added_tokens",
/// tiktoken's special tokens, SentencePiece's control/user-defined pieces).
struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = true;
  bool normalized = false;  ///< matched in the normalized text (else in the raw text)
  bool lstrip = false;      ///< the match takes the whitespace on its left
  bool rstrip = false;      ///< ... and on its right
  bool single_word = false; ///< only between word boundaries
  /// What is looked for in the text: `content`, or for a normalized token in
  /// HF its normalized content (set by BpeTokenizer).
  std::string match;
};

/// How a Split step keeps the pattern's matches (HF's SplitDelimiterBehavior).
enum class SplitBehavior : uint8_t {
  Removed,
  Isolated,
  MergedWithPrevious,
  MergedWithNext,
  Contiguous
};

/// One text-to-text normalizer step (HF normalizers that Ember implements,
/// and SentencePiece's remove_extra_whitespaces as StripSpaces).
struct NormalizerStep {
  enum class Kind : uint8_t { Replace, Prepend, StripSpaces, StripSuffix, Nfc };
  Kind kind = Kind::Replace;
  std::string pattern;  ///< Replace: the literal text to replace
  std::string content;  ///< Replace: the replacement; Prepend: the prefix (not
                        ///< added to an empty text)
  // StripSpaces: drop leading and trailing ' ' and collapse runs of ' ' into one.
  // StripSuffix: drop every trailing repeat of `content`. Nfc: Unicode NFC.
};

/// One pre-tokenizer step: splits every current piece into smaller ones.
struct PreTokenizerStep {
  enum class Kind : uint8_t { Split, ByteLevel, Metaspace };
  Kind kind = Kind::Split;
  std::unique_ptr<Regex> regex;  ///< Split with a regex; ByteLevel with use_regex
  std::string literal;           ///< Split with a String pattern (when regex is null)
  SplitBehavior behavior = SplitBehavior::Isolated;
  bool invert = false;
  bool add_prefix_space = false;  ///< ByteLevel
  // Metaspace: spaces become `replacement`, which is prepended per `prepend`.
  std::string replacement;
  enum class Prepend : uint8_t { Always, First, Never } prepend = Prepend::Always;
  bool split = true;
};

/// Everything a BpeTokenizer needs; filled by a loader.
struct BpeModel {
  /// Initial symbols are bytes (byte-level BPE, tiktoken) rather than UTF-8 characters.
  bool byte_level = true;
  /// A word that is itself a token is taken whole (HF ignore_merges, tiktoken).
  bool ignore_merges = false;
  /// Unknown characters become <0xXX> byte tokens (SentencePiece's byte_fallback).
  bool byte_fallback = false;
  int32_t unk_id = -1;
  bool fuse_unk = false;

  /// The model's vocabulary as the bytes it matches: bytes -> id.
  std::unordered_map<std::string, int32_t> ids;
  /// (left id << 32 | right id) -> (rank, merged id).
  std::unordered_map<uint64_t, std::pair<uint32_t, int32_t>> merges;
  /// Byte-level: the token of each single byte; byte fallback: the <0xXX> tokens.
  std::array<int32_t, 256> byte_tokens;

  std::vector<AddedToken> added;
  /// Normalized added tokens are looked for as their normalized content (HF;
  /// SentencePiece looks for user-defined symbols as written).
  bool normalize_added = true;
  std::vector<NormalizerStep> normalizers;
  std::vector<PreTokenizerStep> pre_tokenizers;

  /// id -> the bytes the decoder gives for it (already through the decoder's
  /// per-token steps: byte-level map, byte fallback, metaspace to space).
  std::vector<std::string> pieces;
  std::vector<uint8_t> valid;    ///< id -> 1 if the id exists
  std::vector<uint8_t> special;  ///< id -> 1 for special tokens
  /// When not empty: what each id decodes to as the first token of a text
  /// (HF's Metaspace decoder); else `pieces`.
  std::vector<std::string> first_pieces;
  /// The decoder drops one leading space of the text (SentencePiece's dummy prefix).
  bool strip_leading_space = false;
  /// ... of every token until the text is not empty (SentencePiece with
  /// remove_extra_whitespaces).
  bool strip_until_text = false;

  int32_t bos_id = -1;
  int32_t eos_id = -1;

  BpeModel() { byte_tokens.fill(-1); }
  /// Size `pieces`, `valid` and `special` for ids below `n`.
  void resize(size_t n);
};

/// Runs a BpeModel. See Tokenizer for the contract.
class BpeTokenizer : public Tokenizer {
 public:
  BpeTokenizer(BpeModel model, TokenizerFormat format);

  Error encode(std::string_view text, bool bos, bool eos,
               std::vector<int32_t>* ids) const override;
  Error decode_piece(int32_t id, bool at_start, std::string* bytes) const override;
  bool is_special(int32_t id) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(model_.pieces.size()); }

 private:
  struct Segment {
    std::string text;
    int32_t added_id = -1;  ///< an added token (text unused), else -1
    bool begins_text = false;
  };
  void split_added(std::vector<Segment>* segments, bool normalized) const;
  Error pre_tokenize(const Segment& segment, std::vector<std::string>* words) const;
  void bpe_word(std::string_view word, std::vector<int32_t>* out) const;

  BpeModel model_;
  /// Added tokens by first byte, longest first (leftmost-longest matching).
  std::array<std::vector<size_t>, 256> added_by_byte_[2];
};

/// `text` through the normalizer `steps`.
std::string normalize(const std::vector<NormalizerStep>& steps, std::string_view text);

/// GPT-2's pre-tokenizer pattern (HF ByteLevel with use_regex).
extern const char* const kGpt2Pattern;
/// Llama 3's pattern (its tokenizer.json's Split, and the tiktoken default here).
extern const char* const kLlama3Pattern;

/// HF's bytes_to_unicode: the printable character standing for each byte in
/// byte-level vocabularies, as UTF-8.
const std::array<std::string, 256>& byte_to_unicode();
/// The inverse for one vocabulary string: its bytes if every character is in
/// the map, else false.
bool unicode_to_bytes(std::string_view text, std::string* bytes);

}  // namespace llm
}  // namespace ember
