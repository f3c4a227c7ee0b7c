// tiktoken files: one `base64(token bytes) rank` line per token, the rank
// being the id. The byte-pair merge of tiktoken merges the adjacent pair
// whose concatenation has the lowest rank; that is BpeTokenizer's merge once
// every split of every token into two tokens is listed with the token's rank.
#include <cinttypes>
#include <cstdio>

#include "runtime/extension/llm/bpe.h"
#include "runtime/extension/llm/loaders.h"

namespace ember {
namespace llm {

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// Standard base64 with '=' padding; false on any other character.
bool base64_decode(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  size_t i = 0;
  for (; i < in.size() && in[i] != '='; ++i) {
    int v = base64_value(in[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  for (; i < in.size(); ++i) {
    if (in[i] != '=') return false;
  }
  return !out->empty();
}

/// Llama 3's special tokens, numbered from `base`: the list ExecuTorch's
/// runner defaults to (Llama 3.2's, with <|image|>), then reserved ones to 256.
std::vector<std::pair<std::string, int32_t>> llama3_specials(int32_t base) {
  static const char* const kNamed[] = {
      "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
      "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>",
      "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
      "<|image|>"};
  std::vector<std::pair<std::string, int32_t>> out;
  for (const char* n : kNamed) out.emplace_back(n, base + static_cast<int32_t>(out.size()));
  for (int i = 2; out.size() < 256; ++i) {
    out.emplace_back("<|reserved_special_token_" + std::to_string(i) + "|>",
                     base + static_cast<int32_t>(out.size()));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_tiktoken(std::string_view bytes, const std::string& name,
                                                 const TokenizerOptions& options) {
  const char* file = name.c_str();
  BpeModel m;
  m.byte_level = true;
  m.ignore_merges = true;  // tiktoken takes a piece that is a token whole
  // 1. The lines: token bytes and rank.
  std::vector<std::pair<std::string, int32_t>> tokens;
  std::string decoded;
  size_t line_no = 0;
  for (size_t pos = 0; pos < bytes.size();) {
    size_t eol = bytes.find('\n', pos);
    if (eol == std::string_view::npos) eol = bytes.size();
    std::string_view line = bytes.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    EMBER_CHECK(sp != std::string_view::npos, Error::InvalidArgument,
                "tokenizer %s: line %zu is not 'base64 rank' (not a tokenizer.json, "
                "SentencePiece model or tiktoken file?)", file, line_no);
    EMBER_CHECK(base64_decode(line.substr(0, sp), &decoded), Error::InvalidArgument,
                "tokenizer %s: line %zu: invalid base64", file, line_no);
    std::string rank_text(line.substr(sp + 1));
    char* end = nullptr;
    long long rank = std::strtoll(rank_text.c_str(), &end, 10);
    EMBER_CHECK(!rank_text.empty() && *end == '\0' && rank >= 0 && rank < INT32_MAX,
                Error::InvalidArgument, "tokenizer %s: line %zu: invalid rank '%s'", file,
                line_no, rank_text.c_str());
    auto [it, fresh] = m.ids.emplace(decoded, static_cast<int32_t>(rank));
    EMBER_CHECK(fresh, Error::InvalidArgument, "tokenizer %s: line %zu repeats a token", file,
                line_no);
    tokens.emplace_back(decoded, static_cast<int32_t>(rank));
  }
  EMBER_CHECK(!tokens.empty(), Error::InvalidArgument, "tokenizer %s: no tokens", file);
  int32_t n = 0;
  for (const auto& t : tokens) n = std::max(n, t.second + 1);
  m.resize(static_cast<size_t>(n));
  for (const auto& t : tokens) {
    EMBER_CHECK(!m.valid[t.second], Error::InvalidArgument, "tokenizer %s: rank %d is used twice",
                file, t.second);
    m.valid[t.second] = 1;
    m.pieces[t.second] = t.first;
    if (t.first.size() == 1) m.byte_tokens[static_cast<unsigned char>(t.first[0])] = t.second;
  }
  // 2. Every split of a token into two tokens merges at the token's rank.
  std::string left;
  for (const auto& t : tokens) {
    for (size_t k = 1; k < t.first.size(); ++k) {
      left.assign(t.first, 0, k);
      auto l = m.ids.find(left);
      if (l == m.ids.end()) continue;
      auto r = m.ids.find(t.first.substr(k));
      if (r == m.ids.end()) continue;
      uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(l->second)) << 32) |
                     static_cast<uint32_t>(r->second);
      m.merges[key] = {static_cast<uint32_t>(t.second), t.second};
    }
  }
  // 3. The pattern and the special tokens.
  PreTokenizerStep split;
  std::string why;
  split.regex = Regex::compile(options.pattern.empty() ? kLlama3Pattern : options.pattern, &why);
  EMBER_CHECK(split.regex != nullptr, Error::InvalidArgument,
              "tokenizer %s: the pattern does not compile: %s", file, why.c_str());
  m.pre_tokenizers.push_back(std::move(split));
  std::vector<std::pair<std::string, int32_t>> specials =
      options.special_tokens.empty() ? llama3_specials(n) : options.special_tokens;
  for (const auto& [text, id] : specials) {
    EMBER_CHECK(id >= 0 && !text.empty(), Error::InvalidArgument,
                "tokenizer %s: special token '%s' needs text and an id >= 0", file, text.c_str());
    if (static_cast<size_t>(id) >= m.pieces.size()) m.resize(static_cast<size_t>(id) + 1);
    EMBER_CHECK(!m.valid[id], Error::InvalidArgument,
                "tokenizer %s: special token '%s' takes id %d, which is already a token", file,
                text.c_str(), id);
    m.valid[id] = 1;
    m.special[id] = 1;
    m.pieces[id] = text;
    AddedToken t;
    t.content = text;
    t.id = id;
    m.added.push_back(std::move(t));
  }
  auto find = [&m](const char* text) {
    for (const AddedToken& t : m.added) {
      if (t.content == text) return t.id;
    }
    return -1;
  };
  m.bos_id = options.bos_id >= 0 ? options.bos_id : find("<|begin_of_text|>");
  m.eos_id = options.eos_id >= 0 ? options.eos_id : find("<|end_of_text|>");
  if (m.eos_id < 0 && options.eos_id < 0) m.eos_id = find("<|endoftext|>");
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(m), TokenizerFormat::Tiktoken));
}

}  // namespace llm
}  // namespace ember
