// Python bindings of the compiler: one CompilerSession per EdgeProgramManager.
// Failures come back from C++ as collected diagnostics and become one
// ember.errors.CompileError here, never an abort or a printed dump.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "compiler/CompilerSession.h"
#include "exir/EdgeOpTable.h"
#include "passes/MemoryPlanner.h"
#include "passes/Passes.h"

namespace py = pybind11;
using ember::ArgValue;

namespace {

[[noreturn]] void raise(const char* cls, const std::string& message) {
  py::object type = py::module_::import("ember.errors").attr(cls);
  PyErr_SetObject(type.ptr(), type(message).ptr());
  throw py::error_already_set();
}

/// (dtype, shape) or (dtype, shape, dynamic) starting at t[first].
ember::TensorDesc to_tensor_desc(const py::tuple& t, size_t first) {
  ember::TensorDesc d;
  d.dtype = t[first].cast<int>();
  d.shape = t[first + 1].cast<std::vector<int64_t>>();
  d.dynamic = t.size() > first + 2 && t[first + 2].cast<bool>();
  return d;
}

/// A run-time size: ("size", id, is_float, tensor, dim), ("numel", id,
/// is_float, tensor), ("op", id, is_float, fn, [operand ids]) or ("const",
/// id, is_float, value).
ember::SymDesc to_sym(const py::tuple& t) {
  ember::SymDesc s;
  auto tag = t[0].cast<std::string>();
  s.id = t[1].cast<int64_t>();
  s.isFloat = t[2].cast<bool>();
  using K = ember::SymDesc::Kind;
  if (tag == "size") {
    s.kind = K::Size;
    s.tensor = t[3].cast<int64_t>();
    s.dim = t[4].cast<int64_t>();
  } else if (tag == "numel") {
    s.kind = K::Numel;
    s.tensor = t[3].cast<int64_t>();
  } else if (tag == "op") {
    s.kind = K::Op;
    s.fn = t[3].cast<std::string>();
    s.operands = t[4].cast<std::vector<int64_t>>();
  } else if (tag == "const") {
    s.kind = K::Constant;
    if (s.isFloat) s.doubleValue = t[3].cast<double>();
    else s.intValue = t[3].cast<int64_t>();
  } else {
    throw py::value_error("unknown run-time size tag '" + tag + "'");
  }
  return s;
}

/// A Python argument value -> ArgValue. Tensors arrive as ("t", id) and lists
/// of tensors as ("tl", [ids]) with -1 for None; a run-time size as ("s",
/// upper bound, sym id) and an int list holding some as ("sl", [upper
/// bounds], [sym ids, -1 where static]); everything else is literal.
ArgValue to_arg(const py::handle& v) {
  ArgValue a;
  using K = ArgValue::Kind;
  if (v.is_none()) return a;
  if (py::isinstance<py::bool_>(v)) { a.kind = K::Bool; a.boolValue = v.cast<bool>(); return a; }
  if (py::isinstance<py::int_>(v)) { a.kind = K::Int; a.intValue = v.cast<int64_t>(); return a; }
  if (py::isinstance<py::float_>(v)) { a.kind = K::Double; a.doubleValue = v.cast<double>(); return a; }
  if (py::isinstance<py::str>(v)) { a.kind = K::String; a.stringValue = v.cast<std::string>(); return a; }
  if (py::isinstance<py::tuple>(v)) {
    auto t = v.cast<py::tuple>();
    auto tag = t[0].cast<std::string>();
    if (tag == "t") { a.kind = K::Tensor; a.ints = {t[1].cast<int64_t>()}; return a; }
    if (tag == "tl") { a.kind = K::TensorList; a.ints = t[1].cast<std::vector<int64_t>>(); return a; }
    if (tag == "s") {
      a = to_arg(t[1]);
      a.symIds = {t[2].cast<int64_t>()};
      return a;
    }
    if (tag == "sl") {
      a.kind = K::IntList;
      a.ints = t[1].cast<std::vector<int64_t>>();
      a.symIds = t[2].cast<std::vector<int64_t>>();
      return a;
    }
    throw py::value_error("unknown argument tag '" + tag + "'");
  }
  if (py::isinstance<py::list>(v)) {
    auto l = v.cast<py::list>();
    bool all_bool = l.size() > 0, any_float = false;
    for (auto item : l) {
      all_bool &= py::isinstance<py::bool_>(item);
      any_float |= py::isinstance<py::float_>(item);
    }
    if (all_bool) { a.kind = K::BoolList; for (auto i : l) a.bools.push_back(i.cast<bool>()); return a; }
    if (any_float) { a.kind = K::DoubleList; for (auto i : l) a.doubles.push_back(i.cast<double>()); return a; }
    a.kind = K::IntList;
    for (auto i : l) a.ints.push_back(i.cast<int64_t>());
    return a;
  }
  throw py::type_error("unsupported argument value: " + py::repr(v).cast<std::string>());
}

/// A session plus the arrays whose memory its constants point at.
/// The bytes of an emitted .pte, owned by C++ and exposed through the buffer
/// protocol: a multi-gigabyte program is not copied into a Python bytes
/// object unless someone asks for one.
struct PteBytes {
  std::string data;
};

class PySession {
 public:
  void import_graphs(const py::list& graphs) {
    std::vector<ember::GraphDesc> descs;
    for (auto g : graphs) descs.push_back(to_graph(g.cast<py::dict>()));
    if (mlir::failed(session_.importGraphs(descs))) raise("CompileError", session_.takeDiagnostics());
  }

  void parse(const std::string& text) {
    if (mlir::failed(session_.parse(text))) raise("CompileError", session_.takeDiagnostics());
  }

  void partition(const std::string& backend, const std::map<std::string, std::string>& options) {
    mlir::LogicalResult r = mlir::failure();
    {
      py::gil_scoped_release release;
      r = session_.partition(backend, options);
    }
    if (mlir::failed(r)) raise("CompileError", session_.takeDiagnostics());
  }

  std::string delegation_summary() const { return session_.delegationSummary(); }

  void run_to(const std::string& phase, const py::kwargs& plan) {
    auto p = ember::parsePhase(phase);
    if (!p) throw py::value_error("unknown phase '" + phase + "'");
    ember::PipelineOptions o = options(plan);
    mlir::LogicalResult r = mlir::failure();
    {
      py::gil_scoped_release release;
      r = session_.runTo(*p, o);
    }
    if (mlir::failed(r)) raise("CompileError", session_.takeDiagnostics());
  }

  PteBytes emit(const py::kwargs& plan) {
    ember::PipelineOptions o = options(plan);
    mlir::FailureOr<std::string> bytes = mlir::failure();
    {
      py::gil_scoped_release release;
      bytes = session_.emit(o);
    }
    if (mlir::failed(bytes)) raise("CompileError", session_.takeDiagnostics());
    return PteBytes{std::move(*bytes)};
  }

  /// {method: {"algorithm", "arena_bytes", "lower_bound", "candidates"}} of
  /// the last memory plan.
  py::dict memory_plans() const {
    py::dict out;
    for (auto func : session_.module().getOps<mlir::func::FuncOp>()) {
      auto sizes = func->getAttrOfType<mlir::DenseI64ArrayAttr>(ember::kPlannedSizesAttr);
      if (!sizes) continue;
      py::dict d;
      d["algorithm"] = func->getAttrOfType<mlir::StringAttr>(ember::kAlgorithmAttr).getValue().str();
      d["arena_bytes"] = std::vector<int64_t>(sizes.asArrayRef());
      auto bound = func->getAttrOfType<mlir::DenseI64ArrayAttr>(ember::kLowerBoundAttr);
      d["lower_bound"] = std::vector<int64_t>(bound.asArrayRef());
      py::dict candidates;
      for (mlir::NamedAttribute c : func->getAttrOfType<mlir::DictionaryAttr>(ember::kCandidatesAttr))
        candidates[py::str(c.getName().str())] = llvm::cast<mlir::IntegerAttr>(c.getValue()).getInt();
      d["candidates"] = candidates;
      out[py::str(func.getSymName().str())] = d;
    }
    return out;
  }

  /// {name: int | float | bool | str}
  void set_constant_methods(const py::dict& methods) {
    std::vector<ember::ConstantMethod> out;
    for (auto [key, value] : methods) {
      ember::ConstantMethod m;
      m.name = key.cast<std::string>();
      using K = ember::ConstantMethod::Kind;
      if (py::isinstance<py::bool_>(value)) { m.kind = K::Bool; m.boolValue = value.cast<bool>(); }
      else if (py::isinstance<py::int_>(value)) { m.kind = K::Int; m.intValue = value.cast<int64_t>(); }
      else if (py::isinstance<py::float_>(value)) { m.kind = K::Double; m.doubleValue = value.cast<double>(); }
      else if (py::isinstance<py::str>(value)) { m.kind = K::String; m.stringValue = value.cast<std::string>(); }
      else throw py::type_error("constant method '" + m.name + "' must return an int, float, bool or str, not " +
                                py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
      out.push_back(std::move(m));
    }
    session_.setConstantMethods(std::move(out));
  }

  std::string print(bool full) const { return session_.print(full); }
  std::string phase() const { return ember::phaseName(session_.phase()).str(); }

 private:
  /// Phase options by keyword: fuse_attention, fuse_linear (edge); fold_quantized
  /// (quantize); alignment, plan_inputs, plan_outputs, algorithm, alias_views,
  /// fuse_activations (memory plan); delegate_segments (emit).
  static ember::PipelineOptions options(const py::kwargs& kw) {
    ember::PipelineOptions o;
    for (auto [key, value] : kw) {
      auto k = key.cast<std::string>();
      if (k == "alignment") o.alignment = value.cast<int64_t>();
      else if (k == "plan_inputs") o.planInputs = value.cast<bool>();
      else if (k == "plan_outputs") o.planOutputs = value.cast<bool>();
      else if (k == "algorithm") o.algorithm = value.cast<std::string>();
      else if (k == "alias_views") o.aliasViews = value.cast<bool>();
      else if (k == "delegate_segments") o.delegatesInSegments = value.cast<bool>();
      else if (k == "fuse_attention") o.fuseAttention = value.cast<bool>();
      else if (k == "fuse_linear") o.fuseLinear = value.cast<bool>();
      else if (k == "fold_quantized") o.foldQuantized = value.cast<bool>();
      else if (k == "fuse_activations") o.fuseActivations = value.cast<bool>();
      else throw py::type_error("unknown memory-plan option '" + k + "'");
    }
    return o;
  }

  ember::GraphDesc to_graph(const py::dict& g) {
    ember::GraphDesc d;
    d.name = g["name"].cast<std::string>();
    d.inSpec = g["in_spec"].cast<std::string>();
    d.outSpec = g["out_spec"].cast<std::string>();
    for (auto i : g["inputs"]) {
      auto t = i.cast<py::tuple>();
      d.inputs.push_back({t[0].cast<int64_t>(), t[1].cast<std::string>(), to_tensor_desc(t, 2)});
    }
    for (auto c : g["constants"]) {
      auto t = c.cast<py::tuple>();
      py::buffer buf = t[4].cast<py::buffer>();
      py::buffer_info info = buf.request();
      bool contiguous = true;
      py::ssize_t expect = info.itemsize;
      for (py::ssize_t k = info.ndim - 1; k >= 0; --k) {
        if (info.shape[k] > 1 && info.strides[k] != expect) contiguous = false;
        expect *= info.shape[k];
      }
      if (!contiguous) throw py::value_error("constant '" + t[1].cast<std::string>() + "' is not contiguous");
      keep_alive_.append(buf);
      ember::ConstantDesc cd;
      cd.id = t[0].cast<int64_t>();
      cd.name = t[1].cast<std::string>();
      cd.type = to_tensor_desc(py::make_tuple(t[2], t[3]), 0);
      cd.data = info.ptr;
      cd.nbytes = static_cast<size_t>(info.size * info.itemsize);
      cd.mutableBuffer = t.size() > 5 && t[5].cast<bool>();
      d.constants.push_back(std::move(cd));
    }
    for (auto n : g["nodes"]) {
      auto t = n.cast<py::tuple>();
      ember::NodeDesc nd;
      nd.target = t[0].cast<std::string>();
      nd.overload = t[1].cast<std::string>();
      nd.name = t[2].cast<std::string>();
      for (auto a : t[3].cast<py::list>()) nd.args.push_back(to_arg(a));
      for (auto r : t[4].cast<py::list>()) {
        nd.results.push_back(to_tensor_desc(r.cast<py::tuple>(), 0));
      }
      nd.resultIds = t[5].cast<std::vector<int64_t>>();
      auto loc = t[6].cast<py::tuple>();
      nd.loc = {loc[0].cast<std::string>(), loc[1].cast<int>(), loc[2].cast<std::string>()};
      d.nodes.push_back(std::move(nd));
    }
    d.outputs = g["outputs"].cast<std::vector<int64_t>>();
    if (g.contains("syms"))
      for (auto sym : g["syms"]) d.syms.push_back(to_sym(sym.cast<py::tuple>()));
    for (auto wb : g["write_backs"]) {
      auto t = wb.cast<py::tuple>();
      d.writeBacks.push_back({t[0].cast<int64_t>(), t[1].cast<int64_t>()});
    }
    return d;
  }

  ember::CompilerSession session_;
  py::list keep_alive_;
};

}  // namespace

void bind_compiler(py::module_& m) {
  py::class_<PteBytes>(m, "PteBytes", py::buffer_protocol(),
                       "The bytes of an emitted .pte (read-only buffer; memoryview() it).")
      .def_buffer([](PteBytes& b) {
        return py::buffer_info(b.data.data(), 1, py::format_descriptor<uint8_t>::format(), 1,
                               {static_cast<py::ssize_t>(b.data.size())}, {1}, /*readonly=*/true);
      })
      .def("__len__", [](const PteBytes& b) { return b.data.size(); });
  py::class_<PySession>(m, "CompilerSession")
      .def(py::init<>())
      .def("import_graphs", &PySession::import_graphs, py::arg("graphs"),
           "Import methods (dicts made by ember._graph) into Edge IR.")
      .def("parse", &PySession::parse, py::arg("text"), "Parse Edge IR text.")
      .def("run_to", &PySession::run_to, py::arg("phase"),
           "Run the pipeline's phases up to `phase` (memory-plan options by keyword: "
           "alignment, plan_inputs, plan_outputs, algorithm, alias_views).")
      .def("emit", &PySession::emit,
           "Plan memory and serialize to .pte bytes (options as run_to, and delegate_segments).")
      .def("memory_plans", &PySession::memory_plans,
           "Per method: the kept algorithm, arena bytes, lower bound and every candidate's bytes.")
      .def("partition", &PySession::partition, py::arg("backend"), py::arg("options"),
           "Outline the ops a backend takes into delegate calls.")
      .def("delegation_summary", &PySession::delegation_summary)
      .def("set_constant_methods", &PySession::set_constant_methods, py::arg("methods"),
           "Methods returning a constant ({name: int | float | bool | str}).")
      .def("print", &PySession::print, py::arg("full") = false, "The IR as text.")
      .def_property_readonly("phase", &PySession::phase);

  // The memory planner on plain data: buffers are (size, begin, end,
  // memory_id) with inclusive lifetimes in program positions.
  auto to_buffers = [](const std::vector<std::tuple<int64_t, int64_t, int64_t, uint32_t>>& in) {
    std::vector<ember::PlanBuffer> out;
    for (auto [size, begin, end, id] : in) {
      if (size < 0 || begin < 0 || end < begin || id < 1)
        throw py::value_error("a buffer needs size >= 0, 0 <= begin <= end and memory_id >= 1");
      out.push_back({size, begin, end, id});
    }
    return out;
  };
  auto check_alignment = [](int64_t alignment) {
    if (alignment <= 0 || (alignment & (alignment - 1)))
      throw py::value_error("alignment must be a power of two");
  };
  m.def("plan_memory", [=](const std::string& algorithm,
                           const std::vector<std::tuple<int64_t, int64_t, int64_t, uint32_t>>& buffers,
                           int64_t alignment) {
    check_alignment(alignment);
    auto a = ember::parseAlgorithm(algorithm);
    if (!a) throw py::value_error("unknown memory planning algorithm '" + algorithm + "'");
    ember::MemoryPlan plan = ember::planBuffers(*a, to_buffers(buffers), alignment);
    return py::make_tuple(plan.offsets, plan.arenaSizes);
  }, py::arg("algorithm"), py::arg("buffers"), py::arg("alignment") = 16,
     "(offsets, arena sizes) of one algorithm's plan for (size, begin, end, memory_id) buffers.");
  m.def("memory_lower_bound", [=](const std::vector<std::tuple<int64_t, int64_t, int64_t, uint32_t>>& buffers) {
    return ember::lowerBound(to_buffers(buffers));
  }, py::arg("buffers"), "Per memory id, the most bytes alive at any one position.");
  m.def("check_memory_plan", [=](const std::vector<std::tuple<int64_t, int64_t, int64_t, uint32_t>>& buffers,
                                 const std::vector<int64_t>& offsets,
                                 const std::vector<int64_t>& arena_sizes, int64_t alignment) -> py::object {
    check_alignment(alignment);
    ember::MemoryPlan plan;
    plan.offsets = offsets;
    plan.arenaSizes = arena_sizes;
    auto error = ember::checkPlan(to_buffers(buffers), plan, alignment);
    return error ? py::object(py::str(*error)) : py::object(py::none());
  }, py::arg("buffers"), py::arg("offsets"), py::arg("arena_sizes"), py::arg("alignment") = 16,
     "None if the plan is valid, else the first violation.");

  m.def("edge_ops", [] {
    py::list ops;
    for (const ember::edge::EdgeOpInfo& info : ember::edge::getEdgeOpTable()) {
      py::dict d;
      std::string overload = info.atenOverload;
      d["aten"] = std::string(info.atenName) + "." + (overload.empty() ? "default" : overload);
      d["edge"] = info.opName;
      d["kernel"] = std::string(info.outName) + (*info.outOverload ? "." : "") + info.outOverload;
      py::list out_args;
      for (const auto& a : info.outArgs) out_args.append(a.name);
      d["kernel_args"] = out_args;
      ops.append(d);
    }
    return ops;
  }, "Every ATen overload the Edge dialect mirrors: aten name, edge op, out-variant kernel.");
}
