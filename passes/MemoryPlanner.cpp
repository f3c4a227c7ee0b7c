//===- MemoryPlanner.cpp - Placing tensors with lifetimes in arenas -------===//
#include "passes/MemoryPlanner.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <numeric>

#include "llvm/ADT/STLExtras.h"

namespace ember {
namespace {

int64_t alignUp(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

/// The bytes a buffer takes: its size rounded up to the alignment.
int64_t slotSize(const PlanBuffer &b, int64_t alignment) { return alignUp(b.size, alignment); }

bool overlapInTime(const PlanBuffer &a, const PlanBuffer &b) {
  return a.begin <= b.end && b.begin <= a.end;
}

uint32_t numArenas(llvm::ArrayRef<PlanBuffer> buffers) {
  uint32_t n = 1;
  for (const PlanBuffer &b : buffers)
    n = std::max(n, b.memoryId);
  return n;
}

/// Buffer indices of one arena, largest first (ties: earlier first). Empty
/// buffers (e.g. batch norm's unused 0-element statistics) hold no bytes:
/// they stay at offset 0 and are not placed.
std::vector<size_t> bySizeDescending(llvm::ArrayRef<PlanBuffer> buffers, uint32_t memoryId) {
  std::vector<size_t> order;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].memoryId == memoryId && buffers[i].size > 0)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].size > buffers[b].size; });
  return order;
}

/// Offset search over the buffers already placed in one arena.
class GapPlacer {
public:
  GapPlacer(llvm::ArrayRef<PlanBuffer> buffers, std::vector<int64_t> &offsets, int64_t alignment,
            bool firstFit = false)
      : buffers(buffers), offsets(offsets), alignment(alignment), firstFit(firstFit) {}

  /// Put buffer `i` in the smallest gap that holds it among the buffers
  /// alive at the same time (the lowest such gap on ties; the lowest gap
  /// that holds it with `firstFit`), or above them all.
  void place(size_t i) {
    const PlanBuffer &b = buffers[i];
    int64_t size = slotSize(b, alignment);
    std::vector<std::pair<int64_t, int64_t>> busy;  // [offset, offset + slot)
    for (size_t j : placed)
      if (overlapInTime(b, buffers[j]))
        busy.push_back({offsets[j], offsets[j] + slotSize(buffers[j], alignment)});
    std::sort(busy.begin(), busy.end());
    int64_t free = 0, best = -1, bestGap = INT64_MAX;
    for (auto [lo, hi] : busy) {
      if (lo - free >= size && lo - free < bestGap && !(firstFit && best >= 0)) {
        best = free;
        bestGap = lo - free;
      }
      free = std::max(free, hi);
    }
    offsets[i] = best >= 0 ? best : free;
    top = std::max(top, offsets[i] + size);
    placed.push_back(i);
  }

  int64_t top = 0;

private:
  llvm::ArrayRef<PlanBuffer> buffers;
  std::vector<int64_t> &offsets;
  int64_t alignment;
  bool firstFit;
  std::vector<size_t> placed;
};

/// ExecuTorch 1.4's greedy, for one arena; returns its size.
int64_t planGreedy(llvm::ArrayRef<PlanBuffer> buffers, uint32_t memoryId, int64_t alignment,
                   std::vector<int64_t> &offsets) {
  struct SharedObject {
    int64_t size = 0;
    std::vector<size_t> members;  // offsets[m] is relative to the object until the end
  };
  // 1. Largest first; among equal sizes the later tensor first (ExecuTorch
  //    sorts a set of specs by size and reverses the list).
  std::vector<size_t> order = bySizeDescending(buffers, memoryId);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    int64_t sa = slotSize(buffers[a], alignment), sb = slotSize(buffers[b], alignment);
    return sa != sb ? sa > sb : a > b;
  });
  std::vector<SharedObject> objects;
  std::vector<size_t> objectOf(buffers.size());
  auto alive = [&](size_t i, size_t m) { return overlapInTime(buffers[i], buffers[m]); };
  for (size_t i : order) {
    int64_t size = slotSize(buffers[i], alignment);
    // 2. Offset 0 of the first object with no member alive at the same time
    //    (sorted by size, every object is large enough).
    int picked = -1;
    for (auto [k, obj] : llvm::enumerate(objects))
      if (llvm::none_of(obj.members, [&](size_t m) { return alive(i, m); })) {
        picked = k;
        offsets[i] = 0;
        break;
      }
    // 3. Else above the members alive with it, in the first object where
    //    that still fits.
    for (auto [k, obj] : llvm::enumerate(objects)) {
      if (picked >= 0)
        break;
      int64_t above = 0;
      for (size_t m : obj.members)
        if (alive(i, m))
          above = std::max(above, offsets[m] + slotSize(buffers[m], alignment));
      if (above + size <= obj.size) {
        picked = k;
        offsets[i] = above;
      }
    }
    // 4. Else an object of its own.
    if (picked < 0) {
      picked = objects.size();
      objects.push_back({size, {}});
      offsets[i] = 0;
    }
    objects[picked].members.push_back(i);
  }
  // 5. The objects one after the other.
  int64_t top = 0;
  for (const SharedObject &obj : objects) {
    for (size_t m : obj.members)
      offsets[m] += top;
    top += obj.size;
  }
  return top;
}

/// Greedy by breadth, for one arena; returns its size.
int64_t planByBreadth(llvm::ArrayRef<PlanBuffer> buffers, uint32_t memoryId, int64_t alignment,
                      std::vector<int64_t> &offsets) {
  std::vector<size_t> mine = bySizeDescending(buffers, memoryId);
  if (mine.empty())
    return 0;
  int64_t last = 0;
  for (size_t i : mine)
    last = std::max(last, buffers[i].end);
  // Live bytes per position, and the buffers alive there (largest first).
  std::vector<int64_t> breadth(last + 2, 0);
  for (size_t i : mine) {
    breadth[buffers[i].begin] += slotSize(buffers[i], alignment);
    breadth[buffers[i].end + 1] -= slotSize(buffers[i], alignment);
  }
  std::partial_sum(breadth.begin(), breadth.end(), breadth.begin());
  std::vector<std::vector<size_t>> alive(last + 1);
  for (size_t i : mine)
    for (int64_t p = buffers[i].begin; p <= buffers[i].end; ++p)
      alive[p].push_back(i);
  std::vector<int64_t> positions(last + 1);
  std::iota(positions.begin(), positions.end(), 0);
  std::stable_sort(positions.begin(), positions.end(),
                   [&](int64_t a, int64_t b) { return breadth[a] > breadth[b]; });
  GapPlacer placer(buffers, offsets, alignment);
  std::vector<bool> done(buffers.size(), false);
  for (int64_t p : positions)
    for (size_t i : alive[p])
      if (!done[i]) {
        placer.place(i);
        done[i] = true;
      }
  return placer.top;
}

/// The bytes alive at the busiest position of one arena, each tensor counted
/// at its aligned size: no aligned plan of the arena can be smaller.
int64_t alignedBound(llvm::ArrayRef<PlanBuffer> buffers, llvm::ArrayRef<size_t> mine,
                     int64_t alignment) {
  std::map<int64_t, int64_t> delta;
  for (size_t i : mine) {
    delta[buffers[i].begin] += slotSize(buffers[i], alignment);
    delta[buffers[i].end + 1] -= slotSize(buffers[i], alignment);
  }
  int64_t live = 0, bound = 0;
  for (auto [pos, d] : delta)
    bound = std::max(bound, live += d);
  return bound;
}

/// Places `order` at the lowest offsets that fit; returns the arena size.
int64_t placeFirstFit(llvm::ArrayRef<PlanBuffer> buffers, llvm::ArrayRef<size_t> order,
                      int64_t alignment, std::vector<int64_t> &offsets) {
  GapPlacer placer(buffers, offsets, alignment, /*firstFit=*/true);
  for (size_t i : order)
    placer.place(i);
  return placer.top;
}

/// Every order of a small arena, depth first, each tensor at the lowest
/// offset that fits; branches that reach `best` are cut.
class ExactPlacer {
public:
  ExactPlacer(llvm::ArrayRef<PlanBuffer> buffers, llvm::ArrayRef<size_t> mine, int64_t alignment,
              int64_t bound, int64_t best, std::vector<int64_t> &offsets)
      : buffers(buffers), mine(mine), alignment(alignment), bound(bound), best(best),
        offsets(offsets), at(mine.size(), -1) {}

  /// The arena size of the best plan found (written to `offsets`), or the
  /// initial `best` if no order beats it.
  int64_t run() {
    search(0, 0);
    return best;
  }

private:
  void search(size_t depth, int64_t top) {
    if (best <= bound)
      return;  // optimal already
    if (depth == mine.size()) {
      best = top;
      for (auto [k, i] : llvm::enumerate(mine))
        offsets[i] = at[k];
      return;
    }
    for (size_t k = 0; k < mine.size(); ++k) {
      if (at[k] >= 0)
        continue;
      const PlanBuffer &b = buffers[mine[k]];
      int64_t size = slotSize(b, alignment);
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (size_t l = 0; l < mine.size(); ++l)
        if (at[l] >= 0 && overlapInTime(b, buffers[mine[l]]))
          busy.push_back({at[l], at[l] + slotSize(buffers[mine[l]], alignment)});
      std::sort(busy.begin(), busy.end());
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        if (lo - offset >= size)
          break;
        offset = std::max(offset, hi);
      }
      if (std::max(top, offset + size) >= best)
        continue;
      at[k] = offset;
      search(depth + 1, std::max(top, offset + size));
      at[k] = -1;
    }
  }

  llvm::ArrayRef<PlanBuffer> buffers;
  llvm::ArrayRef<size_t> mine;
  int64_t alignment, bound, best;
  std::vector<int64_t> &offsets;
  std::vector<int64_t> at;  // per tensor of `mine`: its offset, -1 while unplaced
};

/// refinePlan for one arena: improves `offsets` of its tensors; returns the
/// arena size.
int64_t refineArena(llvm::ArrayRef<PlanBuffer> buffers, uint32_t memoryId, int64_t alignment,
                    int64_t size, std::vector<int64_t> &offsets) {
  std::vector<size_t> mine = bySizeDescending(buffers, memoryId);
  int64_t bound = alignedBound(buffers, mine, alignment);
  if (size <= bound)
    return size;
  if (mine.size() <= kExactLimit)  // 3.
    return ExactPlacer(buffers, mine, alignment, bound, size, offsets).run();

  // 1. The order of the start plan's offsets.
  std::stable_sort(mine.begin(), mine.end(),
                   [&](size_t a, size_t b) { return offsets[a] < offsets[b]; });
  std::vector<int64_t> trial = offsets;
  int64_t best = size;
  int64_t pairs = static_cast<int64_t>(mine.size()) * (mine.size() - 1) / 2 + 1;
  int rounds = static_cast<int>(std::min<int64_t>(kRefineRounds, kRefineWork / pairs));
  std::vector<size_t> late;
  for (int round = 0, stall = 0; round < std::max(rounds, 1) && stall < kRefineStall; ++round) {
    int64_t top = placeFirstFit(buffers, mine, alignment, trial);
    if (top < best) {
      best = top;
      stall = 0;
      for (size_t i : mine)
        offsets[i] = trial[i];
      if (best <= bound)
        break;
    } else {
      ++stall;
    }
    // 2. The tensors above the bound first.
    late.clear();
    auto above = [&](size_t i) { return trial[i] + slotSize(buffers[i], alignment) > bound; };
    llvm::copy_if(mine, std::back_inserter(late), above);
    llvm::erase_if(mine, above);
    mine.insert(mine.begin(), late.begin(), late.end());
  }
  return best;
}

} // namespace

llvm::StringRef algorithmName(PlanAlgorithm algorithm) {
  switch (algorithm) {
  case PlanAlgorithm::Greedy: return "greedy";
  case PlanAlgorithm::GreedyBySize: return "greedy_by_size";
  case PlanAlgorithm::GreedyBySizeFirstFit: return "greedy_by_size_first_fit";
  case PlanAlgorithm::GreedyByBreadth: return "greedy_by_breadth";
  case PlanAlgorithm::Refined: return "refined";
  }
  return "";
}

std::optional<PlanAlgorithm> parseAlgorithm(llvm::StringRef name) {
  for (PlanAlgorithm a : allAlgorithms())
    if (algorithmName(a) == name)
      return a;
  return std::nullopt;
}

llvm::ArrayRef<PlanAlgorithm> allAlgorithms() {
  static const PlanAlgorithm all[] = {PlanAlgorithm::Greedy, PlanAlgorithm::GreedyBySize,
                                      PlanAlgorithm::GreedyBySizeFirstFit,
                                      PlanAlgorithm::GreedyByBreadth, PlanAlgorithm::Refined};
  return all;
}

int64_t MemoryPlan::totalSize() const {
  return std::accumulate(arenaSizes.begin(), arenaSizes.end(), int64_t{0});
}

MemoryPlan planBuffers(PlanAlgorithm algorithm, llvm::ArrayRef<PlanBuffer> buffers,
                       int64_t alignment) {
  if (algorithm == PlanAlgorithm::Refined) {
    std::vector<MemoryPlan> starts;
    for (PlanAlgorithm a : allAlgorithms().drop_back())
      starts.push_back(planBuffers(a, buffers, alignment));
    return refinePlan(buffers, starts, alignment);
  }
  MemoryPlan plan;
  plan.algorithm = algorithm;
  plan.offsets.assign(buffers.size(), 0);
  for (uint32_t id = 1; id <= numArenas(buffers); ++id) {
    int64_t size = 0;
    switch (algorithm) {
    case PlanAlgorithm::Greedy:
      size = planGreedy(buffers, id, alignment, plan.offsets);
      break;
    case PlanAlgorithm::GreedyBySize:
    case PlanAlgorithm::GreedyBySizeFirstFit: {
      GapPlacer placer(buffers, plan.offsets, alignment,
                       algorithm == PlanAlgorithm::GreedyBySizeFirstFit);
      for (size_t i : bySizeDescending(buffers, id))
        placer.place(i);
      size = placer.top;
      break;
    }
    case PlanAlgorithm::GreedyByBreadth:
      size = planByBreadth(buffers, id, alignment, plan.offsets);
      break;
    case PlanAlgorithm::Refined:
      break;  // handled above
    }
    plan.arenaSizes.push_back(size);
  }
  return plan;
}

MemoryPlan refinePlan(llvm::ArrayRef<PlanBuffer> buffers, llvm::ArrayRef<MemoryPlan> starts,
                      int64_t alignment) {
  MemoryPlan plan;
  plan.algorithm = PlanAlgorithm::Refined;
  plan.offsets.assign(buffers.size(), 0);
  plan.arenaSizes.assign(numArenas(buffers), 0);
  for (uint32_t id = 1; id <= plan.arenaSizes.size(); ++id) {
    // The smallest start plan of this arena (arenas are independent).
    const MemoryPlan *start = &starts.front();
    for (const MemoryPlan &p : starts)
      if (p.arenaSizes[id - 1] < start->arenaSizes[id - 1])
        start = &p;
    for (size_t i = 0; i < buffers.size(); ++i)
      if (buffers[i].memoryId == id)
        plan.offsets[i] = start->offsets[i];
    plan.arenaSizes[id - 1] =
        refineArena(buffers, id, alignment, start->arenaSizes[id - 1], plan.offsets);
  }
  return plan;
}

std::vector<int64_t> lowerBound(llvm::ArrayRef<PlanBuffer> buffers) {
  std::vector<int64_t> bound(numArenas(buffers), 0);
  for (uint32_t id = 1; id <= bound.size(); ++id) {
    std::map<int64_t, int64_t> delta;  // position -> change of live bytes
    for (const PlanBuffer &b : buffers)
      if (b.memoryId == id) {
        delta[b.begin] += b.size;
        delta[b.end + 1] -= b.size;
      }
    int64_t live = 0;
    for (auto [pos, d] : delta) {
      live += d;
      bound[id - 1] = std::max(bound[id - 1], live);
    }
  }
  return bound;
}

std::optional<std::string> checkPlan(llvm::ArrayRef<PlanBuffer> buffers, const MemoryPlan &plan,
                                     int64_t alignment) {
  if (plan.offsets.size() != buffers.size())
    return "the plan has " + std::to_string(plan.offsets.size()) + " offsets for " +
           std::to_string(buffers.size()) + " buffers";
  for (size_t i = 0; i < buffers.size(); ++i) {
    const PlanBuffer &b = buffers[i];
    int64_t offset = plan.offsets[i];
    if (b.memoryId < 1 || b.memoryId > plan.arenaSizes.size())
      return "buffer " + std::to_string(i) + " is in arena " + std::to_string(b.memoryId) +
             ", which the plan does not have";
    if (offset < 0 || offset % alignment != 0)
      return "buffer " + std::to_string(i) + " is at offset " + std::to_string(offset) +
             ", not a multiple of " + std::to_string(alignment);
    if (offset + b.size > plan.arenaSizes[b.memoryId - 1])
      return "buffer " + std::to_string(i) + " (" + std::to_string(b.size) + " bytes at " +
             std::to_string(offset) + ") ends past arena " + std::to_string(b.memoryId) + " (" +
             std::to_string(plan.arenaSizes[b.memoryId - 1]) + " bytes)";
  }
  // Sorted by (arena, offset), each buffer can only collide with those that
  // start before it ends.
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::make_pair(buffers[a].memoryId, plan.offsets[a]) <
           std::make_pair(buffers[b].memoryId, plan.offsets[b]);
  });
  for (size_t k = 0; k < order.size(); ++k) {
    size_t i = order[k];
    int64_t end = plan.offsets[i] + buffers[i].size;  // an empty buffer shares no byte
    for (size_t l = k + 1; l < order.size(); ++l) {
      size_t j = order[l];
      if (buffers[j].memoryId != buffers[i].memoryId || plan.offsets[j] >= end)
        break;
      if (buffers[j].size > 0 && overlapInTime(buffers[i], buffers[j]))
        return "buffers " + std::to_string(i) + " and " + std::to_string(j) +
               " are alive at the same time (positions " + std::to_string(buffers[i].begin) +
               ".." + std::to_string(buffers[i].end) + " and " +
               std::to_string(buffers[j].begin) + ".." + std::to_string(buffers[j].end) +
               ") and overlap in arena " + std::to_string(buffers[i].memoryId) + " at bytes " +
               std::to_string(plan.offsets[j]) + ".." + std::to_string(end);
    }
  }
  return std::nullopt;
}

} // namespace ember
