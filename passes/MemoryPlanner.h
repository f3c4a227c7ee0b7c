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
  /// ExecuTorch 1.4's greedy (exir/memory_planning.py), the baseline that
  /// Ember must never lose to: largest first (equal sizes: the later tensor
  /// first, as ExecuTorch's order of its specs usually has it) into shared
  /// objects laid out one after the other. A tensor goes at offset 0 of the
  /// first object none of whose members is alive with it, else on top of the
  /// members alive with it in the first object where that still fits, else
  /// into a new object of its own size.
  Greedy,
  /// Greedy by size with offset search (TFLite's planner): largest first,
  /// each at the best-fitting gap among the buffers alive at the same time.
  GreedyBySize,
  /// The same order, each at the lowest gap that holds it (first fit).
  GreedyBySizeFirstFit,
  /// Greedy by breadth (Pisarchyk & Lee 2020): the positions with the most
  /// live bytes first, each one's buffers largest first, best-fitting gap.
  GreedyByBreadth,
  /// The smallest plan of the algorithms above, improved by a bounded search
  /// over placement orders (see refinePlan); exhaustive for arenas of at most
  /// kExactLimit tensors.
  Refined,
};

/// Arenas of at most this many tensors are planned exactly by Refined.
inline constexpr size_t kExactLimit = 8;

/// "greedy", "greedy_by_size", "greedy_by_size_first_fit",
/// "greedy_by_breadth", "refined".
llvm::StringRef algorithmName(PlanAlgorithm algorithm);
std::optional<PlanAlgorithm> parseAlgorithm(llvm::StringRef name);
/// Every algorithm, in the order the planner tries them (Refined last).
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

/// The best of `starts` (valid plans of `buffers`) in each arena, improved
/// by a search over placement orders; no arena larger than in any of
/// `starts`, with Refined as algorithm.
///   1. Placing the tensors at the lowest offset that fits, in the order of
///      their offsets in the start plan, gives a plan no larger (each
///      tensor's old offset stays free for it). Every plan can be reached
///      this way from some order, so the search is over orders.
///   2. Squeaky wheel: the tensors that end above the lower bound move to the
///      front of the order (keeping their relative order) and the arena is
///      placed again; this fixes what the size-ordered heuristics miss, e.g.
///      a chain of equal-sized tensors (conv -> batch norm -> activation)
///      whose alternation between two slots starts on the wrong side of a
///      larger neighbour (a "same" padding's output). It stops at the bound,
///      after kRefineStall rounds without a gain, after kRefineRounds rounds,
///      or when the rounds have made kRefineWork pair comparisons.
///   3. An arena of at most kExactLimit tensors tries every order instead
///      (branch and bound on the arena size): the optimal plan.
MemoryPlan refinePlan(llvm::ArrayRef<PlanBuffer> buffers, llvm::ArrayRef<MemoryPlan> starts,
                      int64_t alignment);

/// The search budget of refinePlan's step 2 (fixed, so plans are
/// reproducible on any machine).
inline constexpr int kRefineRounds = 64;
inline constexpr int kRefineStall = 8;
inline constexpr int64_t kRefineWork = int64_t{1} << 26;

/// What no plan can beat, per memory id: the largest total of bytes alive at
/// any one position.
std::vector<int64_t> lowerBound(llvm::ArrayRef<PlanBuffer> buffers);

/// Checks `plan` for `buffers`: every offset aligned and inside its arena,
/// and no two buffers that are alive at the same position in the same arena
/// sharing a byte. The first violation, described, or nullopt.
std::optional<std::string> checkPlan(llvm::ArrayRef<PlanBuffer> buffers, const MemoryPlan &plan,
                                     int64_t alignment);

} // namespace ember
