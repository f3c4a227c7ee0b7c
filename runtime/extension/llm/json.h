// A small JSON reader for the LLM runner's files (HF tokenizer.json and its
// configs). No exceptions: parse() returns an Error and a message naming the
// line and column at fault. The whole document is held as a tree of
// JsonValue; strings are decoded (escapes and \u surrogate pairs) to UTF-8.
//
//   ember::llm::JsonValue doc;
//   std::string why;
//   if (ember::llm::parse_json(text, &doc, &why) != ember::Error::Ok) { ... why ... }
//   const ember::llm::JsonValue* model = doc.find("model");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/core/error.h"

namespace ember {
namespace llm {

enum class JsonKind : uint8_t { Null, Bool, Number, String, Array, Object };

/// One JSON value. Objects keep their members in file order (duplicates too;
/// find() returns the first).
struct JsonValue {
  JsonKind kind = JsonKind::Null;
  bool boolean = false;
  double number = 0.0;
  /// Set when the number was written as an integer that fits int64_t.
  bool is_integer = false;
  int64_t integer = 0;
  std::string string;
  std::vector<JsonValue> items;                            ///< Array
  std::vector<std::pair<std::string, JsonValue>> members;  ///< Object

  bool is_null() const { return kind == JsonKind::Null; }
  bool is_string() const { return kind == JsonKind::String; }
  bool is_object() const { return kind == JsonKind::Object; }
  bool is_array() const { return kind == JsonKind::Array; }
  /// The member `key` of an object, or nullptr (also when this is no object).
  const JsonValue* find(std::string_view key) const;
  /// The member `key` if it is a string, else nullptr.
  const std::string* find_string(std::string_view key) const;
  /// The member `key` as a bool: `fallback` when absent or null.
  bool find_bool(std::string_view key, bool fallback) const;
};

/// Deepest nesting parse_json accepts (a guard against stack exhaustion).
constexpr int kJsonMaxDepth = 512;

/// Parse `text` (one JSON value, surrounding whitespace allowed) into `out`.
/// On failure returns InvalidArgument and sets `*error` to
/// "line L, column C: <what was expected>".
Error parse_json(std::string_view text, JsonValue* out, std::string* error);

}  // namespace llm
}  // namespace ember
