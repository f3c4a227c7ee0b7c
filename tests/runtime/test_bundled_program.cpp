// Bundled programs (.bpte): the parser's rejections of malformed files (each
// with the log line that says what is wrong), test inputs loaded into a
// Method, the output comparison (tolerances, exact dtypes, NaN, dim orders,
// kind/dtype/shape/count mismatches), and Module's verify.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>

#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/extension/bundled_program.h"
#include "runtime/extension/bundled_verify.h"
#include "runtime/extension/module.h"
#include "serializer/schema/bundled_program_generated.h"
#include "tests/runtime/test_programs.h"
#include "tests/runtime/test_util.h"

namespace bp = bundled_program_flatbuffer;

namespace ember {
namespace testing {
namespace {

using Fbb = flatbuffers::FlatBufferBuilder;
using ValueOffset = flatbuffers::Offset<bp::Value>;

/// Bytes kept at a 64-byte aligned address (as a file mapping would be).
struct Aligned {
  explicit Aligned(const uint8_t* p, size_t n) : storage(n + 64) {
    base = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64);
    if (n > 0) std::memcpy(base, p, n);
    size = n;
  }
  Span<const uint8_t> span() const { return {base, size}; }
  std::vector<uint8_t> storage;
  uint8_t* base = nullptr;
  size_t size = 0;
};

ValueOffset tensor(Fbb& b, int8_t dtype, std::vector<int32_t> sizes, std::vector<uint8_t> order,
                   const void* data, size_t nbytes) {
  auto s = b.CreateVector(sizes);
  b.ForceVectorAlignment(nbytes, 1, 16);
  auto d = b.CreateVector(static_cast<const uint8_t*>(data), nbytes);
  auto o = b.CreateVector(order);
  return bp::CreateValue(b, bp::ValueUnion::Tensor, bp::CreateTensor(b, dtype, s, d, o).Union());
}

ValueOffset f32(Fbb& b, std::vector<int32_t> sizes, const std::vector<float>& v) {
  std::vector<uint8_t> order(sizes.size());
  for (size_t d = 0; d < order.size(); ++d) order[d] = static_cast<uint8_t>(d);
  return tensor(b, 6, sizes, order, v.data(), v.size() * sizeof(float));
}

using Values = std::vector<ValueOffset>;
/// Builds one test case's inputs and expected outputs.
using CaseFn = std::function<void(Fbb&, Values* inputs, Values* expected)>;

/// A .bpte of `pte` with one suite for `method` of the cases `fns` make.
Aligned bundle(const std::vector<uint8_t>& pte, const std::vector<CaseFn>& fns,
               const char* method = "forward", bool with_program = true) {
  Fbb b;
  std::vector<flatbuffers::Offset<bp::BundledMethodTestCase>> cases;
  for (const CaseFn& fn : fns) {
    Values ins, outs;
    fn(b, &ins, &outs);
    cases.push_back(
        bp::CreateBundledMethodTestCase(b, b.CreateVector(ins), b.CreateVector(outs)));
  }
  auto suite = bp::CreateBundledMethodTestSuite(
      b, method != nullptr ? b.CreateString(method) : 0, b.CreateVector(cases));
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> program = 0;
  if (with_program) {
    b.ForceVectorAlignment(pte.size(), 1, 32);
    program = b.CreateVector(pte);
  }
  bp::FinishBundledProgramBuffer(
      b, bp::CreateBundledProgram(b, 2, b.CreateVector(std::vector{suite}), program));
  return Aligned(b.GetBufferPointer(), b.GetSize());
}

const std::vector<float> kA = {1, 2, 3, 4, 5, 6};
const std::vector<float> kB = {0.5f, -1, 2, 0, 10, -3};

/// add_program's case: a + b, with the sum optionally tampered.
CaseFn add_case(float tamper = 0, size_t at = 4) {
  return [=](Fbb& b, Values* ins, Values* outs) {
    std::vector<float> sum(6);
    for (size_t i = 0; i < 6; ++i) sum[i] = kA[i] + kB[i] + (i == at ? tamper : 0);
    ins->push_back(f32(b, {2, 3}, kA));
    ins->push_back(f32(b, {2, 3}, kB));
    outs->push_back(f32(b, {2, 3}, sum));
  };
}

/// Parse expecting `error`, with a log line containing `needle`.
void expect_rejected(const Aligned& file, Error error, const std::string& needle) {
  LogCapture log;
  Result<BundledProgram> r = BundledProgram::parse(file.span());
  ASSERT_FALSE(r.ok()) << "expected a rejection mentioning '" << needle << "'";
  EXPECT_EQ(r.error(), error);
  EXPECT_TRUE(log.contains(needle)) << log.text();
}

/// A program over the bundle's embedded .pte, with method `forward` loaded.
struct Loaded {
  explicit Loaded(const BundledProgram& bundle)
      : loader(bundle.program_data().data(), bundle.program_data().size()),
        program(Program::load(&loader)) {
    EXPECT_TRUE(program.ok());
    memory.reset(new MethodMemory(*program->method_meta("forward")));
    method.reset(new Result<Method>(program->load_method("forward", &memory->manager)));
    EXPECT_TRUE(method->ok());
  }
  Method& m() { return **method; }
  BufferDataLoader loader;
  Result<Program> program;
  std::unique_ptr<MethodMemory> memory;
  std::unique_ptr<Result<Method>> method;
};

class BundledProgramTest : public ::testing::Test {
 protected:
  void SetUp() override { register_et_two_kernels(); }
};

// A good bundle: the suite, its cases and values, and the program inside.
TEST_F(BundledProgramTest, ParsesAndReads) {
  const std::vector<uint8_t> pte = add_program();
  const Aligned file = bundle(pte, {add_case(), add_case()});
  EXPECT_TRUE(is_bundled_program(file.span()));
  Result<BundledProgram> r = BundledProgram::parse(file.span());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->program_data().size(), pte.size());
  EXPECT_EQ(std::memcmp(r->program_data().data(), pte.data(), pte.size()), 0);
  EXPECT_EQ(r->num_suites(), 1u);
  EXPECT_STREQ(r->suite_method_name(0), "forward");
  EXPECT_EQ(*r->find_suite("forward"), 0u);
  EXPECT_EQ(r->find_suite("backward").error(), Error::NotFound);
  EXPECT_EQ(r->num_test_cases(0), 2u);
  EXPECT_EQ(r->num_inputs(0, 1), 2u);
  EXPECT_EQ(r->num_expected_outputs(0, 1), 1u);
  Result<BundledValue> v = r->input(0, 1, 1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->tag, Tag::Tensor);
  EXPECT_EQ(v->dtype, ScalarType::Float);
  EXPECT_EQ(v->sizes.size(), 2u);
  EXPECT_EQ(v->data.size(), 24u);
  EXPECT_FALSE(r->input(0, 1, 2).ok());
  EXPECT_FALSE(r->input(0, 2, 0).ok());
  EXPECT_FALSE(r->expected_output(1, 0, 0).ok());
  EXPECT_FALSE(is_bundled_program({pte.data(), pte.size()}));
}

TEST_F(BundledProgramTest, RejectsWrongIdentifierAndTinyFiles) {
  const std::vector<uint8_t> pte = add_program();
  expect_rejected(Aligned(pte.data(), pte.size()), Error::VersionMismatch, "not BP08");
  expect_rejected(Aligned(pte.data(), 6), Error::InvalidProgram, "too small");
}

// Cut anywhere, a bundle fails to parse; never a crash.
TEST_F(BundledProgramTest, RejectsEveryTruncation) {
  const Aligned file = bundle(add_program(), {add_case(), add_case()});
  for (size_t n = 0; n < file.size; ++n) {
    const Aligned cut(file.base, n);
    LogCapture quiet;
    EXPECT_FALSE(BundledProgram::parse(cut.span()).ok()) << "length " << n;
  }
}

// Any single corrupted byte either still parses into something every
// accessor handles, or is rejected; never a crash or a read out of bounds.
TEST_F(BundledProgramTest, SurvivesCorruptedBytes) {
  const Aligned file = bundle(add_program(), {add_case()});
  for (size_t at = 0; at < file.size; ++at) {
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      Aligned bad(file.base, file.size);
      bad.base[at] ^= x;
      LogCapture quiet;
      Result<BundledProgram> r = BundledProgram::parse(bad.span());
      if (!r.ok()) continue;
      for (size_t s = 0; s < r->num_suites(); ++s) {
        for (size_t c = 0; c < r->num_test_cases(s); ++c) {
          for (size_t i = 0; i < r->num_inputs(s, c); ++i) EXPECT_TRUE(r->input(s, c, i).ok());
        }
      }
    }
  }
}

TEST_F(BundledProgramTest, RejectsMissingProgramAndMethodName) {
  expect_rejected(bundle(add_program(), {add_case()}, "forward", /*with_program=*/false),
                  Error::InvalidProgram, "holds no program");
  expect_rejected(bundle(add_program(), {add_case()}, nullptr), Error::InvalidProgram,
                  "has no method name");
}

// Each malformed value is rejected with a line naming the method, test
// case, input or expected output, and the fault.
TEST_F(BundledProgramTest, RejectsMalformedValues) {
  const std::vector<uint8_t> pte = add_program();
  const float four[4] = {};
  struct Case {
    const char* needle;
    CaseFn fn;
  };
  const std::vector<Case> cases = {
      {"input 0: unknown dtype 9",
       [&](Fbb& b, Values* in, Values*) { in->push_back(tensor(b, 9, {4}, {0}, four, 16)); }},
      {"input 0: invalid tensor shape",
       [&](Fbb& b, Values* in, Values*) { in->push_back(tensor(b, 6, {-4}, {0}, four, 16)); }},
      {"input 0: invalid tensor shape",  // dim_order not a permutation
       [&](Fbb& b, Values* in, Values*) {
         in->push_back(tensor(b, 6, {2, 2}, {0, 0}, four, 16));
       }},
      {"input 0: invalid tensor shape",  // dim_order of another rank
       [&](Fbb& b, Values* in, Values*) { in->push_back(tensor(b, 6, {4}, {0, 1}, four, 16)); }},
      {"input 0: invalid tensor shape",  // byte size overflows
       [&](Fbb& b, Values* in, Values*) {
         in->push_back(tensor(b, 6, {1 << 30, 1 << 30, 1 << 30}, {0, 1, 2}, four, 16));
       }},
      {"input 0: rank 17 exceeds 16",
       [&](Fbb& b, Values* in, Values*) {
         in->push_back(tensor(b, 6, std::vector<int32_t>(17, 1), {}, four, 4));
       }},
      {"expected output 0: 12 data bytes for a float32 tensor of 16 bytes",
       [&](Fbb& b, Values*, Values* out) { out->push_back(tensor(b, 6, {4}, {0}, four, 12)); }},
      {"input 0: value kind 0 is not",
       [&](Fbb& b, Values* in, Values*) { in->push_back(bp::CreateValue(b)); }},
      {"input 0: tensor value is missing",
       [&](Fbb& b, Values* in, Values*) {
         in->push_back(bp::CreateValue(b, bp::ValueUnion::Tensor, 0));
       }},
      {"input 0: Int is missing",
       [&](Fbb& b, Values* in, Values*) {
         in->push_back(bp::CreateValue(b, bp::ValueUnion::Int, 0));
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.needle);
    expect_rejected(bundle(pte, {add_case(), c.fn}), Error::InvalidProgram,
                    std::string("method 'forward' test case 1 ") + c.needle);
  }
}

// The embedded program must sit 16-byte aligned in memory: a writer that
// ignores the schema's force_align is rejected, not read misaligned.
TEST_F(BundledProgramTest, RejectsMisalignedProgram) {
  const std::vector<uint8_t> pte = add_program();
  bool tried = false;
  for (size_t pad = 1; pad <= 16 && !tried; ++pad) {
    Fbb b;
    auto program = b.CreateVector(pte);  // no ForceVectorAlignment
    b.CreateString(std::string(pad, 'x'));
    bp::FinishBundledProgramBuffer(b, bp::CreateBundledProgram(b, 2, 0, program));
    const Aligned file(b.GetBufferPointer(), b.GetSize());
    const uint8_t* data = bp::GetBundledProgram(file.base)->program()->data();
    if (reinterpret_cast<uintptr_t>(data) % 16 == 0) continue;
    tried = true;
    expect_rejected(file, Error::InvalidProgram, "not 16-byte aligned");
  }
  EXPECT_TRUE(tried);
}

// Inputs go into the method, the outputs match; a tampered expected value
// is found with its element, coordinates and values.
TEST_F(BundledProgramTest, LoadsInputsAndComparesOutputs) {
  const Aligned file = bundle(add_program(), {add_case(), add_case(0.25f, 4)});
  Result<BundledProgram> r = BundledProgram::parse(file.span());
  ASSERT_TRUE(r.ok());
  Loaded l(*r);
  OutputCheck check;
  ASSERT_EQ(r->load_inputs(0, 0, &l.m()), Error::Ok);
  ASSERT_EQ(l.m().execute(), Error::Ok);
  ASSERT_EQ(r->check_outputs(0, 0, l.m(), kDefaultRtol, kDefaultAtol, &check), Error::Ok);
  EXPECT_TRUE(check.matched);
  EXPECT_EQ(check.num_outputs, 1u);
  EXPECT_EQ(check.max_abs_diff, 0.0);

  ASSERT_EQ(r->load_inputs(0, 1, &l.m()), Error::Ok);
  ASSERT_EQ(l.m().execute(), Error::Ok);
  ASSERT_EQ(r->check_outputs(0, 1, l.m(), kDefaultRtol, kDefaultAtol, &check), Error::Ok);
  EXPECT_FALSE(check.matched);
  EXPECT_EQ(check.output, 0u);
  EXPECT_STREQ(check.problem, "");
  EXPECT_EQ(check.element, 4);
  ASSERT_EQ(check.rank, 2);
  EXPECT_EQ(check.coords[0], 1);
  EXPECT_EQ(check.coords[1], 1);
  EXPECT_FLOAT_EQ(check.expected, 15.25f);
  EXPECT_FLOAT_EQ(check.got, 15.0f);
  EXPECT_NEAR(check.abs_diff, 0.25, 1e-6);
  // Within a looser tolerance it matches.
  ASSERT_EQ(r->check_outputs(0, 1, l.m(), 0, 0.3, &check), Error::Ok);
  EXPECT_TRUE(check.matched);
  EXPECT_EQ(r->check_outputs(0, 1, l.m(), -1, 0, &check), Error::InvalidArgument);
  EXPECT_EQ(r->check_outputs(0, 2, l.m(), 0, 0, &check), Error::InvalidArgument);
}

// Inputs that do not fit the method are errors naming the input.
TEST_F(BundledProgramTest, RejectsInputsThatDoNotFit) {
  const int32_t ints[6] = {};
  const std::vector<CaseFn> cases = {
      [](Fbb& b, Values* in, Values*) { in->push_back(f32(b, {2, 3}, kA)); },
      [&](Fbb& b, Values* in, Values*) {
        in->push_back(tensor(b, 3, {2, 3}, {0, 1}, ints, 24));
        in->push_back(f32(b, {2, 3}, kB));
      },
      [](Fbb& b, Values* in, Values*) {
        in->push_back(f32(b, {3, 2}, kA));
        in->push_back(f32(b, {2, 3}, kB));
      },
  };
  const Aligned file = bundle(add_program(), cases);
  Result<BundledProgram> r = BundledProgram::parse(file.span());
  ASSERT_TRUE(r.ok());
  Loaded l(*r);
  LogCapture log;
  EXPECT_EQ(r->load_inputs(0, 0, &l.m()), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("test case 0 has 1 inputs, the method takes 2")) << log.text();
  EXPECT_EQ(r->load_inputs(0, 1, &l.m()), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("dtype int32 given, float32 expected")) << log.text();
  EXPECT_EQ(r->load_inputs(0, 2, &l.m()), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("input 0 does not fit")) << log.text();
  EXPECT_EQ(r->load_inputs(0, 3, &l.m()), Error::InvalidArgument);
}

// Output count, kind, dtype and sizes mismatches are described, not errors.
TEST_F(BundledProgramTest, DescribesStructuralMismatches) {
  const std::vector<float> sum = {1.5f, 1, 5, 4, 15, 3};
  const int64_t longs[6] = {};
  const std::vector<CaseFn> cases = {
      [&](Fbb& b, Values* in, Values* out) {
        add_case()(b, in, out);
        out->push_back(f32(b, {2, 3}, sum));
      },
      [&](Fbb& b, Values* in, Values* out) {
        add_case()(b, in, out);
        out->back() = tensor(b, 4, {2, 3}, {0, 1}, longs, 48);
      },
      [&](Fbb& b, Values* in, Values* out) {
        add_case()(b, in, out);
        out->back() = f32(b, {3, 2}, sum);
      },
      [&](Fbb& b, Values* in, Values* out) {
        add_case()(b, in, out);
        out->back() = bp::CreateValue(b, bp::ValueUnion::Int, bp::CreateInt(b, 3).Union());
      },
  };
  const char* const want[] = {
      "expected 2 outputs, the method returns 1",
      "expected int64 [2, 3], got float32 [2, 3]",
      "expected float32 [3, 2], got float32 [2, 3]",
      "expected kind int, got tensor",
  };
  const Aligned file = bundle(add_program(), cases);
  Result<BundledProgram> r = BundledProgram::parse(file.span());
  ASSERT_TRUE(r.ok());
  Loaded l(*r);
  for (size_t c = 0; c < cases.size(); ++c) {
    OutputCheck check;
    ASSERT_EQ(r->load_inputs(0, c, &l.m()), Error::Ok);
    ASSERT_EQ(l.m().execute(), Error::Ok);
    ASSERT_EQ(r->check_outputs(0, c, l.m(), kDefaultRtol, kDefaultAtol, &check), Error::Ok);
    EXPECT_FALSE(check.matched) << c;
    EXPECT_STREQ(check.problem, want[c]);
  }
}

/// A Tensor over `data` with the given dim order (sizes and strides kept here).
struct TensorHolder {
  TensorHolder(ScalarType t, std::vector<int32_t> s, std::vector<uint8_t> o, void* data)
      : sizes(std::move(s)), order(std::move(o)), strides(sizes.size()),
        tensor(t, static_cast<int32_t>(sizes.size()), sizes.data(), order.data(),
               strides.data(), data) {}
  std::vector<int32_t> sizes;
  std::vector<uint8_t> order;
  std::vector<int32_t> strides;
  Tensor tensor;
};

BundledValue expected_f32(const std::vector<int32_t>& sizes, const std::vector<uint8_t>& order,
                          const std::vector<float>& v) {
  BundledValue e;
  e.tag = Tag::Tensor;
  e.dtype = ScalarType::Float;
  e.sizes = {sizes.data(), sizes.size()};
  e.dim_order = {order.data(), order.size()};
  e.data = {reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4};
  return e;
}

OutputCheck compare(const BundledValue& e, Tensor* t, double rtol, double atol) {
  EValue got;
  got.tag = Tag::Tensor;
  got.payload.as_tensor = t;
  OutputCheck check;
  compare_value(e, got, 0, rtol, atol, &check);
  return check;
}

// Elements compare by logical index whatever each side's dim order; the
// tolerance is relative to the expected value; NaN matches NaN, an infinity
// only itself; integers are exact.
TEST(BundledCompare, TolerancesOrdersNanAndExactDtypes) {
  const std::vector<int32_t> sizes = {2, 3};
  const std::vector<uint8_t> rows = {0, 1}, cols = {1, 0};
  const std::vector<float> e = {1, 2, 3, 4, 5, 6};
  std::vector<float> transposed = {1, 4, 2, 5, 3, 6};  // the same [2, 3] values, dim order 1, 0
  TensorHolder t(ScalarType::Float, sizes, cols, transposed.data());
  EXPECT_TRUE(compare(expected_f32(sizes, rows, e), &t.tensor, 0, 0).matched);
  transposed[3] = 5.01f;  // element [1, 1]
  OutputCheck c = compare(expected_f32(sizes, rows, e), &t.tensor, 1e-3, 0);
  EXPECT_FALSE(c.matched);
  EXPECT_EQ(c.element, 4);
  EXPECT_EQ(c.coords[0], 1);
  EXPECT_EQ(c.coords[1], 1);
  EXPECT_NEAR(c.allowed, 5e-3, 1e-9);
  EXPECT_TRUE(compare(expected_f32(sizes, rows, e), &t.tensor, 3e-3, 0).matched);

  const std::vector<float> special = {NAN, INFINITY, -INFINITY, 0, 0, 0};
  std::vector<float> got = special;
  TensorHolder g(ScalarType::Float, sizes, rows, got.data());
  EXPECT_TRUE(compare(expected_f32(sizes, rows, special), &g.tensor, 0, 0).matched);
  got[1] = -INFINITY;
  c = compare(expected_f32(sizes, rows, special), &g.tensor, 1, 1);
  EXPECT_FALSE(c.matched);
  EXPECT_EQ(c.element, 1);
  EXPECT_TRUE(std::isinf(c.abs_diff));
  got[1] = INFINITY;
  got[0] = 1;
  EXPECT_FALSE(compare(expected_f32(sizes, rows, special), &g.tensor, 1, 1).matched);

  std::vector<int32_t> ints = {7, 8, 9}, ints_got = {7, 8, 10};
  const std::vector<int32_t> three = {3};
  const std::vector<uint8_t> one = {0};
  BundledValue ei;
  ei.tag = Tag::Tensor;
  ei.dtype = ScalarType::Int;
  ei.sizes = {three.data(), 1};
  ei.dim_order = {one.data(), 1};
  ei.data = {reinterpret_cast<const uint8_t*>(ints.data()), 12};
  TensorHolder ti(ScalarType::Int, three, one, ints_got.data());
  c = compare(ei, &ti.tensor, 1, 1);  // tolerances do not apply to integers
  EXPECT_FALSE(c.matched);
  EXPECT_EQ(c.element, 2);
  EXPECT_EQ(c.expected, 9);
  EXPECT_EQ(c.got, 10);
  EXPECT_EQ(c.allowed, 0);
}

// Module loads a .bpte (the program inside runs) and verifies it; a .pte
// has no test cases.
TEST_F(BundledProgramTest, ModuleVerifies) {
  const Aligned file = bundle(add_program(), {add_case(), add_case(1e-3f, 2), add_case()});
  Status st;
  std::unique_ptr<Module> m = Module::load_from_buffer(file.base, file.size, &st);
  ASSERT_NE(m, nullptr) << st.text();
  ASSERT_NE(m->bundled_program(), nullptr);
  EXPECT_EQ(m->method_names(), std::vector<std::string>{"forward"});
  VerifyReport report;
  ASSERT_TRUE(verify_bundled_program(m.get(), "", kDefaultRtol, kDefaultAtol, &report).ok());
  ASSERT_EQ(report.cases.size(), 3u);
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.num_failed(), 1u);
  ASSERT_NE(report.worst(), nullptr);
  EXPECT_EQ(report.worst()->test_case, 1u);
  EXPECT_EQ(report.worst()->describe().rfind("output 0 element 2 [0, 2]: expected 5.00", 0),
            0u)
      << report.worst()->describe();
  ASSERT_TRUE(verify_bundled_program(m.get(), "", 0, 2e-3, &report).ok());
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(verify_bundled_program(m.get(), "backward", 0, 0, &report).error, Error::NotFound);

  const std::vector<uint8_t> pte = add_program();
  m = Module::load_from_buffer(pte.data(), pte.size(), &st);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->bundled_program(), nullptr);
  st = verify_bundled_program(m.get(), "", 0, 0, &report);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message.find("no test cases: not a bundled program"), std::string::npos);

  Aligned cut(file.base, file.size / 2);
  EXPECT_EQ(Module::load_from_buffer(cut.base, cut.size, &st), nullptr);
  EXPECT_NE(st.message.find("failed verification"), std::string::npos) << st.message;
}

}  // namespace
}  // namespace testing
}  // namespace ember
