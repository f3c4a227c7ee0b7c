//===- MemoryPlanner.h - Placing tensors with lifetimes in arenas ---------===//
//
// The algorithms behind ember-plan-memory, on plain data: a buffer is a size,
// an inclusive lifetime in program positions and an arena (memory id); a plan
// is an offset per buffer and a size per arena such that no two buffers
// alive at the same position in the same arena overlap. Independent of MLIR,
// so that the algorithms, the lower bound and the checker can be used and
// tested on their own.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace ember {

/// One tensor to place.
struct PlanBuffer {
  int64_t size = 0;        ///< bytes (a 0-byte tensor takes none and stays at offset 0)
  int64_t begin = 0;       ///< first program position it is alive at
  int64_t end = 0;         ///< last program position it is alive at (inclusive)
  uint32_t memoryId = 1;   ///< the arena, 1-based as in the .pte
};

/// Placement algorithms. Each gives every buffer an aligned offset.
enum class PlanAlgorithm {
  /// ExecuTorch's greedy: largest first into shared objects (buckets) whose
  /// members' lifetimes do not overlap, each bucket as large as its largest
  /// member, buckets laid out one after the other. The baseline.
  Greedy,
  /// Greedy by size with offset search (TFLite's planner): largest first,
  /// each at the best-fitting gap among the buffers alive at the same time.
  GreedyBySize,
  /// The same order, each at the lowest gap that holds it (first fit).
  GreedyBySizeFirstFit,
  /// Greedy by breadth (Pisarchyk & Lee 2020): the positions with the most
  /// live bytes first, each one's buffers largest first, best-fitting gap.
  GreedyByBreadth,
};

/// "greedy", "greedy_by_size", "greedy_by_size_first_fit", "greedy_by_breadth".
llvm::StringRef algorithmName(PlanAlgorithm algorithm);
std::optional<PlanAlgorithm> parseAlgorithm(llvm::StringRef name);
/// Every algorithm, in the order the planner tries them.
llvm::ArrayRef<PlanAlgorithm> allAlgorithms();

struct MemoryPlan {
  PlanAlgorithm algorithm = PlanAlgorithm::GreedyBySize;
  std::vector<int64_t> offsets;     ///< per buffer
  std::vector<int64_t> arenaSizes;  ///< per memory id (index memory id - 1), aligned

  int64_t totalSize() const;
};

/// The plan `algorithm` makes; every offset a multiple of `alignment` (a
/// power of two).
MemoryPlan planBuffers(PlanAlgorithm algorithm, llvm::ArrayRef<PlanBuffer> buffers,
                       int64_t alignment);

/// What no plan can beat, per memory id: the largest total of bytes alive at
/// any one position.
std::vector<int64_t> lowerBound(llvm::ArrayRef<PlanBuffer> buffers);

/// Checks `plan` for `buffers`: every offset aligned and inside its arena,
/// and no two buffers that are alive at the same position in the same arena
/// sharing a byte. The first violation, described, or nullopt.
std::optional<std::string> checkPlan(llvm::ArrayRef<PlanBuffer> buffers, const MemoryPlan &plan,
                                     int64_t alignment);

} // namespace ember
