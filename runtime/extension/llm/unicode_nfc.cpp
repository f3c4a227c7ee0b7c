// NFC: full canonical decomposition (tables, and Hangul by formula), canonical
// ordering of combining marks, then canonical composition (Unicode UAX #15).
#include "runtime/extension/llm/unicode_nfc.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/extension/llm/utf8.h"

namespace ember {
namespace llm {

namespace {

#include "runtime/extension/llm/unicode_nfc.inc"

constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount;
constexpr uint32_t kSCount = kLCount * kNCount;

uint32_t combining_class(uint32_t cp) {
  if (cp < 0x300) return 0;
  auto end = std::end(kCombiningClass);
  auto it = std::lower_bound(std::begin(kCombiningClass), end, cp,
                             [](const uint32_t(&e)[2], uint32_t v) { return e[0] < v; });
  return it != end && (*it)[0] == cp ? (*it)[1] : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  auto end = std::end(kDecomposition);
  auto it = std::lower_bound(std::begin(kDecomposition), end, cp,
                             [](const uint32_t(&e)[3], uint32_t v) { return e[0] < v; });
  if (it == end || (*it)[0] != cp) {
    out->push_back(cp);
    return;
  }
  out->insert(out->end(), kDecompositionData + (*it)[1], kDecompositionData + (*it)[1] + (*it)[2]);
}

/// The primary composite of `a` + `b`, or 0.
uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  auto end = std::end(kComposition);
  auto it = std::lower_bound(std::begin(kComposition), end, std::make_pair(a, b),
                             [](const uint32_t(&e)[3], std::pair<uint32_t, uint32_t> v) {
                               return e[0] != v.first ? e[0] < v.first : e[1] < v.second;
                             });
  return it != end && (*it)[0] == a && (*it)[1] == b ? (*it)[2] : 0;
}

/// Strict UTF-8 decoding; false on any invalid sequence.
bool decode_utf8(std::string_view text, std::vector<uint32_t>* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    uint32_t c = s[i];
    size_t len = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3
               : c >= 0xF0 && c < 0xF5 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    if (len > 1) c &= 0xFF >> (len + 1);
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      c = (c << 6) | (s[i + k] & 0x3F);
    }
    bool overlong = (len == 3 && c < 0x800) || (len == 4 && c < 0x10000);
    if (overlong || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    out->push_back(c);
    i += len;
  }
  return true;
}

}  // namespace

std::string to_nfc(std::string_view text) {
  // Every character below U+0300 is stable under NFC and composes with
  // nothing but what follows it: text without a lead byte of U+0300 or
  // above (0xCC) cannot change.
  bool stable = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0xCC) {
      stable = false;
      break;
    }
  }
  if (stable) return std::string(text);
  std::vector<uint32_t> cps;
  if (!decode_utf8(text, &cps)) return std::string(text);
  // 1. Full canonical decomposition.
  std::vector<uint32_t> d;
  d.reserve(cps.size() + 8);
  for (uint32_t cp : cps) decompose(cp, &d);
  // 2. Canonical ordering: each run of non-starters sorted (stably) by class.
  for (size_t i = 0; i < d.size();) {
    if (combining_class(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && combining_class(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + i, d.begin() + j, [](uint32_t a, uint32_t b) {
      return combining_class(a) < combining_class(b);
    });
    i = j;
  }
  // 3. Composition: each character joins the last starter unless a character
  //    between them blocks it (class 0, or a class not below its own).
  std::vector<uint32_t> r;
  r.reserve(d.size());
  long starter = -1;
  for (uint32_t c : d) {
    uint32_t cc = combining_class(c);
    if (starter >= 0) {
      bool adjacent = static_cast<long>(r.size()) - 1 == starter;
      uint32_t prev = adjacent ? 0 : combining_class(r.back());
      bool blocked = !adjacent && (prev == 0 || prev >= cc);
      if (!blocked) {
        if (uint32_t comp = compose(r[starter], c)) {
          r[starter] = comp;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<long>(r.size());
    r.push_back(c);
  }
  std::string out;
  out.reserve(text.size());
  for (uint32_t cp : r) append_utf8(cp, &out);
  return out;
}

}  // namespace llm
}  // namespace ember
