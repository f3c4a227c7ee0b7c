// XnnpackBackend: runs ExecuTorch's XNNPACK delegate blobs on Debian's
// XNNPACK (libxnnpack-dev, snapshot of 2022-02-16), so that .pte files
// lowered with ExecuTorch's XnnpackPartitioner (and Ember's own) run in
// Ember's runtime. The blob format and what runs or is refused are in
// docs/xnnpack.md.
//
//   ember::register_portable_kernels();   // what the delegates leave to the runtime
//   ember::register_xnnpack_backend();
//   ... load a program whose BackendDelegate.id is "XnnpackBackend" ...
//
// init() validates the blob (untrusted input: every id, index, offset and
// size is checked), refuses by name any node this XNNPACK build cannot run,
// builds one XNNPACK runtime per run of consecutive XNNPACK nodes (weights
// packed there, on the process's thread pool, ember::get_threadpool()) with
// Ember-run transposes between them, and tells the executor the blob may be
// freed. Memory: init() allocates with malloc (the XNNPACK runtimes, the
// buffers between stages, copies of the constants XNNPACK reads at run
// time); destroy() frees it all, and a failed init() leaves nothing behind.
// execute() allocates nothing while its tensors' addresses stay the same
// (XNNPACK's setup, redone when they change, may allocate).
#pragma once

#include "runtime/core/error.h"

namespace ember {

/// The name a program's BackendDelegate.id uses for this backend (ExecuTorch's).
constexpr const char kXnnpackBackendName[] = "XnnpackBackend";

/// Register XnnpackBackend in the backend table. Idempotent.
Error register_xnnpack_backend();

}  // namespace ember
