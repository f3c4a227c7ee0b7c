// Delegates at load: find the backend by name, locate the processed blob,
// gather the compile specs, call init() once.
#include "runtime/executor/delegate.h"

#include <new>

#include "runtime/executor/program.h"
#include "serializer/schema/program_generated.h"

namespace fb = executorch_flatbuffer;

namespace ember {

Result<Span<const uint8_t>> delegate_processed_data(const Program& program,
                                                    const fb::BackendDelegate* d, size_t index) {
  const fb::BackendDelegateDataReference* ref = d->processed();
  EMBER_CHECK(ref != nullptr, Error::InvalidProgram, "delegate %zu has no processed data reference",
              index);
  const uint32_t data_index = ref->index();
  switch (ref->location()) {
    case fb::DataLocation::INLINE: {
      const auto* all = program.flatbuffer()->backend_delegate_data();
      EMBER_CHECK(all != nullptr && data_index < all->size(), Error::InvalidProgram,
                  "delegate %zu: inline data index %u out of range (%u entries)", index,
                  data_index, all != nullptr ? all->size() : 0u);
      const auto* bytes = all->Get(data_index)->data();
      if (bytes == nullptr) return Span<const uint8_t>();
      return Span<const uint8_t>(bytes->data(), bytes->size());
    }
    case fb::DataLocation::SEGMENT: {
      Result<Span<const uint8_t>> seg = program.segment_data(data_index);
      EMBER_CHECK(seg.ok(), seg.error(), "delegate %zu: processed data (segment %u) not found",
                  index, data_index);
      return *seg;
    }
  }
  EMBER_LOG(Error, "delegate %zu: unknown data location %d", index,
            static_cast<int>(ref->location()));
  return Error::InvalidProgram;
}

Error init_delegate(const Program& program, const char* method_name, const fb::BackendDelegate* d,
                    size_t index, MemoryAllocator* allocator, size_t temp_capacity,
                    DelegateState* out) {
  EMBER_CHECK(d->id() != nullptr && d->id()->size() > 0, Error::InvalidProgram,
              "delegate %zu has no backend id", index);
  const char* id = d->id()->c_str();
  const BackendInterface* backend = get_backend(id);
  EMBER_CHECK(backend != nullptr, Error::NotFound,
              "delegate %zu: backend '%.64s' is not registered", index, id);
  EMBER_CHECK(backend->is_available(), Error::NotFound,
              "delegate %zu: backend '%.64s' is not available here", index, id);
  Result<Span<const uint8_t>> data = delegate_processed_data(program, d, index);
  if (!data.ok()) return data.error();

  // Compile specs: views into the .pte, in the method allocator.
  const auto* specs = d->compile_specs();
  const size_t num_specs = specs != nullptr ? specs->size() : 0;
  CompileSpec* views = allocator->allocate_array<CompileSpec>(num_specs);
  EMBER_CHECK(views != nullptr || num_specs == 0, Error::MemoryAllocationFailed,
              "method allocator exhausted at delegate %zu", index);
  for (size_t k = 0; k < num_specs; ++k) {
    const fb::CompileSpec* s = specs->Get(static_cast<uint32_t>(k));
    CompileSpec& v = *new (&views[k]) CompileSpec();
    if (s->key() != nullptr) v.key = s->key()->c_str();
    if (s->value() != nullptr) v.value = {s->value()->data(), s->value()->size()};
  }

  BackendInitContext context(allocator, method_name, id, &program, temp_capacity);
  const bool segment = d->processed()->location() == fb::DataLocation::SEGMENT;
  context.set_processed_segment(segment);
  Result<DelegateHandle*> handle =
      backend->init(context, *data, Span<const CompileSpec>(views, num_specs));
  EMBER_CHECK(handle.ok(), handle.error(), "delegate %zu: backend '%.64s' failed to initialize: %s",
              index, id, error_name(handle.error()));
  // A backend done with its blob lets a separately loaded one (a segment) go.
  if (context.processed_freeable() && segment) {
    program.release_data(*data);
  }
  out->backend = backend;
  out->handle = *handle;
  out->id = id;
  out->temp_bytes = context.temp_requested();
  return Error::Ok;
}

}  // namespace ember
