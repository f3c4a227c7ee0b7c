// EmberTestBackend: a backend whose processed blob is itself a complete
// Ember/ExecuTorch .pte with one method, `forward`, whose inputs and outputs
// are the delegate's inputs and outputs, in order. It exercises the whole
// delegate path (blob lookup, init, execute, destroy) with nothing but the
// runtime itself, and lets tests and the compiler check a partitioned program
// against the same subgraph run through the portable kernels.
//
//   ember::register_portable_kernels();   // the nested program's kernels
//   ember::register_test_backend();
//   ... load a program whose BackendDelegate.id is "EmberTestBackend" ...
//
// Memory: unlike the heap-free core, init() allocates with malloc (the
// nested Program's bookkeeping, its method arena sized by
// MethodMeta::method_memory_bound(), zero-filled planned buffers and a temp
// arena); destroy() frees it all. execute() allocates nothing: it copies the
// outer inputs into the nested method, runs it and copies its outputs out.
// The blob is read in place (zero-copy) when it is 16-byte aligned, which
// the format guarantees for both inline data and segments; a misaligned blob
// is copied once at init.
//
// Profiling: with an event tracer attached to the outer method, execute()
// logs the nested run as one DelegateInternal event,
// "EmberTestBackend::forward" (delegate debug id 0), under the DelegateCall's
// debug handle.
//
// Compile specs: "temp_bytes" (8-byte little-endian unsigned, at most
// 64 MiB) sets the nested method's kernel scratch memory (default 256 KiB).
// Others are ignored. Nested programs needing more than 256 MiB of planned
// memory are refused (NotSupported): the blob is untrusted input too.
#pragma once

#include "runtime/core/error.h"

namespace ember {

/// The name a program's BackendDelegate.id uses for this backend.
constexpr const char kTestBackendName[] = "EmberTestBackend";

/// Most levels of test-backend programs nested inside each other's blobs.
constexpr int kTestBackendMaxNesting = 4;

/// Register EmberTestBackend in the backend table. Idempotent.
Error register_test_backend();

}  // namespace ember
