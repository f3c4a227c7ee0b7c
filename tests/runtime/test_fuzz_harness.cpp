// The strictness fuzz tests' runner and its two oracles (see the header).
#include "tests/runtime/test_fuzz_harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/core/data_loader.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/extension/method_graph.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace testing {

const char* const kFuzzSeeds[] = {
    "et_cnn.pte",         "et_two.pte",        "et_counter.pte",
    "ember_emit.pte",     "ember_mlp.pte",     "ember_two.pte",
    "ember_counter.pte",  "ember_delegate_inline.pte", "ember_delegate_segment.pte",
    "ember_no_kernels.pte", "ember_partitioned.pte", "ember_named_data.pte",
};
const size_t kNumFuzzSeeds = sizeof(kFuzzSeeds) / sizeof(kFuzzSeeds[0]);

uint64_t name_seed(const char* name) {  // FNV-1a
  uint64_t h = 1469598103934665603ull;
  for (const char* p = name; *p != '\0'; ++p) h = (h ^ static_cast<uint8_t>(*p)) * 1099511628211ull;
  return h;
}

namespace {

int g_error_lines = 0;
void count_errors(platform::LogLevel level, const char*) {
  if (level >= platform::LogLevel::Error) ++g_error_lines;
}

constexpr size_t kMaxPlanned = size_t{1} << 20;  // the seeds need at most 16 KiB per buffer
constexpr size_t kMaxArena = size_t{16} << 20;
constexpr size_t kMaxBound = size_t{16} << 20;
constexpr uint64_t kStepLimit = 100000;

/// Input data that no constant of the seeds holds: 0.5 in floating point
/// elements, 1 in every other element, so that a copy into a constant shows.
void fill_input(ScalarType dtype, void* data, size_t nbytes) {
  uint8_t* p = static_cast<uint8_t*>(data);
  std::memset(p, 0, nbytes);
  if (dtype == ScalarType::Float) {
    const float h = 0.5f;
    for (size_t k = 0; k + 4 <= nbytes; k += 4) std::memcpy(p + k, &h, 4);
  } else if (dtype == ScalarType::Double) {
    const double h = 0.5;
    for (size_t k = 0; k + 8 <= nbytes; k += 8) std::memcpy(p + k, &h, 8);
  } else {
    const size_t es = element_size(dtype) != 0 ? element_size(dtype) : 1;
    for (size_t k = 0; k < nbytes; k += es) p[k] = 1;
  }
}

/// Where the first changed byte is, for the report.
std::string describe_write(const uint8_t* before, const uint8_t* after, size_t n) {
  size_t first = 0, count = 0;
  for (size_t k = 0; k < n; ++k) {
    if (before[k] == after[k]) continue;
    if (count++ == 0) first = k;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%zu bytes of the program changed, the first at offset %zu",
                count, first);
  return buf;
}

/// Methods of a loaded program: load, set inputs, bind outputs, execute.
/// Returns the first outcome that is not Ran (or Ran). `check` is called
/// after each stage that can write (input setting, execute).
template <typename Check>
Outcome run_methods(const Program& program, Stats* stats, const std::string& variant,
                    std::vector<uint8_t>& temp, Check check) {
  Outcome outcome = Outcome::Ran;
  for (size_t i = 0; i < program.num_methods(); ++i) {
    const char* name = *program.get_method_name(i);
    Result<MethodMeta> meta = program.method_meta(name);
    if (!meta.ok()) continue;
    // Caller memory: capped, zero-filled.
    const size_t bound = meta->method_memory_bound();
    std::vector<uint8_t> arena(bound < kMaxArena ? bound : kMaxArena);
    std::vector<std::vector<uint8_t>> planned;
    std::vector<Span<uint8_t>> spans;
    for (size_t k = 0; k < meta->num_planned_buffers(); ++k) {
      Result<int64_t> size = meta->planned_buffer_size(k);
      planned.emplace_back(size.ok() && *size <= static_cast<int64_t>(kMaxPlanned)
                               ? static_cast<size_t>(*size) : 0);
    }
    for (auto& p : planned) spans.emplace_back(p.data(), p.size());
    MemoryAllocator method_alloc(arena.data(), arena.size());
    MemoryAllocator temp_alloc(temp.data(), temp.size());
    MemoryManager memory{&method_alloc, {spans.data(), spans.size()}, &temp_alloc};
    g_error_lines = 0;
    Result<Method> method = program.load_method(name, &memory);
    if (!method.ok()) {
      if (stats != nullptr) {
        ++stats->method_rejected;
        stats->rejected("load_method", method.error(), variant);
      }
      if (outcome == Outcome::Ran) outcome = Outcome::MethodRejected;
      continue;
    }
    method->set_step_limit(kStepLimit);
    // Every tensor input gets data (copied if planned, bound if not), and
    // unplanned outputs a zeroed buffer.
    std::vector<std::vector<uint64_t>> bound_memory;
    for (size_t k = 0; k < method->num_inputs(); ++k) {
      const EValue* v = method->get_input(k);
      if (!v->is_tensor()) continue;
      const Tensor& t = v->to_tensor();
      const size_t cap = t.data() != nullptr ? t.nbytes() : t.capacity_bytes();
      if (cap > kMaxBound) continue;
      bound_memory.emplace_back(cap / 8 + 1);
      fill_input(t.dtype(), bound_memory.back().data(), cap);
      method->set_input(k, bound_memory.back().data(), t.nbytes());
    }
    for (size_t k = 0; k < method->num_outputs(); ++k) {
      const EValue* v = method->get_output(k);
      if (!v->is_tensor() || v->to_tensor().data() != nullptr) continue;
      const Tensor& t = v->to_tensor();
      if (t.capacity_bytes() > kMaxBound) continue;
      bound_memory.emplace_back(t.capacity_bytes() / 8 + 1);
      method->set_output_data_ptr(k, bound_memory.back().data(), t.capacity_bytes());
    }
    check("set_input");
    g_error_lines = 0;
    // Traced, so that naming every instruction a hostile program runs is
    // exercised too; every recorded name must be readable.
    static TraceEvent trace_buffer[256];
    ProfilingTracer tracer(trace_buffer, 256);
    method->set_event_tracer(&tracer);
    const Error e = method->execute();
    static volatile size_t name_bytes = 0;  // volatile: the reads are not optimised away
    for (const TraceEvent& ev : tracer.events()) {
      name_bytes = name_bytes + std::strlen(ev.name) + std::strlen(ev.overload);
    }
    check("execute");
    if (stats == nullptr) continue;
    if (e == Error::Ok) {
      ++stats->executed;
    } else {
      ++stats->execute_rejected;
      stats->rejected("execute", e, variant);
      if (outcome == Outcome::Ran) outcome = Outcome::ExecuteRejected;
    }
  }
  return outcome;
}

}  // namespace

void Stats::rejected(const char* stage, Error e, const std::string& variant) {
  by_error[static_cast<uint32_t>(e) & 15]++;
  if (e == Error::Ok || g_error_lines == 0) {
    violations.push_back(variant + ": " + stage + " failed with " + error_name(e) +
                         " and logged " + std::to_string(g_error_lines) + " error lines");
  }
}

void Stats::print(const char* name) const {
  std::printf("%s: %zu variants: %zu rejected at load, %zu at load_method, %zu at execute, "
              "%zu executed, %zu wrote into the program\n", name, variants, load_rejected,
              method_rejected, execute_rejected, executed, program_writes);
  std::printf("  by error:");
  for (uint32_t e = 1; e < 16; ++e) {
    if (by_error[e] > 0) std::printf(" %s %zu", error_name(static_cast<Error>(e)), by_error[e]);
  }
  std::printf("\n");
}

RunResult run_variant(const std::vector<uint8_t>& bytes, const std::string& variant, Stats* stats,
                      std::vector<uint8_t>& temp) {
  ++stats->variants;
  RunResult result;
  uint8_t* file = static_cast<uint8_t*>(std::malloc(bytes.empty() ? 1 : bytes.size()));
  if (file == nullptr) std::abort();
  if (!bytes.empty()) std::memcpy(file, bytes.data(), bytes.size());
  BufferDataLoader loader(file, bytes.size());
  // The image must stay as it was: report the first stage that changed it.
  auto check = [&](const char* stage) {
    if (result.wrote || bytes.empty() || std::memcmp(file, bytes.data(), bytes.size()) == 0) return;
    result.wrote = true;
    ++stats->program_writes;
    if (stats->writes.size() < 100) {
      stats->writes.push_back(variant + ": " + stage + " wrote into the program image: " +
                              describe_write(bytes.data(), file, bytes.size()));
    }
  };
  g_error_lines = 0;
  {
    Result<Program> program = Program::load(&loader);
    if (!program.ok()) {
      ++stats->load_rejected;
      stats->rejected("Program::load", program.error(), variant);
      result.outcome = Outcome::LoadRejected;
    } else {
      // What `ember inspect --html` reads of every method: it checks every
      // index itself, so a variant must give a graph or a Status, never a crash.
      for (size_t i = 0; i < program->num_methods(); ++i) {
        Result<const char*> name = program->get_method_name(i);
        MethodGraph graph;
        if (name.ok()) (void)method_graph(*program, *name, &graph);
      }
      check("method_graph");
      result.outcome = run_methods(*program, stats, variant, temp, check);
    }
    check("load");
  }
  std::free(file);
  return result;
}

namespace {

/// Child side: run variants[start..] over read-only copies, announcing each
/// index on `fd` before running it. Never returns.
[[noreturn]] void read_only_child(const std::vector<std::vector<uint8_t>>& variants, size_t start,
                                  int fd) {
  // A fault ends the child quietly (no sanitizer report, no core file).
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGSEGV, &dfl, nullptr);
  sigaction(SIGBUS, &dfl, nullptr);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  platform::set_log_sink(nullptr);
  platform::set_log_level(platform::LogLevel::Fatal);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<uint8_t> temp(1 << 20);
  for (size_t i = start; i < variants.size(); ++i) {
    const uint64_t announce = i;
    if (write(fd, &announce, sizeof announce) != sizeof announce) _exit(3);
    const std::vector<uint8_t>& bytes = variants[i];
    const size_t size = bytes.empty() ? page : (bytes.size() + page - 1) / page * page;
    void* image = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (image == MAP_FAILED) _exit(3);
    if (!bytes.empty()) std::memcpy(image, bytes.data(), bytes.size());
    if (mprotect(image, size, PROT_READ) != 0) _exit(3);
    {
      BufferDataLoader loader(image, bytes.size());
      Result<Program> program = Program::load(&loader);
      if (program.ok()) run_methods(*program, nullptr, "", temp, [](const char*) {});
    }
    munmap(image, size);
  }
  _exit(0);  // no destructors, no leak check: the parent only wants the status
}

}  // namespace

std::vector<size_t> run_read_only(const std::vector<std::vector<uint8_t>>& variants) {
  std::vector<size_t> died;
  size_t start = 0;
  while (start < variants.size()) {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
      close(fds[0]);
      read_only_child(variants, start, fds[1]);
    }
    close(fds[1]);
    uint64_t last = start;
    bool announced = false;
    uint64_t index;
    while (read(fds[0], &index, sizeof index) == sizeof index) {
      last = index;
      announced = true;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    if (!announced) std::abort();  // the child failed before running anything
    died.push_back(static_cast<size_t>(last));
    start = static_cast<size_t>(last) + 1;
  }
  return died;
}

QuietErrors::QuietErrors() : previous_(platform::get_log_sink()) {
  platform::set_log_level(platform::LogLevel::Fatal);  // thousands of expected errors
  platform::set_log_sink(&count_errors);
}

QuietErrors::~QuietErrors() {
  platform::set_log_sink(previous_);
  platform::set_log_level(platform::LogLevel::Error);
}

}  // namespace testing
}  // namespace ember
