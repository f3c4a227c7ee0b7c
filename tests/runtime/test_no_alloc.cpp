// execute() must not allocate: this binary replaces malloc and the global
// operator new/delete with counting versions and runs methods under them.
// (Built as its own executable so the hooks touch no other test.)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "runtime/backends/test/test_backend.h"
#ifdef EMBER_HAVE_XNNPACK
#include "runtime/backends/xnnpack/xnnpack_backend.h"
#endif
#include "runtime/core/event_tracer.h"
#include "runtime/executor/method.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define EMBER_NO_MALLOC_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMBER_NO_MALLOC_HOOKS 1
#endif
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
void count() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
}
}  // namespace

#ifndef EMBER_NO_MALLOC_HOOKS
// glibc's real allocator, under its internal names.
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t s) {
  count();
  return __libc_calloc(n, s);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t a, size_t n) {
  count();
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  count();
  *out = __libc_memalign(a, n);
  return *out != nullptr ? 0 : 12;  // ENOMEM
}
void free(void* p) { __libc_free(p); }
}
#endif

void* operator new(size_t n) {
  count();
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) std::abort();
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  count();
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace ember {
namespace testing {
namespace {

/// Count allocations made while `fn` runs.
template <typename Fn>
long allocations_during(Fn fn) {
  g_allocations = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocations.load();
}

// The hooks work: a plain allocation is seen.
TEST(NoAlloc, HooksCount) {
  const long n = allocations_during([] {
    void* volatile p = std::malloc(16);
    std::free(p);
    int* volatile q = new int(3);
    delete q;
  });
#ifdef EMBER_NO_MALLOC_HOOKS
  EXPECT_GE(n, 1);
#else
  EXPECT_GE(n, 2);
#endif
}

// A synthetic program (kernel, move, jump, temp memory, failing nothing).
TEST(NoAlloc, SyntheticExecute) {
  register_test_kernels();
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  TensorSpec x;
  x.sizes = {4};
  x.planned = true;
  const int xi = b.add_tensor(x);
  TensorSpec out = x;
  out.offset = 16;
  const int oi = b.add_tensor(out);
  const int src = b.add_int(1);
  const int dst = b.add_int(0);
  const int cond = b.add_bool(true);
  b.add_kernel_call(b.add_operator("test::copy", "out"), {xi, oi, oi});
  b.add_move(src, dst);
  b.add_jump_false(cond, 4);
  b.add_kernel_call(b.add_operator("test::temp", "out"), {});
  b.inputs = {xi};
  b.outputs = {oi, dst};
  auto p = load_program(b.finish());
  ASSERT_TRUE(p->program.ok());
  MethodMemory mem(*p->program->method_meta("forward"));
  Result<Method> m = p->program->load_method("forward", &mem.manager);
  ASSERT_TRUE(m.ok());
  const float data[4] = {1, 2, 3, 4};
  Error e1 = Error::Internal, e2 = Error::Internal, e3 = Error::Internal;
  const long n = allocations_during([&] {
    e1 = m->set_input(0, data, sizeof(data));
    e2 = m->execute();
    e3 = m->execute();
  });
  EXPECT_EQ(e1, Error::Ok);
  EXPECT_EQ(e2, Error::Ok);
  EXPECT_EQ(e3, Error::Ok);
  EXPECT_EQ(n, 0);
}

// The ExecuTorch reference program with real (or stand-in) kernels.
TEST(NoAlloc, ReferenceExecute) {
  register_et_two_kernels();
  if (!has_kernel("dim_order_ops::_to_dim_order_copy.out")) GTEST_SKIP() << "kernel missing";
  auto p = load_program(read_test_file("et_two.pte"));
  ASSERT_TRUE(p->program.ok());
  MethodMemory mem(*p->program->method_meta("forward"));
  Result<Method> m = p->program->load_method("forward", &mem.manager);
  ASSERT_TRUE(m.ok());
  const float a[6] = {1, 2, 3, 4, 5, 6};
  Error e = Error::Internal;
  const long n = allocations_during([&] {
    m->set_input(0, a, sizeof(a));
    m->set_input(1, a, sizeof(a));
    e = m->execute();
  });
  EXPECT_EQ(e, Error::Ok);
  EXPECT_EQ(n, 0);
}

// A delegated program: EmberTestBackend allocates at init (load), never in execute.
TEST(NoAlloc, DelegatedExecute) {
  register_et_two_kernels();
  ASSERT_EQ(register_test_backend(), Error::Ok);
  for (bool segment : {false, true}) {
    auto p = load_program(delegated_add_program(segment));
    ASSERT_TRUE(p->program.ok());
    MethodMemory mem(*p->program->method_meta("forward"));
    Result<Method> m = p->program->load_method("forward", &mem.manager);
    ASSERT_TRUE(m.ok());
    const float x[6] = {1, 2, 3, 4, 5, 6};
    Error e = Error::Internal;
    const long n = allocations_during([&] {
      m->set_input(0, x, sizeof(x));
      m->set_input(1, x, sizeof(x));
      e = m->execute();
    });
    EXPECT_EQ(e, Error::Ok);
    EXPECT_EQ(n, 0);
    EXPECT_EQ(m->get_output(0)->to_tensor().data_as<float>()[5], 24.0f);  // 3x + y
  }
}

// The CNN reference program through the portable kernels.
TEST(NoAlloc, ReferenceCnnExecute) {
  register_et_two_kernels();
  if (!has_kernel("aten::convolution.out")) GTEST_SKIP() << "portable kernels not built";
  auto p = load_program(read_test_file("et_cnn.pte"));
  ASSERT_TRUE(p->program.ok());
  MethodMemory mem(*p->program->method_meta("forward"), 1 << 20, 0, 1 << 20);
  Result<Method> m = p->program->load_method("forward", &mem.manager);
  ASSERT_TRUE(m.ok());
  std::vector<float> x(3 * 16 * 16, 0.5f);
  Error e = Error::Internal;
  const long n = allocations_during([&] {
    m->set_input(0, x.data(), x.size() * sizeof(float));
    e = m->execute();
  });
  EXPECT_EQ(e, Error::Ok);
  EXPECT_EQ(n, 0);
}

// With a ProfilingTracer attached, execute() still allocates nothing: the
// executor times every instruction, a kernel (test::log) and a delegate
// (EmberTestBackend) log their own events, all into the caller's buffer.
TEST(NoAlloc, TracedExecute) {
  register_test_kernels();
  register_et_two_kernels();
  ASSERT_EQ(register_test_backend(), Error::Ok);
  static TraceEvent buffer[256];
  ProfilingTracer tracer(buffer, 256);
  std::vector<std::vector<uint8_t>> programs = {toggle_loop_program(),
                                                delegated_add_program(true)};
  if (has_kernel("aten::convolution.out")) programs.push_back(read_test_file("et_cnn.pte"));
  for (size_t k = 0; k < programs.size(); ++k) {
    auto p = load_program(programs[k]);
    ASSERT_TRUE(p->program.ok());
    MethodMeta meta = *p->program->method_meta("forward");
    MethodMemory mem(meta, 1 << 20, 0, 1 << 20);
    Result<Method> m = p->program->load_method("forward", &mem.manager);
    ASSERT_TRUE(m.ok());
    std::vector<std::vector<uint8_t>> inputs;
    for (size_t i = 0; i < meta.num_inputs(); ++i) {
      inputs.emplace_back(meta.input_tensor_info(i)->nbytes, 0);
    }
    tracer.reset();
    m->set_event_tracer(&tracer);
    Error e1 = Error::Internal, e2 = Error::Internal;
    const long n = allocations_during([&] {
      for (size_t i = 0; i < inputs.size(); ++i) m->set_input(i, inputs[i].data(), inputs[i].size());
      e1 = m->execute();
      e2 = m->execute();
    });
    EXPECT_EQ(e1, Error::Ok);
    EXPECT_EQ(e2, Error::Ok);
    EXPECT_EQ(n, 0);
    EXPECT_GE(tracer.events().size(), 2 * (meta.num_instructions() + 1));
    EXPECT_EQ(tracer.dropped(), 0u);
    bool inner = false;
    for (const TraceEvent& ev : tracer.events()) inner = inner || ev.kind == EventKind::DelegateInternal;
    EXPECT_EQ(inner, k < 2) << "the loop's kernel and the delegate log their own; the CNN none";
  }
}

#ifdef EMBER_HAVE_XNNPACK
// An ExecuTorch XNNPACK-delegated program (XNNPACK stages and Ember-run
// transposes). XNNPACK's setup allocates (its convolutions' indirection
// buffers), so XnnpackBackend redoes it only when an address changes: the
// first execute may allocate, every later one with the same memory must not.
TEST(NoAlloc, XnnpackExecute) {
  ASSERT_EQ(register_xnnpack_backend(), Error::Ok);
  auto p = load_program(read_test_file("et_xnnpack_cnn.pte"));
  ASSERT_TRUE(p->program.ok());
  MethodMemory mem(*p->program->method_meta("forward"));
  Result<Method> m = p->program->load_method("forward", &mem.manager);
  ASSERT_TRUE(m.ok());
  std::vector<float> x(3 * 16 * 16, 0.25f);
  Error e1 = Error::Internal, e2 = Error::Internal;
  const long first = allocations_during([&] {
    m->set_input(0, x.data(), x.size() * sizeof(float));
    e1 = m->execute();
  });
  const long later = allocations_during([&] {
    for (int i = 0; i < 3; ++i) {
      m->set_input(0, x.data(), x.size() * sizeof(float));
      e2 = m->execute();
    }
  });
  EXPECT_EQ(e1, Error::Ok);
  EXPECT_EQ(e2, Error::Ok);
  EXPECT_EQ(later, 0);
  RecordProperty("first_execute_allocations", static_cast<int>(first));
  std::printf("XnnpackBackend: first execute (XNNPACK setup) made %ld allocations, the next "
              "three %ld\n", first, later);
}
#endif

}  // namespace
}  // namespace testing
}  // namespace ember
