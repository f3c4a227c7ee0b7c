// The process-wide pool (see threadpool.h): one pthreadpool per thread count
// asked for, kept until exit, and an atomic pointer to the current one.
#include "runtime/core/threadpool.h"

#include <atomic>
#include <cstdlib>
#include <mutex>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#ifdef EMBER_HAVE_PTHREADPOOL
#include <pthreadpool.h>
#endif

namespace ember {
namespace {

struct PoolSlot {
  size_t threads = 0;
  pthreadpool* pool = nullptr;
};

std::mutex g_mutex;
#ifdef EMBER_HAVE_PTHREADPOOL
PoolSlot g_slots[16];            // distinct thread counts used by this process
size_t g_num_slots = 0;
#endif
std::atomic<size_t> g_threads{0};  // 0: not chosen yet (one per core)
std::atomic<pthreadpool*> g_current{nullptr};
// Whether the workers ran a call since rest_workers() last put them to sleep
// (a run with no parallel call leaves them asleep: nothing to rest).
std::atomic<bool> g_workers_awake{false};

size_t resolve(size_t n) { return n == 0 ? num_cores() : n; }

#ifdef EMBER_HAVE_PTHREADPOOL
/// The default thread count: EMBER_NUM_THREADS when it holds a number in
/// [1, kMaxThreads] (as OMP_NUM_THREADS does for OpenMP), else one per core.
size_t default_threads() {
  if (const char* env = std::getenv("EMBER_NUM_THREADS")) {
    char* end = nullptr;
    unsigned long n = std::strtoul(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= kMaxThreads) return n;
    EMBER_LOG(Error, "EMBER_NUM_THREADS='%s' is not a thread count in [1, %zu]: ignored", env,
              kMaxThreads);
  }
  return num_cores();
}
#endif

/// The pool with `threads` threads, created on first request. Needs g_mutex.
Result<pthreadpool*> pool_for(size_t threads) {
  if (threads <= 1) return static_cast<pthreadpool*>(nullptr);
#ifdef EMBER_HAVE_PTHREADPOOL
  for (size_t i = 0; i < g_num_slots; ++i)
    if (g_slots[i].threads == threads) return g_slots[i].pool;
  if (g_num_slots == sizeof(g_slots) / sizeof(g_slots[0])) {
    EMBER_LOG(Error, "set_num_threads: more than %zu distinct thread counts in one process",
              g_num_slots);
    return Error::InvalidArgument;
  }
  pthreadpool* pool = pthreadpool_create(threads);
  if (pool == nullptr) {
    EMBER_LOG(Error, "set_num_threads: could not start a pool of %zu threads", threads);
    return Error::MemoryAllocationFailed;
  }
  g_slots[g_num_slots++] = {threads, pool};
  return pool;
#else
  EMBER_LOG(Error, "set_num_threads(%zu): this runtime was built without pthreadpool", threads);
  return Error::NotSupported;
#endif
}

}  // namespace

size_t num_cores() {
#if defined(_SC_NPROCESSORS_ONLN)
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) return static_cast<size_t>(n) < kMaxThreads ? static_cast<size_t>(n) : kMaxThreads;
#endif
  return 1;
}

Error set_num_threads(size_t n) {
  if (n > kMaxThreads) {
    EMBER_LOG(Error, "set_num_threads(%zu): at most %zu threads", n, kMaxThreads);
    return Error::InvalidArgument;
  }
  size_t threads = resolve(n);
#ifndef EMBER_HAVE_PTHREADPOOL
  if (n == 0) threads = 1;
#endif
  std::lock_guard<std::mutex> lock(g_mutex);
  Result<pthreadpool*> pool = pool_for(threads);
  if (!pool.ok()) return pool.error();
  g_current.store(*pool);
  g_threads.store(threads);
  return Error::Ok;
}

size_t get_num_threads() {
  size_t n = g_threads.load();
  if (n != 0) return n;
#ifdef EMBER_HAVE_PTHREADPOOL
  return default_threads();
#else
  return 1;
#endif
}

pthreadpool* get_threadpool() {
  if (g_threads.load() != 0) return g_current.load();
  // First use: the default, one thread per core.
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_threads.load() == 0) {
    size_t threads = get_num_threads();
    Result<pthreadpool*> pool = pool_for(threads);
    g_current.store(pool.ok() ? *pool : nullptr);
    g_threads.store(pool.ok() ? threads : 1);
  }
  return g_current.load();
}

void parallelize_1d(void (*task)(void* context, size_t i), void* context, size_t range) {
#ifdef EMBER_HAVE_PTHREADPOOL
  pthreadpool* pool = get_threadpool();
  if (pool != nullptr && range > 1) {
    // Workers spin for the next call, as after XNNPACK's (which passes no
    // flag either), and rest_workers() puts them to sleep when a run ends.
    // Sleeping after every call instead (PTHREADPOOL_FLAG_YIELD_WORKERS)
    // cost a wake-up per call: about 100 us on this 2-core VM once a core has
    // gone idle, and MobileNetV2 without a delegate ran slower at 2 threads
    // than at 1 (24.6 against 11.2 ms in `python -m bench`, where every run
    // follows 20 ms of idle). Spinning after the run too, as before
    // rest_workers, held a core the next process needed: MobileNetV3-small
    // 5x slower at 2 threads on a loaded machine.
    pthreadpool_parallelize_1d(pool, task, context, range, 0);
    g_workers_awake.store(true, std::memory_order_relaxed);
    return;
  }
#endif
  for (size_t i = 0; i < range; ++i) task(context, i);
}

void note_workers_awake() { g_workers_awake.store(true, std::memory_order_relaxed); }

void rest_workers() {
#ifdef EMBER_HAVE_PTHREADPOOL
  if (g_threads.load() <= 1 || !g_workers_awake.exchange(false, std::memory_order_relaxed)) {
    return;  // no pool, or its workers already sleep
  }
  pthreadpool* pool = g_current.load();
  if (pool == nullptr) return;
  // An empty command every worker takes; the flag makes each one wait in the
  // kernel, not spin, for the command after it.
  pthreadpool_parallelize_1d(pool, [](void*, size_t) {}, nullptr, g_threads.load(),
                             PTHREADPOOL_FLAG_YIELD_WORKERS);
#endif
}

}  // namespace ember
