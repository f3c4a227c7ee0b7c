// Fused scaled-dot-product attention (ember::sdpa.out), float32, tiled
// flash-style: no L x S score matrix is ever stored.
//
// 1. The work is (batch, query head, block of kQueryBlock query rows) items,
//    dealt round-robin to at most 4 tasks per thread; each task has its own
//    scratch (from ctx.allocate_temp, sized before the threads start).
// 2. For one item, key blocks of kKeyBlock keys are visited in order, each
//    packed transposed once; the SIMD attention_scores computes the raw
//    scores of 4 query rows at a time along the keys; then for each row
//    attention_softmax updates the row's running max m and sum l and turns
//    its scores into weights (online softmax), and attention_accumulate adds
//    the weighted values to the 4 rows' accumulators acc, loading each value
//    vector once for the 4 rows. Under is_causal, keys after
//    the row are never visited, and blocks after the item's last row never
//    loaded; with a mask, keys after the item's last visible one (a static
//    KV cache's empty positions) neither. A mask row is turned into additive
//    biases (0 / -inf for a bool mask) for the block.
// 3. out = acc / l, or 0 for a row with every key masked (l = 0), as torch.
// Every row is computed the same way whatever task runs it, so results do not
// depend on the thread count. Calls whose rows are not contiguous in the last
// dim go to the portable kernel.
#include <cmath>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/common.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "runtime/kernels/common/kernel_utils.h"
#include "runtime/kernels/portable/op_args.h"
#include "runtime/kernels/portable/portable_kernels.h"

namespace ember {
namespace optimized {
namespace {

constexpr int64_t kQueryBlock = 128;  // query rows sharing one pass over the keys
constexpr int64_t kKeyBlock = 64;    // keys per online-softmax step (k^T and v blocks stay in L1)
constexpr int64_t kRowGroup = 4;     // query rows whose scores share each load of k^T

/// One task's scratch: per query row of a block its accumulator, max and
/// sum; one block of keys packed transposed, of scores and of mask biases.
struct Scratch {
  float* acc;   // kQueryBlock * ev
  float* m;     // kQueryBlock
  float* l;     // kQueryBlock
  float* kt;    // e * kKeyBlock: kt[d * kKeyBlock + j] = k_j[d]
  float* s;     // kRowGroup * kKeyBlock: raw scores of a group of rows
  float* bias;  // kKeyBlock
};

size_t scratch_floats(int64_t e, int64_t ev) {
  return static_cast<size_t>(kQueryBlock * (ev + 2) + (e + kRowGroup + 1) * kKeyBlock);
}

Scratch scratch_at(float* base, int64_t e, int64_t ev) {
  Scratch s;
  s.acc = base;
  s.m = s.acc + kQueryBlock * ev;
  s.l = s.m + kQueryBlock;
  s.kt = s.l + kQueryBlock;
  s.s = s.kt + e * kKeyBlock;
  s.bias = s.s + kRowGroup * kKeyBlock;
  return s;
}

/// One past the last key any row of [i0, i1) may see under the mask (a
/// true bool, a float other than -inf), at most `s_end`: the keys after it
/// add nothing to any row (their weights are exactly 0), so they are never
/// visited. A decode step over a static KV cache reads only the filled
/// positions this way, not the whole cache.
int64_t last_visible_key(const portable::SdpaArgs& a, int64_t b, int64_t h, int64_t i0,
                         int64_t i1, int64_t s_end) {
  const int64_t ms3 = a.mask_strides[3];
  int64_t end = 0;
  for (int64_t i = i0; i < i1 && end < s_end; ++i) {
    const int64_t base = b * a.mask_strides[0] + h * a.mask_strides[1] + i * a.mask_strides[2];
    for (int64_t j = s_end - 1; j >= end; --j) {
      const bool visible = a.mask_is_bool
                               ? load<bool>(a.mask->data_as<const bool>() + base + j * ms3)
                               : a.mask->data_as<const float>()[base + j * ms3] != -INFINITY;
      if (visible) {
        end = j + 1;
        break;
      }
    }
  }
  return end;
}

/// Step 2 and 3 for one (batch b, head h, rows [i0, i1)) item.
void attention_item(const portable::SdpaArgs& a, const SimdKernels& k, const Scratch& w,
                    int64_t b, int64_t h, int64_t i0, int64_t i1) {
  const Tensor &q = *a.q, &key = *a.k, &v = *a.v;
  Tensor& out = *a.out;
  const int64_t kh = h / (a.hq / a.hk);
  const float* qb = q.data_as<const float>() + b * q.stride(0) + h * q.stride(1);
  const float* kb = key.data_as<const float>() + b * key.stride(0) + kh * key.stride(1);
  const float* vb = v.data_as<const float>() + b * v.stride(0) + kh * v.stride(1);
  float* ob = out.data_as<float>() + b * out.stride(0) + h * out.stride(1);
  const int64_t rows = i1 - i0;
  for (int64_t r = 0; r < rows; ++r) {
    w.m[r] = -INFINITY;
    w.l[r] = 0.0f;
    for (int64_t e = 0; e < a.ev; ++e) w.acc[r * a.ev + e] = 0.0f;
  }
  // Under is_causal no row of the item sees a key after i1 - 1.
  int64_t s_end = a.causal && i1 < a.s ? i1 : a.s;
  if (a.mask != nullptr) s_end = last_visible_key(a, b, h, i0, i1, s_end);
  const int64_t ms0 = a.mask_strides[0], ms1 = a.mask_strides[1];
  const int64_t ms2 = a.mask_strides[2], ms3 = a.mask_strides[3];
  // Fewer rows than a group (a decode step): each score a dot product of
  // the key row as it lies; packing the keys transposed would cost more
  // than the scores it serves.
  const bool direct = rows < kRowGroup;
  for (int64_t j0 = 0; j0 < s_end; j0 += kKeyBlock) {
    const int64_t block = s_end - j0 < kKeyBlock ? s_end - j0 : kKeyBlock;
    // The block's keys transposed, shared by every row of the item (the
    // padding up to kKeyBlock is never read into a kept score).
    for (int64_t j = 0; j < block && !direct; ++j) {
      const float* kj = kb + (j0 + j) * key.stride(2);
      for (int64_t d = 0; d < a.e; ++d) w.kt[d * kKeyBlock + j] = kj[d];
    }
    for (int64_t g = 0; g < rows; g += kRowGroup) {
      const int64_t group = rows - g < kRowGroup ? rows - g : kRowGroup;
      // Under is_causal the group's last row sees the most keys.
      int64_t n_max = block;
      if (a.causal) n_max = i0 + g + group - j0 < n_max ? i0 + g + group - j0 : n_max;
      if (n_max <= 0) continue;
      if (direct) {
        for (int64_t r = 0; r < group; ++r) {
          k.attention_dots(qb + (i0 + g + r) * q.stride(2), kb + j0 * key.stride(2),
                           key.stride(2), n_max, a.e, w.s + r * kKeyBlock);
        }
      } else {
        k.attention_scores(group, qb + (i0 + g) * q.stride(2), q.stride(2), w.kt, kKeyBlock,
                           n_max, a.e, w.s, kKeyBlock);
      }
      // Each row's softmax step, then the group's values weighted at once.
      float alpha[kRowGroup];
      for (int64_t r = g; r < g + group; ++r) {
        const int64_t i = i0 + r;
        int64_t n = block;
        if (a.causal) n = i - j0 + 1 < n ? i - j0 + 1 : n;
        if (n < 0) n = 0;
        const float* bias = nullptr;
        if (a.mask != nullptr && n > 0) {
          const int64_t base = b * ms0 + h * ms1 + i * ms2 + j0 * ms3;
          if (a.mask_is_bool) {
            const bool* mb = a.mask->data_as<const bool>() + base;
            for (int64_t j = 0; j < n; ++j) {
              w.bias[j] = load<bool>(mb + j * ms3) ? 0.0f : -INFINITY;
            }
            bias = w.bias;
          } else if (ms3 == 1) {
            bias = a.mask->data_as<const float>() + base;
          } else {
            const float* mf = a.mask->data_as<const float>() + base;
            for (int64_t j = 0; j < n; ++j) w.bias[j] = mf[j * ms3];
            bias = w.bias;
          }
        }
        alpha[r - g] = k.attention_softmax(w.s + (r - g) * kKeyBlock, n, n_max, a.scale, bias,
                                           &w.m[r], &w.l[r]);
      }
      k.attention_accumulate(group, w.s, kKeyBlock, n_max, vb + j0 * v.stride(2), v.stride(2),
                             a.ev, alpha, &w.acc[g * a.ev], a.ev);
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* o = ob + (i0 + r) * out.stride(2);
    const float inv = w.l[r] > 0.0f ? 1.0f / w.l[r] : 0.0f;
    for (int64_t e = 0; e < a.ev; ++e) o[e] = w.acc[r * a.ev + e] * inv;
  }
}

/// Rows contiguous in the last dim (a size-1 last dim counts as contiguous).
bool rows_contiguous(const Tensor& t) { return t.size(3) <= 1 || t.stride(3) == 1; }

}  // namespace

void sdpa_out(KernelContext& ctx, Span<EValue*> args) {
  portable::SdpaArgs a;
  if (!portable::read_sdpa_args(ctx, args, &a)) return;
  if (!rows_contiguous(*a.q) || !rows_contiguous(*a.k) || !rows_contiguous(*a.v) ||
      !rows_contiguous(*a.out)) {
    portable::sdpa_out(ctx, args);
    return;
  }
  if (a.out->numel() == 0) return;
  // 1. Items and tasks, each task with its scratch (fewer tasks if the
  //    scratch arena is small: the results are the same).
  const int64_t q_blocks = (a.l + kQueryBlock - 1) / kQueryBlock;
  const int64_t items = a.n * a.hq * q_blocks;
  const int64_t threads = static_cast<int64_t>(get_num_threads());
  int64_t tasks = items < 4 * threads ? items : 4 * threads;
  const size_t per_task = scratch_floats(a.e, a.ev);
  float* scratch = nullptr;
  for (; tasks >= 1 && scratch == nullptr; tasks /= 2) {
    scratch = static_cast<float*>(
        ctx.allocate_temp(static_cast<size_t>(tasks) * per_task * sizeof(float), 64));
    if (scratch != nullptr) break;
  }
  EMBER_KERNEL_CHECK(ctx, scratch != nullptr, MemoryAllocationFailed, "ember::sdpa.out",
                     "no scratch memory for %zu bytes", per_task * sizeof(float));
  const SimdKernels& k = simd();
  // One query block per head (a decode step): each task takes consecutive
  // heads, so the query heads sharing a KV head (grouped-query attention)
  // read its cache once from DRAM and again from L2. Several blocks (a
  // prefill under a causal mask, later blocks costlier): items dealt out in
  // turn, for balance.
  const bool consecutive = q_blocks == 1;
  const int64_t per = (items + tasks - 1) / tasks;
  parallel_for(tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const Scratch w = scratch_at(scratch + static_cast<size_t>(t) * per_task, a.e, a.ev);
      const int64_t first = consecutive ? t * per : t;
      const int64_t last = consecutive ? (first + per < items ? first + per : items) : items;
      const int64_t step = consecutive ? 1 : tasks;
      for (int64_t item = first; item < last; item += step) {
        const int64_t qb = item % q_blocks, bh = item / q_blocks;
        const int64_t i0 = qb * kQueryBlock;
        const int64_t i1 = i0 + kQueryBlock < a.l ? i0 + kQueryBlock : a.l;
        attention_item(a, k, w, bh / a.hq, bh % a.hq, i0, i1);
      }
    }
  });
}

}  // namespace optimized
}  // namespace ember
