// Method: load (value table, inputs/outputs, kernel resolution), inputs and
// the execute loop. execute() touches only memory set up at load.
#include "runtime/executor/method.h"

#include <cstdio>
#include <cstring>
#include <new>

#include "runtime/core/threadpool.h"
#include "runtime/executor/delegate.h"
#include "runtime/executor/program.h"
#include "runtime/executor/value_table.h"
#include "runtime/executor/write_check.h"
#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {
namespace {

constexpr size_t kMaxOpNameLength = 255;

/// Copy a plan's list of input or output value indices, each checked.
Error copy_indices(const flatbuffers::Vector<int32_t>* src, size_t num_values,
                   MemoryAllocator* alloc, const char* what, int32_t** out, size_t* count) {
  const size_t n = src != nullptr ? src->size() : 0;
  int32_t* dst = alloc->allocate_array<int32_t>(n);
  EMBER_CHECK(dst != nullptr || n == 0, Error::MemoryAllocationFailed,
              "method allocator exhausted copying %s", what);
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = src->Get(static_cast<uint32_t>(i));
    EMBER_CHECK(v >= 0 && static_cast<size_t>(v) < num_values, Error::InvalidProgram,
                "%s %zu names value %d, out of range (%zu values)", what, i, static_cast<int>(v),
                num_values);
    dst[i] = v;
  }
  *out = dst;
  *count = n;
  return Error::Ok;
}

/// "name.overload" (or just "name" for the default overload) into `buf`.
bool format_op_name(const fb::Operator* op, char* buf, size_t cap) {
  const char* name = op->name() != nullptr ? op->name()->c_str() : "";
  const char* overload = op->overload() != nullptr ? op->overload()->c_str() : "";
  const size_t n = std::strlen(name);
  const size_t o = std::strlen(overload);
  if (n == 0 || n + 1 + o + 1 > cap) return false;
  std::memcpy(buf, name, n);
  size_t pos = n;
  if (o > 0) {
    buf[pos++] = '.';
    std::memcpy(buf + pos, overload, o);
    pos += o;
  }
  buf[pos] = '\0';
  return true;
}

bool index_ok(int32_t v, size_t n) { return v >= 0 && static_cast<size_t>(v) < n; }

/// Point step->args at the values named by `args`, each index checked.
Error resolve_args(const flatbuffers::Vector<int32_t>* args, EValue* values, size_t num_values,
                   size_t pc, MemoryAllocator* alloc, Method::Step* step) {
  const size_t n = args != nullptr ? args->size() : 0;
  step->num_args = static_cast<uint32_t>(n);
  step->args = alloc->allocate_array<EValue*>(n);
  EMBER_CHECK(step->args != nullptr || n == 0, Error::MemoryAllocationFailed,
              "method allocator exhausted at instruction %zu", pc);
  for (size_t k = 0; k < n; ++k) {
    const int32_t v = args->Get(static_cast<uint32_t>(k));
    EMBER_CHECK(index_ok(v, num_values), Error::InvalidProgram,
                "instruction %zu: argument %zu names value %d, out of range (%zu values)", pc, k,
                static_cast<int>(v), num_values);
    step->args[k] = &values[v];
  }
  return Error::Ok;
}

}  // namespace

Method::Method(Method&& other) noexcept { *this = static_cast<Method&&>(other); }

Method& Method::operator=(Method&& other) noexcept {
  if (this == &other) return *this;
  release_kernels();
  destroy_delegates();
  program_ = other.program_;
  plan_ = other.plan_;
  values_ = other.values_;
  num_values_ = other.num_values_;
  inputs_ = other.inputs_;
  input_planned_ = other.input_planned_;
  num_inputs_ = other.num_inputs_;
  outputs_ = other.outputs_;
  num_outputs_ = other.num_outputs_;
  steps_ = other.steps_;
  num_steps_ = other.num_steps_;
  delegates_ = other.delegates_;
  num_delegates_ = other.num_delegates_;
  temp_allocator_ = other.temp_allocator_;
  step_limit_ = other.step_limit_;
  event_tracer_ = other.event_tracer_;
  poison_regions_ = other.poison_regions_;
  poison_start_ = other.poison_start_;
  other.delegates_ = nullptr;  // the moved-from method no longer owns them
  other.num_delegates_ = 0;
  other.steps_ = nullptr;  // nor the kernels' prepared states
  other.num_steps_ = 0;
  return *this;
}

Method::~Method() {
  release_kernels();
  destroy_delegates();
}

void Method::release_kernels() {
  for (size_t pc = 0; pc < num_steps_; ++pc) {
    Step& s = steps_[pc];
    if (s.state != nullptr && s.kernel != nullptr && s.kernel->release != nullptr) {
      s.kernel->release(s.state);
    }
    s.state = nullptr;
  }
}

namespace {
constexpr uint32_t kMaxPreparedArgs = 32;  // Method::Step::packed's bits
}  // namespace

void Method::prepare_kernels() {
  const auto* instructions = num_steps_ > 0 ? plan_->chains()->Get(0)->instructions() : nullptr;
  for (size_t pc = 0; pc < num_steps_; ++pc) {
    Step& s = steps_[pc];
    if (s.kind != Step::Kernel || s.kernel == nullptr || s.kernel->prepare == nullptr) continue;
    if (s.num_args > kMaxPreparedArgs) continue;  // runs unprepared
    // Which arguments are tensors in the constant data (never written: checked above).
    const auto* args = instructions->Get(static_cast<uint32_t>(pc))->instr_args_as_KernelCall()->args();
    bool constant[kMaxPreparedArgs] = {};
    bool packed[kMaxPreparedArgs] = {};
    for (uint32_t k = 0; k < s.num_args; ++k) {
      constant[k] = is_constant_tensor(plan_, static_cast<size_t>(args->Get(k)));
    }
    s.state = s.kernel->prepare(Span<EValue* const>(s.args, s.num_args),
                                Span<const bool>(constant, s.num_args),
                                Span<bool>(packed, s.num_args));
    for (uint32_t k = 0; k < s.num_args; ++k) {
      if (s.state != nullptr && packed[k] && constant[k]) s.packed |= uint32_t{1} << k;
    }
    // A constant no other instruction reads goes at once, so that the file
    // is never all resident beside what was packed from it.
    release_if_packed_everywhere(s);
  }
  // A constant several instructions read goes once the last of them packed it.
  for (size_t pc = 0; pc < num_steps_; ++pc) release_if_packed_everywhere(steps_[pc]);
}

void Method::release_if_packed_everywhere(const Step& s) {
  for (uint32_t k = 0; s.packed != 0 && k < s.num_args; ++k) {
    if ((s.packed >> k & 1) == 0) continue;
    const Tensor& t = s.args[k]->to_tensor();
    const void* data = t.data();
    if (!only_packed_reads(data)) continue;
    program_->release_data(Span<const uint8_t>(static_cast<const uint8_t*>(data), t.nbytes()));
    // Released: no instruction's packed bit for these bytes is left to decide.
    for (size_t pc = 0; pc < num_steps_; ++pc) {
      Step& other = steps_[pc];
      for (uint32_t j = 0; other.packed != 0 && j < other.num_args; ++j) {
        if (other.args[j]->is_tensor() && other.args[j]->to_tensor().data() == data) {
          other.packed &= ~(uint32_t{1} << j);
        }
      }
    }
  }
}

bool Method::only_packed_reads(const void* data) const {
  auto is_it = [&](const EValue* v) { return v->is_tensor() && v->to_tensor().data() == data; };
  for (size_t pc = 0; pc < num_steps_; ++pc) {
    const Step& s = steps_[pc];
    if (s.kind == Step::Move && is_it(&values_[s.a])) return false;
    if (s.kind != Step::Kernel && s.kind != Step::Delegate) continue;
    for (uint32_t j = 0; j < s.num_args; ++j) {
      const bool packed = j < kMaxPreparedArgs && (s.packed >> j & 1) != 0;
      if (!packed && is_it(s.args[j])) return false;
    }
  }
  for (size_t i = 0; i < num_outputs_; ++i) {
    if (is_it(&values_[outputs_[i]])) return false;
  }
  return true;
}

void Method::destroy_delegates() {
  for (size_t i = num_delegates_; i > 0; --i) {  // reverse order of init
    DelegateState& d = delegates_[i - 1];
    d.backend->destroy(d.handle);
  }
  delegates_ = nullptr;
  num_delegates_ = 0;
}

size_t Method::temp_bytes_requested() const {
  size_t most = 0;
  for (size_t i = 0; i < num_delegates_; ++i) {
    if (delegates_[i].temp_bytes > most) most = delegates_[i].temp_bytes;
  }
  return most;
}

Error Method::init_delegates(MemoryAllocator* alloc, size_t temp_capacity) {
  const auto* delegates = plan_->delegates();
  const size_t n = delegates != nullptr ? delegates->size() : 0;
  if (n == 0) return Error::Ok;
  delegates_ = alloc->allocate_array<DelegateState>(n);
  EMBER_CHECK(delegates_ != nullptr, Error::MemoryAllocationFailed,
              "method allocator too small for %zu delegates", n);
  const char* method_name = plan_->name() != nullptr ? plan_->name()->c_str() : "";
  for (size_t i = 0; i < n; ++i) {
    DelegateState* d = new (&delegates_[i]) DelegateState();
    EMBER_TRY(init_delegate(*program_, method_name, delegates->Get(static_cast<uint32_t>(i)), i,
                            alloc, temp_capacity, d));
    ++num_delegates_;  // from now on ~Method destroys it
  }
  return Error::Ok;
}

Result<Method> Method::load(const Program* program, const fb::ExecutionPlan* plan,
                            MemoryManager* memory) {
  EMBER_CHECK(program != nullptr && plan != nullptr, Error::InvalidArgument,
              "load needs a program and a plan");
  EMBER_CHECK(memory != nullptr && memory->method_allocator != nullptr, Error::InvalidArgument,
              "load needs a memory manager with a method allocator");
  Method m;
  m.program_ = program;
  m.plan_ = plan;
  m.temp_allocator_ = memory->temp_allocator;
  const Error err = m.load_parts(memory);
  if (err == Error::MemoryAllocationFailed) {
    const MemoryAllocator& a = *memory->method_allocator;
    EMBER_LOG(Error, "the method allocator could not give %zu bytes: %zu of its %zu bytes are used "
              "(MethodMeta::method_memory_bound() is what a method needs)",
              a.last_failed_bytes(), a.used(), a.capacity());
  }
  if (err != Error::Ok) return err;
  return m;
}

Error Method::load_parts(MemoryManager* memory) {
  MemoryAllocator* alloc = memory->method_allocator;

  // 1. Values, inputs, outputs.
  EMBER_TRY(build_value_table(*program_, plan_, memory, &values_, &num_values_));
  EMBER_TRY(copy_indices(plan_->inputs(), num_values_, alloc, "input", &inputs_, &num_inputs_));
  EMBER_TRY(copy_indices(plan_->outputs(), num_values_, alloc, "output", &outputs_, &num_outputs_));
  input_planned_ = alloc->allocate_array<uint8_t>(num_inputs_);
  EMBER_CHECK(input_planned_ != nullptr || num_inputs_ == 0, Error::MemoryAllocationFailed,
              "method allocator exhausted");
  for (size_t i = 0; i < num_inputs_; ++i) {
    const EValue& v = values_[inputs_[i]];
    input_planned_[i] = v.is_tensor() && v.to_tensor().data() != nullptr;
  }

  // 2. A tensor without storage must be an input or output the caller binds.
  for (size_t i = 0; i < num_values_; ++i) {
    const EValue& v = values_[i];
    if (!v.is_tensor() || v.to_tensor().data() != nullptr || v.to_tensor().nbytes() == 0) continue;
    bool io = false;
    for (size_t k = 0; k < num_inputs_ && !io; ++k) io = inputs_[k] == static_cast<int32_t>(i);
    for (size_t k = 0; k < num_outputs_ && !io; ++k) io = outputs_[k] == static_cast<int32_t>(i);
    EMBER_CHECK(io, Error::InvalidProgram,
                "value %zu is a tensor with no storage that is neither an input nor an output", i);
  }

  // 3. Delegates, each backend's init called once; 4. instructions, each
  // kernel resolved once. On failure ~Method destroys the delegates it holds.
  size_t temp_capacity = temp_allocator_ != nullptr ? temp_allocator_->capacity() : 0;
  if (memory->temp_sized_after_load) temp_capacity = SIZE_MAX;
  EMBER_TRY(init_delegates(alloc, temp_capacity));
  EMBER_TRY(resolve_instructions(alloc));
  // 5. No instruction, delegate or input can write into read-only memory.
  const WriteCheckInput writes{plan_,       values_,   num_values_, inputs_, input_planned_,
                               num_inputs_, steps_, num_steps_,  delegates_};
  EMBER_TRY(check_write_targets(writes, alloc));
  // 6. Kernels' load-time work (packing constant weights), on checked input.
  prepare_kernels();
  if (memory->poison_dead_memory) EMBER_TRY(plan_poison(alloc));
  return Error::Ok;
}

Error Method::resolve_instructions(MemoryAllocator* alloc) {
  const auto* chains = plan_->chains();
  if (chains == nullptr || chains->size() == 0) return Error::Ok;  // nothing to run
  EMBER_CHECK(chains->size() == 1, Error::NotSupported,
              "method has %u chains; only single-chain methods are supported", chains->size());
  const auto* instructions = chains->Get(0)->instructions();
  const size_t n = instructions != nullptr ? instructions->size() : 0;
  steps_ = alloc->allocate_array<Step>(n);
  EMBER_CHECK(steps_ != nullptr || n == 0, Error::MemoryAllocationFailed,
              "method allocator too small for %zu instructions", n);
  num_steps_ = n;
  const auto* operators = plan_->operators();
  const size_t num_ops = operators != nullptr ? operators->size() : 0;
  Error missing = Error::Ok;

  for (size_t pc = 0; pc < n; ++pc) {
    Step& s = *new (&steps_[pc]) Step();
    const fb::Instruction* instr = instructions->Get(static_cast<uint32_t>(pc));
    switch (instr->instr_args_type()) {
      case fb::InstructionArguments::KernelCall: {
        const fb::KernelCall* kc = instr->instr_args_as_KernelCall();
        EMBER_CHECK(kc != nullptr, Error::InvalidProgram, "instruction %zu: empty KernelCall", pc);
        EMBER_CHECK(index_ok(kc->op_index(), num_ops), Error::InvalidProgram,
                    "instruction %zu: operator index %d out of range (%zu operators)", pc,
                    static_cast<int>(kc->op_index()), num_ops);
        s.kind = Step::Kernel;
        s.a = kc->op_index();
        EMBER_TRY(resolve_args(kc->args(), values_, num_values_, pc, alloc, &s));
        ScalarType dtypes[KernelKey::kMaxTensors];
        size_t num_tensors = 0;
        for (size_t k = 0; k < s.num_args; ++k) {
          if (!s.args[k]->is_tensor()) continue;
          if (num_tensors < KernelKey::kMaxTensors) {
            dtypes[num_tensors] = s.args[k]->to_tensor().dtype();
          }
          ++num_tensors;
        }
        char name[kMaxOpNameLength + 1];
        const fb::Operator* op = operators->Get(static_cast<uint32_t>(kc->op_index()));
        EMBER_CHECK(format_op_name(op, name, sizeof(name)), Error::InvalidProgram,
                    "instruction %zu: operator %d has an empty or too long name", pc,
                    static_cast<int>(kc->op_index()));
        // More tensors than a key can hold: only a catch-all kernel can match.
        const Span<const ScalarType> key(dtypes, num_tensors <= KernelKey::kMaxTensors ? num_tensors : 0);
        s.kernel = find_kernel_entry(name, key);
        s.writes = find_operator_writes(name);
        if (s.kernel == nullptr) {
          if (has_kernel(name)) {
            char list[128] = "";
            size_t pos = 0;
            for (size_t k = 0; k < key.size() && pos + 12 < sizeof(list); ++k) {
              pos += static_cast<size_t>(std::snprintf(list + pos, sizeof(list) - pos, "%s%s",
                                                       k ? ", " : "", scalar_type_name(key[k])));
            }
            EMBER_LOG(Error, "operator %s (instruction %zu): no kernel for dtypes [%s]", name, pc,
                      list);
          } else {
            EMBER_LOG(Error, "operator %s (instruction %zu): no kernel registered", name, pc);
          }
          missing = Error::OperatorMissing;  // keep going: report every missing op
        }
        break;
      }
      case fb::InstructionArguments::DelegateCall: {
        const fb::DelegateCall* dc = instr->instr_args_as_DelegateCall();
        EMBER_CHECK(dc != nullptr, Error::InvalidProgram, "instruction %zu: empty DelegateCall", pc);
        EMBER_CHECK(index_ok(dc->delegate_index(), num_delegates_), Error::InvalidProgram,
                    "instruction %zu: delegate index %d out of range (%zu delegates)", pc,
                    static_cast<int>(dc->delegate_index()), num_delegates_);
        s.kind = Step::Delegate;
        s.a = dc->delegate_index();
        EMBER_TRY(resolve_args(dc->args(), values_, num_values_, pc, alloc, &s));
        break;
      }
      case fb::InstructionArguments::MoveCall: {
        const fb::MoveCall* mc = instr->instr_args_as_MoveCall();
        EMBER_CHECK(mc != nullptr && index_ok(mc->move_from(), num_values_) &&
                        index_ok(mc->move_to(), num_values_),
                    Error::InvalidProgram, "instruction %zu: MoveCall index out of range", pc);
        s.kind = Step::Move;
        s.a = mc->move_from();
        s.b = mc->move_to();
        break;
      }
      case fb::InstructionArguments::JumpFalseCall: {
        const fb::JumpFalseCall* jc = instr->instr_args_as_JumpFalseCall();
        EMBER_CHECK(jc != nullptr && index_ok(jc->cond_value_index(), num_values_),
                    Error::InvalidProgram, "instruction %zu: JumpFalse condition out of range", pc);
        EMBER_CHECK(jc->destination_instruction() >= 0 &&
                        static_cast<size_t>(jc->destination_instruction()) <= n,
                    Error::InvalidProgram, "instruction %zu: jump destination %d out of range", pc,
                    static_cast<int>(jc->destination_instruction()));
        s.kind = Step::JumpFalse;
        s.a = jc->cond_value_index();
        s.b = jc->destination_instruction();
        break;
      }
      case fb::InstructionArguments::FreeCall: {
        const fb::FreeCall* fc = instr->instr_args_as_FreeCall();
        EMBER_CHECK(fc != nullptr && index_ok(fc->value_index(), num_values_),
                    Error::InvalidProgram, "instruction %zu: FreeCall index out of range", pc);
        s.kind = Step::Free;  // planned memory is reused by the plan, nothing to free
        s.a = fc->value_index();
        break;
      }
      default:
        EMBER_LOG(Error, "instruction %zu has unknown type %u", pc,
                  static_cast<unsigned>(instr->instr_args_type()));
        return Error::InvalidProgram;
    }
  }
  return missing;
}

namespace {

/// "[2, 3]" into buf (truncated to fit).
void format_sizes(Span<const int32_t> sizes, char* buf, size_t n) {
  size_t used = 0;
  auto put = [&](const char* fmt, long v) {
    if (used < n) used += static_cast<size_t>(std::snprintf(buf + used, n - used, fmt, v));
  };
  put("[", 0);
  for (size_t d = 0; d < sizes.size(); ++d) put(d ? ", %ld" : "%ld", static_cast<long>(sizes[d]));
  put("]", 0);
}

}  // namespace

Result<Tensor*> Method::input_tensor(size_t i) const {
  EMBER_CHECK(i < num_inputs_, Error::InvalidArgument, "input %zu out of range (%zu inputs)", i,
              num_inputs_);
  EValue& v = values_[inputs_[i]];
  EMBER_CHECK(v.is_tensor(), Error::InvalidArgument, "input %zu is not a tensor", i);
  return &v.to_tensor();
}

Error Method::set_input(size_t i, const Tensor& t) {
  Result<Tensor*> r = input_tensor(i);
  if (!r.ok()) return r.error();
  Tensor& dst = **r;
  EMBER_CHECK(t.dtype() == dst.dtype(), Error::InvalidArgument,
              "input %zu: dtype %s given, %s expected", i, scalar_type_name(t.dtype()),
              scalar_type_name(dst.dtype()));
  EMBER_CHECK(t.dim() == dst.dim(), Error::InvalidArgument, "input %zu: rank %d given, %d expected",
              i, static_cast<int>(t.dim()), static_cast<int>(dst.dim()));
  for (int32_t d = 0; d < t.dim(); ++d) {
    EMBER_CHECK(t.dim_order()[d] == dst.dim_order()[d], Error::InvalidArgument,
                "input %zu: dim order differs from the method's at position %d", i,
                static_cast<int>(d));
  }
  Result<TensorInfo> info = meta().input_tensor_info(i);
  if (!info.ok()) return info.error();
  const Span<const int32_t> bound = info->sizes;
  bool fits = bound.size() == static_cast<size_t>(t.dim());
  bool same = fits;
  for (int32_t d = 0; fits && d < t.dim(); ++d) {
    fits = t.sizes()[d] <= bound[d];
    same = same && t.sizes()[d] == bound[d];
  }
  if (!same) {
    char given[96], expected[96];
    format_sizes(t.sizes(), given, sizeof given);
    format_sizes(bound, expected, sizeof expected);
    EMBER_CHECK(dst.shape_dynamism() != ShapeDynamism::Static, Error::InvalidArgument,
                "input %zu: sizes %s given, the method takes %s (static shape)", i, given,
                expected);
    EMBER_CHECK(fits, Error::InvalidArgument,
                "input %zu: sizes %s exceed the upper bound %s of this dynamic input", i, given,
                expected);
  }
  const Error resized = dst.resize(t.sizes());
  EMBER_CHECK(resized == Error::Ok, Error::InvalidArgument,
              "input %zu: sizes do not fit the method's input", i);
  if (input_planned_[i]) {
    if (t.nbytes() > 0) {
      EMBER_CHECK(t.data() != nullptr, Error::InvalidArgument, "input %zu: null data", i);
      std::memcpy(dst.mutable_data(), t.data(), t.nbytes());
    }
  } else {
    EMBER_CHECK(reinterpret_cast<uintptr_t>(t.data()) % element_size(dst.dtype()) == 0,
                Error::InvalidArgument, "input %zu: data is not aligned to its elements", i);
    dst.set_data(t.mutable_data());
  }
  return Error::Ok;
}

Error Method::set_input(size_t i, const void* data, size_t nbytes) {
  Result<Tensor*> r = input_tensor(i);
  if (!r.ok()) return r.error();
  Tensor& dst = **r;
  EMBER_CHECK(nbytes == dst.nbytes(), Error::InvalidArgument,
              "input %zu: %zu bytes given, %zu expected", i, nbytes, dst.nbytes());
  EMBER_CHECK(data != nullptr || nbytes == 0, Error::InvalidArgument, "input %zu: null data", i);
  if (input_planned_[i]) {
    if (nbytes > 0) std::memcpy(dst.mutable_data(), data, nbytes);
  } else {
    EMBER_CHECK(reinterpret_cast<uintptr_t>(data) % element_size(dst.dtype()) == 0,
                Error::InvalidArgument, "input %zu: data is not aligned to its elements", i);
    dst.set_data(const_cast<void*>(data));  // bound, not copied; kernels only read inputs
  }
  return Error::Ok;
}

Error Method::set_input(size_t i, const EValue& value) {
  EMBER_CHECK(i < num_inputs_, Error::InvalidArgument, "input %zu out of range (%zu inputs)", i,
              num_inputs_);
  EValue& dst = values_[inputs_[i]];
  EMBER_CHECK(!dst.is_tensor() && value.tag == dst.tag &&
                  (dst.is_int() || dst.is_double() || dst.is_bool()),
              Error::InvalidArgument, "input %zu: a %u value cannot be set from a %u value", i,
              static_cast<unsigned>(dst.tag), static_cast<unsigned>(value.tag));
  dst.payload = value.payload;
  return Error::Ok;
}

Error Method::set_output_data_ptr(size_t i, void* data, size_t nbytes) {
  EMBER_CHECK(i < num_outputs_, Error::InvalidArgument, "output %zu out of range (%zu outputs)",
              i, num_outputs_);
  EValue& v = values_[outputs_[i]];
  EMBER_CHECK(v.is_tensor(), Error::InvalidArgument, "output %zu is not a tensor", i);
  Tensor& t = v.to_tensor();
  const fb::Tensor* ft = plan_->values()->Get(static_cast<uint32_t>(outputs_[i]))->val_as_Tensor();
  EMBER_CHECK(ft != nullptr && ft->allocation_info() == nullptr && ft->data_buffer_idx() == 0,
              Error::InvalidArgument, "output %zu has planned memory; it cannot be rebound", i);
  EMBER_CHECK(nbytes >= t.capacity_bytes() && (data != nullptr || nbytes == 0),
              Error::InvalidArgument, "output %zu needs %zu bytes, %zu given", i,
              t.capacity_bytes(), nbytes);
  EMBER_CHECK(reinterpret_cast<uintptr_t>(data) % element_size(t.dtype()) == 0,
              Error::InvalidArgument, "output %zu: data is not aligned to its elements", i);
  t.set_data(data);
  return Error::Ok;
}

const EValue* Method::get_input(size_t i) const {
  return i < num_inputs_ ? &values_[inputs_[i]] : nullptr;
}

const EValue* Method::get_output(size_t i) const {
  return i < num_outputs_ ? &values_[outputs_[i]] : nullptr;
}

Error Method::check_io_bound() const {
  for (size_t i = 0; i < num_inputs_; ++i) {
    const EValue& v = values_[inputs_[i]];
    EMBER_CHECK(!v.is_tensor() || v.to_tensor().data() != nullptr || v.to_tensor().nbytes() == 0,
                Error::InvalidState, "input %zu has no memory: call set_input first", i);
  }
  for (size_t i = 0; i < num_outputs_; ++i) {
    const EValue& v = values_[outputs_[i]];
    EMBER_CHECK(!v.is_tensor() || v.to_tensor().data() != nullptr || v.to_tensor().nbytes() == 0,
                Error::InvalidState, "output %zu has no memory: call set_output_data_ptr first", i);
  }
  return Error::Ok;
}

Error Method::execute() {
  EMBER_TRY(check_io_bound());
  Error err;
  if (event_tracer_ == nullptr) {
    err = run_steps();
  } else {
    const char* name = plan_->name() != nullptr ? plan_->name()->c_str() : "";
    TraceEvent run = event_tracer_->begin_event(name, EventKind::Method);
    err = run_steps();
    event_tracer_->end_event(run);
  }
  rest_workers();  // the run is over: the pool's workers sleep until the next
  return err;
}

void Method::trace_step(size_t pc, uint64_t start_ns) const {
  TraceEvent e;
  e.end_ns = platform::now_ns();  // first: the lookups below are not the step's time
  e.start_ns = start_ns;
  e.debug_handle = static_cast<DebugHandle>(pc);
  const Step& s = steps_[pc];
  e.kind = EventKind::Control;
  switch (s.kind) {
    case Step::Kernel: {
      const fb::Operator* op = plan_->operators()->Get(static_cast<uint32_t>(s.a));
      e.kind = EventKind::Kernel;
      if (op->name() != nullptr) e.name = op->name()->c_str();
      if (op->overload() != nullptr) e.overload = op->overload()->c_str();
      break;
    }
    case Step::Delegate:
      e.kind = EventKind::Delegate;
      e.name = delegates_[s.a].id;
      break;
    case Step::Move: e.name = "ember::move"; break;
    case Step::JumpFalse: e.name = "ember::jump_false"; break;
    case Step::Free: e.name = "ember::free"; break;
  }
  event_tracer_->record(e);
}

Error Method::run_steps() {
  EventTracer* const tracer = event_tracer_;
  uint8_t* temp = temp_allocator_ != nullptr ? temp_allocator_->base() : nullptr;
  const size_t temp_size = temp_allocator_ != nullptr ? temp_allocator_->capacity() : 0;
  size_t pc = 0;
  uint64_t steps_run = 0;
  while (pc < num_steps_) {
    const Step& s = steps_[pc];
    EMBER_CHECK(step_limit_ == 0 || ++steps_run <= step_limit_, Error::InvalidState,
                "step limit of %llu instructions reached at instruction %zu (a loop that does "
                "not end?); raise it with Method::set_step_limit, ember.runtime.load(..., "
                "step_limit=N) or ember run --max-steps N (0: no limit)",
                static_cast<unsigned long long>(step_limit_), pc);
    // Profiling: one pointer test per instruction when no tracer is attached.
    const uint64_t start_ns = tracer != nullptr ? platform::now_ns() : 0;
    const DebugHandle handle = static_cast<DebugHandle>(pc);
    size_t next = pc + 1;
    switch (s.kind) {
      case Step::Kernel: {
        KernelContext ctx(temp, temp_size, tracer, handle);  // fresh scratch memory per call
        ctx.set_state(s.state);
        s.kernel->fn(ctx, Span<EValue*>(s.args, s.num_args));
        if (ctx.error() != Error::Ok) {
          Result<OperatorName> op = MethodMeta(plan_).operator_name(static_cast<size_t>(s.a));
          EMBER_LOG(Error, "instruction %zu (%s.%s) failed: %s", pc, op.ok() ? op->name : "?",
                    op.ok() ? op->overload : "?", error_name(ctx.error()));
          return Error::KernelFailed;
        }
        break;
      }
      case Step::Delegate: {
        const DelegateState& d = delegates_[s.a];
        BackendExecutionContext ctx(temp, temp_size, tracer, handle);  // fresh scratch per call
        const Error err = d.backend->execute(ctx, d.handle, Span<EValue*>(s.args, s.num_args));
        EMBER_CHECK(err == Error::Ok, err, "instruction %zu (delegate %d, backend %s) failed: %s",
                    pc, static_cast<int>(s.a), d.id, error_name(err));
        break;
      }
      case Step::Move:
        values_[s.b] = values_[s.a];
        break;
      case Step::JumpFalse: {
        const EValue& c = values_[s.a];
        bool cond = false;
        if (c.is_bool()) {
          cond = c.to_bool();
        } else if (c.is_tensor() && c.to_tensor().dtype() == ScalarType::Bool &&
                   c.to_tensor().data() != nullptr) {
          const Tensor& t = c.to_tensor();
          cond = true;
          for (int64_t k = 0; k < t.numel() && cond; ++k) cond = t.data_as<const uint8_t>()[k] != 0;
        } else {
          EMBER_LOG(Error, "instruction %zu: JumpFalse condition (value %d) is not a bool", pc,
                    static_cast<int>(s.a));
          return Error::InvalidProgram;
        }
        if (!cond) next = static_cast<size_t>(s.b);
        break;
      }
      case Step::Free:
        break;
    }
    if (tracer != nullptr) trace_step(pc, start_ns);
    if (poison_start_ != nullptr) poison_after(pc);  // only kernels and delegates have regions
    pc = next;
  }
  return Error::Ok;
}

}  // namespace ember
