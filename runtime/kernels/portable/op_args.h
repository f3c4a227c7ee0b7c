// Argument readers shared by an operator's portable kernel and the kernels
// of other libraries that take some of its calls (runtime/kernels/optimized):
// one place reads and tag-checks a schema's arguments, so both libraries
// accept and refuse the same calls with the same messages.
#pragma once

#include "runtime/kernels/common/kernel_utils.h"

namespace ember {
namespace portable {

/// mm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) and bmm.out, the same.
struct MatmulArgs {
  Tensor* self = nullptr;
  Tensor* mat2 = nullptr;
  Tensor* out = nullptr;
};

inline MatmulArgs read_matmul_args(ArgReader& r) {
  MatmulArgs a;
  a.self = r.tensor(0, "self");
  a.mat2 = r.tensor(1, "mat2");
  a.out = r.tensor(2, "out");
  return a;
}

/// addmm.out(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1,
/// Scalar alpha=1, Tensor(a!) out).
struct AddmmArgs {
  Tensor* self = nullptr;
  Tensor* mat1 = nullptr;
  Tensor* mat2 = nullptr;
  double beta = 1.0;
  double alpha = 1.0;
  Tensor* out = nullptr;
};

inline AddmmArgs read_addmm_args(ArgReader& r) {
  AddmmArgs a;
  a.self = r.tensor(0, "self");
  a.mat1 = r.tensor(1, "mat1");
  a.mat2 = r.tensor(2, "mat2");
  a.beta = r.scalar(3, "beta").to_double();
  a.alpha = r.scalar(4, "alpha").to_double();
  a.out = r.tensor(5, "out");
  return a;
}

/// linear.out(Tensor input, Tensor weight, Tensor? bias=None, *, Tensor(a!) out),
/// checked: out = input [..., k] @ weight[n, k]^T + bias [n], every tensor
/// float32 (or, read with half_too, all float16 or all bfloat16).
struct LinearCall {
  const Tensor* input = nullptr;
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;  ///< nullptr for None
  Tensor* out = nullptr;         ///< resized to [..., n], contiguous
  int64_t m = 0;                 ///< rows: the product of input's leading dims
  int64_t n = 0;
  int64_t k = 0;
  /// Row r of input starts at input + r * row_stride when its leading dims
  /// collapse into one (always for the contiguous order); else row_offset().
  bool rows_collapse = true;
  int64_t row_stride = 0;

  /// Element offset of row r of input (any layout).
  int64_t row_offset(int64_t r) const;
};

/// Reads and checks linear.out's arguments and resizes out; false (the call
/// failed with a message naming the argument) on bad input. float32 only, or
/// with `half_too` (the portable kernel) also float16 and bfloat16.
bool prepare_linear(KernelContext& ctx, Span<EValue*> args, LinearCall* call,
                    bool half_too = false);

/// The portable computation of a call prepare_linear checked (any layout,
/// float32, float16 or bfloat16): what linear_out runs, and the optimized
/// kernel off its fast path.
void run_linear(const LinearCall& call);

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

/// ember::rms_norm.out(Tensor input, int[] normalized_shape, Tensor? weight,
/// float eps, *, Tensor(a!) out).
struct RmsNormArgs {
  Tensor* input = nullptr;
  Span<const int64_t> normalized_shape;
  Tensor* weight = nullptr;  ///< nullptr for None
  double eps = 0.0;
  Tensor* out = nullptr;
};

/// Read them (the reader fails the call on a bad count or tag); r.ok() after.
inline RmsNormArgs read_rms_norm_args(ArgReader& r) {
  RmsNormArgs a;
  a.input = r.tensor(0, "input");
  a.normalized_shape = r.int_list(1, "normalized_shape");
  a.weight = r.optional_tensor(2, "weight");
  a.eps = r.real(3, "eps");
  a.out = r.tensor(4, "out");
  return a;
}

}  // namespace portable
}  // namespace ember

namespace ember {
namespace portable {

/// ember::sdpa.out(Tensor query, Tensor key, Tensor value, Tensor? attn_mask,
/// float dropout_p, bool is_causal, *, float? scale, bool enable_gqa,
/// Tensor(a!) out), checked: what the portable and the optimized attention
/// kernels both need (op_attention.cpp in each library).
struct SdpaArgs {
  const Tensor* q = nullptr;     ///< [N, Hq, L, E]
  const Tensor* k = nullptr;     ///< [N, Hk, S, E]
  const Tensor* v = nullptr;     ///< [N, Hk, S, Ev]
  const Tensor* mask = nullptr;  ///< nullptr, or bool / float broadcastable to [N, Hq, L, S]
  bool mask_is_bool = false;
  bool causal = false;  ///< key j is seen by query i when j <= i (torch's tril)
  float scale = 0.0f;   ///< the given scale, else 1 / sqrt(E)
  Tensor* out = nullptr;  ///< [N, Hq, L, Ev], resized
  int64_t n = 0, hq = 0, hk = 0, l = 0, s = 0, e = 0, ev = 0;
  /// Element strides of the mask over [N, Hq, L, S] (0 where it broadcasts).
  int64_t mask_strides[4] = {0, 0, 0, 0};
};

/// Read and check the arguments (shapes, dtypes, dropout_p 0, not both a
/// mask and is_causal) and resize out; false after logging and failing the
/// call. `expected_args` is 10 (schema arguments, out, return value).
/// query, key, value and out are float32 (a float mask too), or with
/// `half_too` (the portable kernel) all float16 or all bfloat16.
bool read_sdpa_args(KernelContext& ctx, Span<EValue*> args, SdpaArgs* a, bool half_too = false);

}  // namespace portable
}  // namespace ember
