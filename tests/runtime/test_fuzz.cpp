// Strictness fuzzing: real .pte files (ExecuTorch 1.4.1's and Ember's, with
// and without delegates, blobs inline, in segments and in named data) mutated and truncated in many ways, each variant
// loaded, its methods loaded and executed. Nothing may crash (run under
// ASan/UBSan by scripts/sanitize.sh), and every rejection must come back as
// an error code with at least one error log line saying what is wrong.
//
// Mutations per file (deterministic):
//   1. single bit flips, 2. a few random bytes, 3. byte runs (zeros, 0xFF,
//   random, a repeated word), 4. truncation at every length up to 64 and at
//   many more, 5. extreme values written into located fields: every vector
//   and string length, every table's vtable offset, header fields, segment
//   offsets and sizes, value indices, tensor sizes, allocation offsets, enums.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/backends/test/test_backend.h"
#include "runtime/core/data_loader.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/kernel/kernel.h"
#include "serializer/schema/program_generated.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

namespace fb = executorch_flatbuffer;

namespace ember {
namespace testing {
namespace {

// ---- 1. Field locations in a valid file ------------------------------------

/// A field of the file to overwrite: offset, width in bytes, a name.
struct Field {
  size_t at;
  int width;
  const char* what;
};

class FieldCollector {
 public:
  FieldCollector(const uint8_t* base, size_t size, std::vector<Field>* out)
      : base_(base), size_(size), out_(out) {}

  void at(const void* p, int width, const char* what) {
    if (p == nullptr) return;
    const size_t offset = static_cast<size_t>(static_cast<const uint8_t*>(p) - base_);
    ASSERT_LE(offset + static_cast<size_t>(width), size_) << what;
    out_->push_back({offset, width, what});
  }
  /// A vector's or string's length prefix (the object points at it).
  template <typename V>
  void length(const V* v, const char* what) { at(v, 4, what); }
  /// A table's own offset to its vtable, and scalar fields by vtable slot.
  void table(const void* t, const char* what) { at(t, 4, what); }
  void scalar(const void* t, flatbuffers::voffset_t slot, int width, const char* what) {
    if (t == nullptr) return;
    at(reinterpret_cast<const flatbuffers::Table*>(t)->GetAddressOf(slot), width, what);
  }
  template <typename T>
  void items(const flatbuffers::Vector<T>* v, const char* what) {
    if (v == nullptr) return;
    length(v, what);
    const uint8_t* data = reinterpret_cast<const uint8_t*>(v->data());
    for (uint32_t i = 0; i < v->size(); ++i) at(data + i * sizeof(T), sizeof(T), what);
  }

 private:
  const uint8_t* base_;
  size_t size_;
  std::vector<Field>* out_;
};

void collect_value(FieldCollector& c, const fb::EValue* ev) {
  c.table(ev, "EValue");
  c.scalar(ev, fb::EValue::VT_VAL_TYPE, 1, "EValue.val_type");
  c.scalar(ev, fb::EValue::VT_VAL, 4, "EValue.val offset");
  if (const fb::Tensor* t = ev->val_as_Tensor()) {
    c.table(t, "Tensor");
    c.scalar(t, fb::Tensor::VT_SCALAR_TYPE, 1, "Tensor.scalar_type");
    c.scalar(t, fb::Tensor::VT_SHAPE_DYNAMISM, 1, "Tensor.shape_dynamism");
    c.scalar(t, fb::Tensor::VT_DATA_BUFFER_IDX, 4, "Tensor.data_buffer_idx");
    c.scalar(t, fb::Tensor::VT_STORAGE_OFFSET, 4, "Tensor.storage_offset");
    c.items(t->sizes(), "Tensor.sizes");
    c.items(t->dim_order(), "Tensor.dim_order");
    if (const fb::AllocationDetails* a = t->allocation_info()) {
      c.table(a, "AllocationDetails");
      c.scalar(a, fb::AllocationDetails::VT_MEMORY_ID, 4, "memory_id");
      c.scalar(a, fb::AllocationDetails::VT_MEMORY_OFFSET_LOW, 4, "memory_offset_low");
      c.scalar(a, fb::AllocationDetails::VT_MEMORY_OFFSET_HIGH, 4, "memory_offset_high");
    }
  } else if (const fb::Int* i = ev->val_as_Int()) {
    c.scalar(i, fb::Int::VT_INT_VAL, 8, "Int.int_val");
  } else if (const fb::IntList* l = ev->val_as_IntList()) {
    c.items(l->items(), "IntList.items");
  } else if (const fb::TensorList* tl = ev->val_as_TensorList()) {
    c.items(tl->items(), "TensorList.items");
  } else if (const fb::OptionalTensorList* ol = ev->val_as_OptionalTensorList()) {
    c.items(ol->items(), "OptionalTensorList.items");
  } else if (const fb::DoubleList* dl = ev->val_as_DoubleList()) {
    c.length(dl->items(), "DoubleList.items");
  } else if (const fb::BoolList* bl = ev->val_as_BoolList()) {
    c.length(bl->items(), "BoolList.items");
  }
}

void collect_plan(FieldCollector& c, const fb::ExecutionPlan* plan) {
  c.table(plan, "ExecutionPlan");
  c.length(plan->name(), "ExecutionPlan.name");
  c.items(plan->inputs(), "ExecutionPlan.inputs");
  c.items(plan->outputs(), "ExecutionPlan.outputs");
  c.items(plan->non_const_buffer_sizes(), "non_const_buffer_sizes");
  if (plan->values() != nullptr) {
    c.length(plan->values(), "ExecutionPlan.values");
    for (const fb::EValue* ev : *plan->values()) collect_value(c, ev);
  }
  if (plan->operators() != nullptr) {
    c.length(plan->operators(), "ExecutionPlan.operators");
    for (const fb::Operator* op : *plan->operators()) c.length(op->name(), "Operator.name");
  }
  if (plan->delegates() != nullptr) {
    c.length(plan->delegates(), "ExecutionPlan.delegates");
    for (const fb::BackendDelegate* d : *plan->delegates()) {
      c.table(d, "BackendDelegate");
      c.length(d->id(), "BackendDelegate.id");
      c.scalar(d->processed(), fb::BackendDelegateDataReference::VT_LOCATION, 1,
               "BackendDelegateDataReference.location");
      c.scalar(d->processed(), fb::BackendDelegateDataReference::VT_INDEX, 4,
               "BackendDelegateDataReference.index");
      c.length(d->compile_specs(), "BackendDelegate.compile_specs");
    }
  }
  if (plan->chains() == nullptr) return;
  c.length(plan->chains(), "ExecutionPlan.chains");
  for (const fb::Chain* chain : *plan->chains()) {
    if (chain->instructions() == nullptr) continue;
    c.length(chain->instructions(), "Chain.instructions");
    for (const fb::Instruction* in : *chain->instructions()) {
      c.scalar(in, fb::Instruction::VT_INSTR_ARGS_TYPE, 1, "Instruction.instr_args_type");
      if (const fb::KernelCall* k = in->instr_args_as_KernelCall()) {
        c.scalar(k, fb::KernelCall::VT_OP_INDEX, 4, "KernelCall.op_index");
        c.items(k->args(), "KernelCall.args");
      } else if (const fb::DelegateCall* d = in->instr_args_as_DelegateCall()) {
        c.scalar(d, fb::DelegateCall::VT_DELEGATE_INDEX, 4, "DelegateCall.delegate_index");
        c.items(d->args(), "DelegateCall.args");
      } else if (const fb::MoveCall* m = in->instr_args_as_MoveCall()) {
        c.scalar(m, fb::MoveCall::VT_MOVE_FROM, 4, "MoveCall.move_from");
        c.scalar(m, fb::MoveCall::VT_MOVE_TO, 4, "MoveCall.move_to");
      } else if (const fb::JumpFalseCall* j = in->instr_args_as_JumpFalseCall()) {
        c.scalar(j, fb::JumpFalseCall::VT_COND_VALUE_INDEX, 4, "JumpFalseCall.cond");
        c.scalar(j, fb::JumpFalseCall::VT_DESTINATION_INSTRUCTION, 4, "JumpFalseCall.dest");
      }
    }
  }
}

/// Every field worth corrupting in a valid .pte (the header's included).
std::vector<Field> collect_fields(const std::vector<uint8_t>& file) {
  std::vector<Field> out = {{0, 4, "root offset"}};
  if (file.size() >= 40 && std::memcmp(file.data() + 8, "eh00", 4) == 0) {
    out.push_back({12, 4, "header length"});
    out.push_back({16, 8, "header program_size"});
    out.push_back({24, 8, "header segment_base_offset"});
    out.push_back({32, 8, "header segment_data_size"});
  }
  const fb::Program* p = fb::GetProgram(file.data());
  FieldCollector c(file.data(), file.size(), &out);
  c.table(p, "Program");
  if (p->execution_plan() != nullptr) {
    c.length(p->execution_plan(), "Program.execution_plan");
    for (const fb::ExecutionPlan* plan : *p->execution_plan()) collect_plan(c, plan);
  }
  if (p->segments() != nullptr) {
    c.length(p->segments(), "Program.segments");
    for (const fb::DataSegment* s : *p->segments()) {
      c.scalar(s, fb::DataSegment::VT_OFFSET, 8, "DataSegment.offset");
      c.scalar(s, fb::DataSegment::VT_SIZE, 8, "DataSegment.size");
    }
  }
  if (const fb::SubsegmentOffsets* cs = p->constant_segment()) {
    c.scalar(cs, fb::SubsegmentOffsets::VT_SEGMENT_INDEX, 4, "constant_segment.segment_index");
    c.items(cs->offsets(), "constant_segment.offsets");
  }
  if (p->backend_delegate_data() != nullptr) {
    c.length(p->backend_delegate_data(), "Program.backend_delegate_data");
    for (const fb::BackendDelegateInlineData* d : *p->backend_delegate_data()) {
      c.length(d->data(), "BackendDelegateInlineData.data");
    }
  }
  if (p->named_data() != nullptr) {
    c.length(p->named_data(), "Program.named_data");
    for (const fb::NamedData* d : *p->named_data()) {
      c.length(d->key(), "NamedData.key");
      c.scalar(d, fb::NamedData::VT_SEGMENT_INDEX, 4, "NamedData.segment_index");
    }
  }
  if (p->constant_buffer() != nullptr) {
    c.length(p->constant_buffer(), "Program.constant_buffer");
    for (const fb::Buffer* b : *p->constant_buffer()) c.length(b->storage(), "Buffer.storage");
  }
  return out;
}

// ---- 2. Mutations -----------------------------------------------------------

struct Mutation {
  enum Kind { BitFlip, RandomBytes, ByteRun, Truncate, FieldValue } kind;
  size_t at = 0;
  size_t len = 0;
  uint64_t value = 0;
  int width = 0;
  const char* what = "";
  std::string describe() const {
    char buf[160];
    switch (kind) {
      case BitFlip: std::snprintf(buf, sizeof(buf), "flip bit %llu of byte %zu",
                                  static_cast<unsigned long long>(value), at); break;
      case RandomBytes: std::snprintf(buf, sizeof(buf), "%zu random bytes from %zu (seed %llu)",
                                      len, at, static_cast<unsigned long long>(value)); break;
      case ByteRun: std::snprintf(buf, sizeof(buf), "run of %zu bytes 0x%llx at %zu", len,
                                  static_cast<unsigned long long>(value), at); break;
      case Truncate: std::snprintf(buf, sizeof(buf), "truncate to %zu bytes", len); break;
      case FieldValue: std::snprintf(buf, sizeof(buf), "%s at %zu = 0x%llx", what, at,
                                     static_cast<unsigned long long>(value)); break;
    }
    return buf;
  }
};

struct Rng {
  uint64_t s;
  uint64_t next() {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

uint64_t read_le(const std::vector<uint8_t>& b, size_t at, int width) {
  uint64_t v = 0;
  std::memcpy(&v, b.data() + at, static_cast<size_t>(width));
  return v;
}

/// Values that break a field of `width` bytes whose current value is `orig`.
std::vector<uint64_t> extreme_values(int width, uint64_t orig, size_t file_size) {
  switch (width) {
    // Bytes are enums and dim orders: also every real dtype a kernel reads
    // (int32, int64, bool: a bool tensor then holds arbitrary bytes).
    case 1: return {0, 0x7F, 0xFF, (orig + 1) & 0xFF, 16, 31, 3, 4, 11};
    case 4: return {0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, (orig + 1) & 0xFFFFFFFF,
                    (orig - 1) & 0xFFFFFFFF, file_size, file_size * 4 + 8};
    default: return {0, UINT64_MAX, uint64_t{1} << 63, file_size, file_size + 1, orig + 16,
                     uint64_t{1} << 32, UINT64_MAX - orig};
  }
}

std::vector<Mutation> make_mutations(const std::vector<uint8_t>& file, uint64_t seed) {
  std::vector<Mutation> out;
  Rng rng{seed};
  const size_t n = file.size();
  for (int i = 0; i < 300; ++i) {
    Mutation m{Mutation::BitFlip};
    m.at = rng.below(n);
    m.value = rng.below(8);
    out.push_back(m);
  }
  for (int i = 0; i < 100; ++i) {
    Mutation m{Mutation::RandomBytes};
    m.at = rng.below(n);
    m.len = 2 + rng.below(5);
    m.value = rng.next();
    out.push_back(m);
  }
  const uint64_t fills[] = {0, 0xFF, 0x7F7F7F7F7F7F7F7Full, 0xFFFFFFFF00000000ull};
  for (int i = 0; i < 100; ++i) {
    Mutation m{Mutation::ByteRun};
    m.at = rng.below(n);
    m.len = 1 + rng.below(i % 2 ? 64 : 8);
    m.value = i % 5 == 4 ? rng.next() : fills[i % 4];
    out.push_back(m);
  }
  for (size_t len = 0; len < 64 && len < n; ++len) out.push_back({Mutation::Truncate, 0, len});
  for (size_t k = 0; k < 200; ++k) out.push_back({Mutation::Truncate, 0, 64 + k * (n - 64) / 200});
  std::vector<Field> fields = collect_fields(file);
  for (const Field& f : fields) {
    for (uint64_t v : extreme_values(f.width, read_le(file, f.at, f.width), n)) {
      Mutation m{Mutation::FieldValue};
      m.at = f.at;
      m.width = f.width;
      m.value = v;
      m.what = f.what;
      out.push_back(m);
    }
  }
  return out;
}

std::vector<uint8_t> apply(const std::vector<uint8_t>& file, const Mutation& m) {
  std::vector<uint8_t> b = file;
  switch (m.kind) {
    case Mutation::BitFlip:
      b[m.at] ^= static_cast<uint8_t>(1u << m.value);
      break;
    case Mutation::RandomBytes: {
      Rng r{m.value};
      for (size_t i = 0; i < m.len && m.at + i < b.size(); ++i) {
        b[m.at + i] = static_cast<uint8_t>(r.next());
      }
      break;
    }
    case Mutation::ByteRun:
      for (size_t i = 0; i < m.len && m.at + i < b.size(); ++i) {
        b[m.at + i] = static_cast<uint8_t>(m.value >> (8 * (i % 8)));
      }
      break;
    case Mutation::Truncate:
      b.resize(m.len);
      break;
    case Mutation::FieldValue:
      std::memcpy(b.data() + m.at, &m.value, static_cast<size_t>(m.width));
      break;
  }
  return b;
}

// ---- 3. Running a variant ---------------------------------------------------

int g_error_lines = 0;
void count_errors(platform::LogLevel level, const char*) {
  if (level >= platform::LogLevel::Error) ++g_error_lines;
}

struct Stats {
  size_t variants = 0, load_rejected = 0, method_rejected = 0, executed = 0, execute_rejected = 0;
  size_t by_error[16] = {};
  std::vector<std::string> violations;

  /// A rejection: counted by code; a violation if nothing was logged.
  void rejected(const char* stage, Error e, const std::string& variant) {
    by_error[static_cast<uint32_t>(e) & 15]++;
    if (e == Error::Ok || g_error_lines == 0) {
      violations.push_back(variant + ": " + stage + " failed with " + error_name(e) +
                           " and logged " + std::to_string(g_error_lines) + " error lines");
    }
  }
};

constexpr size_t kMaxPlanned = size_t{1} << 20;  // the seeds need at most 16 KiB per buffer
constexpr size_t kMaxArena = size_t{16} << 20;
constexpr size_t kMaxBound = size_t{16} << 20;

/// Load, load every method, bind and execute. Memory for the file is an
/// exact-size heap block, so ASan sees any read past its end.
void run_variant(const std::vector<uint8_t>& bytes, const std::string& variant, Stats* stats,
                 std::vector<uint8_t>& temp) {
  ++stats->variants;
  uint8_t* file = static_cast<uint8_t*>(std::malloc(bytes.empty() ? 1 : bytes.size()));
  ASSERT_NE(file, nullptr);
  if (!bytes.empty()) std::memcpy(file, bytes.data(), bytes.size());
  BufferDataLoader loader(file, bytes.size());
  g_error_lines = 0;
  {
    Result<Program> program = Program::load(&loader);
    if (!program.ok()) {
      ++stats->load_rejected;
      stats->rejected("Program::load", program.error(), variant);
    }
    for (size_t i = 0; program.ok() && i < program->num_methods(); ++i) {
      const char* name = *program->get_method_name(i);
      Result<MethodMeta> meta = program->method_meta(name);
      ASSERT_TRUE(meta.ok());
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
      Result<Method> method = program->load_method(name, &memory);
      if (!method.ok()) {
        ++stats->method_rejected;
        stats->rejected("load_method", method.error(), variant);
        continue;
      }
      method->set_step_limit(100000);
      // Unplanned inputs and outputs get zeroed caller buffers.
      std::vector<std::vector<uint64_t>> bound_memory;
      for (size_t k = 0; k < method->num_inputs(); ++k) {
        const EValue* v = method->get_input(k);
        if (!v->is_tensor() || v->to_tensor().data() != nullptr) continue;
        const Tensor& t = v->to_tensor();
        if (t.capacity_bytes() > kMaxBound) continue;
        bound_memory.emplace_back(t.capacity_bytes() / 8 + 1);
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
      g_error_lines = 0;
      const Error e = method->execute();
      if (e == Error::Ok) {
        ++stats->executed;
      } else {
        ++stats->execute_rejected;
        stats->rejected("execute", e, variant);
      }
    }
  }
  std::free(file);
}

// ---- 4. The tests -----------------------------------------------------------

/// FNV-1a of the seed's name: each file gets its own, stable random stream.
uint64_t name_seed(const char* name) {
  uint64_t h = 1469598103934665603ull;
  for (const char* p = name; *p != '\0'; ++p) h = (h ^ static_cast<uint8_t>(*p)) * 1099511628211ull;
  return h;
}

const char* const kSeeds[] = {
    "et_cnn.pte",         "et_two.pte",        "et_counter.pte",
    "ember_emit.pte",     "ember_mlp.pte",     "ember_two.pte",
    "ember_counter.pte",  "ember_delegate_inline.pte", "ember_delegate_segment.pte",
    "ember_no_kernels.pte", "ember_partitioned.pte", "ember_named_data.pte",
};

class StrictnessFuzz : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_EQ(register_portable_kernels(), Error::Ok);
    ASSERT_EQ(register_test_backend(), Error::Ok);
  }
};

// Every seed is a valid program that loads and runs as it is.
TEST_P(StrictnessFuzz, SeedRuns) {
  const std::vector<uint8_t> file = read_test_file(GetParam());
  ASSERT_FALSE(file.empty()) << GetParam();
  Stats stats;
  std::vector<uint8_t> temp(1 << 20);
  run_variant(file, "unmodified", &stats, temp);
  EXPECT_EQ(stats.executed, 1u) << (stats.violations.empty() ? "" : stats.violations[0]);
}

TEST_P(StrictnessFuzz, MutatedVariantsFailCleanly) {
  const std::vector<uint8_t> file = read_test_file(GetParam());
  ASSERT_FALSE(file.empty()) << GetParam();
  const std::vector<Mutation> mutations = make_mutations(file, name_seed(GetParam()));
  platform::LogSink previous = platform::get_log_sink();
  platform::set_log_level(platform::LogLevel::Fatal);  // thousands of expected errors
  platform::set_log_sink(&count_errors);
  Stats stats;
  std::vector<uint8_t> temp(1 << 20);
  for (const Mutation& m : mutations) {
    run_variant(apply(file, m), std::string(GetParam()) + ": " + m.describe(), &stats, temp);
  }
  platform::set_log_sink(previous);
  platform::set_log_level(platform::LogLevel::Error);
  std::printf("%s: %zu variants: %zu rejected at load, %zu at load_method, %zu at execute, "
              "%zu executed\n", GetParam(), stats.variants, stats.load_rejected,
              stats.method_rejected, stats.execute_rejected, stats.executed);
  std::printf("  by error:");
  for (uint32_t e = 1; e < 16; ++e) {
    if (stats.by_error[e] > 0) {
      std::printf(" %s %zu", error_name(static_cast<Error>(e)), stats.by_error[e]);
    }
  }
  std::printf("\n");
  RecordProperty("variants", static_cast<int>(stats.variants));
  EXPECT_GE(stats.variants, 1000u);
  EXPECT_TRUE(stats.violations.empty()) << stats.violations.size() << " silent rejections, e.g. "
                                        << stats.violations[0];
}

INSTANTIATE_TEST_SUITE_P(Seeds, StrictnessFuzz, ::testing::ValuesIn(kSeeds),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           name = name.substr(0, name.find('.'));
                           return name;
                         });

// Inputs libFuzzer found crashing (docs/fuzzing.md), kept as regressions:
// each must now load and fail (or run) cleanly.
TEST(StrictnessFuzzFindings, FailCleanly) {
  ASSERT_EQ(register_portable_kernels(), Error::Ok);
  ASSERT_EQ(register_test_backend(), Error::Ok);
  for (const char* name : {"fuzz_findings/conv_padding_overflow.pte",
                           "fuzz_findings/index_put_aliased_index.pte"}) {
    const std::vector<uint8_t> file = read_test_file(name);
    ASSERT_FALSE(file.empty()) << name;
    Stats stats;
    std::vector<uint8_t> temp(1 << 20);
    platform::LogSink previous = platform::get_log_sink();
    platform::set_log_sink(&count_errors);
    run_variant(file, name, &stats, temp);
    platform::set_log_sink(previous);
    EXPECT_TRUE(stats.violations.empty()) << stats.violations[0];
    EXPECT_EQ(stats.execute_rejected, 1u) << name << ": the kernel must refuse the call";
  }
}

// The brief's floor: at least 10,000 variants over all seeds.
TEST(StrictnessFuzzTotal, AtLeastTenThousandVariants) {
  size_t total = 0;
  for (const char* seed : kSeeds) {
    total += make_mutations(read_test_file(seed), name_seed(seed)).size();
  }
  std::printf("%zu variants over %zu seed files\n", total, sizeof(kSeeds) / sizeof(kSeeds[0]));
  EXPECT_GE(total, 10000u);
}

// The committed PteBuilder programs are what test_programs.cpp builds today.
TEST(StrictnessFuzzTotal, CommittedProgramsUpToDate) {
  EXPECT_EQ(read_test_file("ember_delegate_inline.pte"), delegated_add_program(false));
  EXPECT_EQ(read_test_file("ember_delegate_segment.pte"), delegated_add_program(true));
  EXPECT_EQ(read_test_file("ember_no_kernels.pte"), no_kernel_program());
}

}  // namespace
}  // namespace testing
}  // namespace ember
