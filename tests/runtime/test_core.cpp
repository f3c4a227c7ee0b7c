// Core pieces: the bump allocator, tensors (strides, resize rules), EValue
// helpers, scalar types, the kernel registry and the platform log sink.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cmath>
#include <string>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/half.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/core/tensor.h"
#include "runtime/core/threadpool.h"
#include "runtime/kernel/kernel.h"
#include "runtime/platform/platform.h"

#ifdef EMBER_HAVE_PTHREADPOOL
#include <pthreadpool.h>
#endif

namespace ember {
namespace {

// The allocator aligns absolute addresses and refuses what does not fit.
TEST(MemoryAllocator, AlignsAndStopsWhenFull) {
  alignas(64) uint8_t buf[128];
  MemoryAllocator a(buf + 1, 100);  // deliberately unaligned base
  void* p = a.allocate(10, 16);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
  EXPECT_EQ(p, buf + 16);
  void* q = a.allocate(8, 8);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q, buf + 32);
  EXPECT_EQ(a.allocate(100, 1), nullptr);  // does not fit
  EXPECT_NE(a.allocate(61, 1), nullptr);   // exactly the rest: 100 - 39
  EXPECT_EQ(a.used(), 100u);
  EXPECT_EQ(a.allocate(1, 1), nullptr);
  a.reset();
  EXPECT_EQ(a.used(), 0u);
  EXPECT_NE(a.allocate(100, 1), nullptr);
}

// Huge sizes and bad alignments fail instead of wrapping around.
TEST(MemoryAllocator, OverflowSafe) {
  uint8_t buf[64];
  MemoryAllocator a(buf, sizeof(buf));
  EXPECT_EQ(a.allocate(SIZE_MAX, 1), nullptr);
  EXPECT_EQ(a.allocate(SIZE_MAX - 8, 16), nullptr);
  EXPECT_EQ(a.allocate(8, 3), nullptr);  // not a power of two
  EXPECT_EQ(a.allocate(8, 0), nullptr);
  EXPECT_EQ(a.allocate_array<uint64_t>(SIZE_MAX / 4), nullptr);  // count * size overflows
  EXPECT_EQ(a.used(), 0u);
  MemoryAllocator empty;
  EXPECT_EQ(empty.allocate(0, 1), nullptr);
}

// Strides come from sizes and dim order: contiguous and channels-last.
TEST(Tensor, StridesFromDimOrder) {
  int32_t sizes[4] = {2, 3, 4, 5};
  uint8_t contiguous[4] = {0, 1, 2, 3};
  int32_t strides[4];
  Tensor t(ScalarType::Float, 4, sizes, contiguous, strides, nullptr);
  EXPECT_EQ(t.numel(), 120);
  EXPECT_EQ(t.nbytes(), 480u);
  EXPECT_EQ(strides[0], 60);
  EXPECT_EQ(strides[3], 1);
  EXPECT_TRUE(t.is_contiguous_order());

  uint8_t channels_last[4] = {0, 2, 3, 1};
  Tensor cl(ScalarType::Float, 4, sizes, channels_last, strides, nullptr);
  EXPECT_EQ(strides[1], 1);   // C innermost
  EXPECT_EQ(strides[3], 3);   // W
  EXPECT_EQ(strides[2], 15);  // H
  EXPECT_EQ(strides[0], 60);
  EXPECT_FALSE(cl.is_contiguous_order());
}

// A 0-d tensor has one element.
TEST(Tensor, ZeroDim) {
  Tensor t(ScalarType::Long, 0, nullptr, nullptr, nullptr, nullptr);
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(t.nbytes(), 8u);
}

// Static tensors only accept their own sizes; dynamic ones any sizes within capacity.
TEST(Tensor, ResizeRules) {
  int32_t sizes[2] = {2, 3};
  uint8_t order[2] = {0, 1};
  int32_t strides[2];
  Tensor s(ScalarType::Float, 2, sizes, order, strides, nullptr, ShapeDynamism::Static);
  const int32_t same[2] = {2, 3};
  const int32_t smaller[2] = {1, 3};
  const int32_t larger[2] = {3, 3};
  const int32_t rank1[1] = {6};
  const int32_t negative[2] = {-1, 3};
  EXPECT_EQ(s.resize(Span<const int32_t>(same, 2)), Error::Ok);
  EXPECT_NE(s.resize(Span<const int32_t>(smaller, 2)), Error::Ok);

  int32_t dsizes[2] = {2, 3};
  Tensor d(ScalarType::Float, 2, dsizes, order, strides, nullptr, ShapeDynamism::DynamicBound);
  EXPECT_EQ(d.capacity_bytes(), 24u);
  EXPECT_EQ(d.resize(Span<const int32_t>(smaller, 2)), Error::Ok);
  EXPECT_EQ(d.numel(), 3);
  EXPECT_EQ(d.size(0), 1);
  EXPECT_EQ(strides[0], 3);
  EXPECT_NE(d.resize(Span<const int32_t>(larger, 2)), Error::Ok);  // over capacity
  EXPECT_NE(d.resize(Span<const int32_t>(rank1, 1)), Error::Ok);   // rank change
  EXPECT_NE(d.resize(Span<const int32_t>(negative, 2)), Error::Ok);
  EXPECT_EQ(d.size(0), 1);  // failed resizes leave the tensor alone
  EXPECT_EQ(d.resize(Span<const int32_t>(same, 2)), Error::Ok);
  EXPECT_EQ(d.numel(), 6);

  // An empty tensor fits any capacity, 0 included, whatever its other sizes
  // (Phi-3's rotary slice of width 0 is [1, H, T, 0] with T dynamic).
  int32_t esizes[3] = {4, 40, 0};
  uint8_t eorder[3] = {0, 1, 2};
  int32_t estrides[3];
  Tensor e(ScalarType::Float, 3, esizes, eorder, estrides, nullptr, ShapeDynamism::DynamicBound);
  EXPECT_EQ(e.capacity_bytes(), 0u);
  const int32_t fewer_rows[3] = {4, 9, 0};
  const int32_t more_rows[3] = {4, 99, 0};
  const int32_t not_empty[3] = {4, 9, 1};
  const int32_t empty_negative[3] = {-4, 9, 0};
  EXPECT_EQ(e.resize(Span<const int32_t>(fewer_rows, 3)), Error::Ok);
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(e.resize(Span<const int32_t>(more_rows, 3)), Error::Ok);
  EXPECT_NE(e.resize(Span<const int32_t>(not_empty, 3)), Error::Ok);
  EXPECT_NE(e.resize(Span<const int32_t>(empty_negative, 3)), Error::Ok);
}

// Shapes from a file are checked before a Tensor is built.
TEST(Tensor, CheckShape) {
  size_t nbytes = 0;
  const int32_t ok_sizes[2] = {4, 8};
  const uint8_t ok_order[2] = {1, 0};
  EXPECT_EQ(check_tensor_shape(ScalarType::Float, {ok_sizes, 2}, {ok_order, 2}, &nbytes), Error::Ok);
  EXPECT_EQ(nbytes, 128u);
  const uint8_t dup_order[2] = {0, 0};
  EXPECT_NE(check_tensor_shape(ScalarType::Float, {ok_sizes, 2}, {dup_order, 2}, &nbytes), Error::Ok);
  const uint8_t big_order[2] = {0, 2};
  EXPECT_NE(check_tensor_shape(ScalarType::Float, {ok_sizes, 2}, {big_order, 2}, &nbytes), Error::Ok);
  const int32_t neg[2] = {4, -1};
  EXPECT_NE(check_tensor_shape(ScalarType::Float, {neg, 2}, {ok_order, 2}, &nbytes), Error::Ok);
  const int32_t huge[4] = {1 << 30, 1 << 30, 1 << 30, 1 << 30};
  const uint8_t order4[4] = {0, 1, 2, 3};
  EXPECT_NE(check_tensor_shape(ScalarType::Float, {huge, 4}, {order4, 4}, &nbytes), Error::Ok);
  int32_t many[17] = {};
  uint8_t order17[17] = {};
  EXPECT_NE(check_tensor_shape(ScalarType::Float, {many, 17}, {order17, 17}, &nbytes), Error::Ok);
  EXPECT_NE(check_tensor_shape(static_cast<ScalarType>(9), {ok_sizes, 2}, {ok_order, 2}, &nbytes),
            Error::Ok);
  EXPECT_NE(check_tensor_shape(ScalarType::Float, {ok_sizes, 2}, {ok_order, 1}, &nbytes), Error::Ok);
}

TEST(ScalarType, SizesAndNames) {
  EXPECT_EQ(element_size(ScalarType::Float), 4u);
  EXPECT_EQ(element_size(ScalarType::Long), 8u);
  EXPECT_EQ(element_size(ScalarType::Bool), 1u);
  EXPECT_EQ(element_size(ScalarType::BFloat16), 2u);
  EXPECT_TRUE(is_valid_scalar_type(6));
  EXPECT_FALSE(is_valid_scalar_type(8));   // ComplexHalf: not supported
  EXPECT_FALSE(is_valid_scalar_type(-1));
  EXPECT_STREQ(scalar_type_name(ScalarType::Float), "float32");
  EXPECT_STREQ(error_name(Error::OperatorMissing), "OperatorMissing");
}

// Boxed int lists read their Int values afresh.
TEST(EValue, IntListAndScalars) {
  EValue a, b;
  a.tag = b.tag = Tag::Int;
  a.payload.as_int = 3;
  b.payload.as_int = 4;
  EValue* items[2] = {&a, &b};
  int64_t unboxed[2];
  EValue list;
  list.tag = Tag::IntList;
  list.payload.as_int_list = {items, unboxed, 2};
  EXPECT_EQ(list.to_int_list()[1], 4);
  b.payload.as_int = 7;
  EXPECT_EQ(list.to_int_list()[1], 7);
  EXPECT_DOUBLE_EQ(a.scalar_as_double(), 3.0);
  EValue t;
  t.tag = Tag::Bool;
  t.payload.as_bool = true;
  EXPECT_DOUBLE_EQ(t.scalar_as_double(), 1.0);
}

void kernel_a(KernelContext&, Span<EValue*>) {}
void kernel_b(KernelContext&, Span<EValue*>) {}

// An exact dtype key wins over the catch-all, whatever the registration order.
TEST(KernelRegistry, ExactKeyPreferred) {
  const Kernel kernels[] = {
      {"registry_test::pick.out", kernel_b, {}},
      {"registry_test::pick.out", kernel_a, {2, {ScalarType::Float, ScalarType::Float}}},
  };
  ASSERT_EQ(register_kernels(kernels), Error::Ok);
  const ScalarType floats[2] = {ScalarType::Float, ScalarType::Float};
  const ScalarType ints[2] = {ScalarType::Int, ScalarType::Int};
  EXPECT_EQ(find_kernel("registry_test::pick.out", floats), kernel_a);
  EXPECT_EQ(find_kernel("registry_test::pick.out", ints), kernel_b);
  EXPECT_EQ(find_kernel("registry_test::nothing.out", floats), nullptr);
  EXPECT_TRUE(has_kernel("registry_test::pick.out"));
  EXPECT_FALSE(has_kernel("registry_test::pick"));
}

// Without a catch-all, a dtype mismatch finds nothing; re-registering is a no-op.
TEST(KernelRegistry, NoCatchAllAndIdempotent) {
  const Kernel kernels[] = {
      {"registry_test::only_float.out", kernel_a, {1, {ScalarType::Float}}},
  };
  ASSERT_EQ(register_kernels(kernels), Error::Ok);
  const size_t count = num_registered_kernels();
  ASSERT_EQ(register_kernels(kernels), Error::Ok);
  EXPECT_EQ(num_registered_kernels(), count);
  const ScalarType f[1] = {ScalarType::Float};
  const ScalarType d[1] = {ScalarType::Double};
  EXPECT_EQ(find_kernel("registry_test::only_float.out", f), kernel_a);
  EXPECT_EQ(find_kernel("registry_test::only_float.out", d), nullptr);
  EXPECT_EQ(find_kernel("registry_test::only_float.out", Span<const ScalarType>()), nullptr);
  const Kernel bad[] = {{"registry_test::bad.out", nullptr, {}}};
  EXPECT_EQ(register_kernels(bad), Error::InvalidArgument);
}

void kernel_c(KernelContext&, Span<EValue*>) {}

// A uniform key (every tensor one dtype, any count) sits between the exact
// key and the catch-all: how the optimized library claims an op over portable.
TEST(KernelRegistry, UniformKeyBetweenExactAndCatchAll) {
  const Kernel kernels[] = {
      {"registry_test::uniform.out", kernel_b, {}},
      {"registry_test::uniform.out", kernel_c, KernelKey::uniform(ScalarType::Float)},
      {"registry_test::uniform.out", kernel_a, {2, {ScalarType::Float, ScalarType::Int}}},
  };
  ASSERT_EQ(register_kernels(kernels), Error::Ok);
  const ScalarType f3[3] = {ScalarType::Float, ScalarType::Float, ScalarType::Float};
  const ScalarType f1[1] = {ScalarType::Float};
  const ScalarType fi[2] = {ScalarType::Float, ScalarType::Int};
  const ScalarType ff_i[3] = {ScalarType::Float, ScalarType::Float, ScalarType::Int};
  EXPECT_EQ(find_kernel("registry_test::uniform.out", f3), kernel_c);
  EXPECT_EQ(find_kernel("registry_test::uniform.out", f1), kernel_c);
  EXPECT_EQ(find_kernel("registry_test::uniform.out", fi), kernel_a);
  EXPECT_EQ(find_kernel("registry_test::uniform.out", ff_i), kernel_b);
  EXPECT_EQ(find_kernel("registry_test::uniform.out", Span<const ScalarType>()), kernel_b);
}

// Two functions under one name and key is an error, not a silent first-wins;
// the same entry twice is a repeated registration and is fine.
TEST(KernelRegistry, ConflictingRegistrationRefused) {
  const Kernel first[] = {{"registry_test::conflict.out", kernel_a, KernelKey::uniform(ScalarType::Float)}};
  ASSERT_EQ(register_kernels(first), Error::Ok);
  ASSERT_EQ(register_kernels(first), Error::Ok);
  const Kernel second[] = {{"registry_test::conflict.out", kernel_b, KernelKey::uniform(ScalarType::Float)}};
  EXPECT_EQ(register_kernels(second), Error::InvalidArgument);
  const Kernel other_dtype[] = {{"registry_test::conflict.out", kernel_b, KernelKey::uniform(ScalarType::Half)}};
  EXPECT_EQ(register_kernels(other_dtype), Error::Ok);
  const ScalarType f[2] = {ScalarType::Float, ScalarType::Float};
  EXPECT_EQ(find_kernel("registry_test::conflict.out", f), kernel_a);
}

// Scratch memory in a kernel context is bounded and aligned.
TEST(KernelContext, TempMemory) {
  alignas(16) uint8_t buf[64];
  KernelContext ctx(buf, sizeof(buf));
  void* p = ctx.allocate_temp(40);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(ctx.allocate_temp(40), nullptr);
  ctx.reset_temp();
  EXPECT_EQ(ctx.allocate_temp(40), p);
  KernelContext none;
  EXPECT_EQ(none.allocate_temp(1), nullptr);
}

std::string g_last_log;
void capture(platform::LogLevel, const char* message) { g_last_log = message; }

// Log lines reach the sink; EMBER_CHECK logs and returns its error.
Error checked(int v) {
  EMBER_CHECK(v > 0, Error::InvalidArgument, "value %d is not positive", v);
  return Error::Ok;
}
TEST(Platform, LogSinkAndCheck) {
  platform::set_log_sink(capture);
  EXPECT_EQ(checked(-5), Error::InvalidArgument);
  EXPECT_EQ(g_last_log, "value -5 is not positive");
  platform::set_log_sink(nullptr);
  EXPECT_EQ(platform::get_log_sink(), nullptr);
  const uint64_t t0 = platform::now_ns();
  EXPECT_GE(platform::now_ns(), t0);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// Every float16 / bfloat16 bit pattern survives float and back; midpoints
// between neighbours round to the even one; known values decode exactly.
TEST(Half, RoundTripsAndRoundsToNearestEven) {
  EXPECT_EQ(static_cast<float>(Half::to_float(0x3c00)), 1.0f);
  EXPECT_EQ(Half::to_float(0x7bff), 65504.0f);
  EXPECT_EQ(Half::to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(Half::to_float(0xc000), -2.0f);
  EXPECT_TRUE(std::isinf(Half::to_float(Half::from_float(65520.0f))));
  EXPECT_EQ(Half::from_float(65519.0f), 0x7bff);
  EXPECT_TRUE(std::isnan(Half::to_float(Half::from_float(std::nanf("")))));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    const float f = Half::to_float(bits);
    if (std::isnan(f)) continue;
    ASSERT_EQ(Half::from_float(f), bits) << h;
    const uint16_t next = static_cast<uint16_t>(bits + 1);
    if ((bits & 0x7fff) >= 0x7bff) continue;  // no finite neighbour above
    const float g = Half::to_float(next);
    const float mid = f + (g - f) / 2;  // exact in float
    const uint16_t even = (bits & 1) ? next : bits;
    ASSERT_EQ(Half::from_float(mid), even) << h;
    ASSERT_EQ(Half::from_float(std::nextafter(mid, g)), next) << h;
    ASSERT_EQ(Half::from_float(std::nextafter(mid, f)), bits) << h;
  }
}

TEST(BFloat16, RoundTripsAndRoundsToNearestEven) {
  EXPECT_EQ(BFloat16::to_float(0x3f80), 1.0f);
  EXPECT_EQ(BFloat16::from_float(1.0f + std::ldexp(1.0f, -8)), 0x3f80);  // tie -> even
  EXPECT_EQ(BFloat16::from_float(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie -> even
  EXPECT_TRUE(std::isnan(BFloat16::to_float(BFloat16::from_float(std::nanf("")))));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    const float f = BFloat16::to_float(bits);
    if (std::isnan(f)) continue;
    ASSERT_EQ(BFloat16::from_float(f), bits) << h;
  }
}

}  // namespace
}  // namespace ember

// --- The process's thread pool (core/threadpool.h) ---

namespace {
struct CountTask {
  std::atomic<int> calls{0};
  std::atomic<long> index_sum{0};
};
void count_task(void* context, size_t i) {
  auto* t = static_cast<CountTask*>(context);
  t->calls++;
  t->index_sum += static_cast<long>(i);
}
}  // namespace

TEST(ThreadPool, SetNumThreadsAndRunEveryIndexOnce) {
  size_t before = ember::get_num_threads();
  ASSERT_GE(before, 1u);
  EXPECT_GE(ember::num_cores(), 1u);
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}}) {
    ember::Error e = ember::set_num_threads(n);
#ifdef EMBER_HAVE_PTHREADPOOL
    ASSERT_EQ(e, ember::Error::Ok) << n;
    EXPECT_EQ(ember::get_num_threads(), n);
    EXPECT_EQ(ember::get_threadpool() == nullptr, n == 1);
#else
    if (n > 1) {
      EXPECT_EQ(e, ember::Error::NotSupported);
      continue;
    }
#endif
    CountTask task;
    ember::parallelize_1d(count_task, &task, 1000);
    EXPECT_EQ(task.calls.load(), 1000);
    EXPECT_EQ(task.index_sum.load(), 999L * 1000 / 2);
  }
  // The same count again reuses its pool (pools live for the process).
#ifdef EMBER_HAVE_PTHREADPOOL
  ASSERT_EQ(ember::set_num_threads(2), ember::Error::Ok);
  pthreadpool* two = ember::get_threadpool();
  ASSERT_EQ(ember::set_num_threads(3), ember::Error::Ok);
  ASSERT_EQ(ember::set_num_threads(2), ember::Error::Ok);
  EXPECT_EQ(ember::get_threadpool(), two);
#endif
  EXPECT_EQ(ember::set_num_threads(ember::kMaxThreads + 1), ember::Error::InvalidArgument);
  ASSERT_EQ(ember::set_num_threads(0), ember::Error::Ok);  // one per core
#ifdef EMBER_HAVE_PTHREADPOOL
  EXPECT_EQ(ember::get_num_threads(), ember::num_cores());
#else
  EXPECT_EQ(ember::get_num_threads(), 1u);  // without a pool, "one per core" is the caller's
#endif
}

// Ember's workers claim a call's items; a worker that comes late (asleep, or
// off its core) must neither run an item twice, nor run one of a call that
// has ended, nor make the caller return before an item it runs is done.
namespace {
struct IndexTask {
  std::atomic<int> runs[16];
  std::atomic<bool> returned{false};  // the caller has returned (set by the test)
  std::atomic<bool> late{false};      // an item ran after its call returned
  bool slow = false;
};
void index_task(void* context, size_t i) {
  auto* t = static_cast<IndexTask*>(context);
  if (t->slow) {  // long enough that a worker woken by the call joins it
    const uint64_t until = ember::platform::now_ns() + 20000;
    while (ember::platform::now_ns() < until) {
    }
  }
  if (t->returned.load()) t->late = true;
  t->runs[i]++;
}
void set_threads_or_skip(size_t n) {
#ifdef EMBER_HAVE_PTHREADPOOL
  ASSERT_EQ(ember::set_num_threads(n), ember::Error::Ok);
#else
  (void)n;
#endif
}
}  // namespace

TEST(ThreadPool, ManyShortCallsRunEveryIndexOnceBeforeReturning) {
  set_threads_or_skip(2);
  for (int call = 0; call < 20000; ++call) {
    IndexTask task;
    for (auto& r : task.runs) r = 0;
    task.slow = call % 100 == 0;
    const size_t range = 1 + static_cast<size_t>(call % 9);
    ember::parallelize_1d(index_task, &task, range);
    task.returned = true;
    for (size_t i = 0; i < 16; ++i) ASSERT_EQ(task.runs[i].load(), i < range ? 1 : 0) << call;
    ASSERT_FALSE(task.late.load()) << call;
    if (call % 1000 == 999) ember::rest_workers();  // workers asleep for the next call
    // Calls this short make the team run serially for a while (a worker
    // rarely gets an item); setting the count again puts it back on call.
    if (call % 10 == 9) set_threads_or_skip(2);
  }
  ember::set_num_threads(0);
}

// A task calling parallelize_1d again (on the caller or on a worker) runs that
// inner call serially instead of waiting for the workers it holds.
namespace {
struct Nested {
  std::atomic<int> inner{0};
};
void inner_task(void* context, size_t) { static_cast<Nested*>(context)->inner++; }
void outer_task(void* context, size_t) { ember::parallelize_1d(inner_task, context, 10); }
}  // namespace

TEST(ThreadPool, NestedCallsRunSerially) {
  set_threads_or_skip(2);
  Nested n;
  ember::parallelize_1d(outer_task, &n, 8);
  EXPECT_EQ(n.inner.load(), 80);
  ember::set_num_threads(0);
}

// Results do not depend on the thread count: each index's value is computed
// the same way whoever runs it.
namespace {
struct Fill {
  double out[64];
};
void fill_task(void* context, size_t i) {
  double x = 0.5 + static_cast<double>(i);
  for (int k = 0; k < 2000; ++k) x = std::sqrt(x * x + 1.0 / (1.0 + x));
  static_cast<Fill*>(context)->out[i] = x;
}
}  // namespace

TEST(ThreadPool, ResultsIdenticalAtOneAndTwoThreads) {
  Fill one{}, two{};
  set_threads_or_skip(1);
  ember::parallelize_1d(fill_task, &one, 64);
  set_threads_or_skip(2);
  for (int rep = 0; rep < 20; ++rep) {
    ember::parallelize_1d(fill_task, &two, 64);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(one.out[i], two.out[i]) << i;
  }
  ember::set_num_threads(0);
}

// Workers run on another core than the caller's (Linux wakes a sleeping
// thread on its waker's core when it judges the others unavailable, as a
// virtual machine's idle core can be): with the calling thread held to one
// core, no item a worker runs runs there.
#if defined(EMBER_HAVE_PTHREADPOOL) && defined(__linux__)
namespace {
struct WhereTask {
  pthread_t caller;
  std::atomic<int> worker_items{0}, on_callers_core{0};
  int callers_core = -1;
};
void where_task(void* context, size_t) {
  auto* t = static_cast<WhereTask*>(context);
  const uint64_t until = ember::platform::now_ns() + 50000;
  while (ember::platform::now_ns() < until) {
  }
  if (pthread_equal(pthread_self(), t->caller)) return;
  t->worker_items++;
  if (sched_getcpu() == t->callers_core) t->on_callers_core++;
}
}  // namespace
#endif

TEST(ThreadPool, WorkersStayOffTheCallersCore) {
#if !defined(EMBER_HAVE_PTHREADPOOL) || !defined(__linux__)
  GTEST_SKIP() << "Linux with pthreadpool only";
#else
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  if (CPU_COUNT(&all) < 2) GTEST_SKIP() << "one core";
  ASSERT_EQ(ember::set_num_threads(2), ember::Error::Ok);
  // Both pools start before the caller holds itself to one core (threads
  // inherit their creator's set).
  pthreadpool* threadpool = ember::get_threadpool();
  ASSERT_NE(threadpool, nullptr);
  int core = 0;
  while (!CPU_ISSET(core, &all)) ++core;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(core, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  // Ember's workers, then the pthreadpool's (as the XNNPACK backend uses it).
  WhereTask team, pool;
  team.caller = pool.caller = pthread_self();
  team.callers_core = pool.callers_core = core;
  const uint64_t until = ember::platform::now_ns() + uint64_t{2000} * 1000000;
  while ((team.worker_items.load() < 20 || pool.worker_items.load() < 20) &&
         ember::platform::now_ns() < until) {
    ember::parallelize_1d(where_task, &team, 8);
    ember::begin_pool_call();
    pthreadpool_parallelize_1d(threadpool, where_task, &pool, 8, 0);
  }
  ember::rest_workers();
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  ember::set_num_threads(0);
  if (team.worker_items.load() == 0) GTEST_SKIP() << "the worker got no core in 2 s";
  // A pool worker held on the caller's core gets no item: the caller, done
  // with its own, takes the worker's before it runs.
  EXPECT_GT(pool.worker_items.load(), 0);
  EXPECT_EQ(team.on_callers_core.load(), 0) << "of " << team.worker_items.load();
  EXPECT_EQ(pool.on_callers_core.load(), 0) << "of " << pool.worker_items.load();
#endif
}

// Idle workers do not hold cores: rest_workers() puts them to sleep within
// 0.2 ms, and without it they sleep after a short spin.
TEST(ThreadPool, WorkersSleepAfterRestAndWhenIdle) {
#ifndef EMBER_HAVE_PTHREADPOOL
  GTEST_SKIP() << "no workers without pthreadpool";
#else
  ASSERT_EQ(ember::set_num_threads(2), ember::Error::Ok);
  auto asleep_within = [](uint64_t ms) {
    const uint64_t until = ember::platform::now_ns() + ms * 1000000;
    while (ember::awake_workers() != 0) {
      if (ember::platform::now_ns() > until) return false;
      sched_yield();
    }
    return true;
  };
  IndexTask task;
  for (auto& r : task.runs) r = 0;
  task.slow = true;
  ember::parallelize_1d(index_task, &task, 8);
  ember::rest_workers();
  // Resting is a time the worker reads while waiting: well under a second,
  // unless the machine keeps the worker off its core that long.
  EXPECT_TRUE(asleep_within(1000));
  // A call wakes the worker (it runs items or spins for the next call)...
  bool woke = false;
  const uint64_t until = ember::platform::now_ns() + uint64_t{2000} * 1000000;
  while (!woke && ember::platform::now_ns() < until) {
    ember::parallelize_1d(index_task, &task, 8);
    woke = ember::awake_workers() == 1;
  }
  EXPECT_TRUE(woke);
  // ...and with no rest_workers() it sleeps after its spin (about 1 ms).
  EXPECT_TRUE(asleep_within(1000));
  ember::set_num_threads(0);
#endif
}
