// Serialises a PteBuilder into .pte bytes laid out as ExecuTorch writes them.
#include "tests/runtime/pte_builder.h"

#include <cstring>

#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {
namespace testing {
namespace {

constexpr size_t kHeaderLength = 32;
constexpr size_t kSegmentAlignment = 128;

size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

void put_u64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

/// Concatenate buffers (index 0 reserved and empty), each padded to 16.
std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& parts,
                            std::vector<uint64_t>* offsets) {
  std::vector<uint8_t> out;
  offsets->assign(1, 0);
  for (const auto& p : parts) {
    out.resize(align_up(out.size(), 16), 0);
    offsets->push_back(out.size());
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace

std::vector<uint8_t> float_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

int PteBuilder::push(Value v) {
  values_.push_back(std::move(v));
  return static_cast<int>(values_.size() - 1);
}

int PteBuilder::add_null() { Value v; v.kind = 1; return push(v); }
int PteBuilder::add_int(int64_t x) { Value v; v.kind = 2; v.i = x; return push(v); }
int PteBuilder::add_bool(bool x) { Value v; v.kind = 3; v.i = x; return push(v); }
int PteBuilder::add_double(double x) { Value v; v.kind = 4; v.d = x; return push(v); }
int PteBuilder::add_tensor(const TensorSpec& t) { Value v; v.kind = 5; v.tensor = t; return push(v); }
int PteBuilder::add_string(const std::string& s) { Value v; v.kind = 6; v.s = s; return push(v); }
int PteBuilder::add_int_list(const std::vector<int64_t>& idx) { Value v; v.kind = 7; v.longs = idx; return push(v); }
int PteBuilder::add_double_list(const std::vector<double>& d) { Value v; v.kind = 8; v.doubles = d; return push(v); }
int PteBuilder::add_bool_list(const std::vector<bool>& b) {
  Value v;
  v.kind = 9;
  for (bool x : b) v.bools.push_back(x ? 1 : 0);
  return push(v);
}
int PteBuilder::add_tensor_list(const std::vector<int32_t>& idx) { Value v; v.kind = 10; v.ints = idx; return push(v); }
int PteBuilder::add_optional_tensor_list(const std::vector<int32_t>& idx) { Value v; v.kind = 11; v.ints = idx; return push(v); }

int PteBuilder::add_operator(const std::string& name, const std::string& overload) {
  operators_.emplace_back(name, overload);
  return static_cast<int>(operators_.size() - 1);
}

void PteBuilder::add_kernel_call(int op, const std::vector<int32_t>& args) {
  Instr i;
  i.kind = 1;
  i.a = op;
  i.args = args;
  instructions_.push_back(i);
}
void PteBuilder::add_delegate_call(int delegate, const std::vector<int32_t>& args) {
  Instr i;
  i.kind = 2;
  i.a = delegate;
  i.args = args;
  instructions_.push_back(i);
}
void PteBuilder::add_move(int from, int to) { Instr i; i.kind = 3; i.a = from; i.b = to; instructions_.push_back(i); }
void PteBuilder::add_jump_false(int cond, int dest) { Instr i; i.kind = 4; i.a = cond; i.b = dest; instructions_.push_back(i); }
void PteBuilder::add_free(int value) { Instr i; i.kind = 5; i.a = value; instructions_.push_back(i); }

uint32_t PteBuilder::add_constant(const std::vector<uint8_t>& bytes) {
  constants_.push_back(bytes);
  return static_cast<uint32_t>(constants_.size());
}

uint32_t PteBuilder::add_mutable_data(const std::vector<uint8_t>& bytes) {
  mutable_.push_back(bytes);
  return static_cast<uint32_t>(mutable_.size());
}

int PteBuilder::add_delegate(const DelegateSpec& d) {
  delegates_.push_back(d);
  return static_cast<int>(delegates_.size() - 1);
}

uint32_t PteBuilder::add_inline_data(const std::vector<uint8_t>& bytes) {
  inline_data_.push_back(bytes);
  return static_cast<uint32_t>(inline_data_.size() - 1);
}

uint32_t PteBuilder::add_segment(const std::vector<uint8_t>& bytes) {
  segments_.push_back(bytes);
  return static_cast<uint32_t>(segments_.size());  // segment 0 is the constant segment
}

std::vector<uint8_t> PteBuilder::finish(bool extended_header) const {
  // Every child is serialized before the call that refers to it, one
  // statement each: the order of a call's arguments is unspecified in C++
  // (GCC evaluates them right to left on x86-64, left to right on aarch64),
  // and the committed files must come out byte-identical on both. The order
  // here is the one the committed files were first written in.
  flatbuffers::FlatBufferBuilder b;
  // 1. Values.
  std::vector<flatbuffers::Offset<fb::EValue>> evs;
  for (const Value& v : values_) {
    flatbuffers::Offset<void> val;
    switch (v.kind) {
      case 1: val = fb::CreateNull(b).Union(); break;
      case 2: val = fb::CreateInt(b, v.i).Union(); break;
      case 3: val = fb::CreateBool(b, v.i != 0).Union(); break;
      case 4: val = fb::CreateDouble(b, v.d).Union(); break;
      case 5: {
        const TensorSpec& t = v.tensor;
        std::vector<uint8_t> order = t.dim_order;
        if (order.empty()) {
          for (size_t d = 0; d < t.sizes.size(); ++d) order.push_back(static_cast<uint8_t>(d));
        }
        auto sizes = b.CreateVector(t.sizes);
        auto dim_order = b.CreateVector(order);
        flatbuffers::Offset<fb::AllocationDetails> alloc = 0;
        if (t.planned) {
          alloc = fb::CreateAllocationDetails(b, t.memory_id, static_cast<uint32_t>(t.offset),
                                              static_cast<uint32_t>(t.offset >> 32));
        }
        flatbuffers::Offset<fb::ExtraTensorInfo> extra = 0;
        if (!t.fqn.empty()) extra = fb::CreateExtraTensorInfo(b, 0, b.CreateString(t.fqn));
        val = fb::CreateTensor(b, static_cast<fb::ScalarType>(t.dtype), 0, sizes, dim_order, false,
                               t.data_buffer_idx, alloc, 0,
                               static_cast<fb::TensorShapeDynamism>(t.dynamism), extra)
                  .Union();
        break;
      }
      case 6: val = fb::CreateString(b, b.CreateString(v.s)).Union(); break;
      case 7: val = fb::CreateIntList(b, b.CreateVector(v.longs)).Union(); break;
      case 8: val = fb::CreateDoubleList(b, b.CreateVector(v.doubles)).Union(); break;
      case 9: val = fb::CreateBoolList(b, b.CreateVector(v.bools)).Union(); break;
      case 10: val = fb::CreateTensorList(b, b.CreateVector(v.ints)).Union(); break;
      case 11: val = fb::CreateOptionalTensorList(b, b.CreateVector(v.ints)).Union(); break;
    }
    evs.push_back(fb::CreateEValue(b, static_cast<fb::KernelTypes>(v.kind), val));
  }
  // 2. Operators, instructions, the plan.
  std::vector<flatbuffers::Offset<fb::Operator>> ops;
  for (const auto& op : operators_) {
    auto overload = b.CreateString(op.second);
    auto name = b.CreateString(op.first);
    ops.push_back(fb::CreateOperator(b, name, overload));
  }
  std::vector<flatbuffers::Offset<fb::Instruction>> instrs;
  for (const Instr& i : instructions_) {
    flatbuffers::Offset<void> args;
    switch (i.kind) {
      case 1: args = fb::CreateKernelCall(b, i.a, b.CreateVector(i.args)).Union(); break;
      case 2: args = fb::CreateDelegateCall(b, i.a, b.CreateVector(i.args)).Union(); break;
      case 3: args = fb::CreateMoveCall(b, i.a, i.b).Union(); break;
      case 4: args = fb::CreateJumpFalseCall(b, i.a, i.b).Union(); break;
      case 5: args = fb::CreateFreeCall(b, i.a).Union(); break;
    }
    instrs.push_back(fb::CreateInstruction(b, static_cast<fb::InstructionArguments>(i.kind), args));
  }
  std::vector<int32_t> none;
  auto chain_instrs = b.CreateVector(instrs);
  auto chain_outputs = b.CreateVector(none);
  auto chain_inputs = b.CreateVector(none);
  auto chain = fb::CreateChain(b, chain_inputs, chain_outputs, chain_instrs);
  std::vector<flatbuffers::Offset<fb::Chain>> chains = {chain};
  std::vector<flatbuffers::Offset<fb::BackendDelegate>> delegates;
  for (const DelegateSpec& d : delegates_) {
    std::vector<flatbuffers::Offset<fb::CompileSpec>> specs;
    for (const auto& s : d.compile_specs) {
      auto value = b.CreateVector(s.second);
      auto key = b.CreateString(s.first);
      specs.push_back(fb::CreateCompileSpec(b, key, value));
    }
    auto ref = fb::CreateBackendDelegateDataReference(
        b, static_cast<fb::DataLocation>(d.location), d.index);
    auto spec_vec = b.CreateVector(specs);
    auto id = b.CreateString(d.id);
    delegates.push_back(fb::CreateBackendDelegate(b, id, ref, spec_vec));
  }
  auto plan_buffer_sizes = b.CreateVector(buffer_sizes);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::BackendDelegate>>>
      plan_delegates = 0;
  if (!delegates.empty()) plan_delegates = b.CreateVector(delegates);
  auto plan_ops = b.CreateVector(ops);
  auto plan_chains = b.CreateVector(chains);
  auto plan_outputs = b.CreateVector(outputs);
  auto plan_inputs = b.CreateVector(inputs);
  auto plan_values = b.CreateVector(evs);
  auto plan_name = b.CreateString(method_name);
  auto plan = fb::CreateExecutionPlan(b, plan_name, 0, plan_values, plan_inputs, plan_outputs,
                                      plan_chains, plan_ops, plan_delegates, plan_buffer_sizes);
  std::vector<flatbuffers::Offset<fb::BackendDelegateInlineData>> inline_data;
  for (const auto& d : inline_data_) {
    inline_data.push_back(fb::CreateBackendDelegateInlineDataDirect(b, &d));
  }
  std::vector<flatbuffers::Offset<fb::ExecutionPlan>> plans = {plan};

  // 3. Constants and mutable data: segments, or legacy inline buffers.
  std::vector<uint64_t> const_offsets, mut_offsets;
  const std::vector<uint8_t> const_seg = concat(constants_, &const_offsets);
  const std::vector<uint8_t> mut_seg = concat(mutable_, &mut_offsets);
  flatbuffers::Offset<fb::Program> program;
  // Segment data: constants, delegate segments, mutable data, each 128-aligned.
  std::vector<uint8_t> seg_data = const_seg;
  std::vector<std::pair<uint64_t, uint64_t>> seg_ranges = {{0, const_seg.size()}};
  auto append = [&](const std::vector<uint8_t>& bytes) {
    seg_data.resize(align_up(seg_data.size(), kSegmentAlignment), 0);
    seg_ranges.emplace_back(seg_data.size(), bytes.size());
    seg_data.insert(seg_data.end(), bytes.begin(), bytes.end());
  };
  for (const auto& s : segments_) append(s);
  const uint32_t mut_index = static_cast<uint32_t>(seg_ranges.size());
  if (!mutable_.empty()) append(mut_seg);
  for (const auto& e : extra_segments) seg_ranges.push_back(e);
  auto inline_vec = inline_data.empty() ? 0 : b.CreateVector(inline_data);
  if (extended_header) {
    std::vector<flatbuffers::Offset<fb::DataSegment>> segs;
    for (const auto& r : seg_ranges) segs.push_back(fb::CreateDataSegment(b, r.first, r.second));
    std::vector<flatbuffers::Offset<fb::SubsegmentOffsets>> mds;
    if (!mutable_.empty()) {
      mds.push_back(fb::CreateSubsegmentOffsets(b, mut_index, b.CreateVector(mut_offsets)));
    }
    auto cs = fb::CreateSubsegmentOffsets(b, 0, b.CreateVector(const_offsets));
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SubsegmentOffsets>>>
        mds_vec = 0;
    if (!mds.empty()) mds_vec = b.CreateVector(mds);
    auto segs_vec = b.CreateVector(segs);
    auto plans_vec = b.CreateVector(plans);
    program = fb::CreateProgram(b, 0, plans_vec, 0, inline_vec, segs_vec, cs, mds_vec);
  } else {
    std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
    std::vector<uint8_t> empty;
    buffers.push_back(fb::CreateBufferDirect(b, &empty));
    for (const auto& c : constants_) buffers.push_back(fb::CreateBufferDirect(b, &c));
    auto buffers_vec = b.CreateVector(buffers);
    auto plans_vec = b.CreateVector(plans);
    program = fb::CreateProgram(b, 0, plans_vec, buffers_vec, inline_vec);
  }
  fb::FinishProgramBuffer(b, program);
  std::vector<uint8_t> flat(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  if (!extended_header) return flat;

  // 4. Insert the extended header after the root offset and identifier.
  std::vector<uint8_t> out(flat.begin(), flat.begin() + 8);
  out.resize(8 + kHeaderLength, 0);
  out.insert(out.end(), flat.begin() + 8, flat.end());
  uint32_t root;
  std::memcpy(&root, out.data(), 4);
  root += kHeaderLength;
  std::memcpy(out.data(), &root, 4);
  const size_t program_size = out.size();
  const size_t base = align_up(program_size, kSegmentAlignment);
  std::memcpy(out.data() + 8, "eh00", 4);
  const uint32_t len = kHeaderLength;
  std::memcpy(out.data() + 12, &len, 4);
  put_u64(out.data() + 16, program_size);
  put_u64(out.data() + 24, base);
  put_u64(out.data() + 32, seg_data.size());
  out.resize(base, 0);
  out.insert(out.end(), seg_data.begin(), seg_data.end());
  return out;
}

}  // namespace testing
}  // namespace ember
