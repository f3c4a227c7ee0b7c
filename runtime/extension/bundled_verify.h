// Verify a Module loaded from a .bpte: run every test case of its bundled
// program and compare the outputs with the expected ones (what `ember run
// --verify` and the Python Module.verify() report). Heap and strings
// allowed, like the rest of the module layer; a device uses
// runtime/extension/bundled_program.h directly.
//
//   std::unique_ptr<ember::Module> m = ember::Module::load("model.bpte", &st);
//   ember::VerifyReport report;
//   st = ember::verify_bundled_program(m.get(), "", ember::kDefaultRtol,
//                                      ember::kDefaultAtol, &report);
//   if (st.ok() && report.passed()) ...  // else report.worst()->describe()
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/extension/bundled_program.h"
#include "runtime/extension/module.h"

namespace ember {

/// One test case's outcome.
struct TestCaseResult {
  std::string method;
  size_t test_case = 0;
  /// False when the test case has no expected outputs: it ran, unchecked.
  bool compared = false;
  OutputCheck check;
  /// "output 0 element 5 [1, 2]: expected 0.5, got 0.7 (|diff| 0.2 > allowed
  /// 5.00001e-06)", or "output 1: expected float32 [2, 3], got int64 [2, 3]";
  /// for a match, "3 outputs match (max |diff| 2.4e-07)".
  std::string describe() const;
};

/// Every test case run, in file order.
struct VerifyReport {
  double rtol = kDefaultRtol;
  double atol = kDefaultAtol;
  std::vector<TestCaseResult> cases;
  size_t num_failed() const;
  size_t num_compared() const;
  /// True when at least one test case was compared and none failed.
  bool passed() const { return num_failed() == 0 && num_compared() > 0; }
  /// The failed case whose worst difference is the largest beyond its
  /// allowance (a kind, dtype, sizes or count mismatch counts as infinite);
  /// nullptr when none failed.
  const TestCaseResult* worst() const;
};

/// Test case `test_case` of method `method`'s suite as Module inputs (views
/// of the bundle's bytes, valid while the Module lives). NotFound when the
/// Module holds no bundled program or no such suite or test case.
Status bundled_inputs(const Module& module, const std::string& method, size_t test_case,
                      std::vector<Value>* inputs);

/// Run every test case of `module`'s bundled program (of method `method`
/// only, when not empty) with tolerances `rtol` and `atol`, and fill
/// `report`. Mismatches are results, not errors: the Status fails only when
/// the Module holds no bundled program ("no test cases: not a bundled
/// program"), when it has no test case to run, or when a method fails to
/// load or run (naming the method and test case).
Status verify_bundled_program(Module* module, const std::string& method, double rtol,
                              double atol, VerifyReport* report);

}  // namespace ember
