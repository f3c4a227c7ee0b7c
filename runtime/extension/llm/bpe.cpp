// BpeTokenizer: added tokens, normalizers, pre-tokenizers and rank-ordered
// merges, matching HF tokenizers' BPE model and tiktoken's byte-pair merge.
#include "runtime/extension/llm/bpe.h"

#include <algorithm>
#include <queue>

#include "runtime/extension/llm/unicode_nfc.h"
#include "runtime/extension/llm/utf8.h"

namespace ember {
namespace llm {

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|)"
    R"( ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

namespace {

/// Length of the UTF-8 character starting with `lead` (1 for a stray byte).
size_t utf8_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/// Word characters for single_word added tokens: ASCII letters, digits and
/// '_', and any non-ASCII byte (letters of other scripts, approximately).
bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}

void replace_all(std::string* s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s->find(from, pos);
    if (hit == std::string::npos) break;
    out.append(*s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(*s, pos, std::string::npos);
  *s = std::move(out);
}

/// HF's split of one piece around `matches` under `behavior`: the pieces as
/// [begin, end) ranges, before empty ones are dropped.
std::vector<std::pair<size_t, size_t>> split_ranges(
    size_t size, const std::vector<std::pair<size_t, size_t>>& matches, SplitBehavior behavior,
    bool invert) {
  // 1. The whole text as alternating (range, is_match) parts.
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> parts;
  size_t prev = 0;
  for (const auto& m : matches) {
    if (m.first > prev) parts.push_back({{prev, m.first}, false});
    parts.push_back({m, true});
    prev = m.second;
  }
  if (prev < size) parts.push_back({{prev, size}, false});
  if (invert) {
    for (auto& p : parts) p.second = !p.second;
  }
  // 2. Keep, drop or glue the matches.
  std::vector<std::pair<size_t, size_t>> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const auto& p : parts) out.push_back(p.first);
      break;
    case SplitBehavior::Removed:
      for (const auto& p : parts) {
        if (!p.second) out.push_back(p.first);
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const auto& p : parts) {
        if (p.second && !previous_match && !out.empty()) {
          out.back().second = p.first.second;
        } else {
          out.push_back(p.first);
        }
        previous_match = p.second;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (size_t i = parts.size(); i-- > 0;) {
        const auto& p = parts[i];
        if (p.second && !previous_match && !out.empty()) {
          out.back().first = p.first.first;
        } else {
          out.push_back(p.first);
        }
        previous_match = p.second;
      }
      std::reverse(out.begin(), out.end());
      break;
    case SplitBehavior::Contiguous:
      for (const auto& p : parts) {
        if (p.second == previous_match && !out.empty()) {
          out.back().second = p.first.second;
        } else {
          out.push_back(p.first);
        }
        previous_match = p.second;
      }
      break;
  }
  return out;
}

}  // namespace

const std::array<std::string, 256>& byte_to_unicode() {
  // Printable bytes stand for themselves; the others take code points from
  // 256 up, in byte order (GPT-2's bytes_to_unicode).
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      append_utf8(printable ? b : next++, &t[b]);
    }
    return t;
  }();
  return table;
}

bool unicode_to_bytes(std::string_view text, std::string* bytes) {
  // Every character of the map is below U+0144: decode and look it up.
  static const std::array<int16_t, 324> inverse = [] {
    std::array<int16_t, 324> inv;
    inv.fill(-1);
    const auto& t = byte_to_unicode();
    for (int b = 0; b < 256; ++b) {
      const auto* s = reinterpret_cast<const unsigned char*>(t[b].data());
      uint32_t cp = t[b].size() == 1 ? s[0] : ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
      inv[cp] = static_cast<int16_t>(b);
    }
    return inv;
  }();
  bytes->clear();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    if (s[i] < 0x80) {
      cp = s[i];
      i += 1;
    } else if ((s[i] & 0xE0) == 0xC0 && i + 1 < text.size()) {
      cp = ((s[i] & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
      i += 2;
    } else {
      return false;
    }
    if (cp >= inverse.size() || inverse[cp] < 0) return false;
    bytes->push_back(static_cast<char>(inverse[cp]));
  }
  return true;
}

std::string normalize(const std::vector<NormalizerStep>& steps, std::string_view text) {
  std::string s(text);
  for (const NormalizerStep& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::Replace:
        replace_all(&s, step.pattern, step.content);
        break;
      case NormalizerStep::Kind::Prepend:
        if (!s.empty()) s.insert(0, step.content);
        break;
      case NormalizerStep::Kind::StripSpaces: {
        std::string out;
        for (char c : s) {
          if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
          out.push_back(c);
        }
        if (!out.empty() && out.back() == ' ') out.pop_back();
        s = std::move(out);
        break;
      }
      case NormalizerStep::Kind::Nfc:
        s = to_nfc(s);
        break;
      case NormalizerStep::Kind::StripSuffix:
        while (!step.content.empty() && s.size() >= step.content.size() &&
               s.compare(s.size() - step.content.size(), step.content.size(), step.content) == 0) {
          s.resize(s.size() - step.content.size());
        }
        break;
    }
  }
  return s;
}

void BpeModel::resize(size_t n) {
  pieces.resize(n);
  valid.resize(n, 0);
  special.resize(n, 0);
}

BpeTokenizer::BpeTokenizer(BpeModel model, TokenizerFormat format) : model_(std::move(model)) {
  format_ = format;
  bos_id_ = model_.bos_id;
  eos_id_ = model_.eos_id;
  strip_until_text_ = model_.strip_until_text;
  for (size_t i = 0; i < model_.added.size(); ++i) {
    AddedToken& t = model_.added[i];
    t.match = t.normalized && model_.normalize_added ? normalize(model_.normalizers, t.content)
                                                     : t.content;
    if (t.match.empty()) continue;
    added_by_byte_[t.normalized ? 1 : 0][static_cast<unsigned char>(t.match[0])].push_back(i);
  }
  for (auto& table : added_by_byte_) {
    for (auto& list : table) {
      std::stable_sort(list.begin(), list.end(), [this](size_t a, size_t b) {
        return model_.added[a].match.size() > model_.added[b].match.size();
      });
    }
  }
}

bool BpeTokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < model_.special.size() && model_.special[id];
}

Error BpeTokenizer::decode_piece(int32_t id, bool at_start, std::string* bytes) const {
  EMBER_CHECK(id >= 0 && static_cast<size_t>(id) < model_.pieces.size() && model_.valid[id],
              Error::InvalidArgument, "tokenizer: token id %d is not in the vocabulary (size %zu)",
              id, model_.pieces.size());
  const std::string& p =
      at_start && !model_.first_pieces.empty() ? model_.first_pieces[id] : model_.pieces[id];
  if (at_start && model_.strip_leading_space && !p.empty() && p[0] == ' ') {
    bytes->assign(p, 1, std::string::npos);
  } else {
    *bytes = p;
  }
  return Error::Ok;
}

void BpeTokenizer::split_added(std::vector<Segment>* segments, bool normalized) const {
  const auto& table = added_by_byte_[normalized ? 1 : 0];
  std::vector<Segment> out;
  for (Segment& seg : *segments) {
    if (seg.added_id >= 0) {
      out.push_back(std::move(seg));
      continue;
    }
    const std::string& s = seg.text;
    size_t start = 0;  // start of the text not yet emitted
    bool first = seg.begins_text;
    for (size_t i = 0; i < s.size();) {
      // Leftmost-longest: the longest added token starting at i, if any.
      const AddedToken* hit = nullptr;
      for (size_t idx : table[static_cast<unsigned char>(s[i])]) {
        const AddedToken& t = model_.added[idx];
        if (s.compare(i, t.match.size(), t.match) != 0) continue;
        if (t.single_word) {
          size_t end = i + t.match.size();
          if ((i > 0 && is_word_byte(s[i - 1])) || (end < s.size() && is_word_byte(s[end]))) {
            continue;
          }
        }
        hit = &t;
        break;
      }
      if (hit == nullptr) {
        ++i;
        continue;
      }
      size_t begin = i, end = i + hit->match.size();
      if (hit->lstrip) {
        while (begin > start && is_space(s[begin - 1])) --begin;
      }
      if (hit->rstrip) {
        while (end < s.size() && is_space(s[end])) ++end;
      }
      if (begin > start) out.push_back({s.substr(start, begin - start), -1, first});
      out.push_back({std::string(), hit->id, false});
      first = false;
      start = i = end;
    }
    if (start < s.size()) out.push_back({s.substr(start), -1, first});
  }
  *segments = std::move(out);
}


Error BpeTokenizer::pre_tokenize(const Segment& segment, std::vector<std::string>* words) const {
  struct Piece {
    std::string text;
    bool begins_text;
  };
  std::vector<Piece> pieces;
  if (!segment.text.empty()) pieces.push_back({segment.text, segment.begins_text});
  std::vector<std::pair<size_t, size_t>> matches;
  for (const PreTokenizerStep& step : model_.pre_tokenizers) {
    std::vector<Piece> next;
    for (Piece& p : pieces) {
      std::vector<std::pair<size_t, size_t>> ranges;
      if (step.kind == PreTokenizerStep::Kind::ByteLevel) {
        if (step.add_prefix_space && p.text[0] != ' ') p.text.insert(0, " ");
        if (step.regex == nullptr) {
          next.push_back(std::move(p));
          continue;
        }
        EMBER_TRY(step.regex->find_all(p.text, &matches));
        ranges = split_ranges(p.text.size(), matches, SplitBehavior::Isolated, false);
      } else if (step.kind == PreTokenizerStep::Kind::Metaspace) {
        replace_all(&p.text, " ", step.replacement);
        bool prepend = step.prepend == PreTokenizerStep::Prepend::Always ||
                       (step.prepend == PreTokenizerStep::Prepend::First && p.begins_text);
        if (prepend && p.text.compare(0, step.replacement.size(), step.replacement) != 0) {
          p.text.insert(0, step.replacement);
        }
        if (!step.split) {
          next.push_back(std::move(p));
          continue;
        }
        matches.clear();
        for (size_t at = p.text.find(step.replacement); at != std::string::npos;
             at = p.text.find(step.replacement, at + step.replacement.size())) {
          matches.emplace_back(at, at + step.replacement.size());
        }
        ranges = split_ranges(p.text.size(), matches, SplitBehavior::MergedWithNext, false);
      } else {
        if (step.regex != nullptr) {
          EMBER_TRY(step.regex->find_all(p.text, &matches));
        } else {
          matches.clear();
          for (size_t at = p.text.find(step.literal);
               !step.literal.empty() && at != std::string::npos;
               at = p.text.find(step.literal, at + step.literal.size())) {
            matches.emplace_back(at, at + step.literal.size());
          }
        }
        ranges = split_ranges(p.text.size(), matches, step.behavior, step.invert);
      }
      for (const auto& r : ranges) {
        if (r.second > r.first) {
          next.push_back({p.text.substr(r.first, r.second - r.first),
                          p.begins_text && r.first == 0});
        }
      }
    }
    pieces = std::move(next);
  }
  for (Piece& p : pieces) words->push_back(std::move(p.text));
  return Error::Ok;
}

void BpeTokenizer::bpe_word(std::string_view word, std::vector<int32_t>* out) const {
  if (model_.ignore_merges) {
    auto it = model_.ids.find(std::string(word));
    if (it != model_.ids.end()) {
      out->push_back(it->second);
      return;
    }
  }
  // 1. Initial symbols: one per byte (byte-level) or per character, unknown
  //    characters through byte fallback, then unk, else dropped (as HF does).
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    bool alive;
  };
  std::vector<Symbol> sym;
  sym.reserve(word.size());
  auto push = [&sym](int32_t id) {
    int32_t n = static_cast<int32_t>(sym.size());
    sym.push_back({id, n - 1, -1, true});
    if (n > 0) sym[n - 1].next = n;
  };
  std::string unit;
  for (size_t i = 0; i < word.size();) {
    size_t len = model_.byte_level ? 1 : std::min(utf8_length(word[i]), word.size() - i);
    int32_t id = -1;
    if (model_.byte_level) {
      id = model_.byte_tokens[static_cast<unsigned char>(word[i])];
    } else {
      unit.assign(word.data() + i, len);
      auto it = model_.ids.find(unit);
      if (it != model_.ids.end()) id = it->second;
    }
    if (id >= 0) {
      push(id);
    } else {
      bool fell_back = false;
      if (model_.byte_fallback) {
        fell_back = true;
        for (size_t k = i; k < i + len; ++k) {
          if (model_.byte_tokens[static_cast<unsigned char>(word[k])] < 0) fell_back = false;
        }
        if (fell_back) {
          for (size_t k = i; k < i + len; ++k) {
            push(model_.byte_tokens[static_cast<unsigned char>(word[k])]);
          }
        }
      }
      if (!fell_back && model_.unk_id >= 0) {
        if (!(model_.fuse_unk && !sym.empty() && sym.back().id == model_.unk_id)) {
          push(model_.unk_id);
        }
      }
    }
    i += len;
  }
  // 2. Merge the lowest-ranked adjacent pair, leftmost first, until none is left.
  struct Candidate {
    uint32_t rank;
    int32_t pos;
    int32_t merged;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  auto lookup = [this](int32_t a, int32_t b) {
    uint64_t key =
        (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    auto it = model_.merges.find(key);
    return it == model_.merges.end() ? nullptr : &it->second;
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  for (size_t i = 0; i + 1 < sym.size(); ++i) {
    if (const auto* m = lookup(sym[i].id, sym[i + 1].id)) {
      queue.push({m->first, static_cast<int32_t>(i), m->second});
    }
  }
  while (!queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    Symbol& left = sym[c.pos];
    if (!left.alive || left.next < 0) continue;
    // A stale candidate: one of its symbols was merged since it was queued.
    const auto* m = lookup(left.id, sym[left.next].id);
    if (m == nullptr || m->first != c.rank || m->second != c.merged) continue;
    Symbol& right = sym[left.next];
    left.id = c.merged;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) sym[left.next].prev = c.pos;
    if (left.prev >= 0) {
      if (const auto* p = lookup(sym[left.prev].id, left.id)) {
        queue.push({p->first, left.prev, p->second});
      }
    }
    if (left.next >= 0) {
      if (const auto* n = lookup(left.id, sym[left.next].id)) {
        queue.push({n->first, c.pos, n->second});
      }
    }
  }
  for (const Symbol& s : sym) {
    if (s.alive) out->push_back(s.id);
  }
}

Error BpeTokenizer::encode(std::string_view text, bool bos, bool eos,
                           std::vector<int32_t>* ids) const {
  ids->clear();
  EMBER_CHECK(!bos || bos_id_ >= 0, Error::InvalidState,
              "tokenizer: encode with bos, but this tokenizer has no bos token");
  EMBER_CHECK(!eos || eos_id_ >= 0, Error::InvalidState,
              "tokenizer: encode with eos, but this tokenizer has no eos token");
  if (bos) ids->push_back(bos_id_);
  // 1. Added tokens in the raw text, normalization, added tokens in the normalized text.
  std::vector<Segment> segments;
  segments.push_back({std::string(text), -1, true});
  split_added(&segments, /*normalized=*/false);
  if (!model_.normalizers.empty()) {
    for (Segment& s : segments) {
      if (s.added_id < 0) s.text = normalize(model_.normalizers, s.text);
    }
  }
  split_added(&segments, /*normalized=*/true);
  // 2. Pre-tokenize each remaining segment, then BPE each word.
  std::vector<std::string> words;
  for (const Segment& s : segments) {
    if (s.added_id >= 0) {
      ids->push_back(s.added_id);
      continue;
    }
    words.clear();
    EMBER_TRY(pre_tokenize(s, &words));
    for (const std::string& w : words) bpe_word(w, ids);
  }
  if (eos) ids->push_back(eos_id_);
  return Error::Ok;
}

}  // namespace llm
}  // namespace ember
