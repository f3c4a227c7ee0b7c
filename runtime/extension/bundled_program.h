// Bundled programs (.bpte): a .pte plus, per method, test cases of inputs and
// expected outputs, in ExecuTorch's BundledProgram format (file identifier
// BP08), for checking a model on the device it ships to. Heap-free like the
// core: a BundledProgram is a view over the caller's bytes, verified once at
// parse, and the Method under test lives in the caller's memory.
//
//   Result<BundledProgram> bundle = BundledProgram::parse(&file_loader);
//   Span<const uint8_t> pte = bundle->program_data();
//   BufferDataLoader pte_loader(pte.data(), pte.size());
//   Result<Program> program = Program::load(&pte_loader);
//   Result<Method> m = program->load_method("forward", &memory);
//   Result<size_t> suite = bundle->find_suite("forward");
//   for (size_t c = 0; c < bundle->num_test_cases(*suite); ++c) {
//     bundle->load_inputs(*suite, c, &*m);
//     m->execute();
//     OutputCheck check;
//     bundle->check_outputs(*suite, c, *m, kDefaultRtol, kDefaultAtol, &check);
//     if (!check.matched) { /* check.output, check.element, check.expected, check.got */ }
//   }
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/core/data_loader.h"
#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/scalar_type.h"
#include "runtime/core/span.h"
#include "runtime/core/tensor.h"

namespace bundled_program_flatbuffer {
struct BundledProgram;
}

namespace ember {

class Method;

/// ExecuTorch's default tolerances (its C++ verify_method_outputs and its
/// Python binding): an element matches when |got - expected| <= atol +
/// rtol * |expected|, the rule of torch.allclose(got, expected).
constexpr double kDefaultRtol = 1e-5;
constexpr double kDefaultAtol = 1e-8;

/// True when `head` (the file's first bytes, at least 8) carries the bundled
/// program identifier BP08 at bytes 4..7.
bool is_bundled_program(Span<const uint8_t> head);

/// One input or expected output of a test case, pointing into the bundle.
/// A tensor's bytes are in the memory order of its dim order; `data` holds
/// exactly its numel * element size bytes (a file may store more: the rest is
/// not shown) and may be unaligned, so read it with memcpy.
struct BundledValue {
  Tag tag = Tag::None;  ///< Tensor, Int, Double or Bool
  ScalarType dtype = ScalarType::Float;
  Span<const int32_t> sizes;
  Span<const uint8_t> dim_order;  ///< 0..dim-1 when the file gives none
  Span<const uint8_t> data;
  int64_t int_value = 0;
  double double_value = 0.0;
  bool bool_value = false;
};

/// How a test case's outputs compare with the expected ones.
struct OutputCheck {
  bool matched = true;       ///< every output within tolerance
  size_t num_outputs = 0;    ///< outputs compared
  double max_abs_diff = 0;   ///< largest |got - expected| over every element compared
  /// The worst difference, when !matched: the first output whose kind,
  /// dtype or sizes differ (described in `problem`), else the element the
  /// furthest beyond its allowed error over all outputs.
  size_t output = 0;
  char problem[224] = {};    ///< empty for an element difference
  int64_t element = -1;      ///< its index in row-major (logical) order
  int32_t rank = 0;
  int32_t coords[kMaxRank] = {};  ///< its coordinates, `rank` of them
  double expected = 0;
  double got = 0;
  double abs_diff = 0;       ///< |got - expected|; infinite when one side is NaN
  double allowed = 0;        ///< atol + rtol * |expected|; 0 for integer and bool dtypes
};

/// A parsed .bpte. Copyable and movable; it borrows the bytes, which must
/// outlive it (and everything loaded from program_data()) and should be
/// 16-byte aligned, as for a .pte.
class BundledProgram {
 public:
  /// Verify the whole flatbuffer (bounded depth and table count) and every
  /// test value in it: value kinds, dtypes, ranks, sizes, dim orders and data
  /// sizes, and that the embedded program is present and 16-byte aligned.
  /// VersionMismatch if the identifier is not BP08, InvalidProgram for
  /// anything malformed (a log line says what and where).
  static Result<BundledProgram> parse(Span<const uint8_t> data);
  /// Load the whole source from `loader`, then parse as above.
  static Result<BundledProgram> parse(DataLoader* loader);

  /// The embedded .pte, for Program::load (through a BufferDataLoader).
  Span<const uint8_t> program_data() const { return program_; }

  /// Test suites: one per method, in file order (ExecuTorch sorts them by name).
  size_t num_suites() const;
  const char* suite_method_name(size_t suite) const;
  /// The suite of method `name`; NotFound if the bundle has none.
  Result<size_t> find_suite(const char* method_name) const;
  size_t num_test_cases(size_t suite) const;
  size_t num_inputs(size_t suite, size_t test_case) const;
  size_t num_expected_outputs(size_t suite, size_t test_case) const;
  Result<BundledValue> input(size_t suite, size_t test_case, size_t i) const;
  Result<BundledValue> expected_output(size_t suite, size_t test_case, size_t i) const;

  /// Set every input of `method` from the test case: the counts must agree,
  /// and each value must fit the method's input (Method::set_input's rules).
  /// Planned inputs are copied; unplanned ones are bound to the bundle's
  /// bytes, which must then outlive execute().
  Error load_inputs(size_t suite, size_t test_case, Method* method) const;

  /// Compare the outputs of `method` (after execute()) with the test case's
  /// expected outputs within `rtol` and `atol` (>= 0) and fill `check`.
  /// Returns Ok whenever the comparison ran, matched or not; NotFound if the
  /// test case has no expected outputs, InvalidArgument for bad indices or
  /// tolerances. Floating-point dtypes (float32, float64, float16, bfloat16)
  /// use the tolerances, NaN matching NaN and an infinity the same infinity;
  /// other dtypes, Int and Bool must be equal; Double uses the tolerances.
  /// Tensors compare by logical element, so dim orders may differ.
  Error check_outputs(size_t suite, size_t test_case, const Method& method, double rtol,
                      double atol, OutputCheck* check) const;

 private:
  BundledProgram() = default;
  Result<BundledValue> value(size_t suite, size_t test_case, size_t i, bool input) const;

  const bundled_program_flatbuffer::BundledProgram* root_ = nullptr;
  Span<const uint8_t> program_;
};

/// Compare one value with its expected one, as check_outputs does, folding
/// the result into `check` (whose output index is `output`). Exposed for
/// callers that run methods their own way.
void compare_value(const BundledValue& expected, const EValue& got, size_t output, double rtol,
                   double atol, OutputCheck* check);

}  // namespace ember
