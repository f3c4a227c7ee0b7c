// Inference batch norm: _native_batch_norm_legit_no_training.
//
// out0 = (x - mean) * invstd * weight + bias, with invstd = 1 / sqrt(var + eps),
// computed as torch does: x * alpha + beta, alpha = invstd * weight and
// beta = bias - mean * alpha, per channel. out1/out2 (saved mean and invstd)
// are planned by ExecuTorch with sizes [0]; they are filled with the running
// mean and invstd only when they have C elements.
#include <cmath>

#include "runtime/kernels/portable/kernel_utils.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace portable {
namespace {

/// A per-channel parameter: float32, 1-d with C elements.
bool check_channel_param(KernelContext& ctx, const char* op, const char* name, const Tensor* t,
                         int64_t channels) {
  if (t == nullptr) return true;
  if (!check_dtype(ctx, op, name, *t, ScalarType::Float)) return false;
  if (t->dim() != 1 || t->size(0) != channels) {
    EMBER_LOG(Error, "%s: %s has sizes %s, expected [%lld]", op, name, sizes_text(t->sizes()).text,
              static_cast<long long>(channels));
    ctx.fail(Error::InvalidArgument);
    return false;
  }
  return true;
}

/// out1/out2 may be [0] (not filled) or [C] (filled); returns whether to fill.
bool check_saved_stat(KernelContext& ctx, const char* op, const char* name, const Tensor& t,
                      int64_t channels, bool* fill) {
  if (!check_dtype(ctx, op, name, t, ScalarType::Float)) return false;
  *fill = t.dim() == 1 && t.size(0) == channels && channels > 0;
  if (t.dim() == 1 && (t.size(0) == 0 || t.size(0) == channels)) return true;
  EMBER_LOG(Error, "%s: %s has sizes %s, expected [0] or [%lld]", op, name,
            sizes_text(t.sizes()).text, static_cast<long long>(channels));
  ctx.fail(Error::InvalidArgument);
  return false;
}

}  // namespace

void batch_norm_no_training_out(KernelContext& ctx, Span<EValue*> args) {
  const char* op = "aten::_native_batch_norm_legit_no_training.out";
  ArgReader r(ctx, args, op, 11);
  Tensor* input = r.tensor(0, "input");
  Tensor* weight = r.optional_tensor(1, "weight");
  Tensor* bias = r.optional_tensor(2, "bias");
  Tensor* mean = r.tensor(3, "running_mean");
  Tensor* var = r.tensor(4, "running_var");
  r.real(5, "momentum");
  const double eps = r.real(6, "eps");
  Tensor* out0 = r.tensor(7, "out0");
  Tensor* out1 = r.tensor(8, "out1");
  Tensor* out2 = r.tensor(9, "out2");
  if (!r.ok()) return;

  if (!check_dtype(ctx, op, "input", *input, ScalarType::Float)) return;
  EMBER_KERNEL_CHECK(ctx, input->dim() >= 2, InvalidArgument,
                     "%s: input has sizes %s, expected rank >= 2 (N, C, ...)", op,
                     sizes_text(input->sizes()).text);
  if (!check_contiguous(ctx, op, "input", *input)) return;
  if (!check_contiguous(ctx, op, "out0", *out0)) return;
  const int64_t n = input->size(0);
  const int64_t channels = input->size(1);
  const int64_t inner = channels == 0 || n == 0 ? 0 : input->numel() / (n * channels);
  if (!check_channel_param(ctx, op, "weight", weight, channels) ||
      !check_channel_param(ctx, op, "bias", bias, channels) ||
      !check_channel_param(ctx, op, "running_mean", mean, channels) ||
      !check_channel_param(ctx, op, "running_var", var, channels)) {
    return;
  }
  bool fill_mean = false, fill_invstd = false;
  if (!check_saved_stat(ctx, op, "out1", *out1, channels, &fill_mean) ||
      !check_saved_stat(ctx, op, "out2", *out2, channels, &fill_invstd)) {
    return;
  }
  if (!check_dtype(ctx, op, "out0", *out0, ScalarType::Float)) return;
  int64_t sizes[kMaxRank];
  tensor_sizes(*input, sizes);
  if (!resize_out(ctx, op, "out0", *out0, sizes, input->dim())) return;

  const float* x = input->data_as<const float>();
  float* y = out0->data_as<float>();
  const float* w = weight ? weight->data_as<const float>() : nullptr;
  const float* b = bias ? bias->data_as<const float>() : nullptr;
  const float* m = mean->data_as<const float>();
  const float* v = var->data_as<const float>();
  for (int64_t c = 0; c < channels; ++c) {
    const float invstd = 1.0f / std::sqrt(v[c] + static_cast<float>(eps));
    if (fill_mean) out1->data_as<float>()[c] = m[c];
    if (fill_invstd) out2->data_as<float>()[c] = invstd;
    const float alpha = invstd * (w ? w[c] : 1.0f);
    const float beta = (b ? b[c] : 0.0f) - m[c] * alpha;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t base = (i * channels + c) * inner;
      for (int64_t j = 0; j < inner; ++j) y[base + j] = x[base + j] * alpha + beta;
    }
  }
}

}  // namespace portable
}  // namespace ember
