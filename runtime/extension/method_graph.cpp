// method_graph: a method's values and instructions from the verified flatbuffer.
#include "runtime/extension/method_graph.h"

#include "runtime/extension/program_reading.h"
#include "serializer/schema/program_generated.h"

namespace ember {
namespace {

namespace fb = executorch_flatbuffer;

using inspect::string_of;

/// Entry `ev` of the value table. A union member the verifier let through
/// absent (a null table) gives a value of tag None.
GraphValue value_of(const fb::EValue* ev) {
  GraphValue v;
  const auto type = static_cast<uint8_t>(ev->val_type());
  if (type > static_cast<uint8_t>(Tag::OptionalTensorList) || ev->val() == nullptr) return v;
  v.tag = static_cast<Tag>(type);  // Tag's values are the wire's KernelTypes
  switch (v.tag) {
    case Tag::Tensor: {
      const fb::Tensor* t = ev->val_as_Tensor();
      const int8_t raw = static_cast<int8_t>(t->scalar_type());
      v.dtype_valid = is_valid_scalar_type(raw);
      if (v.dtype_valid) v.dtype = static_cast<ScalarType>(raw);
      if (t->sizes() != nullptr) v.sizes.assign(t->sizes()->begin(), t->sizes()->end());
      const auto dyn = static_cast<uint8_t>(t->shape_dynamism());
      v.dynamism = dyn <= static_cast<uint8_t>(ShapeDynamism::DynamicUnbound)
                       ? static_cast<ShapeDynamism>(dyn)
                       : ShapeDynamism::Static;
      inspect::tensor_nbytes(t, &v.nbytes);  // stays 0 for an unknown dtype or bad sizes
      v.data_buffer_idx = t->data_buffer_idx();
      if (const fb::ExtraTensorInfo* extra = t->extra_tensor_info()) {
        v.name = string_of(extra->fully_qualified_name());
      }
      if (const fb::AllocationDetails* a = t->allocation_info()) {
        v.planned = true;
        v.memory_id = a->memory_id();
        v.offset = (uint64_t{a->memory_offset_high()} << 32) | a->memory_offset_low();
      }
      break;
    }
    case Tag::Int: v.int_value = ev->val_as_Int()->int_val(); break;
    case Tag::Double: v.double_value = ev->val_as_Double()->double_val(); break;
    case Tag::Bool: v.bool_value = ev->val_as_Bool()->bool_val(); break;
    case Tag::String: v.string_value = string_of(ev->val_as_String()->string_val()); break;
    case Tag::IntList:
      if (const auto* items = ev->val_as_IntList()->items()) {
        v.items.assign(items->begin(), items->end());
      }
      break;
    case Tag::TensorList:
      if (const auto* items = ev->val_as_TensorList()->items()) {
        v.items.assign(items->begin(), items->end());
      }
      break;
    case Tag::OptionalTensorList:
      if (const auto* items = ev->val_as_OptionalTensorList()->items()) {
        v.items.assign(items->begin(), items->end());
      }
      break;
    default: break;
  }
  return v;
}

/// Instruction `ins` without its checks: kind, target and arguments as stored.
/// False when its arguments table is absent.
bool instruction_of(const fb::Instruction* ins, GraphInstruction* gi) {
  using Kind = GraphInstruction::Kind;
  switch (ins->instr_args_type()) {
    case fb::InstructionArguments::KernelCall: {
      const fb::KernelCall* call = ins->instr_args_as_KernelCall();
      if (call == nullptr) return false;
      gi->kind = Kind::Kernel;
      gi->target = call->op_index();
      if (call->args() != nullptr) gi->args.assign(call->args()->begin(), call->args()->end());
      return true;
    }
    case fb::InstructionArguments::DelegateCall: {
      const fb::DelegateCall* call = ins->instr_args_as_DelegateCall();
      if (call == nullptr) return false;
      gi->kind = Kind::Delegate;
      gi->target = call->delegate_index();
      if (call->args() != nullptr) gi->args.assign(call->args()->begin(), call->args()->end());
      return true;
    }
    case fb::InstructionArguments::MoveCall: {
      const fb::MoveCall* call = ins->instr_args_as_MoveCall();
      if (call == nullptr) return false;
      gi->kind = Kind::Move;
      gi->args = {call->move_from(), call->move_to()};
      return true;
    }
    case fb::InstructionArguments::JumpFalseCall: {
      const fb::JumpFalseCall* call = ins->instr_args_as_JumpFalseCall();
      if (call == nullptr) return false;
      gi->kind = Kind::JumpFalse;
      gi->target = call->destination_instruction();
      gi->args = {call->cond_value_index()};
      return true;
    }
    case fb::InstructionArguments::FreeCall: {
      const fb::FreeCall* call = ins->instr_args_as_FreeCall();
      if (call == nullptr) return false;
      gi->kind = Kind::Free;
      gi->args = {call->value_index()};
      return true;
    }
    default: return false;
  }
}

}  // namespace

Status method_graph(const Program& program, const std::string& name, MethodGraph* out) {
  const fb::Program* fbp = program.flatbuffer();
  const auto* plans = fbp->execution_plan();
  const fb::ExecutionPlan* plan = nullptr;
  for (uint32_t p = 0; plans != nullptr && p < plans->size() && plan == nullptr; ++p) {
    if (string_of(plans->Get(p)->name()) == name) plan = plans->Get(p);
  }
  if (plan == nullptr) return {Error::NotFound, "no method '" + name + "' in the program"};
  const std::string where = "method '" + name + "'";
  auto bad = [&where](const std::string& what) {
    return Status{Error::InvalidProgram, where + ": " + what};
  };

  // 1. Tables the instructions index into.
  MethodGraph g;
  g.name = name;
  if (plan->operators() != nullptr) {
    for (const fb::Operator* op : *plan->operators()) {
      std::string full = string_of(op->name());
      const std::string overload = string_of(op->overload());
      if (!overload.empty()) full += "." + overload;
      g.operators.push_back(std::move(full));
    }
  }
  if (plan->delegates() != nullptr) {
    for (const fb::BackendDelegate* d : *plan->delegates()) {
      g.delegates.push_back(string_of(d->id()));
    }
  }
  if (plan->non_const_buffer_sizes() != nullptr) {
    const auto* sizes = plan->non_const_buffer_sizes();
    for (uint32_t i = 1; i < sizes->size(); ++i) g.planned_buffer_sizes.push_back(sizes->Get(i));
  }
  if (plan->values() != nullptr) {
    for (const fb::EValue* ev : *plan->values()) g.values.push_back(value_of(ev));
  }
  const size_t num_values = g.values.size();
  auto value_ok = [num_values](int64_t i) {
    return i >= 0 && static_cast<uint64_t>(i) < num_values;
  };

  // 2. Lists refer to other values: check them once here.
  for (size_t i = 0; i < num_values; ++i) {
    const GraphValue& v = g.values[i];
    if (v.tag != Tag::IntList && v.tag != Tag::TensorList && v.tag != Tag::OptionalTensorList) {
      continue;
    }
    for (int64_t item : v.items) {
      if (value_ok(item) || (v.tag == Tag::OptionalTensorList && item == -1)) continue;
      return bad("value " + std::to_string(i) + " lists value " + std::to_string(item) +
                 ", out of range (" + std::to_string(num_values) + " values)");
    }
  }
  auto value_list = [&](const flatbuffers::Vector<int32_t>* list, const char* what,
                        std::vector<int32_t>* into) {
    for (uint32_t i = 0; list != nullptr && i < list->size(); ++i) {
      if (!value_ok(list->Get(i))) {
        return bad(std::string(what) + " " + std::to_string(i) + " is value " +
                   std::to_string(list->Get(i)) + ", out of range (" +
                   std::to_string(num_values) + " values)");
      }
      into->push_back(list->Get(i));
    }
    return Status();
  };
  Status st = value_list(plan->inputs(), "input", &g.inputs);
  if (st.ok()) st = value_list(plan->outputs(), "output", &g.outputs);
  if (!st.ok()) return st;

  // 3. Instructions, chain by chain, each index checked.
  const auto* chains = plan->chains();
  for (uint32_t c = 0; chains != nullptr && c < chains->size(); ++c) {
    const auto* instructions = chains->Get(c)->instructions();
    const uint32_t count = instructions != nullptr ? instructions->size() : 0;
    for (uint32_t k = 0; k < count; ++k) {
      GraphInstruction gi;
      gi.chain = c;
      gi.index = k;
      const std::string at = "instruction " + std::to_string(k) +
                             (chains->size() > 1 ? " of chain " + std::to_string(c) : "");
      if (!instruction_of(instructions->Get(k), &gi)) {
        return bad(at + " has no instruction arguments");
      }
      size_t targets = 0;
      const char* target_what = nullptr;
      switch (gi.kind) {
        case GraphInstruction::Kind::Kernel:
          targets = g.operators.size();
          target_what = "operator";
          break;
        case GraphInstruction::Kind::Delegate:
          targets = g.delegates.size();
          target_what = "delegate";
          break;
        case GraphInstruction::Kind::JumpFalse:
          targets = count;
          target_what = "destination instruction";
          break;
        default: break;
      }
      if (target_what != nullptr && (gi.target < 0 || static_cast<size_t>(gi.target) >= targets)) {
        return bad(at + ": " + target_what + " " + std::to_string(gi.target) +
                   " out of range (" + std::to_string(targets) + ")");
      }
      for (size_t a = 0; a < gi.args.size(); ++a) {
        if (!value_ok(gi.args[a])) {
          return bad(at + ": argument " + std::to_string(a) + " is value " +
                     std::to_string(gi.args[a]) + ", out of range (" +
                     std::to_string(num_values) + " values)");
        }
      }
      g.instructions.push_back(std::move(gi));
    }
  }
  if (out != nullptr) *out = std::move(g);
  return Status();
}

}  // namespace ember
