// Unicode normalization form C for the NFC normalizer of tokenizer.json
// (Qwen2/3's). Tables generated from Python's unicodedata
// (gen_unicode_nfc.py -> unicode_nfc.inc).
#pragma once

#include <string>
#include <string_view>

namespace ember {
namespace llm {

/// `text` in NFC. Text that is not valid UTF-8 is returned unchanged.
std::string to_nfc(std::string_view text);

}  // namespace llm
}  // namespace ember
