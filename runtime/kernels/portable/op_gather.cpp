// Ops that pick or place entries along one dim by an int64/int32 index
// tensor: index_select, embedding, gather and the scatter family (scatter
// with a src tensor or a scalar value, scatter_add, scatter.reduce and
// scatter_reduce.two).
//
// As in ATen (CPU), indices must lie in [0, size): a negative index is out of
// range here. Every index is checked before anything is written, so a bad one
// fails the call and leaves `out` untouched; indices are checked again as they
// are used, because in a corrupted program an index tensor may share memory
// with `out`. Tensors may use any dim order: the kernels walk strides.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// The elements of an int64/int32 index tensor, read as int64.
struct IndexData {
  const void* data = nullptr;
  bool is_long = true;
  int64_t read(int64_t offset) const {
    return is_long ? static_cast<const int64_t*>(data)[offset]
                   : static_cast<const int32_t*>(data)[offset];
  }
};

/// Check that `index` is int64 or int32 and every element lies in [0, size).
/// A tensor's elements fill data[0, numel) whatever its dim order, so a flat
/// scan sees each one. Logs the first bad element.
bool check_index(KernelContext& ctx, const char* op, const Tensor& index, int64_t size,
                 int64_t dim) {
  const ScalarType dt = index.dtype();
  if (dt != ScalarType::Long && dt != ScalarType::Int) {
    return kernel_fail(ctx, Error::NotSupported, op, "index has dtype %s (int64 or int32 expected)",
                       scalar_type_name(dt));
  }
  const IndexData idx{index.data(), dt == ScalarType::Long};
  for (int64_t i = 0; i < index.numel(); ++i) {
    const int64_t v = idx.read(i);
    if (v < 0 || v >= size) {
      return kernel_fail(ctx, Error::InvalidArgument, op,
                         "index %lld is out of bounds for dim %lld of size %lld",
                         static_cast<long long>(v), static_cast<long long>(dim),
                         static_cast<long long>(size));
    }
  }
  return true;
}

/// Fail for an index that was in range when checked but is not when used.
void fail_changed(KernelContext& ctx, const char* op, int64_t bad) {
  kernel_fail(ctx, Error::InvalidArgument, op,
              "index %lld changed while writing (the index tensor shares memory with "
              "out) and is out of bounds", static_cast<long long>(bad));
}

/// Sizes and strides of `t` with a 0-d tensor seen as [1] (ATen treats a
/// scalar as one element along dim 0 in gather and scatter). Returns the rank.
int dims_of(const Tensor& t, int64_t* sizes, int64_t* strides) {
  if (t.dim() == 0) {
    sizes[0] = 1;
    strides[0] = 0;
    return 1;
  }
  tensor_sizes(t, sizes);
  tensor_strides(t, strides);
  return t.dim();
}

/// Copy `src`'s slice at position i of dim `dim` into `dst`'s slice at
/// position j of the same dim (same dtype; the other dims match).
void copy_slice(const Tensor& src, int dim, int64_t i, Tensor& dst, int64_t j) {
  int64_t sizes[kMaxRank], s_src[kMaxRank], s_dst[kMaxRank];
  int n = 0;
  for (int d = 0; d < src.dim(); ++d) {
    if (d == dim) continue;
    sizes[n] = src.size(d);
    s_src[n] = src.stride(d);
    s_dst[n++] = dst.stride(d);
  }
  const size_t elem = element_size(src.dtype());
  const int64_t src_off = src.dim() == 0 ? 0 : i * src.stride(dim);
  const int64_t dst_off = dst.dim() == 0 ? 0 : j * dst.stride(dim);
  copy_strided(n, sizes, static_cast<const uint8_t*>(src.data()) + src_off * elem, s_src,
               static_cast<uint8_t*>(dst.mutable_data()) + dst_off * elem, s_dst, elem);
}

/// gather's step 3 with elements moved as T (an unsigned type of their
/// size): the loop walks index, out and self (without dim); each index adds
/// its offset along dim. False (with the bad index) if one is out of range
/// when used.
template <typename T>
bool gather_elements(const StridedLoop& loop, const IndexData& idx, int64_t dim_size,
                     int64_t dim_stride, const Tensor& self, Tensor& out, int64_t* bad) {
  const T* src = static_cast<const T*>(self.data());
  T* dst = static_cast<T*>(out.mutable_data());
  bool ok = true;
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n && ok; ++i) {
      const int64_t k = idx.read(off[0] + i * st[0]);
      if (k < 0 || k >= dim_size) {
        *bad = k;
        ok = false;
        return;
      }
      dst[off[1] + i * st[1]] = src[off[2] + i * st[2] + k * dim_stride];
    }
  });
  return ok;
}

// --- scatter's reductions ------------------------------------------------

enum class Reduce { Assign, Add, Mul, Mean, Max, Min };

/// a (op) b without undefined behaviour: integers wrap, bools are or/and,
/// floats compute in float (Half/BFloat16) or their own type; max and min
/// propagate NaN as torch does.
template <typename T>
T combine(Reduce r, T a, T b) {
  if (r == Reduce::Assign) return b;
  if constexpr (std::is_same<T, bool>::value) {
    return r == Reduce::Mul || r == Reduce::Min ? (a && b) : (a || b);
  } else if constexpr (std::is_integral<T>::value) {
    const uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    switch (r) {
      case Reduce::Mul: return static_cast<T>(ua * ub);
      case Reduce::Max: return a < b ? b : a;
      case Reduce::Min: return b < a ? b : a;
      default: return static_cast<T>(ua + ub);  // Add, Mean
    }
  } else {
    using F = typename std::conditional<std::is_same<T, double>::value, double, float>::type;
    const F fa = static_cast<F>(a), fb = static_cast<F>(b);
    switch (r) {
      case Reduce::Mul: return static_cast<T>(fa * fb);
      case Reduce::Max: return fb != fb ? b : (fa < fb ? b : a);  // NaN wins
      case Reduce::Min: return fb != fb ? b : (fb < fa ? b : a);
      default: return static_cast<T>(fa + fb);
    }
  }
}

/// Where include_self=false starts: the identity of the reduction.
template <typename T>
T identity(Reduce r) {
  using Lim = std::numeric_limits<T>;
  if constexpr (std::is_same<T, bool>::value) {
    return r == Reduce::Mul || r == Reduce::Min;
  } else if constexpr (std::is_integral<T>::value) {
    return r == Reduce::Mul ? T(1) : r == Reduce::Max ? Lim::lowest()
                                   : r == Reduce::Min ? Lim::max() : T(0);
  } else {
    return r == Reduce::Mul ? T(1.0f) : r == Reduce::Max ? T(-INFINITY)
                                      : r == Reduce::Min ? T(INFINITY) : T(0.0f);
  }
}

/// sum / count for mean: floor division for integers (as torch), float
/// division otherwise. count >= 1.
template <typename T>
T mean_of(T sum, int64_t count) {
  if constexpr (std::is_integral<T>::value) {
    const int64_t s = static_cast<int64_t>(sum);
    int64_t q = s / count;
    if (s % count != 0 && s < 0) --q;
    return static_cast<T>(q);
  } else if constexpr (std::is_same<T, double>::value) {
    return sum / static_cast<double>(count);
  } else {
    return static_cast<T>(static_cast<float>(sum) / static_cast<float>(count));
  }
}

/// One scatter call, checked: out (already a copy of self) receives src (or
/// a scalar seen as src with zero strides) at index along dim.
struct Scatter {
  const char* op = "";
  int dim = 0;
  Reduce reduce = Reduce::Assign;
  bool include_self = true;
  IndexData index;
  int ndim = 0;  ///< index's rank (0-d as 1)
  int64_t sizes[kMaxRank] = {};
  int64_t index_strides[kMaxRank] = {};
  int64_t src_strides[kMaxRank] = {};
  int64_t out_strides[kMaxRank] = {};  ///< out's strides, 0 at dim
  int64_t out_dim_stride = 0;
  int64_t out_dim_size = 1;

  /// fn(out_offset, src_offset) for each index element in row-major order;
  /// false (with the bad index) if an index is out of range when used.
  template <typename F>
  bool walk(F fn, int64_t* bad) const {
    const int64_t* strides[3] = {index_strides, src_strides, out_strides};
    StridedLoop loop;
    loop.init(ndim, sizes, 3, strides);
    bool ok = true;
    loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
      for (int64_t i = 0; i < n && ok; ++i) {
        const int64_t k = index.read(off[0] + i * st[0]);
        if (k < 0 || k >= out_dim_size) {
          *bad = k;
          ok = false;
          return;
        }
        fn(off[2] + i * st[2] + k * out_dim_stride, off[1] + i * st[1]);
      }
    });
    return ok;
  }
};

/// The reductions of a scatter into out, over T. Mean divides by the number
/// of values each position received (plus one with include_self), counted
/// in temp memory, or by rescanning the index (quadratic) without it.
template <typename T>
bool scatter_values(KernelContext& ctx, const Scatter& s, const T* src, Tensor& out,
                    int64_t* bad) {
  T* o = out.data_as<T>();
  if (!s.include_self) {
    const T init = identity<T>(s.reduce);
    if (!s.walk([&](int64_t oo, int64_t) { o[oo] = init; }, bad)) return false;
  }
  if (!s.walk([&](int64_t oo, int64_t so) { o[oo] = combine<T>(s.reduce, load(o + oo),
                                                               load(src + so)); }, bad)) {
    return false;
  }
  if (s.reduce != Reduce::Mean) return true;
  const int64_t base = s.include_self ? 1 : 0;
  int64_t* counts = static_cast<int64_t*>(
      ctx.allocate_temp(static_cast<size_t>(out.numel()) * sizeof(int64_t), 8));
  if (counts != nullptr) {
    for (int64_t i = 0; i < out.numel(); ++i) counts[i] = 0;
    if (!s.walk([&](int64_t oo, int64_t) { ++counts[oo]; }, bad)) return false;
    for (int64_t i = 0; i < out.numel(); ++i) {
      if (counts[i] > 0) o[i] = mean_of<T>(o[i], counts[i] + base);
    }
    return true;
  }
  // Without scratch: divide each position once, the first time it is met.
  int64_t e = 0;
  return s.walk([&](int64_t oo, int64_t) {
    int64_t e2 = 0, count = 0;
    bool first = true;
    s.walk([&](int64_t other, int64_t) {
      if (other == oo) {
        first = first && e2 >= e;
        ++count;
      }
      ++e2;
    }, bad);
    if (first) o[oo] = mean_of<T>(o[oo], count + base);
    ++e;
  }, bad);
}

/// Steps 1-4 of every scatter: dtypes, ranks and sizes, every index in
/// range, then out = self (unless out is self). `src` is null for a scalar.
bool prepare_scatter(KernelContext& ctx, Scatter& s, const Tensor& self, int64_t dim_arg,
                     const Tensor& index, const Tensor* src, Tensor& out) {
  const char* op = s.op;
  // 1. dtypes and dim.
  if (!check_dtype(ctx, op, "out", out, self.dtype())) return false;
  if (src != nullptr && !check_dtype(ctx, op, "src", *src, self.dtype())) return false;
  if (element_size(self.dtype()) == 0) {
    return kernel_fail(ctx, Error::NotSupported, op, "dtype %s is not supported",
                       scalar_type_name(self.dtype()));
  }
  int64_t dim = 0;
  if (!normalize_dim(dim_arg, self.dim(), &dim)) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "dim %lld is out of range for a %d-d tensor",
                       static_cast<long long>(dim_arg), static_cast<int>(self.dim()));
  }
  // 2. index has self's (and src's) rank and fits inside both.
  int64_t self_sizes[kMaxRank], self_strides[kMaxRank], src_sizes[kMaxRank] = {};
  const int ndim = dims_of(self, self_sizes, self_strides);
  s.ndim = dims_of(index, s.sizes, s.index_strides);
  int src_ndim = ndim;
  if (src != nullptr) src_ndim = dims_of(*src, src_sizes, s.src_strides);
  bool fits = s.ndim == ndim && src_ndim == ndim;
  for (int d = 0; fits && d < ndim; ++d) {
    fits = (d == dim || s.sizes[d] <= self_sizes[d]) &&
           (src == nullptr || s.sizes[d] <= src_sizes[d]);
  }
  if (!fits) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "index of sizes %s must have self's rank and be no larger than src %s "
                       "and (apart from dim %lld) self %s", sizes_text(index.sizes()).text,
                       src != nullptr ? sizes_text(src->sizes()).text : "(a scalar)",
                       static_cast<long long>(dim), sizes_text(self.sizes()).text);
  }
  if (src == nullptr) {
    for (int d = 0; d < ndim; ++d) s.src_strides[d] = 0;
  }
  // 3. Every index in range, before anything is written.
  if (!check_index(ctx, op, index, self_sizes[dim], dim)) return false;
  // 4. out = self.
  int64_t sizes[kMaxRank], s_out[kMaxRank];
  tensor_sizes(self, sizes);
  if (!resize_out(ctx, op, "out", out, sizes, self.dim())) return false;
  if (out.data() == self.data()) {
    for (int32_t d = 0; d < self.dim(); ++d) {
      if (out.dim_order()[d] != self.dim_order()[d]) {
        return kernel_fail(ctx, Error::NotSupported, op, "out aliases self with another dim order");
      }
    }
  } else {
    tensor_strides(self, self_strides);
    tensor_strides(out, s_out);
    copy_strided(self.dim(), sizes, self.data(), self_strides, out.mutable_data(), s_out,
                 element_size(self.dtype()));
  }
  s.dim = static_cast<int>(dim);
  s.index = IndexData{index.data(), index.dtype() == ScalarType::Long};
  int64_t out_sizes[kMaxRank];
  dims_of(out, out_sizes, s.out_strides);
  s.out_dim_stride = s.out_strides[dim];
  s.out_dim_size = out_sizes[dim];
  s.out_strides[dim] = 0;
  return true;
}

/// Step 5 of the scatters with a src tensor: reduce src into out over T.
void scatter_src(KernelContext& ctx, const Scatter& s, const Tensor& src, Tensor& out) {
  bool supported = true, ok = true;
  int64_t bad = 0;
  EMBER_SWITCH_ALL(out.dtype(), supported = false,
                   ok = scatter_values<CTYPE>(ctx, s, src.data_as<const CTYPE>(), out, &bad));
  EMBER_KERNEL_CHECK(ctx, supported, NotSupported, s.op, "dtype %s is not supported",
                     scalar_type_name(out.dtype()));
  if (!ok) fail_changed(ctx, s.op, bad);
}

/// Read the arguments every scatter with a src tensor shares and run it.
void scatter_with_src(KernelContext& ctx, Span<EValue*> args, const char* op, size_t count,
                      Reduce reduce, bool has_reduce_arg, bool has_include_self) {
  ArgReader r(ctx, args, op, count);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim = r.integer(1, "dim");
  Tensor* index = r.tensor(2, "index");
  Tensor* src = r.tensor(3, "src");
  Scatter s;
  s.op = op;
  s.reduce = reduce;
  size_t next = 4;
  if (has_reduce_arg) {
    Span<const char> name;
    if (!r.optional_string(next++, "reduce", &name) && r.ok()) {
      r.fail(Error::InvalidArgument, "reduce must be a string");
    }
    struct Name {
      const char* text;
      Reduce reduce;
    };
    // scatter.reduce takes add/multiply, scatter_reduce.two sum/prod/mean/amax/amin.
    static const Name kReduce[] = {{"add", Reduce::Add}, {"multiply", Reduce::Mul}};
    static const Name kReduceTwo[] = {{"sum", Reduce::Add}, {"prod", Reduce::Mul},
                                      {"mean", Reduce::Mean}, {"amax", Reduce::Max},
                                      {"amin", Reduce::Min}};
    const Name* names = has_include_self ? kReduceTwo : kReduce;
    const size_t n = has_include_self ? 5 : 2;
    bool found = false;
    for (size_t i = 0; i < n && r.ok(); ++i) {
      if (string_equals(name, names[i].text)) {
        s.reduce = names[i].reduce;
        found = true;
      }
    }
    if (r.ok() && !found) {
      r.fail(Error::InvalidArgument, "unknown reduce \"%.*s\" (expected %s)",
             static_cast<int>(name.size()), name.data(),
             has_include_self ? "sum, prod, mean, amax or amin" : "add or multiply");
    }
  }
  if (has_include_self) s.include_self = r.boolean(next++, "include_self");
  Tensor* out = r.tensor(next, "out");
  if (!r.ok()) return;
  EMBER_KERNEL_CHECK(ctx, !(s.reduce == Reduce::Mean && self->dtype() == ScalarType::Bool),
                     NotSupported, op, "reduce=\"mean\" is not supported for bool");
  if (!prepare_scatter(ctx, s, *self, dim, *index, src, *out)) return;
  scatter_src(ctx, s, *src, *out);
}

}  // namespace

void scatter_src_out(KernelContext& ctx, Span<EValue*> args) {
  scatter_with_src(ctx, args, "aten::scatter.src_out", 6, Reduce::Assign, false, false);
}

void scatter_add_out(KernelContext& ctx, Span<EValue*> args) {
  scatter_with_src(ctx, args, "aten::scatter_add.out", 6, Reduce::Add, false, false);
}

void scatter_reduce_out(KernelContext& ctx, Span<EValue*> args) {
  scatter_with_src(ctx, args, "aten::scatter.reduce_out", 7, Reduce::Assign, true, false);
}

void scatter_reduce_two_out(KernelContext& ctx, Span<EValue*> args) {
  scatter_with_src(ctx, args, "aten::scatter_reduce.two_out", 8, Reduce::Assign, true, true);
}

void scatter_value_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::scatter.value_out";
  ArgReader r(ctx, args, op, 6);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim = r.integer(1, "dim");
  Tensor* index = r.tensor(2, "index");
  const Scalar value_arg = r.scalar(3, "value");  // converted once the dtype is known
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;
  Scatter s;
  s.op = op;
  bool supported = true;
  EMBER_SWITCH_ALL(self->dtype(), supported = false, {
    CTYPE value{};
    if (!scalar_arg_to(ctx, op, "value", value_arg, &value)) return;
    if (!prepare_scatter(ctx, s, *self, dim, *index, nullptr, *out)) return;
    int64_t bad = 0;
    if (!scatter_values<CTYPE>(ctx, s, &value, *out, &bad)) return fail_changed(ctx, op, bad);
  });
  EMBER_KERNEL_CHECK(ctx, supported, NotSupported, op, "dtype %s is not supported",
                     scalar_type_name(self->dtype()));
}

void gather_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::gather.out";
  ArgReader r(ctx, args, op, 6);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  Tensor* index = r.tensor(2, "index");
  r.boolean(3, "sparse_grad");  // a gradient hint: no effect on the result
  Tensor* out = r.tensor(4, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "out", *out, self->dtype())) return;
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, normalize_dim(dim_arg, self->dim(), &dim), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), static_cast<int>(self->dim()));
  // 1. index has self's rank and (apart from dim) fits inside it.
  int64_t self_sizes[kMaxRank], self_strides[kMaxRank], sizes[kMaxRank], idx_strides[kMaxRank];
  const int ndim = dims_of(*self, self_sizes, self_strides);
  bool fits = dims_of(*index, sizes, idx_strides) == ndim;
  for (int d = 0; fits && d < ndim; ++d) fits = d == dim || sizes[d] <= self_sizes[d];
  EMBER_KERNEL_CHECK(ctx, fits, InvalidArgument, op,
                     "index of sizes %s must have self's rank and be no larger than self %s "
                     "apart from dim %lld", sizes_text(index->sizes()).text,
                     sizes_text(self->sizes()).text, static_cast<long long>(dim));
  // 2. Every index in range; out takes index's sizes.
  if (!check_index(ctx, op, *index, self_sizes[dim], dim)) return;
  int64_t out_sizes[kMaxRank], out_strides[kMaxRank];
  tensor_sizes(*index, out_sizes);
  if (!resize_out(ctx, op, "out", *out, out_sizes, index->dim())) return;
  dims_of(*out, out_sizes, out_strides);
  // 3. Walk index, out and self together (self without dim), adding the
  //    index's offset along dim.
  const int64_t dim_stride = self_strides[dim];
  const int64_t dim_size = self_sizes[dim];
  self_strides[dim] = 0;
  const int64_t* strides[3] = {idx_strides, out_strides, self_strides};
  StridedLoop loop;
  loop.init(ndim, sizes, 3, strides);
  const IndexData idx{index->data(), index->dtype() == ScalarType::Long};
  bool ok = true;
  int64_t bad = 0;
  const int64_t n = dim_size, step = dim_stride;
  switch (element_size(self->dtype())) {
    case 1: ok = gather_elements<uint8_t>(loop, idx, n, step, *self, *out, &bad); break;
    case 2: ok = gather_elements<uint16_t>(loop, idx, n, step, *self, *out, &bad); break;
    case 4: ok = gather_elements<uint32_t>(loop, idx, n, step, *self, *out, &bad); break;
    case 8: ok = gather_elements<uint64_t>(loop, idx, n, step, *self, *out, &bad); break;
    default:
      EMBER_KERNEL_CHECK(ctx, false, NotSupported, op, "dtype %s is not supported",
                         scalar_type_name(self->dtype()));
  }
  if (!ok) fail_changed(ctx, op, bad);
}

void index_select_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::index_select.out";
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  Tensor* index = r.tensor(2, "index");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "out", *out, self->dtype())) return;
  EMBER_KERNEL_CHECK(ctx, element_size(self->dtype()) != 0, NotSupported, op,
                     "dtype %s is not supported", scalar_type_name(self->dtype()));
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, normalize_dim(dim_arg, self->dim(), &dim), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), static_cast<int>(self->dim()));
  EMBER_KERNEL_CHECK(ctx, index->dim() <= 1, InvalidArgument, op,
                     "index must be 0-d or 1-d, got sizes %s",
                     sizes_text(index->sizes()).text);
  EMBER_KERNEL_CHECK(ctx, self->dim() > 0 || index->numel() == 1, InvalidArgument, op,
                     "an index into a 0-d self must have one element, got %lld",
                     static_cast<long long>(index->numel()));
  const int64_t size = self->dim() == 0 ? 1 : self->size(static_cast<int>(dim));
  if (!check_index(ctx, op, *index, size, dim)) return;
  int64_t sizes[kMaxRank];
  tensor_sizes(*self, sizes);
  if (self->dim() > 0) sizes[dim] = index->numel();
  if (!resize_out(ctx, op, "out", *out, sizes, self->dim())) return;
  // One slice per index element (a 1-d index's elements are dense: read flat).
  const IndexData idx{index->data(), index->dtype() == ScalarType::Long};
  for (int64_t j = 0; j < index->numel(); ++j) {
    const int64_t k = idx.read(j);
    if (k < 0 || k >= size) return fail_changed(ctx, op, k);
    copy_slice(*self, static_cast<int>(dim), k, *out, j);
  }
}

void embedding_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::embedding.out";
  ArgReader r(ctx, args, op, 7);
  Tensor* weight = r.tensor(0, "weight");
  Tensor* indices = r.tensor(1, "indices");
  r.integer(2, "padding_idx");  // padding_idx, scale_grad_by_freq and sparse only
  r.boolean(3, "scale_grad_by_freq");  // shape the gradient: the forward ignores them
  r.boolean(4, "sparse");
  Tensor* out = r.tensor(5, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, op, "out", *out, weight->dtype())) return;
  EMBER_KERNEL_CHECK(ctx, element_size(weight->dtype()) != 0, NotSupported, op,
                     "dtype %s is not supported", scalar_type_name(weight->dtype()));
  EMBER_KERNEL_CHECK(ctx, weight->dim() == 2, InvalidArgument, op,
                     "weight must be 2-d, got sizes %s",
                     sizes_text(weight->sizes()).text);
  EMBER_KERNEL_CHECK(ctx, indices->dim() < kMaxRank, NotSupported, op,
                     "indices of rank %d leave no room for the embedding dim",
                     static_cast<int>(indices->dim()));
  if (!check_index(ctx, op, *indices, weight->size(0), 0)) return;
  // out = indices' sizes + [embedding dim]; one weight row per index.
  const int k = indices->dim();
  int64_t sizes[kMaxRank];
  tensor_sizes(*indices, sizes);
  sizes[k] = weight->size(1);
  if (!resize_out(ctx, op, "out", *out, sizes, k + 1)) return;
  const size_t elem = element_size(weight->dtype());
  const int64_t row = weight->size(1);
  const int64_t w_stride = weight->stride(1), o_stride = out->stride(k);
  const IndexData idx{indices->data(), indices->dtype() == ScalarType::Long};
  const uint8_t* w = static_cast<const uint8_t*>(weight->data());
  uint8_t* o = static_cast<uint8_t*>(out->mutable_data());
  int64_t pos[kMaxRank] = {};
  for (int64_t n = 0; n < indices->numel(); ++n) {
    int64_t idx_off = 0, out_off = 0;
    for (int d = 0; d < k; ++d) {
      idx_off += pos[d] * indices->stride(d);
      out_off += pos[d] * out->stride(d);
    }
    const int64_t i = idx.read(idx_off);
    if (i < 0 || i >= weight->size(0)) return fail_changed(ctx, op, i);
    copy_strided(1, &row, w + i * weight->stride(0) * static_cast<int64_t>(elem), &w_stride,
                 o + out_off * static_cast<int64_t>(elem), &o_stride, elem);
    for (int d = k - 1; d >= 0 && ++pos[d] == sizes[d]; --d) pos[d] = 0;
  }
}

}  // namespace portable
}  // namespace ember
