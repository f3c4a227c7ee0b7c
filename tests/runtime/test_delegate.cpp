// Delegates: the backend registry, DelegateCall resolution and execution,
// EmberTestBackend running nested programs stored inline and as segments,
// the init/destroy lifecycle, and every malformed reference rejected at load
// with an error code and a log line naming the problem.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/backend/backend.h"
#include "runtime/backends/test/test_backend.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

TensorSpec planned(std::vector<int32_t> sizes, uint64_t offset,
                   ScalarType dtype = ScalarType::Float) {
  TensorSpec t;
  t.dtype = dtype;
  t.sizes = std::move(sizes);
  t.planned = true;
  t.offset = offset;
  return t;
}

/// A program plus memory for its "forward" method.
struct Loaded {
  explicit Loaded(std::vector<uint8_t> bytes) : p(load_program(std::move(bytes))) {}
  Result<Method> load() {
    if (!p->program.ok()) return p->program.error();
    Result<MethodMeta> meta = p->program->method_meta("forward");
    if (!meta.ok()) return meta.error();
    mem.reset(new MethodMemory(*meta, 1 << 20, 0, 1 << 16));
    return p->program->load_method("forward", &mem->manager);
  }
  std::unique_ptr<LoadedProgram> p;
  std::unique_ptr<MethodMemory> mem;
};

/// A backend that counts its calls; `available` and `fail_init` steer it.
class CountingBackend final : public BackendInterface {
 public:
  bool is_available() const override { return available; }
  Result<DelegateHandle*> init(BackendInitContext& context, Span<const uint8_t> processed,
                               Span<const CompileSpec> specs) const override {
    ++inits;
    last_blob.assign(processed.begin(), processed.end());
    last_specs.clear();
    for (const CompileSpec& s : specs) {
      last_specs.push_back(std::string(s.key) + "=" +
                           std::string(s.value.begin(), s.value.end()));
    }
    last_method = context.method_name();
    if (fail_init) {
      EMBER_LOG(Error, "CountingBackend: init refused");
      return Error::InvalidProgram;
    }
    // Per-delegate state from the method allocator.
    int* state = context.runtime_allocator()->allocate_array<int>(1);
    if (state == nullptr) return Error::MemoryAllocationFailed;
    *state = 0;
    return static_cast<DelegateHandle*>(state);
  }
  Error execute(BackendExecutionContext&, DelegateHandle* handle,
                Span<EValue*> args) const override {
    ++executes;
    ++*static_cast<int*>(handle);
    last_num_args = args.size();
    return Error::Ok;
  }
  void destroy(DelegateHandle*) const override { ++destroys; }

  bool available = true;
  bool fail_init = false;
  mutable int inits = 0, executes = 0, destroys = 0;
  mutable size_t last_num_args = 0;
  mutable std::vector<uint8_t> last_blob;
  mutable std::vector<std::string> last_specs;
  mutable std::string last_method;
};

CountingBackend& counting() {
  static CountingBackend b;
  return b;
}

class DelegateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_et_two_kernels();  // aten::add.out (portable, or a stand-in)
    ASSERT_EQ(register_test_backend(), Error::Ok);
    ASSERT_EQ(register_backend({"Counting", &counting()}), Error::Ok);
    CountingBackend& c = counting();
    c.available = true;
    c.fail_init = false;
    c.inits = c.executes = c.destroys = 0;
  }
};

/// forward(x, y): one DelegateCall to `backend` with blob bytes `blob`.
PteBuilder counting_program(const std::vector<uint8_t>& blob, const char* backend = "Counting") {
  PteBuilder b;
  b.buffer_sizes = {0, 64};
  const int x = b.add_tensor(planned({4}, 0));
  const int y = b.add_tensor(planned({4}, 16));
  DelegateSpec d;
  d.id = backend;
  d.index = b.add_inline_data(blob);
  d.compile_specs = {{"mode", {'f', 'a', 's', 't'}}, {"empty", {}}};
  b.add_delegate_call(b.add_delegate(d), {x, y});
  b.inputs = {x};
  b.outputs = {y};
  return b;
}

// The registry: idempotent, refuses a second implementation under one name.
TEST_F(DelegateTest, Registry) {
  EXPECT_EQ(get_backend("Counting"), &counting());
  EXPECT_NE(get_backend(kTestBackendName), nullptr);
  EXPECT_EQ(get_backend("NoSuchBackend"), nullptr);
  EXPECT_EQ(register_backend({"Counting", &counting()}), Error::Ok);
  CountingBackend other;
  EXPECT_EQ(register_backend({"Counting", &other}), Error::InvalidArgument);
  EXPECT_EQ(register_backend({nullptr, &other}), Error::InvalidArgument);
  EXPECT_EQ(register_backend({"", &other}), Error::InvalidArgument);
  bool found = false;
  for (size_t i = 0; i < num_registered_backends(); ++i) {
    found = found || std::string(registered_backend(i)->name) == "Counting";
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(registered_backend(num_registered_backends()), nullptr);
}

// init once at load with the blob and compile specs; execute per call;
// destroy once when the method goes away, not when it is moved.
TEST_F(DelegateTest, Lifecycle) {
  CountingBackend& c = counting();
  Loaded l(counting_program({1, 2, 3}).finish());
  {
    Result<Method> m = l.load();
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->num_delegates(), 1u);
    EXPECT_EQ(m->meta().num_delegates(), 1u);
    EXPECT_STREQ(*m->meta().delegate_backend(0), "Counting");
    EXPECT_EQ(c.inits, 1);
    EXPECT_EQ(c.last_blob, (std::vector<uint8_t>{1, 2, 3}));
    EXPECT_EQ(c.last_specs, (std::vector<std::string>{"mode=fast", "empty="}));
    EXPECT_EQ(c.last_method, "forward");
    ASSERT_EQ(m->execute(), Error::Ok);
    ASSERT_EQ(m->execute(), Error::Ok);
    EXPECT_EQ(c.executes, 2);
    EXPECT_EQ(c.last_num_args, 2u);
    Method moved(std::move(*m));
    Method assigned = std::move(moved);
    ASSERT_EQ(assigned.execute(), Error::Ok);
    EXPECT_EQ(c.destroys, 0);
  }
  EXPECT_EQ(c.destroys, 1);
  // A load that fails after the delegate's init still destroys it.
  PteBuilder b = counting_program({1});
  b.add_kernel_call(b.add_operator("test::missing", "out"), {});
  Loaded bad(b.finish());
  EXPECT_EQ(bad.load().error(), Error::OperatorMissing);
  EXPECT_EQ(c.inits, 2);
  EXPECT_EQ(c.destroys, 2);
}

// EmberTestBackend with the nested program inline and as a segment.
TEST_F(DelegateTest, TestBackendRunsNestedProgram) {
  for (bool segment : {false, true}) {
    Loaded l(delegated_add_program(segment));
    Result<Method> m = l.load();
    ASSERT_TRUE(m.ok()) << "segment " << segment;
    EXPECT_EQ(m->num_delegates(), 1u);
    for (int run = 0; run < 3; ++run) {
      float x[6], y[6];
      for (int i = 0; i < 6; ++i) {
        x[i] = 0.5f * i - run;
        y[i] = 10.0f * run - i;
      }
      ASSERT_EQ(m->set_input(0, x, sizeof(x)), Error::Ok);
      ASSERT_EQ(m->set_input(1, y, sizeof(y)), Error::Ok);
      ASSERT_EQ(m->execute(), Error::Ok);
      const float* out = m->get_output(0)->to_tensor().data_as<float>();
      for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(out[i], 3 * x[i] + y[i]) << i;
    }
  }
}

// The blob goes to init zero-copy; a misaligned blob is copied, not refused.
TEST_F(DelegateTest, TestBackendBlobAlignment) {
  const std::vector<uint8_t> nested = add_program();
  const BackendInterface* backend = get_backend(kTestBackendName);
  ASSERT_NE(backend, nullptr);
  uint8_t arena[64];
  MemoryAllocator alloc(arena, sizeof(arena));
  BackendInitContext ctx(&alloc, "forward", kTestBackendName);
  std::vector<uint8_t> shifted(nested.size() + 32);
  uint8_t* base = shifted.data() + (16 - reinterpret_cast<uintptr_t>(shifted.data()) % 16) % 16;
  for (size_t offset : {size_t{0}, size_t{1}, size_t{8}}) {
    std::memcpy(base + offset, nested.data(), nested.size());
    Result<DelegateHandle*> h = backend->init(ctx, {base + offset, nested.size()}, {});
    ASSERT_TRUE(h.ok()) << "offset " << offset;
    backend->destroy(*h);
  }
}

// A wrong temp_bytes compile spec, a call with the wrong arity, an output of
// another dtype: errors with log lines, at init or at execute.
TEST_F(DelegateTest, TestBackendArgumentChecks) {
  LogCapture log;
  {
    PteBuilder b;
    b.buffer_sizes = {0, 64};
    const int x = b.add_tensor(planned({2, 3}, 0));
    DelegateSpec d;
    d.id = kTestBackendName;
    d.index = b.add_inline_data(add_program());
    d.compile_specs = {{"temp_bytes", {1, 2, 3}}};
    b.add_delegate_call(b.add_delegate(d), {x, x, x});
    b.inputs = {x};
    Loaded l(b.finish());
    EXPECT_EQ(l.load().error(), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("temp_bytes")) << log.text();
  }
  log.clear();
  {
    PteBuilder b;  // two arguments for a method with two inputs and one output
    b.buffer_sizes = {0, 64};
    const int x = b.add_tensor(planned({2, 3}, 0));
    DelegateSpec d;
    d.id = kTestBackendName;
    d.index = b.add_inline_data(add_program());
    b.add_delegate_call(b.add_delegate(d), {x, x});
    b.inputs = {x};
    Loaded l(b.finish());
    Result<Method> m = l.load();
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->execute(), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("3 arguments") || log.contains("2 arguments")) << log.text();
    EXPECT_TRUE(log.contains("delegate 0")) << log.text();
  }
  log.clear();
  {
    PteBuilder b;  // the outer output is int32, the nested one float32
    b.buffer_sizes = {0, 128};
    const int x = b.add_tensor(planned({2, 3}, 0));
    const int out = b.add_tensor(planned({2, 3}, 64, ScalarType::Int));
    DelegateSpec d;
    d.id = kTestBackendName;
    d.index = b.add_inline_data(add_program());
    b.add_delegate_call(b.add_delegate(d), {x, x, out});
    b.inputs = {x};
    b.outputs = {out};
    Loaded l(b.finish());
    Result<Method> m = l.load();
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->execute(), Error::InvalidArgument);
    EXPECT_TRUE(log.contains("int32")) << log.text();
  }
}

// Programs nest up to kTestBackendMaxNesting deep, no deeper.
TEST_F(DelegateTest, TestBackendNestingLimit) {
  std::vector<uint8_t> blob = add_program();
  for (int depth = 1; depth <= kTestBackendMaxNesting + 1; ++depth) {
    PteBuilder b;  // forward(a, b) -> EmberTestBackend(a, b): the same signature as add_program
    b.buffer_sizes = {0, 96};
    const int a = b.add_tensor(planned({2, 3}, 0));
    const int c = b.add_tensor(planned({2, 3}, 32));
    const int out = b.add_tensor(planned({2, 3}, 64));
    DelegateSpec d;
    d.id = kTestBackendName;
    d.location = depth % 2;  // alternate SEGMENT and INLINE
    d.index = d.location == 1 ? b.add_segment(blob) : b.add_inline_data(blob);
    b.add_delegate_call(b.add_delegate(d), {a, c, out});
    b.inputs = {a, c};
    b.outputs = {out};
    blob = b.finish();
    LogCapture log;
    Loaded l(blob);
    Result<Method> m = l.load();
    if (depth <= kTestBackendMaxNesting) {
      ASSERT_TRUE(m.ok()) << "depth " << depth << "\n" << log.text();
      const float x[6] = {1, 2, 3, 4, 5, 6};
      ASSERT_EQ(m->set_input(0, x, sizeof(x)), Error::Ok);
      ASSERT_EQ(m->set_input(1, x, sizeof(x)), Error::Ok);
      ASSERT_EQ(m->execute(), Error::Ok);
      EXPECT_EQ(m->get_output(0)->to_tensor().data_as<float>()[5], 12.0f);
    } else {
      EXPECT_EQ(m.error(), Error::NotSupported);
      EXPECT_TRUE(log.contains("nested more than")) << log.text();
    }
  }
}

/// Load `bytes` and expect `want` plus a log line containing `needle`.
void expect_rejected(std::vector<uint8_t> bytes, Error want, const std::string& needle) {
  LogCapture log;
  Loaded l(std::move(bytes));
  Result<Method> m = l.load();
  EXPECT_EQ(m.error(), want) << needle;
  EXPECT_TRUE(log.contains(needle)) << "expected a log line with '" << needle << "', got:\n"
                                    << log.text();
}

TEST_F(DelegateTest, UnknownOrUnavailableBackend) {
  expect_rejected(counting_program({1}, "NoSuchBackend").finish(), Error::NotFound,
                  "backend 'NoSuchBackend' is not registered");
  counting().available = false;
  expect_rejected(counting_program({1}).finish(), Error::NotFound,
                  "backend 'Counting' is not available");
  counting().available = true;
  counting().fail_init = true;
  expect_rejected(counting_program({1}).finish(), Error::InvalidProgram,
                  "backend 'Counting' failed to initialize");
  EXPECT_EQ(counting().destroys, 0);  // a failed init is not destroyed
}

TEST_F(DelegateTest, BadDataReferences) {
  {  // inline index past backend_delegate_data
    PteBuilder b = counting_program({1});
    DelegateSpec d;
    d.id = "Counting";
    d.index = 5;
    b.add_delegate(d);
    expect_rejected(b.finish(), Error::InvalidProgram, "inline data index 5 out of range");
  }
  {  // segment index past Program.segments
    PteBuilder b = counting_program({1});
    DelegateSpec d;
    d.id = "Counting";
    d.location = 1;
    d.index = 9;
    b.add_delegate(d);
    expect_rejected(b.finish(), Error::InvalidProgram, "segment index 9 out of range");
  }
  {  // a segment that runs past the end of the file
    PteBuilder b = counting_program({1});
    b.extra_segments = {{64, 1 << 20}};
    DelegateSpec d;
    d.id = "Counting";
    d.location = 1;
    d.index = 1;  // segment 0 is the constant segment
    b.add_delegate(d);
    expect_rejected(b.finish(), Error::InvalidProgram, "outside the");
  }
  {  // an offset that overflows when added to the base
    PteBuilder b = counting_program({1});
    b.extra_segments = {{UINT64_MAX - 8, 64}};
    DelegateSpec d;
    d.id = "Counting";
    d.location = 1;
    d.index = 1;
    b.add_delegate(d);
    expect_rejected(b.finish(), Error::InvalidProgram, "outside the");
  }
  {  // an unknown location
    PteBuilder b = counting_program({1});
    DelegateSpec d;
    d.id = "Counting";
    d.location = 7;
    b.add_delegate(d);
    expect_rejected(b.finish(), Error::InvalidProgram, "unknown data location 7");
  }
  {  // no backend id
    PteBuilder b = counting_program({1});
    DelegateSpec d;
    b.add_delegate(d);
    expect_rejected(b.finish(), Error::InvalidProgram, "has no backend id");
  }
}

TEST_F(DelegateTest, BadDelegateCalls) {
  {
    PteBuilder b = counting_program({1});
    b.add_delegate_call(3, {});
    expect_rejected(b.finish(), Error::InvalidProgram, "delegate index 3 out of range");
  }
  {
    PteBuilder b = counting_program({1});
    b.add_delegate_call(0, {0, 42});
    expect_rejected(b.finish(), Error::InvalidProgram, "argument 1 names value 42");
  }
}

// A blob that is not a program is refused by EmberTestBackend's init.
TEST_F(DelegateTest, BlobNotAProgram) {
  std::vector<uint8_t> junk(256);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 37 + 11);
  PteBuilder b = counting_program(junk, kTestBackendName);
  expect_rejected(b.finish(), Error::VersionMismatch, "is not a valid program");
  std::vector<uint8_t> truncated = add_program();
  truncated.resize(truncated.size() / 2);
  expect_rejected(counting_program(truncated, kTestBackendName).finish(), Error::InvalidProgram,
                  "is not a valid program");
  expect_rejected(counting_program({}, kTestBackendName).finish(), Error::InvalidProgram,
                  "empty blob");
  // A valid program without a 'forward' method.
  PteBuilder other;
  other.method_name = "not_forward";
  expect_rejected(counting_program(other.finish(), kTestBackendName).finish(), Error::NotFound,
                  "has no 'forward'");
}

}  // namespace
}  // namespace testing
}  // namespace ember
