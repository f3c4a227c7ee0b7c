// One execute of a delegate: bind and check the arguments, set a stage up
// again only when an address moved, run the stages and transposes in order.
// Nothing here allocates; XNNPACK's setup may, so it runs only on change.
#include "runtime/backends/xnnpack/delegate_plan.h"
#include "runtime/core/tensor.h"
#include "runtime/core/threadpool.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace xnnpack {
namespace {

bool dtype_matches(fb::DataType t, ScalarType s) {
  switch (t) {
    case fb::DataType::fp32: return s == ScalarType::Float;
    case fb::DataType::fp16: return s == ScalarType::Half;
    case fb::DataType::qint8: return s == ScalarType::Char || s == ScalarType::QInt8;
    case fb::DataType::quint8: return s == ScalarType::Byte || s == ScalarType::QUInt8;
    case fb::DataType::qint32: return s == ScalarType::Int || s == ScalarType::QInt32;
    default: return false;
  }
}

/// The sizes the argument must have in its own dim order: the blob's dims,
/// or for a channels-last 4-D tensor, NHWC dims read back as NCHW sizes.
bool expected_sizes(const ExternalArg& e, const Tensor& t, int32_t* sizes, int32_t* rank) {
  const Span<const uint8_t> order = t.dim_order();
  bool contiguous = true;
  for (size_t d = 0; d < order.size(); ++d) contiguous = contiguous && order[d] == d;
  if (t.dim() == 0 && e.rank == 1 && e.dims[0] == 1) {  // a scalar the blob holds as [1]
    *rank = 0;
    return true;
  }
  *rank = static_cast<int32_t>(e.rank);
  if (contiguous) {
    for (uint32_t d = 0; d < e.rank; ++d) sizes[d] = static_cast<int32_t>(e.dims[d]);
    return true;
  }
  const bool channels_last = e.rank == 4 && order.size() == 4 && order[0] == 0 && order[1] == 2 &&
                             order[2] == 3 && order[3] == 1;
  if (!channels_last) return false;
  sizes[0] = static_cast<int32_t>(e.dims[0]);
  sizes[1] = static_cast<int32_t>(e.dims[3]);
  sizes[2] = static_cast<int32_t>(e.dims[1]);
  sizes[3] = static_cast<int32_t>(e.dims[2]);
  return true;
}

bool same_sizes(const Tensor& t, const int32_t* sizes, int32_t rank) {
  if (t.dim() != rank) return false;
  for (int32_t d = 0; d < rank; ++d) {
    if (t.size(d) != sizes[d]) return false;
  }
  return true;
}

/// Check argument `e` against the blob and put its data in its slot.
Error bind(const ExternalArg& e, EValue* value, void** slot) {
  const char* what = e.is_output ? "output" : "input";
  EMBER_CHECK(value != nullptr && value->is_tensor(), Error::InvalidArgument,
              "XnnpackBackend: argument %u (an %s) is not a tensor", e.arg, what);
  Tensor& t = value->to_tensor();
  EMBER_CHECK(dtype_matches(e.dtype, t.dtype()), Error::InvalidArgument,
              "XnnpackBackend: argument %u (an %s) is %s, the graph has %s", e.arg, what,
              scalar_type_name(t.dtype()), datatype_name(e.dtype));
  int32_t sizes[kMaxDims] = {};
  int32_t rank = 0;
  EMBER_CHECK(expected_sizes(e, t, sizes, &rank), Error::NotSupported,
              "XnnpackBackend: argument %u (an %s) has a dim order other than contiguous or "
              "channels-last", e.arg, what);
  if (!same_sizes(t, sizes, rank)) {
    // XNNPACK's graph has static shapes: an input must match, an output is resized if it may be.
    EMBER_CHECK(e.is_output && t.resize(Span<const int32_t>(sizes, static_cast<size_t>(rank))) ==
                                   Error::Ok,
                Error::InvalidArgument,
                "XnnpackBackend: argument %u (an %s) has sizes of rank %d that differ from the "
                "graph's static shape (rank %u, first dim %zu)",
                e.arg, what, t.dim(), e.rank, e.rank > 0 ? e.dims[0] : size_t{1});
  }
  EMBER_CHECK(t.mutable_data() != nullptr, Error::InvalidArgument,
              "XnnpackBackend: argument %u (an %s) has no memory", e.arg, what);
  *slot = t.mutable_data();
  return Error::Ok;
}

Error run_stage(Stage& s, void* const* slots) {
  bool changed = !s.set_up;
  for (uint32_t k = 0; k < s.num_externals; ++k) {
    void* data = slots[s.slots[k]];
    if (s.externals[k].data != data) {
      s.externals[k].data = data;
      changed = true;
    }
  }
  if (changed) {
    s.set_up = false;
    const xnn_status st = xnn_setup_runtime(s.runtime, s.num_externals, s.externals);
    EMBER_CHECK(st == xnn_status_success, Error::Internal,
                "XnnpackBackend: xnn_setup_runtime failed (status %d)", static_cast<int>(st));
    s.set_up = true;
  }
  begin_pool_call();  // XNNPACK runs on the pool itself
  const xnn_status st = xnn_invoke_runtime(s.runtime);
  EMBER_CHECK(st == xnn_status_success, Error::Internal,
              "XnnpackBackend: xnn_invoke_runtime failed (status %d)", static_cast<int>(st));
  return Error::Ok;
}

/// Step `index` of Ember's kernels (a convolution or a fully-connected
/// layer), its temp memory the arena's end.
Error run_embers(const Delegate& d, StepKind kind, uint32_t index, uint8_t* arena) {
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  const bool conv = kind == StepKind::convolution;
  const uint32_t src = conv ? d.convolutions[index].src_slot : d.fully_connected[index].src_slot;
  const uint32_t dst = conv ? d.convolutions[index].dst_slot : d.fully_connected[index].dst_slot;
  const auto* in = static_cast<const float*>(d.slots[src]);
  auto* out = static_cast<float*>(d.slots[dst]);
  uint8_t* temp = arena + d.temp_offset;
  const size_t temp_bytes = d.arena_bytes - d.temp_offset;
  const Error e =
      conv ? optimized::run_convolution_nhwc(d.convolutions[index].conv, in, out, temp, temp_bytes)
           : optimized::run_fully_connected(d.fully_connected[index].fc, in, out, temp,
                                            temp_bytes);
  EMBER_CHECK(e == Error::Ok, e, "XnnpackBackend: %s step %u failed (%s)",
              conv ? "convolution" : "fully-connected", index, error_name(e));
  return Error::Ok;
#else
  (void)d, (void)kind, (void)index, (void)arena;
  return Error::Internal;  // no such step without the optimized kernels
#endif
}

}  // namespace

Error run_delegate(Delegate* d, Span<EValue*> args, uint8_t* arena, EventTracer* tracer,
                   DebugHandle debug_handle) {
  EMBER_CHECK(args.size() == d->num_args, Error::InvalidArgument,
              "XnnpackBackend: the call has %zu arguments, the graph %u", args.size(), d->num_args);
  for (uint32_t k = 0; k < d->num_externals; ++k) {
    const ExternalArg& e = d->externals[k];
    EMBER_TRY(bind(e, args[e.arg], &d->slots[e.arg]));
  }
  for (uint32_t k = 0; k < d->num_arena_slots; ++k) {
    d->slots[d->arena_slots[k].slot] = arena + d->arena_slots[k].offset;
  }
  // Ember's convolutions share XNNPACK's workers, and Ember's own rest
  // meanwhile (one set spinning for the next call, not two).
  KernelsOnThreadpool one_pool;
  for (uint32_t i = 0; i < d->num_steps; ++i) {
    const Step& step = d->steps[i];
    const uint64_t start_ns = tracer != nullptr ? platform::now_ns() : 0;
    const char* event = "XnnpackBackend::stage";
    if (step.kind == StepKind::transpose) {
      const TransposeStep& t = d->transposes[step.index];
      run_transpose(t.plan, d->slots[t.src_slot], d->slots[t.dst_slot]);
      event = "XnnpackBackend::transpose";
    } else if (step.kind != StepKind::stage) {
      EMBER_TRY(run_embers(*d, step.kind, step.index, arena));
      event = step.kind == StepKind::convolution ? "XnnpackBackend::convolution"
                                                 : "XnnpackBackend::fully_connected";
    } else {
      EMBER_TRY(run_stage(d->stages[step.index], d->slots));
    }
    if (tracer != nullptr) {
      tracer->log_event(event, start_ns, platform::now_ns(), debug_handle,
                        static_cast<int32_t>(step.first_node));
    }
  }
  return Error::Ok;
}

}  // namespace xnnpack
}  // namespace ember
