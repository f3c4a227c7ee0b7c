// Internal to XnnpackBackend: what one delegate keeps after init, and how
// it is built from the checked graph (delegate_plan.cpp, subgraph.cpp) and
// run (delegate_run.cpp).
//
// The node list is cut into steps: runs of consecutive XNNPACK nodes (a
// "stage", one XNNPACK runtime each), the transposes Ember runs between
// them, and the float convolutions and fully-connected layers Ember runs
// with its own kernels where those are the faster ones (see
// ember_runs_gemm_nodes()). Every value a step hands to another lives in
// a "slot": slots
// [0, num_args) are the delegate's arguments (their tensors' data, set at
// each execute), the others buffers or constants fixed at init.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>

#include "runtime/backend/backend.h"
#include "runtime/backends/xnnpack/graph.h"
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
#include "runtime/kernels/optimized/conv_nhwc.h"
#include "runtime/kernels/optimized/fully_connected.h"
#endif
#include "runtime/kernels/common/transpose.h"
#include "runtime/core/evalue.h"
#include "runtime/core/event_tracer.h"

namespace ember {
namespace xnnpack {

/// A delegate argument the graph reads or writes, as the blob declares it.
struct ExternalArg {
  uint32_t arg = 0;
  bool is_output = false;
  fb::DataType dtype = fb::DataType::fp32;
  uint32_t rank = 0;
  size_t dims[kMaxDims] = {};
};

/// One XNNPACK runtime and the slots of its external values.
struct Stage {
  xnn_runtime_t runtime = nullptr;
  uint32_t num_externals = 0;
  xnn_external_value* externals = nullptr;  ///< ids 0..n-1; data as last set up
  uint32_t* slots = nullptr;
  bool set_up = false;
};

/// A transpose Ember runs between stages.
struct TransposeStep {
  uint32_t src_slot = 0;
  uint32_t dst_slot = 0;
  TransposePlan plan;
};

#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
/// A float convolution Ember runs with its own channels-last kernel, its
/// filter packed at init (the packing is the delegate's; the bias, if any,
/// a copy in its memory).
struct ConvolutionStep {
  uint32_t src_slot = 0;
  uint32_t dst_slot = 0;
  optimized::ConvolutionNhwc conv;
};

/// A float fully-connected layer Ember runs with its GEMM, its weight packed
/// at init (the bias, if any, a copy in the delegate's memory).
struct FullyConnectedStep {
  uint32_t src_slot = 0;
  uint32_t dst_slot = 0;
  optimized::FullyConnected fc;
};
#endif

enum class StepKind : uint8_t { stage, transpose, convolution, fully_connected };

struct Step {
  StepKind kind = StepKind::stage;
  uint32_t index = 0;       ///< into the array of its kind
  uint32_t first_node = 0;  ///< the blob's node the step starts with (for profiles)
};

/// A slot whose buffer lives in the method's temp memory during execute:
/// `offset` bytes into the delegate's arena.
struct ArenaSlot {
  uint32_t slot = 0;
  size_t offset = 0;
};

/// Everything one delegate owns. Its arrays live in `memory`.
///
/// Values that live only during one execute (those steps hand each other,
/// and the stages' own intermediates) are not allocated per delegate: they
/// are placed in an arena of `arena_bytes`, planned at init from their
/// lifetimes in node order, and taken from the method's temp memory at each
/// execute. Every delegate of a method (and every kernel) reuses the same
/// memory, where XNNPACK would give each runtime a workspace of its own.
/// Only if the temp memory is too small does the arena live in `memory`.
struct Delegate {
  OwnedMemory memory;
  uint32_t num_args = 0;
  uint32_t num_outputs = 0;
  ExternalArg* externals = nullptr;
  uint32_t num_externals = 0;
  void** slots = nullptr;
  uint32_t num_slots = 0;
  Stage* stages = nullptr;
  uint32_t num_stages = 0;
  TransposeStep* transposes = nullptr;
  uint32_t num_transposes = 0;
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  ConvolutionStep* convolutions = nullptr;
  FullyConnectedStep* fully_connected = nullptr;
#endif
  uint32_t num_convolutions = 0;
  uint32_t num_fully_connected = 0;
  Step* steps = nullptr;
  uint32_t num_steps = 0;
  ArenaSlot* arena_slots = nullptr;
  uint32_t num_arena_slots = 0;
  size_t arena_bytes = 0;
  size_t temp_offset = 0;        ///< Ember's steps' temp memory: arena + temp_offset
  uint8_t* own_arena = nullptr;  ///< in `memory` when the temp memory is too small
};

/// Whether Ember's own kernels run the float convolutions (its channels-last
/// kernel: symmetric padding, constant filter and bias, no flags; depthwise
/// with one output channel per input channel) and fully-connected layers
/// (its GEMM, constant weight) a delegate may give them, instead of XNNPACK:
/// on CPUs where the optimized kernels run AVX-512, where they were measured
/// faster than Debian's XNNPACK (docs/xnnpack.md). The environment decides
/// when set, read at each init: EMBER_XNNPACK_CONVOLUTIONS=ember or
/// =xnnpack (both kinds). Always false when the runtime is built without
/// the optimized kernels.
bool ember_runs_gemm_nodes();

/// Build `d` from the checked graph: fold transposes of constants, cut the
/// steps, copy the constants XNNPACK reads at run time (it packs weights,
/// but keeps pointers to other static operands), plan the arena of the
/// values that live only during a call, define and create each stage's
/// runtime on the process's thread pool. Nothing in `d` points into the
/// blob afterwards. Temporary memory from `scratch`. On failure `d` may be half built: destroy it.
/// With `context`, each weight's file pages are given back (release_processed
/// or release_named_data) as soon as it is packed: a load then holds the packed weights and one
/// step's sources at a time, not every source until init returns.
Error build_delegate(Graph& graph, OwnedMemory& scratch, Delegate* d,
                     const BackendInitContext* context = nullptr);

/// Define stage `stage_index`'s subgraph (nodes `nodes[0..num_nodes)`) and
/// create its runtime. `step_of_node[i]` is node i's step; `slot_of[v]` is
/// value v's slot or kInvalidId; `local` is scratch for num_values ids,
/// all kInvalidId on entry and on return (subgraph.cpp).
Error define_stage(const Graph& graph, const uint32_t* nodes, uint32_t num_nodes,
                   const uint32_t* step_of_node, uint32_t step, const uint32_t* slot_of,
                   uint32_t* local, OwnedMemory& memory, Stage* stage);

/// Release every runtime and all memory of `d` (not `d` itself).
void destroy_delegate(Delegate* d);

/// One execute: bind the arguments (checked against the blob's shapes and
/// datatypes; outputs resized when they may be), place the arena at `arena`
/// (d->arena_bytes of the call's temp memory, 64-byte aligned), set up a
/// stage again only when an address changed, run the steps. Allocates
/// nothing itself. With a tracer, each step is logged as a delegate-internal
/// event ("XnnpackBackend::stage", "XnnpackBackend::transpose", or Ember's
/// kernels: "XnnpackBackend::convolution", "XnnpackBackend::fully_connected";
/// id: its first node).
Error run_delegate(Delegate* d, Span<EValue*> args, uint8_t* arena, EventTracer* tracer,
                   DebugHandle debug_handle);

}  // namespace xnnpack
}  // namespace ember
