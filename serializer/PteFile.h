//===- PteFile.h - Assemble a .pte: flatbuffer, header, segments ----------===//
//
// The byte layout around the flatbuffer (docs/pte-format.md): the extended
// header `eh00` inserted after the file identifier, and the segments after
// the program, each aligned to lcm(128, its own alignment).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llvm/ADT/ArrayRef.h"

namespace ember {

/// Alignment of segments in the file.
inline constexpr uint64_t kSegmentAlignment = 128;
/// Length of the extended header, padded to the schema's largest force_align.
inline constexpr uint64_t kPaddedHeaderLength = 32;

/// One segment's bytes (not owned) and its own alignment.
struct SegmentData {
  /// The segment's bytes as pieces at offsets within it (gaps are zero), so
  /// that tensors are written straight from where they live, never gathered
  /// into an intermediate copy first.
  std::vector<std::pair<uint64_t, llvm::ArrayRef<uint8_t>>> pieces;
  uint64_t size = 0;
  uint64_t alignment = 1;

  SegmentData() = default;
  SegmentData(llvm::ArrayRef<uint8_t> bytes, uint64_t alignment)
      : pieces{{0, bytes}}, size(bytes.size()), alignment(alignment) {}
};

/// Where each segment lands, relative to segment_base_offset: the
/// Program.segments table must hold these before the flatbuffer is built.
std::vector<std::pair<uint64_t, uint64_t>> layoutSegments(llvm::ArrayRef<SegmentData> segments);

/// The file: the flatbuffer with the extended header inserted (only when
/// there is segment data), then the segments. `flatbuffer` must have been
/// built with the offsets from layoutSegments.
std::string assemblePte(llvm::ArrayRef<uint8_t> flatbuffer, llvm::ArrayRef<SegmentData> segments);

} // namespace ember
