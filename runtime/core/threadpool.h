// The process's one thread pool: Debian's pthreadpool (the pool XNNPACK
// takes), shared by every backend and kernel library.
//
// A pool is created on first use or by set_num_threads(), never inside
// Method::execute(). Pools are kept for the life of the process, one per
// thread count asked for, so a backend that bound a pool at init (XNNPACK
// binds it to its runtime) never sees it freed: changing the count affects
// work started after the change and methods loaded after it.
//
//   ember::set_num_threads(2);          // before loading, like torch.set_num_threads
//   (or EMBER_NUM_THREADS=2 in the environment, read once at first use)
//   pthreadpool_t pool = ember::get_threadpool();   // nullptr: run on the caller's thread
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
/// Creates the pool if needed (a few threads' start-up). InvalidArgument past
/// kMaxThreads; NotSupported for n > 1 when built without pthreadpool;
/// MemoryAllocationFailed if the threads cannot be created. Thread-safe.
Error set_num_threads(size_t n);

/// Threads work currently uses. Default: EMBER_NUM_THREADS from the
/// environment if set (a number in [1, kMaxThreads]), else one per core.
size_t get_num_threads();

/// The pool for the current thread count, created on first use; nullptr when
/// that count is 1 (pthreadpool and XNNPACK then run on the calling thread).
/// Valid for the life of the process.
pthreadpool* get_threadpool();

/// Run task(context, i) for i in [0, range) on the pool, or serially when
/// there is none. Returns when every call has returned. Allocates nothing.
/// The workers then spin for a while for the next call, as they do after
/// XNNPACK's: a run's kernels call one after another.
void parallelize_1d(void (*task)(void* context, size_t i), void* context, size_t range);

/// Put the pool's workers to sleep now rather than spinning for a next call
/// (Method::execute calls it when a run ends, so that idle workers do not
/// hold cores the application needs). Nothing when there is no pool or no
/// call woke the workers since they were last put to sleep.
void rest_workers();

/// Record that the pool ran a call outside parallelize_1d (a backend that
/// hands get_threadpool() to its library, as XNNPACK does), so that the next
/// rest_workers() puts the workers to sleep.
void note_workers_awake();

}  // namespace ember
