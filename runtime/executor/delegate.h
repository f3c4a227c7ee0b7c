// Internal to the executor: a method's delegates, resolved and initialized
// once at load (see runtime/backend/backend.h for the backend side).
#pragma once

#include <cstddef>

#include "runtime/backend/backend.h"
#include "runtime/core/error.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/core/span.h"

namespace executorch_flatbuffer {
struct BackendDelegate;
}

namespace ember {

class Program;

/// One initialized delegate, in the method allocator.
struct DelegateState {
  const BackendInterface* backend = nullptr;
  DelegateHandle* handle = nullptr;
  const char* id = "";  ///< the backend name, into the .pte
  size_t temp_bytes = 0;  ///< what its execute() takes from the temp memory at most
};

/// The processed bytes of delegate `index`: INLINE data from
/// Program.backend_delegate_data, or SEGMENT data from Program.segments.
/// Every index, offset and size is checked (InvalidProgram, logged).
Result<Span<const uint8_t>> delegate_processed_data(const Program& program,
                                                    const executorch_flatbuffer::BackendDelegate* d,
                                                    size_t index);

/// Resolve delegate `index` to its registered backend and call its init()
/// once with the processed bytes and the compile specs (copied into
/// `allocator` as CompileSpec views); `temp_capacity` is what the method's
/// temp memory will hold (BackendInitContext::request_temp). NotFound when
/// the backend is unknown or unavailable; the backend's error when init
/// fails. Fills `out` on success.
Error init_delegate(const Program& program, const char* method_name,
                    const executorch_flatbuffer::BackendDelegate* d, size_t index,
                    MemoryAllocator* allocator, size_t temp_capacity, DelegateState* out);

}  // namespace ember
