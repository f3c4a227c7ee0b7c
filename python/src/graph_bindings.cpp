// Python bindings of the importer's input (compiler/GraphDesc.h) as the
// submodule ember._C.graph. The front end (python/ember/_graph) builds these
// structs directly, one constructor or factory per kind of value, so nothing
// crosses as a tagged tuple to be parsed here: a value of the wrong kind is a
// TypeError at the call that made it, naming the expected types. The structs
// are read-only from Python once built (a list field read back is a copy).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <sstream>

#include "compiler/GraphDesc.h"

namespace py = pybind11;
using ember::ArgValue;
using ember::SymDesc;

namespace {

/// Sym ids per list element, -1 where the element is static.
std::vector<int64_t> sym_ids(const std::vector<std::optional<int64_t>>& ids) {
  std::vector<int64_t> out;
  for (const auto& id : ids) {
    if (id && *id < 0) throw py::value_error("a sym id is not negative");
    out.push_back(id.value_or(-1));
  }
  return out;
}

/// ArgValue::Kind as Python sees it (ember._C.graph.ArgKind): a type of this
/// file's own, as the typeinfo py::enum_ needs of ember's type would be
/// exported from _C (test_interop checks that nothing of Ember's is).
enum class ArgKind { None, Int, Float, Bool, String, IntList, FloatList, BoolList, Tensor, TensorList };

ArgKind kind_of(const ArgValue& a) {
  using K = ArgValue::Kind;
  switch (a.kind) {
  case K::None: return ArgKind::None;
  case K::Int: return ArgKind::Int;
  case K::Double: return ArgKind::Float;
  case K::Bool: return ArgKind::Bool;
  case K::String: return ArgKind::String;
  case K::IntList: return ArgKind::IntList;
  case K::DoubleList: return ArgKind::FloatList;
  case K::BoolList: return ArgKind::BoolList;
  case K::Tensor: return ArgKind::Tensor;
  case K::TensorList: return ArgKind::TensorList;
  }
  return ArgKind::None;
}

ArgValue arg(ArgValue::Kind kind) {
  ArgValue a;
  a.kind = kind;
  return a;
}

/// The Python expression that makes `a` (Arg.int(4, sym=2), ...).
std::string repr(const ArgValue& a) {
  using K = ArgValue::Kind;
  std::ostringstream os;
  auto real = [](double v) { return py::repr(py::float_(v)).cast<std::string>(); };
  auto list = [&os](const auto& values, auto show) {
    os << '[';
    for (size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << show(values[i]);
    os << ']';
  };
  auto ids = [&os](const std::vector<int64_t>& values) {
    os << '[';
    for (size_t i = 0; i < values.size(); ++i)
      os << (i ? ", " : "") << (values[i] < 0 ? "None" : std::to_string(values[i]));
    os << ']';
  };
  switch (a.kind) {
  case K::None: os << "Arg.none()"; break;
  case K::Int: os << "Arg.int(" << a.intValue; break;
  case K::Double: os << "Arg.float(" << real(a.doubleValue); break;
  case K::Bool: os << "Arg.bool(" << (a.boolValue ? "True" : "False") << ')'; break;
  case K::String: os << "Arg.string(" << py::repr(py::str(a.stringValue)).cast<std::string>() << ')'; break;
  case K::IntList: os << "Arg.int_list("; list(a.ints, [](int64_t v) { return v; }); break;
  case K::DoubleList: os << "Arg.float_list("; list(a.doubles, real); os << ')'; break;
  case K::BoolList:
    os << "Arg.bool_list(";
    list(a.bools, [](bool v) { return v ? "True" : "False"; });
    os << ')';
    break;
  case K::Tensor: os << "Arg.tensor(" << a.ints[0] << ')'; break;
  case K::TensorList: os << "Arg.tensor_list("; ids(a.ints); os << ')'; break;
  }
  if (a.kind == K::Int || a.kind == K::Double) {
    if (!a.symIds.empty()) os << ", sym=" << a.symIds[0];
    os << ')';
  } else if (a.kind == K::IntList) {
    if (!a.symIds.empty()) { os << ", syms="; ids(a.symIds); }
    os << ')';
  }
  return os.str();
}

/// Shared ownership of a Python object, released under the GIL wherever the
/// last copy goes.
std::shared_ptr<const void> hold(py::object object) {
  return std::shared_ptr<py::object>(new py::object(std::move(object)), [](py::object* o) {
    py::gil_scoped_acquire gil;
    delete o;
  });
}

/// A constant over the memory of `data` (a C-contiguous buffer, not copied).
ember::ConstantDesc constant(int64_t id, std::string name, ember::TensorDesc type,
                             const py::buffer& data, bool mutable_buffer) {
  py::buffer_info info = data.request();
  py::ssize_t expect = info.itemsize;
  for (py::ssize_t k = info.ndim - 1; k >= 0; --k) {
    if (info.shape[k] > 1 && info.strides[k] != expect)
      throw py::value_error("constant '" + name + "' is not contiguous");
    expect *= info.shape[k];
  }
  ember::ConstantDesc c;
  c.id = id;
  c.name = std::move(name);
  c.type = std::move(type);
  c.data = info.ptr;
  c.nbytes = static_cast<size_t>(info.size * info.itemsize);
  c.owner = hold(data);
  c.mutableBuffer = mutable_buffer;
  return c;
}

}  // namespace

void bind_graph(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "graph", "What CompilerSession.import_graphs takes: one Graph per method (compiler/GraphDesc.h).");

  py::class_<ember::TensorDesc>(m, "TensorType",
                                "Element type (.pte ScalarType code) and shape; a dynamic "
                                "tensor's shape is its upper bound.")
      .def(py::init([](int dtype, std::vector<int64_t> shape, bool dynamic) {
             return ember::TensorDesc{dtype, std::move(shape), dynamic};
           }),
           py::arg("dtype"), py::arg("shape"), py::arg("dynamic") = false)
      .def_readonly("dtype", &ember::TensorDesc::dtype)
      .def_readonly("shape", &ember::TensorDesc::shape)
      .def_readonly("dynamic", &ember::TensorDesc::dynamic)
      .def("__repr__", [](const ember::TensorDesc& t) {
        std::ostringstream os;
        os << "TensorType(" << t.dtype << ", [";
        for (size_t i = 0; i < t.shape.size(); ++i) os << (i ? ", " : "") << t.shape[i];
        os << "]" << (t.dynamic ? ", dynamic=True)" : ")");
        return os.str();
      });

  py::class_<ember::SourceLoc>(m, "SourceLoc", "Where in the user's code a node came from.")
      .def(py::init([](std::string file, int line, std::string function) {
             return ember::SourceLoc{std::move(file), line, std::move(function)};
           }),
           py::arg("file") = "", py::arg("line") = 0, py::arg("function") = "")
      .def_readonly("file", &ember::SourceLoc::file)
      .def_readonly("line", &ember::SourceLoc::line)
      .def_readonly("function", &ember::SourceLoc::function)
      .def("__str__", [](const ember::SourceLoc& l) {
        return l.file.empty() ? std::string("<unknown location>")
                              : l.file + ":" + std::to_string(l.line) + " in " + l.function;
      });

  py::enum_<ArgKind>(m, "ArgKind")
      .value("NONE", ArgKind::None)
      .value("INT", ArgKind::Int)
      .value("FLOAT", ArgKind::Float)
      .value("BOOL", ArgKind::Bool)
      .value("STRING", ArgKind::String)
      .value("INT_LIST", ArgKind::IntList)
      .value("FLOAT_LIST", ArgKind::FloatList)
      .value("BOOL_LIST", ArgKind::BoolList)
      .value("TENSOR", ArgKind::Tensor)
      .value("TENSOR_LIST", ArgKind::TensorList);

  // One factory per kind. A dtype, layout or memory format is its .pte code
  // (an int), a device its string. `sym` / `syms` name the run-time size an
  // argument takes (a Sym id; the literal is its value at the upper bound).
  using K = ArgValue::Kind;
  py::class_<ArgValue>(m, "Arg", "One schema argument of a node.")
      .def_static("none", [] { return arg(K::None); })
      .def_static("int", [](int64_t value, std::optional<int64_t> sym) {
        ArgValue a = arg(K::Int);
        a.intValue = value;
        if (sym) a.symIds = sym_ids({sym});
        return a;
      }, py::arg("value"), py::arg("sym") = py::none())
      .def_static("float", [](double value, std::optional<int64_t> sym) {
        ArgValue a = arg(K::Double);
        a.doubleValue = value;
        if (sym) a.symIds = sym_ids({sym});
        return a;
      }, py::arg("value"), py::arg("sym") = py::none())
      .def_static("bool", [](bool value) {
        ArgValue a = arg(K::Bool);
        a.boolValue = value;
        return a;
      }, py::arg("value"))
      .def_static("string", [](std::string value) {
        ArgValue a = arg(K::String);
        a.stringValue = std::move(value);
        return a;
      }, py::arg("value"))
      .def_static("int_list", [](std::vector<int64_t> values,
                                 std::optional<std::vector<std::optional<int64_t>>> syms) {
        ArgValue a = arg(K::IntList);
        if (syms && syms->size() != values.size())
          throw py::value_error("Arg.int_list: one sym (or None) per value");
        a.ints = std::move(values);
        if (syms) a.symIds = sym_ids(*syms);
        return a;
      }, py::arg("values"), py::arg("syms") = py::none(),
         "`syms`: per element, the Sym id it takes at run time, or None where static.")
      .def_static("float_list", [](std::vector<double> values) {
        ArgValue a = arg(K::DoubleList);
        a.doubles = std::move(values);
        return a;
      }, py::arg("values"))
      .def_static("bool_list", [](std::vector<bool> values) {
        ArgValue a = arg(K::BoolList);
        a.bools = std::move(values);
        return a;
      }, py::arg("values"))
      .def_static("tensor", [](int64_t id) {
        if (id < 0) throw py::value_error("Arg.tensor: a value id is not negative");
        ArgValue a = arg(K::Tensor);
        a.ints = {id};
        return a;
      }, py::arg("id"), "A tensor by value id.")
      .def_static("tensor_list", [](const std::vector<std::optional<int64_t>>& ids) {
        ArgValue a = arg(K::TensorList);
        for (const auto& id : ids) {
          if (id && *id < 0) throw py::value_error("Arg.tensor_list: a value id is not negative");
          a.ints.push_back(id.value_or(-1));
        }
        return a;
      }, py::arg("ids"), "Tensors by value id, None for an absent optional tensor.")
      .def_property_readonly("kind", &kind_of)
      .def("__repr__", &repr);

  py::class_<SymDesc>(m, "Sym",
                      "A value computed at run time from sizes (a SymInt, or a SymFloat "
                      "when is_float); `id` is what arguments and other Syms refer to it by.")
      .def_static("size", [](int64_t id, int64_t tensor, int64_t dim) {
        SymDesc s;
        s.id = id;
        s.kind = SymDesc::Kind::Size;
        s.tensor = tensor;
        s.dim = dim;
        return s;
      }, py::arg("id"), py::arg("tensor"), py::arg("dim"), "Size `dim` of a tensor (value id).")
      .def_static("numel", [](int64_t id, int64_t tensor) {
        SymDesc s;
        s.id = id;
        s.kind = SymDesc::Kind::Numel;
        s.tensor = tensor;
        return s;
      }, py::arg("id"), py::arg("tensor"), "The element count of a tensor (value id).")
      .def_static("op", [](int64_t id, std::string fn, std::vector<int64_t> operands, bool is_float) {
        SymDesc s;
        s.id = id;
        s.kind = SymDesc::Kind::Op;
        s.fn = std::move(fn);
        s.operands = std::move(operands);
        s.isFloat = is_float;
        return s;
      }, py::arg("id"), py::arg("fn"), py::arg("operands"), py::arg("is_float"),
         "edge.sym_op's function `fn` (\"add\", \"floordiv\", ...) of other Syms.")
      .def_static("int_constant", [](int64_t id, int64_t value) {
        SymDesc s;
        s.id = id;
        s.kind = SymDesc::Kind::Constant;
        s.intValue = value;
        return s;
      }, py::arg("id"), py::arg("value"), "A literal operand of size arithmetic.")
      .def_static("float_constant", [](int64_t id, double value) {
        SymDesc s;
        s.id = id;
        s.kind = SymDesc::Kind::Constant;
        s.isFloat = true;
        s.doubleValue = value;
        return s;
      }, py::arg("id"), py::arg("value"), "A literal operand of size arithmetic.")
      .def_readonly("id", &SymDesc::id)
      .def_readonly("is_float", &SymDesc::isFloat);

  py::class_<ember::NodeDesc>(m, "Node", "One call of an ATen op.")
      .def(py::init([](std::string target, std::string overload, std::string name,
                       std::vector<ArgValue> args, std::vector<ember::TensorDesc> results,
                       std::vector<int64_t> result_ids, ember::SourceLoc loc) {
             if (results.size() != result_ids.size())
               throw py::value_error("node '" + name + "': one result id per result");
             return ember::NodeDesc{std::move(target), std::move(overload), std::move(name),
                                    std::move(args), std::move(results), std::move(result_ids),
                                    std::move(loc)};
           }),
           py::arg("target"), py::arg("overload"), py::arg("name"), py::arg("args"),
           py::arg("results"), py::arg("result_ids"), py::arg("loc") = ember::SourceLoc{},
           "`target` as \"aten::convolution\", `overload` as \"default\"; `args` every "
           "schema argument in schema order, defaults filled in.")
      .def_readonly("target", &ember::NodeDesc::target)
      .def_readonly("overload", &ember::NodeDesc::overload)
      .def_readonly("name", &ember::NodeDesc::name)
      .def_readonly("args", &ember::NodeDesc::args)
      .def_readonly("results", &ember::NodeDesc::results)
      .def_readonly("result_ids", &ember::NodeDesc::resultIds)
      .def_readonly("loc", &ember::NodeDesc::loc);

  py::class_<ember::ConstantDesc>(m, "Constant",
                                  "A weight, buffer or lifted constant over the memory of "
                                  "`data` (C-contiguous; kept alive, never copied).")
      .def(py::init(&constant), py::arg("id"), py::arg("name"), py::arg("type"), py::arg("data"),
           py::arg("mutable") = false)
      .def_readonly("id", &ember::ConstantDesc::id)
      .def_readonly("name", &ember::ConstantDesc::name)
      .def_readonly("type", &ember::ConstantDesc::type)
      .def_readonly("nbytes", &ember::ConstantDesc::nbytes)
      .def_readonly("mutable", &ember::ConstantDesc::mutableBuffer)
      .def_property_readonly("data_address", [](const ember::ConstantDesc& c) {
        return reinterpret_cast<uintptr_t>(c.data);
      }, "Where the bytes are (the array's own memory).");

  py::class_<ember::InputDesc>(m, "Input", "A user input.")
      .def(py::init([](int64_t id, std::string name, ember::TensorDesc type) {
             return ember::InputDesc{id, std::move(name), std::move(type)};
           }),
           py::arg("id"), py::arg("name"), py::arg("type"))
      .def_readonly("id", &ember::InputDesc::id)
      .def_readonly("name", &ember::InputDesc::name)
      .def_readonly("type", &ember::InputDesc::type);

  py::class_<ember::WriteBackDesc>(m, "WriteBack",
                                   "A buffer mutation: after the method's other work, buffer "
                                   "`buffer` (a mutable Constant's id) takes value `value`.")
      .def(py::init([](int64_t buffer, int64_t value) { return ember::WriteBackDesc{buffer, value}; }),
           py::arg("buffer"), py::arg("value"))
      .def_readonly("buffer", &ember::WriteBackDesc::bufferId)
      .def_readonly("value", &ember::WriteBackDesc::valueId);

  py::class_<ember::GraphDesc>(m, "Graph", "One method's graph.")
      .def(py::init([](std::string name, std::vector<ember::InputDesc> inputs,
                       std::vector<ember::ConstantDesc> constants, std::vector<ember::NodeDesc> nodes,
                       std::vector<int64_t> outputs, std::vector<ember::WriteBackDesc> write_backs,
                       std::vector<SymDesc> syms, std::string in_spec, std::string out_spec) {
             return ember::GraphDesc{std::move(name), std::move(inputs), std::move(constants),
                                     std::move(nodes), std::move(outputs), std::move(write_backs),
                                     std::move(syms), std::move(in_spec), std::move(out_spec)};
           }),
           py::kw_only(), py::arg("name"), py::arg("inputs"), py::arg("constants"),
           py::arg("nodes"), py::arg("outputs"), py::arg("write_backs") = std::vector<ember::WriteBackDesc>{},
           py::arg("syms") = std::vector<SymDesc>{}, py::arg("in_spec") = "",
           py::arg("out_spec") = "",
           "`outputs`: value ids; `syms`: the run-time sizes arguments refer to; `in_spec` / "
           "`out_spec`: the pytree container strings of the inputs and outputs.")
      .def_readonly("name", &ember::GraphDesc::name)
      .def_readonly("inputs", &ember::GraphDesc::inputs)
      .def_readonly("constants", &ember::GraphDesc::constants)
      .def_readonly("nodes", &ember::GraphDesc::nodes)
      .def_readonly("outputs", &ember::GraphDesc::outputs)
      .def_readonly("write_backs", &ember::GraphDesc::writeBacks)
      .def_readonly("syms", &ember::GraphDesc::syms)
      .def_readonly("in_spec", &ember::GraphDesc::inSpec)
      .def_readonly("out_spec", &ember::GraphDesc::outSpec);
}
