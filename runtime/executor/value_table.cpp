// The value table: every EValue of a plan, checked and placed in memory.
#include "runtime/executor/value_table.h"

#include <cstring>
#include <new>

#include "runtime/executor/delegate.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/executor/write_check.h"
#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {
namespace {

/// Everything tensor placement needs, gathered once per method.
struct Context {
  const Program& program;
  const fb::ExecutionPlan* plan;
  MemoryManager* memory;
  MemoryAllocator* alloc;
};

/// Where a planned tensor's bytes go: planned_buffers[memory_id - 1] + offset,
/// the whole [offset, offset + nbytes) inside the plan's size for that buffer.
Result<uint8_t*> planned_address(const Context& c, size_t value_index,
                                 const fb::AllocationDetails* ai, size_t nbytes) {
  const auto* sizes = c.plan->non_const_buffer_sizes();
  const uint32_t id = ai->memory_id();
  EMBER_CHECK(id >= 1 && sizes != nullptr && id < sizes->size() &&
                  id - 1 < c.memory->planned_buffers.size(),
              Error::InvalidProgram, "value %zu: memory_id %u names no planned buffer",
              value_index, id);
  const uint64_t offset =
      (static_cast<uint64_t>(ai->memory_offset_high()) << 32) | ai->memory_offset_low();
  // The buffer span was checked to be at least the plan's size.
  const uint64_t limit = static_cast<uint64_t>(sizes->Get(id));
  EMBER_CHECK(offset <= limit && nbytes <= limit - offset, Error::InvalidProgram,
              "value %zu: %zu bytes at offset %llu overflow planned buffer %u (%llu bytes)",
              value_index, nbytes, static_cast<unsigned long long>(offset), id,
              static_cast<unsigned long long>(limit));
  return c.memory->planned_buffers[id - 1].data() + offset;
}

/// Build the Tensor of value `index` and its shape arrays in the method allocator.
Result<Tensor*> make_tensor(const Context& c, size_t index, const fb::Tensor* t) {
  const int8_t raw_dtype = static_cast<int8_t>(t->scalar_type());
  EMBER_CHECK(is_valid_scalar_type(raw_dtype), Error::NotSupported,
              "value %zu has unsupported dtype %d", index, static_cast<int>(raw_dtype));
  const ScalarType dtype = static_cast<ScalarType>(raw_dtype);
  const uint8_t dyn = static_cast<uint8_t>(t->shape_dynamism());
  EMBER_CHECK(dyn <= static_cast<uint8_t>(ShapeDynamism::DynamicUnbound), Error::InvalidProgram,
              "value %zu has unknown shape dynamism %u", index, static_cast<unsigned>(dyn));
  EMBER_CHECK(t->storage_offset() == 0, Error::NotSupported,
              "value %zu has storage_offset %d (only 0 is supported)", index,
              static_cast<int>(t->storage_offset()));
  Span<const int32_t> sizes;
  Span<const uint8_t> dim_order;
  if (t->sizes() != nullptr) sizes = {t->sizes()->data(), t->sizes()->size()};
  if (t->dim_order() != nullptr) dim_order = {t->dim_order()->data(), t->dim_order()->size()};
  size_t nbytes = 0;
  const Error shape_err = check_tensor_shape(dtype, sizes, dim_order, &nbytes);
  EMBER_CHECK(shape_err == Error::Ok, shape_err, "value %zu has an invalid shape", index);
  const fb::ExtraTensorInfo* extra = t->extra_tensor_info();
  EMBER_CHECK(extra == nullptr || extra->location() != fb::TensorDataLocation::EXTERNAL,
              Error::NotSupported, "value %zu: external tensor data is not supported", index);

  // 1. Storage by (data_buffer_idx, allocation_info).
  void* data = nullptr;
  const fb::AllocationDetails* ai = t->allocation_info();
  const uint32_t buffer_idx = t->data_buffer_idx();
  if (ai != nullptr) {
    Result<uint8_t*> addr = planned_address(c, index, ai, nbytes);
    if (!addr.ok()) return addr.error();
    data = *addr;
    if (buffer_idx > 0) {  // planned with an initial value (mutable buffer)
      const size_t seg = extra != nullptr ? static_cast<size_t>(extra->mutable_data_segments_idx()) : 0;
      Result<const void*> init = c.program.mutable_data(seg, buffer_idx, nbytes);
      EMBER_CHECK(init.ok(), init.error(), "value %zu: initial value not found", index);
      if (nbytes > 0) std::memcpy(data, *init, nbytes);
    } else if (extra != nullptr && extra->fully_qualified_name() != nullptr && nbytes > 0 &&
               !c.memory->planned_memory_zeroed) {
      // A named mutable buffer without data (ExecuTorch's default; Ember's
      // all-zero ones, a KV cache's): it starts at zero.
      std::memset(data, 0, nbytes);
    }
  } else if (buffer_idx > 0) {  // constant
    Result<const void*> cdata = c.program.constant_data(buffer_idx, nbytes);
    EMBER_CHECK(cdata.ok(), cdata.error(), "value %zu: constant data not found", index);
    // Kernels never write to constants; the Tensor type is shared with outputs.
    data = const_cast<void*>(*cdata);
  }

  // Kernels read elements in place: a misaligned pointer would be undefined behaviour.
  EMBER_CHECK(reinterpret_cast<uintptr_t>(data) % element_size(dtype) == 0, Error::InvalidProgram,
              "value %zu: data at %p is not aligned to its %zu-byte elements", index, data,
              element_size(dtype));

  // 2. The Tensor and its shape arrays.
  const size_t dim = sizes.size();
  int32_t* own_sizes = c.alloc->allocate_array<int32_t>(dim);
  uint8_t* own_order = c.alloc->allocate_array<uint8_t>(dim);
  int32_t* strides = c.alloc->allocate_array<int32_t>(dim);
  void* slot = c.alloc->allocate(sizeof(Tensor), alignof(Tensor));
  EMBER_CHECK(own_sizes != nullptr && own_order != nullptr && strides != nullptr &&
                  slot != nullptr,
              Error::MemoryAllocationFailed, "method allocator exhausted at value %zu", index);
  for (size_t i = 0; i < dim; ++i) {
    own_sizes[i] = sizes[i];
    own_order[i] = dim_order[i];
  }
  return new (slot) Tensor(dtype, static_cast<int32_t>(dim), own_sizes, own_order, strides, data,
                           static_cast<ShapeDynamism>(dyn));
}

/// Check a list item index and return the value it names.
Result<EValue*> list_item(EValue* values, size_t n, size_t list_index, int64_t item) {
  EMBER_CHECK(item >= 0 && static_cast<uint64_t>(item) < n, Error::InvalidProgram,
              "value %zu: list item %lld out of range (%zu values)", list_index,
              static_cast<long long>(item), n);
  return &values[item];
}

/// Pass 1: every value that does not refer to other values.
Error parse_scalar_or_tensor(const Context& c, size_t i, const fb::EValue* ev, EValue* out) {
  const uint8_t raw = static_cast<uint8_t>(ev->val_type());
  EMBER_CHECK(raw <= static_cast<uint8_t>(Tag::OptionalTensorList), Error::InvalidProgram,
              "value %zu has unknown type %u", i, static_cast<unsigned>(raw));
  out->tag = static_cast<Tag>(raw);
  // The verifier accepts a union whose table offset is absent: check it here.
  EMBER_CHECK(raw <= static_cast<uint8_t>(Tag::Null) || ev->val() != nullptr,
              Error::InvalidProgram, "value %zu has type %u but no payload", i,
              static_cast<unsigned>(raw));
  switch (out->tag) {
    case Tag::None:
    case Tag::Null:
      break;
    case Tag::Int:
      out->payload.as_int = ev->val_as_Int()->int_val();
      break;
    case Tag::Bool:
      out->payload.as_bool = ev->val_as_Bool()->bool_val();
      break;
    case Tag::Double:
      out->payload.as_double = ev->val_as_Double()->double_val();
      break;
    case Tag::String: {
      const flatbuffers::String* s = ev->val_as_String()->string_val();
      out->payload.as_string.data = s != nullptr ? s->c_str() : "";
      out->payload.as_string.size = s != nullptr ? s->size() : 0;
      break;
    }
    case Tag::Tensor: {
      Result<Tensor*> t = make_tensor(c, i, ev->val_as_Tensor());
      if (!t.ok()) return t.error();
      out->payload.as_tensor = *t;
      break;
    }
    default:
      break;  // lists: pass 2
  }
  return Error::Ok;
}

/// Pass 2: lists, whose items are checked against the kinds found in pass 1.
Error parse_list(const Context& c, EValue* values, size_t n, size_t i, const fb::EValue* ev) {
  EValue* out = &values[i];
  switch (out->tag) {
    case Tag::IntList: {
      const auto* items = ev->val_as_IntList()->items();
      const size_t count = items != nullptr ? items->size() : 0;
      EValue** boxed = c.alloc->allocate_array<EValue*>(count);
      int64_t* unboxed = c.alloc->allocate_array<int64_t>(count);
      EMBER_CHECK(boxed != nullptr && unboxed != nullptr, Error::MemoryAllocationFailed,
                  "method allocator exhausted at value %zu", i);
      for (size_t k = 0; k < count; ++k) {
        Result<EValue*> item = list_item(values, n, i, items->Get(static_cast<uint32_t>(k)));
        if (!item.ok()) return item.error();
        EMBER_CHECK((*item)->tag == Tag::Int, Error::InvalidProgram,
                    "value %zu: IntList item %zu is not an Int", i, k);
        boxed[k] = *item;
        unboxed[k] = (*item)->payload.as_int;
      }
      out->payload.as_int_list = {boxed, unboxed, count};
      break;
    }
    case Tag::DoubleList: {
      const auto* items = ev->val_as_DoubleList()->items();
      out->payload.as_double_list = {items != nullptr ? items->data() : nullptr,
                                     items != nullptr ? items->size() : 0};
      break;
    }
    case Tag::BoolList: {
      const auto* items = ev->val_as_BoolList()->items();
      out->payload.as_bool_list = {
          items != nullptr ? reinterpret_cast<const uint8_t*>(items->data()) : nullptr,
          items != nullptr ? items->size() : 0};
      break;
    }
    case Tag::TensorList:
    case Tag::OptionalTensorList: {
      const bool optional = out->tag == Tag::OptionalTensorList;
      const auto* items = optional ? ev->val_as_OptionalTensorList()->items()
                                   : ev->val_as_TensorList()->items();
      const size_t count = items != nullptr ? items->size() : 0;
      EValue** ptrs = c.alloc->allocate_array<EValue*>(count);
      EMBER_CHECK(ptrs != nullptr, Error::MemoryAllocationFailed,
                  "method allocator exhausted at value %zu", i);
      for (size_t k = 0; k < count; ++k) {
        const int32_t idx = items->Get(static_cast<uint32_t>(k));
        if (optional && idx == -1) {
          ptrs[k] = nullptr;
          continue;
        }
        Result<EValue*> item = list_item(values, n, i, idx);
        if (!item.ok()) return item.error();
        if (optional && (*item)->is_none()) {
          ptrs[k] = nullptr;
          continue;
        }
        EMBER_CHECK((*item)->tag == Tag::Tensor, Error::InvalidProgram,
                    "value %zu: tensor list item %zu (value %d) is not a tensor", i, k,
                    static_cast<int>(idx));
        ptrs[k] = *item;
      }
      out->payload.as_tensor_list = {ptrs, count};
      break;
    }
    default:
      break;
  }
  return Error::Ok;
}

}  // namespace

Error build_value_table(const Program& program, const fb::ExecutionPlan* plan,
                        MemoryManager* memory, EValue** values_out, size_t* num_values) {
  EMBER_CHECK(memory != nullptr && memory->method_allocator != nullptr, Error::InvalidArgument,
              "a method needs a method allocator");
  Context c{program, plan, memory, memory->method_allocator};

  // 0. The caller's planned buffers must hold what the plan asks for.
  const auto* buffer_sizes = plan->non_const_buffer_sizes();
  const size_t num_planned = buffer_sizes != nullptr && buffer_sizes->size() > 0
                                 ? buffer_sizes->size() - 1 : 0;
  EMBER_CHECK(memory->planned_buffers.size() >= num_planned, Error::InvalidArgument,
              "the method needs %zu planned buffers, %zu were given", num_planned,
              memory->planned_buffers.size());
  for (size_t k = 0; k < num_planned; ++k) {
    const int64_t need = buffer_sizes->Get(static_cast<uint32_t>(k + 1));
    EMBER_CHECK(need >= 0, Error::InvalidProgram, "planned buffer %zu has negative size", k);
    EMBER_CHECK(memory->planned_buffers[k].size() >= static_cast<uint64_t>(need),
                Error::InvalidArgument, "planned buffer %zu has %zu bytes, the plan needs %lld", k,
                memory->planned_buffers[k].size(), static_cast<long long>(need));
  }

  // 1. Scalars and tensors, then 2. lists.
  const auto* fb_values = plan->values();
  const size_t n = fb_values != nullptr ? fb_values->size() : 0;
  EValue* values = c.alloc->allocate_array<EValue>(n);
  EMBER_CHECK(values != nullptr || n == 0, Error::MemoryAllocationFailed,
              "method allocator too small for %zu values", n);
  for (size_t i = 0; i < n; ++i) new (&values[i]) EValue();
  for (size_t i = 0; i < n; ++i) {
    EMBER_TRY(parse_scalar_or_tensor(c, i, fb_values->Get(static_cast<uint32_t>(i)), &values[i]));
  }
  for (size_t i = 0; i < n; ++i) {
    EMBER_TRY(parse_list(c, values, n, i, fb_values->Get(static_cast<uint32_t>(i))));
  }
  *values_out = values;
  *num_values = n;
  return Error::Ok;
}

bool is_constant_tensor(const fb::ExecutionPlan* plan, size_t index) {
  const fb::Tensor* t = plan->values()->Get(static_cast<uint32_t>(index))->val_as_Tensor();
  return t != nullptr && t->allocation_info() == nullptr && t->data_buffer_idx() > 0;
}

size_t method_memory_bound(const fb::ExecutionPlan* plan) {
  // Mirrors every allocation of build_value_table and Method::load; each
  // allocation may waste up to 8 bytes of padding (no alignment above 8).
  constexpr size_t kPad = 8;
  size_t total = 64;
  const auto* values = plan->values();
  const size_t n = values != nullptr ? values->size() : 0;
  total += n * sizeof(EValue) + kPad;
  for (size_t i = 0; i < n; ++i) {
    const fb::EValue* ev = values->Get(static_cast<uint32_t>(i));
    size_t count = 0;
    switch (ev->val_type()) {
      case fb::KernelTypes::Tensor: {
        const fb::Tensor* t = ev->val_as_Tensor();
        const size_t dim = t != nullptr && t->sizes() != nullptr ? t->sizes()->size() : 0;
        total += 2 * (dim * sizeof(int32_t) + kPad) + dim + kPad + sizeof(Tensor) + kPad;
        break;
      }
      case fb::KernelTypes::IntList:
        count = ev->val_as_IntList() != nullptr && ev->val_as_IntList()->items() != nullptr
                    ? ev->val_as_IntList()->items()->size() : 0;
        total += count * (sizeof(EValue*) + sizeof(int64_t)) + 2 * kPad;
        break;
      case fb::KernelTypes::TensorList:
        count = ev->val_as_TensorList() != nullptr && ev->val_as_TensorList()->items() != nullptr
                    ? ev->val_as_TensorList()->items()->size() : 0;
        total += count * sizeof(EValue*) + kPad;
        break;
      case fb::KernelTypes::OptionalTensorList: {
        const auto* l = ev->val_as_OptionalTensorList();
        count = l != nullptr && l->items() != nullptr ? l->items()->size() : 0;
        total += count * sizeof(EValue*) + kPad;
        break;
      }
      default:
        break;
    }
  }
  const size_t n_in = plan->inputs() != nullptr ? plan->inputs()->size() : 0;
  const size_t n_out = plan->outputs() != nullptr ? plan->outputs()->size() : 0;
  total += n_in * sizeof(int32_t) + n_out * sizeof(int32_t) + n_in + 3 * kPad;
  total += write_check_memory_bound(n);
  const auto* chains = plan->chains();
  if (chains != nullptr && chains->size() > 0 && chains->Get(0)->instructions() != nullptr) {
    const auto* instructions = chains->Get(0)->instructions();
    total += instructions->size() * (sizeof(Method::Step) + kPad) + kPad;
    for (uint32_t k = 0; k < instructions->size(); ++k) {
      const fb::Instruction* instr = instructions->Get(k);
      const fb::KernelCall* kc = instr->instr_args_as_KernelCall();
      const fb::DelegateCall* dc = instr->instr_args_as_DelegateCall();
      if (kc != nullptr && kc->args() != nullptr) total += kc->args()->size() * sizeof(EValue*);
      if (dc != nullptr && dc->args() != nullptr) total += dc->args()->size() * sizeof(EValue*);
    }
  }
  // Delegates: their table and each one's compile-spec views (not what a
  // backend's init() itself takes from the allocator).
  const auto* delegates = plan->delegates();
  if (delegates != nullptr && delegates->size() > 0) {
    total += delegates->size() * sizeof(DelegateState) + kPad;
    for (uint32_t k = 0; k < delegates->size(); ++k) {
      const auto* specs = delegates->Get(k)->compile_specs();
      total += (specs != nullptr ? specs->size() : 0) * sizeof(CompileSpec) + kPad;
    }
  }
  return total;
}

}  // namespace ember
