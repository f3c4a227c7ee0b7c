// Shared machinery of the broadcast elementwise kernels (op_elementwise.cpp,
// op_compare.cpp): torch's type promotion over tensor and Scalar operands,
// NumPy broadcasting of up to three inputs, and row loops that read every
// input in the compute type.
//
// An input whose dtype differs from the compute type (int32 + int64, a bool
// mask times a float, a Scalar argument) is converted block by block into a
// small buffer on the stack, so mixed dtypes need no temp memory; inputs that
// already have the compute type are read in place.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// One input of a broadcast elementwise op: a tensor, or a Scalar argument
/// (torch's "wrapped number").
struct Operand {
  const Tensor* tensor = nullptr;        ///< nullptr for a Scalar
  ScalarType dtype = ScalarType::Float;  ///< element type of data(); scalar.dtype() for a Scalar
  Scalar scalar;                         ///< the Scalar argument (for a Scalar operand)

  bool is_scalar() const { return tensor == nullptr; }
  int dim() const { return tensor != nullptr ? tensor->dim() : 0; }
  const void* data() const { return tensor != nullptr ? tensor->data() : scalar.data(); }
};

/// Read argument i as a Tensor operand.
void read_tensor_operand(ArgReader& r, size_t i, const char* name, Operand* out);

/// Read argument i as a Scalar operand (dtype Long, Double or Bool as the
/// program gave an Int, a Double or a Bool).
void read_scalar_operand(ArgReader& r, size_t i, const char* name, Operand* out);

/// torch.result_type: dimensioned tensors promote among themselves; 0-d
/// tensors, and then Scalars, take part only where their category (bool <
/// integer < floating) is higher than that of the tiers above. A Double
/// Scalar counts as float32 (torch's default dtype), an Int Scalar as int64.
ScalarType result_type(const Operand* ins, int n);

/// The shared prologue: broadcast the `n` inputs (NumPy rules; a Scalar is
/// 0-d), check that `out` has dtype `out_dtype`, resize it to the broadcast
/// shape and set up `loop` over [out, ins...]. Logs (naming `op`) and fails
/// the call on any problem.
bool prepare_elementwise(KernelContext& ctx, const char* op, const Operand* ins, int n,
                         Tensor& out, ScalarType out_dtype, StridedLoop* loop);

/// Convert one element as torch does: through float for the 16-bit floats,
/// nonzero -> true for bool, integers narrowed modulo 2^n. A floating value
/// converted to an integer type (which promotion never asks for) saturates,
/// and NaN gives 0, rather than being undefined.
template <typename To, typename From>
inline To cast_to(From v) {
  using F = compute_t<From>;
  const F x = static_cast<F>(v);
  if constexpr (std::is_same<To, bool>::value) {
    return x != F(0);
  } else if constexpr (std::is_integral<To>::value && std::is_floating_point<F>::value) {
    if (!(x == x)) return To(0);
    if (x <= static_cast<F>(std::numeric_limits<To>::lowest())) {
      return std::numeric_limits<To>::lowest();
    }
    if (x >= static_cast<F>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(x);
  } else {
    return static_cast<To>(static_cast<compute_t<To>>(x));
  }
}

/// Elements converted per block when an input's dtype differs from the
/// compute type (the buffers live on the stack).
constexpr int64_t kConvertBlock = 64;

/// A row of one input: n elements at p with step s (0 when broadcast).
template <typename T>
struct Row {
  const T* p;
  int64_t s;
  compute_t<T> operator[](int64_t i) const { return static_cast<compute_t<T>>(load(p + i * s)); }
};

/// The `n` elements of `in` from element offset `off` with step `st`, as T:
/// in place when `in` has dtype T, else converted into `buf` (kConvertBlock
/// elements; a broadcast row converts its one element).
template <typename T>
Row<T> fetch_row(const Operand& in, int64_t off, int64_t st, int64_t n, T* buf) {
  if (in.dtype == DtypeOf<T>::value) return {static_cast<const T*>(in.data()) + off, st};
  const int64_t count = st == 0 ? 1 : n;
  EMBER_SWITCH_ALL(in.dtype, for (int64_t i = 0; i < count; ++i) buf[i] = T(), {
    const CTYPE* src = static_cast<const CTYPE*>(in.data()) + off;
    for (int64_t i = 0; i < count; ++i) buf[i] = cast_to<T>(load(src + i * st));
  });
  return {buf, st == 0 ? 0 : 1};
}

/// out[i] = f(a[i], b[i]) over `loop` (operands out, a, b), with a and b read
/// as CT and passed to f as compute_t<CT>; f returns compute_t<CT> (stored as
/// OutT = CT) or bool (OutT = bool).
template <typename CT, typename OutT, typename F>
void run_binary(const StridedLoop& loop, OutT* out, const Operand& a, const Operand& b, F f) {
  using M = compute_t<CT>;
  constexpr ScalarType kCt = DtypeOf<CT>::value;
  const bool convert_a = a.dtype != kCt;
  const bool convert_b = b.dtype != kCt;
  CT buf_a[kConvertBlock];
  CT buf_b[kConvertBlock];
  loop.run([&](const int64_t* off, int64_t n, const int64_t* st) {
    // Rows that convert more than one element go in blocks that fit the buffers.
    const bool blocked = (convert_a && st[1] != 0) || (convert_b && st[2] != 0);
    const int64_t block = blocked ? kConvertBlock : n;
    for (int64_t start = 0; start < n; start += block) {
      const int64_t m = n - start < block ? n - start : block;
      const Row<CT> ra = fetch_row(a, off[1] + start * st[1], st[1], m, buf_a);
      const Row<CT> rb = fetch_row(b, off[2] + start * st[2], st[2], m, buf_b);
      OutT* o = out + off[0] + start * st[0];
      const int64_t so = st[0];
      if (so == 1 && ra.s == 1 && rb.s == 1) {
        for (int64_t i = 0; i < m; ++i) o[i] = f(M(load(ra.p + i)), M(load(rb.p + i)));
      } else if (so == 1 && ra.s == 1 && rb.s == 0) {
        const M y = rb[0];
        for (int64_t i = 0; i < m; ++i) o[i] = f(M(load(ra.p + i)), y);
      } else if (so == 1 && ra.s == 0 && rb.s == 1) {
        const M x = ra[0];
        for (int64_t i = 0; i < m; ++i) o[i] = f(x, M(load(rb.p + i)));
      } else {
        for (int64_t i = 0; i < m; ++i) o[i * so] = f(ra[i], rb[i]);
      }
    }
  });
}

}  // namespace portable
}  // namespace ember
