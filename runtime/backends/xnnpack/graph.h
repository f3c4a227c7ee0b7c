// Internal to XnnpackBackend: the delegate's graph as read and checked from
// the blob (blob.cpp), the Debian-library and shape checks of its nodes
// (node_check.cpp), and the memory a delegate owns.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/backend/backend.h"
#include "runtime/backends/xnnpack/xnnpack_graph_generated.h"
#include "runtime/core/error.h"
#include "runtime/core/span.h"

namespace ember {
namespace xnnpack {

namespace fb = ::ember::xnnpack::fb;

constexpr uint32_t kInvalidId = 0xFFFFFFFFu;  ///< XNN_INVALID_VALUE_ID
constexpr uint32_t kMaxDims = 6;              ///< XNN_MAX_TENSOR_DIMS
constexpr uint32_t kValueFlagInput = 1;       ///< XNN_VALUE_FLAG_EXTERNAL_INPUT
constexpr uint32_t kValueFlagOutput = 2;      ///< XNN_VALUE_FLAG_EXTERNAL_OUTPUT
constexpr uint32_t kMaxNodeInputs = 5;
constexpr uint32_t kMaxNodeOutputs = 2;
/// A node flag of newer XNNPACK (XNN_FLAG_KEEP_DIMS): the 2022 library's
/// shapes already keep their dims, so it is dropped, never refused.
constexpr uint32_t kFlagKeepDims = 0x40;
/// A FullyConnected node's filter is [input channels, output channels]
/// (XNN_FLAG_TRANSPOSE_WEIGHTS).
constexpr uint32_t kFlagTransposeWeights = 0x1;
/// Bytes XNNPACK may read past the end of an array (XNN_EXTRA_BYTES).
constexpr size_t kExtraBytes = 16;

/// Memory a delegate (or one init) owns: 64-byte aligned, zero-filled blocks
/// with kExtraBytes of slack, chained and freed all at once.
class OwnedMemory {
 public:
  OwnedMemory() = default;
  OwnedMemory(const OwnedMemory&) = delete;
  OwnedMemory& operator=(const OwnedMemory&) = delete;
  ~OwnedMemory() { release(); }

  /// `nbytes` of zeroed memory, or nullptr when malloc fails.
  void* allocate(size_t nbytes);
  template <typename T>
  T* allocate_array(size_t n) {
    if (n > (size_t{1} << 40) / sizeof(T)) return nullptr;
    return static_cast<T*>(allocate(n * sizeof(T)));
  }
  /// Free every block.
  void release();

 private:
  void* head_ = nullptr;
};

/// How a value is quantized.
enum class QuantKind : uint8_t { None, PerTensor, PerChannel, Unsupported };

/// One value of the graph (indexed by its id).
struct Value {
  fb::DataType dtype = fb::DataType::invalid;
  uint32_t rank = 0;
  size_t dims[kMaxDims] = {};
  size_t numel = 1;
  size_t nbytes = 0;            ///< 0 for datatypes this XNNPACK build lacks
  bool is_constant = false;     ///< constant_index != 0
  const uint8_t* data = nullptr;  ///< a constant's bytes (blob, named data or owned)
  uint32_t external_id = kInvalidId;  ///< delegate argument index of an input or output
  bool is_input = false;
  bool is_output = false;
  bool dynamic_quant = false;   ///< the old dynamic_quant_datatype field is set
  QuantKind quant = QuantKind::None;
  float scale = 1.0f;
  int32_t zero_point = 0;
  const float* channel_scales = nullptr;
  uint32_t channel_dim = 0;
  int32_t producer = -1;        ///< the node writing it, -1 for none
};

/// One node: its kind and its operands as value ids (an absent optional
/// operand, such as a missing bias, is kInvalidId).
struct Node {
  const fb::Node* fb = nullptr;
  fb::NodeKind kind = fb::NodeKind::NONE;
  uint32_t inputs[kMaxNodeInputs] = {};
  uint32_t num_inputs = 0;
  uint32_t outputs[kMaxNodeOutputs] = {};
  uint32_t num_outputs = 0;
  uint32_t flags = 0;
  float output_min = 0.0f;  ///< -infinity when the node has no output clamp
  float output_max = 0.0f;  ///< +infinity when the node has no output clamp
  bool has_clamp = false;
};

/// The whole graph. Points into the blob (or the named data) it came from.
struct Graph {
  const fb::Graph* fb = nullptr;
  Value* values = nullptr;
  uint32_t num_values = 0;
  Node* nodes = nullptr;
  uint32_t num_nodes = 0;
  uint32_t num_externals = 0;  ///< the delegate's argument count
  uint32_t num_inputs = 0;     ///< values flagged as external inputs
  uint32_t num_outputs = 0;    ///< values flagged as external outputs (the last arguments)
  /// Named-data bytes init() read (to release once the weights are packed).
  Span<const uint8_t>* named = nullptr;
  uint32_t num_named = 0;
  Span<const uint8_t> blob;  ///< the processed data parse_graph read
};

/// A node kind's name, as the format spells it ("Conv2d").
const char* node_kind_name(fb::NodeKind kind);

/// Bytes per element of `dtype`, 0 for types this XNNPACK build lacks.
size_t datatype_size(fb::DataType dtype);
const char* datatype_name(fb::DataType dtype);

/// Split the blob (header or bare flatbuffer), verify the flatbuffer, read
/// every value (dims, externals, quantization, constants resolved and
/// range-checked) and every node's operands (ids range-checked, each value
/// written once, before it is read). Allocations come from `scratch`, which
/// must outlive `out`. InvalidProgram (logged) on any inconsistency.
Error parse_graph(Span<const uint8_t> blob, const BackendInitContext& context,
                  OwnedMemory& scratch, Graph* out);

/// Refuse, naming the node (index and kind), every node Debian's XNNPACK
/// cannot run (NotSupported) and every node whose operands' datatypes,
/// shapes, parameters or flags are inconsistent (InvalidProgram): XNNPACK
/// sizes its writes from them, so nothing unchecked may reach it.
Error check_nodes(const Graph& graph);

}  // namespace xnnpack
}  // namespace ember
