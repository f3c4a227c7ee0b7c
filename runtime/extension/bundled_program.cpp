// Bundled programs: parse and check a .bpte, load a test case's inputs into a
// Method, compare its outputs with the expected ones.
#include "runtime/extension/bundled_program.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "runtime/core/half.h"
#include "runtime/executor/method.h"
#include "serializer/schema/bundled_program_generated.h"

namespace bp = bundled_program_flatbuffer;

namespace ember {
namespace {

// Verifier limits: far above any real bundle, low enough to bound the work.
constexpr flatbuffers::uoffset_t kMaxDepth = 64;
constexpr flatbuffers::uoffset_t kMaxTables = 1u << 24;
constexpr uint8_t kIdentityOrder[kMaxRank] = {0, 1, 2,  3,  4,  5,  6,  7,
                                              8, 9, 10, 11, 12, 13, 14, 15};

template <typename T>
uint32_t count(const flatbuffers::Vector<T>* v) {
  return v != nullptr ? v->size() : 0;
}

const bp::BundledMethodTestCase* test_case_at(const bp::BundledProgram* root, size_t suite,
                                              size_t test_case) {
  if (suite >= count(root->method_test_suites())) return nullptr;
  const auto* cases = root->method_test_suites()->Get(static_cast<uint32_t>(suite))->test_cases();
  if (test_case >= count(cases)) return nullptr;
  return cases->Get(static_cast<uint32_t>(test_case));
}

/// Read a flatbuffer Value into `out` and check it, naming it by `where`.
Error read_value(const bp::Value* v, const char* where, BundledValue* out) {
  BundledValue r;
  switch (v->val_type()) {
    case bp::ValueUnion::Tensor: {
      const bp::Tensor* t = v->val_as_Tensor();
      EMBER_CHECK(t != nullptr, Error::InvalidProgram, "%s: tensor value is missing", where);
      EMBER_CHECK(is_valid_scalar_type(t->scalar_type()), Error::InvalidProgram,
                  "%s: unknown dtype %d", where, static_cast<int>(t->scalar_type()));
      r.tag = Tag::Tensor;
      r.dtype = static_cast<ScalarType>(t->scalar_type());
      if (t->sizes() != nullptr) r.sizes = {t->sizes()->data(), t->sizes()->size()};
      EMBER_CHECK(r.sizes.size() <= static_cast<size_t>(kMaxRank), Error::InvalidProgram,
                  "%s: rank %zu exceeds %d", where, r.sizes.size(), kMaxRank);
      r.dim_order = t->dim_order() != nullptr
                        ? Span<const uint8_t>(t->dim_order()->data(), t->dim_order()->size())
                        : Span<const uint8_t>(kIdentityOrder, r.sizes.size());
      size_t nbytes = 0;
      const Error shape = check_tensor_shape(r.dtype, r.sizes, r.dim_order, &nbytes);
      EMBER_CHECK(shape == Error::Ok, Error::InvalidProgram, "%s: invalid tensor shape", where);
      const size_t have = count(t->data());
      EMBER_CHECK(have >= nbytes, Error::InvalidProgram,
                  "%s: %zu data bytes for a %s tensor of %zu bytes", where, have,
                  scalar_type_name(r.dtype), nbytes);
      r.data = {nbytes > 0 ? t->data()->data() : nullptr, nbytes};
      break;
    }
    case bp::ValueUnion::Int:
      EMBER_CHECK(v->val_as_Int() != nullptr, Error::InvalidProgram, "%s: Int is missing", where);
      r.tag = Tag::Int;
      r.int_value = v->val_as_Int()->int_val();
      break;
    case bp::ValueUnion::Bool:
      EMBER_CHECK(v->val_as_Bool() != nullptr, Error::InvalidProgram, "%s: Bool is missing",
                  where);
      r.tag = Tag::Bool;
      r.bool_value = v->val_as_Bool()->bool_val();
      break;
    case bp::ValueUnion::Double:
      EMBER_CHECK(v->val_as_Double() != nullptr, Error::InvalidProgram, "%s: Double is missing",
                  where);
      r.tag = Tag::Double;
      r.double_value = v->val_as_Double()->double_val();
      break;
    default:
      EMBER_LOG(Error, "%s: value kind %u is not a tensor, int, bool or double", where,
                static_cast<unsigned>(v->val_type()));
      return Error::InvalidProgram;
  }
  if (out != nullptr) *out = r;
  return Error::Ok;
}

/// Check every value of a list; `what` is "input" or "expected output".
Error check_values(const flatbuffers::Vector<flatbuffers::Offset<bp::Value>>* values,
                   const char* method, uint32_t test_case, const char* what) {
  for (uint32_t i = 0; i < count(values); ++i) {
    char where[160];
    std::snprintf(where, sizeof where, "method '%.64s' test case %u %s %u", method, test_case,
                  what, i);
    EMBER_TRY(read_value(values->Get(i), where, nullptr));
  }
  return Error::Ok;
}

bool is_floating(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double || t == ScalarType::Half ||
         t == ScalarType::BFloat16;
}

/// Element `i` of a tensor's bytes as a double (memcpy: the data may be unaligned).
double element_as_double(ScalarType t, const uint8_t* base, size_t i) {
  const size_t n = element_size(t);
  const uint8_t* p = base + i * n;
  uint64_t raw = 0;
  std::memcpy(&raw, p, n);  // little-endian host (program.cpp checks)
  switch (t) {
    case ScalarType::Float: { float f; std::memcpy(&f, p, 4); return f; }
    case ScalarType::Double: { double d; std::memcpy(&d, p, 8); return d; }
    case ScalarType::Half: return Half::to_float(static_cast<uint16_t>(raw));
    case ScalarType::BFloat16: return BFloat16::to_float(static_cast<uint16_t>(raw));
    case ScalarType::Char: return static_cast<int8_t>(raw);
    case ScalarType::Short: return static_cast<int16_t>(raw);
    case ScalarType::Int:
    case ScalarType::QInt32: return static_cast<int32_t>(raw);
    case ScalarType::Long: return static_cast<double>(static_cast<int64_t>(raw));
    default: return static_cast<double>(raw);  // unsigned, bool and quantized bytes
  }
}

enum class Fold : uint8_t { Match, Mismatch, NewWorst };

/// Fold one element pair into `check`. Exact dtypes (`floating` false)
/// match when their bytes are equal; rtol and atol apply to the others.
Fold fold_element(bool floating, double e, double g, bool bytes_equal, double rtol, double atol,
                  OutputCheck* check, size_t output, int64_t element) {
  double diff = std::fabs(g - e), allowed = 0;
  bool ok = bytes_equal;
  if (floating && (std::isnan(e) || std::isnan(g))) {
    ok = std::isnan(e) && std::isnan(g);
    diff = ok ? 0 : INFINITY;
  } else if (floating && (std::isinf(e) || std::isinf(g))) {
    ok = e == g;
    diff = ok ? 0 : INFINITY;
  } else if (floating) {
    allowed = atol + rtol * std::fabs(e);
    ok = diff <= allowed;
  }
  if (std::isfinite(diff) && diff > check->max_abs_diff) check->max_abs_diff = diff;
  if (ok) return Fold::Match;
  // The worst so far: a structural problem stays; else the larger excess.
  const bool first = check->matched;
  check->matched = false;
  if (check->problem[0] != '\0') return Fold::Mismatch;
  if (!first && !(diff - allowed > check->abs_diff - check->allowed)) return Fold::Mismatch;
  check->output = output;
  check->element = element;
  check->rank = 0;
  check->expected = e;
  check->got = g;
  check->abs_diff = diff;
  check->allowed = allowed;
  return Fold::NewWorst;
}

void set_problem(OutputCheck* check, size_t output, const char* fmt, const char* a,
                 const char* b) {
  const bool first_problem = check->problem[0] == '\0';
  check->matched = false;
  if (!first_problem) return;
  check->output = output;
  check->element = -1;
  std::snprintf(check->problem, sizeof check->problem, fmt, a, b);
}

void format_shape(ScalarType t, Span<const int32_t> sizes, char* buf, size_t n) {
  size_t used = static_cast<size_t>(std::snprintf(buf, n, "%s [", scalar_type_name(t)));
  for (size_t d = 0; d < sizes.size() && used < n; ++d) {
    used += static_cast<size_t>(
        std::snprintf(buf + used, n - used, d ? ", %d" : "%d", static_cast<int>(sizes[d])));
  }
  if (used < n) std::snprintf(buf + used, n - used, "]");
}

/// Strides (in elements) of a dim-ordered layout.
void strides_of(Span<const int32_t> sizes, Span<const uint8_t> order, int64_t* strides) {
  int64_t running = 1;
  for (size_t k = sizes.size(); k-- > 0;) {
    strides[order[k]] = running;
    running *= sizes[order[k]] > 1 ? sizes[order[k]] : 1;
  }
}

void compare_tensor(const BundledValue& e, const Tensor& g, size_t output, double rtol,
                    double atol, OutputCheck* check) {
  bool same_sizes = g.dim() == static_cast<int32_t>(e.sizes.size());
  for (int32_t d = 0; same_sizes && d < g.dim(); ++d) same_sizes = g.sizes()[d] == e.sizes[d];
  if (g.dtype() != e.dtype || !same_sizes) {
    char want[96], have[96];
    format_shape(e.dtype, e.sizes, want, sizeof want);
    format_shape(g.dtype(), g.sizes(), have, sizeof have);
    set_problem(check, output, "expected %s, got %s", want, have);
    return;
  }
  const size_t rank = e.sizes.size();
  const int64_t numel = g.numel();
  if (numel > 0 && g.data() == nullptr) {
    set_problem(check, output, "%s%s", "the output tensor has no data", "");
    return;
  }
  int64_t es[kMaxRank], gs[kMaxRank];
  strides_of(e.sizes, e.dim_order, es);
  strides_of(g.sizes(), g.dim_order(), gs);
  const int64_t elem = static_cast<int64_t>(element_size(e.dtype));
  const uint8_t* gdata = static_cast<const uint8_t*>(g.data());
  const bool floating = is_floating(e.dtype);
  // Logical (row-major) order: an odometer over the coordinates, each side
  // read at its own dim order's offset.
  int32_t idx[kMaxRank] = {};
  for (int64_t n = 0; n < numel; ++n) {
    int64_t eo = 0, go = 0;
    for (size_t d = 0; d < rank; ++d) {
      eo += idx[d] * es[d];
      go += idx[d] * gs[d];
    }
    const uint8_t* ep = e.data.data() + eo * elem;
    const uint8_t* gp = gdata + go * elem;
    const bool equal = std::memcmp(ep, gp, static_cast<size_t>(elem)) == 0;
    if ((!equal || floating) &&
        fold_element(floating, element_as_double(e.dtype, ep, 0),
                     element_as_double(e.dtype, gp, 0), equal, rtol, atol, check, output,
                     n) == Fold::NewWorst) {
      check->rank = static_cast<int32_t>(rank);
      std::memcpy(check->coords, idx, rank * sizeof(int32_t));
    }
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < e.sizes[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace

bool is_bundled_program(Span<const uint8_t> head) {
  return head.size() >= 8 && std::memcmp(head.data() + 4, bp::BundledProgramIdentifier(), 4) == 0;
}

Result<BundledProgram> BundledProgram::parse(DataLoader* loader) {
  EMBER_CHECK(loader != nullptr, Error::InvalidArgument, "null data loader");
  Result<Span<const uint8_t>> all = loader->load(0, loader->size());
  if (!all.ok()) return all.error();
  return parse(*all);
}

Result<BundledProgram> BundledProgram::parse(Span<const uint8_t> data) {
  // 1. Identifier and structure.
  EMBER_CHECK(data.size() >= 8, Error::InvalidProgram,
              "file too small for a bundled program (%zu bytes)", data.size());
  EMBER_CHECK(is_bundled_program(data), Error::VersionMismatch,
              "file identifier is not BP08: not a bundled program");
  EMBER_CHECK(data.size() < FLATBUFFERS_MAX_BUFFER_SIZE, Error::InvalidProgram,
              "bundled program too large (%zu bytes)", data.size());
  flatbuffers::Verifier verifier(data.data(), data.size(), kMaxDepth, kMaxTables);
  EMBER_CHECK(bp::VerifyBundledProgramBuffer(verifier), Error::InvalidProgram,
              "the bundled program failed verification (corrupt or truncated .bpte)");
  BundledProgram b;
  b.root_ = bp::GetBundledProgram(data.data());

  // 2. The embedded program.
  const auto* program = b.root_->program();
  EMBER_CHECK(program != nullptr && program->size() >= 8, Error::InvalidProgram,
              "the bundled program holds no program");
  EMBER_CHECK(reinterpret_cast<uintptr_t>(program->data()) % 16 == 0, Error::InvalidProgram,
              "the embedded program is not 16-byte aligned (at offset %zu)",
              static_cast<size_t>(program->data() - data.data()));
  b.program_ = {program->data(), program->size()};

  // 3. Every suite, test case and value, so that accessors can trust them.
  const auto* suites = b.root_->method_test_suites();
  for (uint32_t s = 0; s < count(suites); ++s) {
    const bp::BundledMethodTestSuite* suite = suites->Get(s);
    EMBER_CHECK(suite->method_name() != nullptr, Error::InvalidProgram,
                "test suite %u has no method name", s);
    const char* name = suite->method_name()->c_str();
    for (uint32_t c = 0; c < count(suite->test_cases()); ++c) {
      const bp::BundledMethodTestCase* tc = suite->test_cases()->Get(c);
      EMBER_TRY(check_values(tc->inputs(), name, c, "input"));
      EMBER_TRY(check_values(tc->expected_outputs(), name, c, "expected output"));
    }
  }
  return b;
}

size_t BundledProgram::num_suites() const { return count(root_->method_test_suites()); }

const char* BundledProgram::suite_method_name(size_t suite) const {
  if (suite >= num_suites()) return "";
  return root_->method_test_suites()->Get(static_cast<uint32_t>(suite))->method_name()->c_str();
}

Result<size_t> BundledProgram::find_suite(const char* method_name) const {
  EMBER_CHECK(method_name != nullptr, Error::InvalidArgument, "null method name");
  for (size_t s = 0; s < num_suites(); ++s) {
    if (std::strcmp(suite_method_name(s), method_name) == 0) return s;
  }
  EMBER_LOG(Error, "the bundled program has no test cases for method '%.64s'", method_name);
  return Error::NotFound;
}

size_t BundledProgram::num_test_cases(size_t suite) const {
  if (suite >= num_suites()) return 0;
  return count(root_->method_test_suites()->Get(static_cast<uint32_t>(suite))->test_cases());
}

size_t BundledProgram::num_inputs(size_t suite, size_t test_case) const {
  const bp::BundledMethodTestCase* tc = test_case_at(root_, suite, test_case);
  return tc != nullptr ? count(tc->inputs()) : 0;
}

size_t BundledProgram::num_expected_outputs(size_t suite, size_t test_case) const {
  const bp::BundledMethodTestCase* tc = test_case_at(root_, suite, test_case);
  return tc != nullptr ? count(tc->expected_outputs()) : 0;
}

Result<BundledValue> BundledProgram::value(size_t suite, size_t test_case, size_t i,
                                           bool input) const {
  const bp::BundledMethodTestCase* tc = test_case_at(root_, suite, test_case);
  EMBER_CHECK(tc != nullptr, Error::InvalidArgument, "test suite %zu has no test case %zu",
              suite, test_case);
  const auto* values = input ? tc->inputs() : tc->expected_outputs();
  EMBER_CHECK(i < count(values), Error::InvalidArgument, "test case %zu has %u %s, not %zu",
              test_case, count(values), input ? "inputs" : "expected outputs", i + 1);
  BundledValue v;
  EMBER_TRY(read_value(values->Get(static_cast<uint32_t>(i)), "bundled value", &v));
  return v;
}

Result<BundledValue> BundledProgram::input(size_t suite, size_t test_case, size_t i) const {
  return value(suite, test_case, i, /*input=*/true);
}

Result<BundledValue> BundledProgram::expected_output(size_t suite, size_t test_case,
                                                     size_t i) const {
  return value(suite, test_case, i, /*input=*/false);
}

Error BundledProgram::load_inputs(size_t suite, size_t test_case, Method* method) const {
  EMBER_CHECK(method != nullptr, Error::InvalidArgument, "null method");
  EMBER_CHECK(test_case < num_test_cases(suite), Error::InvalidArgument,
              "method '%.64s' has %zu test cases, not %zu", suite_method_name(suite),
              num_test_cases(suite), test_case + 1);
  const size_t n = num_inputs(suite, test_case);
  EMBER_CHECK(n == method->num_inputs(), Error::InvalidArgument,
              "method '%.64s' test case %zu has %zu inputs, the method takes %zu",
              suite_method_name(suite), test_case, n, method->num_inputs());
  for (size_t i = 0; i < n; ++i) {
    Result<BundledValue> v = input(suite, test_case, i);
    if (!v.ok()) return v.error();
    Error e = Error::Ok;
    if (v->tag == Tag::Tensor) {
      // The method copies (planned) or binds (unplanned) the data; the
      // Tensor's own arrays only need to live through the call.
      int32_t sizes[kMaxRank], strides[kMaxRank];
      uint8_t order[kMaxRank];
      const size_t rank = v->sizes.size();
      std::memcpy(sizes, v->sizes.data(), rank * sizeof(int32_t));
      std::memcpy(order, v->dim_order.data(), rank);
      Tensor t(v->dtype, static_cast<int32_t>(rank), sizes, order, strides,
               const_cast<uint8_t*>(v->data.data()));
      e = method->set_input(i, t);
    } else {
      EValue ev;
      ev.tag = v->tag;
      if (v->tag == Tag::Int) ev.payload.as_int = v->int_value;
      if (v->tag == Tag::Double) ev.payload.as_double = v->double_value;
      if (v->tag == Tag::Bool) ev.payload.as_bool = v->bool_value;
      e = method->set_input(i, ev);
    }
    EMBER_CHECK(e == Error::Ok, e, "method '%.64s' test case %zu: input %zu does not fit the "
                "method", suite_method_name(suite), test_case, i);
  }
  return Error::Ok;
}

void compare_value(const BundledValue& expected, const EValue& got, size_t output, double rtol,
                   double atol, OutputCheck* check) {
  static const char* const kKinds[] = {"none", "None", "int", "bool", "double", "tensor",
                                       "string", "int list", "double list", "bool list",
                                       "tensor list", "optional tensor list"};
  const auto kind = [](Tag t) {
    const size_t k = static_cast<size_t>(t);
    return k < sizeof kKinds / sizeof kKinds[0] ? kKinds[k] : "unknown";
  };
  ++check->num_outputs;
  if (expected.tag != got.tag) {
    set_problem(check, output, "expected kind %s, got %s", kind(expected.tag), kind(got.tag));
    return;
  }
  switch (expected.tag) {
    case Tag::Tensor:
      compare_tensor(expected, got.to_tensor(), output, rtol, atol, check);
      break;
    case Tag::Int:
      fold_element(false, static_cast<double>(expected.int_value),
                   static_cast<double>(got.to_int()), expected.int_value == got.to_int(), rtol,
                   atol, check, output, 0);
      break;
    case Tag::Bool:
      fold_element(false, expected.bool_value, got.to_bool(),
                   expected.bool_value == got.to_bool(), rtol, atol, check, output, 0);
      break;
    default:  // Double
      fold_element(true, expected.double_value, got.to_double(), false, rtol, atol, check,
                   output, 0);
      break;
  }
}

Error BundledProgram::check_outputs(size_t suite, size_t test_case, const Method& method,
                                    double rtol, double atol, OutputCheck* check) const {
  EMBER_CHECK(check != nullptr, Error::InvalidArgument, "null OutputCheck");
  EMBER_CHECK(rtol >= 0 && atol >= 0, Error::InvalidArgument,
              "tolerances must be >= 0 (rtol %g, atol %g)", rtol, atol);
  EMBER_CHECK(test_case < num_test_cases(suite), Error::InvalidArgument,
              "method '%.64s' has %zu test cases, not %zu", suite_method_name(suite),
              num_test_cases(suite), test_case + 1);
  const size_t n = num_expected_outputs(suite, test_case);
  EMBER_CHECK(n > 0, Error::NotFound, "method '%.64s' test case %zu has no expected outputs",
              suite_method_name(suite), test_case);
  *check = OutputCheck();
  if (n != method.num_outputs()) {
    char want[24], have[24];
    std::snprintf(want, sizeof want, "%zu", n);
    std::snprintf(have, sizeof have, "%zu", method.num_outputs());
    set_problem(check, 0, "expected %s outputs, the method returns %s", want, have);
    return Error::Ok;
  }
  for (size_t i = 0; i < n; ++i) {
    Result<BundledValue> e = expected_output(suite, test_case, i);
    if (!e.ok()) return e.error();
    compare_value(*e, *method.get_output(i), i, rtol, atol, check);
  }
  return Error::Ok;
}

}  // namespace ember
