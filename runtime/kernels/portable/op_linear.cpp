// Matrix products: addmm, mm, bmm and linear over float32 (gemm_f32) and
// float16 or bfloat16 (gemm_half: accumulated in float32, rounded once), all
// in matmul.h. Every tensor of a call has one dtype. Inputs may have any dim
// order (their strides are passed to the gemm: linear's weight [n, k] is read
// as the transposed right operand, never copied); outputs must be in the
// contiguous order.
#include <type_traits>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/matmul.h"
#include "runtime/kernels/portable/op_args.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// float32, float16 or bfloat16: the dtype every tensor of the call must have.
bool check_matrix_dtype(ArgReader& r, const Tensor& t) {
  const ScalarType d = t.dtype();
  if (d == ScalarType::Float || d == ScalarType::Half || d == ScalarType::BFloat16) return true;
  r.fail(Error::NotSupported, "unsupported dtype %s (float32, float16 or bfloat16)",
         scalar_type_name(d));
  return false;
}

bool check_matrix(ArgReader& r, const Tensor& t, const char* name, int rank, ScalarType dtype) {
  if (!check_dtype(r.ctx(), r.op(), name, t, dtype)) return false;
  if (t.dim() != rank) {
    r.fail(Error::InvalidArgument, "%s has sizes %s, expected a %d-d tensor", name,
           sizes_text(t.sizes()).text, rank);
    return false;
  }
  return true;
}

template <typename T>
MatrixViewOf<T> view_of(const Tensor& t, int row_dim, int64_t offset) {
  return MatrixViewOf<T>{t.data_as<const T>() + offset, t.stride(row_dim), t.stride(row_dim + 1)};
}

/// C = alpha * A B + beta * C in the element type T.
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, float alpha, MatrixViewOf<T> a, MatrixViewOf<T> b,
          float beta, T* c, int64_t ldc) {
  if constexpr (std::is_same<T, float>::value) {
    gemm_f32(m, n, k, alpha, a, b, beta, c, ldc);
  } else {
    gemm_half<T>(m, n, k, alpha, a, b, beta, c, ldc);
  }
}

/// linear_out's computation in the element type T (bias pre-filled into
/// out, then added by the gemm with beta 1: rounded once with the product).
template <typename T>
void linear(const LinearCall& c) {
  T* out = c.out->data_as<T>();
  float beta = 0.0f;
  if (c.bias != nullptr) {
    const T* bias = c.bias->data_as<const T>();
    const int64_t step = c.bias->stride(0);
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) out[i * c.n + j] = bias[j * step];
    }
    beta = 1.0f;
  }
  const T* in = c.input->data_as<const T>();
  const int rank = c.input->dim();
  const int64_t col_stride = c.input->stride(rank - 1);
  // weight [n, k] read as the right operand [k, n]: row stride 1, column stride k's.
  const MatrixViewOf<T> w{c.weight->data_as<const T>(), c.weight->stride(1), c.weight->stride(0)};
  if (c.rows_collapse) {
    gemm(c.m, c.n, c.k, 1.0f, MatrixViewOf<T>{in, c.row_stride, col_stride}, w, beta, out, c.n);
    return;
  }
  for (int64_t i = 0; i < c.m; ++i) {
    gemm(int64_t{1}, c.n, c.k, 1.0f, MatrixViewOf<T>{in + c.row_offset(i), 0, col_stride}, w,
         beta, out + i * c.n, c.n);
  }
}

}  // namespace

void addmm_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::addmm.out", 7);
  const AddmmArgs a = read_addmm_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat1 = a.mat1, *mat2 = a.mat2, *out = a.out;
  const double beta = a.beta, alpha = a.alpha;
  const char* op = r.op();
  const ScalarType dtype = mat1->dtype();
  if (!check_matrix_dtype(r, *mat1) || !check_matrix(r, *mat1, "mat1", 2, dtype) ||
      !check_matrix(r, *mat2, "mat2", 2, dtype) || !check_dtype(ctx, op, "self", *self, dtype) ||
      !check_dtype(ctx, op, "out", *out, dtype) || !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  const int64_t m = mat1->size(0), k = mat1->size(1), n = mat2->size(1);
  EMBER_KERNEL_CHECK(ctx, mat2->size(0) == k, InvalidArgument, op,
                     "mat1 %s and mat2 %s cannot be multiplied",
                     sizes_text(mat1->sizes()).text, sizes_text(mat2->sizes()).text);
  const int64_t sizes[2] = {m, n};
  int64_t bshape[2];
  int bdim = 0;
  const int32_t mn[2] = {static_cast<int32_t>(m), static_cast<int32_t>(n)};
  EMBER_KERNEL_CHECK(ctx,
                     self->dim() <= 2 && broadcast_shapes(self->sizes(), Span<const int32_t>(mn, 2),
                                                          bshape, &bdim) &&
                         bshape[0] == m && bshape[1] == n,
                     InvalidArgument, op, "self %s does not broadcast to [%lld, %lld]",
                     sizes_text(self->sizes()).text, static_cast<long long>(m),
                     static_cast<long long>(n));
  if (!resize_out(ctx, op, "out", *out, sizes, 2)) return;
  if (beta != 0.0) {
    int64_t s_self[2], s_out[2];
    broadcast_strides(*self, 2, sizes, s_self);
    tensor_strides(*out, s_out);
    copy_strided(2, sizes, self->data(), s_self, out->mutable_data(), s_out,
                 element_size(dtype));
  }
  EMBER_SWITCH_FLOAT_HALF(dtype, return,
                          gemm(m, n, k, static_cast<float>(alpha), view_of<CTYPE>(*mat1, 0, 0),
                               view_of<CTYPE>(*mat2, 0, 0), static_cast<float>(beta),
                               out->data_as<CTYPE>(), n));
}

void mm_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::mm.out", 4);
  const MatmulArgs a = read_matmul_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat2 = a.mat2, *out = a.out;
  const char* op = r.op();
  const ScalarType dtype = self->dtype();
  if (!check_matrix_dtype(r, *self) || !check_matrix(r, *self, "self", 2, dtype) ||
      !check_matrix(r, *mat2, "mat2", 2, dtype) || !check_dtype(ctx, op, "out", *out, dtype) ||
      !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  const int64_t m = self->size(0), k = self->size(1), n = mat2->size(1);
  EMBER_KERNEL_CHECK(ctx, mat2->size(0) == k, InvalidArgument, op,
                     "self %s and mat2 %s cannot be multiplied",
                     sizes_text(self->sizes()).text, sizes_text(mat2->sizes()).text);
  const int64_t sizes[2] = {m, n};
  if (!resize_out(ctx, op, "out", *out, sizes, 2)) return;
  EMBER_SWITCH_FLOAT_HALF(dtype, return,
                          gemm(m, n, k, 1.0f, view_of<CTYPE>(*self, 0, 0),
                               view_of<CTYPE>(*mat2, 0, 0), 0.0f, out->data_as<CTYPE>(), n));
}

void bmm_out(KernelContext& ctx, Span<EValue*> args) {
  ArgReader r(ctx, args, "aten::bmm.out", 4);
  const MatmulArgs a = read_matmul_args(r);
  if (!r.ok()) return;
  Tensor *self = a.self, *mat2 = a.mat2, *out = a.out;
  const char* op = r.op();
  const ScalarType dtype = self->dtype();
  if (!check_matrix_dtype(r, *self) || !check_matrix(r, *self, "self", 3, dtype) ||
      !check_matrix(r, *mat2, "mat2", 3, dtype) || !check_dtype(ctx, op, "out", *out, dtype) ||
      !check_contiguous(ctx, op, "out", *out)) {
    return;
  }
  const int64_t b = self->size(0), m = self->size(1), k = self->size(2), n = mat2->size(2);
  EMBER_KERNEL_CHECK(ctx, mat2->size(0) == b && mat2->size(1) == k, InvalidArgument, op,
                     "self %s and mat2 %s cannot be batch-multiplied",
                     sizes_text(self->sizes()).text, sizes_text(mat2->sizes()).text);
  const int64_t sizes[3] = {b, m, n};
  if (!resize_out(ctx, op, "out", *out, sizes, 3)) return;
  EMBER_SWITCH_FLOAT_HALF(dtype, return, {
    for (int64_t i = 0; i < b; ++i) {
      gemm(m, n, k, 1.0f, view_of<CTYPE>(*self, 1, i * self->stride(0)),
           view_of<CTYPE>(*mat2, 1, i * mat2->stride(0)), 0.0f,
           out->data_as<CTYPE>() + i * m * n, n);
    }
  });
}

int64_t LinearCall::row_offset(int64_t r) const {
  if (rows_collapse) return r * row_stride;
  int64_t offset = 0;
  for (int d = input->dim() - 2; d >= 0; --d) {
    offset += (r % input->size(d)) * input->stride(d);
    r /= input->size(d);
  }
  return offset;
}

bool prepare_linear(KernelContext& ctx, Span<EValue*> args, LinearCall* call, bool half_too) {
  ArgReader r(ctx, args, "aten::linear.out", 5);
  Tensor* input = r.tensor(0, "input");
  Tensor* weight = r.tensor(1, "weight");
  Tensor* bias = r.optional_tensor(2, "bias");
  Tensor* out = r.tensor(3, "out");
  if (!r.ok()) return false;
  const char* op = r.op();
  const ScalarType dtype = half_too ? input->dtype() : ScalarType::Float;
  if ((half_too && !check_matrix_dtype(r, *input)) ||
      !check_dtype(ctx, op, "input", *input, dtype) ||
      !check_matrix(r, *weight, "weight", 2, dtype) ||
      (bias != nullptr && !check_dtype(ctx, op, "bias", *bias, dtype)) ||
      !check_dtype(ctx, op, "out", *out, dtype) || !check_contiguous(ctx, op, "out", *out)) {
    return false;
  }
  const int rank = input->dim();
  const int64_t n = weight->size(0), k = weight->size(1);
  if (rank < 1 || input->size(rank - 1) != k) {
    r.fail(Error::InvalidArgument, "input %s does not have the %lld features weight %s takes",
           sizes_text(input->sizes()).text, static_cast<long long>(k),
           sizes_text(weight->sizes()).text);
    return false;
  }
  if (bias != nullptr && (bias->dim() != 1 || bias->size(0) != n)) {
    r.fail(Error::InvalidArgument, "bias %s should be [%lld]", sizes_text(bias->sizes()).text,
           static_cast<long long>(n));
    return false;
  }
  int64_t sizes[kMaxRank];
  int64_t m = 1;
  for (int d = 0; d + 1 < rank; ++d) {
    sizes[d] = input->size(d);
    m *= sizes[d];
  }
  sizes[rank - 1] = n;
  if (!resize_out(ctx, op, "out", *out, sizes, rank)) return false;
  call->input = input;
  call->weight = weight;
  call->bias = bias;
  call->out = out;
  call->m = m;
  call->n = n;
  call->k = k;
  // Leading dims collapse when each steps over the whole of the next.
  call->row_stride = rank >= 2 ? input->stride(rank - 2) : 0;
  call->rows_collapse = true;
  for (int d = 0; d + 2 < rank; ++d) {
    if (input->size(d) > 1 && input->stride(d) != input->stride(d + 1) * input->size(d + 1)) {
      call->rows_collapse = false;
    }
  }
  return true;
}

void run_linear(const LinearCall& c) {
  EMBER_SWITCH_FLOAT_HALF(c.input->dtype(), return, linear<CTYPE>(c));
}

void linear_out(KernelContext& ctx, Span<EValue*> args) {
  LinearCall c;
  if (prepare_linear(ctx, args, &c, true)) run_linear(c);
}

}  // namespace portable
}  // namespace ember
