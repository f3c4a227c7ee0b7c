// The process-wide pool (see threadpool.h): per thread count asked for, a
// team of Ember's own workers (parallelize_1d) and, created when a backend
// first asks for it, a pthreadpool (XNNPACK); both kept until exit.
//
// Why a team of our own rather than pthreadpool_parallelize_1d: a pthreadpool
// call returns only once every worker has taken the command and checked in,
// so a worker the OS has not scheduled (asleep, or its core busy with another
// process) stalls the call until it runs, even when the caller could have
// done all the work meanwhile. On this shared 2-core VM that made 2 threads
// several times slower than 1 on MobileNetV2 (55 parallel calls a run of
// 10-100 us each; under load a call waited up to tens of ms). The team's
// caller never waits for a worker that has not started: items go to whoever
// claims them first, and the caller waits only for items a worker is running.
#include "runtime/core/threadpool.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#ifdef EMBER_HAVE_PTHREADPOOL
#include <pthread.h>
#include <pthreadpool.h>
#include <sched.h>

#include "runtime/platform/platform.h"
#endif

#if defined(EMBER_HAVE_PTHREADPOOL) && defined(__linux__)
#include <sys/syscall.h>
#define EMBER_KEEP_WORKERS_OFF_CALLER 1
#endif

namespace ember {
namespace {

#ifdef EMBER_HAVE_PTHREADPOOL
/// How long an idle worker waits for the next call before it sleeps. A run's
/// parallel calls follow each other within 10 us mostly, rarely over 1 ms
/// (MobileNetV2, EfficientNet-B0, ResNet-18 int8); waking a sleeping worker
/// takes about 100 us on this VM. rest_workers() shortens the wait to
/// kRunGapNs.
constexpr uint64_t kWorkerWaitNs = 1000000;
/// How long after a run ends (rest_workers()) an idle worker still waits
/// for a call: the next run of a loop that runs a method back to back (an
/// LLM's decode steps, a benchmark) then finds it awake. Waking it cost a
/// one-linear decode run at 2 threads as much as the second thread saved
/// (8da4w 2048 x 2048: 25 us a run against 14 for the kernel with workers
/// awake); past kSpinNs the wait yields its core between checks.
constexpr uint64_t kRunGapNs = 200000;
/// How long a waiting thread (an idle worker, or a caller waiting for an item
/// a worker runs) spins before it yields its core between checks: the core
/// may be the one the other thread, or another process, waits for.
constexpr uint64_t kSpinNs = 20000;
/// When the workers stop helping, the team runs serially for a while with
/// them asleep: after kMaxMisses calls in a row that a worker was awake for
/// (spinning) and ran no item of (calls too short to share or, on a busy
/// machine, a spinning worker that does not get a core in time); after
/// kMaxWakeNs of calls that no worker had woken for yet (a machine too busy
/// to run a woken worker, so that waking it only costs the caller system
/// calls and a worker the kernel may put on the caller's own core); or after
/// a stall: a call whose caller waited longer than kStallNs, and longer than
/// it worked, for an item a worker was running (the worker lost its core
/// mid-item, and the call took longer than the caller alone would have).
/// With load 9 on this 2-core VM, MobileNetV2 int8 at 2 threads took 20 ms a
/// run against 10 at 1 without this, the same with it. Calls made while the
/// workers wake are not misses: after 20 ms idle, a sleeping worker of this
/// VM takes 1-5 ms to run once woken (its virtual core was halted), and
/// counting those calls had sent MobileNetV2 (55 calls in 4 ms) serial for
/// most runs. The serial span is kSoloMinNs when the workers had helped in
/// most calls since the last one (an isolated stall, such as the VM losing
/// its core, costs a run or so), else twice the last, up to kSoloMaxNs (a
/// machine that stays busy).
constexpr uint32_t kMaxMisses = 16;
constexpr uint64_t kMaxWakeNs = 10000000;
constexpr uint64_t kStallNs = 100000;
constexpr uint64_t kSoloMinNs = 2000000, kSoloMaxNs = 500000000;

inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// One step of a wait that began at `start`: a pause, or past kSpinNs a
/// yield of the core (a system call, so the clock is read every 16 pauses).
inline void wait_step(uint32_t& spins, uint64_t start, bool& yielding) {
  if (yielding) {
    sched_yield();
    return;
  }
  spin_pause();
  if (++spins % 16 == 0 && platform::now_ns() >= start + kSpinNs) yielding = true;
}

#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
/// Keeps a pool's workers off the core the caller runs on. Linux wakes a
/// sleeping thread on the waker's core when it judges the others
/// unavailable; a virtual machine's idle core counts as such once its host
/// descheduled it. On this 2-core VM, after 20 ms idle, the worker woken by
/// a run's first call landed on the caller's core in most runs: it preempted
/// the caller, ran the call alone, then took turns with the caller for
/// 1-3 ms until the load balancer moved it, so 2 threads ran MobileNetV2 no
/// faster than 1 (4.5 ms against 2.5 back to back). Allowed every core of
/// their set but the caller's, woken workers go to another core. A system
/// call per worker only when the caller's core changes (sched_getcpu()
/// itself reads a per-thread variable); a set of one core leaves the
/// workers where they are.
struct OffCaller {
  cpu_set_t cpus;                  ///< where the workers may run (their creator's set)
  int off_cpu = -1;                ///< the core they are kept off (-1: none yet)
  pid_t* tids = nullptr;           ///< the workers' thread ids, [count]
  size_t count = 0;
  std::atomic<size_t> taken{0}, written{0};  ///< entries of tids taken, written
  std::atomic<bool> known{false};            ///< every id is written

  /// Records the creating thread's set and room for `workers` ids.
  bool init(size_t workers) {
    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) CPU_ZERO(&cpus);
    tids = new (std::nothrow) pid_t[workers];
    count = tids != nullptr ? workers : 0;
    return tids != nullptr;
  }

  /// Records a worker's id (each worker once, from any thread).
  void add(pid_t tid) {
    const size_t k = taken.fetch_add(1, std::memory_order_relaxed);
    if (k >= count) return;
    tids[k] = tid;
    if (written.fetch_add(1, std::memory_order_acq_rel) + 1 == count) {
      known.store(true, std::memory_order_release);
    }
  }

  /// Called before work is handed to the workers, by the thread handing it.
  void update() {
    const int cpu = sched_getcpu();
    if (cpu < 0 || cpu == off_cpu || !known.load(std::memory_order_acquire)) return;
    off_cpu = cpu;
    cpu_set_t allowed = cpus;
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed) || CPU_COUNT(&allowed) < 2) return;
    CPU_CLR(cpu, &allowed);
    for (size_t i = 0; i < count; ++i) sched_setaffinity(tids[i], sizeof allowed, &allowed);
  }
};

pid_t current_tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }
#endif

/// Ember's workers for one thread count: threads - 1 of them, the caller
/// being the last. A call is published as one word, (generation << 32) |
/// items not yet claimed; caller and workers claim items (from the top down)
/// by decrementing it while its generation is the call's, so a worker that
/// wakes after the call ended finds nothing to claim and never reads a
/// task or context but the current call's.
struct Team {
  alignas(64) std::atomic<uint64_t> claim{0};
  void (*task)(void*, size_t) = nullptr;  ///< read only after a claim succeeded
  void* context = nullptr;
  alignas(64) std::atomic<size_t> done{0};  ///< items of the current call finished
  alignas(64) std::atomic<bool> busy{false};  ///< a caller owns the team
  std::atomic<bool> resting{false};           ///< sleep, do not wait
  std::atomic<uint64_t> rest_at{UINT64_MAX};  ///< rest_workers(): sleep from this time
  std::atomic<uint32_t> sleepers{0};          ///< workers waiting on `wake`
  std::atomic<size_t> awake{0};               ///< workers not asleep
  std::atomic<uint64_t> solo_until{0};        ///< calls before this time run serially
  uint32_t generation = 0;                    ///< the last call's (caller side)
  uint32_t misses = 0;                        ///< calls in a row workers ran nothing of
  uint64_t waking_since = 0;                  ///< start of the calls no worker was awake
                                              ///< for (0: a worker was at the last)
  uint64_t solo_ns = kSoloMinNs;              ///< the last serial span
  uint32_t calls = 0, helped = 0;             ///< since the last serial span: calls,
                                              ///< and those a worker ran items of
  size_t workers = 0;
  std::mutex mutex;
  std::condition_variable wake;
#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
  OffCaller off;  ///< keeps the workers off the caller's core
#endif
};

/// Claims and runs items of call `gen` until none is left; how many it ran.
size_t run_items(Team& t, uint32_t gen) {
  size_t ran = 0;
  uint64_t word = t.claim.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(word >> 32) != gen || static_cast<uint32_t>(word) == 0) return ran;
    if (!t.claim.compare_exchange_weak(word, word - 1, std::memory_order_acquire,
                                       std::memory_order_acquire)) {
      continue;  // `word` now holds the current value
    }
    // Until this item is counted done the caller does not return, so the
    // call's task and context stay valid.
    t.task(t.context, static_cast<uint32_t>(word) - 1);
    t.done.fetch_add(1, std::memory_order_release);
    ++ran;
    word = t.claim.load(std::memory_order_acquire);
  }
}

/// The generation of the next call after `seen`: waits up to kWorkerWaitNs
/// (or until `resting`, or rest_at), then sleeps until a caller wakes it.
uint32_t wait_for_call(Team& t, uint32_t seen) {
  const uint64_t start = platform::now_ns();
  bool yielding = false;
  for (uint32_t spins = 0;;) {
    const auto gen = static_cast<uint32_t>(t.claim.load(std::memory_order_acquire) >> 32);
    if (gen != seen) return gen;
    wait_step(spins, start, yielding);
    if (yielding || spins % 16 == 0) {
      const uint64_t now = platform::now_ns();
      if (t.resting.load(std::memory_order_relaxed) || now >= start + kWorkerWaitNs ||
          now >= t.rest_at.load(std::memory_order_relaxed)) {
        break;
      }
    }
  }
  std::unique_lock<std::mutex> lock(t.mutex);
  t.awake.fetch_sub(1, std::memory_order_relaxed);
  // sleepers before claim (both seq_cst) pairs with the caller's claim before
  // sleepers: either it sees this sleeper and notifies, or this sees its call.
  t.sleepers.fetch_add(1, std::memory_order_seq_cst);
  uint32_t gen;
  while ((gen = static_cast<uint32_t>(t.claim.load(std::memory_order_seq_cst) >> 32)) == seen) {
    t.wake.wait(lock);
  }
  t.sleepers.fetch_sub(1, std::memory_order_relaxed);
  t.awake.fetch_add(1, std::memory_order_relaxed);
  return gen;
}

void* worker_main(void* arg) {
  Team& t = *static_cast<Team*>(arg);
#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
  t.off.add(current_tid());
#endif
  uint32_t seen = 0;
  for (;;) {
    seen = wait_for_call(t, seen);
    run_items(t, seen);
  }
  return nullptr;
}

/// Workers rest and calls run serially from `now`: kSoloMinNs if workers
/// helped in most calls since the last serial span, else twice that span.
void go_solo(Team& t, uint64_t now) {
  const bool helpful = 2 * t.helped >= t.calls;
  t.solo_ns = helpful ? kSoloMinNs : 2 * t.solo_ns < kSoloMaxNs ? 2 * t.solo_ns : kSoloMaxNs;
  t.solo_until.store(now + t.solo_ns, std::memory_order_relaxed);
  t.resting.store(true, std::memory_order_relaxed);
  t.misses = t.calls = t.helped = 0;
  t.waking_since = 0;
}

/// Runs task over [0, range) with the team; false (nothing run) when another
/// call holds it (another application thread, or a task of this call calling
/// again) or the team runs serially for now, so that the caller runs it
/// serially instead of waiting.
bool team_run(Team& t, void (*task)(void*, size_t), void* context, size_t range) {
  if (range > UINT32_MAX || t.busy.exchange(true, std::memory_order_acquire)) return false;
  const uint64_t start = platform::now_ns();
  if (start < t.solo_until.load(std::memory_order_relaxed)) {
    t.busy.store(false, std::memory_order_release);
    return false;
  }
  // Workers awake before this call (spinning for it, or finishing the last
  // call's item); none: this call wakes them, if they still sleep.
  const bool present = t.awake.load(std::memory_order_relaxed) != 0;
#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
  t.off.update();
#endif
  t.task = task;
  t.context = context;
  t.done.store(0, std::memory_order_relaxed);
  const uint32_t gen = ++t.generation;
  t.resting.store(false, std::memory_order_relaxed);
  t.rest_at.store(UINT64_MAX, std::memory_order_relaxed);
  t.claim.store(uint64_t{gen} << 32 | range, std::memory_order_seq_cst);
  if (t.sleepers.load(std::memory_order_seq_cst) != 0) {
    // The caller starts on the items at once: a worker that takes ~100 us to
    // wake joins for what is left, or not at all.
    std::lock_guard<std::mutex> lock(t.mutex);
    t.wake.notify_all();
  }
  const size_t ran = run_items(t, gen);
  // Every item is claimed; wait for those a worker is still running.
  uint64_t waited = 0, worked = 0;
  if (t.done.load(std::memory_order_acquire) != range) {
    worked = platform::now_ns();
    bool yielding = false;
    for (uint32_t spins = 0; t.done.load(std::memory_order_acquire) != range;) {
      wait_step(spins, worked, yielding);
    }
    waited = platform::now_ns() - worked;
    worked -= start;
  }
  t.misses = ran != range ? 0 : present ? t.misses + 1 : t.misses;
  if (present || ran != range) {
    t.waking_since = 0;
  } else if (t.waking_since == 0) {
    t.waking_since = start;
  }
  ++t.calls;
  t.helped += ran != range;
  const uint64_t now = platform::now_ns();
  if ((waited > kStallNs && waited > worked) || t.misses >= kMaxMisses ||
      (t.waking_since != 0 && now - t.waking_since > kMaxWakeNs)) {
    go_solo(t, now);
  }
  t.busy.store(false, std::memory_order_release);
  return true;
}

/// A team of threads - 1 workers (kept for the process), or nullptr.
Team* make_team(size_t threads) {
  Team* t = new (std::nothrow) Team;
  if (t == nullptr) return nullptr;
#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
  if (!t->off.init(threads - 1)) return nullptr;
#endif
  for (size_t i = 0; i + 1 < threads; ++i) {
    pthread_t thread;
    t->awake.fetch_add(1, std::memory_order_relaxed);
    if (pthread_create(&thread, nullptr, &worker_main, t) != 0) {
      // The workers started wait for calls that never come; the team stays.
      t->awake.fetch_sub(1, std::memory_order_relaxed);
      return nullptr;
    }
    pthread_detach(thread);
    ++t->workers;
  }
  return t;
}
#endif

struct PoolSlot {
  size_t threads = 0;
#ifdef EMBER_HAVE_PTHREADPOOL
  Team* team = nullptr;
  std::atomic<pthreadpool*> pool{nullptr};  ///< created by get_threadpool()
#endif
#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
  OffCaller pool_off;  ///< keeps the pthreadpool's workers off the caller's core
#endif
};

#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
/// Learns the ids of a new pthreadpool's workers, which it does not tell: one
/// command of `threads` items, each waiting (up to 200 ms) until every item
/// has started, so that every thread of the pool runs one (pthreadpool gives
/// each thread its own share of the range and lets a thread take another's
/// only when its own are done). A pool that does not behave so, or a
/// machine too busy to start them all in time, leaves its ids unknown and
/// its workers unmoved.
struct IdCollection {
  OffCaller* off;
  pid_t caller;
  size_t threads;
  uint64_t deadline;
  std::atomic<size_t> started{0};
};

void learn_pool_workers(pthreadpool* pool, size_t threads, OffCaller& off) {
  if (!off.init(threads - 1)) return;
  IdCollection c{&off, current_tid(), threads, platform::now_ns() + 200000000};
  pthreadpool_parallelize_1d(
      pool,
      [](void* context, size_t) {
        auto* c = static_cast<IdCollection*>(context);
        const pid_t tid = current_tid();
        if (tid != c->caller) c->off->add(tid);
        c->started.fetch_add(1, std::memory_order_acq_rel);
        while (c->started.load(std::memory_order_acquire) < c->threads &&
               platform::now_ns() < c->deadline) {
          sched_yield();
        }
      },
      &c, threads, 0);
}
#endif

std::mutex g_mutex;
#ifdef EMBER_HAVE_PTHREADPOOL
PoolSlot g_slots[16];            // distinct thread counts used by this process
size_t g_num_slots = 0;
#endif
std::atomic<size_t> g_threads{0};  // 0: not chosen yet (one per core)
std::atomic<PoolSlot*> g_current{nullptr};  // nullptr: one thread
// Whether XNNPACK ran on the pthreadpool since rest_workers() last put its
// workers to sleep (a run with no delegate call leaves them asleep).
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

/// The slot of `threads` threads (its team started), created on first
/// request; nullptr for one thread. Needs g_mutex.
Result<PoolSlot*> slot_for(size_t threads) {
  if (threads <= 1) return static_cast<PoolSlot*>(nullptr);
#ifdef EMBER_HAVE_PTHREADPOOL
  for (size_t i = 0; i < g_num_slots; ++i)
    if (g_slots[i].threads == threads) return &g_slots[i];
  if (g_num_slots == sizeof(g_slots) / sizeof(g_slots[0])) {
    EMBER_LOG(Error, "set_num_threads: more than %zu distinct thread counts in one process",
              g_num_slots);
    return Error::InvalidArgument;
  }
  Team* team = make_team(threads);
  if (team == nullptr) {
    EMBER_LOG(Error, "set_num_threads: could not start %zu worker threads", threads - 1);
    return Error::MemoryAllocationFailed;
  }
  PoolSlot& slot = g_slots[g_num_slots++];
  slot.threads = threads;
  slot.team = team;
  return &slot;
#else
  EMBER_LOG(Error, "set_num_threads(%zu): this runtime was built without pthreadpool", threads);
  return Error::NotSupported;
#endif
}

/// The slot of the current thread count once one with workers is in use,
/// without choosing the default (nullptr before, and for one thread).
PoolSlot* started_slot() { return g_threads.load() > 1 ? g_current.load() : nullptr; }

/// The slot of the current thread count (the default chosen on first use);
/// nullptr for one thread.
PoolSlot* current_slot() {
  if (g_threads.load() != 0) return g_current.load();
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_threads.load() == 0) {
    size_t threads = get_num_threads();
    Result<PoolSlot*> slot = slot_for(threads);
    g_current.store(slot.ok() ? *slot : nullptr);
    g_threads.store(slot.ok() ? threads : 1);
  }
  return g_current.load();
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
  Result<PoolSlot*> slot = slot_for(threads);
  if (!slot.ok()) return slot.error();
#ifdef EMBER_HAVE_PTHREADPOOL
  // A count set anew starts with its workers on call (no stall remembered).
  if (*slot != nullptr) (*slot)->team->solo_until.store(0, std::memory_order_relaxed);
#endif
  g_current.store(*slot);
  g_threads.store(threads);
  return Error::Ok;
}

size_t get_num_threads() {
  size_t n = g_threads.load();
  if (n != 0) return n;
#ifdef EMBER_HAVE_PTHREADPOOL
  // Read once: sysconf(_SC_NPROCESSORS_ONLN) opens /sys on every call (about
  // 16 us on this VM), and kernels ask for the count on every run.
  static const size_t kDefault = default_threads();
  return kDefault;
#else
  return 1;
#endif
}

pthreadpool* get_threadpool() {
  PoolSlot* slot = current_slot();
  if (slot == nullptr) return nullptr;  // one thread
#ifdef EMBER_HAVE_PTHREADPOOL
  if (pthreadpool* pool = slot->pool.load()) return pool;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (slot->pool.load() == nullptr) {
    pthreadpool* pool = pthreadpool_create(slot->threads);
    if (pool == nullptr) {
      EMBER_LOG(Error, "get_threadpool: could not start a pool of %zu threads", slot->threads);
    }
#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
    if (pool != nullptr) learn_pool_workers(pool, slot->threads, slot->pool_off);
#endif
    slot->pool.store(pool);
  }
  return slot->pool.load();
#else
  return nullptr;
#endif
}

namespace {
thread_local bool t_kernels_on_pthreadpool = false;  // a KernelsOnThreadpool is alive
}  // namespace

KernelsOnThreadpool::KernelsOnThreadpool() : outer_(!t_kernels_on_pthreadpool) {
  t_kernels_on_pthreadpool = true;
#ifdef EMBER_HAVE_PTHREADPOOL
  // Ember's workers stop spinning for a call that will not come soon.
  PoolSlot* slot = outer_ ? started_slot() : nullptr;
  if (slot != nullptr) slot->team->resting.store(true, std::memory_order_relaxed);
#endif
}

KernelsOnThreadpool::~KernelsOnThreadpool() {
  if (outer_) t_kernels_on_pthreadpool = false;
}

void parallelize_1d(void (*task)(void* context, size_t i), void* context, size_t range) {
#ifdef EMBER_HAVE_PTHREADPOOL
  PoolSlot* slot = range > 1 ? current_slot() : nullptr;
  if (slot != nullptr && t_kernels_on_pthreadpool) {
    if (pthreadpool* pool = get_threadpool()) {
      begin_pool_call();
      pthreadpool_parallelize_1d(pool, task, context, range, 0);
      return;
    }
  }
  if (slot != nullptr && team_run(*slot->team, task, context, range)) return;
#endif
  for (size_t i = 0; i < range; ++i) task(context, i);
}

void begin_pool_call() {
#ifdef EMBER_KEEP_WORKERS_OFF_CALLER
  if (PoolSlot* slot = started_slot()) slot->pool_off.update();
#endif
  g_workers_awake.store(true, std::memory_order_relaxed);
}

void rest_workers() {
#ifdef EMBER_HAVE_PTHREADPOOL
  PoolSlot* slot = started_slot();
  if (slot == nullptr) return;
  // Ember's workers: a time they read while waiting; nothing to wake.
  slot->team->rest_at.store(platform::now_ns() + kRunGapNs, std::memory_order_relaxed);
  pthreadpool* pool = slot->pool.load();
  if (pool == nullptr || !g_workers_awake.exchange(false, std::memory_order_relaxed)) {
    return;  // no pthreadpool, or its workers already sleep
  }
  // An empty command every worker takes; the flag makes each one wait in the
  // kernel, not spin, for the command after it.
  pthreadpool_parallelize_1d(pool, [](void*, size_t) {}, nullptr, slot->threads,
                             PTHREADPOOL_FLAG_YIELD_WORKERS);
#endif
}

size_t awake_workers() {
#ifdef EMBER_HAVE_PTHREADPOOL
  PoolSlot* slot = started_slot();
  return slot == nullptr ? 0 : slot->team->awake.load(std::memory_order_relaxed);
#else
  return 0;
#endif
}

}  // namespace ember
