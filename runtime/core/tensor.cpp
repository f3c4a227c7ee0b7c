// Tensor: strides derived from sizes and dim order, and the resize rules.
#include "runtime/core/tensor.h"

namespace ember {
namespace {

constexpr int64_t kMaxStride = 0x7fffffff;

/// Strides of a dim-ordered layout: the innermost dim (last in dim_order) has
/// stride 1. Returns false if a stride would not fit int32. `strides` may be
/// null to only check.
bool derive_strides(int32_t dim, const int32_t* sizes, const uint8_t* dim_order,
                    int32_t* strides) {
  int64_t running = 1;
  for (int32_t i = dim - 1; i >= 0; --i) {
    const uint8_t d = dim_order[i];
    if (running > kMaxStride) return false;
    if (strides != nullptr) strides[d] = static_cast<int32_t>(running);
    // A zero size leaves later strides at the running product (as PyTorch does
    // with max(size, 1)), so an empty tensor still has valid strides.
    const int64_t s = sizes[d] > 1 ? sizes[d] : 1;
    running *= s;
  }
  return true;
}

}  // namespace

Error check_tensor_shape(ScalarType dtype, Span<const int32_t> sizes,
                         Span<const uint8_t> dim_order, size_t* nbytes) {
  const size_t elem = element_size(dtype);
  EMBER_CHECK(elem != 0, Error::InvalidProgram, "tensor has unknown dtype %d",
              static_cast<int>(dtype));
  EMBER_CHECK(sizes.size() <= static_cast<size_t>(kMaxRank), Error::InvalidProgram,
              "tensor rank %zu exceeds %d", sizes.size(), kMaxRank);
  EMBER_CHECK(dim_order.size() == sizes.size(), Error::InvalidProgram,
              "tensor has %zu sizes but %zu dim_order entries", sizes.size(),
              dim_order.size());
  bool seen[kMaxRank] = {};
  for (size_t i = 0; i < dim_order.size(); ++i) {
    const uint8_t d = dim_order[i];
    EMBER_CHECK(d < sizes.size() && !seen[d], Error::InvalidProgram,
                "dim_order is not a permutation (entry %zu is %u)", i,
                static_cast<unsigned>(d));
    seen[d] = true;
  }
  // numel * elem must fit size_t; bound it by 2^62 to keep the product exact.
  const uint64_t kLimit = uint64_t{1} << 62;
  uint64_t bytes = elem;
  for (size_t i = 0; i < sizes.size(); ++i) {
    EMBER_CHECK(sizes[i] >= 0, Error::InvalidProgram, "size %zu is negative (%d)", i,
                static_cast<int>(sizes[i]));
    const uint64_t s = static_cast<uint64_t>(sizes[i]);
    EMBER_CHECK(s == 0 || bytes <= kLimit / s, Error::InvalidProgram,
                "tensor byte size overflows at dim %zu", i);
    bytes *= s;
  }
  EMBER_CHECK(bytes <= static_cast<uint64_t>(SIZE_MAX), Error::InvalidProgram,
              "tensor byte size does not fit size_t");
  EMBER_CHECK(derive_strides(static_cast<int32_t>(sizes.size()), sizes.data(),
                             dim_order.data(), nullptr),
              Error::InvalidProgram, "tensor strides overflow int32");
  if (nbytes != nullptr) *nbytes = static_cast<size_t>(bytes);
  return Error::Ok;
}

Tensor::Tensor(ScalarType dtype, int32_t dim, int32_t* sizes, uint8_t* dim_order,
               int32_t* strides, void* data, ShapeDynamism dynamism)
    : dtype_(dtype),
      dim_(dim),
      sizes_(sizes),
      dim_order_(dim_order),
      strides_(strides),
      data_(data),
      dynamism_(dynamism) {
  recompute_strides_and_numel();
  capacity_bytes_ = nbytes();
}

bool Tensor::is_contiguous_order() const {
  for (int32_t i = 0; i < dim_; ++i) {
    if (dim_order_[i] != i) return false;
  }
  return true;
}

void Tensor::recompute_strides_and_numel() {
  int64_t n = 1;
  for (int32_t i = 0; i < dim_; ++i) n *= sizes_[i];
  numel_ = n;
  if (strides_ != nullptr) derive_strides(dim_, sizes_, dim_order_, strides_);
}

Error Tensor::resize(Span<const int32_t> new_sizes) {
  EMBER_CHECK(new_sizes.size() == static_cast<size_t>(dim_), Error::InvalidArgument,
              "resize to rank %zu of a rank-%d tensor", new_sizes.size(),
              static_cast<int>(dim_));
  bool same = true;
  for (int32_t i = 0; i < dim_; ++i) same = same && new_sizes[i] == sizes_[i];
  if (same) return Error::Ok;
  EMBER_CHECK(dynamism_ != ShapeDynamism::Static, Error::InvalidArgument,
              "cannot resize a static tensor to other sizes");
  // Check capacity with overflow-safe math before touching the sizes.
  const size_t elem = element_size(dtype_);
  // An empty tensor (a zero size anywhere) needs no bytes, whatever the
  // other sizes' product: e.g. [1, 4, 9, 0] fits a capacity of 0.
  bool empty = false;
  for (int32_t i = 0; i < dim_; ++i) {
    EMBER_CHECK(new_sizes[i] >= 0, Error::InvalidArgument, "negative size %d at dim %d",
                static_cast<int>(new_sizes[i]), static_cast<int>(i));
    empty = empty || new_sizes[i] == 0;
  }
  uint64_t bytes = empty ? 0 : elem;
  for (int32_t i = 0; i < dim_ && !empty; ++i) {
    const uint64_t s = static_cast<uint64_t>(new_sizes[i]);
    if (s != 0 && bytes > capacity_bytes_ / s) {
      bytes = UINT64_MAX;
      break;
    }
    bytes *= s;
  }
  EMBER_CHECK(bytes <= capacity_bytes_, Error::InvalidArgument,
              "resize needs more bytes than the planned capacity of %zu", capacity_bytes_);
  for (int32_t i = 0; i < dim_; ++i) sizes_[i] = new_sizes[i];
  recompute_strides_and_numel();
  return Error::Ok;
}

}  // namespace ember
