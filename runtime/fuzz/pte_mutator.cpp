// Structural mutations of a valid .pte (see pte_mutator.h): mapping a program
// and applying one mutation (in place, or by splicing new tables in).
#include "runtime/fuzz/pte_mutator.h"

#include <cstring>

#include "runtime/core/scalar_type.h"
#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {
namespace fuzz {
namespace {

constexpr size_t kHeaderOffset = 8;
constexpr size_t kFullHeaderLength = 32;
constexpr size_t kMinSegmentAlignment = 128;

uint32_t read_u32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
uint64_t read_u64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
void write_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void write_u64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

size_t offset_of(const uint8_t* base, const void* p) {
  return static_cast<size_t>(static_cast<const uint8_t*>(p) - base);
}

/// File offset of a table's scalar or offset field, 0 if the field is not stored.
size_t field_at(const uint8_t* base, const void* table, flatbuffers::voffset_t slot) {
  const uint8_t* p = reinterpret_cast<const flatbuffers::Table*>(table)->GetAddressOf(slot);
  return p != nullptr ? offset_of(base, p) : 0;
}

ValueClass classify(const fb::EValue* ev) {
  switch (ev->val_type()) {
    case fb::KernelTypes::Null: return ValueClass::Null;
    case fb::KernelTypes::Int: return ValueClass::Int;
    case fb::KernelTypes::Bool: return ValueClass::Bool;
    case fb::KernelTypes::Double: return ValueClass::Double;
    case fb::KernelTypes::String: return ValueClass::String;
    case fb::KernelTypes::IntList: return ValueClass::IntList;
    case fb::KernelTypes::DoubleList: return ValueClass::DoubleList;
    case fb::KernelTypes::BoolList: return ValueClass::BoolList;
    case fb::KernelTypes::TensorList: return ValueClass::TensorList;
    case fb::KernelTypes::OptionalTensorList: return ValueClass::OptionalTensorList;
    case fb::KernelTypes::Tensor: {
      const fb::Tensor* t = ev->val_as_Tensor();
      if (t == nullptr) return ValueClass::Other;
      const bool planned = t->allocation_info() != nullptr;
      const bool data = t->data_buffer_idx() > 0;
      if (planned) return data ? ValueClass::Mutable : ValueClass::Planned;
      return data ? ValueClass::Constant : ValueClass::Unplanned;
    }
    default: return ValueClass::Other;
  }
}

size_t tensor_nbytes(const fb::Tensor* t) {
  size_t n = element_size(static_cast<ScalarType>(t->scalar_type()));
  if (t->sizes() == nullptr) return n;
  for (int32_t s : *t->sizes()) {
    if (s < 0 || (s > 0 && n > (size_t{1} << 40) / static_cast<size_t>(s))) return 0;
    n *= static_cast<size_t>(s);
  }
  return n;
}

template <typename T>
void add_items(const uint8_t* base, const flatbuffers::Vector<T>* v, SiteKind kind, uint32_t plan,
               uint32_t owner, std::vector<IndexSite>* sites) {
  if (v == nullptr) return;
  for (uint32_t k = 0; k < v->size(); ++k) {
    IndexSite s;
    s.at = offset_of(base, v->Data() + k * sizeof(T));
    s.width = sizeof(T);
    s.kind = kind;
    s.plan = plan;
    s.owner = owner;
    s.pos = k;
    s.value = static_cast<int64_t>(v->Get(k));
    sites->push_back(s);
  }
}

void add_scalar_site(const uint8_t* base, const void* table, flatbuffers::voffset_t slot,
                     int32_t value, SiteKind kind, uint32_t plan, uint32_t pc,
                     std::vector<IndexSite>* sites) {
  IndexSite s;
  s.at = field_at(base, table, slot);  // 0: not stored (the default 0), rewired by a rebuild
  s.kind = kind;
  s.plan = plan;
  s.owner = pc;
  s.value = value;
  sites->push_back(s);
}

void map_plan(const uint8_t* base, const fb::ExecutionPlan* plan, uint32_t pi, ProgramMap* out) {
  PlanMap& pm = out->plans[pi];
  if (const auto* values = plan->values()) {
    for (uint32_t i = 0; i < values->size(); ++i) {
      const fb::EValue* ev = values->Get(i);
      ValueInfo v;
      v.cls = classify(ev);
      v.slot = offset_of(base, values->Data() + 4 * i);
      if (const fb::Tensor* t = ev->val_as_Tensor()) {
        v.data_buffer_idx = t->data_buffer_idx();
        v.nbytes = tensor_nbytes(t);
      }
      if (v.cls == ValueClass::Mutable) pm.has_mutable_data = true;
      pm.values.push_back(v);
      if (const fb::TensorList* l = ev->val_as_TensorList()) {
        add_items(base, l->items(), SiteKind::TensorListItem, pi, i, &out->sites);
      } else if (const fb::OptionalTensorList* ol = ev->val_as_OptionalTensorList()) {
        add_items(base, ol->items(), SiteKind::OptionalTensorListItem, pi, i, &out->sites);
      } else if (const fb::IntList* il = ev->val_as_IntList()) {
        // The verifier aligns vectors to 4 only: read int64 items only when aligned.
        if (il->items() != nullptr && reinterpret_cast<uintptr_t>(il->items()->Data()) % 8 == 0) {
          add_items(base, il->items(), SiteKind::IntListItem, pi, i, &out->sites);
        }
      }
    }
  }
  add_items(base, plan->inputs(), SiteKind::Input, pi, 0, &out->sites);
  add_items(base, plan->outputs(), SiteKind::Output, pi, 0, &out->sites);
  const auto* chains = plan->chains();
  if (chains == nullptr || chains->size() == 0) return;
  const fb::Chain* chain = chains->Get(0);
  pm.instructions_slot = field_at(base, chain, fb::Chain::VT_INSTRUCTIONS);
  const auto* instructions = chain->instructions();
  if (instructions == nullptr) return;
  for (uint32_t pc = 0; pc < instructions->size(); ++pc) {
    const fb::Instruction* in = instructions->Get(pc);
    InstructionInfo info;
    info.kind = static_cast<uint8_t>(in->instr_args_type());
    if (const fb::KernelCall* k = in->instr_args_as_KernelCall()) {
      info.a = k->op_index();
      if (k->args() != nullptr) info.args.assign(k->args()->begin(), k->args()->end());
      add_items(base, k->args(), SiteKind::KernelArg, pi, pc, &out->sites);
    } else if (const fb::DelegateCall* d = in->instr_args_as_DelegateCall()) {
      info.a = d->delegate_index();
      if (d->args() != nullptr) info.args.assign(d->args()->begin(), d->args()->end());
      add_items(base, d->args(), SiteKind::DelegateArg, pi, pc, &out->sites);
    } else if (const fb::MoveCall* m = in->instr_args_as_MoveCall()) {
      info.a = m->move_from();
      info.b = m->move_to();
      add_scalar_site(base, m, fb::MoveCall::VT_MOVE_FROM, info.a, SiteKind::MoveFrom, pi, pc,
                      &out->sites);
      add_scalar_site(base, m, fb::MoveCall::VT_MOVE_TO, info.b, SiteKind::MoveTo, pi, pc,
                      &out->sites);
    } else if (const fb::JumpFalseCall* j = in->instr_args_as_JumpFalseCall()) {
      info.a = j->cond_value_index();
      info.b = j->destination_instruction();
      add_scalar_site(base, j, fb::JumpFalseCall::VT_COND_VALUE_INDEX, info.a, SiteKind::JumpCond,
                      pi, pc, &out->sites);
    } else if (const fb::FreeCall* f = in->instr_args_as_FreeCall()) {
      info.a = f->value_index();
      add_scalar_site(base, f, fb::FreeCall::VT_VALUE_INDEX, info.a, SiteKind::FreeValue, pi, pc,
                      &out->sites);
    }
    pm.instructions.push_back(std::move(info));
  }
}

// ---- Splicing: append a table, point an offset at it ------------------------

/// `file` with the finished builder buffer `blob` appended to its flatbuffer
/// part and the uoffset stored at `slot` pointing at the blob's root. The
/// segments move behind it by a multiple of their base's alignment.
std::vector<uint8_t> splice(const std::vector<uint8_t>& file, const ProgramMap& map, size_t slot,
                            const uint8_t* blob, size_t blob_size) {
  const size_t flat = map.flat_size;
  const size_t at = align_up(flat, 16);
  const size_t new_flat = at + blob_size;
  std::vector<uint8_t> out(file.begin(), file.begin() + static_cast<ptrdiff_t>(flat));
  out.resize(at, 0);
  out.insert(out.end(), blob, blob + blob_size);
  const size_t root = at + read_u32(blob);
  write_u32(out.data() + slot, static_cast<uint32_t>(root - slot));
  if (!map.extended_header) return out;
  write_u64(out.data() + kHeaderOffset + 8, new_flat);
  const uint64_t base = map.segment_base;
  if (base == 0) return out;
  uint64_t new_base = base;
  if (new_flat > base) {
    // Keep every segment's alignment: move by a multiple of the base's own.
    uint64_t step = base & (~base + 1);
    if (step < kMinSegmentAlignment) step = kMinSegmentAlignment;
    new_base = base + align_up(new_flat - base, static_cast<size_t>(step));
  }
  out.resize(static_cast<size_t>(new_base), 0);
  out.insert(out.end(), file.begin() + static_cast<ptrdiff_t>(base), file.end());
  write_u64(out.data() + kHeaderOffset + 16, new_base);
  return out;
}

template <typename T>
std::vector<uint8_t> splice_builder(const std::vector<uint8_t>& file, const ProgramMap& map,
                                    size_t slot, flatbuffers::FlatBufferBuilder& b,
                                    flatbuffers::Offset<T> root) {
  b.Finish(root);
  return splice(file, map, slot, b.GetBufferPointer(), b.GetSize());
}

flatbuffers::Offset<fb::Instruction> build_instruction(flatbuffers::FlatBufferBuilder& b,
                                                       const InstructionInfo& in) {
  flatbuffers::Offset<void> args;
  switch (static_cast<fb::InstructionArguments>(in.kind)) {
    case fb::InstructionArguments::KernelCall:
      args = fb::CreateKernelCall(b, in.a, b.CreateVector(in.args)).Union();
      break;
    case fb::InstructionArguments::DelegateCall:
      args = fb::CreateDelegateCall(b, in.a, b.CreateVector(in.args)).Union();
      break;
    case fb::InstructionArguments::MoveCall:
      args = fb::CreateMoveCall(b, in.a, in.b).Union();
      break;
    case fb::InstructionArguments::JumpFalseCall:
      args = fb::CreateJumpFalseCall(b, in.a, in.b).Union();
      break;
    case fb::InstructionArguments::FreeCall:
      args = fb::CreateFreeCall(b, in.a).Union();
      break;
    default:
      break;
  }
  return fb::CreateInstruction(b, static_cast<fb::InstructionArguments>(in.kind), args);
}

/// The plan's chain rebuilt from `instrs` and spliced in.
bool splice_chain(const std::vector<uint8_t>& file, const ProgramMap& map, uint32_t plan,
                  const std::vector<InstructionInfo>& instrs, std::vector<uint8_t>* out) {
  const PlanMap& pm = map.plans[plan];
  if (pm.instructions_slot == 0) return false;
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Instruction>> offsets;
  for (const InstructionInfo& in : instrs) offsets.push_back(build_instruction(b, in));
  *out = splice_builder(file, map, pm.instructions_slot, b, b.CreateVector(offsets));
  return true;
}

/// First value of class `c` in a plan other than `not_this`, or -1.
int32_t first_of(const PlanMap& pm, ValueClass c, size_t not_this) {
  for (size_t i = 0; i < pm.values.size(); ++i) {
    if (pm.values[i].cls == c && i != not_this) return static_cast<int32_t>(i);
  }
  return -1;
}

/// A data_buffer_idx of class `c` (Constant or Mutable) holding at least
/// `nbytes` (the smallest such), else the largest one, else 1.
uint32_t pick_buffer(const PlanMap& pm, ValueClass c, size_t nbytes) {
  uint32_t best = 0, largest = 1;
  size_t best_size = SIZE_MAX, largest_size = 0;
  for (const ValueInfo& v : pm.values) {
    if (v.cls != c) continue;
    if (v.nbytes >= nbytes && v.nbytes < best_size) { best = v.data_buffer_idx; best_size = v.nbytes; }
    if (v.nbytes >= largest_size) { largest = v.data_buffer_idx; largest_size = v.nbytes; }
  }
  return best != 0 ? best : largest;
}

/// The EValue that value `v` becomes under `s`, built into `b`. False when
/// the swap would not change it or does not apply.
bool build_swapped(const fb::ExecutionPlan* plan, const PlanMap& pm, uint32_t v, Swap s,
                   flatbuffers::FlatBufferBuilder& b, flatbuffers::Offset<fb::EValue>* out) {
  const ValueClass cls = pm.values[v].cls;
  const fb::EValue* ev = plan->values()->Get(v);
  if (s <= Swap::ToUnplanned) {
    const ValueClass want = static_cast<ValueClass>(static_cast<uint8_t>(s));
    if (cls == want || (s == Swap::ToMutable && !pm.has_mutable_data)) return false;
    // Shape and dtype: the value's own, or those of a planned tensor of the plan.
    const fb::Tensor* like = ev->val_as_Tensor();
    int32_t like_index = static_cast<int32_t>(v);
    if (like == nullptr) {
      like_index = first_of(pm, ValueClass::Planned, SIZE_MAX);
      if (like_index < 0) like_index = first_of(pm, ValueClass::Unplanned, SIZE_MAX);
      if (like_index >= 0) like = plan->values()->Get(static_cast<uint32_t>(like_index))->val_as_Tensor();
    }
    std::vector<int32_t> sizes = {1};
    std::vector<uint8_t> dim_order = {0};
    fb::ScalarType dtype = fb::ScalarType::FLOAT;
    fb::TensorShapeDynamism dyn = fb::TensorShapeDynamism::STATIC;
    const fb::ExtraTensorInfo* extra = nullptr;
    size_t nbytes = 4;
    if (like != nullptr) {
      sizes.clear();
      dim_order.clear();
      if (like->sizes() != nullptr) sizes.assign(like->sizes()->begin(), like->sizes()->end());
      if (like->dim_order() != nullptr) {
        dim_order.assign(like->dim_order()->begin(), like->dim_order()->end());
      }
      dtype = like->scalar_type();
      dyn = like->shape_dynamism();
      extra = like->extra_tensor_info();
      nbytes = pm.values[static_cast<size_t>(like_index)].nbytes;
    }
    uint32_t buffer = 0;
    flatbuffers::Offset<fb::AllocationDetails> alloc = 0;
    if (s == Swap::ToConstant) buffer = pick_buffer(pm, ValueClass::Constant, nbytes);
    if (s == Swap::ToMutable) buffer = pick_buffer(pm, ValueClass::Mutable, nbytes);
    if (s == Swap::ToPlanned || s == Swap::ToMutable) alloc = fb::CreateAllocationDetails(b, 1, 0, 0);
    flatbuffers::Offset<fb::ExtraTensorInfo> extra_off = 0;
    if (s == Swap::ToMutable) {
      // The mutable data segment index comes from a mutable tensor of the plan.
      const int32_t m = first_of(pm, ValueClass::Mutable, SIZE_MAX);
      const fb::Tensor* mt = plan->values()->Get(static_cast<uint32_t>(m))->val_as_Tensor();
      if (mt->extra_tensor_info() != nullptr) {
        extra_off = fb::CreateExtraTensorInfo(b, mt->extra_tensor_info()->mutable_data_segments_idx());
      }
    } else if (extra != nullptr && extra->location() != fb::TensorDataLocation::SEGMENT) {
      extra_off = fb::CreateExtraTensorInfo(b, 0, 0, extra->location());
    }
    auto sizes_off = b.CreateVector(sizes);
    auto order_off = b.CreateVector(dim_order);
    auto t = fb::CreateTensor(b, dtype, 0, sizes_off, order_off, false, buffer, alloc, 0, dyn,
                              extra_off);
    *out = fb::CreateEValue(b, fb::KernelTypes::Tensor, t.Union());
    return true;
  }
  switch (s) {
    case Swap::ToNull:
      if (cls == ValueClass::Null) return false;
      *out = fb::CreateEValue(b, fb::KernelTypes::Null, fb::CreateNull(b).Union());
      return true;
    case Swap::ToInt:
      if (cls == ValueClass::Int) return false;
      *out = fb::CreateEValue(b, fb::KernelTypes::Int, fb::CreateInt(b, 1).Union());
      return true;
    case Swap::ToBool:
      if (cls == ValueClass::Bool) return false;
      *out = fb::CreateEValue(b, fb::KernelTypes::Bool, fb::CreateBool(b, false).Union());
      return true;
    case Swap::ToDouble:
      if (cls == ValueClass::Double) return false;
      *out = fb::CreateEValue(b, fb::KernelTypes::Double, fb::CreateDouble(b, 0.5).Union());
      return true;
    case Swap::ToIntList: {
      if (cls == ValueClass::IntList) return false;
      std::vector<int64_t> items;
      const int32_t i = first_of(pm, ValueClass::Int, v);
      if (i >= 0) items.push_back(i);
      *out = fb::CreateEValue(b, fb::KernelTypes::IntList,
                              fb::CreateIntList(b, b.CreateVector(items)).Union());
      return true;
    }
    case Swap::ToTensorList: {
      if (cls == ValueClass::TensorList) return false;
      std::vector<int32_t> items;
      for (ValueClass c : {ValueClass::Planned, ValueClass::Constant, ValueClass::Unplanned}) {
        const int32_t t = first_of(pm, c, v);
        if (t >= 0 && items.empty()) items.push_back(t);
      }
      *out = fb::CreateEValue(b, fb::KernelTypes::TensorList,
                              fb::CreateTensorList(b, b.CreateVector(items)).Union());
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

bool map_program(const uint8_t* file, size_t size, ProgramMap* out) {
  *out = ProgramMap();
  if (size < 8 || !fb::ProgramBufferHasIdentifier(file)) return false;
  size_t flat = size;
  if (size >= kHeaderOffset + kFullHeaderLength &&
      std::memcmp(file + kHeaderOffset, "eh00", 4) == 0) {
    // Only the full 32-byte header is rewritten after a splice.
    const uint32_t length = read_u32(file + kHeaderOffset + 4);
    const uint64_t program_size = read_u64(file + kHeaderOffset + 8);
    const uint64_t base = read_u64(file + kHeaderOffset + 16);
    if (length < kFullHeaderLength || program_size < kHeaderOffset + length ||
        program_size > size || (base != 0 && (base < program_size || base > size))) {
      return false;
    }
    flat = static_cast<size_t>(program_size);
    out->extended_header = true;
    out->segment_base = base;
  }
  if (flat >= FLATBUFFERS_MAX_BUFFER_SIZE) return false;
  flatbuffers::Verifier verifier(file, flat, 64, 1u << 24);
  if (!fb::VerifyProgramBuffer(verifier)) return false;
  out->flat_size = flat;
  const fb::Program* p = fb::GetProgram(file);
  const auto* plans = p->execution_plan();
  if (plans == nullptr) return true;
  out->plans.resize(plans->size());
  for (uint32_t i = 0; i < plans->size(); ++i) map_plan(file, plans->Get(i), i, out);
  return true;
}

bool apply(const std::vector<uint8_t>& file, const ProgramMap& map, const StructuralMutation& m,
           std::vector<uint8_t>* out) {
  switch (m.op) {
    case StructuralMutation::Rewire: {
      if (m.site >= map.sites.size()) return false;
      const IndexSite& s = map.sites[m.site];
      if (s.at != 0) {
        *out = file;
        std::memcpy(out->data() + s.at, &m.target, s.width);  // little-endian: low bytes first
        return true;
      }
      // A Move/JumpFalse/Free field holding the default 0 is not stored: rebuild the chain.
      std::vector<InstructionInfo> instrs = map.plans[s.plan].instructions;
      InstructionInfo& in = instrs[s.owner];
      if (s.kind == SiteKind::MoveTo) {
        in.b = static_cast<int32_t>(m.target);
      } else {
        in.a = static_cast<int32_t>(m.target);
      }
      return splice_chain(file, map, s.plan, instrs, out);
    }
    case StructuralMutation::SwapValue: {
      if (m.plan >= map.plans.size() || m.target < 0 ||
          static_cast<size_t>(m.target) >= map.plans[m.plan].values.size()) {
        return false;
      }
      const fb::ExecutionPlan* plan = fb::GetProgram(file.data())->execution_plan()->Get(m.plan);
      flatbuffers::FlatBufferBuilder b;
      flatbuffers::Offset<fb::EValue> ev;
      const uint32_t v = static_cast<uint32_t>(m.target);
      if (!build_swapped(plan, map.plans[m.plan], v, m.swap, b, &ev)) return false;
      *out = splice_builder(file, map, map.plans[m.plan].values[v].slot, b, ev);
      return true;
    }
    case StructuralMutation::InsertMove:
    case StructuralMutation::InsertJumpFalse: {
      if (m.plan >= map.plans.size()) return false;
      std::vector<InstructionInfo> instrs = map.plans[m.plan].instructions;
      if (m.pc > instrs.size()) return false;
      for (InstructionInfo& in : instrs) {  // jumps keep their targets
        if (in.kind == static_cast<uint8_t>(fb::InstructionArguments::JumpFalseCall) &&
            in.b >= static_cast<int32_t>(m.pc)) {
          ++in.b;
        }
      }
      InstructionInfo added;
      added.kind = static_cast<uint8_t>(m.op == StructuralMutation::InsertMove
                                            ? fb::InstructionArguments::MoveCall
                                            : fb::InstructionArguments::JumpFalseCall);
      added.a = static_cast<int32_t>(m.target);
      added.b = m.to;
      instrs.insert(instrs.begin() + m.pc, added);
      return splice_chain(file, map, m.plan, instrs, out);
    }
  }
  return false;
}

}  // namespace fuzz
}  // namespace ember
