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

void bind_graph(py::module_& m);

namespace {

[[noreturn]] void raise(const char* cls, const std::string& message) {
  py::object type = py::module_::import("ember.errors").attr(cls);
  PyErr_SetObject(type.ptr(), type(message).ptr());
  throw py::error_already_set();
}

/// The bytes of an emitted .pte, owned by C++ and exposed through the buffer
/// protocol: a multi-gigabyte program is not copied into a Python bytes
/// object unless someone asks for one.
struct PteBytes {
  std::string data;
};

/// A session plus the arrays whose memory its constants point at.
class PySession {
 public:
  /// Graphs made with ember._C.graph (a wrong kind of value is pybind11's
  /// TypeError here, before anything is imported).
  void import_graphs(const std::vector<ember::GraphDesc>& graphs) {
    // The module's weights are blobs over the arrays' memory.
    for (const ember::GraphDesc& g : graphs)
      for (const ember::ConstantDesc& c : g.constants) keep_alive_.push_back(c.owner);
    if (mlir::failed(session_.importGraphs(graphs))) raise("CompileError", session_.takeDiagnostics());
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

  /// One dict per kernel or delegate call of the last emit: {"method",
  /// "instruction", "op", "target", "source", "refused": {backend: why},
  /// "delegated_ops": {Edge op: count}}.
  py::list instruction_debug() const {
    py::list out;
    for (const ember::InstructionDebug& d : session_.instructionDebug()) {
      py::dict e;
      e["method"] = d.method;
      e["instruction"] = d.instruction;
      e["op"] = d.op;
      e["target"] = d.target;
      e["source"] = d.source;
      py::dict refused, delegated;
      for (const auto& [backend, why] : d.refused) refused[py::str(backend)] = why;
      for (const auto& [op, n] : d.delegatedOps) delegated[py::str(op)] = n;
      e["refused"] = refused;
      e["delegated_ops"] = delegated;
      out.append(e);
    }
    return out;
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

  /// {name: int | float | bool | str, or a list or tuple of them}
  void set_constant_methods(const py::dict& methods) {
    std::vector<ember::ConstantMethod> out;
    for (auto [key, value] : methods) {
      const std::string name = key.cast<std::string>();
      ember::ConstantMethod m;
      if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        m.kind = ember::ConstantMethod::Kind::List;
        for (py::handle item : value) m.items.push_back(scalar_constant(name, item));
      } else {
        m = scalar_constant(name, value);
      }
      m.name = name;
      out.push_back(std::move(m));
    }
    session_.setConstantMethods(std::move(out));
  }

  std::string print(bool full) const { return session_.print(full); }
  std::string phase() const { return ember::phaseName(session_.phase()).str(); }

 private:
  static ember::ConstantMethod scalar_constant(const std::string& name, py::handle value) {
    ember::ConstantMethod m;
    using K = ember::ConstantMethod::Kind;
    if (py::isinstance<py::bool_>(value)) { m.kind = K::Bool; m.boolValue = value.cast<bool>(); }
    else if (py::isinstance<py::int_>(value)) { m.kind = K::Int; m.intValue = value.cast<int64_t>(); }
    else if (py::isinstance<py::float_>(value)) { m.kind = K::Double; m.doubleValue = value.cast<double>(); }
    else if (py::isinstance<py::str>(value)) { m.kind = K::String; m.stringValue = value.cast<std::string>(); }
    else throw py::type_error("constant method '" + name + "' must return an int, float, bool or str, " +
                              "or a list of them, not " +
                              py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
    return m;
  }

  /// Phase options by keyword: fuse_attention, fuse_linear (edge); fold_quantized
  /// (quantize); alignment, plan_inputs, plan_outputs, algorithm, alias_views,
  /// fuse_activations, channels_last (memory plan); delegate_segments (emit).
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
      else if (k == "channels_last") o.channelsLast = value.cast<bool>();
      else throw py::type_error("unknown memory-plan option '" + k + "'");
    }
    return o;
  }

  // Declared first so that it outlives the session's module.
  std::vector<std::shared_ptr<const void>> keep_alive_;
  ember::CompilerSession session_;
};

}  // namespace

void bind_compiler(py::module_& m) {
  bind_graph(m);
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
           "Import methods (ember._C.graph.Graph, one per method, made by ember._graph) into Edge IR.")
      .def("parse", &PySession::parse, py::arg("text"), "Parse Edge IR text.")
      .def("run_to", &PySession::run_to, py::arg("phase"),
           "Run the pipeline's phases up to `phase` (memory-plan options by keyword: "
           "alignment, plan_inputs, plan_outputs, algorithm, alias_views).")
      .def("emit", &PySession::emit,
           "Plan memory and serialize to .pte bytes (options as run_to, and delegate_segments).")
      .def("instruction_debug", &PySession::instruction_debug,
           "Per kernel or delegate call of the last emit: method, instruction index (a "
           "profile event's debug handle), Edge op, kernel or backend, source lines.")
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
