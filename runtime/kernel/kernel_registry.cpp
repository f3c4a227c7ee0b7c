// The global kernel table: fixed capacity, filled by explicit registration
// calls before any method is loaded. Not thread-safe: register first, then load.
#include <cstring>

#include "runtime/kernel/kernel.h"

namespace ember {
namespace {

constexpr size_t kMaxKernels = 1024;
constexpr size_t kMaxOperatorWrites = 512;

Kernel g_kernels[kMaxKernels];
size_t g_num_kernels = 0;
OperatorWrites g_writes[kMaxOperatorWrites];
size_t g_num_writes = 0;

bool same_key(const KernelKey& a, const KernelKey& b) {
  if (a.num_dtypes != b.num_dtypes) return false;
  if (a.num_dtypes == KernelKey::kUniform) return a.dtypes[0] == b.dtypes[0];
  for (int i = 0; i < a.num_dtypes; ++i) {
    if (a.dtypes[i] != b.dtypes[i]) return false;
  }
  return true;
}

bool key_matches(const KernelKey& key, Span<const ScalarType> dtypes) {
  if (key.num_dtypes <= 0 || static_cast<size_t>(key.num_dtypes) != dtypes.size()) return false;
  for (size_t i = 0; i < dtypes.size(); ++i) {
    if (key.dtypes[i] != dtypes[i]) return false;
  }
  return true;
}

bool uniform_matches(const KernelKey& key, Span<const ScalarType> dtypes) {
  if (key.num_dtypes != KernelKey::kUniform || dtypes.size() == 0) return false;
  for (const ScalarType t : dtypes) {
    if (t != key.dtypes[0]) return false;
  }
  return true;
}

}  // namespace

Error register_kernels(Span<const Kernel> kernels) {
  for (const Kernel& k : kernels) {
    EMBER_CHECK(k.name != nullptr && k.fn != nullptr, Error::InvalidArgument,
                "kernel entry without a name or function");
    EMBER_CHECK(k.key.num_dtypes >= KernelKey::kUniform &&
                    k.key.num_dtypes <= KernelKey::kMaxTensors,
                Error::InvalidArgument, "kernel %s has a key with %d dtypes", k.name,
                static_cast<int>(k.key.num_dtypes));
    const Kernel* taken = nullptr;
    for (size_t i = 0; i < g_num_kernels && taken == nullptr; ++i) {
      if (std::strcmp(g_kernels[i].name, k.name) == 0 && same_key(g_kernels[i].key, k.key)) {
        taken = &g_kernels[i];
      }
    }
    if (taken != nullptr) {
      // The same entry again is a repeated registration call; another
      // function under the same key is two libraries claiming one slot.
      EMBER_CHECK(taken->fn == k.fn && taken->prepare == k.prepare && taken->release == k.release,
                  Error::InvalidArgument,
                  "kernel %s is registered twice for the same dtypes with different functions",
                  k.name);
      continue;
    }
    EMBER_CHECK(g_num_kernels < kMaxKernels, Error::Internal,
                "kernel registry full (%zu entries) registering %s", kMaxKernels, k.name);
    g_kernels[g_num_kernels++] = k;
  }
  return Error::Ok;
}

const Kernel* find_kernel_entry(const char* name, Span<const ScalarType> tensor_dtypes) {
  const Kernel* uniform = nullptr;
  const Kernel* catch_all = nullptr;
  for (size_t i = 0; i < g_num_kernels; ++i) {
    const Kernel& k = g_kernels[i];
    if (std::strcmp(k.name, name) != 0) continue;
    if (key_matches(k.key, tensor_dtypes)) return &k;
    if (uniform == nullptr && uniform_matches(k.key, tensor_dtypes)) uniform = &k;
    if (k.key.num_dtypes == 0 && catch_all == nullptr) catch_all = &k;
  }
  return uniform != nullptr ? uniform : catch_all;
}

KernelFn find_kernel(const char* name, Span<const ScalarType> tensor_dtypes) {
  const Kernel* k = find_kernel_entry(name, tensor_dtypes);
  return k != nullptr ? k->fn : nullptr;
}

bool has_kernel(const char* name) {
  for (size_t i = 0; i < g_num_kernels; ++i) {
    if (std::strcmp(g_kernels[i].name, name) == 0) return true;
  }
  return false;
}

Error register_operator_writes(Span<const OperatorWrites> ops) {
  for (const OperatorWrites& w : ops) {
    EMBER_CHECK(w.name != nullptr && w.num_schema_args < 32 &&
                    (w.written_args >> w.num_schema_args) == 0 &&
                    w.result_aliases < static_cast<int>(w.num_schema_args),
                Error::InvalidArgument, "operator write description %s is malformed",
                w.name != nullptr ? w.name : "(null)");
    const OperatorWrites* old = find_operator_writes(w.name);
    if (old != nullptr) {
      EMBER_CHECK(old->num_schema_args == w.num_schema_args &&
                      old->written_args == w.written_args &&
                      old->result_aliases == w.result_aliases,
                  Error::InvalidArgument,
                  "operator %s is registered twice with different written arguments", w.name);
      continue;
    }
    EMBER_CHECK(g_num_writes < kMaxOperatorWrites, Error::Internal,
                "operator write table full (%zu entries) registering %s", kMaxOperatorWrites,
                w.name);
    g_writes[g_num_writes++] = w;
  }
  return Error::Ok;
}

const OperatorWrites* find_operator_writes(const char* name) {
  for (size_t i = 0; i < g_num_writes; ++i) {
    if (std::strcmp(g_writes[i].name, name) == 0) return &g_writes[i];
  }
  return nullptr;
}

size_t num_registered_kernels() { return g_num_kernels; }

const Kernel* registered_kernel(size_t i) { return i < g_num_kernels ? &g_kernels[i] : nullptr; }

}  // namespace ember
