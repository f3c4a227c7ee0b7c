// Reading an XNNPACK delegate blob: the XNNPACK header, the verified
// flatbuffer, the values (with their constants) and the nodes' operands.
// The blob is untrusted: every id, index, offset and size is checked here,
// before anything reaches XNNPACK.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <new>

#include "runtime/backends/xnnpack/graph.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace xnnpack {

void* OwnedMemory::allocate(size_t nbytes) {
  constexpr size_t kHead = 64;  // the chain link, padded to keep the data 64-byte aligned
  if (nbytes > (size_t{1} << 40)) return nullptr;
  const size_t total = (kHead + nbytes + kExtraBytes + 63) / 64 * 64;
  void* block = std::aligned_alloc(64, total);
  if (block == nullptr) return nullptr;
  std::memset(block, 0, total);
  *static_cast<void**>(block) = head_;
  head_ = block;
  return static_cast<uint8_t*>(block) + kHead;
}

void OwnedMemory::release() {
  while (head_ != nullptr) {
    void* next = *static_cast<void**>(head_);
    std::free(head_);
    head_ = next;
  }
}

const char* node_kind_name(fb::NodeKind kind) {
  if (kind < fb::NodeKind::MIN || kind > fb::NodeKind::MAX) return "unknown";
  return fb::EnumNameNodeKind(kind);
}

size_t datatype_size(fb::DataType dtype) {
  switch (dtype) {
    case fb::DataType::fp32: return 4;
    case fb::DataType::fp16: return 2;
    case fb::DataType::qint8:
    case fb::DataType::quint8:
    case fb::DataType::qcint8: return 1;
    case fb::DataType::qint32:
    case fb::DataType::qcint32: return 4;
    default: return 0;  // qcint4, qdint8, qbint4, qpint8, int32, pfp32, bf16: not in this library
  }
}

const char* datatype_name(fb::DataType dtype) {
  if (dtype < fb::DataType::MIN || dtype > fb::DataType::MAX) return "unknown";
  return fb::EnumNameDataType(dtype);
}

namespace {

constexpr uint64_t kNoOffset = ~uint64_t{0};  // ConstantData.offset of named data
constexpr size_t kHeaderMinLength = 30;       // through the constant data size
constexpr uint32_t kMaxExternals = 1u << 16;
constexpr uint32_t kMaxValuesOrNodes = 1u << 20;
constexpr size_t kMaxElements = size_t{1} << 40;
// The blob is untrusted: refuse values no model of this runtime's size needs.
constexpr size_t kMaxValueBytes = size_t{1} << 30;

uint32_t read_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t read_u64(const uint8_t* p) { return read_u32(p) | uint64_t{read_u32(p + 4)} << 32; }

/// The graph's file identifier: XN00 (the runtime schema's) or XN01 (what
/// ExecuTorch's serializer writes; the same tables without dq_datatype).
bool is_graph_identifier(const uint8_t* flatbuffer) {
  return std::memcmp(flatbuffer + 4, "XN00", 4) == 0 || std::memcmp(flatbuffer + 4, "XN01", 4) == 0;
}

/// 1. The flatbuffer and the constant data of a blob with the "XH00" header
/// (bytes 4..8), or the whole blob when it is a bare "XN00" flatbuffer.
Error split_blob(Span<const uint8_t> blob, Span<const uint8_t>* flatbuffer,
                 Span<const uint8_t>* constants) {
  EMBER_CHECK(blob.size() >= 8, Error::InvalidProgram,
              "XnnpackBackend: the blob has %zu bytes, too few for a header or a flatbuffer",
              blob.size());
  const uint8_t* b = blob.data();
  if (std::memcmp(b + 4, "XH00", 4) != 0) {
    EMBER_CHECK(is_graph_identifier(b), Error::InvalidProgram,
                "XnnpackBackend: the blob starts with neither the XNNPACK header (XH00) nor an "
                "XN00/XN01 flatbuffer (bytes 4..8: %02x %02x %02x %02x)",
                b[4], b[5], b[6], b[7]);
    *flatbuffer = blob;
    *constants = Span<const uint8_t>();
    return Error::Ok;
  }
  EMBER_CHECK(blob.size() >= kHeaderMinLength, Error::InvalidProgram,
              "XnnpackBackend: the %zu-byte blob is too short for its header", blob.size());
  const size_t header_length = size_t{b[8]} | size_t{b[9]} << 8;
  const uint64_t fb_offset = read_u32(b + 10), fb_size = read_u32(b + 14);
  const uint64_t c_offset = read_u32(b + 18), c_size = read_u64(b + 22);
  EMBER_CHECK(header_length >= kHeaderMinLength && header_length <= blob.size(),
              Error::InvalidProgram, "XnnpackBackend: header length %zu is outside [%zu, %zu]",
              header_length, kHeaderMinLength, blob.size());
  EMBER_CHECK(fb_offset >= header_length && fb_size >= 8 && fb_offset + fb_size <= blob.size(),
              Error::InvalidProgram,
              "XnnpackBackend: the flatbuffer (%llu bytes at %llu) is outside the %zu-byte blob",
              static_cast<unsigned long long>(fb_size), static_cast<unsigned long long>(fb_offset),
              blob.size());
  EMBER_CHECK(c_offset >= fb_offset + fb_size && c_offset <= blob.size() &&
                  c_size <= blob.size() - c_offset,
              Error::InvalidProgram,
              "XnnpackBackend: the constant data (%llu bytes at %llu) is outside the %zu-byte "
              "blob or overlaps the flatbuffer",
              static_cast<unsigned long long>(c_size), static_cast<unsigned long long>(c_offset),
              blob.size());
  *flatbuffer = Span<const uint8_t>(b + fb_offset, static_cast<size_t>(fb_size));
  *constants = Span<const uint8_t>(b + c_offset, static_cast<size_t>(c_size));
  return Error::Ok;
}

/// Where constant `index`'s `nbytes` are: the constant data after the
/// flatbuffer, the .pte's named data, or the old constant_buffer.
Error resolve_constant(const fb::Graph* g, uint32_t index, size_t nbytes,
                       Span<const uint8_t> constants, const BackendInitContext& context,
                       Graph* out, const uint8_t** data) {
  const auto* cdata = g->constant_data();
  if (cdata != nullptr && cdata->size() > 0) {
    EMBER_CHECK(index < cdata->size(), Error::InvalidProgram,
                "XnnpackBackend: constant %u is out of range (%u constant_data entries)", index,
                cdata->size());
    const fb::ConstantData* c = cdata->Get(index);
    EMBER_CHECK(c->size() >= nbytes, Error::InvalidProgram,
                "XnnpackBackend: constant %u holds %llu bytes, its value needs %zu", index,
                static_cast<unsigned long long>(c->size()), nbytes);
    if (c->offset() != kNoOffset) {
      EMBER_CHECK(c->offset() <= constants.size() && nbytes <= constants.size() - c->offset(),
                  Error::InvalidProgram,
                  "XnnpackBackend: constant %u (%zu bytes at %llu) is outside the %zu bytes of "
                  "constant data",
                  index, nbytes, static_cast<unsigned long long>(c->offset()), constants.size());
      *data = constants.data() + c->offset();
      return Error::Ok;
    }
    EMBER_CHECK(c->named_key() != nullptr && c->named_key()->size() > 0, Error::InvalidProgram,
                "XnnpackBackend: constant %u has neither an offset nor a named-data key", index);
    Result<Span<const uint8_t>> named = context.get_named_data(c->named_key()->c_str());
    EMBER_CHECK(named.ok(), Error::InvalidProgram,
                "XnnpackBackend: constant %u: named data '%.64s' is not in the program", index,
                c->named_key()->c_str());
    EMBER_CHECK(named->size() >= nbytes, Error::InvalidProgram,
                "XnnpackBackend: constant %u: named data '%.64s' has %zu bytes, %zu needed", index,
                c->named_key()->c_str(), named->size(), nbytes);
    if (out->num_named < 2 * out->num_values) out->named[out->num_named++] = *named;
    *data = named->data();
    return Error::Ok;
  }
  const auto* buffers = g->constant_buffer();
  EMBER_CHECK(buffers != nullptr && index < buffers->size(), Error::InvalidProgram,
              "XnnpackBackend: constant %u is out of range (no constant_data, %u constant_buffer "
              "entries)",
              index, buffers != nullptr ? buffers->size() : 0u);
  const auto* storage = buffers->Get(index)->storage();
  const size_t have = storage != nullptr ? storage->size() : 0;
  EMBER_CHECK(have >= nbytes, Error::InvalidProgram,
              "XnnpackBackend: constant_buffer %u holds %zu bytes, its value needs %zu", index,
              have, nbytes);
  *data = storage->data();
  return Error::Ok;
}

/// 3. One value: shape, externals, quantization and constant data.
Error read_value(const fb::Graph* g, uint32_t pos, Span<const uint8_t> constants,
                 const BackendInitContext& context, Graph* out) {
  const fb::Value* v = g->values()->Get(pos);
  const fb::TensorValue* t = nullptr;
  const fb::QuantizedTensorValue* q = nullptr;
  if (v->kind_type() == fb::ValueKind::TensorValue) {
    t = v->kind_as_TensorValue();
  } else if (v->kind_type() == fb::ValueKind::QuantizedTensorValue) {
    q = v->kind_as_QuantizedTensorValue();
    t = q != nullptr ? q->tensor() : nullptr;
  }
  EMBER_CHECK(t != nullptr, Error::InvalidProgram, "XnnpackBackend: value %u has no tensor", pos);
  const uint32_t id = t->id();
  EMBER_CHECK(id < out->num_values, Error::InvalidProgram,
              "XnnpackBackend: value %u has id %u, beyond the %u values", pos, id, out->num_values);
  Value& val = out->values[id];
  EMBER_CHECK(val.rank == kInvalidId, Error::InvalidProgram,
              "XnnpackBackend: two values have id %u", id);
  val.rank = 0;
  val.dtype = t->datatype();
  const auto* dims = t->dims();
  const uint32_t rank = dims != nullptr ? dims->size() : 0;
  EMBER_CHECK(rank == t->rank() && rank <= kMaxDims, Error::InvalidProgram,
              "XnnpackBackend: value %u has rank %u and %u dims (at most %u)", id, t->rank(), rank,
              kMaxDims);
  val.rank = rank;
  for (uint32_t d = 0; d < rank; ++d) {
    val.dims[d] = dims->Get(d);
    EMBER_CHECK(val.dims[d] > 0 && val.dims[d] <= kMaxElements / val.numel, Error::InvalidProgram,
                "XnnpackBackend: value %u: dim %u is %zu (zero, or the tensor is too large)", id,
                d, val.dims[d]);
    val.numel *= val.dims[d];
  }
  val.nbytes = val.numel * datatype_size(val.dtype);
  EMBER_CHECK(val.nbytes <= kMaxValueBytes, Error::NotSupported,
              "XnnpackBackend: value %u needs %zu bytes, above the %zu this backend accepts", id,
              val.nbytes, kMaxValueBytes);
  val.dynamic_quant = t->dynamic_quant_datatype() != fb::DataType::invalid;

  // Externals: the flags say input or output; external_id is the argument index.
  const uint32_t flags = t->flags();
  EMBER_CHECK((flags & ~(kValueFlagInput | kValueFlagOutput)) == 0 &&
                  flags != (kValueFlagInput | kValueFlagOutput),
              Error::InvalidProgram, "XnnpackBackend: value %u has flags 0x%x", id, flags);
  val.is_input = (flags & kValueFlagInput) != 0;
  val.is_output = (flags & kValueFlagOutput) != 0;
  if (val.is_input || val.is_output) {
    EMBER_CHECK(t->external_id() < out->num_externals, Error::InvalidProgram,
                "XnnpackBackend: value %u: external id %u is not below num_externals %u", id,
                t->external_id(), out->num_externals);
    val.external_id = t->external_id();
  } else {
    EMBER_CHECK(t->external_id() == kInvalidId, Error::InvalidProgram,
                "XnnpackBackend: value %u has external id %u but is neither input nor output", id,
                t->external_id());
  }

  // Quantization parameters.
  if (q != nullptr) {
    switch (q->params_type()) {
      case fb::QuantParams::PerTensor: {
        const fb::PerTensor* p = q->params_as_PerTensor();
        val.quant = QuantKind::PerTensor;
        val.scale = p->scale();
        val.zero_point = p->zero_point();
        EMBER_CHECK(std::isfinite(val.scale) && val.scale > 0.0f, Error::InvalidProgram,
                    "XnnpackBackend: value %u has quantization scale %g", id,
                    static_cast<double>(val.scale));
        break;
      }
      case fb::QuantParams::PerChannel: {
        const fb::PerChannel* p = q->params_as_PerChannel();
        val.quant = QuantKind::PerChannel;
        val.channel_dim = static_cast<uint32_t>(p->channel_dim());
        EMBER_CHECK(p->channel_dim() >= 0 && val.channel_dim < rank, Error::InvalidProgram,
                    "XnnpackBackend: value %u: channel dim %d is outside its rank %u", id,
                    p->channel_dim(), rank);
        const size_t channels = val.dims[val.channel_dim];
        if (p->scale_buffer_index() != 0) {
          EMBER_CHECK(p->scale_count() == channels, Error::InvalidProgram,
                      "XnnpackBackend: value %u has %u scales for %zu channels", id,
                      p->scale_count(), channels);
          const uint8_t* data = nullptr;
          EMBER_TRY(resolve_constant(g, p->scale_buffer_index(), channels * sizeof(float),
                                     constants, context, out, &data));
          val.channel_scales = reinterpret_cast<const float*>(data);
        } else {
          EMBER_CHECK(p->scales() != nullptr && p->scales()->size() == channels,
                      Error::InvalidProgram, "XnnpackBackend: value %u has %u scales for %zu "
                      "channels", id, p->scales() != nullptr ? p->scales()->size() : 0u, channels);
          val.channel_scales = p->scales()->data();
        }
        break;
      }
      default: val.quant = QuantKind::Unsupported; break;  // refused by check_nodes, by node
    }
  }

  // Constant data (index 0 means none). A constant of a type this library
  // lacks is refused by check_nodes, naming the node that reads it.
  if (t->constant_index() != 0) {
    val.is_constant = true;
    EMBER_CHECK(!val.is_input && !val.is_output, Error::InvalidProgram,
                "XnnpackBackend: value %u is both a constant and a delegate input or output", id);
    if (val.nbytes != 0) {
      EMBER_TRY(resolve_constant(g, t->constant_index(), val.nbytes, constants, context, out,
                                 &val.data));
    }
  }
  return Error::Ok;
}

/// The value ids a node reads and writes, by kind. Unsupported kinds have
/// been refused before (check_supported_kind).
void set_operands(Node& n, std::initializer_list<uint32_t> in, std::initializer_list<uint32_t> o) {
  for (uint32_t id : in) n.inputs[n.num_inputs++] = id;
  for (uint32_t id : o) n.outputs[n.num_outputs++] = id;
}

Error read_operands(const fb::Node* f, uint32_t index, Node& n) {
  using K = fb::NodeKind;
  const void* k = f->kind();
  EMBER_CHECK(k != nullptr, Error::InvalidProgram, "XnnpackBackend: node %u has no kind", index);
  switch (n.kind) {
    case K::Add: case K::Subtract: case K::Multiply: case K::Divide:
    case K::Minimum: case K::Maximum: case K::Prelu: {
      const auto* b = static_cast<const fb::Binary*>(k);
      set_operands(n, {b->input1(), b->input2()}, {b->output()});
      n.flags = b->flags();
      break;
    }
    case K::Softmax: case K::Sigmoid: case K::Clamp: case K::Floor: case K::Convert:
    case K::GlobalAvgPooling2d: case K::SquareRoot: case K::Ceiling: case K::Hardswish:
    case K::Negate: case K::Square: case K::Abs: {
      const auto* u = static_cast<const fb::Unary*>(k);
      set_operands(n, {u->input()}, {u->output()});
      n.flags = u->flags();
      break;
    }
    case K::FullyConnected: {
      const auto* c = f->kind_as_FullyConnected();
      set_operands(n, {c->input(), c->filter(), c->bias()}, {c->output()});
      n.flags = c->flags();
      break;
    }
    case K::Conv2d: case K::DepthwiseConv2d: case K::ConvTranspose2d: {
      const auto* c = static_cast<const fb::Convolution*>(k);
      set_operands(n, {c->input(), c->filter(), c->bias()}, {c->output()});
      n.flags = c->flags();
      break;
    }
    case K::AvgPooling2d: case K::MaxPooling2d: {
      const auto* p = static_cast<const fb::Pooling2d*>(k);
      set_operands(n, {p->input()}, {p->output()});
      n.flags = p->flags();
      break;
    }
    case K::ArgMaxPooling2d: {
      const auto* p = f->kind_as_ArgMaxPooling2d();
      set_operands(n, {p->input()}, {p->output_value(), p->output_index()});
      n.flags = p->flags();
      break;
    }
    case K::StaticTranspose: {
      const auto* t = f->kind_as_StaticTranspose();
      set_operands(n, {t->input()}, {t->output()});
      n.flags = t->flags();
      break;
    }
    case K::StaticReshape: {
      const auto* r = f->kind_as_StaticReshape();
      set_operands(n, {r->input()}, {r->output()});
      n.flags = r->flags();
      break;
    }
    case K::StaticConstantPad: {
      const auto* p = f->kind_as_StaticConstantPad();
      set_operands(n, {p->input()}, {p->output()});
      n.flags = p->flags();
      break;
    }
    case K::StaticResizeBilinear2d: {
      const auto* r = f->kind_as_StaticResizeBilinear2d();
      set_operands(n, {r->input()}, {r->output()});
      n.flags = r->flags();
      break;
    }
    case K::LeakyRelu: {
      const auto* l = f->kind_as_LeakyRelu();
      set_operands(n, {l->input()}, {l->output()});
      n.flags = l->flags();
      break;
    }
    case K::Elu: {
      const auto* e = f->kind_as_Elu();
      set_operands(n, {e->input()}, {e->output()});
      n.flags = e->flags();
      break;
    }
    default:
      EMBER_LOG(Error, "XnnpackBackend: node %u (%s) has no operand reader", index,
                node_kind_name(n.kind));
      return Error::Internal;
  }
  return Error::Ok;
}

/// Kinds ExecuTorch emits that Debian's XNNPACK (2022-02-16) has no node
/// for, and why. nullptr: the kind runs.
const char* missing_in_library(fb::NodeKind kind) {
  using K = fb::NodeKind;
  switch (kind) {
    case K::Concatenate2: case K::Concatenate3: case K::Concatenate4: case K::Concatenate5:
      return "no concatenate node";
    case K::StaticSlice: return "no slice node";
    case K::ScaledDotProductAttention: return "no scaled dot-product attention node";
    case K::BatchMatrixMultiply: return "no batch matrix multiply node";
    case K::ReciprocalSquareRoot: return "no reciprocal square root node";
    case K::Log: return "no log node";
    case K::Gelu: return "no gelu node";
    case K::Tanh: return "no tanh node";
    case K::Exp: return "no exp node";
    case K::Sin: return "no sin node";
    case K::Cos: return "no cos node";
    case K::Copy: return "no copy node";
    default: return nullptr;
  }
}

/// 4. Every node: kind, operands, output clamp; producers recorded and
/// every read preceded by a write (or a delegate input, or a constant).
Error read_nodes(const fb::Graph* g, Graph* out) {
  const uint32_t n = g->nodes()->size();
  for (uint32_t i = 0; i < n; ++i) {
    const fb::Node* f = g->nodes()->Get(i);
    Node& node = out->nodes[i];
    node.fb = f;
    node.kind = f->kind_type();
    EMBER_CHECK(node.kind > fb::NodeKind::NONE && node.kind <= fb::NodeKind::MAX,
                Error::NotSupported, "XnnpackBackend: node %u has unknown kind %u", i,
                static_cast<unsigned>(node.kind));
    const char* missing = missing_in_library(node.kind);
    EMBER_CHECK(missing == nullptr, Error::NotSupported,
                "XnnpackBackend: node %u (%s) cannot run on this XNNPACK build (Debian's "
                "2022-02-16 snapshot: %s)",
                i, node_kind_name(node.kind), missing);
    EMBER_TRY(read_operands(f, i, node));
    node.output_min = -INFINITY;
    node.output_max = INFINITY;
    if (const fb::OutputClamp* c = f->output_clamp()) {
      node.has_clamp = true;
      node.output_min = c->min();
      node.output_max = c->max();
      EMBER_CHECK(!std::isnan(node.output_min) && !std::isnan(node.output_max) &&
                      node.output_min <= node.output_max,
                  Error::InvalidProgram, "XnnpackBackend: node %u (%s): output clamp [%g, %g]", i,
                  node_kind_name(node.kind), static_cast<double>(node.output_min),
                  static_cast<double>(node.output_max));
    }
    for (uint32_t k = 0; k < node.num_inputs; ++k) {
      const uint32_t id = node.inputs[k];
      if (id == kInvalidId) continue;  // an absent optional operand; check_nodes says where
      EMBER_CHECK(id < out->num_values, Error::InvalidProgram,
                  "XnnpackBackend: node %u (%s): operand %u is value %u, beyond the %u values", i,
                  node_kind_name(node.kind), k, id, out->num_values);
      const Value& v = out->values[id];
      EMBER_CHECK(v.producer >= 0 || v.is_input || v.is_constant, Error::InvalidProgram,
                  "XnnpackBackend: node %u (%s) reads value %u before any node writes it", i,
                  node_kind_name(node.kind), id);
    }
    for (uint32_t k = 0; k < node.num_outputs; ++k) {
      const uint32_t id = node.outputs[k];
      EMBER_CHECK(id < out->num_values, Error::InvalidProgram,
                  "XnnpackBackend: node %u (%s): result %u is value %u, beyond the %u values", i,
                  node_kind_name(node.kind), k, id, out->num_values);
      Value& v = out->values[id];
      EMBER_CHECK(v.producer < 0 && !v.is_input && !v.is_constant, Error::InvalidProgram,
                  "XnnpackBackend: node %u (%s) writes value %u, which is a delegate input, a "
                  "constant or another node's result",
                  i, node_kind_name(node.kind), id);
      v.producer = static_cast<int32_t>(i);
    }
  }
  return Error::Ok;
}

/// 5. Externals: inputs and outputs are distinct arguments, the outputs
/// the last ones, and every output is written by a node.
Error check_externals(Graph* out, OwnedMemory& scratch) {
  uint32_t* owner = scratch.allocate_array<uint32_t>(out->num_externals);
  EMBER_CHECK(owner != nullptr || out->num_externals == 0, Error::MemoryAllocationFailed,
              "XnnpackBackend: out of memory for %u externals", out->num_externals);
  uint32_t max_input = 0;
  uint32_t min_output = out->num_externals;
  for (uint32_t id = 0; id < out->num_values; ++id) {
    const Value& v = out->values[id];
    if (!v.is_input && !v.is_output) continue;
    EMBER_CHECK(owner[v.external_id] == 0, Error::InvalidProgram,
                "XnnpackBackend: values %u and %u share external id %u",
                owner[v.external_id] - 1, id, v.external_id);
    owner[v.external_id] = id + 1;
    if (v.is_input) {
      ++out->num_inputs;
      if (v.external_id + 1 > max_input) max_input = v.external_id + 1;
    } else {
      ++out->num_outputs;
      if (v.external_id < min_output) min_output = v.external_id;
      EMBER_CHECK(v.producer >= 0, Error::InvalidProgram,
                  "XnnpackBackend: output value %u is written by no node", id);
    }
  }
  EMBER_CHECK(out->num_outputs > 0, Error::InvalidProgram,
              "XnnpackBackend: the graph has no output");
  EMBER_CHECK(min_output == out->num_externals - out->num_outputs && max_input <= min_output,
              Error::InvalidProgram,
              "XnnpackBackend: the %u outputs are not the last of the %u delegate arguments",
              out->num_outputs, out->num_externals);
  return Error::Ok;
}

}  // namespace

Error parse_graph(Span<const uint8_t> blob, const BackendInitContext& context,
                  OwnedMemory& scratch, Graph* out) {
  // 1. Header, then 2. the flatbuffer, verified (read from an aligned copy
  // if the blob is misaligned: the verifier checks alignment).
  Span<const uint8_t> fbytes, constants;
  EMBER_TRY(split_blob(blob, &fbytes, &constants));
  const uint8_t* fdata = fbytes.data();
  if (reinterpret_cast<uintptr_t>(fdata) % 16 != 0) {
    uint8_t* copy = static_cast<uint8_t*>(scratch.allocate(fbytes.size()));
    EMBER_CHECK(copy != nullptr, Error::MemoryAllocationFailed,
                "XnnpackBackend: cannot copy the %zu-byte flatbuffer", fbytes.size());
    std::memcpy(copy, fdata, fbytes.size());
    fdata = copy;
  }
  EMBER_CHECK(is_graph_identifier(fdata), Error::InvalidProgram,
              "XnnpackBackend: the flatbuffer's identifier is not XN00 or XN01");
  flatbuffers::Verifier verifier(fdata, fbytes.size(), /*max_depth=*/64, /*max_tables=*/1u << 20);
  EMBER_CHECK(verifier.VerifyBuffer<fb::Graph>(nullptr), Error::InvalidProgram,
              "XnnpackBackend: the flatbuffer failed verification (corrupt or truncated blob)");
  const fb::Graph* g = fb::GetGraph(fdata);
  out->fb = g;
  EMBER_CHECK(g->nodes() != nullptr && g->nodes()->size() > 0 && g->values() != nullptr,
              Error::InvalidProgram, "XnnpackBackend: the graph has no nodes or no values");
  EMBER_CHECK(g->values()->size() <= kMaxValuesOrNodes && g->nodes()->size() <= kMaxValuesOrNodes,
              Error::NotSupported, "XnnpackBackend: %u values and %u nodes (at most %u each)",
              g->values()->size(), g->nodes()->size(), kMaxValuesOrNodes);
  EMBER_CHECK(g->num_externals() <= kMaxExternals, Error::InvalidProgram,
              "XnnpackBackend: num_externals %u is above %u", g->num_externals(), kMaxExternals);
  out->num_externals = g->num_externals();
  out->num_values = g->values()->size();
  out->num_nodes = g->nodes()->size();
  out->values = scratch.allocate_array<Value>(out->num_values);
  out->nodes = scratch.allocate_array<Node>(out->num_nodes);
  // At most two named-data reads per value: its data and its scales.
  out->blob = blob;
  out->named = scratch.allocate_array<Span<const uint8_t>>(2 * size_t{out->num_values});
  EMBER_CHECK(out->values != nullptr && out->nodes != nullptr && out->named != nullptr,
              Error::MemoryAllocationFailed, "XnnpackBackend: out of memory for %u values",
              out->num_values);
  for (uint32_t i = 0; i < out->num_values; ++i) {
    new (&out->values[i]) Value();
    out->values[i].rank = kInvalidId;  // "not read yet": catches duplicate ids
  }
  for (uint32_t i = 0; i < out->num_nodes; ++i) new (&out->nodes[i]) Node();

  // 3. Values, 4. nodes, 5. externals.
  for (uint32_t i = 0; i < out->num_values; ++i) {
    EMBER_TRY(read_value(g, i, constants, context, out));
  }
  EMBER_TRY(read_nodes(g, out));
  EMBER_TRY(check_externals(out, scratch));
  return Error::Ok;
}

}  // namespace xnnpack
}  // namespace ember
