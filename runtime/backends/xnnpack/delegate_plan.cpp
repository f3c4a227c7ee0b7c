// Building a delegate from its checked graph: transposes folded or planned,
// steps cut, constants copied where XNNPACK keeps their address, buffers
// between steps, one XNNPACK runtime per stage.
#include <cstdint>
#include <cstring>
#include <new>

#include "runtime/backends/xnnpack/delegate_plan.h"
#include "runtime/platform/platform.h"

#include <cstdlib>
#include <cstring>

#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
#include "runtime/kernels/optimized/cpu.h"
#endif

namespace ember {
namespace xnnpack {
namespace {

using K = fb::NodeKind;

/// What a node becomes.
enum class Role : uint8_t {
  Xnnpack,    ///< an XNNPACK node in a stage (a data-free transpose becomes a reshape)
  Transpose,  ///< a transpose Ember runs between stages
  Folded,     ///< a transpose of a constant, computed once at init
  Convolution,     ///< a float convolution Ember runs with its own kernel
  FullyConnected,  ///< a float fully-connected layer Ember runs with its GEMM
};

#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
/// A float32 value with no quantization.
bool plain_f32(const Value& v) {
  return v.dtype == fb::DataType::fp32 && v.quant == QuantKind::None && !v.dynamic_quant;
}

/// A constant whose data can be read as floats.
bool aligned_floats(const Value& v) {
  return v.data != nullptr && reinterpret_cast<uintptr_t>(v.data) % alignof(float) == 0;
}

/// Node n's operands as Ember's kernels take them: input, weight, output
/// (and bias, when there is one) float32 with no quantization, the input a
/// run-time value, the weight and bias constants readable as floats.
bool float_operands_constant_weight(const Graph& g, const Node& n) {
  const Value& x = g.values[n.inputs[0]];
  const Value& w = g.values[n.inputs[1]];
  const Value& y = g.values[n.outputs[0]];
  if (!plain_f32(x) || !plain_f32(w) || !plain_f32(y) || x.is_constant || !w.is_constant ||
      !aligned_floats(w)) {
    return false;
  }
  if (n.num_inputs < 3 || n.inputs[2] == kInvalidId) return true;
  const Value& b = g.values[n.inputs[2]];
  return plain_f32(b) && b.is_constant && aligned_floats(b);
}

/// Node n as a convolution Ember's channels-last kernel runs: false when it
/// is not one it takes (quantized or half, a run-time filter or bias,
/// padding that differs between sides, flags such as TensorFlow's SAME
/// padding, a depth multiplier over several input channels, which XNNPACK's
/// depthwise kernels do better than Ember's grouped GEMMs (one input
/// channel is an ordinary convolution), or a GEMM under 32 deep). The
/// node's shapes were checked (node_check.cpp) before.
bool ember_convolution(const Graph& g, const Node& n, optimized::ConvolutionNhwc* c,
                       optimized::WeightLayout* layout) {
  if (n.kind != K::Conv2d && n.kind != K::DepthwiseConv2d) return false;
  if ((n.flags & ~kFlagKeepDims) != 0 || n.num_inputs < 2 || n.num_outputs != 1) return false;
  const auto* p = static_cast<const fb::Convolution*>(n.fb->kind());  // both kinds' table
  const Value& x = g.values[n.inputs[0]];
  const Value& y = g.values[n.outputs[0]];
  const bool has_bias = n.num_inputs > 2 && n.inputs[2] != kInvalidId;
  if (!float_operands_constant_weight(g, n) || x.rank != 4 || y.rank != 4) return false;
  if (p->pad_top() != p->pad_bottom() || p->pad_left() != p->pad_right() ||
      p->kernel_height() == 0 || p->kernel_width() == 0 || p->stride_height() == 0 ||
      p->stride_width() == 0 || p->dilation_height() == 0 || p->dilation_width() == 0) {
    return false;
  }
  portable::ConvShape& s = c->s;
  s.n = static_cast<int64_t>(x.dims[0]);
  s.in_h = static_cast<int64_t>(x.dims[1]);
  s.in_w = static_cast<int64_t>(x.dims[2]);
  s.in_c = static_cast<int64_t>(x.dims[3]);
  s.out_h = static_cast<int64_t>(y.dims[1]);
  s.out_w = static_cast<int64_t>(y.dims[2]);
  s.out_c = static_cast<int64_t>(y.dims[3]);
  s.k_h = p->kernel_height();
  s.k_w = p->kernel_width();
  s.stride_h = p->stride_height();
  s.stride_w = p->stride_width();
  s.pad_h = p->pad_top();
  s.pad_w = p->pad_left();
  s.dil_h = p->dilation_height();
  s.dil_w = p->dilation_width();
  s.groups = p->groups();
  if (n.kind == K::DepthwiseConv2d) {
    if (p->group_output_channels() != 1 && p->groups() != 1) return false;
    s.in_cg = 1;
    s.out_cg = p->group_output_channels();
    *layout = optimized::WeightLayout::hwo;
  } else {
    s.in_cg = p->group_input_channels();
    s.out_cg = p->group_output_channels();
    *layout = optimized::WeightLayout::ohwi;
  }
  if (s.groups <= 0 || s.in_cg <= 0 || s.in_c != s.groups * s.in_cg ||
      s.out_c != s.groups * s.out_cg) {
    return false;
  }
  // A GEMM of depth under 32 (a stem over 3 input channels) fills little of
  // the kernel's tiles; XNNPACK has direct kernels for it. MobileNetV3-small
  // at 1 thread, interleaved runs: 1.65 ms with its stem on Ember's kernel,
  // 1.49 without (XNNPACK alone 1.49); MobileNetV2 3.96 vs 4.07 (4.36).
  const bool rows = s.in_cg == 1 && s.out_cg == 1;  // the depthwise rows
  if (!rows && s.in_cg * s.k_h * s.k_w < 32) return false;
  c->bias = has_bias ? reinterpret_cast<const float*>(g.values[n.inputs[2]].data) : nullptr;
  c->lo = n.output_min;
  c->hi = n.output_max;
  return true;
}

/// Node n as a fully-connected layer Ember's GEMM runs: false when it is
/// not one it takes (quantized or half, a run-time weight or bias, flags
/// other than the transposed weight's, a GEMM under 32 deep, as for the
/// convolutions), or when it has fewer than 12 rows (a tile's) and a weight
/// under kStreamedWeight: a squeeze-excitation block's small layers stay in
/// XNNPACK's stage, where a step of their own would split it. A classifier's
/// row with a large weight is Ember's: its GEMM streams the packed weight
/// faster (1 x 1000 x 1024: 39 us against 63 at 1 thread, 27 against 34 at
/// 2; bench/gemm.py) and packs it at load in a fraction of XNNPACK's time
/// (MobileNetV3-small loads in 6.5 ms against 8.1 with its two classifier
/// layers XNNPACK's; ExecuTorch 7.6). Its shapes were checked (node_check.cpp)
/// before.
constexpr int64_t kStreamedWeight = int64_t{1} << 18;
bool ember_fully_connected(const Graph& g, const Node& n, optimized::FullyConnected* fc,
                           bool* transposed) {
  if (n.kind != K::FullyConnected || n.num_inputs < 2 || n.num_outputs != 1) return false;
  if ((n.flags & ~(kFlagKeepDims | kFlagTransposeWeights)) != 0) return false;
  const Value& x = g.values[n.inputs[0]];
  const Value& w = g.values[n.inputs[1]];
  const bool has_bias = n.num_inputs > 2 && n.inputs[2] != kInvalidId;
  if (!float_operands_constant_weight(g, n) || w.rank != 2) return false;
  *transposed = (n.flags & kFlagTransposeWeights) != 0;
  fc->k = static_cast<int64_t>(*transposed ? w.dims[0] : w.dims[1]);
  fc->n = static_cast<int64_t>(*transposed ? w.dims[1] : w.dims[0]);
  if (fc->k < 32 || fc->n <= 0) return false;
  fc->m = static_cast<int64_t>(x.numel) / fc->k;
  if (fc->m < 12 && fc->k * fc->n < kStreamedWeight) return false;
  fc->bias = has_bias ? reinterpret_cast<const float*>(g.values[n.inputs[2]].data) : nullptr;
  fc->lo = n.output_min;
  fc->hi = n.output_max;
  return true;
}
#endif

/// XNNPACK packs these operands into its own memory when it creates the
/// runtime (convolution and fully-connected weights, PReLU slopes); every
/// other static operand it reads through the pointer at each run.
bool packed_operand(K kind, uint32_t k) {
  switch (kind) {
    case K::Conv2d: case K::DepthwiseConv2d: case K::ConvTranspose2d:
    case K::FullyConnected: return k == 1 || k == 2;
    case K::Prelu: return k == 1;
    default: return false;
  }
}

/// Whether operand k of a node with this role is packed at init, so that
/// nothing reads its bytes afterwards: an Ember step packs its weight
/// (operand 1; its bias is read at each run), XNNPACK what packed_operand()
/// names.
bool packed_at_init(Role role, K kind, uint32_t k) {
  const bool embers = role == Role::Convolution || role == Role::FullyConnected;
  return embers ? k == 1 : packed_operand(kind, k);
}

TransposePlan transpose_plan(const Graph& g, const Node& n) {
  const Value& x = g.values[n.inputs[0]];
  const auto* perm = n.fb->kind_as_StaticTranspose()->perm();
  uint32_t p[kMaxDims] = {};
  for (uint32_t d = 0; d < x.rank; ++d) p[d] = perm->Get(d);
  return plan_transpose(x.dims, x.rank, p, datatype_size(x.dtype));
}

/// 1. Roles: transposes that move no data stay XNNPACK nodes (reshapes);
/// a transpose of a constant (not a delegate output) is computed now (or,
/// moving no data, shares its input's bytes) and its result is a constant.
/// With `own_convolutions`, the convolutions Ember's kernel takes are its.
Error assign_roles(Graph& g, Role* role, OwnedMemory& memory, bool own_convolutions) {
  for (uint32_t i = 0; i < g.num_nodes; ++i) {
    const Node& n = g.nodes[i];
    role[i] = Role::Xnnpack;
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
    optimized::ConvolutionNhwc conv;
    optimized::WeightLayout layout;
    optimized::FullyConnected fc;
    bool transposed = false;
    if (own_convolutions && ember_convolution(g, n, &conv, &layout)) {
      role[i] = Role::Convolution;
      continue;
    }
    if (own_convolutions && ember_fully_connected(g, n, &fc, &transposed)) {
      role[i] = Role::FullyConnected;
      continue;
    }
#else
    (void)own_convolutions;
#endif
    if (n.kind != K::StaticTranspose) continue;
    const TransposePlan plan = transpose_plan(g, n);
    Value& x = g.values[n.inputs[0]];
    Value& y = g.values[n.outputs[0]];
    const bool moves_data = !is_reshape(plan);
    if (moves_data) role[i] = Role::Transpose;
    if (!x.is_constant || y.is_output) continue;
    const uint8_t* folded = x.data;  // a reshape: the same bytes
    if (moves_data) {
      uint8_t* out = static_cast<uint8_t*>(memory.allocate(y.nbytes));
      EMBER_CHECK(out != nullptr, Error::MemoryAllocationFailed,
                  "XnnpackBackend: out of memory folding node %u (StaticTranspose)", i);
      run_transpose(plan, x.data, out);
      folded = out;
    }
    y.is_constant = true;
    y.data = folded;
    y.producer = -1;
    role[i] = Role::Folded;
  }
  return Error::Ok;
}

/// 3. Copy every constant XNNPACK reads at run time (and any misaligned
/// one) into the delegate's memory, and every per-channel scale table.
Error copy_constants(Graph& g, const Role* role, OwnedMemory& memory, OwnedMemory& scratch) {
  bool* keep = scratch.allocate_array<bool>(g.num_values);
  EMBER_CHECK(keep != nullptr, Error::MemoryAllocationFailed, "XnnpackBackend: out of memory");
  for (uint32_t i = 0; i < g.num_nodes; ++i) {
    const Node& n = g.nodes[i];
    if (role[i] == Role::Folded) continue;
    for (uint32_t k = 0; k < n.num_inputs; ++k) {
      if (n.inputs[k] == kInvalidId) continue;
      const Value& v = g.values[n.inputs[k]];
      if (!v.is_constant) continue;
      const bool aligned = reinterpret_cast<uintptr_t>(v.data) % datatype_size(v.dtype) == 0;
      const bool read_at_run = !packed_at_init(role[i], n.kind, k);
      if (role[i] == Role::Transpose || read_at_run || !aligned) {
        keep[n.inputs[k]] = true;
      }
    }
  }
  for (uint32_t id = 0; id < g.num_values; ++id) {
    Value& v = g.values[id];
    if (keep[id] && v.data != nullptr) {
      void* copy = memory.allocate(v.nbytes);
      EMBER_CHECK(copy != nullptr, Error::MemoryAllocationFailed,
                  "XnnpackBackend: out of memory copying constant value %u", id);
      std::memcpy(copy, v.data, v.nbytes);
      v.data = static_cast<const uint8_t*>(copy);
    }
    if (v.channel_scales != nullptr) {
      const size_t n = v.dims[v.channel_dim];
      float* scales = memory.allocate_array<float>(n);
      EMBER_CHECK(scales != nullptr, Error::MemoryAllocationFailed,
                  "XnnpackBackend: out of memory");
      std::memcpy(scales, v.channel_scales, n * sizeof(float));
      v.channel_scales = scales;
    }
  }
  return Error::Ok;
}

/// Would XNNPACK's own optimizer fuse value `id` away when it creates the
/// runtime (the input of a clamp, or a constant pad's output into a
/// convolution)? Then it stays internal to its stage, for XNNPACK never
/// fuses through an external value.
bool fused_away(const Graph& g, const Value& v, uint32_t uses, uint32_t consumer) {
  if (uses != 1 || v.producer < 0) return false;
  const K producer = g.nodes[v.producer].kind;
  const K user = g.nodes[consumer].kind;
  return user == K::Clamp ||
         (producer == K::StaticConstantPad && (user == K::Conv2d || user == K::DepthwiseConv2d));
}

/// One arena value while it is planned.
struct Placement {
  uint32_t first = 0, last = 0;  ///< the nodes that write it and read it last
  size_t size = 0, offset = 0;
};

/// Offsets for `n` values: largest first, each at the lowest offset clear
/// of every placed value whose node interval meets its own (an operation's
/// output never shares bytes with its inputs: both live at that node).
/// Returns the arena's size.
size_t place(Placement* p, uint32_t n, Placement** order, OwnedMemory& scratch) {
  if (n == 0) return 0;
  Placement** placed = scratch.allocate_array<Placement*>(n);
  if (placed == nullptr) return SIZE_MAX;
  for (uint32_t i = 0; i < n; ++i) order[i] = &p[i];
  for (uint32_t i = 1; i < n; ++i) {  // by size, descending (stable)
    Placement* x = order[i];
    uint32_t j = i;
    for (; j > 0 && order[j - 1]->size < x->size; --j) order[j] = order[j - 1];
    order[j] = x;
  }
  size_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Placement* x = order[i];
    uint32_t k = 0;  // the placed values it meets, by offset
    for (uint32_t j = 0; j < i; ++j) {
      Placement* y = order[j];
      if (y->first > x->last || x->first > y->last) continue;
      uint32_t at = k++;
      for (; at > 0 && placed[at - 1]->offset > y->offset; --at) placed[at] = placed[at - 1];
      placed[at] = y;
    }
    size_t offset = 0;
    for (uint32_t j = 0; j < k && placed[j]->offset < offset + x->size; ++j) {
      if (placed[j]->offset + placed[j]->size > offset) offset = placed[j]->offset + placed[j]->size;
    }
    x->offset = offset;
    if (offset + x->size > total) total = offset + x->size;
  }
  return total;
}

/// 4. Slots: arguments first; then one for every other value a step hands
/// to another, every intermediate of a stage (placed in the arena, like
/// the former), and every constant a transpose reads.
Error assign_slots(const Graph& g, const Role* role, const uint32_t* step_of, uint32_t* slot_of,
                   Delegate* d, OwnedMemory& scratch) {
  uint8_t* want = scratch.allocate_array<uint8_t>(g.num_values);
  uint32_t* uses = scratch.allocate_array<uint32_t>(g.num_values);
  uint32_t* last_use = scratch.allocate_array<uint32_t>(g.num_values);
  EMBER_CHECK(want != nullptr && uses != nullptr && last_use != nullptr,
              Error::MemoryAllocationFailed, "XnnpackBackend: out of memory");
  for (uint32_t i = 0; i < g.num_nodes; ++i) {
    const Node& n = g.nodes[i];
    if (role[i] == Role::Folded) continue;
    for (uint32_t k = 0; k < n.num_inputs; ++k) {
      if (n.inputs[k] == kInvalidId) continue;
      ++uses[n.inputs[k]];
      last_use[n.inputs[k]] = i;
    }
  }
  for (uint32_t i = 0; i < g.num_nodes; ++i) {
    const Node& n = g.nodes[i];
    if (role[i] == Role::Folded) continue;
    for (uint32_t k = 0; k < n.num_inputs + n.num_outputs; ++k) {
      const bool is_output = k >= n.num_inputs;
      const uint32_t id = is_output ? n.outputs[k - n.num_inputs] : n.inputs[k];
      if (id == kInvalidId) continue;
      const Value& v = g.values[id];
      if (v.is_input || v.is_output) continue;
      const bool crosses = v.producer >= 0 && step_of[v.producer] != step_of[i];
      const bool intermediate = is_output && !v.is_constant &&
                                !fused_away(g, v, uses[id], last_use[id]);
      if (role[i] == Role::Transpose || (!v.is_constant && crosses) || intermediate) want[id] = 1;
    }
  }
  uint32_t extra = 0, in_arena = 0;
  for (uint32_t id = 0; id < g.num_values; ++id) {
    extra += want[id];
    in_arena += want[id] != 0 && !g.values[id].is_constant;
  }
  d->num_slots = g.num_externals + extra;
  d->slots = d->memory.allocate_array<void*>(d->num_slots);
  d->arena_slots = d->memory.allocate_array<ArenaSlot>(in_arena);
  Placement* placements = scratch.allocate_array<Placement>(in_arena);
  Placement** order = scratch.allocate_array<Placement*>(in_arena);
  EMBER_CHECK(d->slots != nullptr && (in_arena == 0 || (d->arena_slots != nullptr &&
                                                        placements != nullptr && order != nullptr)),
              Error::MemoryAllocationFailed, "XnnpackBackend: out of memory");
  uint32_t next = g.num_externals;
  for (uint32_t id = 0; id < g.num_values; ++id) {
    const Value& v = g.values[id];
    slot_of[id] = kInvalidId;
    if (v.is_input || v.is_output) {
      slot_of[id] = v.external_id;
    } else if (want[id] != 0) {
      slot_of[id] = next;
      d->slots[next] = v.is_constant ? const_cast<uint8_t*>(v.data) : nullptr;
      if (!v.is_constant) {
        Placement& p = placements[d->num_arena_slots];
        d->arena_slots[d->num_arena_slots++].slot = next;
        p.first = v.producer >= 0 ? static_cast<uint32_t>(v.producer) : 0;
        p.last = uses[id] > 0 && last_use[id] > p.first ? last_use[id] : p.first;
        p.size = (v.nbytes + 63) / 64 * 64;  // 64-byte aligned offsets
      }
      ++next;
    }
  }
  const size_t used = place(placements, in_arena, order, scratch);
  EMBER_CHECK(used != SIZE_MAX, Error::MemoryAllocationFailed, "XnnpackBackend: out of memory");
  for (uint32_t k = 0; k < in_arena; ++k) d->arena_slots[k].offset = placements[k].offset;
  // XNNPACK may read (never write) kExtraBytes past a tensor's end.
  d->arena_bytes = used > 0 ? used + kExtraBytes : 0;
  d->temp_offset = (used + 63) / 64 * 64;
  return Error::Ok;
}

/// 6. The arguments execute() checks and binds.
Error record_externals(const Graph& g, Delegate* d) {
  d->num_args = g.num_externals;
  d->num_outputs = g.num_outputs;
  d->num_externals = g.num_inputs + g.num_outputs;
  d->externals = d->memory.allocate_array<ExternalArg>(d->num_externals);
  EMBER_CHECK(d->externals != nullptr, Error::MemoryAllocationFailed,
              "XnnpackBackend: out of memory");
  uint32_t k = 0;
  for (uint32_t id = 0; id < g.num_values; ++id) {
    const Value& v = g.values[id];
    if (!v.is_input && !v.is_output) continue;
    ExternalArg& e = d->externals[k++];
    e.arg = v.external_id;
    e.is_output = v.is_output;
    e.dtype = v.dtype;
    e.rank = v.rank;
    for (uint32_t r = 0; r < v.rank; ++r) e.dims[r] = v.dims[r];
    if (datatype_size(v.dtype) == 0) {
      EMBER_LOG(Error, "XnnpackBackend: delegate argument %u (value %u) has datatype %s", e.arg, id,
                datatype_name(v.dtype));
      return Error::NotSupported;
    }
  }
  return Error::Ok;
}

/// Whether `part` lies wholly within `whole`.
bool inside(Span<const uint8_t> part, Span<const uint8_t> whole) {
  return part.data() >= whole.data() && part.size() <= whole.size() &&
         static_cast<size_t>(part.data() - whole.data()) <= whole.size() - part.size();
}

/// Gives back the pages of the constants node n's packing read
/// (packed_at_init; an XNNPACK stage's once its runtime exists): nothing
/// reads them again, unless another node does, which then reads them back
/// from the file. Only bytes of the blob or of the named data are given back
/// (copy_constants' copies are the delegate's own), and the loader gives
/// back only whole pages.
void release_packed(const Graph& g, const Node& n, Role role, const BackendInitContext* context) {
  if (context == nullptr) return;
  for (uint32_t k = 0; k < n.num_inputs; ++k) {
    if (n.inputs[k] == kInvalidId || !packed_at_init(role, n.kind, k)) continue;
    const Value& v = g.values[n.inputs[k]];
    if (!v.is_constant || v.data == nullptr) continue;
    const Span<const uint8_t> bytes(v.data, v.nbytes);
    if (inside(bytes, g.blob)) {
      context->release_processed(bytes);
      continue;
    }
    for (uint32_t i = 0; i < g.num_named; ++i) {
      if (inside(bytes, g.named[i])) {
        context->release_named_data(bytes);
        break;
      }
    }
  }
}

#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
/// Room for a step's temp memory at the end of the arena.
void reserve_temp(Delegate* d, size_t bytes) {
  if (d->temp_offset + bytes > d->arena_bytes) d->arena_bytes = d->temp_offset + bytes;
}

/// Node i (Role::Convolution) as `step`: its filter packed now.
Error add_convolution(const Graph& g, uint32_t i, const uint32_t* slot_of, Delegate* d,
                      Step* step) {
  const Node& n = g.nodes[i];
  ConvolutionStep& c = d->convolutions[d->num_convolutions];
  optimized::WeightLayout layout;
  ember_convolution(g, n, &c.conv, &layout);  // true: it was so at assign_roles
  c.src_slot = slot_of[n.inputs[0]];
  c.dst_slot = slot_of[n.outputs[0]];
  const float* filter = reinterpret_cast<const float*>(g.values[n.inputs[1]].data);
  c.conv.packed = optimized::pack_convolution_nhwc(c.conv.s, filter, layout);
  EMBER_CHECK(c.conv.packed != nullptr, Error::MemoryAllocationFailed,
              "XnnpackBackend: out of memory packing the filter of node %u (%s)", i,
              node_kind_name(n.kind));
  step->kind = StepKind::convolution;
  step->index = d->num_convolutions++;
  reserve_temp(d, optimized::convolution_nhwc_temp_bytes(c.conv.s));
  return Error::Ok;
}

/// Node i (Role::FullyConnected) as `step`: its weight packed now.
Error add_fully_connected(const Graph& g, uint32_t i, const uint32_t* slot_of, Delegate* d,
                          Step* step) {
  const Node& n = g.nodes[i];
  FullyConnectedStep& f = d->fully_connected[d->num_fully_connected];
  bool transposed = false;
  ember_fully_connected(g, n, &f.fc, &transposed);  // true: it was so at assign_roles
  f.src_slot = slot_of[n.inputs[0]];
  f.dst_slot = slot_of[n.outputs[0]];
  const float* weight = reinterpret_cast<const float*>(g.values[n.inputs[1]].data);
  f.fc.packed = optimized::pack_fully_connected(weight, f.fc.n, f.fc.k, transposed);
  EMBER_CHECK(f.fc.packed != nullptr, Error::MemoryAllocationFailed,
              "XnnpackBackend: out of memory packing the weight of node %u (FullyConnected)", i);
  step->kind = StepKind::fully_connected;
  step->index = d->num_fully_connected++;
  reserve_temp(d, optimized::fully_connected_temp_bytes(f.fc));
  return Error::Ok;
}
#endif

}  // namespace

Error build_delegate(Graph& g, OwnedMemory& scratch, Delegate* d,
                     const BackendInitContext* context) {
  Role* role = scratch.allocate_array<Role>(g.num_nodes);
  uint32_t* step_of = scratch.allocate_array<uint32_t>(g.num_nodes);
  uint32_t* slot_of = scratch.allocate_array<uint32_t>(g.num_values);
  uint32_t* local = scratch.allocate_array<uint32_t>(g.num_values);
  uint32_t* stage_nodes = scratch.allocate_array<uint32_t>(g.num_nodes);
  d->steps = d->memory.allocate_array<Step>(g.num_nodes);
  d->stages = d->memory.allocate_array<Stage>(g.num_nodes);
  d->transposes = d->memory.allocate_array<TransposeStep>(g.num_nodes);
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  d->convolutions = d->memory.allocate_array<ConvolutionStep>(g.num_nodes);
  d->fully_connected = d->memory.allocate_array<FullyConnectedStep>(g.num_nodes);
  const bool convolutions_ok = d->convolutions != nullptr && d->fully_connected != nullptr;
#else
  const bool convolutions_ok = true;
#endif
  EMBER_CHECK(role != nullptr && step_of != nullptr && slot_of != nullptr && local != nullptr &&
                  stage_nodes != nullptr && d->steps != nullptr && d->stages != nullptr &&
                  d->transposes != nullptr && convolutions_ok,
              Error::MemoryAllocationFailed, "XnnpackBackend: out of memory for %u nodes",
              g.num_nodes);
  for (uint32_t i = 0; i < g.num_nodes; ++i) new (&d->stages[i]) Stage();
  for (uint32_t i = 0; i < g.num_nodes; ++i) new (&d->transposes[i]) TransposeStep();
  for (uint32_t id = 0; id < g.num_values; ++id) local[id] = kInvalidId;

  // 1. Roles, 2. steps: consecutive XNNPACK nodes share one.
  EMBER_TRY(assign_roles(g, role, d->memory, ember_runs_gemm_nodes()));
  uint32_t num_steps = 0;
  bool open_stage = false;
  for (uint32_t i = 0; i < g.num_nodes; ++i) {
    if (role[i] == Role::Folded) continue;
    if (role[i] != Role::Xnnpack || !open_stage) ++num_steps;
    open_stage = role[i] == Role::Xnnpack;
    step_of[i] = num_steps - 1;
  }
  EMBER_TRY(copy_constants(g, role, d->memory, scratch));
  EMBER_TRY(assign_slots(g, role, step_of, slot_of, d, scratch));

  // 5. Each step: a transpose's slots and plan, or a stage's runtime.
  uint32_t i = 0;
  while (i < g.num_nodes) {
    if (role[i] == Role::Folded) {
      ++i;
      continue;
    }
    Step& step = d->steps[d->num_steps++];
    step.first_node = i;
    if (role[i] == Role::Transpose) {
      const Node& n = g.nodes[i];
      TransposeStep& t = d->transposes[d->num_transposes];
      t.src_slot = slot_of[n.inputs[0]];
      t.dst_slot = slot_of[n.outputs[0]];
      t.plan = transpose_plan(g, n);
      step.kind = StepKind::transpose;
      step.index = d->num_transposes++;
      ++i;
      continue;
    }
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
    if (role[i] == Role::Convolution || role[i] == Role::FullyConnected) {
      EMBER_TRY(role[i] == Role::Convolution ? add_convolution(g, i, slot_of, d, &step)
                                             : add_fully_connected(g, i, slot_of, d, &step));
      release_packed(g, g.nodes[i], role[i], context);
      ++i;
      continue;
    }
#endif
    uint32_t count = 0;
    const uint32_t this_step = step_of[i];
    for (; i < g.num_nodes && (role[i] == Role::Folded || step_of[i] == this_step); ++i) {
      if (role[i] == Role::Xnnpack) stage_nodes[count++] = i;
    }
    step.index = d->num_stages++;
    EMBER_TRY(define_stage(g, stage_nodes, count, step_of, this_step, slot_of, local, d->memory,
                           &d->stages[step.index]));
    for (uint32_t k = 0; k < count; ++k) {
      release_packed(g, g.nodes[stage_nodes[k]], Role::Xnnpack, context);
    }
  }
  EMBER_TRY(record_externals(g, d));
  uint32_t folded = 0, reshapes = 0;
  for (uint32_t k = 0; k < g.num_nodes; ++k) {
    folded += role[k] == Role::Folded;
    reshapes += role[k] == Role::Xnnpack && g.nodes[k].kind == K::StaticTranspose;
  }
  EMBER_LOG(Info, "XnnpackBackend: %u nodes as %u XNNPACK stages, %u transposes, %u "
            "convolutions and %u fully-connected layers run by Ember (%u transposes folded at "
            "init, %u run as reshapes)", g.num_nodes, d->num_stages, d->num_transposes,
            d->num_convolutions, d->num_fully_connected, folded, reshapes);
  return Error::Ok;
}

bool ember_runs_gemm_nodes() {
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  if (const char* env = std::getenv("EMBER_XNNPACK_CONVOLUTIONS")) {
    if (std::strcmp(env, "ember") == 0) return true;
    if (std::strcmp(env, "xnnpack") == 0) return false;
    EMBER_LOG(Error, "EMBER_XNNPACK_CONVOLUTIONS='%s' is neither 'ember' nor 'xnnpack': ignored",
              env);
  }
  return optimized::active_isa() == Isa::avx512;
#else
  return false;
#endif
}

void destroy_delegate(Delegate* d) {
  for (uint32_t s = 0; d->stages != nullptr && s < d->num_stages; ++s) {
    if (d->stages[s].runtime != nullptr) xnn_delete_runtime(d->stages[s].runtime);
    d->stages[s].runtime = nullptr;
  }
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
  for (uint32_t c = 0; d->convolutions != nullptr && c < d->num_convolutions; ++c) {
    optimized::release_convolution_nhwc(const_cast<void*>(d->convolutions[c].conv.packed));
    d->convolutions[c].conv.packed = nullptr;
  }
  d->num_convolutions = 0;
  for (uint32_t f = 0; d->fully_connected != nullptr && f < d->num_fully_connected; ++f) {
    optimized::release_fully_connected(const_cast<void*>(d->fully_connected[f].fc.packed));
    d->fully_connected[f].fc.packed = nullptr;
  }
  d->num_fully_connected = 0;
#endif
  d->memory.release();
}

}  // namespace xnnpack
}  // namespace ember
