// Module: owning wrapper over Program/Method with string errors.
#include "runtime/extension/module.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

#include "runtime/core/data_loader.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/extension/program_reading.h"
#include "runtime/loader/file_data_loader.h"
#include "runtime/platform/platform.h"
#include "serializer/schema/program_generated.h"

namespace ember {
namespace {

/// Frees an AlignedBuffer's memory: unmapped if it was mapped, else free().
struct BufferFree {
  size_t mapped;  ///< bytes mapped, 0 for heap memory
  BufferFree() noexcept : mapped(0) {}
  explicit BufferFree(size_t bytes) noexcept : mapped(bytes) {}
  void operator()(uint8_t* p) const {
#if defined(__unix__) || defined(__APPLE__)
    if (mapped != 0) {
      ::munmap(p, mapped);
      return;
    }
#endif
    std::free(p);
  }
};

/// A 64-byte aligned buffer, zeroed unless it is scratch. Large zeroed ones
/// are fresh anonymous pages (zero without being written), so that the
/// planned memory a run never reaches (a KV cache's unused positions, a
/// prefill-sized activation at decode) is never made resident.
struct AlignedBuffer {
  static constexpr size_t kMapAtLeast = size_t{1} << 20;
  std::unique_ptr<uint8_t, BufferFree> data;
  size_t size = 0;

  /// Scratch (`zero` false) is not written here, so the pages a model
  /// never uses are never made resident.
  bool allocate(size_t n, bool zero = true) {
    const size_t rounded = ((n == 0 ? 1 : n) + 63) & ~size_t{63};
#if defined(__unix__) || defined(__APPLE__)
    if (zero && rounded >= kMapAtLeast) {
      void* p = ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                       0);
      if (p != MAP_FAILED) {
        data = std::unique_ptr<uint8_t, BufferFree>(static_cast<uint8_t*>(p),
                                                    BufferFree(rounded));
        size = n;
        return true;
      }
    }
#endif
    void* p = std::aligned_alloc(64, rounded);
    if (p == nullptr) return false;
    if (zero) std::memset(p, 0, rounded);
    data = std::unique_ptr<uint8_t, BufferFree>(static_cast<uint8_t*>(p), BufferFree());
    size = n;
    return true;
  }
};

// Error log lines emitted during a Module call become the Status message.
thread_local std::string* t_capture = nullptr;
thread_local platform::LogSink t_previous_sink = nullptr;

void capture_sink(platform::LogLevel level, const char* message) {
  if (t_capture != nullptr && level >= platform::LogLevel::Error && t_capture->size() < 4096) {
    if (!t_capture->empty()) *t_capture += "; ";
    *t_capture += message;
  }
  if (t_previous_sink != nullptr) t_previous_sink(level, message);
}

/// Installs capture_sink for the lifetime of one Module call. Error lines go
/// into the Status instead of stderr (an error is reported once); lines of a
/// call that succeeds anyway are printed when the capture ends.
class ErrorCapture {
 public:
  ErrorCapture() {
    previous_ = platform::get_log_sink();
    if (previous_ != capture_sink) {
      t_previous_sink = previous_;
      platform::set_log_sink(capture_sink);
    }
    outer_ = t_capture;
    t_capture = &lines_;
    previous_sink_only_ = platform::set_errors_to_sink_only(true);
  }
  ~ErrorCapture() {
    platform::set_errors_to_sink_only(previous_sink_only_);
    t_capture = outer_;
    if (previous_ != capture_sink) platform::set_log_sink(previous_);
    if (!reported_ && !lines_.empty()) std::fprintf(stderr, "[ember E] %s\n", lines_.c_str());
  }
  /// `e` with the captured lines after `context` (the error's name is not in
  /// the message: Status::text() and the Python exception put it first).
  Status status(Error e, const std::string& context) {
    Status s;
    s.error = e;
    if (e == Error::Ok) return s;
    reported_ = true;
    s.message = lines_.empty() ? context : context + ": " + lines_;
    return s;
  }

 private:
  std::string lines_;
  std::string* outer_ = nullptr;
  platform::LogSink previous_ = nullptr;
  bool previous_sink_only_ = false;
  bool reported_ = false;
};

/// Input or output i of `meta`, asking for tensor details only of tensors.
ValueInfo make_value_info(const MethodMeta& meta, size_t i, bool input) {
  ValueInfo v;
  Result<Tag> tag = input ? meta.input_tag(i) : meta.output_tag(i);
  v.tag = tag.ok() ? *tag : Tag::None;
  if (v.tag != Tag::Tensor) return v;
  Result<TensorInfo> info = input ? meta.input_tensor_info(i) : meta.output_tensor_info(i);
  if (info.ok()) {
    v.dtype = info->dtype;
    v.sizes.assign(info->sizes.begin(), info->sizes.end());
    v.dim_order.assign(info->dim_order.begin(), info->dim_order.end());
    v.dynamism = info->dynamism;
    v.is_planned = info->is_planned;
    v.nbytes = info->nbytes;
  }
  return v;
}

namespace fb = executorch_flatbuffer;

using inspect::string_of;
using inspect::tensor_nbytes;

/// The dtypes of a KernelCall's tensor arguments in order (MethodSummary::
/// operator_dtypes). Out-of-range indices and unknown dtypes are skipped:
/// inspecting never fails on a bad file, loading it does.
std::vector<ScalarType> call_dtypes(const fb::ExecutionPlan* plan,
                                    const flatbuffers::Vector<int32_t>* args) {
  std::vector<ScalarType> out;
  const auto* values = plan->values();
  if (values == nullptr || args == nullptr) return out;
  auto tensor_at = [&](int32_t idx) {
    if (idx < 0 || static_cast<uint32_t>(idx) >= values->size()) return;
    const fb::Tensor* t = values->Get(static_cast<uint32_t>(idx))->val_as_Tensor();
    if (t == nullptr) return;
    const int8_t raw = static_cast<int8_t>(t->scalar_type());
    if (is_valid_scalar_type(raw)) out.push_back(static_cast<ScalarType>(raw));
  };
  for (int32_t idx : *args) {
    if (idx < 0 || static_cast<uint32_t>(idx) >= values->size()) continue;
    const fb::EValue* ev = values->Get(static_cast<uint32_t>(idx));
    const flatbuffers::Vector<int32_t>* items = nullptr;
    if (const fb::TensorList* l = ev->val_as_TensorList()) items = l->items();
    if (const fb::OptionalTensorList* l = ev->val_as_OptionalTensorList()) items = l->items();
    if (items != nullptr) {
      for (int32_t item : *items) tensor_at(item);
    } else {
      tensor_at(idx);
    }
  }
  return out;
}

}  // namespace

Value Value::from_tensor(TensorView t) {
  Value v;
  v.tag = Tag::Tensor;
  v.tensor = std::move(t);
  return v;
}
Value Value::from_int(int64_t x) {
  Value v;
  v.tag = Tag::Int;
  v.int_value = x;
  return v;
}
Value Value::from_double(double x) {
  Value v;
  v.tag = Tag::Double;
  v.double_value = x;
  return v;
}
Value Value::from_bool(bool x) {
  Value v;
  v.tag = Tag::Bool;
  v.bool_value = x;
  return v;
}

/// Where the bytes come from, and the Program over them.
struct Module::Source {
  std::unique_ptr<FileDataLoader> file;
  AlignedBuffer copy;
  std::unique_ptr<BufferDataLoader> buffer;
  std::unique_ptr<Program> program;
  /// A .bpte: its test cases, and a loader over the program inside it.
  std::unique_ptr<BundledProgram> bundle;
  std::unique_ptr<BufferDataLoader> bundled;
  /// The bytes of the file (or of the buffer), a .pte or a .bpte.
  DataLoader* source() {
    return file ? static_cast<DataLoader*>(file.get()) : static_cast<DataLoader*>(buffer.get());
  }
  /// The program's bytes: the whole source, or the .pte inside a .bpte.
  DataLoader* loader() { return bundled ? bundled.get() : source(); }
};

/// One loaded method and all the memory it runs in. Never moves (the
/// MemoryManager points at its members).
struct Module::MethodState {
  AlignedBuffer method_arena;
  MemoryAllocator method_allocator;
  std::vector<AlignedBuffer> planned;
  std::vector<Span<uint8_t>> planned_spans;
  AlignedBuffer temp_arena;
  MemoryAllocator temp_allocator;
  MemoryManager memory;
  std::vector<AlignedBuffer> output_buffers;  ///< for outputs without planned memory
  std::unique_ptr<Method> method;
};

Module::Module() : source_(new Source) {}
Module::~Module() = default;

std::unique_ptr<Module> Module::load(const std::string& path, Status* status) {
  ErrorCapture capture;
  Result<FileDataLoader> file = FileDataLoader::open(path.c_str());
  if (!file.ok()) {
    // The loader's log line names the file and the reason ("cannot open <path>: ...").
    if (status != nullptr) *status = capture.status(file.error(), "cannot load the program");
    return nullptr;
  }
  std::unique_ptr<Module> m(new Module);
  m->source_->file.reset(new FileDataLoader(std::move(*file)));
  return finish_load(std::move(m), status);
}

std::unique_ptr<Module> Module::load_from_buffer(const void* data, size_t size, Status* status) {
  std::unique_ptr<Module> m(new Module);
  if (!m->source_->copy.allocate(size)) {
    if (status != nullptr) *status = {Error::MemoryAllocationFailed, "cannot copy the program"};
    return nullptr;
  }
  if (size > 0) std::memcpy(m->source_->copy.data.get(), data, size);
  m->source_->buffer.reset(new BufferDataLoader(m->source_->copy.data.get(), size));
  return finish_load(std::move(m), status);
}

std::unique_ptr<Module> Module::finish_load(std::unique_ptr<Module> m, Status* status) {
  ErrorCapture capture;
  Source& src = *m->source_;
  const size_t size = src.source()->size();
  Result<Span<const uint8_t>> head = src.source()->load(0, size < 8 ? size : 8);
  if (head.ok() && is_bundled_program(*head)) {
    Result<BundledProgram> bundle = BundledProgram::parse(src.source());
    if (!bundle.ok()) {
      if (status != nullptr) {
        *status = capture.status(bundle.error(), "cannot load the bundled program");
      }
      return nullptr;
    }
    src.bundle.reset(new BundledProgram(*bundle));
    const Span<const uint8_t> pte = src.bundle->program_data();
    src.bundled.reset(new BufferDataLoader(pte.data(), pte.size()));
  }
  Result<Program> program = Program::load(m->source_->loader());
  if (!program.ok()) {
    if (status != nullptr) *status = capture.status(program.error(), "cannot load the program");
    return nullptr;
  }
  m->source_->program.reset(new Program(std::move(*program)));
  if (status != nullptr) *status = Status();
  return m;
}

const Program& Module::program() const { return *source_->program; }

const BundledProgram* Module::bundled_program() const { return source_->bundle.get(); }

std::vector<std::string> Module::method_names() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < program().num_methods(); ++i) {
    Result<const char*> n = program().get_method_name(i);
    if (n.ok()) names.emplace_back(*n);
  }
  return names;
}

Status Module::method_info(const std::string& name, MethodInfo* out) const {
  ErrorCapture capture;
  Result<MethodMeta> meta = program().method_meta(name.c_str());
  if (!meta.ok()) return capture.status(meta.error(), "method '" + name + "'");
  MethodInfo info;
  info.name = meta->name();
  for (size_t i = 0; i < meta->num_inputs(); ++i) {
    info.inputs.push_back(make_value_info(*meta, i, /*input=*/true));
  }
  for (size_t i = 0; i < meta->num_outputs(); ++i) {
    info.outputs.push_back(make_value_info(*meta, i, /*input=*/false));
  }
  for (size_t i = 0; i < meta->num_planned_buffers(); ++i) {
    Result<int64_t> size = meta->planned_buffer_size(i);
    if (!size.ok()) return capture.status(size.error(), "method '" + name + "'");
    info.planned_buffer_sizes.push_back(*size);
  }
  for (size_t i = 0; i < meta->num_operators(); ++i) {
    Result<OperatorName> op = meta->operator_name(i);
    if (!op.ok()) return capture.status(op.error(), "method '" + name + "'");
    std::string full = op->name;
    if (op->overload[0] != '\0') full += std::string(".") + op->overload;
    info.operators.push_back(std::move(full));
  }
  info.num_instructions = meta->num_instructions();
  info.input_spec = meta->input_container_spec();
  info.output_spec = meta->output_container_spec();
  if (out != nullptr) *out = std::move(info);
  return Status();
}

Status Module::program_summary(ProgramSummary* out) const {
  ErrorCapture capture;
  const fb::Program* fbp = program().flatbuffer();
  ProgramSummary sum;
  sum.file_size = source_->loader()->size();
  sum.header = program().header();

  // 1. Segments (contents filled in below, as references are found).
  const auto* segments = fbp->segments();
  const uint64_t seg_avail =
      sum.header.segment_base_offset == 0 ? 0
      : sum.header.segment_data_size != 0 ? sum.header.segment_data_size
                                          : sum.file_size - sum.header.segment_base_offset;
  if (segments != nullptr) {
    for (const fb::DataSegment* seg : *segments) {
      SegmentSummary s;
      s.offset = seg->offset();
      s.size = seg->size();
      s.file_offset = sum.header.segment_base_offset + s.offset;
      s.in_file = s.size == 0 || (sum.header.segment_base_offset != 0 && s.offset <= seg_avail &&
                                  s.size <= seg_avail - s.offset);
      sum.segments.push_back(std::move(s));
    }
  }
  auto refer = [&sum](uint32_t idx, std::string what) {
    if (idx < sum.segments.size()) sum.segments[idx].contents.push_back(std::move(what));
  };
  auto segment_size = [&sum](uint32_t idx) -> uint64_t {
    return idx < sum.segments.size() ? sum.segments[idx].size : 0;
  };

  // 2. Constants: the constant segment (as Program::load decides), else the
  //    legacy inline buffers. Index 0 is the reserved empty buffer in both.
  const fb::SubsegmentOffsets* cs = fbp->constant_segment();
  if (cs != nullptr && cs->offsets() != nullptr && cs->offsets()->size() > 0) {
    sum.constant_storage = "segment";
    sum.constant_segment_index = cs->segment_index();
    sum.num_constant_buffers = cs->offsets()->size() - 1;
    sum.constant_data_bytes = segment_size(cs->segment_index());
    refer(cs->segment_index(), "constants");
  } else if (fbp->constant_buffer() != nullptr && fbp->constant_buffer()->size() > 0) {
    sum.constant_storage = "inline";
    sum.num_constant_buffers = fbp->constant_buffer()->size() - 1;
    for (const fb::Buffer* b : *fbp->constant_buffer()) {
      if (b->storage() != nullptr) sum.constant_data_bytes += b->storage()->size();
    }
  }
  if (fbp->mutable_data_segments() != nullptr) {
    for (const fb::SubsegmentOffsets* m : *fbp->mutable_data_segments()) {
      ProgramSummary::MutableData md;
      md.segment_index = m->segment_index();
      md.num_buffers = m->offsets() != nullptr ? m->offsets()->size() : 0;
      sum.mutable_data.push_back(md);
      refer(m->segment_index(), "mutable data");
    }
  }
  if (fbp->backend_delegate_data() != nullptr) {
    for (const fb::BackendDelegateInlineData* d : *fbp->backend_delegate_data()) {
      sum.inline_delegate_data_sizes.push_back(d->data() != nullptr ? d->data()->size() : 0);
    }
  }
  if (fbp->named_data() != nullptr) {
    for (const fb::NamedData* nd : *fbp->named_data()) {
      ProgramSummary::NamedData n;
      n.key = string_of(nd->key());
      n.segment_index = nd->segment_index();
      n.size = segment_size(n.segment_index);
      refer(n.segment_index, "named data '" + n.key + "'");
      sum.named_data.push_back(std::move(n));
    }
  }

  // 3. Methods.
  std::map<uint32_t, uint64_t> constants;  // data_buffer_idx -> largest use in bytes
  const auto* plans = fbp->execution_plan();
  for (uint32_t p = 0; plans != nullptr && p < plans->size(); ++p) {
    const fb::ExecutionPlan* plan = plans->Get(p);
    MethodSummary ms;
    const std::string name = string_of(plan->name());
    Status st = method_info(name, &ms.info);
    if (!st.ok()) return st;
    ms.operator_calls.assign(ms.info.operators.size(), 0);
    ms.operator_dtypes.assign(ms.info.operators.size(), {});

    if (plan->values() != nullptr) {
      ms.num_values = plan->values()->size();
      for (const fb::EValue* ev : *plan->values()) {
        const fb::Tensor* t = ev->val_as_Tensor();
        if (t == nullptr) continue;
        const bool planned = t->allocation_info() != nullptr;
        if (planned) ++ms.num_planned_tensors;
        if (planned && t->data_buffer_idx() > 0) ++ms.num_mutable_tensors;
        if (!planned && t->data_buffer_idx() > 0) {
          ++ms.num_constant_tensors;
          uint64_t n = 0;
          if (tensor_nbytes(t, &n)) {
            uint64_t& slot = constants[t->data_buffer_idx()];
            if (n > slot) slot = n;
          }
        }
      }
    }
    if (plan->delegates() != nullptr) {
      for (uint32_t d = 0; d < plan->delegates()->size(); ++d) {
        const fb::BackendDelegate* bd = plan->delegates()->Get(d);
        MethodSummary::Delegate del;
        del.id = string_of(bd->id());
        if (bd->processed() != nullptr) {
          del.inline_data = bd->processed()->location() == fb::DataLocation::INLINE;
          del.index = bd->processed()->index();
          if (del.inline_data) {
            del.valid = del.index < sum.inline_delegate_data_sizes.size();
            del.size = del.valid ? sum.inline_delegate_data_sizes[del.index] : 0;
          } else {
            del.valid = del.index < sum.segments.size();
            del.size = segment_size(del.index);
            refer(del.index, "delegate " + del.id + " (method " + name + ", delegate " +
                                 std::to_string(d) + ")");
          }
        } else {
          del.valid = false;
        }
        if (bd->compile_specs() != nullptr) {
          for (const fb::CompileSpec* cspec : *bd->compile_specs()) {
            del.compile_spec_keys.push_back(string_of(cspec->key()));
          }
        }
        ms.delegates.push_back(std::move(del));
      }
    }
    if (plan->chains() != nullptr) {
      ms.num_chains = plan->chains()->size();
      for (const fb::Chain* chain : *plan->chains()) {
        if (chain->instructions() == nullptr) continue;
        for (const fb::Instruction* ins : *chain->instructions()) {
          switch (ins->instr_args_type()) {
            case fb::InstructionArguments::KernelCall: {
              ++ms.num_kernel_calls;
              const int32_t op = ins->instr_args_as_KernelCall()->op_index();
              if (op >= 0 && static_cast<size_t>(op) < ms.operator_calls.size()) {
                ++ms.operator_calls[static_cast<size_t>(op)];
                auto& seen = ms.operator_dtypes[static_cast<size_t>(op)];
                std::vector<ScalarType> sig =
                    call_dtypes(plan, ins->instr_args_as_KernelCall()->args());
                if (std::find(seen.begin(), seen.end(), sig) == seen.end()) {
                  seen.push_back(std::move(sig));
                }
              }
              break;
            }
            case fb::InstructionArguments::DelegateCall: {
              ++ms.num_delegate_calls;
              const int32_t d = ins->instr_args_as_DelegateCall()->delegate_index();
              if (d >= 0 && static_cast<size_t>(d) < ms.delegates.size()) {
                ++ms.delegates[static_cast<size_t>(d)].calls;
              }
              break;
            }
            case fb::InstructionArguments::MoveCall: ++ms.num_move_calls; break;
            case fb::InstructionArguments::JumpFalseCall: ++ms.num_jump_false_calls; break;
            case fb::InstructionArguments::FreeCall: ++ms.num_free_calls; break;
            default: break;
          }
        }
      }
    }
    sum.methods.push_back(std::move(ms));
  }
  for (const auto& c : constants) sum.constant_tensor_bytes += c.second;
  if (out != nullptr) *out = std::move(sum);
  return capture.status(Error::Ok, "");
}

Status Module::load_method(const std::string& name) {
  MethodState* st = nullptr;
  return ensure_loaded(name, &st);
}

Status Module::ensure_loaded(const std::string& name, MethodState** out) {
  auto it = methods_.find(name);
  if (it != methods_.end()) {
    *out = it->second.get();
    return Status();
  }
  ErrorCapture capture;
  const std::string context = "cannot load method '" + name + "'";
  Result<MethodMeta> meta = program().method_meta(name.c_str());
  if (!meta.ok()) return capture.status(meta.error(), context);

  // 1. Memory sized from the plan.
  std::unique_ptr<MethodState> st(new MethodState);
  const size_t arena = meta->method_memory_bound() + (poison_ ? meta->poison_memory_bound() : 0);
  auto no_memory = [&](size_t bytes, const std::string& what) {
    return Status{Error::MemoryAllocationFailed, context + ": cannot allocate " +
                                                     std::to_string(bytes) + " bytes for " + what};
  };
  if (!st->method_arena.allocate(arena)) return no_memory(arena, "the method arena");
  for (size_t i = 0; i < meta->num_planned_buffers(); ++i) {
    Result<int64_t> size = meta->planned_buffer_size(i);
    if (!size.ok()) return capture.status(size.error(), context);
    st->planned.emplace_back();
    if (!st->planned.back().allocate(static_cast<size_t>(*size))) {
      return no_memory(static_cast<size_t>(*size), "planned buffer " + std::to_string(i));
    }
  }
  for (AlignedBuffer& b : st->planned) st->planned_spans.emplace_back(b.data.get(), b.size);
  st->method_allocator = MemoryAllocator(st->method_arena.data.get(), arena);
  st->memory.method_allocator = &st->method_allocator;
  st->memory.planned_buffers = {st->planned_spans.data(), st->planned_spans.size()};
  st->memory.planned_memory_zeroed = true;  // AlignedBuffer zeroes them
  // The temp memory is allocated after the load, once the delegates said
  // what they keep there (temp_sized_after_load).
  st->memory.temp_allocator = &st->temp_allocator;
  st->memory.poison_dead_memory = poison_;
  st->memory.temp_sized_after_load = true;

  // 2. The method, then buffers for outputs the plan left to the caller.
  Result<Method> method = program().load_method(name.c_str(), &st->memory);
  if (!method.ok()) return capture.status(method.error(), context);
  st->method.reset(new Method(std::move(*method)));
  st->method->set_step_limit(step_limit_);
  // Kernels' scratch, or what a delegate keeps there if that is more.
  const size_t temp = std::max(temp_size_, st->method->temp_bytes_requested());
  if (!st->temp_arena.allocate(temp, /*zero=*/false)) return no_memory(temp, "the temp arena");
  st->temp_allocator = MemoryAllocator(st->temp_arena.data.get(), temp);
  for (size_t i = 0; i < st->method->num_outputs(); ++i) {
    const EValue* v = st->method->get_output(i);
    if (!v->is_tensor() || v->to_tensor().data() != nullptr) continue;
    const size_t bytes = v->to_tensor().capacity_bytes();
    st->output_buffers.emplace_back();
    if (!st->output_buffers.back().allocate(bytes)) {
      return no_memory(bytes, "output " + std::to_string(i));
    }
    const Error e = st->method->set_output_data_ptr(i, st->output_buffers.back().data.get(), bytes);
    if (e != Error::Ok) return capture.status(e, context);
  }
  *out = st.get();
  methods_[name] = std::move(st);
  return Status();
}

void Module::set_step_limit(uint64_t max_steps) {
  step_limit_ = max_steps;
  for (auto& m : methods_) m.second->method->set_step_limit(max_steps);
}

Method* Module::method(const std::string& name) {
  auto it = methods_.find(name);
  return it != methods_.end() ? it->second->method.get() : nullptr;
}

Status Module::forward(const std::vector<Value>& inputs, std::vector<Value>* outputs) {
  return execute("forward", inputs, outputs);
}

Status Module::execute(const std::string& name, const std::vector<Value>& inputs,
                       std::vector<Value>* outputs) {
  MethodState* st = nullptr;
  Status loaded = ensure_loaded(name, &st);
  if (!loaded.ok()) return loaded;
  ErrorCapture capture;
  Method& m = *st->method;
  const std::string context = "method '" + name + "'";
  if (inputs.size() != m.num_inputs()) {
    return {Error::InvalidArgument, context + ": " + std::to_string(inputs.size()) +
                                        " inputs given, " + std::to_string(m.num_inputs()) +
                                        " expected"};
  }

  // 1. Inputs.
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value& v = inputs[i];
    const std::string where = context + " input " + std::to_string(i);
    Error e = Error::Ok;
    if (v.tag == Tag::Tensor) {
      const TensorView& tv = v.tensor;
      const size_t dim = tv.sizes.size();
      if (dim > static_cast<size_t>(kMaxRank)) {
        return {Error::InvalidArgument, where + ": rank " + std::to_string(dim) + " exceeds 16"};
      }
      if (!tv.dim_order.empty() && tv.dim_order.size() != dim) {
        return {Error::InvalidArgument, where + ": " + std::to_string(tv.dim_order.size()) +
                                            " dim_order entries for rank " + std::to_string(dim)};
      }
      int32_t sizes[kMaxRank];
      uint8_t order[kMaxRank];
      int32_t strides[kMaxRank];
      for (size_t d = 0; d < dim; ++d) {
        if (tv.sizes[d] < 0 || tv.sizes[d] > INT32_MAX) {
          return {Error::InvalidArgument, where + ": size out of range"};
        }
        sizes[d] = static_cast<int32_t>(tv.sizes[d]);
        order[d] = tv.dim_order.empty() ? static_cast<uint8_t>(d) : tv.dim_order[d];
      }
      size_t nbytes = 0;
      e = check_tensor_shape(tv.dtype, {sizes, dim}, {order, dim}, &nbytes);
      if (e != Error::Ok) return capture.status(Error::InvalidArgument, where + " has an invalid shape");
      if (nbytes != tv.nbytes) {
        return {Error::InvalidArgument, where + ": " + std::to_string(tv.nbytes) +
                                            " bytes given for a tensor of " +
                                            std::to_string(nbytes) + " bytes"};
      }
      Tensor t(tv.dtype, static_cast<int32_t>(dim), sizes, order, strides,
               const_cast<void*>(tv.data));
      e = m.set_input(i, t);
    } else {
      EValue ev;
      ev.tag = v.tag;
      if (v.tag == Tag::Int) ev.payload.as_int = v.int_value;
      if (v.tag == Tag::Double) ev.payload.as_double = v.double_value;
      if (v.tag == Tag::Bool) ev.payload.as_bool = v.bool_value;
      e = m.set_input(i, ev);
    }
    // The method's own lines name the input ("input 0: ...").
    if (e != Error::Ok) return capture.status(e, context);
  }

  // 2. Run.
  const Error e = m.execute();
  if (e != Error::Ok) return capture.status(e, context);

  // 3. Outputs, as views into the method's memory.
  if (outputs != nullptr) {
    outputs->clear();
    for (size_t i = 0; i < m.num_outputs(); ++i) {
      const EValue* ev = m.get_output(i);
      Value out;
      out.tag = ev->tag;
      if (ev->is_tensor()) {
        const Tensor& t = ev->to_tensor();
        out.tensor.dtype = t.dtype();
        out.tensor.sizes.assign(t.sizes().begin(), t.sizes().end());
        out.tensor.dim_order.assign(t.dim_order().begin(), t.dim_order().end());
        out.tensor.data = t.data();
        out.tensor.nbytes = t.nbytes();
      } else if (ev->is_int()) {
        out.int_value = ev->to_int();
      } else if (ev->is_double()) {
        out.double_value = ev->to_double();
      } else if (ev->is_bool()) {
        out.bool_value = ev->to_bool();
      } else if (ev->tag == Tag::String) {
        out.string_value.assign(ev->payload.as_string.data, ev->payload.as_string.size);
      } else if (ev->tag == Tag::IntList) {
        const auto& l = ev->payload.as_int_list;
        for (size_t k = 0; k < l.size; ++k) out.int_list.push_back(l.items[k]->to_int());
      } else if (ev->tag == Tag::DoubleList) {
        const auto& l = ev->payload.as_double_list;
        out.double_list.assign(l.items, l.items + l.size);
      } else if (ev->tag == Tag::BoolList) {
        const auto& l = ev->payload.as_bool_list;
        for (size_t k = 0; k < l.size; ++k) out.bool_list.push_back(l.items[k] != 0);
      }
      outputs->push_back(std::move(out));
    }
  }
  return Status();
}

}  // namespace ember
