// libFuzzer target for the loader and executor: any byte string is a .pte
// candidate. It is loaded (header, verifier, constants), every method is
// loaded into capped caller memory (value table, delegates through
// EmberTestBackend, kernels resolved among the portable kernels), inputs and
// unplanned outputs are bound to zeroed buffers, and the method runs with a
// step limit. Built only with clang: -DEMBER_BUILD_FUZZER=ON (scripts/fuzz.sh).
//
// Any crash, sanitizer report, leak or timeout is a bug in the runtime:
// untrusted input may only produce error codes. So is a write into the
// program image (constants, delegate blobs, the flatbuffer): the input is
// loaded from a copy, and the target aborts if the copy changed.
//
// A custom mutator (LLVMFuzzerCustomMutator) rewires value indices, swaps
// value kinds and inserts Moves and JumpFalses in a third of the inputs that
// verify (pte_mutator.h): byte mutations alone rarely keep a flatbuffer valid
// while changing what its instructions read and write.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/backends/test/test_backend.h"
#include "runtime/core/data_loader.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/fuzz/pte_mutator.h"
#include "runtime/kernel/kernel.h"
#include "runtime/platform/platform.h"

namespace {

// Caps that keep one input fast: the seeds need far less.
constexpr size_t kMaxPlanned = size_t{1} << 20;
constexpr size_t kMaxArena = size_t{4} << 20;
constexpr size_t kMaxBound = size_t{1} << 20;
constexpr uint64_t kStepLimit = 10000;

uint8_t g_temp[1 << 18];

void run_method(const ember::Program& program, const char* name) {
  ember::Result<ember::MethodMeta> meta = program.method_meta(name);
  if (!meta.ok()) return;
  const size_t bound = meta->method_memory_bound();
  std::vector<uint8_t> arena(bound < kMaxArena ? bound : kMaxArena);
  std::vector<std::vector<uint8_t>> planned;
  std::vector<ember::Span<uint8_t>> spans;
  for (size_t k = 0; k < meta->num_planned_buffers(); ++k) {
    ember::Result<int64_t> size = meta->planned_buffer_size(k);
    planned.emplace_back(size.ok() && *size <= static_cast<int64_t>(kMaxPlanned)
                             ? static_cast<size_t>(*size) : 0);
  }
  for (auto& p : planned) spans.emplace_back(p.data(), p.size());
  ember::MemoryAllocator method_alloc(arena.data(), arena.size());
  ember::MemoryAllocator temp_alloc(g_temp, sizeof(g_temp));
  ember::MemoryManager memory{&method_alloc, {spans.data(), spans.size()}, &temp_alloc};
  ember::Result<ember::Method> method = program.load_method(name, &memory);
  if (!method.ok()) return;
  method->set_step_limit(kStepLimit);
  // Every tensor input gets data (0xA5 bytes: copied into planned memory,
  // bound if unplanned), so that an input slot naming a constant is written.
  std::vector<std::vector<uint64_t>> bound_memory;
  for (size_t k = 0; k < method->num_inputs(); ++k) {
    const ember::EValue* v = method->get_input(k);
    if (!v->is_tensor()) continue;
    const ember::Tensor& t = v->to_tensor();
    const size_t cap = t.data() != nullptr ? t.nbytes() : t.capacity_bytes();
    if (cap > kMaxBound) continue;
    bound_memory.emplace_back(cap / 8 + 1, 0xA5A5A5A5A5A5A5A5ull);
    method->set_input(k, bound_memory.back().data(), t.nbytes());
  }
  for (size_t k = 0; k < method->num_outputs(); ++k) {
    const ember::EValue* v = method->get_output(k);
    if (!v->is_tensor() || v->to_tensor().data() != nullptr) continue;
    const ember::Tensor& t = v->to_tensor();
    if (t.capacity_bytes() > kMaxBound) continue;
    bound_memory.emplace_back(t.capacity_bytes() / 8 + 1);
    method->set_output_data_ptr(k, bound_memory.back().data(), t.capacity_bytes());
  }
  method->execute();
  method->execute();  // state carried over (mutable buffers, resized tensors)
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ember::register_portable_kernels();
  ember::register_test_backend();
  ember::platform::set_log_level(ember::platform::LogLevel::Fatal);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy (reads past the end are caught) that the runtime
  // must leave as it is.
  std::vector<uint8_t> image(data, data + size);
  image.shrink_to_fit();
  {
    ember::BufferDataLoader loader(image.data(), size);
    ember::Result<ember::Program> program = ember::Program::load(&loader);
    if (program.ok()) {
      for (size_t i = 0; i < program->num_methods() && i < 4; ++i) {
        ember::Result<const char*> name = program->get_method_name(i);
        if (name.ok()) run_method(*program, *name);
      }
    }
  }
  if (size > 0 && std::memcmp(image.data(), data, size) != 0) {
    size_t first = 0;
    while (image[first] == data[first]) ++first;
    std::fprintf(stderr, "ember_pte_fuzzer: the runtime wrote into the program image "
                         "(first changed byte at offset %zu of %zu)\n", first, size);
    std::abort();
  }
  return 0;
}

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  ember::fuzz::Rng rng{seed};
  ember::fuzz::ProgramMap map;
  if (rng.below(3) == 0 && ember::fuzz::map_program(data, size, &map)) {
    ember::fuzz::StructuralMutation m;
    std::vector<uint8_t> out;
    if (ember::fuzz::random_mutation(map, rng, &m) &&
        ember::fuzz::apply(std::vector<uint8_t>(data, data + size), map, m, &out) &&
        out.size() <= max_size) {
      std::memcpy(data, out.data(), out.size());
      return out.size();
    }
  }
  return LLVMFuzzerMutate(data, size, max_size);
}
