// Python bindings of the runtime's Module: load a .pte (path: memory-mapped;
// bytes: copied), run a method on numpy arrays (or anything with the buffer
// protocol), get numpy arrays back; profile a method; set the process's
// thread count. Runtime errors become ember.errors.EmberRuntimeError
// carrying the error code's name.
#include <map>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "runtime/backend/backend.h"
#include "runtime/core/scalar_type.h"
#include "runtime/core/threadpool.h"
#include "runtime/extension/bundled_verify.h"
#include "runtime/extension/etdump.h"
#include "runtime/extension/method_graph.h"
#include "runtime/extension/module.h"
#include "runtime/extension/profiling.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/kernel_libraries.h"

namespace py = pybind11;

// bundled_bindings.cpp
py::object bundled_program_of(const ember::Module& m);
py::dict verify_report_of(const ember::VerifyReport& report);

namespace {

[[noreturn]] void raise_status(const ember::Status& st) {
  py::object type = py::module_::import("ember.errors").attr("EmberRuntimeError");
  PyErr_SetObject(type.ptr(), type(ember::error_name(st.error), st.message).ptr());
  throw py::error_already_set();
}

void check(const ember::Status& st) {
  if (!st.ok()) raise_status(st);
}

/// numpy dtype of a ScalarType, or None for types numpy lacks. bfloat16,
/// which numpy lacks, crosses as its uint16 bit patterns (the Python layer
/// turns those into torch.bfloat16 tensors).
py::object numpy_dtype(ember::ScalarType t) {
  const char* name = nullptr;
  switch (t) {
    case ember::ScalarType::Byte: name = "uint8"; break;
    case ember::ScalarType::Char: name = "int8"; break;
    case ember::ScalarType::Short: name = "int16"; break;
    case ember::ScalarType::Int: name = "int32"; break;
    case ember::ScalarType::Long: name = "int64"; break;
    case ember::ScalarType::Half: name = "float16"; break;
    case ember::ScalarType::Float: name = "float32"; break;
    case ember::ScalarType::Double: name = "float64"; break;
    case ember::ScalarType::Bool: name = "bool"; break;
    case ember::ScalarType::BFloat16: name = "uint16"; break;
    default: return py::none();
  }
  return py::dtype(name);
}

const char* tag_name(ember::Tag t) {
  switch (t) {
    case ember::Tag::None: return "None";
    case ember::Tag::Null: return "Null";
    case ember::Tag::Int: return "Int";
    case ember::Tag::Bool: return "Bool";
    case ember::Tag::Double: return "Double";
    case ember::Tag::Tensor: return "Tensor";
    case ember::Tag::String: return "String";
    case ember::Tag::IntList: return "IntList";
    case ember::Tag::DoubleList: return "DoubleList";
    case ember::Tag::BoolList: return "BoolList";
    case ember::Tag::TensorList: return "TensorList";
    case ember::Tag::OptionalTensorList: return "OptionalTensorList";
  }
  return "unknown";
}

const char* dynamism_name(ember::ShapeDynamism d) {
  switch (d) {
    case ember::ShapeDynamism::Static: return "static";
    case ember::ShapeDynamism::DynamicBound: return "dynamic_bound";
    case ember::ShapeDynamism::DynamicUnbound: return "dynamic_unbound";
  }
  return "unknown";
}

py::dict value_info(const ember::ValueInfo& v) {
  py::dict d;
  d["tag"] = static_cast<int>(v.tag);
  d["kind"] = tag_name(v.tag);
  d["dtype"] = ember::scalar_type_name(v.dtype);
  d["sizes"] = v.sizes;
  d["dim_order"] = std::vector<int>(v.dim_order.begin(), v.dim_order.end());
  d["dynamism"] = dynamism_name(v.dynamism);
  d["planned"] = v.is_planned;
  d["nbytes"] = v.nbytes;
  return d;
}

py::dict method_info_dict(const ember::MethodInfo& info) {
  py::dict d;
  py::list ins, outs;
  for (const auto& v : info.inputs) ins.append(value_info(v));
  for (const auto& v : info.outputs) outs.append(value_info(v));
  d["name"] = info.name;
  d["inputs"] = ins;
  d["outputs"] = outs;
  d["planned_buffer_sizes"] = info.planned_buffer_sizes;
  d["operators"] = info.operators;
  d["num_instructions"] = info.num_instructions;
  d["input_spec"] = info.input_spec;
  d["output_spec"] = info.output_spec;
  return d;
}

/// ProgramSummary as plain Python data (what `ember inspect --json` prints).
py::dict summary_dict(const ember::ProgramSummary& s) {
  py::dict d;
  d["file_size"] = s.file_size;
  py::dict header;
  header["extended_header"] = s.header.has_extended_header;
  header["program_size"] = s.header.program_size;
  header["segment_base_offset"] = s.header.segment_base_offset;
  header["segment_data_size"] = s.header.segment_data_size;
  d["header"] = header;
  py::list segments;
  for (size_t i = 0; i < s.segments.size(); ++i) {
    const ember::SegmentSummary& seg = s.segments[i];
    py::dict e;
    e["index"] = i;
    e["offset"] = seg.offset;
    e["file_offset"] = seg.file_offset;
    e["size"] = seg.size;
    e["in_file"] = seg.in_file;
    e["contents"] = seg.contents;
    segments.append(e);
  }
  d["segments"] = segments;
  py::dict constants;
  constants["storage"] = s.constant_storage;
  constants["segment_index"] = s.constant_storage == "segment" ? py::object(py::int_(s.constant_segment_index))
                                                               : py::object(py::none());
  constants["num_buffers"] = s.num_constant_buffers;
  constants["data_bytes"] = s.constant_data_bytes;
  constants["tensor_bytes"] = s.constant_tensor_bytes;
  d["constants"] = constants;
  py::list mutable_data;
  for (const auto& m : s.mutable_data) {
    py::dict e;
    e["segment_index"] = m.segment_index;
    e["num_buffers"] = m.num_buffers;
    mutable_data.append(e);
  }
  d["mutable_data"] = mutable_data;
  d["inline_delegate_data_sizes"] = s.inline_delegate_data_sizes;
  py::list named;
  for (const auto& n : s.named_data) {
    py::dict e;
    e["key"] = n.key;
    e["segment_index"] = n.segment_index;
    e["size"] = n.size;
    named.append(e);
  }
  d["named_data"] = named;
  py::list methods;
  for (const ember::MethodSummary& ms : s.methods) {
    py::dict m = method_info_dict(ms.info);
    py::list ops;
    for (size_t i = 0; i < ms.info.operators.size(); ++i) {
      py::dict e;
      e["name"] = ms.info.operators[i];
      e["calls"] = ms.operator_calls[i];
      py::list sigs;
      for (const std::vector<ember::ScalarType>& sig : ms.operator_dtypes[i]) {
        py::list names;
        for (ember::ScalarType t : sig) names.append(ember::scalar_type_name(t));
        sigs.append(py::tuple(names));
      }
      e["dtypes"] = sigs;
      ops.append(e);
    }
    m["operators"] = ops;
    py::dict instr;
    instr["kernel_calls"] = ms.num_kernel_calls;
    instr["delegate_calls"] = ms.num_delegate_calls;
    instr["move_calls"] = ms.num_move_calls;
    instr["jump_false_calls"] = ms.num_jump_false_calls;
    instr["free_calls"] = ms.num_free_calls;
    m["instructions"] = instr;
    m["num_chains"] = ms.num_chains;
    py::dict values;
    values["total"] = ms.num_values;
    values["constant_tensors"] = ms.num_constant_tensors;
    values["planned_tensors"] = ms.num_planned_tensors;
    values["mutable_tensors"] = ms.num_mutable_tensors;
    m["values"] = values;
    int64_t planned_total = 0;
    for (int64_t b : ms.info.planned_buffer_sizes) planned_total += b;
    m["planned_memory"] = planned_total;
    py::list delegates;
    for (const auto& del : ms.delegates) {
      py::dict e;
      e["id"] = del.id;
      e["location"] = del.inline_data ? "inline" : "segment";
      e["index"] = del.index;
      e["size"] = del.size;
      e["valid"] = del.valid;
      e["compile_spec_keys"] = del.compile_spec_keys;
      e["calls"] = del.calls;
      delegates.append(e);
    }
    m["delegates"] = delegates;
    methods.append(m);
  }
  d["methods"] = methods;
  return d;
}

/// MethodGraph as plain Python data (what `ember inspect --html` draws).
py::dict method_graph_dict(const ember::MethodGraph& g) {
  py::list values;
  for (const ember::GraphValue& v : g.values) {
    py::dict e;
    e["kind"] = tag_name(v.tag);
    switch (v.tag) {
      case ember::Tag::Tensor:
        e["dtype"] = v.dtype_valid ? ember::scalar_type_name(v.dtype) : "unknown";
        e["sizes"] = v.sizes;
        e["dynamism"] = dynamism_name(v.dynamism);
        e["nbytes"] = v.nbytes;
        e["planned"] = v.planned;
        e["memory_id"] = v.memory_id;
        e["offset"] = v.offset;
        e["data_buffer_idx"] = v.data_buffer_idx;
        e["name"] = v.name;
        break;
      case ember::Tag::Int: e["value"] = v.int_value; break;
      case ember::Tag::Double: e["value"] = v.double_value; break;
      case ember::Tag::Bool: e["value"] = v.bool_value; break;
      case ember::Tag::String: e["value"] = v.string_value; break;
      case ember::Tag::IntList:
      case ember::Tag::TensorList:
      case ember::Tag::OptionalTensorList: e["items"] = v.items; break;
      default: break;
    }
    values.append(e);
  }
  py::list instructions;
  for (const ember::GraphInstruction& ins : g.instructions) {
    static const char* const kinds[] = {"kernel", "delegate", "move", "jump_false", "free"};
    py::dict e;
    e["chain"] = ins.chain;
    e["index"] = ins.index;
    e["kind"] = kinds[static_cast<int>(ins.kind)];
    e["target"] = ins.target;
    e["args"] = ins.args;
    instructions.append(e);
  }
  py::dict d;
  d["name"] = g.name;
  d["operators"] = g.operators;
  d["delegates"] = g.delegates;
  d["planned_buffer_sizes"] = g.planned_buffer_sizes;
  d["values"] = values;
  d["inputs"] = g.inputs;
  d["outputs"] = g.outputs;
  d["instructions"] = instructions;
  return d;
}

py::dict op_row(const ember::OpProfile& r) {
  py::dict d;
  d["name"] = r.name;
  d["kind"] = ember::event_kind_name(r.kind);
  d["calls"] = r.calls;
  d["total_ms"] = r.total_ms;
  d["share"] = r.share;
  return d;
}

/// ember::Profile as a Python object: its fields as plain data, its table,
/// Chrome trace and ETDump from the C++ (one implementation for ember_run and
/// Python).
void bind_profile(py::module_& m) {
  py::class_<ember::Profile>(m, "Profile")
      .def_readonly("method", &ember::Profile::method)
      .def_readonly("runs", &ember::Profile::runs)
      .def_readonly("dropped", &ember::Profile::dropped)
      .def("run_times_ms", &ember::Profile::run_times_ms)
      .def("total_ms", &ember::Profile::total_ms)
      .def("ops", [](const ember::Profile& p) {
        py::list rows;
        for (const ember::OpProfile& r : p.ops()) rows.append(op_row(r));
        return rows;
      })
      .def("delegate_ops", [](const ember::Profile& p) {
        py::list rows;
        for (const ember::OpProfile& r : p.delegate_ops()) rows.append(op_row(r));
        return rows;
      })
      .def("events", [](const ember::Profile& p) {
        py::list events;
        for (const ember::ProfileEvent& e : p.events) {
          events.append(py::make_tuple(e.name, ember::event_kind_name(e.kind), e.debug_handle,
                                       e.delegate_debug_id, e.start_ns, e.end_ns, e.run));
        }
        return events;
      }, "(name, kind, debug_handle, delegate_debug_id, start_ns, end_ns, run) per event")
      .def("table", &ember::Profile::table)
      .def("chrome_trace", &ember::Profile::chrome_trace)
      .def("etdump", [](const ember::Profile& p, int32_t bundled_input_index) {
        std::vector<uint8_t> bytes;
        check(ember::write_etdump(p, &bytes, bundled_input_index));
        return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      }, py::arg("bundled_input_index") = ember::kNoBundledInput,
         "the ETDump file's bytes: one run block per run");
}

class PyModule {
 public:
  explicit PyModule(std::unique_ptr<ember::Module> m) : m_(std::move(m)) {}

  static PyModule load(const std::string& path, bool poison) {
    ensure_kernels();
    ember::Status st;
    auto m = ember::Module::load(path, &st);
    if (!m) raise_status(st);
    m->set_poison_dead_memory(poison);
    return PyModule(std::move(m));
  }

  static PyModule from_bytes(const py::bytes& data, bool poison) {
    ensure_kernels();
    std::string_view view = data;
    ember::Status st;
    auto m = ember::Module::load_from_buffer(view.data(), view.size(), &st);
    if (!m) raise_status(st);
    m->set_poison_dead_memory(poison);
    return PyModule(std::move(m));
  }

  std::vector<std::string> method_names() const { return m_->method_names(); }

  py::dict method_info(const std::string& name) const {
    ember::MethodInfo info;
    check(m_->method_info(name, &info));
    return method_info_dict(info);
  }

  py::dict program_summary() const {
    ember::ProgramSummary summary;
    check(m_->program_summary(&summary));
    return summary_dict(summary);
  }

  py::dict method_graph(const std::string& name) const {
    ember::MethodGraph graph;
    check(ember::method_graph(m_->program(), name, &graph));
    return method_graph_dict(graph);
  }

  void load_method(const std::string& name) { check(m_->load_method(name)); }

  /// A .bpte's (program bytes, test suites), or None for a .pte.
  py::object bundled_program() const { return bundled_program_of(*m_); }

  /// A .bpte's [(method, number of test cases)], or None for a .pte (no copy).
  py::object bundled_test_cases() const {
    const ember::BundledProgram* b = m_->bundled_program();
    if (b == nullptr) return py::none();
    py::list suites;
    for (size_t s = 0; s < b->num_suites(); ++s) {
      suites.append(py::make_tuple(b->suite_method_name(s), b->num_test_cases(s)));
    }
    return suites;
  }

  /// Run and compare every test case of a .bpte (of `method` only, if not empty).
  py::dict verify(const std::string& method, double rtol, double atol) {
    ember::VerifyReport report;
    ember::Status st;
    {
      py::gil_scoped_release release;
      st = ember::verify_bundled_program(m_.get(), method, rtol, atol, &report);
    }
    check(st);
    return verify_report_of(report);
  }

  void set_step_limit(uint64_t max_steps) { m_->set_step_limit(max_steps); }
  uint64_t step_limit() const { return m_->step_limit(); }

  /// Run `name` on arrays; returns copies of the outputs as numpy arrays
  /// (memory of the last call's arrays that nothing references any more is
  /// reused: see recycled_).
  py::list execute(const std::string& name, const py::list& args) {
    std::vector<py::array> arrays;  // keeps converted inputs alive during the call
    const std::vector<ember::Value> inputs = to_inputs(name, args, &arrays);
    std::vector<ember::Value> outputs;
    ember::Status st;
    {
      py::gil_scoped_release release;
      st = m_->execute(name, inputs, &outputs);
    }
    check(st);
    return to_list(outputs, &recycled_[name]);
  }

  /// Run `name` `warmup` times, then `runs` times under a tracer.
  ember::Profile profile(const std::string& name, const py::list& args, size_t runs,
                         size_t warmup) {
    std::vector<py::array> arrays;
    const std::vector<ember::Value> inputs = to_inputs(name, args, &arrays);
    ember::Profile prof;
    ember::Status st;
    {
      py::gil_scoped_release release;
      st = m_->profile(name, inputs, runs, warmup, &prof);
    }
    check(st);
    return prof;
  }

 private:
  /// The method's inputs from Python values (arrays converted as needed and
  /// kept in `arrays`).
  std::vector<ember::Value> to_inputs(const std::string& name, const py::list& args,
                                      std::vector<py::array>* arrays) {
    const std::vector<ember::ValueInfo>& wanted = input_infos(name);
    if (args.size() != wanted.size())
      throw py::value_error("method '" + name + "' takes " + std::to_string(wanted.size()) +
                            " inputs, got " + std::to_string(args.size()));
    std::vector<ember::Value> inputs;
    inputs.reserve(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      const ember::ValueInfo& want = wanted[i];
      if (want.tag != ember::Tag::Tensor) {
        py::handle a = args[i];
        if (want.tag == ember::Tag::Int) inputs.push_back(ember::Value::from_int(a.cast<int64_t>()));
        else if (want.tag == ember::Tag::Double) inputs.push_back(ember::Value::from_double(a.cast<double>()));
        else if (want.tag == ember::Tag::Bool) inputs.push_back(ember::Value::from_bool(a.cast<bool>()));
        else throw py::value_error("input " + std::to_string(i) + " has an unsupported kind");
        continue;
      }
      const py::object& dtype = numpy_dtype_of(want.dtype);
      if (dtype.is_none())
        throw py::type_error(std::string("input dtype ") + ember::scalar_type_name(want.dtype) +
                             " has no numpy equivalent");
      py::array arr = py::array::ensure(args[i]);
      if (!arr) throw py::type_error("input " + std::to_string(i) + " is not an array");
      // Compared by value: a dtype from pickle, multiprocessing or
      // np.frombuffer is an equal object, not numpy's canonical one. The
      // other byte order of the same type is converted.
      const py::dtype want_dtype = py::reinterpret_borrow<py::dtype>(dtype);
      if (!arr.dtype().equal(want_dtype)) {
        const bool same_type = arr.dtype().kind() == want_dtype.kind() &&
                               arr.dtype().itemsize() == want_dtype.itemsize();
        if (!same_type)
          throw py::type_error("input " + std::to_string(i) + " has dtype " +
                               py::str(arr.dtype()).cast<std::string>() +
                               ", the method expects " + ember::scalar_type_name(want.dtype));
        arr = py::array::ensure(arr.attr("astype")(want_dtype));
      }
      // Any strides (a transposed view, a slice): read as a C-contiguous copy.
      arr = py::array::ensure(arr, py::array::c_style);
      arrays->push_back(arr);
      ember::TensorView view;
      view.dtype = want.dtype;
      for (py::ssize_t k = 0; k < arr.ndim(); ++k) view.sizes.push_back(arr.shape(k));
      view.data = arr.data();
      view.nbytes = arr.nbytes();
      inputs.push_back(ember::Value::from_tensor(std::move(view)));
    }
    return inputs;
  }

  /// Copies of the outputs: numpy arrays, Python scalars, lists, strings.
  /// A tensor output goes into `kept[i]`, the array this output was copied
  /// into last time, when only `kept` still holds it and its dtype and shape
  /// are the same; otherwise into a new array, kept for next time.
  py::list to_list(const std::vector<ember::Value>& outputs, std::vector<py::object>* kept) {
    py::list result;
    kept->resize(outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      const ember::Value& v = outputs[i];
      switch (v.tag) {
        case ember::Tag::Tensor: {
          const py::object& dtype = numpy_dtype_of(v.tensor.dtype);
          if (dtype.is_none())
            throw py::type_error(std::string("output dtype ") + ember::scalar_type_name(v.tensor.dtype) +
                                 " has no numpy equivalent");
          const py::dtype dt = py::reinterpret_borrow<py::dtype>(dtype);
          py::array out;  // (not null: an empty float64 array)
          if (reusable((*kept)[i], dt, v.tensor.sizes)) {
            out = py::reinterpret_borrow<py::array>((*kept)[i]);
          } else {
            out = py::array(dt, v.tensor.sizes);
            (*kept)[i] = out;
          }
          std::memcpy(out.mutable_data(), v.tensor.data, v.tensor.nbytes);
          result.append(out);
          break;
        }
        case ember::Tag::Int: result.append(v.int_value); break;
        case ember::Tag::Double: result.append(v.double_value); break;
        case ember::Tag::Bool: result.append(v.bool_value); break;
        case ember::Tag::String: result.append(py::str(v.string_value)); break;
        case ember::Tag::IntList: result.append(py::cast(v.int_list)); break;
        case ember::Tag::DoubleList: result.append(py::cast(v.double_list)); break;
        case ember::Tag::BoolList: result.append(py::cast(v.bool_list)); break;
        default: result.append(py::none());
      }
    }
    return result;
  }

  /// Whether `kept` is an array nobody else references (no caller, view or
  /// tensor sharing its memory) of `dtype` and `sizes`, writable and
  /// C-contiguous.
  static bool reusable(const py::object& kept, const py::dtype& dtype,
                       const std::vector<int64_t>& sizes) {
    if (!kept || kept.ref_count() != 1 || !py::isinstance<py::array>(kept)) return false;
    const auto a = py::reinterpret_borrow<py::array>(kept);
    if (!a.dtype().equal(dtype) || a.ndim() != static_cast<py::ssize_t>(sizes.size()) ||
        !a.writeable() || (a.flags() & py::array::c_style) == 0) {
      return false;
    }
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (a.shape(static_cast<py::ssize_t>(d)) != sizes[d]) return false;
    }
    return true;
  }

  /// Method `name`'s inputs, read from its metadata once (it cannot change
  /// while the program is loaded): a call then builds no MethodInfo.
  const std::vector<ember::ValueInfo>& input_infos(const std::string& name) {
    auto it = inputs_.find(name);
    if (it == inputs_.end()) {
      ember::MethodInfo info;
      check(m_->method_info(name, &info));
      it = inputs_.emplace(name, std::move(info.inputs)).first;
    }
    return it->second;
  }

  /// numpy_dtype(t), made once per dtype for this module.
  const py::object& numpy_dtype_of(ember::ScalarType t) {
    const size_t i = static_cast<size_t>(t);
    if (i >= np_dtypes_.size()) np_dtypes_.resize(i + 1);
    if (!np_dtypes_[i]) {
      py::object d = numpy_dtype(t);
      np_dtypes_[i] = d.is_none() ? d : py::object(py::dtype::from_args(d));
    }
    return np_dtypes_[i];
  }

  static void ensure_kernels() { ember::register_portable_kernels(); }
  std::unique_ptr<ember::Module> m_;
  std::map<std::string, std::vector<ember::ValueInfo>> inputs_;
  std::vector<py::object> np_dtypes_;  ///< by ScalarType; null: not made yet
  /// Per method, the arrays its tensor outputs were last copied into. A
  /// large output in a fresh array costs a page fault per 4 KiB on every
  /// call; an array the caller has dropped is filled again instead.
  std::map<std::string, std::vector<py::object>> recycled_;
};

}  // namespace

void bind_runtime(py::module_& m) {
  py::class_<PyModule>(m, "RuntimeModule")
      .def_static("load", &PyModule::load, py::arg("path"), py::arg("poison_dead_memory") = false,
                  "Load a .pte or .bpte file (memory-mapped).")
      .def_static("from_bytes", &PyModule::from_bytes, py::arg("data"),
                  py::arg("poison_dead_memory") = false, "Load a .pte from bytes (copied).")
      .def("method_names", &PyModule::method_names)
      .def("method_info", &PyModule::method_info, py::arg("name"))
      .def("program_summary", &PyModule::program_summary,
           "Header, segments, constants, named data and every method's operators (with "
           "call counts), delegates and memory, as a dict (what `ember inspect` prints).")
      .def("method_graph", &PyModule::method_graph, py::arg("name"),
           "A method's values (kind, dtype, sizes, planned memory_id and offset, constant "
           "data index) and instructions (kind, operator or delegate index, argument value "
           "indices), as a dict (what `ember inspect --html` draws).")
      .def("load_method", &PyModule::load_method, py::arg("name"))
      .def("bundled_program", &PyModule::bundled_program,
           "A .bpte's (program bytes, [(method, [(inputs, expected_outputs)])]), else None.")
      .def("bundled_test_cases", &PyModule::bundled_test_cases,
           "A .bpte's [(method, number of test cases)], else None.")
      .def("verify", &PyModule::verify, py::arg("method") = "",
           py::arg("rtol") = ember::kDefaultRtol, py::arg("atol") = ember::kDefaultAtol,
           "Run every test case of a .bpte and compare the outputs (a report dict).")
      .def_property("step_limit", &PyModule::step_limit, &PyModule::set_step_limit,
                    "Most instructions one run may execute before it fails (0: no limit).")
      .def("execute", &PyModule::execute, py::arg("name"), py::arg("inputs"))
      .def("profile", &PyModule::profile, py::arg("name"), py::arg("inputs"), py::arg("runs"),
           py::arg("warmup"),
           "Run a method `warmup` times, then `runs` times with every instruction timed.");
  bind_profile(m);
  m.def("read_etdump", [](const py::bytes& data) {
    // Copied: FlatBuffers reads scalars in place, so give it aligned memory.
    const std::string_view view = data;
    const std::vector<uint8_t> bytes(view.begin(), view.end());
    std::vector<ember::EtdumpRun> runs;
    check(ember::read_etdump(bytes.data(), bytes.size(), &runs));
    py::list out;
    for (const ember::EtdumpRun& r : runs) {
      py::list events;
      for (const ember::EtdumpEvent& e : r.events) {
        events.append(py::make_tuple(e.name, e.chain_index, e.instruction_id,
                                     e.delegate_debug_id_int, e.delegate_debug_id_str,
                                     e.start_time, e.end_time));
      }
      out.append(py::make_tuple(r.name, r.bundled_input_index, events));
    }
    return out;
  }, "An ETDump's runs: (name, bundled_input_index, [(name, chain_index, instruction_id, "
     "delegate_debug_id_int, delegate_debug_id_str, start_time, end_time)]) each");
  m.def("set_num_threads", [](size_t n) {
    const ember::Error e = ember::set_num_threads(n);
    if (e != ember::Error::Ok) {
      raise_status({e, "set_num_threads(" + std::to_string(n) + ") failed (see the log line "
                       "above for why)"});
    }
  }, py::arg("n"), "Threads of the process's pool from now on (0: one per core).");
  m.def("get_num_threads", [] { return ember::get_num_threads(); },
        "Threads the process's pool uses now.");
  m.def("num_cores", [] { return ember::num_cores(); }, "Online cores (at least 1).");
  m.attr("MAX_THREADS") = ember::kMaxThreads;
  m.def("registered_kernels", [] {
    ember::register_portable_kernels();
    std::vector<std::string> names;
    for (size_t i = 0; i < ember::num_registered_kernels(); ++i)
      names.push_back(ember::registered_kernel(i)->name);
    return names;
  }, "Names of every kernel registered in the runtime (portable kernels included).");
  m.def("kernel_library", [] {
    char library[64];
    ember::describe_kernel_libraries(library, sizeof(library));
    return std::string(library);
  }, "The kernel library this process runs: \"optimized (<isa>)\" over the portable kernels, "
     "or \"portable\" (EMBER_KERNELS=portable at import).");
  m.def("operator_writes", [](const std::string& name) -> py::object {
    ember::register_portable_kernels();
    const ember::OperatorWrites* w = ember::find_operator_writes(name.c_str());
    if (w == nullptr) return py::none();
    py::list written;
    for (uint32_t k = 0; k < w->num_schema_args && k < 32; ++k) {
      if ((w->written_args >> k) & 1u) written.append(k);
    }
    return py::make_tuple(w->num_schema_args, written);
  }, py::arg("name"),
     "(schema argument count, the schema arguments it writes) of a registered operator, "
     "or None: a KernelCall's arguments from the count on are its results, also written.");
  m.def("registered_backends", [] {
    std::vector<std::string> names;
    for (size_t i = 0; i < ember::num_registered_backends(); ++i)
      names.push_back(ember::registered_backend(i)->name);
    return names;
  }, "Names of the delegate backends this build registered (e.g. XnnpackBackend).");
}
