// Helpers every kernel library shares (see kernel_utils.h).
#include "runtime/kernels/common/kernel_utils.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace ember {
namespace {

const char* tag_name(Tag t) {
  switch (t) {
    case Tag::None: return "None";
    case Tag::Null: return "Null";
    case Tag::Int: return "Int";
    case Tag::Bool: return "Bool";
    case Tag::Double: return "Double";
    case Tag::Tensor: return "Tensor";
    case Tag::String: return "String";
    case Tag::IntList: return "IntList";
    case Tag::DoubleList: return "DoubleList";
    case Tag::BoolList: return "BoolList";
    case Tag::TensorList: return "TensorList";
    case Tag::OptionalTensorList: return "OptionalTensorList";
  }
  return "?";
}

}  // namespace

ArgReader::ArgReader(KernelContext& ctx, Span<EValue*> args, const char* op, size_t expected)
    : ctx_(ctx), args_(args), op_(op) {
  if (args.size() != expected) {
    fail(Error::InvalidArgument, "expected %zu arguments, got %zu", expected, args.size());
  }
}

bool kernel_fail(KernelContext& ctx, Error err, const char* op, const char* fmt, ...) {
  char message[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  EMBER_LOG(Error, "%s: %s", op, message);
  if (ctx.error() == Error::Ok) ctx.fail(err);
  return false;
}

bool reject_dtype(KernelContext& ctx, const char* op, const char* what, ScalarType t) {
#ifdef EMBER_SELECTIVE_BUILD
  if (!dtype_kept(t)) {
    return kernel_fail(ctx, Error::NotSupported, op,
                       "dtype %s (for %s) is not in this selective build, which keeps %s",
                       scalar_type_name(t), what, EMBER_SELECTED_DTYPE_NAMES);
  }
#endif
  return kernel_fail(ctx, Error::NotSupported, op, "dtype %s is not supported for %s",
                     scalar_type_name(t), what);
}

void ArgReader::fail(Error err, const char* fmt, ...) {
  if (!ok_) return;
  ok_ = false;
  char message[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof(message), fmt, ap);
  va_end(ap);
  kernel_fail(ctx_, err, op_, "%s", message);
}

const EValue* ArgReader::get(size_t i, const char* name) {
  if (!ok_) return nullptr;
  if (i >= args_.size() || args_[i] == nullptr) {
    fail(Error::InvalidArgument, "argument %zu (%s) is missing", i, name);
    return nullptr;
  }
  return args_[i];
}

Tensor* ArgReader::tensor(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return nullptr;
  if (!v->is_tensor() || v->payload.as_tensor == nullptr) {
    fail(Error::InvalidArgument, "argument %zu (%s) should be a Tensor, got %s", i, name,
         tag_name(v->tag));
    return nullptr;
  }
  return v->payload.as_tensor;
}

Tensor* ArgReader::optional_tensor(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr || v->is_none()) return nullptr;
  return tensor(i, name);
}

int64_t ArgReader::integer(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return 0;
  if (!v->is_int()) {
    fail(Error::InvalidArgument, "argument %zu (%s) should be an Int, got %s", i, name,
         tag_name(v->tag));
    return 0;
  }
  return v->to_int();
}

bool ArgReader::optional_integer(size_t i, const char* name, int64_t* value) {
  const EValue* v = get(i, name);
  if (v == nullptr || v->is_none()) return false;
  *value = integer(i, name);
  return ok_;
}

double ArgReader::real(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return 0.0;
  if (v->is_double()) return v->to_double();
  if (v->is_int()) return static_cast<double>(v->to_int());
  fail(Error::InvalidArgument, "argument %zu (%s) should be a Double, got %s", i, name,
       tag_name(v->tag));
  return 0.0;
}

bool ArgReader::optional_real(size_t i, const char* name, double* value) {
  const EValue* v = get(i, name);
  if (v == nullptr || v->is_none()) return false;
  *value = real(i, name);
  return ok_;
}

bool ArgReader::boolean(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return false;
  if (!v->is_bool()) {
    fail(Error::InvalidArgument, "argument %zu (%s) should be a Bool, got %s", i, name,
         tag_name(v->tag));
    return false;
  }
  return v->to_bool();
}

Scalar ArgReader::scalar(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return Scalar();
  if (v->is_double()) return Scalar::of_double(v->to_double());
  if (v->is_int()) return Scalar::of_int(v->to_int());
  if (v->is_bool()) return Scalar::of_bool(v->to_bool());
  fail(Error::InvalidArgument, "argument %zu (%s) should be a Scalar, got %s", i, name,
       tag_name(v->tag));
  return Scalar();
}

Span<const int64_t> ArgReader::int_list(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return {};
  if (!v->is_int_list()) {
    fail(Error::InvalidArgument, "argument %zu (%s) should be an IntList, got %s", i, name,
         tag_name(v->tag));
    return {};
  }
  for (size_t k = 0; k < v->payload.as_int_list.size; ++k) {
    const EValue* item = v->payload.as_int_list.items[k];
    if (item == nullptr || !item->is_int()) {
      fail(Error::InvalidArgument, "argument %zu (%s) item %zu is not an Int", i, name, k);
      return {};
    }
  }
  return v->to_int_list();
}

bool ArgReader::optional_int_list(size_t i, const char* name, Span<const int64_t>* list) {
  const EValue* v = get(i, name);
  if (v == nullptr || v->is_none()) return false;
  *list = int_list(i, name);
  return ok_;
}

bool ArgReader::optional_string(size_t i, const char* name, Span<const char>* str) {
  const EValue* v = get(i, name);
  if (v == nullptr || v->is_none()) return false;
  if (v->tag != Tag::String) {
    fail(Error::InvalidArgument, "argument %zu (%s) should be a String, got %s", i, name,
         tag_name(v->tag));
    return false;
  }
  *str = Span<const char>(v->payload.as_string.data, v->payload.as_string.size);
  return true;
}

Span<EValue* const> ArgReader::tensor_list(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return {};
  if (!v->is_tensor_list()) {
    fail(Error::InvalidArgument, "argument %zu (%s) should be a TensorList, got %s", i, name,
         tag_name(v->tag));
    return {};
  }
  Span<EValue* const> items(v->payload.as_tensor_list.items, v->payload.as_tensor_list.size);
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k] == nullptr || !items[k]->is_tensor() || items[k]->payload.as_tensor == nullptr) {
      fail(Error::InvalidArgument, "argument %zu (%s) item %zu is not a Tensor", i, name, k);
      return {};
    }
  }
  return items;
}

Span<EValue* const> ArgReader::optional_tensor_list(size_t i, const char* name) {
  const EValue* v = get(i, name);
  if (v == nullptr) return {};
  if (v->tag != Tag::OptionalTensorList && v->tag != Tag::TensorList) {
    fail(Error::InvalidArgument, "argument %zu (%s) should be an OptionalTensorList, got %s", i,
         name, tag_name(v->tag));
    return {};
  }
  Span<EValue* const> items(v->payload.as_tensor_list.items, v->payload.as_tensor_list.size);
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k] == nullptr || items[k]->is_none()) continue;
    if (!items[k]->is_tensor() || items[k]->payload.as_tensor == nullptr) {
      fail(Error::InvalidArgument, "argument %zu (%s) item %zu is neither a Tensor nor None", i,
           name, k);
      return {};
    }
  }
  return items;
}

namespace {

bool is_signed_integer(ScalarType t) {
  return t == ScalarType::Char || t == ScalarType::Short || t == ScalarType::Int ||
         t == ScalarType::Long;
}

/// Width rank of the signed integer types (int8 < int16 < int32 < int64).
int integer_rank(ScalarType t) {
  switch (t) {
    case ScalarType::Char: return 0;
    case ScalarType::Short: return 1;
    case ScalarType::Int: return 2;
    default: return 3;
  }
}

}  // namespace

ScalarType promote_types(ScalarType a, ScalarType b) {
  if (a == b) return a;
  if (a == ScalarType::Bool) return b;
  if (b == ScalarType::Bool) return a;
  const bool fa = is_floating_type(a);
  const bool fb = is_floating_type(b);
  if (fa && fb) {
    if (a == ScalarType::Double || b == ScalarType::Double) return ScalarType::Double;
    return ScalarType::Float;  // float16 with bfloat16, or either with float32
  }
  if (fa) return a;
  if (fb) return b;
  if (a == ScalarType::Byte || b == ScalarType::Byte) {
    const ScalarType other = a == ScalarType::Byte ? b : a;
    return other == ScalarType::Char ? ScalarType::Short : other;
  }
  if (!is_signed_integer(a) || !is_signed_integer(b)) return ScalarType::Long;  // not reached
  return integer_rank(a) >= integer_rank(b) ? a : b;
}

bool string_equals(Span<const char> str, const char* s) {
  const size_t n = strlen(s);
  return str.size() == n && (n == 0 || memcmp(str.data(), s, n) == 0);
}

SizesText sizes_text(const int64_t* sizes, int ndim) {
  SizesText t;
  size_t used = 0;
  t.text[0] = '\0';
  used += snprintf(t.text, sizeof(t.text), "[");
  for (int d = 0; d < ndim && used < sizeof(t.text); ++d) {
    used += snprintf(t.text + used, sizeof(t.text) - used, d ? ", %lld" : "%lld",
                     static_cast<long long>(sizes[d]));
  }
  if (used < sizeof(t.text)) snprintf(t.text + used, sizeof(t.text) - used, "]");
  return t;
}

ScalarText scalar_text(const Scalar& s) {
  ScalarText t;
  if (s.is_bool()) {
    snprintf(t.text, sizeof(t.text), "%s", s.int_value() != 0 ? "true" : "false");
  } else if (s.is_int()) {
    snprintf(t.text, sizeof(t.text), "%lld", static_cast<long long>(s.int_value()));
  } else {
    snprintf(t.text, sizeof(t.text), "%g", s.to_double());
  }
  return t;
}

SizesText sizes_text(Span<const int32_t> sizes) {
  int64_t wide[kMaxRank];
  const int n = sizes.size() > static_cast<size_t>(kMaxRank) ? kMaxRank
                                                              : static_cast<int>(sizes.size());
  for (int d = 0; d < n; ++d) wide[d] = sizes[d];
  return sizes_text(wide, n);
}

bool resize_out(KernelContext& ctx, const char* op, const char* name, Tensor& out,
                const int64_t* sizes, int ndim) {
  if (out.dim() != ndim) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "%s has rank %d, expected rank %d with sizes %s", name,
                       static_cast<int>(out.dim()), ndim, sizes_text(sizes, ndim).text);
  }
  int32_t narrow[kMaxRank];
  for (int d = 0; d < ndim; ++d) {
    if (sizes[d] < 0 || sizes[d] > INT32_MAX) {
      return kernel_fail(ctx, Error::InvalidArgument, op, "computed %s sizes %s are out of range",
                         name, sizes_text(sizes, ndim).text);
    }
    narrow[d] = static_cast<int32_t>(sizes[d]);
  }
  if (out.resize(Span<const int32_t>(narrow, static_cast<size_t>(ndim))) != Error::Ok) {
    return kernel_fail(ctx, Error::InvalidArgument, op,
                       "%s has sizes %s, cannot hold the result's sizes %s", name,
                       sizes_text(out.sizes()).text, sizes_text(sizes, ndim).text);
  }
  return true;
}

bool check_dtype(KernelContext& ctx, const char* op, const char* name, const Tensor& t,
                 ScalarType dtype) {
  if (t.dtype() == dtype) return true;
  return kernel_fail(ctx, Error::NotSupported, op, "%s has dtype %s, expected %s", name,
                     scalar_type_name(t.dtype()), scalar_type_name(dtype));
}

bool prepare_out(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out,
                 ScalarType dtype) {
  if (!check_dtype(ctx, op, "out", out, dtype)) return false;
  int64_t sizes[kMaxRank];
  tensor_sizes(self, sizes);
  return resize_out(ctx, op, "out", out, sizes, self.dim());
}

bool check_contiguous(KernelContext& ctx, const char* op, const char* name, const Tensor& t) {
  if (t.is_contiguous_order()) return true;
  return kernel_fail(ctx, Error::NotSupported, op, "%s must use the contiguous dim order (0..n-1)",
                     name);
}

bool normalize_dim(int64_t dim, int64_t ndim, int64_t* out) {
  const int64_t n = ndim == 0 ? 1 : ndim;
  if (dim < -n || dim >= n) return false;
  *out = dim < 0 ? dim + n : dim;
  return true;
}

void tensor_sizes(const Tensor& t, int64_t* sizes) {
  for (int32_t d = 0; d < t.dim(); ++d) sizes[d] = t.size(d);
}

void tensor_strides(const Tensor& t, int64_t* strides) {
  for (int32_t d = 0; d < t.dim(); ++d) strides[d] = t.stride(d);
}

bool broadcast_shapes(Span<const int32_t> a, Span<const int32_t> b, int64_t* out, int* ndim) {
  const int na = static_cast<int>(a.size());
  const int nb = static_cast<int>(b.size());
  const int n = na > nb ? na : nb;
  for (int d = 0; d < n; ++d) {
    const int da = d - (n - na);
    const int db = d - (n - nb);
    const int64_t sa = da >= 0 ? a[da] : 1;
    const int64_t sb = db >= 0 ? b[db] : 1;
    if (sa != sb && sa != 1 && sb != 1) return false;
    out[d] = sa == 1 ? sb : sa;
  }
  *ndim = n;
  return true;
}

void broadcast_strides(const Tensor& t, int ndim, const int64_t* sizes, int64_t* strides) {
  const int lead = ndim - t.dim();
  for (int d = 0; d < ndim; ++d) {
    const int td = d - lead;
    strides[d] = (td < 0 || (t.size(td) == 1 && sizes[d] != 1)) ? 0 : t.stride(td);
  }
}

void StridedLoop::init(int in_ndim, const int64_t* in_sizes, int num_ops,
                       const int64_t* const* op_strides) {
  nops = num_ops;
  ndim = 0;
  numel = 1;
  for (int d = 0; d < in_ndim; ++d) numel *= in_sizes[d];
  for (int d = 0; d < in_ndim; ++d) {
    if (in_sizes[d] == 1) continue;  // contributes no offset
    bool merge = ndim > 0;
    for (int op = 0; op < nops && merge; ++op) {
      merge = strides[op][ndim - 1] == op_strides[op][d] * in_sizes[d];
    }
    if (merge) {
      sizes[ndim - 1] *= in_sizes[d];
      for (int op = 0; op < nops; ++op) strides[op][ndim - 1] = op_strides[op][d];
    } else {
      sizes[ndim] = in_sizes[d];
      for (int op = 0; op < nops; ++op) strides[op][ndim] = op_strides[op][d];
      ++ndim;
    }
  }
}

namespace {

template <typename T>
void copy_rows(const StridedLoop& loop, const void* src, void* dst) {
  const T* s = static_cast<const T*>(src);
  T* o = static_cast<T*>(dst);
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    T* out_row = o + off[0];
    const T* in_row = s + off[1];
    if (st[0] == 1 && st[1] == 1) {
      if (out_row != in_row) memmove(out_row, in_row, static_cast<size_t>(n) * sizeof(T));
      return;
    }
    for (int64_t i = 0; i < n; ++i) out_row[i * st[0]] = in_row[i * st[1]];
  });
}

struct Bytes16 {
  uint8_t b[16];
};

}  // namespace

void copy_strided(int ndim, const int64_t* sizes, const void* src, const int64_t* src_strides,
                  void* dst, const int64_t* dst_strides, size_t elem_size) {
  const int64_t* strides[2] = {dst_strides, src_strides};
  StridedLoop loop;
  loop.init(ndim, sizes, 2, strides);
  switch (elem_size) {
    case 1: copy_rows<uint8_t>(loop, src, dst); break;
    case 2: copy_rows<uint16_t>(loop, src, dst); break;
    case 4: copy_rows<uint32_t>(loop, src, dst); break;
    case 8: copy_rows<uint64_t>(loop, src, dst); break;
    case 16: copy_rows<Bytes16>(loop, src, dst); break;
    default: break;  // no such dtype
  }
}

}  // namespace ember
