// Verify a Module's bundled program: every test case run and compared.
#include "runtime/extension/bundled_verify.h"

#include <cmath>
#include <cstdio>

namespace ember {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

/// How far beyond its allowance a failed case's worst difference is.
double excess(const TestCaseResult& r) {
  if (r.check.problem[0] != '\0') return INFINITY;
  return r.check.abs_diff - r.check.allowed;
}

}  // namespace

std::string TestCaseResult::describe() const {
  if (!compared) return "no expected outputs: ran, not compared";
  const OutputCheck& c = check;
  if (c.matched) {
    return std::to_string(c.num_outputs) + (c.num_outputs == 1 ? " output matches" :
                                            " outputs match") +
           " (max |diff| " + number(c.max_abs_diff) + ")";
  }
  std::string s = "output " + std::to_string(c.output);
  if (c.problem[0] != '\0') return s + ": " + c.problem;
  s += " element " + std::to_string(c.element);
  if (c.rank > 0) {
    s += " [";
    for (int32_t d = 0; d < c.rank; ++d) s += (d ? ", " : "") + std::to_string(c.coords[d]);
    s += "]";
  }
  s += ": expected " + number(c.expected) + ", got " + number(c.got) + " (|diff| " +
       number(c.abs_diff);
  return s + (c.allowed > 0 ? " > allowed " + number(c.allowed) + ")" : ", exact dtype)");
}

size_t VerifyReport::num_failed() const {
  size_t n = 0;
  for (const TestCaseResult& r : cases) n += r.compared && !r.check.matched;
  return n;
}

size_t VerifyReport::num_compared() const {
  size_t n = 0;
  for (const TestCaseResult& r : cases) n += r.compared;
  return n;
}

const TestCaseResult* VerifyReport::worst() const {
  const TestCaseResult* w = nullptr;
  for (const TestCaseResult& r : cases) {
    if (!r.compared || r.check.matched) continue;
    if (w == nullptr || excess(r) > excess(*w)) w = &r;
  }
  return w;
}

Status bundled_inputs(const Module& module, const std::string& method, size_t test_case,
                      std::vector<Value>* inputs) {
  const BundledProgram* bundle = module.bundled_program();
  if (bundle == nullptr) return {Error::NotFound, "no test cases: not a bundled program"};
  size_t suite = bundle->num_suites();
  for (size_t s = 0; s < bundle->num_suites(); ++s) {
    if (bundle->suite_method_name(s) == method) suite = s;
  }
  if (suite == bundle->num_suites() || test_case >= bundle->num_test_cases(suite)) {
    return {Error::NotFound, "the bundled program has no test case " +
                                 std::to_string(test_case) + " for method '" + method + "'"};
  }
  inputs->clear();
  for (size_t i = 0; i < bundle->num_inputs(suite, test_case); ++i) {
    Result<BundledValue> v = bundle->input(suite, test_case, i);
    if (!v.ok()) return {v.error(), "cannot read input " + std::to_string(i)};
    Value in;
    in.tag = v->tag;
    in.int_value = v->int_value;
    in.double_value = v->double_value;
    in.bool_value = v->bool_value;
    in.tensor.dtype = v->dtype;
    in.tensor.sizes.assign(v->sizes.begin(), v->sizes.end());
    in.tensor.dim_order.assign(v->dim_order.begin(), v->dim_order.end());
    in.tensor.data = v->data.data();
    in.tensor.nbytes = v->data.size();
    inputs->push_back(std::move(in));
  }
  return Status();
}

Status verify_bundled_program(Module* module, const std::string& method, double rtol,
                              double atol, VerifyReport* report) {
  const BundledProgram* bundle = module->bundled_program();
  if (bundle == nullptr) {
    return {Error::InvalidArgument, "no test cases: not a bundled program (a .pte has no "
                                    "expected outputs; write a .bpte with "
                                    "ember.devtools.BundledProgram)"};
  }
  if (!(rtol >= 0) || !(atol >= 0)) {
    return {Error::InvalidArgument, "tolerances must be >= 0 (rtol " + number(rtol) +
                                        ", atol " + number(atol) + ")"};
  }
  VerifyReport r;
  r.rtol = rtol;
  r.atol = atol;
  std::vector<Value> inputs;
  for (size_t s = 0; s < bundle->num_suites(); ++s) {
    const std::string name = bundle->suite_method_name(s);
    if (!method.empty() && name != method) continue;
    for (size_t c = 0; c < bundle->num_test_cases(s); ++c) {
      const std::string where = "method '" + name + "' test case " + std::to_string(c);
      Status st = bundled_inputs(*module, name, c, &inputs);
      if (st.ok()) st = module->execute(name, inputs, nullptr);
      if (!st.ok()) return {st.error, where + ": " + st.message};
      TestCaseResult result;
      result.method = name;
      result.test_case = c;
      result.compared = bundle->num_expected_outputs(s, c) > 0;
      if (result.compared &&
          bundle->check_outputs(s, c, *module->method(name), rtol, atol, &result.check) !=
              Error::Ok) {
        return {Error::Internal, where + ": the outputs could not be compared"};
      }
      r.cases.push_back(std::move(result));
    }
  }
  if (r.cases.empty()) {
    return {Error::NotFound, method.empty()
                                 ? std::string("no test cases: the bundled program has none")
                                 : "no test cases for method '" + method + "'"};
  }
  *report = std::move(r);
  return Status();
}

}  // namespace ember
