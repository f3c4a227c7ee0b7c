// The ember._C extension: the compiler core and the runtime, bound for Python.
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <cstring>

#include "runtime/backends/test/test_backend.h"
#ifdef EMBER_HAVE_XNNPACK
#include "runtime/backends/xnnpack/xnnpack_backend.h"
#endif
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/kernel_libraries.h"

namespace py = pybind11;

void bind_compiler(py::module_& m);
void bind_runtime(py::module_& m);
void bind_bundled(py::module_& m);
#ifdef EMBER_HAVE_LLM_TOKENIZER
void bind_llm(py::module_& m);
#endif

PYBIND11_MODULE(_C, m) {
  m.doc() = "Ember's C++ core: the MLIR compiler (Edge IR, passes, .pte emitter) and the runtime";
  // Explicit registration, once, at import: the portable kernels and the
  // backends this build has.
  // The optimized kernels over the portable ones, unless EMBER_KERNELS=portable
  // (read once, here: the kernel library is chosen per process).
  ember::register_kernel_libraries();
  ember::register_test_backend();
#ifdef EMBER_HAVE_XNNPACK
  ember::register_xnnpack_backend();
#endif
  bind_compiler(m);
  bind_runtime(m);
  bind_bundled(m);
#ifdef EMBER_HAVE_LLM_TOKENIZER
  bind_llm(m);
#endif
}
