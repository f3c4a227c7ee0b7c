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

void BackendInitContext::release_named_data(Span<const uint8_t> bytes) const {
  if (program_ != nullptr) program_->release_data(bytes);
}

}  // namespace ember
