// The LLM tokenizer library's pieces that Python does not reach directly:
// the JSON reader (values, escapes, and every kind of malformed input with
// its line and column), UTF-8 repair, NFC, and error paths of the loaders. Exact
// agreement with HF tokenizers is tested in tests/python/test_llm_tokenizer.py.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "runtime/extension/llm/json.h"
#include "runtime/extension/llm/tokenizer.h"
#include "runtime/extension/llm/unicode_nfc.h"
#include "runtime/platform/platform.h"

using ember::Error;
using namespace ember::llm;

namespace {

std::string g_last_error;

void record(ember::platform::LogLevel level, const char* message) {
  if (level >= ember::platform::LogLevel::Error) g_last_error = message;
}

/// Error lines go to g_last_error instead of stderr while a test runs.
class LlmTokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    g_last_error.clear();
    ember::platform::set_log_sink(record);
    ember::platform::set_errors_to_sink_only(true);
  }
  void TearDown() override {
    ember::platform::set_errors_to_sink_only(false);
    ember::platform::set_log_sink(nullptr);
  }
};

std::string parse_error(const std::string& text) {
  JsonValue v;
  std::string why;
  EXPECT_EQ(parse_json(text, &v, &why), Error::InvalidArgument) << text;
  return why;
}

// A byte-level BPE over "ab": merges a+b, then ab+c; <s> is special.
const char* kTinyJson = R"({
  "added_tokens": [{"id": 6, "content": "<s>", "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
  "post_processor": null,
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "\u0120": 3, "ab": 4, "abc": 5},
            "merges": ["a b", ["ab", "c"]]}
})";

}  // namespace

TEST_F(LlmTokenizer, JsonValues) {
  JsonValue v;
  std::string why;
  ASSERT_EQ(parse_json(R"( {"a": [1, -2, 3.5e2, true, false, null, {}, []],
                          "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00",
                          "big": 123456789012345678901} )",
                       &v, &why),
            Error::Ok)
      << why;
  const JsonValue* a = v.find("a");
  ASSERT_TRUE(a != nullptr && a->is_array());
  ASSERT_EQ(a->items.size(), 8u);
  EXPECT_TRUE(a->items[0].is_integer);
  EXPECT_EQ(a->items[0].integer, 1);
  EXPECT_EQ(a->items[1].integer, -2);
  EXPECT_FALSE(a->items[2].is_integer);
  EXPECT_DOUBLE_EQ(a->items[2].number, 350.0);
  EXPECT_TRUE(a->items[3].boolean);
  EXPECT_EQ(a->items[5].kind, JsonKind::Null);
  EXPECT_TRUE(a->items[6].is_object() && a->items[6].members.empty());
  EXPECT_EQ(*v.find_string("s"), "x\"\\/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80");
  // Too large for int64: kept as a double only.
  EXPECT_FALSE(v.find("big")->is_integer);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_TRUE(v.find_bool("missing", true));
}

TEST_F(LlmTokenizer, JsonErrorsNameLineAndColumn) {
  EXPECT_EQ(parse_error("{\"a\": 1,\n  }"), "line 2, column 3: expected a member name");
  EXPECT_EQ(parse_error("[1, 2"), "line 1, column 6: expected ',' or ']'");
  EXPECT_EQ(parse_error("\"abc"), "line 1, column 5: unterminated string");
  EXPECT_EQ(parse_error("\"\\q\""), "line 1, column 3: invalid escape in string");
  EXPECT_EQ(parse_error("\"\\ud800x\""), "line 1, column 8: unpaired surrogate in \\u escape");
  EXPECT_EQ(parse_error("\"\\udc00\""), "line 1, column 8: unpaired surrogate in \\u escape");
  EXPECT_EQ(parse_error("\"\\u12g4\""), "line 1, column 4: invalid hex digit in \\u escape");
  EXPECT_EQ(parse_error("\"a\nb\""), "line 1, column 3: control character in string");
  EXPECT_EQ(parse_error("{} x"), "line 1, column 4: unexpected text after the JSON value");
  EXPECT_EQ(parse_error(""), "line 1, column 1: unexpected end of input, expected a value");
  EXPECT_EQ(parse_error("tru"), "line 1, column 1: invalid literal");
  EXPECT_EQ(parse_error("01"), "line 1, column 2: unexpected text after the JSON value");
  EXPECT_EQ(parse_error("-"), "line 1, column 2: invalid number");
  EXPECT_EQ(parse_error("1.e5"), "line 1, column 3: invalid number");
  EXPECT_EQ(parse_error("{\"a\" 1}"), "line 1, column 6: expected ':'");
  EXPECT_EQ(parse_error(std::string(2000, '[')), "line 1, column 514: nesting too deep");
}

TEST_F(LlmTokenizer, TinyByteLevelBpe) {
  auto tok = load_tokenizer_from_bytes(kTinyJson, "tiny.json", TokenizerOptions());
  ASSERT_TRUE(tok.ok()) << g_last_error;
  std::vector<int32_t> ids;
  ASSERT_EQ((*tok)->encode("abc ab<s>c", /*bos=*/true, /*eos=*/false, &ids), Error::Ok);
  // bos is <s> by name; " ab" is its own word, so "\u0120" then "ab".
  EXPECT_EQ(ids, (std::vector<int32_t>{6, 5, 3, 4, 6, 2}));
  std::string text;
  ASSERT_EQ((*tok)->decode(ids, /*skip_special=*/true, &text), Error::Ok);
  EXPECT_EQ(text, "abc abc");
  EXPECT_EQ((*tok)->encode("x", false, /*eos=*/true, &ids), Error::InvalidState);
  EXPECT_EQ((*tok)->decode_piece(7, false, &text), Error::InvalidArgument);
  EXPECT_NE(g_last_error.find("token id 7"), std::string::npos) << g_last_error;
}

TEST_F(LlmTokenizer, LoadErrors) {
  TokenizerOptions o;
  auto missing = load_tokenizer("/nonexistent/tokenizer.json", o);
  EXPECT_EQ(missing.error(), Error::NotFound);
  EXPECT_NE(g_last_error.find("/nonexistent/tokenizer.json"), std::string::npos);

  EXPECT_EQ(load_tokenizer_from_bytes("  \n", "blank", o).error(), Error::InvalidArgument);
  EXPECT_EQ(load_tokenizer_from_bytes("{\"model\": ", "cut.json", o).error(),
            Error::InvalidArgument);
  EXPECT_NE(g_last_error.find("cut.json: not valid JSON: line 1"), std::string::npos)
      << g_last_error;
  EXPECT_EQ(load_tokenizer_from_bytes("[1]", "list.json", o).error(), Error::InvalidArgument);
  EXPECT_EQ(load_tokenizer_from_bytes("{}", "nomodel.json", o).error(), Error::InvalidArgument);
  EXPECT_NE(g_last_error.find("no 'model'"), std::string::npos);

  std::string wp = kTinyJson;
  wp.replace(wp.find("\"BPE\""), 5, "\"WordPiece\"");
  EXPECT_EQ(load_tokenizer_from_bytes(wp, "wp.json", o).error(), Error::NotSupported);
  EXPECT_NE(g_last_error.find("model type 'WordPiece'"), std::string::npos) << g_last_error;

  std::string nfkc = kTinyJson;
  nfkc.replace(nfkc.find("\"normalizer\": null"), 18, "\"normalizer\": {\"type\": \"NFKC\"}");
  EXPECT_EQ(load_tokenizer_from_bytes(nfkc, "nfkc.json", o).error(), Error::NotSupported);
  EXPECT_NE(g_last_error.find("normalizer 'NFKC'"), std::string::npos) << g_last_error;

  std::string merge = kTinyJson;
  merge.replace(merge.find("\"a b\""), 5, "\"a q\"");
  EXPECT_EQ(load_tokenizer_from_bytes(merge, "merge.json", o).error(), Error::InvalidArgument);
  EXPECT_NE(g_last_error.find("merge #0"), std::string::npos) << g_last_error;

  // Not base64: tiktoken reports the line.
  EXPECT_EQ(load_tokenizer_from_bytes("YQ== 0\nYg== x\n", "t.tiktoken", o).error(),
            Error::InvalidArgument);
  EXPECT_NE(g_last_error.find("line 2: invalid rank 'x'"), std::string::npos) << g_last_error;
}

TEST_F(LlmTokenizer, TiktokenMergesByRank) {
  // a=0 b=1 c=2 bc=3 ab=4 abc=5: "abc" is a token (taken whole); in "abcb"
  // bc (rank 3) merges before ab (rank 4): a|bc|b, then a+bc is abc: abc|b.
  TokenizerOptions o;
  o.special_tokens = {{"<|eot|>", 6}};
  auto tok = load_tokenizer_from_bytes("YQ== 0\nYg== 1\nYw== 2\nYmM= 3\nYWI= 4\nYWJj 5\n",
                                       "t.tiktoken", o);
  ASSERT_TRUE(tok.ok()) << g_last_error;
  std::vector<int32_t> ids;
  ASSERT_EQ((*tok)->encode("abc", false, false, &ids), Error::Ok);
  EXPECT_EQ(ids, (std::vector<int32_t>{5}));
  ASSERT_EQ((*tok)->encode("abcb<|eot|>", false, false, &ids), Error::Ok);
  EXPECT_EQ(ids, (std::vector<int32_t>{5, 1, 6}));
  EXPECT_EQ((*tok)->vocab_size(), 7);
  EXPECT_EQ((*tok)->bos_id(), -1);
}

TEST_F(LlmTokenizer, Utf8Repair) {
  EXPECT_EQ(utf8_lossy("ok \xC3\xA9"), "ok \xC3\xA9");
  // Maximal subparts: E1 80 (cut) then 41 -> one U+FFFD, "A"; C0 is never valid.
  EXPECT_EQ(utf8_lossy("\xE1\x80\x41\xC0"), "\xEF\xBF\xBD" "A\xEF\xBF\xBD");
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  TextStream s;
  const std::string emoji = "\xF0\x9F\x98\x80";
  EXPECT_EQ(s.push(emoji.substr(0, 1)), "");
  EXPECT_EQ(s.push(emoji.substr(1, 2)), "");
  EXPECT_EQ(s.push(emoji.substr(3) + "x"), emoji + "x");
  EXPECT_EQ(s.push("\xE2\x82"), "");
  EXPECT_EQ(s.finish(), "\xEF\xBF\xBD");
}

namespace {

// Protobuf wire helpers for a hand-made SentencePiece ModelProto.
std::string varint(uint64_t v) {
  std::string out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    out.push_back(static_cast<char>(b | (v ? 0x80 : 0)));
  } while (v);
  return out;
}
std::string field_bytes(int field, const std::string& payload) {
  return varint(static_cast<uint64_t>(field) << 3 | 2) + varint(payload.size()) + payload;
}
std::string field_varint(int field, uint64_t v) {
  return varint(static_cast<uint64_t>(field) << 3) + varint(v);
}
std::string piece(const std::string& text, float score, int type) {
  std::string s = field_bytes(1, text);
  uint32_t bits;
  std::memcpy(&bits, &score, 4);
  s += varint(2 << 3 | 5);
  s.append(reinterpret_cast<const char*>(&bits), 4);
  return field_bytes(1, s + field_varint(3, static_cast<uint64_t>(type)));
}

/// <unk> <s> </s>, then ▁ a b ▁a ab ▁ab with scores favouring ▁a over ab.
std::string tiny_sentencepiece(uint64_t model_type) {
  std::string m = piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3);
  m += piece("\xE2\x96\x81", -10, 1) + piece("a", -11, 1) + piece("b", -12, 1);
  m += piece("\xE2\x96\x81" "a", -1, 1) + piece("ab", -2, 1) + piece("\xE2\x96\x81" "ab", -3, 1);
  m += field_bytes(2, field_varint(3, model_type));
  m += field_bytes(3, field_bytes(1, "identity") + field_varint(4, 0));
  return m;
}

}  // namespace

TEST_F(LlmTokenizer, SentencePieceMergesByScore) {
  auto tok = load_tokenizer_from_bytes(tiny_sentencepiece(2), "tiny.model", TokenizerOptions());
  ASSERT_TRUE(tok.ok()) << g_last_error;
  EXPECT_EQ((*tok)->format(), TokenizerFormat::SentencePiece);
  std::vector<int32_t> ids;
  // "▁ab": ▁+a (score -1) before a+b (-2), then ▁a+b is ▁ab; "b▁" has no merge.
  ASSERT_EQ((*tok)->encode("ab b", /*bos=*/true, false, &ids), Error::Ok);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 8, 3, 5}));
  std::string text;
  ASSERT_EQ((*tok)->decode(ids, false, &text), Error::Ok);
  EXPECT_EQ(text, "ab b");  // <s> decodes to nothing; the dummy prefix is dropped
  // An unknown character becomes <unk> (no byte fallback here).
  ASSERT_EQ((*tok)->encode("c", false, false, &ids), Error::Ok);
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 0}));
}

TEST_F(LlmTokenizer, SentencePieceErrors) {
  TokenizerOptions o;
  EXPECT_EQ(load_tokenizer_from_bytes(tiny_sentencepiece(1), "uni.model", o).error(),
            Error::NotSupported);
  EXPECT_NE(g_last_error.find("UNIGRAM"), std::string::npos) << g_last_error;
  std::string bad = tiny_sentencepiece(2);
  for (size_t cut : {bad.size() - 3, size_t{7}}) {
    EXPECT_EQ(load_tokenizer_from_bytes(bad.substr(0, cut), "cut.model", o).error(),
              Error::InvalidArgument) << cut;
  }
  // A length running past the end of the file.
  std::string overlong = bad;
  overlong[1] = '\x7F';
  EXPECT_EQ(load_tokenizer_from_bytes(overlong, "long.model", o).error(), Error::InvalidArgument);
  EXPECT_NE(g_last_error.find("corrupt protobuf"), std::string::npos) << g_last_error;
}

TEST_F(LlmTokenizer, CorruptFilesNeverCrash) {
  // Seeded byte flips, truncations and insertions of the three formats: every
  // load returns (an error or a tokenizer that encodes), none crashes. Run it
  // under scripts/sanitize.sh for memory safety.
  const std::string seeds[] = {kTinyJson, tiny_sentencepiece(2),
                               "YQ== 0\nYg== 1\nYw== 2\nYmM= 3\nYWI= 4\nYWJj 5\n"};
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  int loaded = 0;
  for (const std::string& seed : seeds) {
    for (int i = 0; i < 3000; ++i) {
      std::string bytes = seed;
      for (uint32_t k = 0, n = 1 + next() % 4; k < n && !bytes.empty(); ++k) {
        size_t at = next() % bytes.size();
        switch (next() % 3) {
          case 0: bytes[at] = static_cast<char>(next()); break;
          case 1: bytes.resize(at); break;
          default: bytes.insert(at, 1, static_cast<char>(next())); break;
        }
      }
      auto tok = load_tokenizer_from_bytes(bytes, "fuzz", TokenizerOptions());
      if (!tok.ok()) continue;
      ++loaded;
      std::vector<int32_t> ids;
      (*tok)->encode("ab c\xF0\x9F\x98\x80 abc", false, false, &ids);
      std::string text;
      (*tok)->decode(ids, false, &text);
    }
  }
  EXPECT_GT(loaded, 0);  // some mutations stay valid, so encode runs on odd models too
}

TEST_F(LlmTokenizer, Nfc) {
  EXPECT_EQ(to_nfc("plain ascii"), "plain ascii");
  EXPECT_EQ(to_nfc("A\xCC\x8A"), "\xC3\x85");              // A + ring above -> U+00C5
  EXPECT_EQ(to_nfc("\xE2\x84\xAB"), "\xC3\x85");            // Angstrom sign (singleton)
  EXPECT_EQ(to_nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"),  // Hangul L V T -> U+AC01
            "\xEA\xB0\x81");
  // q + dot above (230) + dot below (220): reordered, nothing composes with q.
  EXPECT_EQ(to_nfc("q\xCC\x87\xCC\xA3"), "q\xCC\xA3\xCC\x87");
  // e + acute + acute: the second acute is blocked by the first's class.
  EXPECT_EQ(to_nfc("e\xCC\x81\xCC\x81"), "\xC3\xA9\xCC\x81");
  EXPECT_EQ(to_nfc("bad \xFF\xCC\x81"), "bad \xFF\xCC\x81");  // invalid UTF-8: unchanged
}
