// Choosing the kernel libraries of a process: what ember_run and the Python
// module register at start. Header-only, so that it sees whether the caller
// links the optimized library (EMBER_HAVE_OPTIMIZED_KERNELS comes with it).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/kernel/kernel.h"
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
#include "runtime/kernels/optimized/cpu.h"
#endif

namespace ember {

/// Register the portable kernels and, when this build has them and
/// EMBER_KERNELS is not "portable", Ember's optimized kernels over them.
inline Error register_kernel_libraries() {
  EMBER_TRY(register_portable_kernels());
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  const char* choice = std::getenv("EMBER_KERNELS");
  if (choice == nullptr || std::strcmp(choice, "portable") != 0) {
    EMBER_TRY(register_optimized_kernels());
  }
#endif
  return Error::Ok;
}

/// What runs this process's float32 calls, into `buf`: "optimized (<isa>)"
/// when the optimized kernels are registered over the portable ones, else
/// "portable".
inline void describe_kernel_libraries(char* buf, size_t cap) {
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  // Optimized when a kernel with a dtype key is registered: the portable
  // kernels and prim ops all have catch-all keys (a selective build may keep
  // any subset of the optimized ones).
  for (size_t i = 0; i < num_registered_kernels(); ++i) {
    if (registered_kernel(i)->key.num_dtypes != 0) {
      std::snprintf(buf, cap, "optimized (%s)", optimized::isa_name(optimized::active_isa()));
      return;
    }
  }
#endif
  std::snprintf(buf, cap, "portable");
}

}  // namespace ember
