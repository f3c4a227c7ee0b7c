// Poison mode (MemoryManager::poison_dead_memory): at load, the planned
// bytes each instruction leaves dead; after it runs, fill them with 0xFF so
// that a memory plan that overlaps live tensors shows up as wrong values.
#include <cstring>

#include "runtime/executor/method.h"
#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {

Error Method::plan_poison(MemoryAllocator* alloc) {
  const size_t n = num_values_;
  for (size_t pc = 0; pc < num_steps_; ++pc) {
    if (steps_[pc].kind == Step::Move || steps_[pc].kind == Step::JumpFalse) {
      EMBER_LOG(Info, "poison mode is off for this method: it has moves or jumps, so a "
                      "tensor's last use is not its last instruction");
      return Error::Ok;
    }
  }
  int32_t* last = alloc->allocate_array<int32_t>(n);
  int32_t* group = alloc->allocate_array<int32_t>(n);
  uint32_t* start = alloc->allocate_array<uint32_t>(num_steps_ + 1);
  EMBER_CHECK((last != nullptr && group != nullptr && start != nullptr) || n == 0,
              Error::MemoryAllocationFailed, "method allocator exhausted (poison mode)");
  auto root = [&](int32_t v) {
    while (group[v] != v) v = group[v] = group[group[v]];
    return v;
  };
  for (size_t v = 0; v < n; ++v) {
    last[v] = -1;
    group[v] = static_cast<int32_t>(v);
  }
  // 1. Last use of every value; an et_view's out shares its input's storage.
  for (size_t pc = 0; pc < num_steps_; ++pc) {
    const Step& s = steps_[pc];
    for (uint32_t k = 0; k < s.num_args; ++k) {
      const EValue* arg = s.args[k];
      last[arg - values_] = static_cast<int32_t>(pc);
      if (arg->tag == Tag::TensorList || arg->tag == Tag::OptionalTensorList) {
        const auto& l = arg->payload.as_tensor_list;
        for (size_t i = 0; i < l.size; ++i)
          if (l.items[i] != nullptr) last[l.items[i] - values_] = static_cast<int32_t>(pc);
      }
    }
    if (s.kind != Step::Kernel || s.num_args != 3) continue;
    Result<OperatorName> op = MethodMeta(plan_).operator_name(static_cast<size_t>(s.a));
    if (op.ok() && std::strcmp(op->name, "executorch_prim::et_view") == 0) {
      group[root(static_cast<int32_t>(s.args[2] - values_))] =
          root(static_cast<int32_t>(s.args[0] - values_));
    }
  }
  // 2. Storage that is never poisoned: inputs, outputs, state (planned with
  //    an initial value), constants and unplanned tensors, with their views.
  const auto* fb_values = plan_->values();
  bool* keep = alloc->allocate_array<bool>(n);
  EMBER_CHECK(keep != nullptr || n == 0, Error::MemoryAllocationFailed,
              "method allocator exhausted (poison mode)");
  for (size_t v = 0; v < n; ++v) keep[v] = false;
  auto planned_scratch = [&](size_t v) {
    const fb::Tensor* t = fb_values->Get(static_cast<uint32_t>(v))->val_as_Tensor();
    return t != nullptr && t->allocation_info() != nullptr && t->data_buffer_idx() == 0;
  };
  for (size_t v = 0; v < n; ++v) {
    if (values_[v].is_tensor() && !planned_scratch(v)) keep[root(static_cast<int32_t>(v))] = true;
  }
  for (size_t i = 0; i < num_inputs_; ++i) keep[root(inputs_[i])] = true;
  for (size_t i = 0; i < num_outputs_; ++i) keep[root(outputs_[i])] = true;
  for (size_t v = 0; v < n; ++v) {
    const int32_t r = root(static_cast<int32_t>(v));
    if (last[v] > last[r]) last[r] = last[v];
  }
  // 3. The regions to fill after each step, grouped by step.
  auto dies_at = [&](size_t v) -> int32_t {
    if (!values_[v].is_tensor() || values_[v].to_tensor().nbytes() == 0) return -1;
    const int32_t r = root(static_cast<int32_t>(v));
    return keep[r] ? -1 : last[r];
  };
  for (size_t pc = 0; pc <= num_steps_; ++pc) start[pc] = 0;
  for (size_t v = 0; v < n; ++v) {
    const int32_t pc = dies_at(v);
    if (pc >= 0) ++start[pc + 1];
  }
  for (size_t pc = 0; pc < num_steps_; ++pc) start[pc + 1] += start[pc];
  PoisonRegion* regions = alloc->allocate_array<PoisonRegion>(start[num_steps_]);
  uint32_t* fill = alloc->allocate_array<uint32_t>(num_steps_);
  EMBER_CHECK((regions != nullptr && fill != nullptr) || start[num_steps_] == 0 || num_steps_ == 0,
              Error::MemoryAllocationFailed, "method allocator exhausted (poison mode)");
  for (size_t pc = 0; pc < num_steps_; ++pc) fill[pc] = start[pc];
  for (size_t v = 0; v < n; ++v) {
    const int32_t pc = dies_at(v);
    if (pc < 0) continue;
    const Tensor& t = values_[v].to_tensor();  // sizes at load: the planned capacity
    regions[fill[pc]++] = {static_cast<uint8_t*>(t.mutable_data()), t.nbytes()};
  }
  poison_regions_ = regions;
  poison_start_ = start;
  return Error::Ok;
}

void Method::poison_after(size_t pc) const {
  if (poison_start_ == nullptr) return;
  for (uint32_t r = poison_start_[pc]; r < poison_start_[pc + 1]; ++r) {
    std::memset(poison_regions_[r].data, 0xFF, poison_regions_[r].nbytes);
  }
}

}  // namespace ember
