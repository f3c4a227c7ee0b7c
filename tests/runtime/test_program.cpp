// Program loading: the header checks, the reference ExecuTorch files, the
// verifier, constant data, and corrupted files that must fail cleanly.
#include <gtest/gtest.h>

#include <cstring>

#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/kernel/kernel.h"
#include "tests/runtime/pte_builder.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

void put_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); }

// et_two.pte's header as ExecuTorch 1.4.1 wrote it.
TEST(ProgramHeader, ParsesReferenceFile) {
  const std::vector<uint8_t> bytes = read_test_file("et_two.pte");
  ASSERT_EQ(bytes.size(), 2056u);
  Result<ProgramHeader> h = parse_program_header({bytes.data(), 64}, bytes.size());
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->has_extended_header);
  EXPECT_EQ(h->program_size, 2016u);
  EXPECT_EQ(h->segment_base_offset, 2048u);
  EXPECT_EQ(h->segment_data_size, 8u);
}

// Not ET12 at bytes 4..7: VersionMismatch, from the parser and from load.
TEST(ProgramHeader, WrongIdentifier) {
  std::vector<uint8_t> bytes = read_test_file("et_two.pte");
  std::memcpy(bytes.data() + 4, "ET11", 4);
  EXPECT_EQ(parse_program_header({bytes.data(), 64}, bytes.size()).error(), Error::VersionMismatch);
  EXPECT_EQ(load_program(bytes)->program.error(), Error::VersionMismatch);
}

// A file cut anywhere fails with InvalidProgram, never a crash.
TEST(ProgramHeader, Truncated) {
  const std::vector<uint8_t> full = read_test_file("et_two.pte");
  for (size_t n : {0, 4, 7, 8, 12, 20, 39, 40, 100, 1000, 2015, 2016, 2050}) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    auto loaded = load_program(cut);
    Result<Program>& p = loaded->program;
    EXPECT_FALSE(p.ok()) << "length " << n;
    EXPECT_EQ(p.error(), Error::InvalidProgram) << "length " << n;
  }
}

// Header fields that point outside the file are rejected.
TEST(ProgramHeader, LyingSizes) {
  const std::vector<uint8_t> good = read_test_file("et_two.pte");
  std::vector<uint8_t> b = good;
  put_u64(b, 16, good.size() + 1);  // program_size past the end
  EXPECT_EQ(load_program(b)->program.error(), Error::InvalidProgram);
  b = good;
  put_u64(b, 16, 8);  // program_size inside the header
  EXPECT_EQ(load_program(b)->program.error(), Error::InvalidProgram);
  b = good;
  put_u64(b, 24, good.size() + 128);  // segment base past the end
  EXPECT_EQ(load_program(b)->program.error(), Error::InvalidProgram);
  b = good;
  put_u64(b, 24, 1024);  // segment base inside the flatbuffer
  EXPECT_EQ(load_program(b)->program.error(), Error::InvalidProgram);
  b = good;
  put_u64(b, 32, UINT64_MAX - 100);  // segment data size that overflows
  EXPECT_EQ(load_program(b)->program.error(), Error::InvalidProgram);
  b = good;
  const uint32_t short_len = 16;
  std::memcpy(b.data() + 12, &short_len, 4);  // header length below 24
  EXPECT_EQ(load_program(b)->program.error(), Error::InvalidProgram);
  b = good;
  const uint32_t huge_len = 0xFFFFFFF0u;
  std::memcpy(b.data() + 12, &huge_len, 4);
  EXPECT_EQ(load_program(b)->program.error(), Error::InvalidProgram);
}

// Both reference files load; the method metadata matches et_ref.txt.
TEST(Program, LoadsReferenceFiles) {
  auto cnn = load_program(read_test_file("et_cnn.pte"));
  ASSERT_TRUE(cnn->program.ok());
  ASSERT_EQ(cnn->program->num_methods(), 1u);
  EXPECT_STREQ(*cnn->program->get_method_name(0), "forward");
  Result<MethodMeta> meta = cnn->program->method_meta("forward");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->num_inputs(), 1u);
  EXPECT_EQ(meta->num_outputs(), 1u);
  Result<TensorInfo> in = meta->input_tensor_info(0);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->dtype, ScalarType::Float);
  ASSERT_EQ(in->sizes.size(), 4u);
  EXPECT_EQ(in->sizes[1], 3);
  EXPECT_EQ(in->nbytes, 3u * 16 * 16 * 4);
  EXPECT_TRUE(in->is_planned);
  Result<TensorInfo> out = meta->output_tensor_info(0);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->sizes[1], 10);
  ASSERT_EQ(meta->num_planned_buffers(), 1u);
  EXPECT_EQ(*meta->planned_buffer_size(0), 16384);
  ASSERT_EQ(meta->num_operators(), 7u);
  EXPECT_STREQ(meta->operator_name(0)->name, "aten::convolution");
  EXPECT_STREQ(meta->operator_name(0)->overload, "out");
  EXPECT_EQ(meta->num_instructions(), 9u);
  EXPECT_FALSE(meta->input_tensor_info(1).ok());
  EXPECT_EQ(cnn->program->method_meta("backward").error(), Error::NotFound);

  auto two = load_program(read_test_file("et_two.pte"));
  ASSERT_TRUE(two->program.ok());
  Result<MethodMeta> m2 = two->program->method_meta("forward");
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->num_inputs(), 2u);
  EXPECT_EQ(m2->num_outputs(), 2u);
  EXPECT_EQ(*m2->planned_buffer_size(0), 160);
}

// Constants resolve into the constant segment: et_two's constant 2 (int64).
TEST(Program, ConstantSegment) {
  auto two = load_program(read_test_file("et_two.pte"));
  ASSERT_TRUE(two->program.ok());
  Result<const void*> c = two->program->constant_data(1, 8);
  ASSERT_TRUE(c.ok());
  int64_t v;
  std::memcpy(&v, *c, 8);
  EXPECT_EQ(v, 2);
  EXPECT_FALSE(two->program->constant_data(1, 9).ok());   // past the segment
  EXPECT_FALSE(two->program->constant_data(99, 1).ok());  // no such buffer
}

// Legacy inline constant buffers (no extended header) are read too.
TEST(Program, LegacyConstantBuffer) {
  PteBuilder b;
  const uint32_t c = b.add_constant(float_bytes({1.5f, 2.5f}));
  TensorSpec t;
  t.sizes = {2};
  t.data_buffer_idx = c;
  b.outputs = {b.add_tensor(t)};
  auto p = load_program(b.finish(/*extended_header=*/false));
  ASSERT_TRUE(p->program.ok());
  EXPECT_FALSE(p->program->header().has_extended_header);
  Result<const void*> data = p->program->constant_data(c, 8);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(static_cast<const float*>(*data)[1], 2.5f);
  EXPECT_FALSE(p->program->constant_data(c, 12).ok());
}

// Flipping bytes anywhere in a real file never crashes load, load_method or
// execute (run this under EMBER_SANITIZE=ON to check memory safety too).
TEST(Program, CorruptedFilesFailCleanly) {
  register_et_two_kernels();  // the portable kernels when built
  platform::set_log_level(platform::LogLevel::Fatal);  // thousands of expected errors
  const std::vector<uint8_t> good = read_test_file("et_cnn.pte");
  uint64_t rng = 12345;
  int loaded = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> b = good;
    for (int k = 0; k < 1 + trial % 4; ++k) {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      const size_t at = static_cast<size_t>((rng >> 33) % b.size());
      b[at] = static_cast<uint8_t>(rng >> 13);
    }
    auto p = load_program(b);
    if (!p->program.ok()) continue;
    for (size_t m = 0; m < p->program->num_methods(); ++m) {
      Result<MethodMeta> meta = p->program->method_meta(*p->program->get_method_name(m));
      if (!meta.ok()) continue;
      MethodMemory mem(*meta, meta->method_memory_bound(), 0, 1 << 16);
      Result<Method> method = p->program->load_method(meta->name(), &mem.manager);
      if (!method.ok()) continue;
      ++loaded;
      // Whatever loaded must also run (or fail) without touching memory out of bounds.
      for (size_t i = 0; i < method->num_inputs(); ++i) {
        const EValue* in = method->get_input(i);
        if (in->is_tensor() && in->to_tensor().data() != nullptr) {
          std::memset(in->to_tensor().mutable_data(), 0, in->to_tensor().nbytes());
        }
      }
      method->execute();
    }
  }
  platform::set_log_level(platform::LogLevel::Error);
  // Most flips hit data the verifier cannot judge (weights, sizes): those must load or fail cleanly.
  RecordProperty("methods_loaded", loaded);
  if (has_kernel("aten::convolution.out")) {
    EXPECT_GT(loaded, 0);
  }
}

}  // namespace
}  // namespace testing
}  // namespace ember
