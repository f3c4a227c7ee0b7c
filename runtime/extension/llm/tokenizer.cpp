// What every tokenizer shares: finding a file's format, whole-sequence
// decoding, and UTF-8 repair for streaming output.
#include "runtime/extension/llm/tokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/extension/llm/loaders.h"

namespace ember {
namespace llm {

namespace {

const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

/// Look at the UTF-8 sequence starting at s[i]. Returns its length and sets
/// *state: 0 valid character, 1 invalid (the length is the maximal invalid
/// subpart, at least 1), 2 a valid start cut off by the end of the input.
size_t scan_utf8(const unsigned char* s, size_t n, size_t i, int* state) {
  unsigned char b = s[i];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b < 0x80) {
    *state = 0;
    return 1;
  } else if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    *state = 1;
    return 1;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= n) {
      *state = 2;
      return k;
    }
    unsigned char c = s[i + k];
    bool ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
    if (!ok) {
      *state = 1;
      return k;
    }
  }
  *state = 0;
  return need + 1;
}

/// Append the lossy text of `bytes` to `out`; with `hold_tail`, a character
/// cut off at the end is not converted and its length is returned instead.
size_t append_lossy(std::string_view bytes, bool hold_tail, std::string* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  for (size_t i = 0; i < n;) {
    int state = 0;
    size_t len = scan_utf8(s, n, i, &state);
    if (state == 0) {
      out->append(bytes.data() + i, len);
    } else if (state == 2 && hold_tail) {
      return n - i;
    } else {
      out->append(kReplacement);
    }
    i += len;
  }
  return 0;
}

}  // namespace

const char* format_name(TokenizerFormat f) {
  switch (f) {
    case TokenizerFormat::HfJson: return "tokenizer.json";
    case TokenizerFormat::Tiktoken: return "tiktoken";
    case TokenizerFormat::SentencePiece: return "sentencepiece";
  }
  return "unknown";
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_lossy(bytes, false, &out);
  return out;
}

std::string TextStream::push(std::string_view bytes) {
  pending_.append(bytes);
  std::string out;
  size_t held = append_lossy(pending_, true, &out);
  pending_.erase(0, pending_.size() - held);
  return out;
}

std::string TextStream::finish() {
  std::string out = utf8_lossy(pending_);
  pending_.clear();
  return out;
}

Error Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special,
                        std::string* text) const {
  std::string bytes, piece;
  bool at_start = true;
  for (int32_t id : ids) {
    if (skip_special && is_special(id)) continue;
    EMBER_TRY(decode_piece(id, /*at_start=*/false, &piece));
    // The first token with text starts it (SentencePiece's control tokens,
    // which decode to nothing, do not).
    if (at_start && !piece.empty()) {
      EMBER_TRY(decode_piece(id, /*at_start=*/true, &piece));
      at_start = strip_until_text_ && piece.empty();
    }
    bytes += piece;
  }
  *text = utf8_lossy(bytes);
  return Error::Ok;
}

std::string Tokenizer::piece(int32_t id, bool at_start) const {
  std::string out;
  if (decode_piece(id, at_start, &out) != Error::Ok) out.clear();
  return out;
}

Result<std::unique_ptr<Tokenizer>> load_tokenizer_from_bytes(std::string_view bytes,
                                                             std::string_view name,
                                                             const TokenizerOptions& options) {
  // The format from the first significant byte: '{' is JSON; a SentencePiece
  // ModelProto starts with field 1 (pieces), tag 0x0A; tiktoken is text.
  size_t i = 0;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' ||
                              bytes[i] == '\t')) {
    ++i;
  }
  std::string file(name);
  EMBER_CHECK(i < bytes.size(), Error::InvalidArgument, "tokenizer %s: the file is empty",
              file.c_str());
  if (bytes[i] == '{') return load_hf_json(bytes, file, options);
  // 0x0A, the first piece's length (a varint), then that piece's field 1 (0x0A).
  size_t k = 1;
  while (k < bytes.size() && k < 6 && (static_cast<unsigned char>(bytes[k]) & 0x80) != 0) ++k;
  if (bytes[0] == 0x0A && k + 1 < bytes.size() && bytes[k + 1] == 0x0A) {
    return load_sentencepiece(bytes, file, options);
  }
  return load_tiktoken(bytes, file, options);
}

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path,
                                                  const TokenizerOptions& options) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  EMBER_CHECK(f != nullptr, errno == ENOENT ? Error::NotFound : Error::AccessFailed,
              "tokenizer %s: cannot open: %s", path.c_str(), std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  EMBER_CHECK(!failed, Error::AccessFailed, "tokenizer %s: read error", path.c_str());
  return load_tokenizer_from_bytes(bytes, path, options);
}

}  // namespace llm
}  // namespace ember
