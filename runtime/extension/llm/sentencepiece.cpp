// SentencePiece .model files with a BPE model (Llama 2, Mistral, Gemma),
// read from the protobuf wire format without libprotobuf. SentencePiece's
// BPE merges the adjacent pair whose concatenation is the piece of highest
// score (leftmost on ties); that is BpeTokenizer's merge with ranks ordered by
// descending score. Only the "identity" normalization (no precompiled
// character map) is implemented; any other is refused by name.
#include <algorithm>
#include <cstring>

#include "runtime/extension/llm/bpe.h"
#include "runtime/extension/llm/loaders.h"

namespace ember {
namespace llm {

namespace {

/// A bounds-checked reader of protobuf fields.
class Wire {
 public:
  explicit Wire(std::string_view s)
      : p_(reinterpret_cast<const uint8_t*>(s.data())), end_(p_ + s.size()) {}
  bool done() const { return p_ >= end_; }

  bool varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      uint8_t b = *p_++;
      *v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  /// The next field's number and wire type.
  bool tag(uint32_t* field, uint32_t* type) {
    uint64_t t;
    if (!varint(&t) || (t >> 3) == 0 || (t >> 3) > UINT32_MAX) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *type = static_cast<uint32_t>(t & 7);
    return true;
  }
  bool bytes(std::string_view* out) {
    uint64_t n;
    if (!varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool fixed32(uint32_t* out) {
    if (end_ - p_ < 4) return false;
    std::memcpy(out, p_, 4);  // little-endian on every target Ember builds for
    p_ += 4;
    return true;
  }
  /// Skip a field of wire `type` (groups are not used by SentencePiece).
  bool skip(uint32_t type) {
    uint64_t v;
    std::string_view s;
    uint32_t f;
    switch (type) {
      case 0: return varint(&v);
      case 1:
        if (end_ - p_ < 8) return false;
        p_ += 8;
        return true;
      case 2: return bytes(&s);
      case 5: return fixed32(&f);
      default: return false;
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

enum PieceType : uint32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4,
                            kUnused = 5, kByte = 6 };

struct Piece {
  std::string text;
  float score = 0.0f;
  uint32_t type = kNormal;
};

struct Spec {
  std::vector<Piece> pieces;
  uint64_t model_type = 1;  // UNIGRAM, BPE, WORD, CHAR = 1..4
  bool has_trainer_spec = false;
  bool byte_fallback = false;
  bool whitespace_as_suffix = false;
  int64_t unk_id = 0, bos_id = 1, eos_id = 2;
  std::string unk_surface = " \xE2\x81\x87 ";  // " ⁇ "
  std::string normalizer_name;
  bool has_charsmap = false;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
};

/// Signed int32 fields arrive as 64-bit varints (negative ones ten bytes long).
int64_t as_int32(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

bool parse_piece(std::string_view bytes, Piece* out) {
  Wire w(bytes);
  while (!w.done()) {
    uint32_t f, t;
    if (!w.tag(&f, &t)) return false;
    if (f == 1 && t == 2) {
      std::string_view s;
      if (!w.bytes(&s)) return false;
      out->text.assign(s);
    } else if (f == 2 && t == 5) {
      uint32_t bits;
      if (!w.fixed32(&bits)) return false;
      std::memcpy(&out->score, &bits, 4);
    } else if (f == 3 && t == 0) {
      uint64_t v;
      if (!w.varint(&v)) return false;
      out->type = static_cast<uint32_t>(v);
    } else if (!w.skip(t)) {
      return false;
    }
  }
  return true;
}

bool parse_trainer(std::string_view bytes, Spec* spec) {
  Wire w(bytes);
  while (!w.done()) {
    uint32_t f, t;
    if (!w.tag(&f, &t)) return false;
    uint64_t v = 0;
    std::string_view s;
    if (t == 0 && (f == 3 || f == 24 || f == 35 || f == 40 || f == 41 || f == 42)) {
      if (!w.varint(&v)) return false;
      if (f == 3) spec->model_type = v;
      if (f == 24) spec->whitespace_as_suffix = v != 0;
      if (f == 35) spec->byte_fallback = v != 0;
      if (f == 40) spec->unk_id = as_int32(v);
      if (f == 41) spec->bos_id = as_int32(v);
      if (f == 42) spec->eos_id = as_int32(v);
    } else if (f == 44 && t == 2) {
      if (!w.bytes(&s)) return false;
      spec->unk_surface.assign(s);
    } else if (!w.skip(t)) {
      return false;
    }
  }
  return true;
}

bool parse_normalizer(std::string_view bytes, Spec* spec) {
  Wire w(bytes);
  while (!w.done()) {
    uint32_t f, t;
    if (!w.tag(&f, &t)) return false;
    uint64_t v = 0;
    std::string_view s;
    if (t == 2 && (f == 1 || f == 2)) {
      if (!w.bytes(&s)) return false;
      if (f == 1) spec->normalizer_name.assign(s);
      if (f == 2) spec->has_charsmap = !s.empty();
    } else if (t == 0 && f >= 3 && f <= 5) {
      if (!w.varint(&v)) return false;
      if (f == 3) spec->add_dummy_prefix = v != 0;
      if (f == 4) spec->remove_extra_whitespaces = v != 0;
      if (f == 5) spec->escape_whitespaces = v != 0;
    } else if (!w.skip(t)) {
      return false;
    }
  }
  return true;
}

bool parse_model(std::string_view bytes, Spec* spec) {
  Wire w(bytes);
  while (!w.done()) {
    uint32_t f, t;
    if (!w.tag(&f, &t)) return false;
    std::string_view s;
    if (t == 2 && f >= 1 && f <= 3) {
      if (!w.bytes(&s)) return false;
      if (f == 1) {
        spec->pieces.emplace_back();
        if (!parse_piece(s, &spec->pieces.back())) return false;
      }
      if (f == 2) {
        spec->has_trainer_spec = true;
        if (!parse_trainer(s, spec)) return false;
      }
      if (f == 3 && !parse_normalizer(s, spec)) return false;
    } else if (!w.skip(t)) {
      return false;
    }
  }
  return true;
}

const char kSpaceSymbol[] = "\xE2\x96\x81";  // U+2581, SentencePiece's escaped space

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_sentencepiece(std::string_view bytes,
                                                      const std::string& name,
                                                      const TokenizerOptions& options) {
  const char* file = name.c_str();
  Spec spec;
  EMBER_CHECK(parse_model(bytes, &spec), Error::InvalidArgument,
              "tokenizer %s: not a valid SentencePiece model (corrupt protobuf)", file);
  EMBER_CHECK(!spec.pieces.empty(), Error::InvalidArgument,
              "tokenizer %s: the SentencePiece model has no pieces", file);
  EMBER_CHECK(spec.has_trainer_spec, Error::InvalidArgument,
              "tokenizer %s: the SentencePiece model has no trainer spec (truncated?)", file);
  static const char* const kTypes[] = {"?", "UNIGRAM", "BPE", "WORD", "CHAR"};
  EMBER_CHECK(spec.model_type == 2, Error::NotSupported,
              "tokenizer %s: SentencePiece model type %s is not supported (Ember implements BPE)",
              file, spec.model_type <= 4 ? kTypes[spec.model_type] : "?");
  EMBER_CHECK(!spec.has_charsmap, Error::NotSupported,
              "tokenizer %s: SentencePiece normalizer '%s' is not supported (Ember implements "
              "'identity')", file, spec.normalizer_name.c_str());
  EMBER_CHECK(!spec.whitespace_as_suffix, Error::NotSupported,
              "tokenizer %s: treat_whitespace_as_suffix is not supported", file);

  BpeModel m;
  m.byte_level = false;
  m.byte_fallback = spec.byte_fallback;
  m.fuse_unk = true;  // SentencePiece joins runs of unknown characters
  m.normalize_added = false;
  m.resize(spec.pieces.size());
  // 1. Pieces: mergeable (normal, user-defined) ones by text; byte pieces;
  //    what each decodes to.
  for (size_t i = 0; i < spec.pieces.size(); ++i) {
    const Piece& p = spec.pieces[i];
    auto id = static_cast<int32_t>(i);
    m.valid[i] = 1;
    std::string text = p.text;
    if (spec.escape_whitespaces) {
      for (size_t at = text.find(kSpaceSymbol); at != std::string::npos;
           at = text.find(kSpaceSymbol, at)) {
        text.replace(at, 3, " ");
      }
    }
    switch (p.type) {
      case kNormal:
      case kUserDefined:
        m.ids.emplace(p.text, id);
        m.pieces[i] = text;
        break;
      case kUnknown:
        m.unk_id = id;
        m.pieces[i] = spec.unk_surface;
        break;
      case kControl:
        m.special[i] = 1;  // decodes to nothing
        break;
      case kByte: {
        unsigned v = 0;
        EMBER_CHECK(p.text.size() == 6 && std::sscanf(p.text.c_str(), "<0x%2X>", &v) == 1 &&
                        v < 256,
                    Error::InvalidArgument, "tokenizer %s: byte piece %zu is '%s', not <0xXX>",
                    file, i, p.text.c_str());
        m.byte_tokens[v] = id;
        m.pieces[i] = std::string(1, static_cast<char>(v));
        break;
      }
      default:  // unused pieces are never produced
        m.pieces[i] = text;
        break;
    }
    if (p.type == kUserDefined) {
      AddedToken t;
      t.content = p.text;
      t.id = id;
      t.special = false;
      t.normalized = true;  // matched in the normalized text, as SentencePiece does
      m.added.push_back(std::move(t));
    }
  }
  EMBER_CHECK(m.unk_id >= 0, Error::InvalidArgument, "tokenizer %s: no unknown piece", file);
  // 2. Merges: every split of a piece into two pieces, ranked by the piece's
  //    score, highest first (equal scores share a rank: leftmost wins).
  std::vector<float> scores;
  for (const auto& [text, id] : m.ids) scores.push_back(spec.pieces[id].score);
  std::sort(scores.begin(), scores.end(), std::greater<float>());
  scores.erase(std::unique(scores.begin(), scores.end()), scores.end());
  std::string left;
  for (const auto& [text, id] : m.ids) {
    auto at = std::lower_bound(scores.begin(), scores.end(), spec.pieces[id].score,
                               std::greater<float>());
    auto rank = static_cast<uint32_t>(at - scores.begin());
    for (size_t k = 1; k < text.size(); ++k) {
      left.assign(text, 0, k);
      auto l = m.ids.find(left);
      if (l == m.ids.end()) continue;
      auto r = m.ids.find(text.substr(k));
      if (r == m.ids.end()) continue;
      uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(l->second)) << 32) |
                     static_cast<uint32_t>(r->second);
      m.merges[key] = {rank, id};
    }
  }
  // 3. Normalization: extra spaces, the dummy prefix, spaces as U+2581.
  if (spec.remove_extra_whitespaces) {
    NormalizerStep s;
    s.kind = NormalizerStep::Kind::StripSpaces;
    m.normalizers.push_back(s);
  }
  if (spec.add_dummy_prefix) {
    NormalizerStep s;
    s.kind = NormalizerStep::Kind::Prepend;
    s.content = " ";
    m.normalizers.push_back(s);
  }
  if (spec.escape_whitespaces) {
    NormalizerStep s;
    s.kind = NormalizerStep::Kind::Replace;
    s.pattern = " ";
    s.content = kSpaceSymbol;
    m.normalizers.push_back(s);
    if (spec.remove_extra_whitespaces) {
      // SentencePiece strips trailing spaces after escaping them, so a U+2581
      // written at the end of the text goes too.
      NormalizerStep t;
      t.kind = NormalizerStep::Kind::StripSuffix;
      t.content = kSpaceSymbol;
      m.normalizers.push_back(t);
    }
  }
  m.strip_leading_space = spec.add_dummy_prefix || spec.remove_extra_whitespaces;
  m.strip_until_text = spec.remove_extra_whitespaces;
  auto valid = [&m](int64_t id) { return id >= 0 && static_cast<size_t>(id) < m.valid.size(); };
  m.bos_id = options.bos_id >= 0 ? options.bos_id : (valid(spec.bos_id) ? spec.bos_id : -1);
  m.eos_id = options.eos_id >= 0 ? options.eos_id : (valid(spec.eos_id) ? spec.eos_id : -1);
  EMBER_CHECK((m.bos_id < 0 || valid(m.bos_id)) && (m.eos_id < 0 || valid(m.eos_id)),
              Error::InvalidArgument, "tokenizer %s: bos/eos id outside the vocabulary", file);
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(m), TokenizerFormat::SentencePiece));
}

}  // namespace llm
}  // namespace ember
