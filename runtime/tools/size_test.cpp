// ember_size_test: the smallest useful runtime program, to measure the core's
// footprint (scripts/size.sh builds it with -Os, section GC and stripped).
// It reads a .pte into a static buffer, loads it (header, full verification),
// loads its first method into static arenas and executes it once. It links
// the core only: no kernels, no backends, so the program must need none
// (tests/runtime/data/ember_no_kernels.pte: a Move and a Free).
//
//   ember_size_test model.pte    -> exit 0 and "ok" when the method ran
#include <cstdint>
#include <cstdio>

#include "runtime/core/data_loader.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"

namespace {

constexpr size_t kMaxFile = 64 << 10;
constexpr size_t kArena = 16 << 10;
constexpr size_t kPlanned = 16 << 10;
constexpr size_t kMaxBuffers = 4;

alignas(16) uint8_t g_file[kMaxFile];
alignas(16) uint8_t g_arena[kArena];
alignas(16) uint8_t g_planned[kPlanned];

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  FILE* f = std::fopen(argv[1], "rb");
  if (f == nullptr) return 2;
  const size_t n = std::fread(g_file, 1, sizeof(g_file), f);
  std::fclose(f);

  ember::BufferDataLoader loader(g_file, n);
  ember::Result<ember::Program> program = ember::Program::load(&loader);
  if (!program.ok()) return 1;
  ember::Result<const char*> name = program->get_method_name(0);
  if (!name.ok()) return 1;
  ember::Result<ember::MethodMeta> meta = program->method_meta(*name);
  if (!meta.ok()) return 1;

  // Planned buffers carved out of one static pool.
  ember::Span<uint8_t> buffers[kMaxBuffers];
  const size_t num_buffers = meta->num_planned_buffers();
  if (num_buffers > kMaxBuffers) return 1;
  size_t used = 0;
  for (size_t i = 0; i < num_buffers; ++i) {
    ember::Result<int64_t> size = meta->planned_buffer_size(i);
    if (!size.ok() || static_cast<uint64_t>(*size) > kPlanned - used) return 1;
    buffers[i] = {g_planned + used, static_cast<size_t>(*size)};
    used += (static_cast<size_t>(*size) + 15) & ~size_t{15};
  }
  ember::MemoryAllocator method_allocator(g_arena, sizeof(g_arena));
  ember::MemoryManager memory{&method_allocator, {buffers, num_buffers}, nullptr};
  ember::Result<ember::Method> method = program->load_method(*name, &memory);
  if (!method.ok()) return 1;
  if (method->execute() != ember::Error::Ok) return 1;
  std::puts("ok");
  return 0;
}
