// Shape ops, run as copies: view_copy, permute_copy, unsqueeze_copy,
// squeeze_copy, expand_copy and cat. They move elements of any dtype
// (out must have self's dtype) and walk strides, so any dim order works
// except for view_copy, which needs both sides in the contiguous order.
#include <cstring>

#include "runtime/kernels/portable/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

bool same_dtype(KernelContext& ctx, const char* op, const Tensor& self, const Tensor& out) {
  if (!check_dtype(ctx, op, "out", out, self.dtype())) return false;
  if (element_size(self.dtype()) == 0) {
    EMBER_LOG(Error, "%s: unsupported dtype %s", op, scalar_type_name(self.dtype()));
    ctx.fail(Error::NotSupported);
    return false;
  }
  return true;
}

/// Copy self into out walking `ndim`-d `sizes`, with the given strides.
void copy_walk(const Tensor& self, const int64_t* src_strides, Tensor& out,
               const int64_t* dst_strides, const int64_t* sizes, int ndim) {
  copy_strided(ndim, sizes, self.data(), src_strides, out.mutable_data(), dst_strides,
               element_size(self.dtype()));
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
  EMBER_KERNEL_CHECK(ctx, size.size() <= static_cast<size_t>(kMaxRank), InvalidArgument,
                     "%s: size has %zu dims, more than %d", op, size.size(), kMaxRank);
  int64_t sizes[kMaxRank];
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < size.size(); ++i) {
    sizes[i] = size[i];
    if (size[i] == -1) {
      EMBER_KERNEL_CHECK(ctx, infer < 0, InvalidArgument, "%s: size has more than one -1", op);
      infer = static_cast<int>(i);
    } else {
      EMBER_KERNEL_CHECK(ctx, size[i] >= 0, InvalidArgument, "%s: size %lld is negative", op,
                         static_cast<long long>(size[i]));
      known *= size[i];
    }
  }
  if (infer >= 0) {
    EMBER_KERNEL_CHECK(ctx, known != 0 && self->numel() % known == 0, InvalidArgument,
                       "%s: cannot infer -1 in the size for %lld elements", op,
                       static_cast<long long>(self->numel()));
    sizes[infer] = self->numel() / known;
    known = self->numel();
  }
  EMBER_KERNEL_CHECK(ctx, known == self->numel(), InvalidArgument,
                     "%s: size %s does not hold the %lld elements of self %s", op,
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
  EMBER_KERNEL_CHECK(ctx, dims.size() == static_cast<size_t>(ndim), InvalidArgument,
                     "%s: dims has %zu entries for a %d-d tensor", op, dims.size(), ndim);
  bool seen[kMaxRank] = {};
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  for (int i = 0; i < ndim; ++i) {
    int64_t d = 0;
    EMBER_KERNEL_CHECK(ctx, normalize_dim(dims[i], ndim, &d) && !seen[d], InvalidArgument,
                       "%s: dims is not a permutation of 0..%d", op, ndim - 1);
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
                     InvalidArgument, "%s: dim %lld is out of range for a %d-d tensor", op,
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
    EMBER_KERNEL_CHECK(ctx, normalize_dim(dims[i], self->dim(), &d), InvalidArgument,
                       "%s: dim %lld is out of range for a %d-d tensor", op,
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
  EMBER_KERNEL_CHECK(ctx, normalize_dim(dim_arg, self->dim(), &d), InvalidArgument,
                     "%s: dim %lld is out of range for a %d-d tensor", op,
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
  EMBER_KERNEL_CHECK(ctx, lead >= 0 && ndim <= kMaxRank, InvalidArgument,
                     "%s: size has %d dims, fewer than self %s", op, ndim,
                     sizes_text(self->sizes()).text);
  int64_t sizes[kMaxRank], src_strides[kMaxRank], dst_strides[kMaxRank];
  for (int d = 0; d < ndim; ++d) {
    const int sd = d - lead;
    const int64_t have = sd >= 0 ? self->size(sd) : 1;
    const int64_t want = size[d] == -1 && sd >= 0 ? have : size[d];
    EMBER_KERNEL_CHECK(ctx, want >= 0 && (have == want || have == 1), InvalidArgument,
                       "%s: self %s cannot expand to %s", op, sizes_text(self->sizes()).text,
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
  EMBER_KERNEL_CHECK(ctx, !tensors.empty(), InvalidArgument, "%s: tensors is empty", op);
  // Legacy rule: 1-d tensors with 0 elements are skipped.
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i]->to_tensor();
    if (!same_dtype(ctx, op, t, *out)) return;
    if (ref == nullptr && !(t.dim() == 1 && t.size(0) == 0)) ref = &t;
  }
  if (ref == nullptr) {
    const int64_t empty[1] = {0};
    resize_out(ctx, op, "out", *out, empty, 1);
    return;
  }
  const int ndim = ref->dim();
  int64_t dim = 0;
  EMBER_KERNEL_CHECK(ctx, ndim > 0 && normalize_dim(dim_arg, ndim, &dim), InvalidArgument,
                     "%s: dim %lld is out of range for %d-d tensors", op,
                     static_cast<long long>(dim_arg), ndim);
  int64_t sizes[kMaxRank];
  tensor_sizes(*ref, sizes);
  sizes[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i]->to_tensor();
    if (t.dim() == 1 && t.size(0) == 0) continue;
    bool fits = t.dim() == ndim;
    for (int d = 0; fits && d < ndim; ++d) fits = d == dim || t.size(d) == ref->size(d);
    EMBER_KERNEL_CHECK(ctx, fits, InvalidArgument,
                       "%s: tensor %zu has sizes %s, incompatible with %s along dim %lld", op, i,
                       sizes_text(t.sizes()).text, sizes_text(ref->sizes()).text,
                       static_cast<long long>(dim));
    sizes[dim] += t.size(static_cast<int32_t>(dim));
  }
  if (!resize_out(ctx, op, "out", *out, sizes, ndim)) return;
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
    copy_strided(ndim, t_sizes, t.data(), t_strides, dst, dst_strides, es);
    offset += t.size(static_cast<int32_t>(dim));
  }
}

}  // namespace portable
}  // namespace ember
