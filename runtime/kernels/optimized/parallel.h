// Splitting a kernel's work over the process's thread pool
// (runtime/core/threadpool.h).
#pragma once

#include <cstdint>

#include "runtime/core/threadpool.h"

namespace ember {
namespace optimized {

/// Call f(begin, end) over [0, total) in chunks of at least `grain` items,
/// on the pool when there is more than one chunk and more than one thread,
/// else once on the caller's thread. Each item is computed the same way
/// whatever the split, so results do not depend on the thread count.
/// Allocates nothing.
template <typename F>
void parallel_for(int64_t total, int64_t grain, const F& f) {
  if (total <= 0) return;
  const int64_t threads = static_cast<int64_t>(get_num_threads());
  if (grain < 1) grain = 1;
  int64_t chunks = total / grain;
  if (chunks > threads * 4) chunks = threads * 4;  // a few per thread: some balance, little overhead
  if (threads <= 1 || chunks <= 1) {
    f(int64_t{0}, total);
    return;
  }
  struct Context {
    const F* f;
    int64_t total;
    int64_t chunk;
  };
  Context context{&f, total, (total + chunks - 1) / chunks};
  parallelize_1d(
      [](void* p, size_t i) {
        const Context& c = *static_cast<const Context*>(p);
        const int64_t begin = static_cast<int64_t>(i) * c.chunk;
        const int64_t end = begin + c.chunk < c.total ? begin + c.chunk : c.total;
        if (begin < end) (*c.f)(begin, end);
      },
      &context, static_cast<size_t>(chunks));
}

}  // namespace optimized
}  // namespace ember
