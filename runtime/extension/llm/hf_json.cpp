// HF tokenizer.json with a BPE model. Everything the file uses must be
// implemented here, or loading fails naming it: a normalizer or
// pre-tokenizer Ember lacks would otherwise give a silently different
// encoding.
#include <cinttypes>

#include "runtime/extension/llm/bpe.h"
#include "runtime/extension/llm/json.h"
#include "runtime/extension/llm/loaders.h"

namespace ember {
namespace llm {

namespace {

/// Everything one load needs for its messages.
struct Ctx {
  const std::string& name;
  const char* c() const { return name.c_str(); }
};

const char* type_of(const JsonValue& v) {
  const std::string* t = v.find_string("type");
  return t != nullptr ? t->c_str() : "(no type)";
}

Error parse_normalizer(const Ctx& ctx, const JsonValue& v, BpeModel* m) {
  if (v.is_null()) return Error::Ok;
  EMBER_CHECK(v.is_object(), Error::InvalidArgument, "tokenizer %s: normalizer is not an object",
              ctx.c());
  std::string type = type_of(v);
  if (type == "Sequence") {
    const JsonValue* list = v.find("normalizers");
    EMBER_CHECK(list != nullptr && list->is_array(), Error::InvalidArgument,
                "tokenizer %s: normalizer Sequence without a 'normalizers' list", ctx.c());
    for (const JsonValue& item : list->items) EMBER_TRY(parse_normalizer(ctx, item, m));
    return Error::Ok;
  }
  NormalizerStep step;
  if (type == "Replace") {
    const JsonValue* pattern = v.find("pattern");
    const std::string* content = v.find_string("content");
    const std::string* literal = pattern != nullptr ? pattern->find_string("String") : nullptr;
    EMBER_CHECK(content != nullptr && pattern != nullptr && pattern->is_object(),
                Error::InvalidArgument,
                "tokenizer %s: normalizer Replace needs a pattern and a content", ctx.c());
    EMBER_CHECK(literal != nullptr, Error::NotSupported,
                "tokenizer %s: normalizer Replace with a Regex pattern is not supported "
                "(only a String pattern)", ctx.c());
    step.kind = NormalizerStep::Kind::Replace;
    step.pattern = *literal;
    step.content = *content;
  } else if (type == "NFC") {
    step.kind = NormalizerStep::Kind::Nfc;
  } else if (type == "Prepend") {
    const std::string* prepend = v.find_string("prepend");
    EMBER_CHECK(prepend != nullptr, Error::InvalidArgument,
                "tokenizer %s: normalizer Prepend without 'prepend'", ctx.c());
    step.kind = NormalizerStep::Kind::Prepend;
    step.content = *prepend;
  } else {
    EMBER_CHECK(false, Error::NotSupported,
                "tokenizer %s: normalizer '%s' is not supported (Ember implements Sequence, NFC, "
                "Replace with a String pattern, Prepend)", ctx.c(), type.c_str());
  }
  m->normalizers.push_back(std::move(step));
  return Error::Ok;
}

Error parse_behavior(const Ctx& ctx, const std::string* name, SplitBehavior* out) {
  static const std::pair<const char*, SplitBehavior> kNames[] = {
      {"Removed", SplitBehavior::Removed},
      {"Isolated", SplitBehavior::Isolated},
      {"MergedWithPrevious", SplitBehavior::MergedWithPrevious},
      {"MergedWithNext", SplitBehavior::MergedWithNext},
      {"Contiguous", SplitBehavior::Contiguous}};
  EMBER_CHECK(name != nullptr, Error::InvalidArgument, "tokenizer %s: Split without a behavior",
              ctx.c());
  for (const auto& n : kNames) {
    if (*name == n.first) {
      *out = n.second;
      return Error::Ok;
    }
  }
  EMBER_CHECK(false, Error::InvalidArgument, "tokenizer %s: unknown Split behavior '%s'", ctx.c(),
              name->c_str());
  return Error::Ok;
}

Error compile(const Ctx& ctx, const std::string& pattern, std::unique_ptr<Regex>* out) {
  std::string why;
  *out = Regex::compile(pattern, &why);
  EMBER_CHECK(*out != nullptr, Error::InvalidArgument,
              "tokenizer %s: pre-tokenizer regex does not compile: %s", ctx.c(), why.c_str());
  return Error::Ok;
}

Error parse_pre_tokenizer(const Ctx& ctx, const JsonValue& v, BpeModel* m) {
  if (v.is_null()) return Error::Ok;
  EMBER_CHECK(v.is_object(), Error::InvalidArgument,
              "tokenizer %s: pre_tokenizer is not an object", ctx.c());
  std::string type = type_of(v);
  if (type == "Sequence") {
    const JsonValue* list = v.find("pretokenizers");
    EMBER_CHECK(list != nullptr && list->is_array(), Error::InvalidArgument,
                "tokenizer %s: pre_tokenizer Sequence without a 'pretokenizers' list", ctx.c());
    for (const JsonValue& item : list->items) EMBER_TRY(parse_pre_tokenizer(ctx, item, m));
    return Error::Ok;
  }
  PreTokenizerStep step;
  if (type == "Split") {
    step.kind = PreTokenizerStep::Kind::Split;
    const JsonValue* pattern = v.find("pattern");
    const std::string* regex = pattern != nullptr ? pattern->find_string("Regex") : nullptr;
    const std::string* literal = pattern != nullptr ? pattern->find_string("String") : nullptr;
    EMBER_CHECK(regex != nullptr || literal != nullptr, Error::InvalidArgument,
                "tokenizer %s: Split needs a pattern {\"Regex\": ...} or {\"String\": ...}",
                ctx.c());
    if (regex != nullptr) {
      EMBER_TRY(compile(ctx, *regex, &step.regex));
    } else {
      step.literal = *literal;
    }
    EMBER_TRY(parse_behavior(ctx, v.find_string("behavior"), &step.behavior));
    step.invert = v.find_bool("invert", false);
  } else if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::ByteLevel;
    step.add_prefix_space = v.find_bool("add_prefix_space", true);
    if (v.find_bool("use_regex", true)) EMBER_TRY(compile(ctx, kGpt2Pattern, &step.regex));
  } else if (type == "Metaspace") {
    step.kind = PreTokenizerStep::Kind::Metaspace;
    const std::string* rep = v.find_string("replacement");
    step.replacement = rep != nullptr ? *rep : "\xE2\x96\x81";  // U+2581
    step.split = v.find_bool("split", true);
    const std::string* scheme = v.find_string("prepend_scheme");
    if (scheme == nullptr) {
      step.prepend = v.find_bool("add_prefix_space", true) ? PreTokenizerStep::Prepend::Always
                                                             : PreTokenizerStep::Prepend::Never;
    } else if (*scheme == "always") {
      step.prepend = PreTokenizerStep::Prepend::Always;
    } else if (*scheme == "first") {
      step.prepend = PreTokenizerStep::Prepend::First;
    } else if (*scheme == "never") {
      step.prepend = PreTokenizerStep::Prepend::Never;
    } else {
      EMBER_CHECK(false, Error::InvalidArgument, "tokenizer %s: unknown prepend_scheme '%s'",
                  ctx.c(), scheme->c_str());
    }
  } else {
    EMBER_CHECK(false, Error::NotSupported,
                "tokenizer %s: pre-tokenizer '%s' is not supported (Ember implements Sequence, "
                "Split, ByteLevel, Metaspace)", ctx.c(), type.c_str());
  }
  EMBER_CHECK(m->pre_tokenizers.empty() ||
                  m->pre_tokenizers.back().kind != PreTokenizerStep::Kind::ByteLevel,
              Error::NotSupported,
              "tokenizer %s: a pre-tokenizer after ByteLevel is not supported", ctx.c());
  m->pre_tokenizers.push_back(std::move(step));
  return Error::Ok;
}

/// The decoder's per-token steps, as flags.
struct Decoder {
  bool byte_level = false;
  /// Metaspace: U+2581 (or `replacement`) becomes a space, except in the first
  /// token, which loses all of them (HF's Metaspace decoder).
  bool metaspace = false;
  std::string replace_from, replace_to;
  bool byte_fallback = false;  ///< <0xXX> becomes the byte
  bool strip_leading_space = false;
};

Error parse_decoder(const Ctx& ctx, const JsonValue& v, Decoder* d) {
  if (v.is_null()) return Error::Ok;
  EMBER_CHECK(v.is_object(), Error::InvalidArgument, "tokenizer %s: decoder is not an object",
              ctx.c());
  std::string type = type_of(v);
  if (type == "Sequence") {
    const JsonValue* list = v.find("decoders");
    EMBER_CHECK(list != nullptr && list->is_array(), Error::InvalidArgument,
                "tokenizer %s: decoder Sequence without a 'decoders' list", ctx.c());
    for (const JsonValue& item : list->items) EMBER_TRY(parse_decoder(ctx, item, d));
  } else if (type == "ByteLevel") {
    d->byte_level = true;
  } else if (type == "ByteFallback") {
    d->byte_fallback = true;
  } else if (type == "Fuse") {
    // Joining the tokens: decode() concatenates anyway.
  } else if (type == "Replace") {
    const JsonValue* pattern = v.find("pattern");
    const std::string* from = pattern != nullptr ? pattern->find_string("String") : nullptr;
    const std::string* to = v.find_string("content");
    EMBER_CHECK(from != nullptr && to != nullptr, Error::NotSupported,
                "tokenizer %s: decoder Replace is supported with a String pattern only", ctx.c());
    d->replace_from = *from;
    d->replace_to = *to;
  } else if (type == "Strip") {
    const std::string* content = v.find_string("content");
    const JsonValue* start = v.find("start");
    const JsonValue* stop = v.find("stop");
    bool one_space = content != nullptr && *content == " " && start != nullptr &&
                     start->is_integer && start->integer == 1 &&
                     (stop == nullptr || (stop->is_integer && stop->integer == 0));
    EMBER_CHECK(one_space, Error::NotSupported,
                "tokenizer %s: decoder Strip is supported only as Strip(' ', 1, 0)", ctx.c());
    d->strip_leading_space = true;
  } else if (type == "Metaspace") {
    const std::string* rep = v.find_string("replacement");
    d->replace_from = rep != nullptr ? *rep : "\xE2\x96\x81";
    d->replace_to = " ";
    const std::string* scheme = v.find_string("prepend_scheme");
    d->metaspace = scheme != nullptr ? *scheme != "never" : v.find_bool("add_prefix_space", true);
  } else {
    EMBER_CHECK(false, Error::NotSupported,
                "tokenizer %s: decoder '%s' is not supported (Ember implements Sequence, "
                "ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace)", ctx.c(), type.c_str());
  }
  return Error::Ok;
}

/// The bytes the decoder gives for one token's text (`first`: as the first
/// token of a text).
std::string decode_token(const Decoder& d, const std::string& token, bool first = false) {
  std::string out;
  if (d.byte_level) {
    if (!unicode_to_bytes(token, &out)) out = token;  // HF keeps unmapped tokens as they are
    return out;
  }
  if (d.byte_fallback && token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>') {
    char* end = nullptr;
    std::string hex = token.substr(3, 2);
    long v = std::strtol(hex.c_str(), &end, 16);
    if (end == hex.c_str() + 2) return std::string(1, static_cast<char>(v));
  }
  out = token;
  if (!d.replace_from.empty()) {
    std::string r;
    for (size_t pos = 0;;) {
      size_t hit = out.find(d.replace_from, pos);
      r.append(out, pos, hit == std::string::npos ? std::string::npos : hit - pos);
      if (hit == std::string::npos) break;
      if (!(first && d.metaspace)) r += d.replace_to;
      pos = hit + d.replace_from.size();
    }
    out = std::move(r);
  }
  return out;
}

/// The special tokens a TemplateProcessing puts before the text ("single").
void template_prefix(const JsonValue& pp, std::vector<int32_t>* prefix) {
  if (const std::string* t = pp.find_string("type"); t != nullptr && *t == "Sequence") {
    if (const JsonValue* list = pp.find("processors")) {
      for (const JsonValue& p : list->items) template_prefix(p, prefix);
    }
    return;
  }
  if (const std::string* t = pp.find_string("type"); t == nullptr || *t != "TemplateProcessing") {
    return;
  }
  const JsonValue* single = pp.find("single");
  const JsonValue* specials = pp.find("special_tokens");
  if (single == nullptr || specials == nullptr) return;
  for (const JsonValue& piece : single->items) {
    if (piece.find("Sequence") != nullptr) break;
    const JsonValue* st = piece.find("SpecialToken");
    const std::string* name = st != nullptr ? st->find_string("id") : nullptr;
    const JsonValue* entry = name != nullptr ? specials->find(*name) : nullptr;
    const JsonValue* ids = entry != nullptr ? entry->find("ids") : nullptr;
    if (ids == nullptr) continue;
    for (const JsonValue& id : ids->items) {
      if (id.is_integer) prefix->push_back(static_cast<int32_t>(id.integer));
    }
  }
}

Error parse_model(const Ctx& ctx, const JsonValue& model, const Decoder& dec, BpeModel* m) {
  EMBER_CHECK(model.is_object(), Error::InvalidArgument, "tokenizer %s: no 'model' object",
              ctx.c());
  const std::string* type = model.find_string("type");
  EMBER_CHECK(type == nullptr || *type == "BPE", Error::NotSupported,
              "tokenizer %s: model type '%s' is not supported (Ember implements BPE)", ctx.c(),
              type->c_str());
  const JsonValue* vocab = model.find("vocab");
  const JsonValue* merges = model.find("merges");
  EMBER_CHECK(vocab != nullptr && vocab->is_object() && merges != nullptr && merges->is_array(),
              Error::InvalidArgument, "tokenizer %s: the BPE model needs a 'vocab' object and a "
              "'merges' list", ctx.c());
  const JsonValue* dropout = model.find("dropout");
  EMBER_CHECK(dropout == nullptr || dropout->is_null() || dropout->number == 0.0,
              Error::NotSupported, "tokenizer %s: BPE dropout is not supported", ctx.c());
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const std::string* s = model.find_string(key);
    EMBER_CHECK(s == nullptr || s->empty(), Error::NotSupported,
                "tokenizer %s: BPE %s is not supported", ctx.c(), key);
  }
  m->ignore_merges = model.find_bool("ignore_merges", false);
  m->byte_fallback = model.find_bool("byte_fallback", false);
  m->fuse_unk = model.find_bool("fuse_unk", false);

  // 1. The vocabulary: ids by their written text, and by the bytes they match.
  std::unordered_map<std::string, int32_t> by_text;
  by_text.reserve(vocab->members.size());
  int64_t max_id = -1;
  for (const auto& [token, id] : vocab->members) {
    EMBER_CHECK(id.is_integer && id.integer >= 0 && id.integer < INT32_MAX, Error::InvalidArgument,
                "tokenizer %s: vocab entry '%s' has no valid id", ctx.c(), token.c_str());
    by_text[token] = static_cast<int32_t>(id.integer);
    max_id = std::max<int64_t>(max_id, id.integer);
  }
  m->resize(static_cast<size_t>(max_id + 1));
  if (dec.metaspace) m->first_pieces.resize(m->pieces.size());
  m->ids.reserve(vocab->members.size());
  std::string bytes;
  for (const auto& [token, idv] : vocab->members) {
    auto id = static_cast<int32_t>(idv.integer);
    m->valid[id] = 1;
    m->pieces[id] = decode_token(dec, token);
    if (dec.metaspace) m->first_pieces[id] = decode_token(dec, token, /*first=*/true);
    if (!m->byte_level) {
      m->ids[token] = id;
    } else if (unicode_to_bytes(token, &bytes)) {
      m->ids[bytes] = id;
    }
  }
  if (m->byte_level) {
    for (int b = 0; b < 256; ++b) {
      auto it = m->ids.find(std::string(1, static_cast<char>(b)));
      if (it != m->ids.end()) m->byte_tokens[b] = it->second;
    }
  } else if (m->byte_fallback) {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      auto it = by_text.find(name);
      if (it != by_text.end()) m->byte_tokens[b] = it->second;
    }
  }
  if (const std::string* unk = model.find_string("unk_token")) {
    auto it = by_text.find(*unk);
    EMBER_CHECK(it != by_text.end(), Error::InvalidArgument,
                "tokenizer %s: unk_token '%s' is not in the vocabulary", ctx.c(), unk->c_str());
    m->unk_id = it->second;
  }
  // 2. Merges, ranked by their order: "left right" strings or [left, right] pairs.
  m->merges.reserve(merges->items.size());
  std::string left, right, joined;
  for (size_t rank = 0; rank < merges->items.size(); ++rank) {
    const JsonValue& mv = merges->items[rank];
    if (mv.is_string()) {
      size_t sp = mv.string.find(' ');
      EMBER_CHECK(sp != std::string::npos && mv.string.find(' ', sp + 1) == std::string::npos,
                  Error::InvalidArgument, "tokenizer %s: merge #%zu '%s' is not 'left right'",
                  ctx.c(), rank, mv.string.c_str());
      left.assign(mv.string, 0, sp);
      right.assign(mv.string, sp + 1, std::string::npos);
    } else {
      EMBER_CHECK(mv.is_array() && mv.items.size() == 2 && mv.items[0].is_string() &&
                      mv.items[1].is_string(),
                  Error::InvalidArgument, "tokenizer %s: merge #%zu is not a pair of strings",
                  ctx.c(), rank);
      left = mv.items[0].string;
      right = mv.items[1].string;
    }
    joined.assign(left).append(right);
    auto l = by_text.find(left), r = by_text.find(right), lr = by_text.find(joined);
    EMBER_CHECK(l != by_text.end() && r != by_text.end() && lr != by_text.end(),
                Error::InvalidArgument,
                "tokenizer %s: merge #%zu ('%s', '%s') uses a token not in the vocabulary",
                ctx.c(), rank, left.c_str(), right.c_str());
    uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(l->second)) << 32) |
                   static_cast<uint32_t>(r->second);
    // A repeated pair: the last one wins, as in HF.
    m->merges[key] = {static_cast<uint32_t>(rank), lr->second};
  }
  return Error::Ok;
}

Error parse_added(const Ctx& ctx, const JsonValue* list, const Decoder& dec, BpeModel* m) {
  if (list == nullptr || list->is_null()) return Error::Ok;
  EMBER_CHECK(list->is_array(), Error::InvalidArgument,
              "tokenizer %s: added_tokens is not a list", ctx.c());
  for (const JsonValue& v : list->items) {
    const JsonValue* id = v.find("id");
    const std::string* content = v.find_string("content");
    EMBER_CHECK(id != nullptr && id->is_integer && id->integer >= 0 && id->integer < INT32_MAX &&
                    content != nullptr && !content->empty(),
                Error::InvalidArgument, "tokenizer %s: an added token needs an id and a content",
                ctx.c());
    AddedToken t;
    t.id = static_cast<int32_t>(id->integer);
    t.content = *content;
    t.special = v.find_bool("special", false);
    t.normalized = v.find_bool("normalized", !t.special);
    t.lstrip = v.find_bool("lstrip", false);
    t.rstrip = v.find_bool("rstrip", false);
    t.single_word = v.find_bool("single_word", false);
    if (static_cast<size_t>(t.id) >= m->pieces.size()) m->resize(static_cast<size_t>(t.id) + 1);
    m->valid[t.id] = 1;
    m->special[t.id] = t.special ? 1 : 0;
    // HF's token text of a normalized added token is its normalized content.
    std::string text = t.normalized ? normalize(m->normalizers, t.content) : t.content;
    m->pieces[t.id] = decode_token(dec, text);
    if (dec.metaspace) {
      m->first_pieces.resize(m->pieces.size());
      m->first_pieces[t.id] = decode_token(dec, text, /*first=*/true);
    }
    m->added.push_back(std::move(t));
  }
  return Error::Ok;
}

/// The id of the first added token named in `names`, or -1.
int32_t find_added(const BpeModel& m, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    for (const AddedToken& t : m.added) {
      if (t.content == n) return t.id;
    }
  }
  return -1;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_hf_json(std::string_view bytes, const std::string& name,
                                                const TokenizerOptions& options) {
  Ctx ctx{name};
  JsonValue doc;
  std::string why;
  EMBER_CHECK(parse_json(bytes, &doc, &why) == Error::Ok, Error::InvalidArgument,
              "tokenizer %s: not valid JSON: %s", ctx.c(), why.c_str());
  EMBER_CHECK(doc.is_object(), Error::InvalidArgument,
              "tokenizer %s: not a tokenizer.json (the top level is not an object)", ctx.c());
  const JsonValue* model = doc.find("model");
  EMBER_CHECK(model != nullptr, Error::InvalidArgument,
              "tokenizer %s: not a tokenizer.json (no 'model')", ctx.c());

  BpeModel m;
  Decoder dec;
  static const JsonValue kNull;
  auto member = [&doc](const char* key) {
    const JsonValue* v = doc.find(key);
    return v != nullptr ? v : &kNull;
  };
  EMBER_TRY(parse_normalizer(ctx, *member("normalizer"), &m));
  EMBER_TRY(parse_pre_tokenizer(ctx, *member("pre_tokenizer"), &m));
  EMBER_TRY(parse_decoder(ctx, *member("decoder"), &dec));
  // Byte-level when the text reaches the model through ByteLevel: its
  // vocabulary is written in bytes_to_unicode's characters.
  m.byte_level = false;
  for (const PreTokenizerStep& s : m.pre_tokenizers) {
    if (s.kind == PreTokenizerStep::Kind::ByteLevel) m.byte_level = true;
  }
  EMBER_CHECK(!m.byte_level || !model->find_bool("byte_fallback", false), Error::NotSupported,
              "tokenizer %s: byte_fallback with a ByteLevel pre-tokenizer is not supported",
              ctx.c());
  EMBER_TRY(parse_model(ctx, *model, dec, &m));
  EMBER_TRY(parse_added(ctx, doc.find("added_tokens"), dec, &m));
  m.strip_leading_space = dec.strip_leading_space;

  // bos: the post-processor's prefix, else a conventional name; eos by name.
  std::vector<int32_t> prefix;
  template_prefix(*member("post_processor"), &prefix);
  m.bos_id = !prefix.empty()
                 ? prefix[0]
                 : find_added(m, {"<|begin_of_text|>", "<s>", "<bos>", "<|endoftext|>"});
  m.eos_id = find_added(m, {"<|end_of_text|>", "<|endoftext|>", "</s>", "<eos>", "<|im_end|>",
                            "<|eot_id|>"});
  if (options.bos_id >= 0) m.bos_id = options.bos_id;
  if (options.eos_id >= 0) m.eos_id = options.eos_id;
  for (int32_t id : {m.bos_id, m.eos_id}) {
    EMBER_CHECK(id < 0 || (static_cast<size_t>(id) < m.valid.size() && m.valid[id]),
                Error::InvalidArgument, "tokenizer %s: bos/eos id %d is not in the vocabulary",
                ctx.c(), id);
  }
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(m), TokenizerFormat::HfJson));
}

}  // namespace llm
}  // namespace ember
