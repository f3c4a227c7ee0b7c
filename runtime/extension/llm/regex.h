// The pre-tokenizer's regular expressions, on Debian's PCRE2 in UTF + UCP
// mode (so \p{L}, \p{N}, \s and the lookahead of GPT-2's `\s+(?!\S)` mean
// what they mean in HF tokenizers' Oniguruma and tiktoken's fancy-regex).
// JIT-compiled when the library has a JIT.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/core/error.h"

namespace ember {
namespace llm {

/// A compiled pattern. Matching never throws and needs no state from the
/// caller; one Regex may be used from several threads.
class Regex {
 public:
  /// Compile `pattern`. On failure returns nullptr and sets `*why` to PCRE2's
  /// message and the offset in the pattern.
  static std::unique_ptr<Regex> compile(std::string_view pattern, std::string* why);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  /// Every non-empty, non-overlapping match of `text`, left to right, as
  /// [begin, end) byte offsets (an empty match moves on by one character, as
  /// Oniguruma's and fancy-regex's find_iter do). Bytes that are not valid
  /// UTF-8 never match. Returns InvalidArgument if PCRE2 gives up (its
  /// match limit), logging why.
  Error find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;

 private:
  Regex() = default;
  void* code_ = nullptr;  ///< pcre2_code_8*
};

}  // namespace llm
}  // namespace ember
