// Helpers every kernel library shares (namespace ember: the portable and
// the optimized kernels use them alike): reading and checking a kernel's
// arguments, failing a call, resizing its outputs, dtype dispatch and
// promotion, broadcasting, and strided loops that walk any dim order row by
// row.
//
// Every kernel follows the same shape:
//   ArgReader r(ctx, args, "aten::add.out", 5);
//   Tensor* self = r.tensor(0, "self");
//   const Scalar alpha = r.scalar(2, "alpha");   // see scalar.h
//   ...
//   if (!r.ok()) return;          // a bad tag or count was logged and failed
//   EMBER_KERNEL_CHECK(ctx, cond, InvalidArgument, op, "self must ...");
// and fails in one way: kernel_fail() (which EMBER_KERNEL_CHECK,
// ArgReader::fail and reject_dtype call) logs "<op>: <message>" and records
// the error. No exceptions, no heap: scratch memory comes from
// ctx.allocate_temp().
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "runtime/core/half.h"
#include "runtime/core/evalue.h"
#include "runtime/core/span.h"
#include "runtime/core/tensor.h"
#include "runtime/kernel/kernel.h"
#include "runtime/kernels/common/scalar.h"
#include "runtime/kernels/selective_build.h"
#include "runtime/platform/platform.h"

/// In a kernel (a void function): if `cond` is false, fail the call with
/// Error::err and the message "<op>: <fmt...>" (kernel_fail) and return.
#define EMBER_KERNEL_CHECK(ctx, cond, err, op, ...)                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      ::ember::kernel_fail((ctx), ::ember::Error::err, (op), __VA_ARGS__); \
      return;                                                               \
    }                                                                          \
  } while (0)

/// One case of a dtype switch: binds CTYPE and runs the body; in a selective
/// build that leaves the dtype out (selective_build.h), runs `otherwise`
/// instead and compiles no code for the body.
#define EMBER_DTYPE_CASE(ENUM, TYPE, otherwise, ...)                           \
  case ::ember::ScalarType::ENUM: {                                            \
    if constexpr (EMBER_DTYPE_KEPT(ENUM)) {                                    \
      using CTYPE = TYPE;                                                      \
      __VA_ARGS__;                                                             \
    } else {                                                                   \
      otherwise;                                                               \
    }                                                                          \
  } break;

/// Run the body with CTYPE bound to float, int32_t or int64_t as `dtype` is
/// Float, Int or Long; any other dtype runs `otherwise`.
#define EMBER_SWITCH_REAL(dtype, otherwise, ...)                               \
  switch (dtype) {                                                             \
    EMBER_DTYPE_CASE(Float, float, otherwise, __VA_ARGS__)                     \
    EMBER_DTYPE_CASE(Int, int32_t, otherwise, __VA_ARGS__)                     \
    EMBER_DTYPE_CASE(Long, int64_t, otherwise, __VA_ARGS__)                    \
    default:                                                                   \
      otherwise;                                                               \
      break;                                                                   \
  }

/// Run the body with CTYPE bound to the floating type of `dtype`: float,
/// double, Half or BFloat16 (the 16-bit types convert to and from float
/// implicitly; compute in float). Any other dtype runs `otherwise`.
#define EMBER_SWITCH_FLOAT(dtype, otherwise, ...)                              \
  switch (dtype) {                                                             \
    EMBER_DTYPE_CASE(Float, float, otherwise, __VA_ARGS__)                     \
    EMBER_DTYPE_CASE(Double, double, otherwise, __VA_ARGS__)                   \
    EMBER_DTYPE_CASE(Half, ::ember::Half, otherwise, __VA_ARGS__)              \
    EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, otherwise, __VA_ARGS__)      \
    default:                                                                   \
      otherwise;                                                               \
      break;                                                                   \
  }

/// Run the body with CTYPE bound to float, Half or BFloat16 as `dtype` is
/// Float, Half or BFloat16 (the kernels whose 16-bit variants accumulate in
/// float: matrix products, convolution, pooling, attention). Any other dtype
/// runs `otherwise`.
#define EMBER_SWITCH_FLOAT_HALF(dtype, otherwise, ...)                         \
  switch (dtype) {                                                             \
    EMBER_DTYPE_CASE(Float, float, otherwise, __VA_ARGS__)                     \
    EMBER_DTYPE_CASE(Half, ::ember::Half, otherwise, __VA_ARGS__)              \
    EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, otherwise, __VA_ARGS__)      \
    default:                                                                   \
      otherwise;                                                               \
      break;                                                                   \
  }

/// As EMBER_SWITCH_REAL, plus Bool, Byte, Char, Short, Double, Half and
/// BFloat16: every dtype the copy and cast kernels move.
#define EMBER_SWITCH_ALL(dtype, otherwise, ...)                                \
  switch (dtype) {                                                             \
    EMBER_DTYPE_CASE(Float, float, otherwise, __VA_ARGS__)                     \
    EMBER_DTYPE_CASE(Double, double, otherwise, __VA_ARGS__)                   \
    EMBER_DTYPE_CASE(Half, ::ember::Half, otherwise, __VA_ARGS__)              \
    EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, otherwise, __VA_ARGS__)      \
    EMBER_DTYPE_CASE(Int, int32_t, otherwise, __VA_ARGS__)                     \
    EMBER_DTYPE_CASE(Long, int64_t, otherwise, __VA_ARGS__)                    \
    EMBER_DTYPE_CASE(Short, int16_t, otherwise, __VA_ARGS__)                   \
    EMBER_DTYPE_CASE(Char, int8_t, otherwise, __VA_ARGS__)                     \
    EMBER_DTYPE_CASE(Byte, uint8_t, otherwise, __VA_ARGS__)                    \
    EMBER_DTYPE_CASE(Bool, bool, otherwise, __VA_ARGS__)                       \
    default:                                                                   \
      otherwise;                                                               \
      break;                                                                   \
  }

namespace ember {

/// True for Float, Double, Half and BFloat16.
inline bool is_floating_type(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double || t == ScalarType::Half ||
         t == ScalarType::BFloat16;
}

/// True for float, double, Half and BFloat16 (as C++ types).
template <typename T>
constexpr bool is_floating_v = std::is_floating_point<T>::value ||
                               std::is_same<T, Half>::value || std::is_same<T, BFloat16>::value;

/// The type a kernel computes one element of T in: float for Half and
/// BFloat16 (computed in float, rounded once on store), T itself otherwise.
template <typename T>
using compute_t =
    typename std::conditional<std::is_same<T, Half>::value || std::is_same<T, BFloat16>::value,
                              float, T>::type;

/// True for the integer types and Bool.
inline bool is_integral_type(ScalarType t) {
  return t == ScalarType::Bool || t == ScalarType::Byte || t == ScalarType::Char ||
         t == ScalarType::Short || t == ScalarType::Int || t == ScalarType::Long;
}

/// Read one element. A bool tensor's bytes come from the program (constants)
/// or from other kernels' memory and may hold any value, and loading a byte
/// other than 0 or 1 as C++ bool is undefined: load<bool> reads the byte and
/// treats any nonzero value as true, as torch does. Use it wherever a kernel
/// may read bool elements.
template <typename T>
inline T load(const T* p) {
  return *p;
}
template <>
inline bool load<bool>(const bool* p) {
  return *reinterpret_cast<const uint8_t*>(p) != 0;
}

/// The ScalarType of a C++ element type.
template <typename T>
struct DtypeOf;
#define EMBER_DTYPE_OF(TYPE, ENUM)                        \
  template <>                                             \
  struct DtypeOf<TYPE> {                                  \
    static constexpr ScalarType value = ScalarType::ENUM; \
  };
EMBER_DTYPE_OF(bool, Bool)
EMBER_DTYPE_OF(uint8_t, Byte)
EMBER_DTYPE_OF(int8_t, Char)
EMBER_DTYPE_OF(int16_t, Short)
EMBER_DTYPE_OF(int32_t, Int)
EMBER_DTYPE_OF(int64_t, Long)
EMBER_DTYPE_OF(Half, Half)
EMBER_DTYPE_OF(BFloat16, BFloat16)
EMBER_DTYPE_OF(float, Float)
EMBER_DTYPE_OF(double, Double)
#undef EMBER_DTYPE_OF

/// torch.promote_types over the ten supported dtypes (bool < integers <
/// floats; uint8 with int8 gives int16; float16 with bfloat16 gives float32).
ScalarType promote_types(ScalarType a, ScalarType b);

/// True if argument i is present and None (for the optional arguments an
/// ArgReader does not read: Scalar?).
inline bool arg_is_none(Span<EValue*> args, size_t i) {
  return i < args.size() && args[i] != nullptr && args[i]->is_none();
}

/// The one way a kernel fails: log "<op>: <message>" (the message names
/// what is wrong) and fail the call with `err`, unless an earlier error is
/// already recorded (the first one stands). Returns false, so that a step
/// returning bool can `return kernel_fail(...)`.
bool kernel_fail(KernelContext& ctx, Error err, const char* op, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

/// kernel_fail with NotSupported and "<op>: dtype <t> is not supported for
/// <what>" (`what` names the operand or the operation). Returns false.
bool reject_dtype(KernelContext& ctx, const char* op, const char* what, ScalarType t);

/// Reads a kernel's arguments by position, checking count and tags. The
/// first problem fails the call (kernel_fail, InvalidArgument, naming the op
/// and the argument); later reads then return harmless defaults
/// (nullptr, 0, empty), so a kernel reads everything and checks ok() once.
class ArgReader {
 public:
  /// `expected` counts every entry of args: schema arguments, outs, results.
  ArgReader(KernelContext& ctx, Span<EValue*> args, const char* op, size_t expected);

  bool ok() const { return ok_; }
  const char* op() const { return op_; }
  KernelContext& ctx() const { return ctx_; }

  /// A Tensor argument; nullptr after a failure.
  Tensor* tensor(size_t i, const char* name);
  /// A Tensor? argument: nullptr for None (and after a failure: check ok()).
  Tensor* optional_tensor(size_t i, const char* name);
  /// An int argument.
  int64_t integer(size_t i, const char* name);
  /// An int? argument: false for None, else stores the value.
  bool optional_integer(size_t i, const char* name, int64_t* value);
  /// A float argument (Double; an Int is accepted too).
  double real(size_t i, const char* name);
  /// A float? argument: false for None, else stores the value.
  bool optional_real(size_t i, const char* name, double* value);
  /// A bool argument.
  bool boolean(size_t i, const char* name);
  /// A Scalar argument (Int, Double or Bool), as given (scalar.h).
  Scalar scalar(size_t i, const char* name);
  /// An int[] argument.
  Span<const int64_t> int_list(size_t i, const char* name);
  /// An int[]? argument: false for None, else stores the list.
  bool optional_int_list(size_t i, const char* name, Span<const int64_t>* list);
  /// A str or str? argument: false for None, else stores the characters.
  bool optional_string(size_t i, const char* name, Span<const char>* str);
  /// A Tensor[] argument: the Tensor EValues, each checked.
  Span<EValue* const> tensor_list(size_t i, const char* name);
  /// A Tensor?[] argument (an OptionalTensorList, or a TensorList): the
  /// EValues, nullptr for None, every other item checked to be a Tensor.
  Span<EValue* const> optional_tensor_list(size_t i, const char* name);

  /// kernel_fail(ctx, err, op, ...) for the first problem; later ones are
  /// dropped (a kernel that read past a failure sees harmless defaults).
  void fail(Error err, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

 private:
  const EValue* get(size_t i, const char* name);

  KernelContext& ctx_;
  Span<EValue*> args_;
  const char* op_;
  bool ok_ = true;
};

/// True if the string argument equals the literal `s`.
bool string_equals(Span<const char> str, const char* s);

/// "[2, 3, 4]" in a small buffer, for log lines.
struct SizesText {
  char text[128];
};
SizesText sizes_text(Span<const int32_t> sizes);
SizesText sizes_text(const int64_t* sizes, int ndim);

/// A Scalar's value as given ("3", "2.5", "true"), for log lines.
struct ScalarText {
  char text[32];
};
ScalarText scalar_text(const Scalar& s);

/// Convert the Scalar argument `name` to T (Scalar::to, as torch); if it
/// does not fit, fail the call with InvalidArgument: "<op>: <name> = <value>
/// cannot be converted to <dtype> without overflow".
template <typename T>
bool scalar_arg_to(KernelContext& ctx, const char* op, const char* name, const Scalar& s,
                   T* out) {
  if (s.to(out)) return true;
  return kernel_fail(ctx, Error::InvalidArgument, op,
                     "%s = %s cannot be converted to %s without overflow", name,
                     scalar_text(s).text, scalar_type_name(DtypeOf<T>::value));
}

/// Resize `out` to sizes[0..ndim): checks the rank, that every size fits in
/// int32, and that Tensor::resize accepts it (a static tensor must already
/// have these sizes). Logs and fails with InvalidArgument otherwise.
bool resize_out(KernelContext& ctx, const char* op, const char* name, Tensor& out,
                const int64_t* sizes, int ndim);

/// Check that `t` has dtype `dtype`; logs and fails with NotSupported if not.
bool check_dtype(KernelContext& ctx, const char* op, const char* name, const Tensor& t,
                 ScalarType dtype);

/// Check that `out` has `dtype` (check_dtype) and resize it to self's sizes
/// (resize_out): the prologue of a kernel whose out has its input's shape.
bool prepare_out(KernelContext& ctx, const char* op, const Tensor& self, Tensor& out,
                 ScalarType dtype);

/// Check that `t` uses the contiguous dim order (0..n-1); logs and fails with
/// NotSupported if not (for kernels that do not walk strides).
bool check_contiguous(KernelContext& ctx, const char* op, const char* name, const Tensor& t);

/// Wrap a possibly negative dim into [0, ndim); a 0-d tensor accepts -1 and 0
/// (as torch does). False if out of range.
bool normalize_dim(int64_t dim, int64_t ndim, int64_t* out);

/// The tensor's sizes and element strides as int64.
void tensor_sizes(const Tensor& t, int64_t* sizes);
void tensor_strides(const Tensor& t, int64_t* strides);

/// NumPy broadcast of two shapes into out[0..*ndim); false if incompatible.
bool broadcast_shapes(Span<const int32_t> a, Span<const int32_t> b, int64_t* out, int* ndim);

/// Element strides of `t` seen as the `ndim`-d shape `sizes` it broadcasts
/// to: leading and size-1 dims get stride 0.
void broadcast_strides(const Tensor& t, int ndim, const int64_t* sizes, int64_t* strides);

/// Largest number of operands a StridedLoop walks together.
constexpr int kMaxOperands = 4;

/// An index space walked row by row, each operand with its own element
/// strides (0 where it is broadcast). Dims of size 1 are dropped and adjacent
/// dims that are contiguous for every operand are merged, so dense operands
/// of the same dim order become one long row.
struct StridedLoop {
  int ndim = 0;  ///< after merging; 0 means a single element
  int nops = 0;
  int64_t sizes[kMaxRank] = {};
  int64_t strides[kMaxOperands][kMaxRank] = {};
  int64_t numel = 1;

  /// `strides[op]` points at ndim element strides for operand op.
  void init(int in_ndim, const int64_t* in_sizes, int num_ops, const int64_t* const* op_strides);

  /// Call fn(offsets, n, inner_strides) once per innermost row: offsets[op]
  /// is the element offset of the row's first element in operand op, n its
  /// length and inner_strides[op] the step between its elements.
  template <typename F>
  void run(F&& fn) const {
    if (numel == 0) return;
    int64_t offsets[kMaxOperands] = {};
    int64_t inner[kMaxOperands] = {};
    if (ndim == 0) {
      fn(offsets, int64_t{1}, inner);
      return;
    }
    const int last = ndim - 1;
    for (int op = 0; op < nops; ++op) inner[op] = strides[op][last];
    int64_t index[kMaxRank] = {};
    for (;;) {
      fn(offsets, sizes[last], inner);
      int d = last - 1;
      for (; d >= 0; --d) {
        if (++index[d] < sizes[d]) {
          for (int op = 0; op < nops; ++op) offsets[op] += strides[op][d];
          break;
        }
        for (int op = 0; op < nops; ++op) offsets[op] -= strides[op][d] * (sizes[d] - 1);
        index[d] = 0;
      }
      if (d < 0) return;
    }
  }
};

/// Every line along `dim` of operands that share a shape (e.g. an input and
/// its out): `loop` walks the line starts (its operands in the order given),
/// `len` is the line length and `steps[op]` the element step along it in
/// operand op. A 0-d tensor is one line of one element. `dim` must be valid.
struct DimLines {
  StridedLoop loop;
  int64_t len = 1;
  int64_t steps[kMaxOperands] = {};

  void init(const Tensor* const* operands, int num_ops, int64_t dim) {
    const Tensor& first = *operands[0];
    const int ndim = first.dim();
    int64_t sizes[kMaxRank];
    int64_t strides[kMaxOperands][kMaxRank];
    const int64_t* ptrs[kMaxOperands];
    tensor_sizes(first, sizes);
    for (int op = 0; op < num_ops; ++op) {
      tensor_strides(*operands[op], strides[op]);
      steps[op] = ndim == 0 ? 0 : strides[op][dim];
      ptrs[op] = strides[op];
    }
    len = ndim == 0 ? 1 : sizes[dim];
    if (ndim > 0) sizes[dim] = 1;
    loop.init(ndim, sizes, num_ops, ptrs);
  }
};

/// Copy an index space of `elem_size`-byte elements between two strided
/// layouts (same dtype): the workhorse of permute, expand, cat and clone.
void copy_strided(int ndim, const int64_t* sizes, const void* src, const int64_t* src_strides,
                  void* dst, const int64_t* dst_strides, size_t elem_size);

/// Apply `f` elementwise from `in` to `out` (same shape, any dim orders):
/// one flat loop when both share a dim order, a strided walk otherwise.
template <typename In, typename Out, typename F>
void map_unary(const Tensor& in, Tensor& out, F f) {
  const In* src = in.data_as<const In>();
  Out* dst = out.data_as<Out>();
  bool same_order = true;
  for (int32_t d = 0; d < in.dim(); ++d) {
    if (in.dim_order()[d] != out.dim_order()[d]) same_order = false;
  }
  if (same_order) {
    const int64_t n = in.numel();
    for (int64_t i = 0; i < n; ++i) dst[i] = f(load(src + i));
    return;
  }
  int64_t sizes[kMaxRank], s_in[kMaxRank], s_out[kMaxRank];
  tensor_sizes(in, sizes);
  tensor_strides(out, s_out);
  tensor_strides(in, s_in);
  const int64_t* strides[2] = {s_out, s_in};
  StridedLoop loop;
  loop.init(in.dim(), sizes, 2, strides);
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    Out* o = dst + off[0];
    const In* a = src + off[1];
    for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(load(a + i * st[1]));
  });
}

}  // namespace ember
