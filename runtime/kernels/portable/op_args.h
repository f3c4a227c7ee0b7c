// Argument readers shared by an operator's portable kernel and the kernels
// of other libraries that take some of its calls (runtime/kernels/optimized):
// one place reads and tag-checks a schema's arguments, so both libraries
// accept and refuse the same calls with the same messages.
#pragma once

#include "runtime/kernels/portable/kernel_utils.h"

namespace ember {
namespace portable {

/// native_layer_norm.out(Tensor input, SymInt[] normalized_shape, Tensor? weight,
/// Tensor? bias, float eps, *, Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2).
struct LayerNormArgs {
  Tensor* input = nullptr;
  Span<const int64_t> normalized_shape;
  Tensor* weight = nullptr;  ///< nullptr for None
  Tensor* bias = nullptr;    ///< nullptr for None
  double eps = 0.0;
  Tensor* out0 = nullptr;
  Tensor* out1 = nullptr;
  Tensor* out2 = nullptr;
};

/// Read them (the reader fails the call on a bad count or tag); r.ok() after.
inline LayerNormArgs read_layer_norm_args(ArgReader& r) {
  LayerNormArgs a;
  a.input = r.tensor(0, "input");
  a.normalized_shape = r.int_list(1, "normalized_shape");
  a.weight = r.optional_tensor(2, "weight");
  a.bias = r.optional_tensor(3, "bias");
  a.eps = r.real(4, "eps");
  a.out0 = r.tensor(5, "out0");
  a.out1 = r.tensor(6, "out1");
  a.out2 = r.tensor(7, "out2");
  return a;
}

}  // namespace portable
}  // namespace ember
