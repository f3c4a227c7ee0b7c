// The ember._C extension: the compiler core and the runtime, bound for Python.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_compiler(py::module_& m);
void bind_runtime(py::module_& m);

PYBIND11_MODULE(_C, m) {
  m.doc() = "Ember's C++ core: the MLIR compiler (Edge IR, passes, .pte emitter) and the runtime";
  bind_compiler(m);
  bind_runtime(m);
}
