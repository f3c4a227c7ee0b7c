// PCRE2 behind regex.h: compile once (with JIT when available), match with
// per-call match data.
#include "runtime/extension/llm/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace ember {
namespace llm {

std::unique_ptr<Regex> Regex::compile(std::string_view pattern, std::string* why) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  // MATCH_INVALID_UTF: a text with invalid UTF-8 is matched around the bad
  // bytes instead of failing the whole match.
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code, &offset,
                                 nullptr);
  if (re == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof(buf));
    if (why != nullptr) {
      *why = std::string(reinterpret_cast<const char*>(buf)) + " at offset " +
             std::to_string(offset) + " of the pattern";
    }
    return nullptr;
  }
  // Without a JIT (some targets) the interpreter is used; both give the same matches.
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  std::unique_ptr<Regex> r(new Regex());
  r->code_ = re;
  return r;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

Error Regex::find_all(std::string_view text,
                      std::vector<std::pair<size_t, size_t>>* matches) const {
  matches->clear();
  auto* re = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
  EMBER_CHECK(md != nullptr, Error::MemoryAllocationFailed, "regex: out of memory");
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t offset = 0;
  Error err = Error::Ok;
  while (offset < text.size()) {
    int rc = pcre2_match(re, subject, text.size(), offset, 0, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(rc, buf, sizeof(buf));
      EMBER_LOG(Error, "tokenizer: the pre-tokenizer regex failed at byte %zu: %s", offset,
                reinterpret_cast<const char*>(buf));
      err = Error::InvalidArgument;
      break;
    }
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t begin = ov[0], end = ov[1];
    if (end > begin) {
      matches->emplace_back(begin, end);
      offset = end;
    } else {
      // Empty match: step over one UTF-8 character.
      offset = begin + 1;
      while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
        ++offset;
      }
    }
  }
  pcre2_match_data_free(md);
  return err;
}

}  // namespace llm
}  // namespace ember
