// Shape and data-movement ops, the views run as copies: view_copy,
// permute_copy, unsqueeze_copy, squeeze_copy, expand_copy, slice_copy,
// select_copy, alias_copy, cat, constant_pad_nd, repeat and flip. They move
// elements of any dtype (out must have self's dtype; cat also widens mixed
// inputs to out's dtype, as torch promotes them) and walk strides, so any
// dim order works except for view_copy, which needs both sides in the
// contiguous order.
#include <cstring>

#include "runtime/kernels/portable/fill_value.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

bool same_dtype(KernelContext& ctx, const char* op, const Tensor& self, const Tensor& out) {
  if (!check_dtype(ctx, op, "out", out, self.dtype())) return false;
  if (element_size(self.dtype()) == 0) {
    return kernel_fail(ctx, Error::NotSupported, op, "unsupported dtype %s",
                       scalar_type_name(self.dtype()));
  }
  return true;
}

/// Copy self into out walking `ndim`-d `sizes`, with the given strides.
void copy_walk(const Tensor& self, const int64_t* src_strides, Tensor& out,
               const int64_t* dst_strides, const int64_t* sizes, int ndim) {
  copy_strided(ndim, sizes, self.data(), src_strides, out.mutable_data(), dst_strides,
               element_size(self.dtype()));
}

/// True if cat may convert every value of dtype `from` into `to`: a bool or
/// a narrower type into a wider one (integers into floats round), the
/// conversions torch's type promotion asks of cat. Nothing else: a float
/// into an integer or a narrower float could be out of range.
bool widens(ScalarType from, ScalarType to) {
  const bool to_float = to == ScalarType::Half || to == ScalarType::BFloat16 ||
                        to == ScalarType::Float || to == ScalarType::Double;
  const bool to_wide_int = to == ScalarType::Int || to == ScalarType::Long;
  switch (from) {
    case ScalarType::Bool: return element_size(to) != 0;
    case ScalarType::Byte:
    case ScalarType::Char: return to == from || to == ScalarType::Short || to_wide_int || to_float;
    case ScalarType::Short: return to == from || to_wide_int || to_float;
    case ScalarType::Int: return to == from || to == ScalarType::Long || to_float;
    case ScalarType::Long: return to == from || to_float;
    case ScalarType::Half:
    case ScalarType::BFloat16: return to == from || to == ScalarType::Float || to == ScalarType::Double;
    case ScalarType::Float: return to == from || to == ScalarType::Double;
    case ScalarType::Double: return to == from;
    default: return false;
  }
}

/// Copy `t` (strided) into dst with out's dtype, converting each element.
template <typename In, typename Out>
void convert_rows(const StridedLoop& loop, const void* src, void* dst) {
  const In* s = static_cast<const In*>(src);
  Out* o = static_cast<Out*>(dst);
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n; ++i) {
      o[off[0] + i * st[0]] = static_cast<Out>(load(s + off[1] + i * st[1]));
    }
  });
}

void convert_strided(const Tensor& t, void* dst, const int64_t* dst_strides, ScalarType out_t) {
  int64_t sizes[kMaxRank], src_strides[kMaxRank];
  tensor_sizes(t, sizes);
  tensor_strides(t, src_strides);
  const int64_t* strides[2] = {dst_strides, src_strides};
  StridedLoop loop;
  loop.init(t.dim(), sizes, 2, strides);
  EMBER_SWITCH_ALL(t.dtype(), return, {
    using IN_T = CTYPE;
    EMBER_SWITCH_ALL(out_t, return, (convert_rows<IN_T, CTYPE>(loop, t.data(), dst)));
  });
}

/// squeeze_copy with a mask of the dims to drop (only size-1 dims drop).
void squeeze_with_mask(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out,
                       const bool* drop) {
  int64_t sizes[kMaxRank], src_strides[kMaxRank];
  int n = 0;
  for (int d = 0; d < self.dim(); ++d) {
    if (drop[d] && self.size(d) == 1) continue;
    sizes[n] = self.size(d);
    src_strides[n++] = self.stride(d);
  }
  if (!resize_out(ctx, op, "out", out, sizes, n)) return;
  int64_t dst_strides[kMaxRank];
  tensor_strides(out, dst_strides);
  copy_walk(self, src_strides, out, dst_strides, sizes, n);
}

}  // namespace

void view_copy_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::view_copy.out", 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> size = r.int_list(1, "size");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  EMBER_KERNEL_CHECK(ctx, size.size() <= static_cast<size_t>(kMaxRank), InvalidArgument, op,
                     "size has %zu dims, more than %d", size.size(), kMaxRank);
  int64_t sizes[kMaxRank];
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < size.size(); ++i) {
    sizes[i] = size[i];
    if (size[i] == -1) {
      EMBER_KERNEL_CHECK(ctx, infer < 0, InvalidArgument, op, "size has more than one -1");
      infer = static_cast<int>(i);
    } else {
      EMBER_KERNEL_CHECK(ctx, size[i] >= 0, InvalidArgument, op, "size %lld is negative",
                         static_cast<long long>(size[i]));
      known *= size[i];
    }
  }
  if (infer >= 0) {
    EMBER_KERNEL_CHECK(ctx, known != 0 && self->numel() % known == 0, InvalidArgument, op,
                       "cannot infer -1 in the size for %lld elements",
                       static_cast<long long>(self->numel()));
    sizes[infer] = self->numel() / known;
    known = self->numel();
  }
  EMBER_KERNEL_CHECK(ctx, known == self->numel(), InvalidArgument, op,
                     "size %s does not hold the %lld elements of self %s",
                     sizes_text(sizes, static_cast<int>(size.size())).text,
                     static_cast<long long>(self->numel()), sizes_text(self->sizes()).text);
  if (!resize_out(ctx, op, "out", *out, sizes, static_cast<int>(size.size()))) return;
  if (!check_contiguous(ctx, op, "self", *self) || !check_contiguous(ctx, op, "out", *out)) return;
  if (out->mutable_data() != self->data()) {  // an elided view aliases its input
    memmove(out->mutable_data(), self->data(), self->nbytes());
  }
}

void permute_copy_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::permute_copy.out", 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims = r.int_list(1, "dims");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = self->dim();
  EMBER_KERNEL_CHECK(ctx, dims.size() == static_cast<size_t>(ndim), InvalidArgument, op,
                     "dims has %zu entries for a %d-d tensor", dims.size(), ndim);
  bool seen[kMaxRank] = {};
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  for (int i = 0; i < ndim; ++i) {
    int64_t d = 0;
    EMBER_KERNEL_CHECK(ctx, normalize_dim(dims[i], ndim, &d) && !seen[d], InvalidArgument, op,
                       "dims is not a permutation of 0..%d", ndim - 1);
    seen[d] = true;
    sizes[i] = self->size(static_cast<int32_t>(d));
    src_strides[i] = self->stride(static_cast<int32_t>(d));
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  tensor_strides(*out, dst_strides);
  copy_walk(*self, src_strides, *out, dst_strides, sizes, ndim);
}

void unsqueeze_copy_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::unsqueeze_copy.out", 4);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = self->dim();
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, ndim < kMaxRank && normalize_dim(dim_arg, ndim + 1, &dim),
                     InvalidArgument, op, "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), ndim);
  int64_t sizes[kMaxRank];
  for (int d = 0, o = 0; o <= ndim; ++o) sizes[o] = o == dim ? 1 : self->size(d++);
  if (!resize_out(ctx, op, "out", *out, sizes, ndim + 1)) return;
  // Walk self's shape; out's strides without the inserted dim.
  int64_t in_sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  tensor_sizes(*self, in_sizes);
  tensor_strides(*self, src_strides);
  for (int d = 0, o = 0; o <= ndim; ++o) {
    if (o != dim) dst_strides[d++] = out->stride(o);
  }
  copy_walk(*self, src_strides, *out, dst_strides, in_sizes, ndim);
}

void squeeze_copy_dims_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::squeeze_copy.dims_out", 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims = r.int_list(1, "dim");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  bool drop[kMaxRank] = {};
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = 0;
    EMBER_KERNEL_CHECK(ctx, normalize_dim(dims[i], self->dim(), &d), InvalidArgument, op,
                       "dim %lld is out of range for a %d-d tensor",
                       static_cast<long long>(dims[i]), static_cast<int>(self->dim()));
    drop[d] = true;
  }
  squeeze_with_mask(ctx, op, *self, *out, drop);
}

void squeeze_copy_dim_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::squeeze_copy.dim_out", 4);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  bool drop[kMaxRank] = {};
  int64_t d = 0;
  EMBER_KERNEL_CHECK(ctx, normalize_dim(dim_arg, self->dim(), &d), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), static_cast<int>(self->dim()));
  drop[d] = true;
  squeeze_with_mask(ctx, op, *self, *out, drop);
}

void expand_copy_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::expand_copy.out", 5);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> size = r.int_list(1, "size");
  r.boolean(2, "implicit");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = static_cast<int>(size.size());
  const int lead = ndim - self->dim();
  EMBER_KERNEL_CHECK(ctx, lead >= 0 && ndim <= kMaxRank, InvalidArgument, op,
                     "size has %d dims, fewer than self %s", ndim,
                     sizes_text(self->sizes()).text);
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  for (int d = 0; d < ndim; ++d) {
    const int sd = d - lead;
    const int64_t have = sd >= 0 ? self->size(sd) : 1;
    const int64_t want = size[d] == -1 && sd >= 0 ? have : size[d];
    EMBER_KERNEL_CHECK(ctx, want >= 0 && (have == want || have == 1), InvalidArgument, op,
                       "self %s cannot expand to %s", sizes_text(self->sizes()).text,
                       sizes_text(size.data(), ndim).text);
    sizes[d] = want;
    src_strides[d] = (sd < 0 || have != want) ? 0 : self->stride(sd);
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  tensor_strides(*out, dst_strides);
  copy_walk(*self, src_strides, *out, dst_strides, sizes, ndim);
}

void cat_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::cat.out", 4);
  Span<EValue* const> tensors = r.tensor_list(0, "tensors");
  const int64_t dim_arg = r.integer(1, "dim");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  EMBER_KERNEL_CHECK(ctx, !tensors.empty(), InvalidArgument, op, "tensors is empty");
  // Legacy rule: 1-d tensors with 0 elements are skipped. Mixed dtypes
  // convert into out's (torch's promotion of them).
  const Tensor* ref = nullptr;
  EMBER_KERNEL_CHECK(ctx, element_size(out->dtype()) != 0, NotSupported, op,
                     "out has unsupported dtype %s", scalar_type_name(out->dtype()));
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i]->to_tensor();
    EMBER_KERNEL_CHECK(ctx, widens(t.dtype(), out->dtype()), NotSupported, op,
                       "tensor %zu has dtype %s, which does not widen to out's %s", i,
                       scalar_type_name(t.dtype()), scalar_type_name(out->dtype()));
    if (ref == nullptr && !(t.dim() == 1 && t.size(0) == 0)) ref = &t;
  }
  if (ref == nullptr) {
    const int64_t empty[1] = {0};
    resize_out(ctx, op, "out", *out, empty, 1);
    return;
  }
  const int ndim = ref->dim();
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, ndim > 0 && normalize_dim(dim_arg, ndim, &dim), InvalidArgument, op,
                     "dim %lld is out of range for %d-d tensors",
                     static_cast<long long>(dim_arg), ndim);
  int64_t sizes[kMaxRank];
  tensor_sizes(*ref, sizes);
  sizes[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i]->to_tensor();
    if (t.dim() == 1 && t.size(0) == 0) continue;
    bool fits = t.dim() == ndim;
    for (int d = 0; fits && d < ndim; ++d) fits = d == dim || t.size(d) == ref->size(d);
    EMBER_KERNEL_CHECK(ctx, fits, InvalidArgument, op,
                       "tensor %zu has sizes %s, incompatible with %s along dim %lld", i,
                       sizes_text(t.sizes()).text, sizes_text(ref->sizes()).text,
                       static_cast<long long>(dim));
    sizes[dim] += t.size(static_cast<int32_t>(dim));
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  if (out->numel() == 0) return;
  int64_t dst_strides[kMaxRank];
  tensor_strides(*out, dst_strides);
  const size_t es = element_size(out->dtype());
  int64_t offset = 0;  // along dim
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i]->to_tensor();
    if (t.dim() == 1 && t.size(0) == 0) continue;
    int64_t t_sizes[kMaxRank], t_strides[kMaxRank];
    tensor_sizes(t, t_sizes);
    tensor_strides(t, t_strides);
    uint8_t* dst = out->data_as<uint8_t>() + offset * dst_strides[dim] * static_cast<int64_t>(es);
    if (t.dtype() == out->dtype()) {
      copy_strided(ndim, t_sizes, t.data(), t_strides, dst, dst_strides, es);
    } else {
      convert_strided(t, dst, dst_strides, out->dtype());
    }
    offset += t.size(static_cast<int32_t>(dim));
  }
}

void slice_copy_tensor_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::slice_copy.Tensor_out", 7);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  int64_t start = 0, end = INT64_MAX;  // None: the whole dim
  r.optional_integer(2, "start", &start);
  r.optional_integer(3, "end", &end);
  const int64_t step = r.integer(4, "step");
  Tensor* out = r.tensor(5, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = self->dim();
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, ndim > 0 && normalize_dim(dim_arg, ndim, &dim), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), ndim);
  EMBER_KERNEL_CHECK(ctx, step > 0, InvalidArgument, op, "step %lld must be positive",
                     static_cast<long long>(step));
  // Python slice bounds: negative counts from the end, then clamp.
  const int64_t size = self->size(static_cast<int32_t>(dim));
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = start < 0 ? 0 : (start > size ? size : start);
  end = end < start ? start : (end > size ? size : end);
  const int64_t len = end - start;
  const int64_t n = len == 0 ? 0 : 1 + (len - 1) / step;
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  tensor_sizes(*self, sizes);
  tensor_strides(*self, src_strides);
  sizes[dim] = n;
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  if (out->numel() == 0) return;
  const int64_t first = start * src_strides[dim];
  if (n > 1) src_strides[dim] *= step;  // step < len <= size: no overflow
  tensor_strides(*out, dst_strides);
  const size_t es = element_size(self->dtype());
  copy_strided(ndim, sizes, self->data_as<const uint8_t>() + first * static_cast<int64_t>(es),
               src_strides, out->mutable_data(), dst_strides, es);
}

void select_copy_int_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::select_copy.int_out", 5);
  Tensor* self = r.tensor(0, "self");
  const int64_t dim_arg = r.integer(1, "dim");
  int64_t index = r.integer(2, "index");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = self->dim();
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, ndim > 0 && normalize_dim(dim_arg, ndim, &dim), InvalidArgument, op,
                     "dim %lld is out of range for a %d-d tensor",
                     static_cast<long long>(dim_arg), ndim);
  const int64_t size = self->size(static_cast<int32_t>(dim));
  EMBER_KERNEL_CHECK(ctx, index >= -size && index < size, InvalidArgument, op,
                     "index %lld is out of range for dim %lld of size %lld",
                     static_cast<long long>(index), static_cast<long long>(dim),
                     static_cast<long long>(size));
  if (index < 0) index += size;
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  int n = 0;
  for (int d = 0; d < ndim; ++d) {
    if (d == dim) continue;
    sizes[n] = self->size(d);
    src_strides[n++] = self->stride(d);
  }
  if (!resize_out(ctx, op, "out", *out, sizes, n)) return;
  if (out->numel() == 0) return;
  tensor_strides(*out, dst_strides);
  const size_t es = element_size(self->dtype());
  const int64_t first = index * self->stride(static_cast<int32_t>(dim));
  copy_strided(n, sizes, self->data_as<const uint8_t>() + first * static_cast<int64_t>(es),
               src_strides, out->mutable_data(), dst_strides, es);
}

void alias_copy_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::alias_copy.out", 3);
  Tensor* self = r.tensor(0, "self");
  Tensor* out = r.tensor(1, "out");
  if (!r.ok()) return;
  if (!same_dtype(ctx, r.op(), *self, *out)) return;
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  tensor_sizes(*self, sizes);
  if (!resize_out(ctx, r.op(), "out", *out, sizes, self->dim())) return;
  tensor_strides(*self, src_strides);
  tensor_strides(*out, dst_strides);
  copy_walk(*self, src_strides, *out, dst_strides, sizes, self->dim());
}

void constant_pad_nd_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::constant_pad_nd.out", 5);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> pad = r.int_list(1, "pad");
  const Scalar value = r.scalar(2, "value");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = self->dim();
  EMBER_KERNEL_CHECK(ctx, pad.size() % 2 == 0 && pad.size() / 2 <= static_cast<size_t>(ndim),
                     InvalidArgument, op,
                     "pad has %zu entries; it needs a (before, after) pair per padded dim, "
                     "at most %d pairs", pad.size(), ndim);
  // pad pairs run from the last dim backwards. Per dim: out size, the part
  // of self kept (after negative pads crop) and where it lands in out.
  int64_t sizes[kMaxRank], kept[kMaxRank], src_begin[kMaxRank] = {}, dst_begin[kMaxRank] = {};
  tensor_sizes(*self, sizes);
  tensor_sizes(*self, kept);
  for (size_t j = 0; j < pad.size() / 2; ++j) {
    const int d = ndim - 1 - static_cast<int>(j);
    const int64_t lo = pad[2 * j], hi = pad[2 * j + 1];
    const int64_t limit = int64_t{1} << 33;  // beyond any valid pad of an int32-sized dim
    EMBER_KERNEL_CHECK(ctx, lo >= -limit && lo <= limit && hi >= -limit && hi <= limit,
                       InvalidArgument, op, "pad (%lld, %lld) of dim %d is out of range",
                       static_cast<long long>(lo), static_cast<long long>(hi), d);
    kept[d] = sizes[d] - (lo < 0 ? -lo : 0) - (hi < 0 ? -hi : 0);
    EMBER_KERNEL_CHECK(ctx, kept[d] >= 0, InvalidArgument, op,
                       "pad (%lld, %lld) crops more than the %lld elements of dim %d",
                       static_cast<long long>(lo), static_cast<long long>(hi),
                       static_cast<long long>(sizes[d]), d);
    src_begin[d] = lo < 0 ? -lo : 0;
    dst_begin[d] = lo > 0 ? lo : 0;
    sizes[d] += lo + hi;
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  if (!fill_tensor(ctx, op, "value", value, *out)) return;
  int64_t src_strides[kMaxRank], dst_strides[kMaxRank];
  tensor_strides(*self, src_strides);
  tensor_strides(*out, dst_strides);
  int64_t src_off = 0, dst_off = 0, count = 1;
  for (int d = 0; d < ndim; ++d) {
    src_off += src_begin[d] * src_strides[d];
    dst_off += dst_begin[d] * dst_strides[d];
    count *= kept[d];
  }
  if (count == 0) return;
  const int64_t es = static_cast<int64_t>(element_size(self->dtype()));
  copy_strided(ndim, kept, self->data_as<const uint8_t>() + src_off * es, src_strides,
               out->data_as<uint8_t>() + dst_off * es, dst_strides, static_cast<size_t>(es));
}

namespace {

/// copy_strided over up to 2 * kMaxRank dims: the dims beyond kMaxRank are
/// walked here, the innermost kMaxRank by copy_strided.
void copy_strided_wide(int ndim, const int64_t* sizes, const uint8_t* src,
                       const int64_t* src_strides, uint8_t* dst, const int64_t* dst_strides,
                       size_t es) {
  const int outer = ndim > kMaxRank ? ndim - kMaxRank : 0;
  int64_t index[kMaxRank] = {};
  const int64_t bytes = static_cast<int64_t>(es);
  for (;;) {
    int64_t s = 0, d = 0;
    for (int k = 0; k < outer; ++k) {
      s += index[k] * src_strides[k];
      d += index[k] * dst_strides[k];
    }
    copy_strided(ndim - outer, sizes + outer, src + s * bytes, src_strides + outer,
                 dst + d * bytes, dst_strides + outer, es);
    int k = outer - 1;
    for (; k >= 0; --k) {
      if (++index[k] < sizes[k]) break;
      index[k] = 0;
    }
    if (k < 0) return;
  }
}

}  // namespace

void repeat_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::repeat.out", 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> repeats = r.int_list(1, "repeats");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = static_cast<int>(repeats.size());
  const int lead = ndim - self->dim();
  EMBER_KERNEL_CHECK(ctx, lead >= 0 && ndim <= kMaxRank, InvalidArgument, op,
                     "repeats has %d entries for a %d-d self (it needs at least as many, "
                     "at most %d)", ndim, static_cast<int>(self->dim()), kMaxRank);
  int64_t sizes[kMaxRank];
  for (int d = 0; d < ndim; ++d) {
    const int64_t have = d >= lead ? self->size(d - lead) : 1;
    EMBER_KERNEL_CHECK(ctx, repeats[d] >= 0 && !__builtin_mul_overflow(have, repeats[d], &sizes[d]),
                       InvalidArgument, op, "repeats[%d] = %lld is invalid for size %lld", d,
                       static_cast<long long>(repeats[d]), static_cast<long long>(have));
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  if (out->numel() == 0) return;
  // Walk [repeats[0], size[0], repeats[1], size[1], ...]: which copy, then
  // where in self; dims of extent 1 are left out.
  int64_t wide[2 * kMaxRank], src_strides[2 * kMaxRank], dst_strides[2 * kMaxRank];
  int n = 0;
  for (int d = 0; d < ndim; ++d) {
    const int64_t have = d >= lead ? self->size(d - lead) : 1;
    const int64_t dst = out->stride(d);
    if (repeats[d] != 1) {
      wide[n] = repeats[d];
      src_strides[n] = 0;
      dst_strides[n++] = have * dst;
    }
    if (have != 1) {
      wide[n] = have;
      src_strides[n] = self->stride(d - lead);
      dst_strides[n++] = dst;
    }
  }
  copy_strided_wide(n, wide, self->data_as<const uint8_t>(), src_strides, out->data_as<uint8_t>(),
                    dst_strides, element_size(self->dtype()));
}

void flip_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::flip.out", 4);
  Tensor* self = r.tensor(0, "self");
  Span<const int64_t> dims = r.int_list(1, "dims");
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  const char* op = r.op();
  if (!same_dtype(ctx, op, *self, *out)) return;
  const int ndim = self->dim();
  bool flip[kMaxRank] = {};
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = 0;
    EMBER_KERNEL_CHECK(ctx, normalize_dim(dims[i], ndim, &d), InvalidArgument, op,
                       "dim %lld is out of range for a %d-d tensor",
                       static_cast<long long>(dims[i]), ndim);
    EMBER_KERNEL_CHECK(ctx, !flip[d], InvalidArgument, op,
                       "dim %lld appears more than once in dims",
                       static_cast<long long>(d));
    flip[d] = true;
  }
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  tensor_sizes(*self, sizes);
  tensor_strides(*self, src_strides);
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
  if (out->numel() == 0) return;
  // Start at the last element of every flipped dim and walk it backwards.
  int64_t first = 0;
  for (int d = 0; d < ndim; ++d) {
    if (!flip[d]) continue;
    first += (sizes[d] - 1) * src_strides[d];
    src_strides[d] = -src_strides[d];
  }
  tensor_strides(*out, dst_strides);
  const int64_t es = static_cast<int64_t>(element_size(self->dtype()));
  copy_strided(ndim, sizes, self->data_as<const uint8_t>() + first * es, src_strides,
               out->mutable_data(), dst_strides, static_cast<size_t>(es));
}

}  // namespace portable
}  // namespace ember
