#include "runtime/kernels/optimized/prepack.h"

#include <cstdlib>
#include <new>

namespace ember {
namespace optimized {

void* make_prepacked(const void* source, int64_t parts, size_t part_bytes, PackPart pack,
                     const void* context) {
  const char* env = std::getenv("EMBER_PREPACK");
  if (env != nullptr && env[0] == '0' && env[1] == '\0') return nullptr;
  return pack_parts(source, parts, part_bytes, pack, context);
}

void* pack_parts(const void* source, int64_t parts, size_t part_bytes, PackPart pack,
                 const void* context) {
  if (parts <= 0) return nullptr;
  part_bytes = (part_bytes + 63) / 64 * 64;
  if (part_bytes != 0 && static_cast<size_t>(parts) > (SIZE_MAX - 64) / part_bytes) return nullptr;
  void* block = ::operator new(Prepacked::kHeaderBytes + static_cast<size_t>(parts) * part_bytes,
                               std::align_val_t{64}, std::nothrow);
  if (block == nullptr) return nullptr;
  auto* p = new (block) Prepacked{source, parts, part_bytes};
  for (int64_t i = 0; i < parts; ++i) {
    if (pack(context, i, const_cast<void*>(p->part(i)), part_bytes) != Error::Ok) {
      release_prepacked(block);
      return nullptr;
    }
  }
  return block;
}

Error pack_gemm_b(const void* context, int64_t, void* dst, size_t bytes) {
  const auto* p = static_cast<const GemmB*>(context);
  return gemm::pack_b(p->b, p->k, p->n, dst, bytes);
}

void release_prepacked(void* state) { ::operator delete(state, std::align_val_t{64}); }

const Tensor* constant_float(Span<EValue* const> args, Span<const bool> constant, size_t index,
                             int rank) {
  if (index >= args.size() || index >= constant.size() || !constant[index] ||
      !args[index]->is_tensor()) {
    return nullptr;
  }
  const Tensor& t = args[index]->to_tensor();
  return t.dtype() == ScalarType::Float && t.dim() == rank && t.numel() > 0 ? &t : nullptr;
}

}  // namespace optimized
}  // namespace ember
