//===- PteFile.cpp - Assemble a .pte: flatbuffer, header, segments --------===//
#include "serializer/PteFile.h"

#include <cstring>
#include <numeric>

namespace ember {
namespace {

uint64_t alignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

void putU32(std::string &s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

void appendU32(std::string &s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void appendU64(std::string &s, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

} // namespace

std::vector<std::pair<uint64_t, uint64_t>> layoutSegments(llvm::ArrayRef<SegmentData> segments) {
  std::vector<std::pair<uint64_t, uint64_t>> layout;
  uint64_t end = 0;
  for (const SegmentData &segment : segments) {
    uint64_t offset = alignUp(end, std::lcm(kSegmentAlignment, segment.alignment));
    layout.push_back({offset, segment.size});
    end = offset + segment.size;
  }
  return layout;
}

std::string assemblePte(llvm::ArrayRef<uint8_t> flatbuffer, llvm::ArrayRef<SegmentData> segments) {
  auto layout = layoutSegments(segments);
  uint64_t segmentDataSize = layout.empty() ? 0 : layout.back().first + layout.back().second;
  std::string out;
  if (segmentDataSize == 0) {
    out.assign(reinterpret_cast<const char *>(flatbuffer.data()), flatbuffer.size());
    return out;
  }

  // 1. The flatbuffer's first 8 bytes (root offset, identifier), then the
  //    header, then the rest; the root offset moves by the header length.
  uint64_t programSize = kPaddedHeaderLength + flatbuffer.size();
  uint64_t segmentBase = alignUp(programSize, kSegmentAlignment);
  out.reserve(segmentBase + segmentDataSize);
  out.append(reinterpret_cast<const char *>(flatbuffer.data()), 8);
  uint32_t root;
  std::memcpy(&root, flatbuffer.data(), 4);  // little-endian hosts only (checked in CMake)
  putU32(out, 0, root + static_cast<uint32_t>(kPaddedHeaderLength));
  out.append("eh00");
  appendU32(out, 32);  // header length
  appendU64(out, programSize);
  appendU64(out, segmentBase);
  appendU64(out, segmentDataSize);
  out.resize(8 + kPaddedHeaderLength, '\0');
  out.append(reinterpret_cast<const char *>(flatbuffer.data()) + 8, flatbuffer.size() - 8);

  // 2. Segments at their aligned offsets, zero padding between.
  for (auto [segment, place] : llvm::zip(segments, layout)) {
    const uint64_t start = segmentBase + place.first;
    out.resize(start + segment.size, '\0');
    for (const auto &[offset, bytes] : segment.pieces)
      if (!bytes.empty())
        std::memcpy(out.data() + start + offset, bytes.data(), bytes.size());
  }
  return out;
}

} // namespace ember
