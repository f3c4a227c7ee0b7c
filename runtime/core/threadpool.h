// The process's thread pool: Ember's own workers for its kernels
// (parallelize_1d), and Debian's pthreadpool for the backends that take one
// (XNNPACK, through get_threadpool()).
//
// Pools are created on first use or by set_num_threads(), never inside
// Method::execute(), and kept for the life of the process, one per thread
// count asked for, so a backend that bound a pool at init (XNNPACK binds it
// to its runtime) never sees it freed: changing the count affects work
// started after the change and methods loaded after it. set_num_threads()
// starts Ember's workers; the pthreadpool starts when a backend first asks.
//
//   ember::set_num_threads(2);          // before loading, like torch.set_num_threads
//   (or EMBER_NUM_THREADS=2 in the environment, read once at first use)
//   ember::parallelize_1d(task, &context, items);   // Ember's kernels
//   pthreadpool_t pool = ember::get_threadpool();   // nullptr: run on the caller's thread
//
// The workers' contract: parallelize_1d allocates nothing and never waits
// for a worker that has not started (the caller runs the items no worker
// has claimed, so a worker that is asleep or off its core costs a call
// nothing but the work it would have shared). An idle worker waits about
// 1 ms for the next call (spinning 20 us, then yielding its core between
// checks), long enough to span the gaps between a run's calls, then sleeps;
// rest_workers() (Method::execute, when a run ends) cuts that wait to
// 0.2 ms, so that a loop running a method back to back finds its workers
// awake and idle workers do not hold cores the application needs. When the workers
// stop helping (16 calls in a row they ran nothing of: calls too short to
// share, or a machine too busy to give them a core in time) or a call
// waited on a worker that lost its core mid-item longer than the caller
// worked, the calls run serially for a while with the workers asleep (2 ms,
// doubling up to 0.5 s while the machine stays busy): on a busy machine
// 2 threads then cost what 1 does. On Linux both pools' workers are kept off
// the core of the thread that hands them work (their affinity is every core
// of the process's set but that one, changed when the caller's core
// changes): the kernel otherwise may wake a sleeping worker on its waker's
// core, where it can only take turns with the caller.
//
// Built without pthreadpool (EMBER_HAVE_PTHREADPOOL undefined) everything
// runs on the caller's thread and set_num_threads() accepts only 1 (and 0).
#pragma once

#include <cstddef>

#include "runtime/core/error.h"

struct pthreadpool;  // pthreadpool_t is `struct pthreadpool*`

namespace ember {

/// Most threads one pool may have.
constexpr size_t kMaxThreads = 256;

/// Number of online cores (at least 1).
size_t num_cores();

/// Threads work uses from now on: `n` threads, or one per core when n == 0.
/// Starts that count's workers if needed (a few threads' start-up) and puts
/// them back on call if the team was running serially (see below).
/// InvalidArgument past kMaxThreads; NotSupported for n > 1 when built
/// without pthreadpool; MemoryAllocationFailed if the threads cannot be
/// created. Thread-safe.
Error set_num_threads(size_t n);

/// Threads work currently uses. Default: EMBER_NUM_THREADS from the
/// environment if set (a number in [1, kMaxThreads]), else one per core.
size_t get_num_threads();

/// The pthreadpool for the current thread count, created on first use (for
/// backends such as XNNPACK; Ember's kernels use parallelize_1d); nullptr
/// when that count is 1 (pthreadpool and XNNPACK then run on the calling
/// thread) or the pool could not start. Valid for the life of the process.
pthreadpool* get_threadpool();

/// Run task(context, i) for i in [0, range) with Ember's workers, or serially
/// when there are none. Each index runs once, on the caller or on a worker
/// that claimed it; items are claimed in no fixed order, so a task's result
/// must not depend on which thread runs it or when. Returns when every call
/// has returned; waits only for items a worker is running, never for a
/// worker to wake. A call made while another holds the workers (another
/// application thread, or a task calling it again) runs serially. Allocates
/// nothing.
void parallelize_1d(void (*task)(void* context, size_t i), void* context, size_t range);

/// While one is alive, parallelize_1d calls made on the thread that made it
/// run on the pthreadpool (get_threadpool()) instead of Ember's workers,
/// which it puts to rest: for a backend that runs Ember's kernels between
/// its library's calls on that pool (XnnpackBackend's own convolutions), so
/// that one set of workers serves both. Two sets, each spinning for its next
/// call, took turns on the cores: ResNet-50 ran 35 ms at 2 threads against
/// 25 with XNNPACK alone. Scopes nest; not for use across threads.
class KernelsOnThreadpool {
 public:
  KernelsOnThreadpool();
  ~KernelsOnThreadpool();
  KernelsOnThreadpool(const KernelsOnThreadpool&) = delete;
  KernelsOnThreadpool& operator=(const KernelsOnThreadpool&) = delete;

 private:
  bool outer_;
};

/// Put the workers to sleep soon rather than waiting 1 ms for a next call
/// (Method::execute calls it when a run ends, so that idle workers do not
/// hold cores the application needs): Ember's sleep 0.2 ms from now unless
/// a call comes first (a time they read while waiting, no system call; the
/// next run of a back-to-back loop finds them awake), the pthreadpool's take
/// an empty command now if a backend woke them since they were last put to
/// sleep. The next call wakes them again.
void rest_workers();

/// A backend that hands get_threadpool() to its library (XNNPACK) calls it
/// before each call that runs on the pool, from the calling thread: it keeps
/// the pool's workers off that thread's core (Linux) and records that they
/// ran, so that the next rest_workers() puts them to sleep.
void begin_pool_call();

/// Ember's workers of the current thread count that are not asleep (spinning
/// or running items); 0 for one thread. For tests and diagnostics.
size_t awake_workers();

}  // namespace ember
