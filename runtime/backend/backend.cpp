// The global backend table: fixed capacity, filled by explicit registration
// calls before any method is loaded. Not thread-safe: register first, then load.
#include "runtime/backend/backend.h"

#include <cstring>

#include "runtime/executor/program.h"

namespace ember {
namespace {

Backend g_backends[kMaxBackends];
size_t g_num_backends = 0;

}  // namespace

void* BackendExecutionContext::allocate_temp(size_t nbytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || temp_ == nullptr) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(temp_) + temp_used_;
  const size_t pad = (alignment - (start & (alignment - 1))) & (alignment - 1);
  const size_t free_bytes = temp_size_ - temp_used_;
  if (pad > free_bytes || nbytes > free_bytes - pad) return nullptr;
  void* out = temp_ + temp_used_ + pad;
  temp_used_ += pad + nbytes;
  return out;
}

Error register_backend(const Backend& backend) {
  EMBER_CHECK(backend.name != nullptr && backend.name[0] != '\0' && backend.backend != nullptr,
              Error::InvalidArgument, "backend entry without a name or implementation");
  for (size_t i = 0; i < g_num_backends; ++i) {
    if (std::strcmp(g_backends[i].name, backend.name) != 0) continue;
    EMBER_CHECK(g_backends[i].backend == backend.backend, Error::InvalidArgument,
                "backend %s is already registered with another implementation", backend.name);
    return Error::Ok;  // idempotent
  }
  EMBER_CHECK(g_num_backends < kMaxBackends, Error::Internal,
              "backend registry full (%zu entries) registering %s", kMaxBackends, backend.name);
  g_backends[g_num_backends++] = backend;
  return Error::Ok;
}

const BackendInterface* get_backend(const char* name) {
  if (name == nullptr) return nullptr;
  for (size_t i = 0; i < g_num_backends; ++i) {
    if (std::strcmp(g_backends[i].name, name) == 0) return g_backends[i].backend;
  }
  return nullptr;
}

size_t num_registered_backends() { return g_num_backends; }

const Backend* registered_backend(size_t i) {
  return i < g_num_backends ? &g_backends[i] : nullptr;
}

Result<Span<const uint8_t>> BackendInitContext::get_named_data(const char* key) const {
  EMBER_CHECK(program_ != nullptr, Error::NotFound,
              "%.64s: no program to look up named data '%.64s' in", backend_id_,
              key != nullptr ? key : "");
  return program_->named_data(key);
}

}  // namespace ember
