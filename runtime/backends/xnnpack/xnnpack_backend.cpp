// XnnpackBackend: init reads and checks the blob, builds the delegate and
// lets the blob go; execute runs it; destroy frees it (xnnpack_backend.h).
#include "runtime/backends/xnnpack/xnnpack_backend.h"

#include <cstdlib>
#include <new>

#include "runtime/backend/backend.h"
#include "runtime/backends/xnnpack/delegate_plan.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace {

using xnnpack::Delegate;

constexpr size_t kArenaAlignment = 64;

class XnnpackBackend final : public BackendInterface {
 public:
  bool is_available() const override { return xnn_initialize(nullptr) == xnn_status_success; }

  Result<DelegateHandle*> init(BackendInitContext& context, Span<const uint8_t> processed,
                               Span<const CompileSpec> compile_specs) const override {
    (void)compile_specs;  // ExecuTorch's XNNPACK delegate has none that change the graph
    EMBER_CHECK(xnn_initialize(nullptr) == xnn_status_success, Error::NotSupported,
                "XnnpackBackend: XNNPACK does not run on this processor");
    // 1. Read and check the graph; its temporary memory goes with `scratch`.
    xnnpack::OwnedMemory scratch;
    xnnpack::Graph graph;
    EMBER_TRY(xnnpack::parse_graph(processed, context, scratch, &graph));
    EMBER_TRY(xnnpack::check_nodes(graph));

    // 2. Build the delegate (runtimes, buffers, copies of run-time constants).
    void* storage = std::malloc(sizeof(Delegate));
    EMBER_CHECK(storage != nullptr, Error::MemoryAllocationFailed, "XnnpackBackend: out of memory");
    Delegate* d = new (storage) Delegate();
    const Error err = xnnpack::build_delegate(graph, scratch, d, &context);
    if (err != Error::Ok) {
      release(d);
      return err;
    }

    // 3. The values that live only during a call: in the method's temp
    // memory, or in the delegate's own when that is too small.
    if (d->arena_bytes > 0 && !context.request_temp(d->arena_bytes + kArenaAlignment)) {
      d->own_arena = static_cast<uint8_t*>(d->memory.allocate(d->arena_bytes));
      if (d->own_arena == nullptr) {
        EMBER_LOG(Error, "XnnpackBackend: out of memory for %zu bytes of intermediate values",
                  d->arena_bytes);
        release(d);
        return Error::MemoryAllocationFailed;
      }
      EMBER_LOG(Info, "XnnpackBackend: the method's temp memory is smaller than the %zu bytes of "
                "this delegate's intermediate values: they get memory of their own",
                d->arena_bytes);
    }

    // 4. The weights are packed and the rest copied: the blob and the named
    // data it read may be given back.
    context.set_processed_freeable();
    for (uint32_t i = 0; i < graph.num_named; ++i) context.release_named_data(graph.named[i]);
    return static_cast<DelegateHandle*>(d);
  }

  Error execute(BackendExecutionContext& context, DelegateHandle* handle,
                Span<EValue*> args) const override {
    EMBER_CHECK(handle != nullptr, Error::DelegateInvalidHandle, "XnnpackBackend: null handle");
    Delegate* d = static_cast<Delegate*>(handle);
    uint8_t* arena = d->own_arena;
    if (arena == nullptr && d->arena_bytes > 0) {
      arena = static_cast<uint8_t*>(context.allocate_temp(d->arena_bytes, kArenaAlignment));
      EMBER_CHECK(arena != nullptr, Error::MemoryAllocationFailed,
                  "XnnpackBackend: the method's temp memory cannot give the %zu bytes this "
                  "delegate's intermediate values need (size it with "
                  "Method::temp_bytes_requested())", d->arena_bytes);
    }
    return xnnpack::run_delegate(d, args, arena, context.event_tracer(), context.debug_handle());
  }

  Result<size_t> num_outputs(DelegateHandle* handle) const override {
    EMBER_CHECK(handle != nullptr, Error::DelegateInvalidHandle, "XnnpackBackend: null handle");
    return static_cast<size_t>(static_cast<Delegate*>(handle)->num_outputs);
  }

  void destroy(DelegateHandle* handle) const override {
    if (handle != nullptr) release(static_cast<Delegate*>(handle));
  }

 private:
  static void release(Delegate* d) {
    xnnpack::destroy_delegate(d);
    d->~Delegate();
    std::free(d);
  }
};

const XnnpackBackend g_xnnpack_backend;

}  // namespace

Error register_xnnpack_backend() {
  return register_backend({kXnnpackBackendName, &g_xnnpack_backend});
}

}  // namespace ember
