// Strictness fuzzing: real .pte files (ExecuTorch 1.4.1's and Ember's, with
// and without delegates, blobs inline, in segments and in named data) mutated and truncated in many ways, each variant
// loaded, its methods loaded and executed (test_fuzz_harness.h). Nothing may
// crash (run under ASan/UBSan by scripts/sanitize.sh), every rejection must
// come back as an error code with at least one error log line saying what is
// wrong, and no variant may write into the program image.
//
// Mutations per file (deterministic):
//   1. single bit flips, 2. a few random bytes, 3. byte runs (zeros, 0xFF,
//   random, a repeated word), 4. truncation at every length up to 64 and at
//   many more, 5. extreme values written into located fields: every vector
//   and string length, every table's vtable offset, header fields, segment
//   offsets and sizes, value indices, tensor sizes, allocation offsets, enums.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/backends/test/test_backend.h"
#include "runtime/core/data_loader.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/fuzz/pte_mutator.h"
#include "runtime/kernel/kernel.h"
#include "serializer/schema/program_generated.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_fuzz_harness.h"
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

using fuzz::Rng;

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

// ---- 4. The tests -----------------------------------------------------------

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
  EXPECT_EQ(stats.program_writes, 0u) << stats.writes[0];
}

TEST_P(StrictnessFuzz, MutatedVariantsFailCleanly) {
  const std::vector<uint8_t> file = read_test_file(GetParam());
  ASSERT_FALSE(file.empty()) << GetParam();
  const std::vector<Mutation> mutations = make_mutations(file, name_seed(GetParam()));
  Stats stats;
  std::vector<uint8_t> temp(1 << 20);
  {
    QuietErrors quiet;
    for (const Mutation& m : mutations) {
      run_variant(apply(file, m), std::string(GetParam()) + ": " + m.describe(), &stats, temp);
    }
  }
  stats.print(GetParam());
  RecordProperty("variants", static_cast<int>(stats.variants));
  EXPECT_GE(stats.variants, 1000u);
  EXPECT_TRUE(stats.violations.empty()) << stats.violations.size() << " silent rejections, e.g. "
                                        << stats.violations[0];
  std::string writes;
  for (const std::string& w : stats.writes) writes += "\n  " + w;
  EXPECT_EQ(stats.program_writes, 0u) << "variants wrote into the program image:" << writes;
}

INSTANTIATE_TEST_SUITE_P(Seeds, StrictnessFuzz, ::testing::ValuesIn(kFuzzSeeds, kFuzzSeeds + kNumFuzzSeeds),
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
    {
      QuietErrors quiet;
      run_variant(file, name, &stats, temp);
    }
    EXPECT_TRUE(stats.violations.empty()) << stats.violations[0];
    EXPECT_EQ(stats.program_writes, 0u) << stats.writes[0];
    EXPECT_EQ(stats.execute_rejected, 1u) << name << ": the kernel must refuse the call";
  }
}

/// forward() -> aten::_to_copy.out of a 2-element constant of `from` (raw
/// bytes `value`, repeated) into a planned tensor of `to`.
std::vector<uint8_t> cast_program(ScalarType from, const std::vector<uint8_t>& value,
                                  ScalarType to) {
  PteBuilder b;
  b.buffer_sizes = {0, 16};
  TensorSpec c;
  c.dtype = from;
  c.sizes = {2};
  std::vector<uint8_t> bytes = value;
  bytes.insert(bytes.end(), value.begin(), value.end());
  c.data_buffer_idx = b.add_constant(bytes);
  const int self = b.add_tensor(c);
  const int non_blocking = b.add_bool(false);
  const int memory_format = b.add_null();
  TensorSpec o;
  o.dtype = to;
  o.sizes = {2};
  o.planned = true;
  const int out = b.add_tensor(o);
  b.add_kernel_call(b.add_operator("aten::_to_copy", "out"),
                    {self, non_blocking, memory_format, out, out});
  b.outputs = {out};
  return b.finish();
}

/// The first output element of cast_program(...), widened to int64.
int64_t cast_result(const std::vector<uint8_t>& file) {
  std::unique_ptr<LoadedProgram> p = load_program(file);
  EXPECT_TRUE(p->program.ok());
  if (!p->program.ok()) return 0;
  MethodMemory memory(*p->program->method_meta("forward"));
  Result<Method> m = p->program->load_method("forward", &memory.manager);
  EXPECT_TRUE(m.ok());
  if (!m.ok()) return 0;
  EXPECT_EQ(m->execute(), Error::Ok);
  const Tensor& t = m->get_output(0)->to_tensor();
  switch (t.dtype()) {
    case ScalarType::Char: return t.data_as<const int8_t>()[0];
    case ScalarType::Int: return t.data_as<const int32_t>()[0];
    default: return t.data_as<const int64_t>()[0];
  }
}

// libFuzzer finding 5 (docs/fuzzing.md): the portable casts (op_copy.cpp's
// convert<Out, In>) saturated only float and double sources; a Half or
// BFloat16 NaN, infinity or out-of-range value cast to an integer dtype was a
// float-to-integer conversion of a value the integer cannot hold, which is
// undefined (UBSan: "-nan is outside the range of representable values of
// type 'long'"). A 16-bit float now casts like the float it holds. The values
// agreed on x86 even before: the test catches the fault under clang's UBSan
// (the libFuzzer build); GCC's -fsanitize=undefined in scripts/sanitize.sh
// leaves float-cast-overflow out.
TEST(StrictnessFuzzFindings, HalfAndBFloat16CastToIntegerLikeFloat) {
  ASSERT_EQ(register_portable_kernels(), Error::Ok);
  struct Case {
    uint16_t half_bits, bf16_bits;
    float value;
    ScalarType to;
  };
  const Case cases[] = {
      {0x7E00, 0x7FC0, std::nanf(""), ScalarType::Long},           // NaN
      {0x7C00, 0x7F80, INFINITY, ScalarType::Long},                // +inf
      {0x7BF8, 0x477F, 65280.0f, ScalarType::Char},                // out of int8's range
      {0xFC00, 0xFF80, -INFINITY, ScalarType::Int},                // -inf
  };
  for (const Case& c : cases) {
    uint8_t f[4];
    std::memcpy(f, &c.value, 4);
    const int64_t want = cast_result(cast_program(ScalarType::Float, {f, f + 4}, c.to));
    const uint8_t h[2] = {static_cast<uint8_t>(c.half_bits), static_cast<uint8_t>(c.half_bits >> 8)};
    const uint8_t bf[2] = {static_cast<uint8_t>(c.bf16_bits), static_cast<uint8_t>(c.bf16_bits >> 8)};
    EXPECT_EQ(cast_result(cast_program(ScalarType::Half, {h, h + 2}, c.to)), want) << c.value;
    EXPECT_EQ(cast_result(cast_program(ScalarType::BFloat16, {bf, bf + 2}, c.to)), want) << c.value;
  }
  // The input libFuzzer found (a copy_ from a Half NaN into an int64 tensor).
  const std::vector<uint8_t> file = read_test_file("fuzz_findings/copy_half_nan_to_int64.pte");
  ASSERT_FALSE(file.empty());
  Stats stats;
  std::vector<uint8_t> temp(1 << 20);
  {
    QuietErrors quiet;
    run_variant(file, "copy_half_nan_to_int64.pte", &stats, temp);
  }
  EXPECT_TRUE(stats.violations.empty()) << stats.violations[0];
}

// The brief's floor: at least 10,000 variants over all seeds.
TEST(StrictnessFuzzTotal, AtLeastTenThousandVariants) {
  size_t total = 0;
  for (size_t i = 0; i < kNumFuzzSeeds; ++i) {
    total += make_mutations(read_test_file(kFuzzSeeds[i]), name_seed(kFuzzSeeds[i])).size();
  }
  std::printf("%zu variants over %zu seed files\n", total, kNumFuzzSeeds);
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
