// Test helpers: file access, method memory and the test kernels.
#include "tests/runtime/test_util.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "runtime/kernel/kernel.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace testing {

int g_test_kernel_calls = 0;

namespace {

std::vector<std::string>& captured_lines() {
  static std::vector<std::string> lines;
  return lines;
}

void capture_sink(platform::LogLevel level, const char* message) {
  if (level >= platform::LogLevel::Error) captured_lines().push_back(message);
}

}  // namespace

LogCapture::LogCapture() {
  captured_lines().clear();
  platform::set_log_sink(&capture_sink);
}

LogCapture::~LogCapture() { platform::set_log_sink(nullptr); }

bool LogCapture::contains(const std::string& needle) const {
  for (const std::string& l : captured_lines()) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

size_t LogCapture::count() const { return captured_lines().size(); }

void LogCapture::clear() { captured_lines().clear(); }

std::string LogCapture::text() const {
  std::string out;
  for (const std::string& l : captured_lines()) out += l + "\n";
  return out;
}

std::vector<uint8_t> read_test_file(const std::string& name) {
  std::ifstream f(std::string(EMBER_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::unique_ptr<LoadedProgram> load_program(std::vector<uint8_t> bytes) {
  std::unique_ptr<LoadedProgram> p(new LoadedProgram);
  p->bytes = std::move(bytes);
  p->loader.reset(new BufferDataLoader(p->bytes.data(), p->bytes.size()));
  p->program.~Result();
  new (&p->program) Result<Program>(Program::load(p->loader.get()));
  return p;
}

MethodMemory::MethodMemory(const MethodMeta& meta, size_t arena, size_t extra, size_t temp)
    : arena_bytes(arena), temp_bytes(temp) {
  for (size_t i = 0; i < meta.num_planned_buffers(); ++i) {
    // Corrupted plans may ask for absurd sizes: give those nothing (load then fails).
    Result<int64_t> size = meta.planned_buffer_size(i);
    const size_t n = size.ok() && *size <= (int64_t{1} << 26) ? static_cast<size_t>(*size) : 0;
    planned.emplace_back(n + extra, 0xAB);
  }
  for (auto& p : planned) spans.emplace_back(p.data(), p.size());
  method_allocator = MemoryAllocator(arena_bytes.data(), arena_bytes.size());
  temp_allocator = MemoryAllocator(temp_bytes.data(), temp_bytes.size());
  manager.method_allocator = &method_allocator;
  manager.planned_buffers = {spans.data(), spans.size()};
  manager.temp_allocator = &temp_allocator;
}

namespace {

void test_add(KernelContext&, Span<EValue*> args) {
  ++g_test_kernel_calls;
  const Tensor& a = args[0]->to_tensor();
  const Tensor& b = args[1]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  for (int64_t i = 0; i < out.numel(); ++i) {
    out.data_as<float>()[i] = a.data_as<float>()[i] + b.data_as<float>()[i];
  }
}

void test_copy(KernelContext& ctx, Span<EValue*> args) {
  ++g_test_kernel_calls;
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[1]->to_tensor();
  if (out.resize(x.sizes()) != Error::Ok) return ctx.fail(Error::InvalidArgument);
  std::memcpy(out.mutable_data(), x.data(), x.nbytes());
}

void test_fail(KernelContext& ctx, Span<EValue*>) {
  ++g_test_kernel_calls;
  ctx.fail(Error::InvalidArgument);
}

void test_temp(KernelContext& ctx, Span<EValue*>) {
  ++g_test_kernel_calls;
  void* p = ctx.allocate_temp(64);
  if (p == nullptr) return ctx.fail(Error::MemoryAllocationFailed);
  std::memset(p, 1, 64);
}

void test_toggle(KernelContext&, Span<EValue*> args) {
  ++g_test_kernel_calls;
  uint8_t* b = args[0]->to_tensor().data_as<uint8_t>();
  *b = *b ? 0 : 1;
}

void test_log(KernelContext& ctx, Span<EValue*>) {
  ++g_test_kernel_calls;
  EventTracer* tracer = ctx.event_tracer();
  if (tracer == nullptr) return;
  const uint64_t start = platform::now_ns();
  tracer->log_event("test::log/inner", start, platform::now_ns(), ctx.debug_handle(), 7);
}

#ifndef EMBER_HAVE_PORTABLE_KERNELS
// Stand-ins for et_two.pte's ops (float only, 0-d broadcast for mul).
float scalar_of(const Tensor& t) {
  return t.dtype() == ScalarType::Long ? static_cast<float>(*t.data_as<int64_t>())
                                       : *t.data_as<float>();
}
void et_to_dim_order_copy(KernelContext&, Span<EValue*> args) {
  Tensor& out = args[3]->to_tensor();
  *out.data_as<float>() = scalar_of(args[0]->to_tensor());
}
void et_mul(KernelContext&, Span<EValue*> args) {
  const Tensor& a = args[0]->to_tensor();
  const float s = scalar_of(args[1]->to_tensor());
  Tensor& out = args[2]->to_tensor();
  for (int64_t i = 0; i < out.numel(); ++i) out.data_as<float>()[i] = a.data_as<float>()[i] * s;
}
void et_add_sub(Span<EValue*> args, float sign) {
  const Tensor& a = args[0]->to_tensor();
  const Tensor& b = args[1]->to_tensor();
  const float alpha = static_cast<float>(args[2]->scalar_as_double());
  Tensor& out = args[3]->to_tensor();
  for (int64_t i = 0; i < out.numel(); ++i) {
    out.data_as<float>()[i] = a.data_as<float>()[i] + sign * alpha * b.data_as<float>()[i];
  }
}
void et_add(KernelContext&, Span<EValue*> args) { et_add_sub(args, 1.0f); }
void et_sub(KernelContext&, Span<EValue*> args) { et_add_sub(args, -1.0f); }
void et_sigmoid(KernelContext&, Span<EValue*> args) {
  const Tensor& a = args[0]->to_tensor();
  Tensor& out = args[1]->to_tensor();
  for (int64_t i = 0; i < out.numel(); ++i) {
    out.data_as<float>()[i] = 1.0f / (1.0f + std::exp(-a.data_as<float>()[i]));
  }
}
#endif

}  // namespace

void register_test_kernels() {
  static const Kernel kernels[] = {
      {"test::add.out", test_add,
       {4, {ScalarType::Float, ScalarType::Float, ScalarType::Float, ScalarType::Float}}},
      {"test::copy.out", test_copy, {}},
      {"test::fail.out", test_fail, {}},
      {"test::temp.out", test_temp, {}},
      {"test::toggle.out", test_toggle, {}},
      {"test::log.out", test_log, {}},
  };
  // (a, b) -> out and (x) -> out: the last argument is the only one written.
  static const OperatorWrites writes[] = {
      {"test::add.out", 2, 0}, {"test::copy.out", 1, 0},
      {"test::fail.out", 0, 0}, {"test::temp.out", 0, 0},
      {"test::toggle.out", 1, 1}, {"test::log.out", 0, 0},
  };
  register_operator_writes(writes);
  register_kernels(kernels);
}

bool register_et_two_kernels() {
#ifdef EMBER_HAVE_PORTABLE_KERNELS
  return register_portable_kernels() == Error::Ok;
#else
  static const Kernel kernels[] = {
      {"dim_order_ops::_to_dim_order_copy.out", et_to_dim_order_copy, {}},
      {"aten::mul.out", et_mul, {}},
      {"aten::add.out", et_add, {}},
      {"aten::sub.out", et_sub, {}},
      {"aten::sigmoid.out", et_sigmoid, {}},
  };
  register_kernels(kernels);
  return false;
#endif
}

}  // namespace testing
}  // namespace ember
