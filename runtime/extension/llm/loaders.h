// The format loaders behind load_tokenizer (internal to the library).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/extension/llm/tokenizer.h"

namespace ember {
namespace llm {

/// HF tokenizer.json with a BPE model (hf_json.cpp).
Result<std::unique_ptr<Tokenizer>> load_hf_json(std::string_view bytes, const std::string& name,
                                                const TokenizerOptions& options);
/// tiktoken's `base64 rank` lines (tiktoken.cpp).
Result<std::unique_ptr<Tokenizer>> load_tiktoken(std::string_view bytes, const std::string& name,
                                                 const TokenizerOptions& options);
/// SentencePiece ModelProto with a BPE model (sentencepiece.cpp).
Result<std::unique_ptr<Tokenizer>> load_sentencepiece(std::string_view bytes,
                                                      const std::string& name,
                                                      const TokenizerOptions& options);

}  // namespace llm
}  // namespace ember
