// Fused scaled-dot-product attention (ember::sdpa.out) in float32, float16
// and bfloat16 (sums in double, each output rounded to its dtype at the end),
// the reference for the optimized kernel. Tensors in any dim order (read
// through their strides), the mask broadcast through zero strides.
//
// For each (batch, query head, query row i), kv head = head / (Hq / Hk):
// 1. s_j = scale * q_i . k_j (accumulated in double), plus the float mask, or
//    -inf where the bool mask is false or (causal) j > i.
// 2. A row whose scores are all -inf (fully masked) gives 0, as torch's
//    scaled_dot_product_attention does.
// 3. p_j = exp(s_j - max s), out_i = sum_j p_j v_j / sum_j p_j (in double).
// Scratch: one row of S scores from ctx.allocate_temp.
#include <cmath>

#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/op_args.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

constexpr const char* kOp = "ember::sdpa.out";

}  // namespace

bool read_sdpa_args(KernelContext& ctx, Span<EValue*> args, SdpaArgs* a, bool half_too) {
  ArgReader r(ctx, args, kOp, 10);
  a->q = r.tensor(0, "query");
  a->k = r.tensor(1, "key");
  a->v = r.tensor(2, "value");
  a->mask = r.optional_tensor(3, "attn_mask");
  const double dropout = r.real(4, "dropout_p");
  a->causal = r.boolean(5, "is_causal");
  double scale = 0.0;
  const bool has_scale = r.optional_real(6, "scale", &scale);
  const bool gqa = r.boolean(7, "enable_gqa");
  a->out = r.tensor(8, "out");
  if (!r.ok()) return false;
  const Tensor &q = *a->q, &k = *a->k, &v = *a->v;
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) {
    return kernel_fail(ctx, Error::InvalidArgument, kOp,
                       "query, key and value must be 4-d [N, H, L, E], got %d-d, %d-d and %d-d",
                       q.dim(), k.dim(), v.dim());
  }
  const ScalarType dtype = q.dtype();
  const bool half = dtype == ScalarType::Half || dtype == ScalarType::BFloat16;
  if ((dtype != ScalarType::Float && !(half_too && half)) || k.dtype() != dtype ||
      v.dtype() != dtype || a->out->dtype() != dtype) {
    return kernel_fail(ctx, Error::NotSupported, kOp, "%s",
                       half_too ? "query, key, value and out must share one dtype: float32, "
                                  "float16 or bfloat16"
                                : "query, key, value and out must be float32");
  }
  a->n = q.size(0);
  a->hq = q.size(1);
  a->l = q.size(2);
  a->e = q.size(3);
  a->hk = k.size(1);
  a->s = k.size(2);
  a->ev = v.size(3);
  if (k.size(0) != a->n || v.size(0) != a->n || k.size(3) != a->e || v.size(1) != a->hk ||
      v.size(2) != a->s) {
    return kernel_fail(ctx, Error::InvalidArgument, kOp,
                       "shapes do not match: query %s, key %s, value %s",
                       sizes_text(q.sizes()).text, sizes_text(k.sizes()).text,
                       sizes_text(v.sizes()).text);
  }
  if (a->hk != a->hq && (!gqa || a->hk == 0 || a->hq % a->hk != 0)) {
    return kernel_fail(ctx, Error::InvalidArgument, kOp,
                       "query has %lld heads and key %lld: they must be equal, or divide with "
                       "enable_gqa", static_cast<long long>(a->hq), static_cast<long long>(a->hk));
  }
  if (dropout != 0.0) {
    return kernel_fail(ctx, Error::NotSupported, kOp, "dropout_p must be 0, got %g", dropout);
  }
  if (a->mask != nullptr) {
    const Tensor& m = *a->mask;
    if (a->causal) {
      return kernel_fail(ctx, Error::InvalidArgument, kOp,
                         "takes attn_mask or is_causal, not both");
    }
    if (m.dtype() != ScalarType::Bool && m.dtype() != dtype) {
      return kernel_fail(ctx, Error::NotSupported, kOp,
                         "attn_mask must be bool or %s (the query's)", scalar_type_name(dtype));
    }
    a->mask_is_bool = m.dtype() == ScalarType::Bool;
    const int64_t scores[4] = {a->n, a->hq, a->l, a->s};
    if (m.dim() > 4) {
      return kernel_fail(ctx, Error::InvalidArgument, kOp, "attn_mask has %d dims (at most 4)",
                         m.dim());
    }
    for (int32_t d = 0; d < m.dim(); ++d) {
      const int32_t sd = 4 - m.dim() + d;
      if (m.size(d) != 1 && m.size(d) != scores[sd]) {
        return kernel_fail(ctx, Error::InvalidArgument, kOp,
                           "attn_mask %s does not broadcast to the scores %s",
                           sizes_text(m.sizes()).text, sizes_text(scores, 4).text);
      }
      a->mask_strides[sd] = m.size(d) == 1 ? 0 : m.stride(d);
    }
  }
  a->scale = has_scale ? static_cast<float>(scale)
                       : static_cast<float>(1.0 / std::sqrt(static_cast<double>(a->e)));
  const int64_t sizes[4] = {a->n, a->hq, a->l, a->ev};
  return resize_out(ctx, kOp, "out", *a->out, sizes, 4);
}

namespace {

template <typename T>
void attention(const SdpaArgs& a, float* scores) {
  const Tensor &q = *a.q, &k = *a.k, &v = *a.v, *m = a.mask;
  Tensor& out = *a.out;
  const T* qd = q.data_as<const T>();
  const T* kd = k.data_as<const T>();
  const T* vd = v.data_as<const T>();
  T* od = out.data_as<T>();
  const int64_t group = a.hq / a.hk;
  for (int64_t b = 0; b < a.n; ++b) {
    for (int64_t h = 0; h < a.hq; ++h) {
      const int64_t kh = h / group;
      for (int64_t i = 0; i < a.l; ++i) {
        const T* qi = qd + b * q.stride(0) + h * q.stride(1) + i * q.stride(2);
        T* oi = od + b * out.stride(0) + h * out.stride(1) + i * out.stride(2);
        // 1. Scores.
        float max = -INFINITY;
        for (int64_t j = 0; j < a.s; ++j) {
          const T* kj = kd + b * k.stride(0) + kh * k.stride(1) + j * k.stride(2);
          double dot = 0.0;
          for (int64_t e = 0; e < a.e; ++e) {
            dot += static_cast<double>(static_cast<float>(qi[e * q.stride(3)])) *
                   static_cast<float>(kj[e * k.stride(3)]);
          }
          float sj = static_cast<float>(dot) * a.scale;
          if (a.causal && j > i) sj = -INFINITY;
          if (m != nullptr) {
            const int64_t off = b * a.mask_strides[0] + h * a.mask_strides[1] +
                                i * a.mask_strides[2] + j * a.mask_strides[3];
            if (a.mask_is_bool) {
              if (!load<bool>(m->data_as<const bool>() + off)) sj = -INFINITY;
            } else {
              sj += static_cast<float>(m->data_as<const T>()[off]);
            }
          }
          scores[j] = sj;
          max = sj > max ? sj : max;
        }
        // 2. A fully masked row gives 0.
        if (max == -INFINITY) {
          for (int64_t e = 0; e < a.ev; ++e) oi[e * out.stride(3)] = T{};
          continue;
        }
        // 3. Softmax and the weighted sum of the values.
        double sum = 0.0;
        for (int64_t j = 0; j < a.s; ++j) {
          scores[j] = std::exp(scores[j] - max);
          sum += scores[j];
        }
        for (int64_t e = 0; e < a.ev; ++e) {
          double acc = 0.0;
          for (int64_t j = 0; j < a.s; ++j) {
            const T* vj = vd + b * v.stride(0) + kh * v.stride(1) + j * v.stride(2);
            acc += static_cast<double>(scores[j]) * static_cast<float>(vj[e * v.stride(3)]);
          }
          oi[e * out.stride(3)] = static_cast<T>(static_cast<float>(acc / sum));
        }
      }
    }
  }
}

}  // namespace

void sdpa_out(KernelContext& ctx, Span<EValue*> args) {
  SdpaArgs a;
  if (!read_sdpa_args(ctx, args, &a, true)) return;
  if (a.out->numel() == 0) return;
  float* scores = static_cast<float*>(
      ctx.allocate_temp(static_cast<size_t>(a.s > 0 ? a.s : 1) * sizeof(float)));
  EMBER_KERNEL_CHECK(ctx, scores != nullptr, MemoryAllocationFailed, kOp,
                     "no scratch memory for %lld scores", static_cast<long long>(a.s));
  EMBER_SWITCH_FLOAT_HALF(a.q->dtype(), return, attention<CTYPE>(a, scores));
}

}  // namespace portable
}  // namespace ember
