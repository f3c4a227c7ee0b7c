// Python bindings of bundled programs (.bpte): the writer behind
// ember.devtools (the C++ serializer), and what RuntimeModule shows of a
// .bpte it loaded (its test cases, and verify()). Values cross as tuples:
// ("tensor", scalar_type, sizes, dim_order, bytes), ("int", v), ("bool", v),
// ("double", v).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/extension/bundled_verify.h"
#include "runtime/extension/module.h"
#include "serializer/BundledProgramWriter.h"

namespace py = pybind11;

namespace {

ember::BundledValueData to_value(const py::handle& item, std::deque<std::string>* keep) {
  const py::tuple t = py::reinterpret_borrow<py::tuple>(item);
  const std::string kind = t[0].cast<std::string>();
  ember::BundledValueData v;
  if (kind == "int") {
    v.kind = ember::BundledValueData::Kind::Int;
    v.intValue = t[1].cast<int64_t>();
  } else if (kind == "bool") {
    v.kind = ember::BundledValueData::Kind::Bool;
    v.boolValue = t[1].cast<bool>();
  } else if (kind == "double") {
    v.kind = ember::BundledValueData::Kind::Double;
    v.doubleValue = t[1].cast<double>();
  } else if (kind == "tensor") {
    v.kind = ember::BundledValueData::Kind::Tensor;
    v.scalarType = t[1].cast<int8_t>();
    v.sizes = t[2].cast<std::vector<int32_t>>();
    v.dimOrder = t[3].cast<std::vector<uint8_t>>();
    keep->push_back(t[4].cast<std::string>());
    const std::string& bytes = keep->back();
    v.data = {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
  } else {
    throw py::value_error("unknown bundled value kind '" + kind + "'");
  }
  return v;
}

py::tuple from_value(const ember::Result<ember::BundledValue>& r) {
  // parse() checked every value, so reading one again cannot fail.
  if (!r.ok()) throw std::runtime_error("unreadable bundled value");
  const ember::BundledValue& v = r.get();
  switch (v.tag) {
    case ember::Tag::Int: return py::make_tuple("int", v.int_value);
    case ember::Tag::Bool: return py::make_tuple("bool", v.bool_value);
    case ember::Tag::Double: return py::make_tuple("double", v.double_value);
    default: break;
  }
  std::vector<int32_t> sizes(v.sizes.begin(), v.sizes.end());
  std::vector<int> order(v.dim_order.begin(), v.dim_order.end());
  return py::make_tuple("tensor", static_cast<int>(v.dtype), sizes, order,
                        py::bytes(reinterpret_cast<const char*>(v.data.data()), v.data.size()));
}

}  // namespace

py::object bundled_program_of(const ember::Module& m) {
  const ember::BundledProgram* b = m.bundled_program();
  if (b == nullptr) return py::none();
  py::list suites;
  for (size_t s = 0; s < b->num_suites(); ++s) {
    py::list cases;
    for (size_t c = 0; c < b->num_test_cases(s); ++c) {
      py::list inputs, expected;
      for (size_t i = 0; i < b->num_inputs(s, c); ++i) {
        inputs.append(from_value(b->input(s, c, i)));
      }
      for (size_t i = 0; i < b->num_expected_outputs(s, c); ++i) {
        expected.append(from_value(b->expected_output(s, c, i)));
      }
      cases.append(py::make_tuple(inputs, expected));
    }
    suites.append(py::make_tuple(b->suite_method_name(s), cases));
  }
  const ember::Span<const uint8_t> pte = b->program_data();
  return py::make_tuple(py::bytes(reinterpret_cast<const char*>(pte.data()), pte.size()), suites);
}

py::dict verify_report_of(const ember::VerifyReport& report) {
  py::list cases;
  for (const ember::TestCaseResult& r : report.cases) {
    const ember::OutputCheck& c = r.check;
    py::dict d;
    d["method"] = r.method;
    d["test_case"] = r.test_case;
    d["compared"] = r.compared;
    d["matched"] = !r.compared || c.matched;
    d["description"] = r.describe();
    d["max_abs_diff"] = c.max_abs_diff;
    if (r.compared && !c.matched) {
      d["output"] = c.output;
      d["problem"] = std::string(c.problem);
      d["element"] = c.element;
      d["index"] = std::vector<int32_t>(c.coords, c.coords + c.rank);
      d["expected"] = c.expected;
      d["got"] = c.got;
      d["abs_diff"] = c.abs_diff;
      d["allowed"] = c.allowed;
    }
    cases.append(d);
  }
  py::dict out;
  out["rtol"] = report.rtol;
  out["atol"] = report.atol;
  out["passed"] = report.passed();
  out["cases"] = cases;
  return out;
}

void bind_bundled(py::module_& m) {
  m.def(
      "write_bundled_program",
      [](const py::bytes& program, const py::list& suites) {
        std::deque<std::string> keep;  // tensor bytes (never moved), alive until written
        std::vector<ember::BundledTestSuiteData> data;
        for (const py::handle& s : suites) {
          const py::tuple suite = py::reinterpret_borrow<py::tuple>(s);
          ember::BundledTestSuiteData sd;
          sd.methodName = suite[0].cast<std::string>();
          for (const py::handle& c : suite[1]) {
            const py::tuple tc = py::reinterpret_borrow<py::tuple>(c);
            ember::BundledTestCaseData cd;
            for (const py::handle& v : tc[0]) cd.inputs.push_back(to_value(v, &keep));
            for (const py::handle& v : tc[1]) cd.expectedOutputs.push_back(to_value(v, &keep));
            sd.testCases.push_back(std::move(cd));
          }
          data.push_back(std::move(sd));
        }
        const std::string_view pte = program;
        std::string out;
        {
          py::gil_scoped_release release;
          out = ember::writeBundledProgram(
              {reinterpret_cast<const uint8_t*>(pte.data()), pte.size()}, data);
        }
        return py::bytes(out);
      },
      py::arg("program"), py::arg("suites"),
      "The .bpte bytes of a .pte and its test suites: [(method_name, [(inputs, "
      "expected_outputs)])], values as ('tensor', scalar_type, sizes, dim_order, bytes), "
      "('int', v), ('bool', v) or ('double', v).");
}
