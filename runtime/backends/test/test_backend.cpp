// EmberTestBackend: init loads the nested program from the blob, execute
// moves values in and out of its `forward` method (see test_backend.h).
#include "runtime/backends/test/test_backend.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/backend/backend.h"
#include "runtime/core/data_loader.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"

namespace ember {
namespace {

constexpr size_t kDefaultTempBytes = size_t{256} << 10;
constexpr size_t kMaxTempBytes = size_t{64} << 20;
// A blob is untrusted: refuse nested programs that ask for absurd memory.
constexpr uint64_t kMaxPlannedBytes = uint64_t{256} << 20;
constexpr size_t kBufferAlignment = 64;

int g_nesting = 0;  // depth of init() calls in progress (a blob may hold a delegated program)

/// malloc'ed memory aligned to kBufferAlignment and zero-filled (planned
/// memory starts as zeros, as in Module and ExecuTorch); nullptr on failure.
uint8_t* alloc_zeroed(size_t nbytes) {
  const size_t rounded = (nbytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  void* p = std::aligned_alloc(kBufferAlignment, rounded == 0 ? kBufferAlignment : rounded);
  if (p != nullptr) std::memset(p, 0, rounded);
  return static_cast<uint8_t*>(p);
}

/// Everything one delegate owns. Lives in one malloc'ed block; the Program
/// and Method are constructed in place once loaded.
struct Nested {
  uint8_t* blob_copy = nullptr;  ///< only when the blob was misaligned
  BufferDataLoader* loader = nullptr;
  alignas(BufferDataLoader) unsigned char loader_storage[sizeof(BufferDataLoader)];
  Program* program = nullptr;
  alignas(Program) unsigned char program_storage[sizeof(Program)];
  Method* method = nullptr;
  alignas(Method) unsigned char method_storage[sizeof(Method)];

  uint8_t* arena = nullptr;
  uint8_t* temp = nullptr;
  uint8_t** buffers = nullptr;        ///< planned buffers
  Span<uint8_t>* spans = nullptr;
  size_t num_buffers = 0;
  MemoryAllocator method_allocator;
  MemoryAllocator temp_allocator;
  MemoryManager memory;

  size_t num_inputs = 0;
  size_t num_outputs = 0;
  uint8_t* output_unplanned = nullptr;  ///< per output: bound to the outer tensor at execute
};

void release(Nested* n) {
  if (n == nullptr) return;
  if (n->method != nullptr) n->method->~Method();  // destroys the nested delegates
  if (n->program != nullptr) n->program->~Program();
  for (size_t i = 0; n->buffers != nullptr && i < n->num_buffers; ++i) std::free(n->buffers[i]);
  std::free(n->buffers);
  std::free(n->spans);
  std::free(n->output_unplanned);
  std::free(n->arena);
  std::free(n->temp);
  std::free(n->blob_copy);
  n->~Nested();
  std::free(n);
}

/// The "temp_bytes" compile spec, or the default.
Result<size_t> temp_bytes(Span<const CompileSpec> specs) {
  for (const CompileSpec& s : specs) {
    if (std::strcmp(s.key, "temp_bytes") != 0) continue;
    EMBER_CHECK(s.value.size() == 8, Error::InvalidArgument,
                "EmberTestBackend: compile spec temp_bytes has %zu bytes, 8 expected",
                s.value.size());
    uint64_t v;
    std::memcpy(&v, s.value.data(), 8);
    EMBER_CHECK(v <= kMaxTempBytes, Error::InvalidArgument,
                "EmberTestBackend: compile spec temp_bytes = %llu is above %zu",
                static_cast<unsigned long long>(v), kMaxTempBytes);
    return static_cast<size_t>(v);
  }
  return kDefaultTempBytes;
}

/// Steps 2-4 of init: the nested program, its memory and its method.
Error load_nested(Nested* n, Span<const uint8_t> blob, size_t temp_size) {
  const uint8_t* bytes = blob.data();
  if (reinterpret_cast<uintptr_t>(bytes) % 16 != 0) {
    n->blob_copy = alloc_zeroed(blob.size());
    EMBER_CHECK(n->blob_copy != nullptr, Error::MemoryAllocationFailed,
                "EmberTestBackend: cannot copy a %zu-byte blob", blob.size());
    std::memcpy(n->blob_copy, bytes, blob.size());
    bytes = n->blob_copy;
  }
  n->loader = new (n->loader_storage) BufferDataLoader(bytes, blob.size());
  Result<Program> program = Program::load(n->loader);
  EMBER_CHECK(program.ok(), program.error(),
              "EmberTestBackend: the %zu-byte blob is not a valid program: %s", blob.size(),
              error_name(program.error()));
  n->program = new (n->program_storage) Program(static_cast<Program&&>(*program));

  Result<MethodMeta> meta = n->program->method_meta("forward");
  EMBER_CHECK(meta.ok(), meta.error(), "EmberTestBackend: the nested program has no 'forward'");
  const size_t arena_size = meta->method_memory_bound();
  n->arena = static_cast<uint8_t*>(std::malloc(arena_size));
  n->temp = temp_size > 0 ? static_cast<uint8_t*>(std::malloc(temp_size)) : nullptr;
  n->num_buffers = meta->num_planned_buffers();
  n->buffers = static_cast<uint8_t**>(std::calloc(n->num_buffers + 1, sizeof(uint8_t*)));
  n->spans = static_cast<Span<uint8_t>*>(std::calloc(n->num_buffers + 1, sizeof(Span<uint8_t>)));
  EMBER_CHECK(n->arena != nullptr && (n->temp != nullptr || temp_size == 0) &&
                  n->buffers != nullptr && n->spans != nullptr,
              Error::MemoryAllocationFailed, "EmberTestBackend: out of memory for the nested method");
  uint64_t planned_total = 0;
  for (size_t i = 0; i < n->num_buffers; ++i) {
    Result<int64_t> size = meta->planned_buffer_size(i);
    if (!size.ok()) return size.error();
    planned_total += static_cast<uint64_t>(*size);
    EMBER_CHECK(static_cast<uint64_t>(*size) <= kMaxPlannedBytes &&
                    planned_total <= kMaxPlannedBytes,
                Error::NotSupported,
                "EmberTestBackend: planned buffer %zu of %lld bytes exceeds the %llu-byte limit",
                i, static_cast<long long>(*size),
                static_cast<unsigned long long>(kMaxPlannedBytes));
    n->buffers[i] = alloc_zeroed(static_cast<size_t>(*size));
    EMBER_CHECK(n->buffers[i] != nullptr, Error::MemoryAllocationFailed,
                "EmberTestBackend: cannot allocate planned buffer %zu (%lld bytes)", i,
                static_cast<long long>(*size));
    n->spans[i] = Span<uint8_t>(n->buffers[i], static_cast<size_t>(*size));
  }
  n->method_allocator = MemoryAllocator(n->arena, arena_size);
  n->temp_allocator = MemoryAllocator(n->temp, temp_size);
  n->memory.method_allocator = &n->method_allocator;
  n->memory.planned_buffers = Span<Span<uint8_t>>(n->spans, n->num_buffers);
  n->memory.temp_allocator = temp_size > 0 ? &n->temp_allocator : nullptr;

  Result<Method> method = n->program->load_method("forward", &n->memory);
  EMBER_CHECK(method.ok(), method.error(),
              "EmberTestBackend: the nested method 'forward' failed to load: %s",
              error_name(method.error()));
  n->method = new (n->method_storage) Method(static_cast<Method&&>(*method));
  n->num_inputs = n->method->num_inputs();
  n->num_outputs = n->method->num_outputs();
  n->output_unplanned = static_cast<uint8_t*>(std::calloc(n->num_outputs + 1, 1));
  EMBER_CHECK(n->output_unplanned != nullptr, Error::MemoryAllocationFailed,
              "EmberTestBackend: out of memory");
  for (size_t i = 0; i < n->num_outputs; ++i) {
    const EValue* out = n->method->get_output(i);
    n->output_unplanned[i] = out->is_tensor() && out->to_tensor().data() == nullptr;
  }
  return Error::Ok;
}

/// Copy nested output `i` into the outer value `dst`.
Error copy_output(size_t i, const EValue& src, EValue& dst, bool bound) {
  if (!src.is_tensor()) {
    EMBER_CHECK(!dst.is_tensor() && src.tag == dst.tag &&
                    (src.is_int() || src.is_double() || src.is_bool()),
                Error::InvalidArgument,
                "EmberTestBackend: output %zu is a value of kind %u, the call expects kind %u", i,
                static_cast<unsigned>(src.tag), static_cast<unsigned>(dst.tag));
    dst.payload = src.payload;
    return Error::Ok;
  }
  EMBER_CHECK(dst.is_tensor(), Error::InvalidArgument,
              "EmberTestBackend: output %zu is a tensor, the call expects kind %u", i,
              static_cast<unsigned>(dst.tag));
  const Tensor& s = src.to_tensor();
  Tensor& d = dst.to_tensor();
  EMBER_CHECK(s.dtype() == d.dtype() && s.dim() == d.dim(), Error::InvalidArgument,
              "EmberTestBackend: output %zu is %s of rank %d, the call expects %s of rank %d", i,
              scalar_type_name(s.dtype()), static_cast<int>(s.dim()), scalar_type_name(d.dtype()),
              static_cast<int>(d.dim()));
  for (int32_t k = 0; k < s.dim(); ++k) {
    EMBER_CHECK(s.dim_order()[k] == d.dim_order()[k], Error::InvalidArgument,
                "EmberTestBackend: output %zu: dim order differs at position %d", i,
                static_cast<int>(k));
  }
  EMBER_CHECK(d.resize(s.sizes()) == Error::Ok, Error::InvalidArgument,
              "EmberTestBackend: output %zu: the nested sizes do not fit the call's output", i);
  if (!bound && s.nbytes() > 0 && s.data() != d.data()) {
    EMBER_CHECK(s.data() != nullptr && d.data() != nullptr, Error::InvalidState,
                "EmberTestBackend: output %zu has no memory", i);
    std::memcpy(d.mutable_data(), s.data(), s.nbytes());
  }
  return Error::Ok;
}

class TestBackend final : public BackendInterface {
 public:
  bool is_available() const override { return true; }

  Result<DelegateHandle*> init(BackendInitContext& context, Span<const uint8_t> processed,
                               Span<const CompileSpec> compile_specs) const override {
    // 1. Checks that need no memory.
    EMBER_CHECK(!processed.empty(), Error::InvalidProgram, "EmberTestBackend: empty blob");
    EMBER_CHECK(g_nesting < kTestBackendMaxNesting, Error::NotSupported,
                "EmberTestBackend: programs nested more than %d deep", kTestBackendMaxNesting);
    Result<size_t> temp = temp_bytes(compile_specs);
    if (!temp.ok()) return temp.error();
    void* block = std::malloc(sizeof(Nested));
    EMBER_CHECK(block != nullptr, Error::MemoryAllocationFailed, "EmberTestBackend: out of memory");
    Nested* n = new (block) Nested();
    // A blob "EMBER_NAMED:<key>" refers to the nested program stored in the
    // outer program's named data under <key> (what the compiler's
    // named_data option writes).
    Span<const uint8_t> program_bytes = processed;
    static constexpr char kMagic[] = "EMBER_NAMED:";
    constexpr size_t kMagicLen = sizeof(kMagic) - 1;
    if (processed.size() > kMagicLen && std::memcmp(processed.data(), kMagic, kMagicLen) == 0) {
      char key[256];
      const size_t key_len = processed.size() - kMagicLen;
      if (key_len >= sizeof(key)) {
        release(n);
        EMBER_LOG(Error, "EmberTestBackend: named-data key of %zu bytes is too long", key_len);
        return Error::InvalidProgram;
      }
      std::memcpy(key, processed.data() + kMagicLen, key_len);
      key[key_len] = '\0';
      Result<Span<const uint8_t>> named = context.get_named_data(key);
      if (!named.ok()) {
        release(n);
        EMBER_LOG(Error, "EmberTestBackend: the blob refers to named data '%s' it cannot get",
                  key);
        return named.error();
      }
      program_bytes = *named;
    }
    // 2-4. The nested program, its memory, its method.
    ++g_nesting;
    const Error err = load_nested(n, program_bytes, *temp);
    --g_nesting;
    if (err != Error::Ok) {
      release(n);
      return err;
    }
    return static_cast<DelegateHandle*>(n);
  }

  Result<size_t> num_outputs(DelegateHandle* handle) const override {
    const Nested* n = static_cast<const Nested*>(handle);
    EMBER_CHECK(n != nullptr, Error::DelegateInvalidHandle, "EmberTestBackend: null handle");
    return n->num_outputs;
  }

  Error execute(BackendExecutionContext& context, DelegateHandle* handle,
                Span<EValue*> args) const override {
    Nested* n = static_cast<Nested*>(handle);
    EMBER_CHECK(n != nullptr, Error::DelegateInvalidHandle, "EmberTestBackend: null handle");
    EMBER_CHECK(args.size() == n->num_inputs + n->num_outputs, Error::InvalidArgument,
                "EmberTestBackend: the call has %zu arguments, the nested method takes %zu inputs "
                "and %zu outputs", args.size(), n->num_inputs, n->num_outputs);
    // 1. Inputs: tensors copied (or bound), scalars set.
    for (size_t i = 0; i < n->num_inputs; ++i) {
      const EValue& v = *args[i];
      const Error err = v.is_tensor() ? n->method->set_input(i, v.to_tensor())
                                      : n->method->set_input(i, v);
      EMBER_CHECK(err == Error::Ok, err, "EmberTestBackend: input %zu rejected", i);
    }
    // 2. Outputs without nested memory write straight into the caller's tensor.
    for (size_t i = 0; i < n->num_outputs; ++i) {
      if (!n->output_unplanned[i]) continue;
      const EValue& v = *args[n->num_inputs + i];
      EMBER_CHECK(v.is_tensor() && v.to_tensor().data() != nullptr, Error::InvalidArgument,
                  "EmberTestBackend: output %zu needs a tensor with memory", i);
      const Tensor& t = v.to_tensor();
      EMBER_TRY(n->method->set_output_data_ptr(i, t.mutable_data(), t.capacity_bytes()));
    }
    // 3. Run (timed for a tracer, as a backend reports its own work), 4. copy
    //    the outputs out.
    EventTracer* tracer = context.event_tracer();
    const uint64_t start_ns = tracer != nullptr ? platform::now_ns() : 0;
    EMBER_TRY(n->method->execute());
    if (tracer != nullptr) {
      tracer->log_event("EmberTestBackend::forward", start_ns, platform::now_ns(),
                        context.debug_handle(), 0);
    }
    for (size_t i = 0; i < n->num_outputs; ++i) {
      EMBER_TRY(copy_output(i, *n->method->get_output(i), *args[n->num_inputs + i],
                            n->output_unplanned[i] != 0));
    }
    return Error::Ok;
  }

  void destroy(DelegateHandle* handle) const override { release(static_cast<Nested*>(handle)); }
};

const TestBackend g_test_backend;

}  // namespace

Error register_test_backend() { return register_backend({kTestBackendName, &g_test_backend}); }

}  // namespace ember
