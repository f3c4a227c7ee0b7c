// Static transposes: planned once (size-1 dims dropped, adjacent dims
// merged), then run as a batch of tiled 2-D transposes between the output
// dim that is contiguous in the input and the output's last dim.
#include "runtime/kernels/common/transpose.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "runtime/core/threadpool.h"

namespace ember {

TransposePlan plan_transpose(const size_t* in_dims, uint32_t rank, const uint32_t* perm,
                             size_t element_size) {
  TransposePlan p;
  p.element_size = element_size;
  size_t in_strides[TransposePlan::kMaxRank];
  size_t stride = 1;
  for (uint32_t d = rank; d > 0; --d) {
    in_strides[d - 1] = stride;
    stride *= in_dims[d - 1];
  }
  p.numel = stride;
  for (uint32_t k = 0; k < rank; ++k) {
    const size_t size = in_dims[perm[k]];
    const size_t s = in_strides[perm[k]];
    if (size == 1) continue;  // moves nothing
    if (p.rank > 0 && p.in_strides[p.rank - 1] == s * size) {
      p.dims[p.rank - 1] *= size;  // adjacent in the input too: one dim
      p.in_strides[p.rank - 1] = s;
      continue;
    }
    p.dims[p.rank] = size;
    p.in_strides[p.rank] = s;
    ++p.rank;
  }
  return p;
}

namespace {

constexpr size_t kTile = 16;
constexpr size_t kParallelBytes = size_t{256} << 10;  // below this one thread is faster
constexpr size_t kTaskBytes = size_t{16} << 10;       // a thread-pool task moves at least this

/// The batch of 2-D transposes a plan runs: output dim `a` (stride 1 in the
/// input) against the output's last dim `b`; every other dim is a batch dim.
struct Job {
  const TransposePlan* plan;
  const uint8_t* src;
  uint8_t* dst;
  uint32_t a;
  size_t out_strides[TransposePlan::kMaxRank];
  size_t tiles_a;         ///< kTile-row tiles along dim `a`
  size_t tiles_per_task;  ///< consecutive tiles one task runs
  size_t tasks_a;         ///< tasks per batch
  size_t batches;         ///< 2-D transposes (or row copies) in all
  size_t batches_per_task;  ///< > 1 when one batch moves under kTaskBytes (tasks_a is 1)
};

/// dst[a][b] = src[a + b * sb] for a in [a0, a1) (a1 - a0 <= kTile), b in [0, nb).
template <typename T>
void transpose_rows(const T* src, T* dst, size_t a0, size_t a1, size_t nb, size_t sb,
                    size_t oa) {
  for (size_t b0 = 0; b0 < nb; b0 += kTile) {
    const size_t b1 = b0 + kTile < nb ? b0 + kTile : nb;
    for (size_t a = a0; a < a1; ++a) {
      for (size_t b = b0; b < b1; ++b) dst[a * oa + b] = src[a + b * sb];
    }
  }
}

#if defined(__SSE2__) || (defined(__ARM_NEON) && defined(__aarch64__))
/// One 16x16 block: four rounds of byte interleaves of rows i and i + 8 into
/// rows 2i and 2i + 1. Each round rotates the bits of an element's (row,
/// column) address left by one, so four make (column, row): the transpose.
void transpose_block16(const uint8_t* src, size_t ld_src, uint8_t* dst, size_t ld_dst) {
#if defined(__SSE2__)
  __m128i a[16], b[16];
  for (int i = 0; i < 16; ++i) a[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * ld_src));
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 8; ++i) {
      b[2 * i] = _mm_unpacklo_epi8(a[i], a[i + 8]);
      b[2 * i + 1] = _mm_unpackhi_epi8(a[i], a[i + 8]);
    }
    for (int i = 0; i < 16; ++i) a[i] = b[i];
  }
  for (int i = 0; i < 16; ++i) _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i * ld_dst), a[i]);
#else
  uint8x16_t a[16], b[16];
  for (int i = 0; i < 16; ++i) a[i] = vld1q_u8(src + i * ld_src);
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 8; ++i) {
      b[2 * i] = vzip1q_u8(a[i], a[i + 8]);
      b[2 * i + 1] = vzip2q_u8(a[i], a[i + 8]);
    }
    for (int i = 0; i < 16; ++i) a[i] = b[i];
  }
  for (int i = 0; i < 16; ++i) vst1q_u8(dst + i * ld_dst, a[i]);
#endif
}
constexpr bool kByteBlocks = true;
#else
void transpose_block16(const uint8_t*, size_t, uint8_t*, size_t) {}
constexpr bool kByteBlocks = false;
#endif

template <typename T>
void run_tile(const Job& job, size_t task) {
  const TransposePlan& p = *job.plan;
  const uint32_t last = p.rank - 1;
  size_t batch = task / job.tasks_a;
  const size_t a0 = task % job.tasks_a * job.tiles_per_task * kTile;
  // Decode the batch index over the batch dims (all but `a` and `last`).
  size_t in_off = 0, out_off = 0;
  for (uint32_t k = last; k > 0; --k) {
    const uint32_t d = k - 1;
    if (d == job.a) continue;
    const size_t i = batch % p.dims[d];
    batch /= p.dims[d];
    in_off += i * p.in_strides[d];
    out_off += i * job.out_strides[d];
  }
  const T* src = reinterpret_cast<const T*>(job.src) + in_off;
  T* dst = reinterpret_cast<T*>(job.dst) + out_off;
  const size_t end = a0 + job.tiles_per_task * kTile;
  const size_t a_end = end < p.dims[job.a] ? end : p.dims[job.a];
  if (job.a == last) {  // rows are contiguous in the input: copy them
    std::memcpy(dst + a0, src + a0, (a_end - a0) * sizeof(T));
    return;
  }
  const size_t nb = p.dims[last], sb = p.in_strides[last], oa = job.out_strides[job.a];
  if (sizeof(T) == 1) {  // source rows b (stride sb), columns a
    transpose_bytes(reinterpret_cast<const uint8_t*>(src + a0), nb, a_end - a0, sb,
                    reinterpret_cast<uint8_t*>(dst + a0 * oa), oa);
    return;
  }
  for (size_t t0 = a0; t0 < a_end; t0 += kTile) {
    transpose_rows(src, dst, t0, t0 + kTile < a_end ? t0 + kTile : a_end, nb, sb, oa);
  }
}

/// Task `task`: part `task % tasks_a` of batches_per_task consecutive batches.
void run_task(void* context, size_t task) {
  const Job& job = *static_cast<const Job*>(context);
  const size_t part = task % job.tasks_a, first = task / job.tasks_a * job.batches_per_task;
  const size_t last = first + job.batches_per_task < job.batches ? first + job.batches_per_task
                                                                 : job.batches;
  for (size_t b = first; b < last; ++b) {
    const size_t t = b * job.tasks_a + part;
    switch (job.plan->element_size) {
      case 1: run_tile<uint8_t>(job, t); break;
      case 2: run_tile<uint16_t>(job, t); break;
      default: run_tile<uint32_t>(job, t); break;
    }
  }
}

}  // namespace

void transpose_bytes(const uint8_t* src, size_t rows, size_t cols, size_t ld_src, uint8_t* dst,
                     size_t ld_dst) {
  size_t i0 = 0;
  if (kByteBlocks) {
    for (; i0 + 16 <= rows; i0 += 16) {
      size_t j0 = 0;
      for (; j0 + 16 <= cols; j0 += 16) {
        transpose_block16(src + i0 * ld_src + j0, ld_src, dst + j0 * ld_dst + i0, ld_dst);
      }
      for (size_t j = j0; j < cols; ++j) {
        for (size_t i = i0; i < i0 + 16; ++i) dst[j * ld_dst + i] = src[i * ld_src + j];
      }
    }
  }
  // The rows left (all of them without byte blocks), by 16 x 16 tiles.
  for (size_t t0 = i0; t0 < rows; t0 += kTile) {
    const size_t t1 = t0 + kTile < rows ? t0 + kTile : rows;
    for (size_t j0 = 0; j0 < cols; j0 += kTile) {
      const size_t j1 = j0 + kTile < cols ? j0 + kTile : cols;
      for (size_t j = j0; j < j1; ++j) {
        for (size_t i = t0; i < t1; ++i) dst[j * ld_dst + i] = src[i * ld_src + j];
      }
    }
  }
}

void run_transpose(const TransposePlan& p, const void* src, void* dst) {
  if (is_reshape(p)) {
    std::memcpy(dst, src, p.numel * p.element_size);
    return;
  }
  Job job;
  job.plan = &p;
  job.src = static_cast<const uint8_t*>(src);
  job.dst = static_cast<uint8_t*>(dst);
  size_t stride = 1;
  job.a = 0;
  for (uint32_t k = p.rank; k > 0; --k) {
    job.out_strides[k - 1] = stride;
    stride *= p.dims[k - 1];
    if (p.in_strides[k - 1] == 1) job.a = k - 1;
  }
  job.tiles_a = (p.dims[job.a] + kTile - 1) / kTile;
  const size_t tile_bytes = kTile * (job.a == p.rank - 1 ? 1 : p.dims[p.rank - 1]) * p.element_size;
  job.tiles_per_task = tile_bytes >= kTaskBytes ? 1 : kTaskBytes / tile_bytes;
  job.tasks_a = (job.tiles_a + job.tiles_per_task - 1) / job.tiles_per_task;
  size_t batches = 1;
  for (uint32_t k = 0; k + 1 < p.rank; ++k) {
    if (k != job.a) batches *= p.dims[k];
  }
  // Small batches (a [T, H, D] -> [H, T, D] permute of an LLM's heads moves
  // rows of D) go several to a task: one task a row made the pool's
  // hand-offs cost more than the copies.
  const size_t batch_bytes = p.dims[job.a] * tile_bytes / kTile;
  job.batches = batches;
  job.batches_per_task = job.tasks_a == 1 && batch_bytes < kTaskBytes
                             ? kTaskBytes / (batch_bytes > 0 ? batch_bytes : 1)
                             : 1;
  const size_t tasks = (batches + job.batches_per_task - 1) / job.batches_per_task * job.tasks_a;
  if (p.numel * p.element_size >= kParallelBytes) {
    parallelize_1d(run_task, &job, tasks);
  } else {
    for (size_t t = 0; t < tasks; ++t) run_task(&job, t);
  }
}

}  // namespace ember
