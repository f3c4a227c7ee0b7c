// The ember._C extension: the compiler core and the runtime, bound for Python.
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <cstring>

#include "runtime/backends/test/test_backend.h"
#ifdef EMBER_HAVE_XNNPACK
#include "runtime/backends/xnnpack/xnnpack_backend.h"
#endif
#include "runtime/kernel/kernel.h"

namespace py = pybind11;

void bind_compiler(py::module_& m);
void bind_runtime(py::module_& m);

PYBIND11_MODULE(_C, m) {
  m.doc() = "Ember's C++ core: the MLIR compiler (Edge IR, passes, .pte emitter) and the runtime";
  // Explicit registration, once, at import: the portable kernels and the
  // backends this build has.
  // The optimized kernels over the portable ones, unless EMBER_KERNELS=portable
  // (read once, here: the kernel library is chosen per process).
  const char* kernels = std::getenv("EMBER_KERNELS");
  ember::register_portable_kernels();
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  if (kernels == nullptr || std::strcmp(kernels, "portable") != 0) ember::register_optimized_kernels();
#else
  (void)kernels;
#endif
  ember::register_test_backend();
#ifdef EMBER_HAVE_XNNPACK
  ember::register_xnnpack_backend();
#endif
  bind_compiler(m);
  bind_runtime(m);
}
