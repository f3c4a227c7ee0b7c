// One stage's XNNPACK subgraph: its values (constants static, values other
// steps hand over external, the rest internal), its nodes through
// xnn_define_*, and its runtime on the process's thread pool.
#include <cmath>

#include "runtime/backends/xnnpack/delegate_plan.h"
#include "runtime/core/threadpool.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace xnnpack {
namespace {

using K = fb::NodeKind;

const char* status_name(xnn_status s) {
  switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

xnn_datatype xnn_type(fb::DataType t) {
  // The format numbers datatypes as XNNPACK does, for the types this build has.
  return static_cast<xnn_datatype>(static_cast<int>(t));
}

/// Define value `id` in the subgraph (static, external or internal).
xnn_status define_value(xnn_subgraph_t sg, const Value& v, uint32_t external_id, uint32_t flags,
                        uint32_t* out) {
  const void* data = v.is_constant ? v.data : nullptr;
  switch (v.quant) {
    case QuantKind::PerTensor:
      return xnn_define_quantized_tensor_value(sg, xnn_type(v.dtype), v.zero_point, v.scale, v.rank,
                                               v.dims, data, external_id, flags, out);
    case QuantKind::PerChannel:
      return xnn_define_channelwise_quantized_tensor_value(sg, xnn_type(v.dtype), v.channel_scales,
                                                           v.rank, v.channel_dim, v.dims, data,
                                                           external_id, flags, out);
    default:
      return xnn_define_tensor_value(sg, xnn_type(v.dtype), v.rank, v.dims, data, external_id,
                                     flags, out);
  }
}

/// Define node `n` with its operands' stage-local ids.
xnn_status define_node(xnn_subgraph_t sg, const Graph& g, const Node& n, const uint32_t* local) {
  auto id = [&](uint32_t k) {
    return n.inputs[k] == kInvalidId ? XNN_INVALID_VALUE_ID : local[n.inputs[k]];
  };
  const uint32_t out = local[n.outputs[0]];
  const float lo = n.output_min, hi = n.output_max;
  const uint32_t flags = n.flags & ~kFlagKeepDims;
  const void* k = n.fb->kind();
  switch (n.kind) {
    case K::Add: return xnn_define_add2(sg, lo, hi, id(0), id(1), out, flags);
    case K::Subtract: return xnn_define_subtract(sg, lo, hi, id(0), id(1), out, flags);
    case K::Multiply: return xnn_define_multiply2(sg, lo, hi, id(0), id(1), out, flags);
    case K::Divide: return xnn_define_divide(sg, lo, hi, id(0), id(1), out, flags);
    case K::Minimum: return xnn_define_minimum2(sg, id(0), id(1), out, flags);
    case K::Maximum: return xnn_define_maximum2(sg, id(0), id(1), out, flags);
    case K::Prelu: return xnn_define_prelu(sg, id(0), id(1), out, flags);
    case K::Clamp: return xnn_define_clamp(sg, lo, hi, id(0), out, flags);
    case K::Softmax: return xnn_define_softmax(sg, id(0), out, flags);
    case K::Sigmoid: return xnn_define_sigmoid(sg, id(0), out, flags);
    case K::Floor: return xnn_define_floor(sg, id(0), out, flags);
    case K::Ceiling: return xnn_define_ceiling(sg, id(0), out, flags);
    case K::SquareRoot: return xnn_define_square_root(sg, id(0), out, flags);
    case K::Hardswish: return xnn_define_hardswish(sg, id(0), out, flags);
    case K::Negate: return xnn_define_negate(sg, id(0), out, flags);
    case K::Square: return xnn_define_square(sg, id(0), out, flags);
    case K::Abs: return xnn_define_abs(sg, id(0), out, flags);
    case K::Convert: return xnn_define_convert(sg, id(0), out, flags);
    case K::LeakyRelu:
      return xnn_define_leaky_relu(sg, n.fb->kind_as_LeakyRelu()->negative_slope(), id(0), out,
                                   flags);
    case K::Elu: return xnn_define_elu(sg, n.fb->kind_as_Elu()->alpha(), id(0), out, flags);
    case K::GlobalAvgPooling2d:
      return xnn_define_global_average_pooling_2d(sg, lo, hi, id(0), out, flags);
    case K::FullyConnected:
      return xnn_define_fully_connected(sg, lo, hi, id(0), id(1), id(2), out, flags);
    case K::Conv2d: {
      const auto* c = static_cast<const fb::Convolution*>(k);
      return xnn_define_convolution_2d(
          sg, c->pad_top(), c->pad_right(), c->pad_bottom(), c->pad_left(), c->kernel_height(),
          c->kernel_width(), c->stride_height(), c->stride_width(), c->dilation_height(),
          c->dilation_width(), c->groups(), c->group_input_channels(), c->group_output_channels(),
          lo, hi, id(0), id(1), id(2), out, flags);
    }
    case K::DepthwiseConv2d: {
      const auto* c = static_cast<const fb::Convolution*>(k);
      return xnn_define_depthwise_convolution_2d(
          sg, c->pad_top(), c->pad_right(), c->pad_bottom(), c->pad_left(), c->kernel_height(),
          c->kernel_width(), c->stride_height(), c->stride_width(), c->dilation_height(),
          c->dilation_width(), c->group_output_channels() /* depth multiplier */,
          c->groups() /* input channels */, lo, hi, id(0), id(1), id(2), out, flags);
    }
    case K::ConvTranspose2d: {
      const auto* c = static_cast<const fb::Convolution*>(k);
      return xnn_define_deconvolution_2d(
          sg, c->pad_top(), c->pad_right(), c->pad_bottom(), c->pad_left(),
          c->adjustment_height(), c->adjustment_width(), c->kernel_height(), c->kernel_width(),
          c->stride_height(), c->stride_width(), c->dilation_height(), c->dilation_width(),
          c->groups(), c->group_input_channels(), c->group_output_channels(), lo, hi, id(0),
          id(1), id(2), out, flags);
    }
    case K::AvgPooling2d: case K::MaxPooling2d: {
      const auto* p = static_cast<const fb::Pooling2d*>(k);
      if (n.kind == K::AvgPooling2d) {
        return xnn_define_average_pooling_2d(sg, p->pad_top(), p->pad_right(), p->pad_bottom(),
                                             p->pad_left(), p->pool_height(), p->pool_width(),
                                             p->stride_height(), p->stride_width(), lo, hi, id(0),
                                             out, flags);
      }
      return xnn_define_max_pooling_2d(sg, p->pad_top(), p->pad_right(), p->pad_bottom(),
                                       p->pad_left(), p->pool_height(), p->pool_width(),
                                       p->stride_height(), p->stride_width(), p->dilation_height(),
                                       p->dilation_width(), lo, hi, id(0), out, flags);
    }
    case K::ArgMaxPooling2d: {
      const auto* p = n.fb->kind_as_ArgMaxPooling2d();
      return xnn_define_argmax_pooling_2d(sg, p->pad_top(), p->pad_right(), p->pad_bottom(),
                                          p->pad_left(), p->pool_height(), p->pool_width(), id(0),
                                          out, local[n.outputs[1]], flags);
    }
    case K::StaticTranspose:  // moves no data (delegate_plan.cpp): a reshape to the output's shape
    case K::StaticReshape: {
      const Value& y = g.values[n.outputs[0]];
      return xnn_define_static_reshape(sg, y.rank, y.dims, id(0), out, flags);
    }
    case K::StaticConstantPad: {
      const auto* p = n.fb->kind_as_StaticConstantPad();
      size_t pre[kMaxDims] = {}, post[kMaxDims] = {};
      for (uint32_t d = 0; d < p->pad_before()->size(); ++d) {
        pre[d] = p->pad_before()->Get(d);
        post[d] = p->pad_after()->Get(d);
      }
      return xnn_define_static_constant_pad(sg, pre, post, p->value(), id(0), out, flags);
    }
    case K::StaticResizeBilinear2d: {
      const auto* r = n.fb->kind_as_StaticResizeBilinear2d();
      return xnn_define_static_resize_bilinear_2d(sg, r->height(), r->width(), id(0), out, flags);
    }
    default: return xnn_status_unsupported_parameter;  // check_nodes refused it already
  }
}

/// Visit every operand id of the stage's nodes once.
template <typename Fn>
void for_each_operand(const Graph& g, const uint32_t* nodes, uint32_t num_nodes, Fn fn) {
  for (uint32_t i = 0; i < num_nodes; ++i) {
    const Node& n = g.nodes[nodes[i]];
    for (uint32_t k = 0; k < n.num_inputs; ++k) {
      if (n.inputs[k] != kInvalidId) fn(n.inputs[k]);
    }
    for (uint32_t k = 0; k < n.num_outputs; ++k) fn(n.outputs[k]);
  }
}

Error define_and_create(const Graph& g, const uint32_t* nodes, uint32_t num_nodes,
                        const uint32_t* step_of, uint32_t step, const uint32_t* slot_of,
                        uint32_t* local, Stage* stage, xnn_subgraph_t sg) {
  // 1. Values: stage externals get ids 0..n-1 in first-use order.
  uint32_t next_external = 0;
  xnn_status status = xnn_status_success;
  uint32_t failed_value = kInvalidId;
  for_each_operand(g, nodes, num_nodes, [&](uint32_t v) {
    if (local[v] != kInvalidId || status != xnn_status_success) return;
    const Value& val = g.values[v];
    uint32_t external_id = XNN_INVALID_VALUE_ID, flags = 0;
    if (slot_of[v] != kInvalidId && !val.is_constant) {
      const bool produced_here = val.producer >= 0 && step_of[val.producer] == step;
      flags = produced_here ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : XNN_VALUE_FLAG_EXTERNAL_INPUT;
      external_id = next_external;
      stage->slots[next_external++] = slot_of[v];
    }
    status = define_value(sg, val, external_id, flags, &local[v]);
    if (status != xnn_status_success) failed_value = v;
  });
  EMBER_CHECK(status == xnn_status_success, Error::NotSupported,
              "XnnpackBackend: XNNPACK refused value %u (%s, rank %u): %s", failed_value,
              datatype_name(g.values[failed_value].dtype), g.values[failed_value].rank,
              status_name(status));
  stage->num_externals = next_external;
  for (uint32_t e = 0; e < next_external; ++e) stage->externals[e].id = e;

  // 2. Nodes.
  for (uint32_t i = 0; i < num_nodes; ++i) {
    const Node& n = g.nodes[nodes[i]];
    status = define_node(sg, g, n, local);
    EMBER_CHECK(status == xnn_status_success, Error::NotSupported,
                "XnnpackBackend: node %u (%s): Debian's XNNPACK refused it: %s", nodes[i],
                node_kind_name(n.kind), status_name(status));
  }

  // 3. The runtime packs the weights, on the process's thread pool.
  status = xnn_create_runtime_v2(sg, get_threadpool(), 0, &stage->runtime);
  EMBER_CHECK(status == xnn_status_success, Error::NotSupported,
              "XnnpackBackend: XNNPACK could not create the runtime of nodes %u..%u: %s", nodes[0],
              nodes[num_nodes - 1], status_name(status));
  return Error::Ok;
}

}  // namespace

Error define_stage(const Graph& g, const uint32_t* nodes, uint32_t num_nodes,
                   const uint32_t* step_of, uint32_t step, const uint32_t* slot_of,
                   uint32_t* local, OwnedMemory& memory, Stage* stage) {
  uint32_t num_operands = 0;
  for_each_operand(g, nodes, num_nodes, [&](uint32_t) { ++num_operands; });
  stage->externals = memory.allocate_array<xnn_external_value>(num_operands);
  stage->slots = memory.allocate_array<uint32_t>(num_operands);
  EMBER_CHECK(stage->externals != nullptr && stage->slots != nullptr,
              Error::MemoryAllocationFailed, "XnnpackBackend: out of memory");

  // An upper bound of external ids: every operand (XNNPACK reserves them).
  xnn_subgraph_t sg = nullptr;
  xnn_status status = xnn_create_subgraph(num_operands, 0, &sg);
  EMBER_CHECK(status == xnn_status_success, Error::MemoryAllocationFailed,
              "XnnpackBackend: cannot create an XNNPACK subgraph: %s", status_name(status));
  const Error err =
      define_and_create(g, nodes, num_nodes, step_of, step, slot_of, local, stage, sg);
  xnn_delete_subgraph(sg);
  for_each_operand(g, nodes, num_nodes, [&](uint32_t v) { local[v] = kInvalidId; });
  return err;
}

}  // namespace xnnpack
}  // namespace ember
