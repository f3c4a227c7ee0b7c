// Advanced indexing as in ATen: aten::index.Tensor_out (out = self[indices])
// and aten::index_put.out (out = self, then out[indices] = values, or +=).
//
// `indices` is a Tensor?[] whose entries apply to self's leading dims in
// order; None keeps a dim whole, an int64/int32 tensor indexes one dim, a
// bool (or uint8) mask of rank r indexes r dims (its true positions, in
// row-major order). The index tensors broadcast together to a shape B; the
// indexed region R has shape B in place of the indexed dims when those are
// adjacent, else B followed by the kept dims. index gives R as its result;
// index_put's `values` broadcast to R. Negative indices count from the end;
// any index out of range fails the call before anything is written. With
// accumulate=false a position named twice keeps one of its values; with
// accumulate=true every value is added. index_put's `out` may alias self.
//
// ember::update_cache.out is index_put of one 1-d index tensor at one dim
// (a KV-cache update): out = cache, then out's slice indices[t] along dim =
// value's slice t, each slice a contiguous run of bytes. The memory plan
// makes out the cache itself (a mutable buffer written back), so a decode
// step writes one position per head instead of copying the whole cache.
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

constexpr const char* kIndexOp = "aten::index.Tensor_out";
constexpr const char* kIndexPutOp = "aten::index_put.out";
constexpr const char* kUpdateCacheOp = "ember::update_cache.out";

/// One advanced index: the self dim it selects in, and its int64/int32
/// elements seen with strides over B (0 where broadcast).
struct AdvancedIndex {
  int dim = 0;
  const void* data = nullptr;
  bool is_long = true;
  int ndim = 0;                   ///< own rank, before broadcasting
  int64_t sizes[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};
  int64_t b_strides[kMaxRank] = {};
  int64_t read(int64_t offset) const {
    return is_long ? static_cast<const int64_t*>(data)[offset]
                   : static_cast<const int32_t*>(data)[offset];
  }
};

/// The whole plan of one call, built and checked before anything is written.
struct Plan {
  const char* op = "";
  AdvancedIndex adv[kMaxRank];
  int num_adv = 0;
  int b_ndim = 0;
  int64_t b_sizes[kMaxRank] = {};
  // The region R walked: each of its dims is either a B dim or a kept self dim.
  int r_ndim = 0;
  int64_t r_sizes[kMaxRank] = {};
  int r_b_dim[kMaxRank] = {};     ///< B dim of R dim r, or -1
  int r_self_dim[kMaxRank] = {};  ///< self dim of a kept R dim r, or -1
};

bool add_b_shape(Plan& p, const int64_t* sizes, int ndim) {
  // Broadcast B with another index shape, right-aligned.
  const int n = ndim > p.b_ndim ? ndim : p.b_ndim;
  int64_t merged[kMaxRank];
  for (int d = 0; d < n; ++d) {
    const int db = d - (n - p.b_ndim);
    const int di = d - (n - ndim);
    const int64_t sb = db >= 0 ? p.b_sizes[db] : 1;
    const int64_t si = di >= 0 ? sizes[di] : 1;
    if (sb != si && sb != 1 && si != 1) return false;
    merged[d] = sb == 1 ? si : sb;
  }
  for (int d = 0; d < n; ++d) p.b_sizes[d] = merged[d];
  p.b_ndim = n;
  return true;
}

/// A bool/uint8 mask over self dims [dim, dim + rank): its true positions
/// become `rank` int64 index vectors of length N in temp memory.
bool add_mask(KernelContext& ctx, Plan& p, const Tensor& self, const Tensor& mask, int dim) {
  const int rank = mask.dim();
  if (rank == 0) return kernel_fail(ctx, Error::NotSupported, p.op, "0-d masks are not supported");
  if (dim + rank > self.dim()) {
    return kernel_fail(ctx, Error::InvalidArgument, p.op,
                       "a mask of rank %d at dim %d does not fit " "self of rank %d", rank, dim,
                       static_cast<int>(self.dim()));
  }
  for (int j = 0; j < rank; ++j) {
    if (mask.size(j) != self.size(dim + j)) {
      return kernel_fail(ctx, Error::InvalidArgument, p.op,
                         "mask sizes %s do not match self's sizes " "%s at dim %d",
                         sizes_text(mask.sizes()).text, sizes_text(self.sizes()).text, dim + j);
    }
  }
  if (p.num_adv + rank > kMaxRank) {
    return kernel_fail(ctx, Error::NotSupported, p.op, "too many indices");
  }
  int64_t sizes[kMaxRank], strides[kMaxRank];
  tensor_sizes(mask, sizes);
  tensor_strides(mask, strides);
  const uint8_t* m = mask.data_as<const uint8_t>();  // read as bytes: any nonzero is true
  auto offset_of = [&](int64_t logical, int64_t* index) {
    int64_t off = 0;
    for (int j = rank - 1; j >= 0; --j) {
      index[j] = logical % sizes[j];
      off += index[j] * strides[j];
      logical /= sizes[j];
    }
    return off;
  };
  int64_t index[kMaxRank];
  int64_t count = 0;
  for (int64_t i = 0; i < mask.numel(); ++i) count += m[offset_of(i, index)] != 0;
  int64_t* positions = nullptr;
  if (count > 0) {
    positions = static_cast<int64_t*>(ctx.allocate_temp(
        static_cast<size_t>(count) * static_cast<size_t>(rank) * sizeof(int64_t), 8));
    if (positions == nullptr) {
      return kernel_fail(ctx, Error::MemoryAllocationFailed, p.op,
                         "no temp memory for the %lld true positions of a mask",
                         static_cast<long long>(count));
    }
    int64_t k = 0;
    for (int64_t i = 0; i < mask.numel(); ++i) {
      if (m[offset_of(i, index)] == 0) continue;
      for (int j = 0; j < rank; ++j) positions[j * count + k] = index[j];
      ++k;
    }
  }
  for (int j = 0; j < rank; ++j) {
    AdvancedIndex& a = p.adv[p.num_adv++];
    a.dim = dim + j;
    a.data = positions != nullptr ? positions + j * count : nullptr;
    a.is_long = true;
    a.ndim = 1;
    a.sizes[0] = count;
    a.strides[0] = 1;
  }
  const int64_t n[1] = {count};
  if (!add_b_shape(p, n, 1)) {
    return kernel_fail(ctx, Error::InvalidArgument, p.op,
                       "a mask with %lld true positions does not "
                       "broadcast with the other indices", static_cast<long long>(count));
  }
  return true;
}

/// Steps 1-2: read the indices, compute B and the region R.
bool make_plan(KernelContext& ctx, Plan& p, const Tensor& self, Span<EValue* const> indices) {
  // 1. Index entries over self's leading dims.
  int dim = 0;
  for (size_t k = 0; k < indices.size(); ++k) {
    const EValue* e = indices[k];
    if (dim >= self.dim()) {
      return kernel_fail(ctx, Error::InvalidArgument, p.op, "%zu indices for self of rank %d",
                         indices.size(), static_cast<int>(self.dim()));
    }
    if (e == nullptr || e->is_none()) {
      ++dim;
      continue;
    }
    const Tensor& t = e->to_tensor();
    const ScalarType dt = t.dtype();
    if (dt == ScalarType::Bool || dt == ScalarType::Byte) {
      if (!add_mask(ctx, p, self, t, dim)) return false;
      dim += t.dim();
      continue;
    }
    if (dt != ScalarType::Long && dt != ScalarType::Int) {
      return kernel_fail(ctx, Error::NotSupported, p.op,
                         "index %zu has dtype %s (int64, int32, bool or uint8 expected)", k,
                         scalar_type_name(dt));
    }
    AdvancedIndex& a = p.adv[p.num_adv++];  // at most one per self dim: fits kMaxRank
    a.dim = dim++;
    a.data = t.data();
    a.is_long = dt == ScalarType::Long;
    a.ndim = t.dim();
    tensor_sizes(t, a.sizes);
    tensor_strides(t, a.strides);
    if (!add_b_shape(p, a.sizes, a.ndim)) {
      return kernel_fail(ctx, Error::InvalidArgument, p.op,
                         "index %zu of sizes %s does not broadcast with the other indices", k,
                         sizes_text(t.sizes()).text);
    }
  }
  // 2. Index strides over B, and the region R.
  for (int k = 0; k < p.num_adv; ++k) {
    AdvancedIndex& a = p.adv[k];
    const int lead = p.b_ndim - a.ndim;
    for (int d = 0; d < p.b_ndim; ++d) {
      const int own = d - lead;
      a.b_strides[d] = own < 0 || (a.sizes[own] == 1 && p.b_sizes[d] != 1) ? 0 : a.strides[own];
    }
  }
  bool adjacent = true;
  for (int k = 1; k < p.num_adv; ++k) adjacent = adjacent && p.adv[k].dim == p.adv[k - 1].dim + 1;
  const int b_at = adjacent && p.num_adv > 0 ? p.adv[0].dim : 0;  // where B sits among R's dims
  const int kept = self.dim() - p.num_adv;
  if (p.b_ndim + kept > kMaxRank) {
    return kernel_fail(ctx, Error::NotSupported, p.op,
                       "the indexed region has rank %d (at most %d)", p.b_ndim + kept, kMaxRank);
  }
  p.r_ndim = 0;
  for (int d = 0; d <= self.dim(); ++d) {
    if (d == b_at) {
      for (int b = 0; b < p.b_ndim; ++b) {
        p.r_sizes[p.r_ndim] = p.b_sizes[b];
        p.r_b_dim[p.r_ndim] = b;
        p.r_self_dim[p.r_ndim++] = -1;
      }
    }
    if (d == self.dim()) break;
    bool indexed = false;
    for (int k = 0; k < p.num_adv && !indexed; ++k) indexed = p.adv[k].dim == d;
    if (indexed) continue;
    p.r_sizes[p.r_ndim] = self.size(d);
    p.r_b_dim[p.r_ndim] = -1;
    p.r_self_dim[p.r_ndim++] = d;
  }
  return true;
}

/// Visit every position of an index space (odometer); fn(index) per element.
template <typename F>
void for_each_index(int ndim, const int64_t* sizes, F fn) {
  for (int d = 0; d < ndim; ++d) {
    if (sizes[d] == 0) return;
  }
  int64_t index[kMaxRank] = {};
  for (;;) {
    fn(index);
    int d = ndim - 1;
    for (; d >= 0; --d) {
      if (++index[d] < sizes[d]) break;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

/// Step 3: every index in range (checked over each index tensor before any write).
bool check_indices(KernelContext& ctx, const Plan& p, const Tensor& self) {
  bool ok = true;
  for (int k = 0; k < p.num_adv && ok; ++k) {
    const AdvancedIndex& a = p.adv[k];
    const int64_t size = self.size(a.dim);
    for_each_index(a.ndim, a.sizes, [&](const int64_t* index) {
      if (!ok) return;
      int64_t off = 0;
      for (int d = 0; d < a.ndim; ++d) off += index[d] * a.strides[d];
      const int64_t v = a.read(off);
      if (v < -size || v >= size) {
        ok = kernel_fail(ctx, Error::InvalidArgument, p.op,
                         "index %lld is out of bounds for dim %d of size %lld",
                         static_cast<long long>(v), a.dim, static_cast<long long>(size));
      }
    });
  }
  return ok;
}

/// The element offset in `t` (self, or out of self's sizes) of region
/// position r. Every index is checked again as it is used: in a corrupted
/// program an index tensor may share memory with `out`, so writes can change
/// indices checked before. False (with the bad index and its dim) if one is
/// now out of range.
bool region_offset(const Plan& p, const int64_t* r, const Tensor& t, int64_t* offset,
                   int64_t* bad, int* bad_dim) {
  int64_t off = 0;
  int64_t b_index[kMaxRank];
  for (int d = 0; d < p.r_ndim; ++d) {
    if (p.r_b_dim[d] >= 0) {
      b_index[p.r_b_dim[d]] = r[d];
    } else {
      off += r[d] * t.stride(p.r_self_dim[d]);
    }
  }
  for (int k = 0; k < p.num_adv; ++k) {
    const AdvancedIndex& a = p.adv[k];
    int64_t a_off = 0;
    for (int d = 0; d < p.b_ndim; ++d) a_off += b_index[d] * a.b_strides[d];
    int64_t i = a.read(a_off);
    const int64_t size = t.size(a.dim);
    if (i < -size || i >= size) {
      *bad = i;
      *bad_dim = a.dim;
      return false;
    }
    if (i < 0) i += size;
    off += i * t.stride(a.dim);
  }
  *offset = off;
  return true;
}

/// index: out (of R's sizes, any dim order) = self at every region position.
/// T is an unsigned type of the element size: elements are copied as bytes.
/// Returns the first bad index's dim, or -1 when all were in range.
template <typename T>
int gather_region(const Plan& p, const Tensor& self, Tensor& out, int64_t* bad) {
  const T* src = static_cast<const T*>(self.data());
  T* dst = static_cast<T*>(out.mutable_data());
  int bad_dim = -1;
  for_each_index(p.r_ndim, p.r_sizes, [&](const int64_t* r) {
    if (bad_dim >= 0) return;
    int64_t src_off = 0;
    if (!region_offset(p, r, self, &src_off, bad, &bad_dim)) return;
    int64_t out_off = 0;
    for (int d = 0; d < p.r_ndim; ++d) out_off += r[d] * out.stride(d);
    dst[out_off] = src[src_off];
  });
  return bad_dim;
}

/// index_put's values broadcast to R: their strides over R (0 where broadcast).
bool values_strides(KernelContext& ctx, const Plan& p, const Tensor& values, int64_t* strides) {
  bool fits = values.dim() <= p.r_ndim;
  for (int d = 0; fits && d < values.dim(); ++d) {
    const int64_t s = values.size(d);
    fits = s == 1 || s == p.r_sizes[d + p.r_ndim - values.dim()];
  }
  if (!fits) {
    return kernel_fail(ctx, Error::InvalidArgument, p.op,
                       "values of sizes %s do not broadcast to the indexed region %s",
                       sizes_text(values.sizes()).text, sizes_text(p.r_sizes, p.r_ndim).text);
  }
  const int lead = p.r_ndim - values.dim();
  for (int d = 0; d < p.r_ndim; ++d) {
    const int vd = d - lead;
    strides[d] = vd < 0 || (values.size(vd) == 1 && p.r_sizes[d] != 1) ? 0 : values.stride(vd);
  }
  return true;
}

/// Wrapping integer addition (no signed overflow), bool as "or".
template <typename T>
T accumulate_value(T a, T b) {
  if constexpr (std::is_same<T, bool>::value) {
    return a || b;
  } else if constexpr (std::is_integral<T>::value) {
    using U = typename std::make_unsigned<T>::type;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}

/// index_put's step 6: scatter values into out over R. Returns the first bad
/// index's dim, or -1 when all were in range.
template <typename T>
int scatter_region(const Plan& p, const Tensor& values, const int64_t* val_strides, Tensor& out,
                   bool accumulate, int64_t* bad) {
  const T* v = values.data_as<const T>();
  T* o = out.data_as<T>();
  int bad_dim = -1;
  for_each_index(p.r_ndim, p.r_sizes, [&](const int64_t* r) {
    if (bad_dim >= 0) return;
    int64_t out_off = 0;
    if (!region_offset(p, r, out, &out_off, bad, &bad_dim)) return;
    int64_t val_off = 0;
    for (int d = 0; d < p.r_ndim; ++d) val_off += r[d] * val_strides[d];
    const T value = load(v + val_off);
    o[out_off] = accumulate ? accumulate_value<T>(load(o + out_off), value) : value;
  });
  return bad_dim;
}

}  // namespace

void index_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, kIndexOp, 4);
  Tensor* self = r.tensor(0, "self");
  Span<EValue* const> indices = r.optional_tensor_list(1, "indices");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, kIndexOp, "out", *out, self->dtype())) return;
  // 1-3. The plan and every index checked, before anything is written.
  Plan plan;
  plan.op = kIndexOp;
  if (!make_plan(ctx, plan, *self, indices)) return;
  if (!check_indices(ctx, plan, *self)) return;
  // 4. out takes R's sizes; copy each element as bytes of its size.
  if (!resize_out(ctx, kIndexOp, "out", *out, plan.r_sizes, plan.r_ndim)) return;
  int bad_dim = -1;
  int64_t bad = 0;
  switch (element_size(self->dtype())) {
    case 1: bad_dim = gather_region<uint8_t>(plan, *self, *out, &bad); break;
    case 2: bad_dim = gather_region<uint16_t>(plan, *self, *out, &bad); break;
    case 4: bad_dim = gather_region<uint32_t>(plan, *self, *out, &bad); break;
    case 8: bad_dim = gather_region<uint64_t>(plan, *self, *out, &bad); break;
    default:
      EMBER_KERNEL_CHECK(ctx, false, NotSupported, kIndexOp, "dtype %s is not supported",
                         scalar_type_name(self->dtype()));
  }
  EMBER_KERNEL_CHECK(ctx, bad_dim < 0, InvalidArgument, kIndexOp,
                     "index %lld for dim %d changed while writing (an index tensor shares "
                     "memory with out) and is out of bounds",
                     static_cast<long long>(bad), bad_dim);
}

void index_put_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, kIndexPutOp, 6);
  Tensor* self = r.tensor(0, "self");
  Span<EValue* const> indices = r.optional_tensor_list(1, "indices");
  Tensor* values = r.tensor(2, "values");
  const bool accumulate = r.boolean(3, "accumulate");
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, values->dtype() == self->dtype() && out->dtype() == self->dtype(),
                     InvalidArgument, kIndexPutOp,
                     "self (%s), values (%s) and out (%s) must share a dtype",
                     scalar_type_name(self->dtype()), scalar_type_name(values->dtype()),
                     scalar_type_name(out->dtype()));
  EMBER_KERNEL_CHECK(ctx, element_size(self->dtype()) != 0, NotSupported, kIndexPutOp, "dtype %s",
                     scalar_type_name(self->dtype()));
  // 4. out = self (unless it already is self), with self's sizes.
  int64_t sizes[kMaxRank], s_self[kMaxRank], s_out[kMaxRank];
  tensor_sizes(*self, sizes);
  if (!resize_out(ctx, kIndexPutOp, "out", *out, sizes, self->dim())) return;
  const bool in_place = out->data() == self->data();
  if (in_place) {
    for (int32_t d = 0; d < self->dim(); ++d) {
      EMBER_KERNEL_CHECK(ctx, out->dim_order()[d] == self->dim_order()[d], NotSupported,
                         kIndexPutOp, "out aliases self with another dim order");
    }
  }
  // 1-3. The plan, values' fit and every index checked, before anything is written.
  Plan plan;
  plan.op = kIndexPutOp;
  int64_t val_strides[kMaxRank];
  if (!make_plan(ctx, plan, *self, indices)) return;
  if (!values_strides(ctx, plan, *values, val_strides)) return;
  if (!check_indices(ctx, plan, *self)) return;
  if (!in_place) {
    tensor_strides(*self, s_self);
    tensor_strides(*out, s_out);
    copy_strided(self->dim(), sizes, self->data(), s_self, out->mutable_data(), s_out,
                 element_size(self->dtype()));
  }
  // 5. Scatter (or accumulate) values over R.
  bool supported = true;
  int bad_dim = -1;
  int64_t bad = 0;
  EMBER_SWITCH_ALL(self->dtype(), supported = false,
                   (bad_dim = scatter_region<CTYPE>(plan, *values, val_strides, *out, accumulate,
                                                    &bad)));
  EMBER_KERNEL_CHECK(ctx, supported, NotSupported, kIndexPutOp, "dtype %s is not supported",
                     scalar_type_name(self->dtype()));
  EMBER_KERNEL_CHECK(ctx, bad_dim < 0, InvalidArgument, kIndexPutOp,
                     "index %lld for dim %d changed while writing (an index tensor shares "
                     "memory with out) and is out of bounds",
                     static_cast<long long>(bad), bad_dim);
}

void update_cache_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, kUpdateCacheOp, 6);
  Tensor* cache = r.tensor(0, "cache");
  Tensor* indices = r.tensor(1, "indices");
  Tensor* value = r.tensor(2, "value");
  const int64_t dim_arg = r.integer(3, "dim");
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;
  const char* op = kUpdateCacheOp;
  const int rank = cache->dim();
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, rank > 0 && normalize_dim(dim_arg, rank, &dim), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d cache",
                     static_cast<long long>(dim_arg), rank);
  EMBER_KERNEL_CHECK(ctx, value->dtype() == cache->dtype() && out->dtype() == cache->dtype(),
                     InvalidArgument, op, "cache (%s), value (%s) and out (%s) must share a dtype",
                     scalar_type_name(cache->dtype()), scalar_type_name(value->dtype()),
                     scalar_type_name(out->dtype()));
  const size_t elem = element_size(cache->dtype());
  EMBER_KERNEL_CHECK(ctx, elem != 0, NotSupported, op, "dtype %s",
                     scalar_type_name(cache->dtype()));
  const bool is_long = indices->dtype() == ScalarType::Long;
  EMBER_KERNEL_CHECK(ctx, indices->dim() == 1 && (is_long || indices->dtype() == ScalarType::Int),
                     InvalidArgument, op, "indices must be a 1-d int64 or int32 tensor, got %s %s",
                     scalar_type_name(indices->dtype()), sizes_text(indices->sizes()).text);
  const int64_t n = indices->size(0);
  bool fits = value->dim() == rank;
  for (int d = 0; fits && d < rank; ++d)
    fits = value->size(d) == (d == dim ? n : cache->size(d));
  EMBER_KERNEL_CHECK(ctx, fits, InvalidArgument, op,
                     "value of sizes %s does not fit the cache %s with %lld indices along dim %lld",
                     sizes_text(value->sizes()).text, sizes_text(cache->sizes()).text,
                     static_cast<long long>(n), static_cast<long long>(dim));
  if (!check_contiguous(ctx, op, "cache", *cache) || !check_contiguous(ctx, op, "value", *value))
    return;
  int64_t sizes[kMaxRank];
  tensor_sizes(*cache, sizes);
  if (!resize_out(ctx, op, "out", *out, sizes, rank)) return;
  if (!check_contiguous(ctx, op, "out", *out)) return;
  auto position = [&](int64_t t) -> int64_t {
    return is_long ? indices->data_as<const int64_t>()[t] : indices->data_as<const int32_t>()[t];
  };
  // Every index in range before anything is written.
  const int64_t len = cache->size(dim);
  for (int64_t t = 0; t < n; ++t) {
    const int64_t i = position(t);
    EMBER_KERNEL_CHECK(ctx, i >= -len && i < len, InvalidArgument, op,
                       "index %lld is out of bounds for dim %lld of size %lld",
                       static_cast<long long>(i), static_cast<long long>(dim),
                       static_cast<long long>(len));
  }
  // Out of place unless the plan made out the cache (both are planned
  // memory; memmove keeps a file that overlaps them partly in bounds).
  if (out->data() != cache->data()) {
    std::memmove(out->mutable_data(), cache->data(), cache->nbytes());
  }
  // outer x [len or n] x inner: slice t of value goes to slice indices[t].
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= sizes[d];
  for (int d = static_cast<int>(dim) + 1; d < rank; ++d) inner *= sizes[d];
  const size_t slice = static_cast<size_t>(inner) * elem;
  const uint8_t* src = static_cast<const uint8_t*>(value->data());
  uint8_t* dst = static_cast<uint8_t*>(out->mutable_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t t = 0; t < n; ++t) {
      int64_t i = position(t);
      if (i < 0) i += len;
      std::memmove(dst + static_cast<size_t>(o * len + i) * slice,
                   src + static_cast<size_t>(o * n + t) * slice, slice);
    }
  }
}

}  // namespace portable
}  // namespace ember
