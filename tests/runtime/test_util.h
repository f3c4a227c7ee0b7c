// Shared test helpers: reference files, a method harness that owns its
// memory, and a tiny kernel set under "test::" names.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/data_loader.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/executor/memory_manager.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"

namespace ember {
namespace testing {

/// Bytes of tests/runtime/data/<name>.
std::vector<uint8_t> read_test_file(const std::string& name);

/// Program bytes kept alive with their loader and the Program over them.
struct LoadedProgram {
  std::vector<uint8_t> bytes;
  std::unique_ptr<BufferDataLoader> loader;
  Result<Program> program = Error::Internal;
};
std::unique_ptr<LoadedProgram> load_program(std::vector<uint8_t> bytes);

/// A loader over its own copy of a file that records what the executor
/// releases and overwrites it, so that any later read of it gives garbage
/// (breaking DataLoader::release's contract on purpose: a backend that still
/// read its blob or weights after saying it would not gives wrong outputs).
class PoisoningLoader final : public DataLoader {
 public:
  explicit PoisoningLoader(const std::vector<uint8_t>& bytes) : bytes_(bytes.size() + 64) {
    base_ = bytes_.data() + (64 - reinterpret_cast<uintptr_t>(bytes_.data()) % 64);
    std::memcpy(base_, bytes.data(), bytes.size());
    size_ = bytes.size();
  }
  Result<Span<const uint8_t>> load(size_t offset, size_t size) override {
    if (offset > size_ || size > size_ - offset) return Error::InvalidArgument;
    return Span<const uint8_t>(base_ + offset, size);
  }
  size_t size() const override { return size_; }
  void release(Span<const uint8_t> bytes) override {
    released_bytes += bytes.size();
    ++releases;
    std::memset(const_cast<uint8_t*>(bytes.data()), 0xA5, bytes.size());
  }
  size_t releases = 0;
  size_t released_bytes = 0;

 private:
  std::vector<uint8_t> bytes_;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

/// Memory for one method: a method arena, planned buffers sized from the
/// MethodMeta (plus `extra` bytes each) and a temp arena.
struct MethodMemory {
  explicit MethodMemory(const MethodMeta& meta, size_t arena = 1 << 20, size_t extra = 0,
                        size_t temp = 4096);
  std::vector<uint8_t> arena_bytes;
  std::vector<std::vector<uint8_t>> planned;
  std::vector<Span<uint8_t>> spans;
  std::vector<uint8_t> temp_bytes;
  MemoryAllocator method_allocator;
  MemoryAllocator temp_allocator;
  MemoryManager manager;
};

/// Records the error log lines emitted while alive (through the platform's
/// log sink), to check that a rejection says what is wrong. Not nestable.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  /// True if some line contains `needle`.
  bool contains(const std::string& needle) const;
  size_t count() const;
  void clear();
  /// All lines joined with newlines (for failure messages).
  std::string text() const;
};

/// Register test::add.out (float, exact key), test::copy.out (catch-all),
/// test::fail.out (always fails), test::temp.out (needs 64 bytes of temp),
/// test::toggle.out (flips a one-element Bool tensor, its only argument) and
/// test::log.out (no arguments; logs "test::log/inner" with delegate debug
/// id 7 to the call's event tracer, if any).
void register_test_kernels();

/// How many times test kernels ran (reset by the caller).
extern int g_test_kernel_calls;

/// Register the portable kernels when they are built, else minimal
/// stand-ins for the ops of et_two.pte. Returns true for the portable set.
bool register_et_two_kernels();

}  // namespace testing
}  // namespace ember
