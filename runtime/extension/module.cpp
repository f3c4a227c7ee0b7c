// Module: owning wrapper over Program/Method with string errors.
#include "runtime/extension/module.h"

#include <cstdlib>
#include <cstring>

#include "runtime/core/data_loader.h"
#include "runtime/core/memory_allocator.h"
#include "runtime/loader/file_data_loader.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace {

/// A zeroed, 64-byte aligned heap buffer.
struct AlignedBuffer {
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data;
  size_t size = 0;

  bool allocate(size_t n) {
    const size_t rounded = ((n == 0 ? 1 : n) + 63) & ~size_t{63};
    void* p = std::aligned_alloc(64, rounded);
    if (p == nullptr) return false;
    std::memset(p, 0, rounded);
    data.reset(static_cast<uint8_t*>(p));
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

/// Installs capture_sink for the lifetime of one Module call.
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
  }
  ~ErrorCapture() {
    t_capture = outer_;
    if (previous_ != capture_sink) platform::set_log_sink(previous_);
  }
  Status status(Error e, const std::string& context) {
    Status s;
    s.error = e;
    if (e == Error::Ok) return s;
    s.message = context + ": " + error_name(e);
    if (!lines_.empty()) s.message += ": " + lines_;
    return s;
  }

 private:
  std::string lines_;
  std::string* outer_ = nullptr;
  platform::LogSink previous_ = nullptr;
};

ValueInfo make_value_info(Result<Tag> tag, Result<TensorInfo> info) {
  ValueInfo v;
  v.tag = tag.ok() ? *tag : Tag::None;
  if (v.tag == Tag::Tensor && info.ok()) {
    v.dtype = info->dtype;
    v.sizes.assign(info->sizes.begin(), info->sizes.end());
    v.dim_order.assign(info->dim_order.begin(), info->dim_order.end());
    v.dynamism = info->dynamism;
    v.is_planned = info->is_planned;
    v.nbytes = info->nbytes;
  }
  return v;
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
  DataLoader* loader() {
    return file ? static_cast<DataLoader*>(file.get()) : static_cast<DataLoader*>(buffer.get());
  }
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
    if (status != nullptr) *status = capture.status(file.error(), "cannot open " + path);
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
    info.inputs.push_back(make_value_info(meta->input_tag(i), meta->input_tensor_info(i)));
  }
  for (size_t i = 0; i < meta->num_outputs(); ++i) {
    info.outputs.push_back(make_value_info(meta->output_tag(i), meta->output_tensor_info(i)));
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
  const size_t arena = meta->method_memory_bound();
  bool ok = st->method_arena.allocate(arena) && st->temp_arena.allocate(temp_size_);
  for (size_t i = 0; ok && i < meta->num_planned_buffers(); ++i) {
    Result<int64_t> size = meta->planned_buffer_size(i);
    if (!size.ok()) return capture.status(size.error(), context);
    st->planned.emplace_back();
    ok = st->planned.back().allocate(static_cast<size_t>(*size));
  }
  if (!ok) return capture.status(Error::MemoryAllocationFailed, context);
  for (AlignedBuffer& b : st->planned) st->planned_spans.emplace_back(b.data.get(), b.size);
  st->method_allocator = MemoryAllocator(st->method_arena.data.get(), arena);
  st->temp_allocator = MemoryAllocator(st->temp_arena.data.get(), temp_size_);
  st->memory.method_allocator = &st->method_allocator;
  st->memory.planned_buffers = {st->planned_spans.data(), st->planned_spans.size()};
  st->memory.temp_allocator = &st->temp_allocator;

  // 2. The method, then buffers for outputs the plan left to the caller.
  Result<Method> method = program().load_method(name.c_str(), &st->memory);
  if (!method.ok()) return capture.status(method.error(), context);
  st->method.reset(new Method(std::move(*method)));
  for (size_t i = 0; i < st->method->num_outputs(); ++i) {
    const EValue* v = st->method->get_output(i);
    if (!v->is_tensor() || v->to_tensor().data() != nullptr) continue;
    const size_t bytes = v->to_tensor().capacity_bytes();
    st->output_buffers.emplace_back();
    if (!st->output_buffers.back().allocate(bytes)) {
      return capture.status(Error::MemoryAllocationFailed, context);
    }
    const Error e = st->method->set_output_data_ptr(i, st->output_buffers.back().data.get(), bytes);
    if (e != Error::Ok) return capture.status(e, context);
  }
  *out = st.get();
  methods_[name] = std::move(st);
  return Status();
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
      if (e != Error::Ok) return capture.status(Error::InvalidArgument, where);
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
    if (e != Error::Ok) return capture.status(e, where);
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
      }
      outputs->push_back(std::move(out));
    }
  }
  return Status();
}

}  // namespace ember
