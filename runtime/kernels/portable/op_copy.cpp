// Copies and casts into out's dtype and dim order: clone, _to_copy,
// dim_order_ops::_to_dim_order_copy and the in-place copy_ (how ExecuTorch
// writes mutated buffers back). A change of dim order (e.g. to channels-last)
// is just a strided walk: out's strides decide the layout.
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// Cast one value without undefined behaviour: float to integer truncates,
/// values out of range wrap through int64 and NaN/huge values give the
/// type's minimum (what x86 produces for int32 and int64, as in torch).
template <typename Out, typename In>
Out convert(In x) {
  if constexpr (std::is_same<Out, bool>::value) {
    return x != In(0);
  } else if constexpr (is_floating_v<In> && !std::is_floating_point<In>::value &&
                       std::is_integral<Out>::value) {
    return convert<Out, float>(static_cast<float>(x));  // Half, BFloat16: as the float they hold
  } else if constexpr (std::is_floating_point<In>::value && std::is_integral<Out>::value) {
    using Lim = std::numeric_limits<Out>;
    if (x >= static_cast<In>(Lim::min()) && x < static_cast<In>(Lim::max())) {
      return static_cast<Out>(x);
    }
    if (x > -9.2e18 && x < 9.2e18) {
      return static_cast<Out>(static_cast<uint64_t>(static_cast<int64_t>(x)));
    }
    return Lim::min();
  } else {
    return static_cast<Out>(x);
  }
}

template <typename In, typename Out>
void cast_copy(const Tensor& self, Tensor& out) {
  map_unary<In, Out>(self, out, [](In x) { return convert<Out, In>(x); });
}

/// Resize out to self's sizes and copy or cast every element into out's layout.
void copy_into(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out) {
  int64_t sizes[kMaxRank];
  tensor_sizes(self, sizes);
  if (!resize_out(ctx, op, "out", out, sizes, self.dim())) return;
  const ScalarType in_t = self.dtype();
  const ScalarType out_t = out.dtype();
  if (in_t == out_t && element_size(in_t) != 0) {
    int64_t s_in[kMaxRank], s_out[kMaxRank];
    tensor_strides(self, s_in);
    tensor_strides(out, s_out);
    copy_strided(self.dim(), sizes, self.data(), s_in, out.mutable_data(), s_out,
                 element_size(in_t));
    return;
  }
  bool supported = true;
  EMBER_SWITCH_ALL(in_t, supported = false, {
    using IN_T = CTYPE;
    EMBER_SWITCH_ALL(out_t, supported = false, (cast_copy<IN_T, CTYPE>(self, out)));
  });
  EMBER_KERNEL_CHECK(ctx, supported, NotSupported, op, "cannot cast %s to %s",
                     scalar_type_name(in_t), scalar_type_name(out_t));
}

/// copy_'s cast: src (broadcast strides) into dst, elementwise.
template <typename In, typename Out>
void cast_strided(const StridedLoop& loop, const void* src, void* dst) {
  const In* s = static_cast<const In*>(src);
  Out* o = static_cast<Out*>(dst);
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    Out* out_row = o + off[0];
    const In* in_row = s + off[1];
    for (int64_t i = 0; i < n; ++i) out_row[i * st[0]] = convert<Out, In>(load(in_row + i * st[1]));
  });
}

}  // namespace

void copy_(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::copy_", 4);
  Tensor* self = r.tensor(0, "self");
  Tensor* src = r.tensor(1, "src");
  r.boolean(2, "non_blocking");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  // 1. src must broadcast to self's shape (self never changes shape).
  const int ndim = self->dim();
  bool fits = src->dim() <= ndim;
  for (int32_t d = 0; fits && d < src->dim(); ++d) {
    const int32_t s = src->size(d);
    fits = s == 1 || s == self->size(d + ndim - src->dim());
  }
  EMBER_KERNEL_CHECK(ctx, fits, InvalidArgument, r.op(), "src of sizes %s does not broadcast to %s",
                     sizes_text(src->sizes()).text, sizes_text(self->sizes()).text);
  // 2. Copy, or cast, into self's layout.
  int64_t sizes[kMaxRank], s_self[kMaxRank], s_src[kMaxRank];
  tensor_sizes(*self, sizes);
  tensor_strides(*self, s_self);
  broadcast_strides(*src, ndim, sizes, s_src);
  const ScalarType in_t = src->dtype();
  const ScalarType out_t = self->dtype();
  if (in_t == out_t && element_size(in_t) != 0) {
    copy_strided(ndim, sizes, src->data(), s_src, self->mutable_data(), s_self,
                 element_size(in_t));
  } else {
    const int64_t* strides[2] = {s_self, s_src};
    StridedLoop loop;
    loop.init(ndim, sizes, 2, strides);
    bool supported = true;
    EMBER_SWITCH_ALL(in_t, supported = false, {
      using IN_T = CTYPE;
      EMBER_SWITCH_ALL(out_t, supported = false,
                       (cast_strided<IN_T, CTYPE>(loop, src->data(), self->mutable_data())));
    });
    EMBER_KERNEL_CHECK(ctx, supported, NotSupported, r.op(), "cannot cast %s to %s",
                       scalar_type_name(in_t), scalar_type_name(out_t));
  }
  // 3. The result is self; a program that names another value for it gets a copy.
  if (out != self && out->data() != self->data()) {
    EMBER_KERNEL_CHECK(ctx, out->dtype() == self->dtype(), InvalidArgument, r.op(),
                       "the result value has dtype %s, self has %s",
                       scalar_type_name(out->dtype()), scalar_type_name(self->dtype()));
    copy_into(ctx, r.op(), *self, *out);
  }
}

void clone_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::clone.out", 4);
  Tensor* self = r.tensor(0, "self");
  int64_t memory_format = 0;
  r.optional_integer(1, "memory_format", &memory_format);
  Tensor* out = r.tensor(2, "out");
  if (!r.ok()) return;
  if (!check_dtype(ctx, r.op(), "out", *out, self->dtype())) return;
  copy_into(ctx, r.op(), *self, *out);
}

void to_copy_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::_to_copy.out", 5);
  Tensor* self = r.tensor(0, "self");
  r.boolean(1, "non_blocking");
  int64_t memory_format = 0;
  r.optional_integer(2, "memory_format", &memory_format);
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  copy_into(ctx, r.op(), *self, *out);
}

namespace {

/// The dim-order copies ExecuTorch emits: (self, *, non_blocking, dim_order?,
/// out); the result takes out's dim order (checked against dim_order when
/// given) and, unless `same_dtype`, out's dtype.
void dim_order_copy(KernelContext& ctx, Span<EValue*> args, const char* op, bool same_dtype) {
  ArgReader r(ctx, args, op, 5);
  Tensor* self = r.tensor(0, "self");
  r.boolean(1, "non_blocking");
  Span<const int64_t> dim_order;
  const bool has_order = r.optional_int_list(2, "dim_order", &dim_order);
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return;
  if (has_order) {
    bool match = dim_order.size() == static_cast<size_t>(out->dim());
    for (size_t i = 0; match && i < dim_order.size(); ++i) {
      match = dim_order[i] == out->dim_order()[i];
    }
    EMBER_KERNEL_CHECK(ctx, match, InvalidArgument, r.op(),
                       "dim_order %s differs from out's dim order",
                       sizes_text(dim_order.data(), static_cast<int>(dim_order.size())).text);
  }
  if (same_dtype && !check_dtype(ctx, r.op(), "out", *out, self->dtype())) return;
  copy_into(ctx, r.op(), *self, *out);
}

}  // namespace

void to_dim_order_copy_out(KernelContext& ctx, Span<EValue*> args) {
  dim_order_copy(ctx, args, "dim_order_ops::_to_dim_order_copy.out", /*same_dtype=*/false);
}

void clone_dim_order_out(KernelContext& ctx, Span<EValue*> args) {
  dim_order_copy(ctx, args, "dim_order_ops::_clone_dim_order.out", /*same_dtype=*/true);
}

}  // namespace portable
}  // namespace ember
