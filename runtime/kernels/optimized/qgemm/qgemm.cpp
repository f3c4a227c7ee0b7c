// The int8 GEMM driver: argument checks, the packed-B format, blocking and
// threading around the micro-kernels of micro_kernel.h (family choice:
// dispatch.cpp; layouts: packing.cpp; dynamic quantization: quantize.cpp).
//
// Algorithm (per rectangle of C):
//   1. Rows in blocks of MC (a block of A packed into MR-row panels, kept in
//      L2, int8 moved to the family's domain by XOR 0x80).
//   2. For each NR panel of the pre-packed B (spanning all of k, streamed
//      from L2), for each MR panel of the A block: one micro-kernel call over
//      the whole depth, epilogue fused.
// Depth is never split: the int32 accumulators stay in registers from the
// first group of 4 to the epilogue (so the smallest workspace grows with k).
// Threads claim rectangles of whole tiles from an atomic counter, each task
// with a private slice of the workspace. An element's value is the exact
// integer sum and one fixed float sequence, so nothing depends on the split.
#include "runtime/kernels/optimized/qgemm/qgemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/qgemm/micro_kernel.h"
#include "runtime/kernels/optimized/qgemm/packing.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace qgemm {
namespace {

constexpr size_t kAlign = 64;
/// Below this many multiply-adds (about 10 us on one core at int8 rates) a
/// call runs serially: waking the pool would cost more than it saves.
constexpr uint64_t kSerialWork = uint64_t{1} << 21;
/// Rectangles of C per pool task when a call is threaded.
constexpr size_t kUnitsPerTask = 4;
/// Packing one row of A costs about as much as multiplying it by this many
/// columns of B (one 4-byte move against 64 multiply-adds a cycle).
constexpr size_t kPackCost = 16;
/// The packed A block a task keeps in L2.
constexpr size_t kABlockBytes = size_t{256} << 10;
constexpr uint32_t kPackedMagic = 0x42514d45;  // "EMQB": a B from pack_qb

struct PackedHeader {
  uint32_t magic;
  uint32_t isa;
  int64_t k;
  int64_t n;
  uint64_t nr;
  uint8_t reserved[32];
};
static_assert(sizeof(PackedHeader) == kAlign, "the column sums start 64 bytes in");

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
size_t div_up(size_t x, size_t to) { return (x + to - 1) / to; }
size_t depth_bytes(size_t k) { return round_up(k, 4); }

/// Byte offsets of a packed B's parts after the header.
size_t colsum_bytes(size_t n, size_t nr) { return round_up(round_up(n, nr) * 4, kAlign); }
size_t panels_bytes(size_t k, size_t n, size_t nr) { return round_up(n, nr) * depth_bytes(k); }

// ---- Argument checks -------------------------------------------------------

bool in_type(int32_t v, ActType t) {
  return t == ActType::u8 ? v >= 0 && v <= 255 : v >= -128 && v <= 127;
}

Error check_activation(const char* fn, int64_t m, int64_t k, const Activation& a) {
  if (a.type != ActType::u8 && a.type != ActType::s8) {
    EMBER_LOG(Error, "%s: A has an unknown element type %d", fn, (int)a.type);
    return Error::InvalidArgument;
  }
  if (a.data == nullptr || a.lda < k) {
    EMBER_LOG(Error, "%s: A is null or its row stride %lld is under k=%lld", fn,
              (long long)a.lda, (long long)k);
    return Error::InvalidArgument;
  }
  if ((a.row_scales == nullptr) != (a.row_zero_points == nullptr)) {
    EMBER_LOG(Error, "%s: A has per-row scales or zero points but not both", fn);
    return Error::InvalidArgument;
  }
  if (a.row_zero_points == nullptr) {
    if (in_type(a.zero_point, a.type)) return Error::Ok;
    EMBER_LOG(Error, "%s: A's zero point %d is outside its type", fn, (int)a.zero_point);
    return Error::InvalidArgument;
  }
  for (int64_t i = 0; i < m; ++i) {
    if (!in_type(a.row_zero_points[i], a.type)) {
      EMBER_LOG(Error, "%s: A's zero point %d of row %lld is outside its type", fn,
                (int)a.row_zero_points[i], (long long)i);
      return Error::InvalidArgument;
    }
  }
  return Error::Ok;
}

/// Checks the epilogue and fills the parts of TileArgs every tile shares.
Error check_epilogue(const char* fn, const QEpilogue& e, TileArgs& t) {
  t.out = e.out;
  t.clamp = false;
  t.min = e.min;
  t.max = e.max;
  t.inv_out = 1.0f;
  t.out_zp = t.qmin = t.qmax = 0.0f;
  if (e.out == OutType::f32) {
    if (!(e.min <= e.max)) {
      EMBER_LOG(Error, "%s: the clamp [%g, %g] is empty or NaN", fn, (double)e.min,
                (double)e.max);
      return Error::InvalidArgument;
    }
    t.clamp = e.min != -std::numeric_limits<float>::infinity() ||
              e.max != std::numeric_limits<float>::infinity();
    return Error::Ok;
  }
  if (e.out != OutType::s8 && e.out != OutType::u8) {
    EMBER_LOG(Error, "%s: unknown output type %d", fn, (int)e.out);
    return Error::InvalidArgument;
  }
  const ActType type = e.out == OutType::u8 ? ActType::u8 : ActType::s8;
  const int32_t lo = type == ActType::u8 ? 0 : -128;
  const int32_t hi = type == ActType::u8 ? 255 : 127;
  const int32_t qmin = e.qmin == std::numeric_limits<int32_t>::min() ? lo : e.qmin;
  const int32_t qmax = e.qmax == std::numeric_limits<int32_t>::max() ? hi : e.qmax;
  if (!in_type(e.out_zero_point, type) || qmin < lo || qmax > hi || qmin > qmax) {
    EMBER_LOG(Error, "%s: output zero point %d or range [%d, %d] outside the type or empty", fn,
              (int)e.out_zero_point, (int)qmin, (int)qmax);
    return Error::InvalidArgument;
  }
  if (!(e.out_scale > 0.0f) || std::isinf(e.out_scale)) {
    EMBER_LOG(Error, "%s: output scale %g is not positive and finite", fn, (double)e.out_scale);
    return Error::InvalidArgument;
  }
  t.inv_out = (float)(1.0 / (double)e.out_scale);
  t.out_zp = (float)e.out_zero_point;
  t.qmin = (float)qmin;
  t.qmax = (float)qmax;
  return Error::Ok;
}

/// The kernels and the header of a packed B, or nullptr (logged) when
/// `packed` is not one or was packed with other sizes.
const KernelSet* open_packed(const char* fn, const void* packed, int64_t k, int64_t n) {
  if (packed == nullptr || reinterpret_cast<uintptr_t>(packed) % 4 != 0) {
    EMBER_LOG(Error, "%s: the packed B is null or not 4-byte aligned", fn);
    return nullptr;
  }
  PackedHeader h;
  std::memcpy(&h, packed, sizeof(h));
  const KernelSet* ks =
      h.magic == kPackedMagic && h.isa <= (uint32_t)Isa::neon_dot ? kernels_for((Isa)h.isa)
                                                                   : nullptr;
  if (ks == nullptr || !isa_available(ks->isa) || h.nr != ks->nr) {
    EMBER_LOG(Error, "%s: the buffer is not a B packed by qgemm::pack_qb on this machine", fn);
    return nullptr;
  }
  if (h.k != k || h.n != n) {
    EMBER_LOG(Error, "%s: B was packed with k=%lld n=%lld, the call has k=%lld n=%lld", fn,
              (long long)h.k, (long long)h.n, (long long)k, (long long)n);
    return nullptr;
  }
  return ks;
}

// ---- Planning --------------------------------------------------------------

/// How a call is split and blocked.
struct Plan {
  size_t tasks;       ///< pool tasks (each with its own workspace slice)
  size_t tm, tn;      ///< the grid of rectangles over C's tile rows and columns
  size_t mc;          ///< rows of a packed A block (multiple of mr)
  size_t task_bytes;  ///< workspace per task (64-byte multiple)
};

/// The grid tm x tn (tm * tn == parts) minimising the largest rectangle's
/// time: its multiply-adds plus packing its rows of A (every rectangle packs
/// its own, so narrow columns pack A many times). Ties split M (B is
/// pre-packed: sharing its panels costs nothing).
void choose_grid(size_t m_tiles, size_t n_tiles, size_t mr, size_t nr, size_t parts, Plan& plan) {
  size_t best = SIZE_MAX;
  for (size_t tm = 1; tm <= parts; ++tm) {
    if (parts % tm != 0) continue;
    const size_t tn = parts / tm;
    const size_t rows = div_up(m_tiles, tm) * mr;
    const size_t cols = div_up(n_tiles, tn) * nr;
    const size_t cost = rows * cols + kPackCost * rows;
    if (cost < best) {
      best = cost;
      plan.tm = tm;
      plan.tn = tn;
    }
  }
}

/// Splits m x n x k over at most `threads` tasks within `bytes` of workspace.
/// False if one task's smallest block (one MR panel) does not fit.
bool make_plan(const KernelSet& ks, size_t m, size_t n, size_t k, size_t threads, size_t bytes,
               Plan& plan) {
  const size_t ka = depth_bytes(k) * ks.a_bytes;  // bytes of a packed row of A
  const size_t m_tiles = div_up(m, ks.mr);
  const size_t n_tiles = div_up(n, ks.nr);
  const size_t smallest = round_up(ks.mr * ka, kAlign);
  if (smallest > bytes) return false;
  size_t tasks = (uint64_t)m * n * k < kSerialWork ? 1 : std::max<size_t>(1, threads);
  tasks = std::min(tasks, m_tiles * n_tiles);
  if (smallest > 0) tasks = std::max<size_t>(1, std::min(tasks, bytes / smallest));
  plan.tasks = tasks;
  plan.tm = plan.tn = 1;
  if (tasks > 1) {
    choose_grid(m_tiles, n_tiles, ks.mr, ks.nr, std::min(kUnitsPerTask * tasks, m_tiles * n_tiles),
                plan);
  }
  // A block: all of a rectangle's rows if they fit kABlockBytes and the
  // task's share of the workspace, else fewer (at least one MR panel).
  const size_t rect_rows = div_up(m_tiles, plan.tm) * ks.mr;
  const size_t per_task = bytes / tasks;
  size_t mc = ka == 0 ? rect_rows : std::min(rect_rows, kABlockBytes / ka / ks.mr * ks.mr);
  if (ka > 0) mc = std::min(mc, per_task / kAlign * kAlign / ka / ks.mr * ks.mr);
  plan.mc = std::max(mc, ks.mr);
  plan.task_bytes = round_up(plan.mc * ka, kAlign);
  return true;
}

// ---- Running ---------------------------------------------------------------

/// One call's shared state.
struct Job {
  const KernelSet* ks;
  Plan plan;
  size_t m, n, k;
  Activation a;
  uint8_t flip;   ///< XOR moving A to the family's domain (0 or 0x80)
  int32_t shift;  ///< what the XOR adds to A's values (and to its zero points)
  const int8_t* panels;
  const int32_t* colsum;
  Weight b;
  uint8_t* c;
  size_t ldc;       ///< in elements
  size_t elem;      ///< bytes of an element of C
  const float* bias;
  TileArgs args;    ///< the shared epilogue fields
  uint8_t* workspace;
  std::atomic<size_t> next_unit;
};

/// C[i0 .. i1, n0 .. n1) with the A block already packed in a_buf (rows from i0).
void compute_block(const Job& job, size_t i0, size_t i1, size_t n0, size_t n1,
                   const uint8_t* a_buf) {
  const KernelSet& ks = *job.ks;
  const size_t kp = depth_bytes(job.k);
  TileArgs t = job.args;
  float col_scale[kMaxNr], col_bias[kMaxNr], row_scale[kMaxMr];
  int32_t row_zp[kMaxMr];
  // A per-tensor activation's rows are filled once (the tile is told so);
  // per-row ones for each tile.
  const bool per_row = job.a.row_scales != nullptr;
  t.uniform_rows = !per_row;
  t.a_scale = row_scale;
  t.a_zp = row_zp;
  if (!per_row) {
    std::fill(row_scale, row_scale + ks.mr, job.a.scale);
    std::fill(row_zp, row_zp + ks.mr, job.a.zero_point + job.shift);
  }
  for (size_t j0 = n0; j0 < n1; j0 += ks.nr) {
    const size_t cols = std::min(ks.nr, job.n - j0);
    t.cols = cols;
    t.colsum = job.colsum + j0;
    // Per-column arrays hold NR values: a short last panel or a per-tensor
    // scale goes through the local copies.
    if (job.b.per_channel && cols == ks.nr) {
      t.b_scale = job.b.scales + j0;
    } else {
      for (size_t j = 0; j < ks.nr; ++j) {
        col_scale[j] = j < cols ? job.b.scales[job.b.per_channel ? j0 + j : 0] : 0.0f;
      }
      t.b_scale = col_scale;
    }
    if (job.bias == nullptr || cols == ks.nr) {
      t.bias = job.bias == nullptr ? nullptr : job.bias + j0;
    } else {
      for (size_t j = 0; j < ks.nr; ++j) col_bias[j] = j < cols ? job.bias[j0 + j] : 0.0f;
      t.bias = col_bias;
    }
    const int8_t* b_panel = job.panels + (j0 / ks.nr) * ks.nr * kp;
    for (size_t i = i0; i < i1; i += ks.mr) {
      const size_t rows = std::min(ks.mr, i1 - i);
      for (size_t r = 0; per_row && r < rows; ++r) {
        row_scale[r] = job.a.row_scales[i + r];
        row_zp[r] = job.a.row_zero_points[i + r] + job.shift;
      }
      ks.kernels[rows - 1](kp / 4, a_buf + (i - i0) * kp * ks.a_bytes, b_panel,
                           job.c + (i * job.ldc + j0) * job.elem, job.ldc, t);
    }
  }
}

/// Task t (workspace slice t) claims rectangles of C until all are done.
void run_task(void* context, size_t t) {
  Job& job = *static_cast<Job*>(context);
  const Plan& plan = job.plan;
  const KernelSet& ks = *job.ks;
  uint8_t* a_buf = job.workspace + t * plan.task_bytes;
  const size_t m_tiles = div_up(job.m, ks.mr);
  const size_t n_tiles = div_up(job.n, ks.nr);
  const size_t units = plan.tm * plan.tn;
  const uint8_t* a = static_cast<const uint8_t*>(job.a.data);
  for (size_t u = job.next_unit.fetch_add(1, std::memory_order_relaxed); u < units;
       u = job.next_unit.fetch_add(1, std::memory_order_relaxed)) {
    const size_t im = u / plan.tn;
    const size_t in = u % plan.tn;
    const size_t m0 = std::min(job.m, im * m_tiles / plan.tm * ks.mr);
    const size_t m1 = std::min(job.m, (im + 1) * m_tiles / plan.tm * ks.mr);
    const size_t n0 = std::min(job.n, in * n_tiles / plan.tn * ks.nr);
    const size_t n1 = std::min(job.n, (in + 1) * n_tiles / plan.tn * ks.nr);
    for (size_t i = m0; i < m1; i += plan.mc) {
      const size_t i1 = std::min(m1, i + plan.mc);
      if (ks.pack_a != nullptr) {
        ks.pack_a(a + i * (size_t)job.a.lda, (size_t)job.a.lda, i1 - i, job.k, job.flip, a_buf);
      } else {
        pack_a_block(a + i * (size_t)job.a.lda, (size_t)job.a.lda, i1 - i, job.k, ks.mr,
                     job.flip, a_buf);
      }
      if (n0 < n1) compute_block(job, i, i1, n0, n1, a_buf);
    }
  }
}

}  // namespace

size_t packed_qb_bytes(int64_t k, int64_t n) {
  const KernelSet& ks = active_kernels();
  if (k < 0 || n < 0) return sizeof(PackedHeader);
  return sizeof(PackedHeader) + colsum_bytes((size_t)n, ks.nr) +
         panels_bytes((size_t)k, (size_t)n, ks.nr);
}

Error pack_qb(const int8_t* w, int64_t k, int64_t n, int64_t w_row_stride, void* dst,
              size_t dst_bytes) {
  const char* fn = "qgemm::pack_qb";
  if (k < 0 || n < 0 || k > kMaxDepth) {
    EMBER_LOG(Error, "%s: size k=%lld n=%lld is negative or k is over %lld", fn, (long long)k,
              (long long)n, (long long)kMaxDepth);
    return Error::InvalidArgument;
  }
  if ((w == nullptr && k > 0 && n > 0) || w_row_stride < k) {
    EMBER_LOG(Error, "%s: W is null or its row stride %lld is under k=%lld", fn,
              (long long)w_row_stride, (long long)k);
    return Error::InvalidArgument;
  }
  const size_t need = packed_qb_bytes(k, n);
  if (dst == nullptr || dst_bytes < need || reinterpret_cast<uintptr_t>(dst) % 4 != 0) {
    EMBER_LOG(Error, "%s: destination of %zu bytes (%zu needed) or not 4-byte aligned", fn,
              dst_bytes, need);
    return Error::InvalidArgument;
  }
  const KernelSet& ks = active_kernels();
  PackedHeader h{};
  h.magic = kPackedMagic;
  h.isa = (uint32_t)ks.isa;
  h.k = k;
  h.n = n;
  h.nr = ks.nr;
  std::memcpy(dst, &h, sizeof(h));
  uint8_t* base = static_cast<uint8_t*>(dst) + sizeof(h);
  int32_t* colsum = reinterpret_cast<int32_t*>(base);
  int8_t* panels = reinterpret_cast<int8_t*>(base + colsum_bytes((size_t)n, ks.nr));
  const size_t kp = depth_bytes((size_t)k);
  for (size_t j = 0; j < (size_t)n; j += ks.nr) {
    pack_b_panel(w, (size_t)w_row_stride, (size_t)k, j, std::min(ks.nr, (size_t)n - j), ks.nr,
                 ks.b_layout == BLayout::pairs, panels + j * kp, colsum + j);
  }
  return Error::Ok;
}

size_t min_workspace_bytes(int64_t k) {
  size_t panel_row = 0;  // the largest packed A panel a byte of depth
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512vnni, Isa::neon, Isa::neon_dot}) {
    const KernelSet* ks = kernels_for(isa);
    if (ks != nullptr) panel_row = std::max(panel_row, ks->mr * ks->a_bytes);
  }
  const size_t kp = depth_bytes((size_t)std::max<int64_t>(0, std::min(k, kMaxDepth)));
  return kAlign + round_up(panel_row * kp, kAlign);
}

size_t workspace_bytes(int64_t m, int64_t n, int64_t k, size_t num_threads) {
  if (m <= 0 || n <= 0 || k < 0 || k > kMaxDepth) return min_workspace_bytes(k);
  Plan plan;
  make_plan(active_kernels(), (size_t)m, (size_t)n, (size_t)k, std::max<size_t>(1, num_threads),
            SIZE_MAX / 2, plan);
  return std::max(min_workspace_bytes(k), kAlign + plan.tasks * plan.task_bytes);
}

Error qgemm(int64_t m, int64_t n, int64_t k, const Activation& a, const Weight& b, void* c,
            int64_t ldc, const QEpilogue& epilogue, void* workspace, size_t workspace_bytes) {
  const char* fn = "qgemm";
  if (m < 0 || n < 0 || k < 0 || k > kMaxDepth) {
    EMBER_LOG(Error, "%s: size m=%lld n=%lld k=%lld is negative or k is over %lld", fn,
              (long long)m, (long long)n, (long long)k, (long long)kMaxDepth);
    return Error::InvalidArgument;
  }
  Job job;
  EMBER_TRY(check_epilogue(fn, epilogue, job.args));
  const KernelSet* ks = open_packed(fn, b.packed, k, n);
  if (ks == nullptr) return Error::InvalidArgument;
  if (m == 0 || n == 0) return Error::Ok;
  EMBER_TRY(check_activation(fn, m, k, a));
  if (b.scales == nullptr || c == nullptr || ldc < n) {
    EMBER_LOG(Error, "%s: B's scales or C is null, or C's row stride %lld is under n=%lld", fn,
              (long long)ldc, (long long)n);
    return Error::InvalidArgument;
  }
  if (workspace == nullptr) {
    EMBER_LOG(Error, "%s: the workspace is null", fn);
    return Error::InvalidArgument;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(workspace);
  const size_t skip = round_up(base, kAlign) - base;
  if (workspace_bytes < min_workspace_bytes(k) ||
      !make_plan(*ks, (size_t)m, (size_t)n, (size_t)k, get_num_threads(),
                 workspace_bytes - skip, job.plan)) {
    EMBER_LOG(Error, "%s: workspace of %zu bytes is under the minimum of %zu for k=%lld", fn,
              workspace_bytes, min_workspace_bytes(k), (long long)k);
    return Error::InvalidArgument;
  }
  job.ks = ks;
  job.m = (size_t)m;
  job.n = (size_t)n;
  job.k = (size_t)k;
  job.a = a;
  // The family multiplies uint8 (x86, generic) or int8 (NEON sdot) A values;
  // XOR 0x80 converts and adds +128 (int8 -> uint8) or -128 to every value,
  // which the zero point absorbs: sum (a + s - (zp + s)) * b = sum (a - zp) * b.
  const bool a_signed = a.type == ActType::s8;
  job.flip = a_signed != ks->a_signed ? 0x80 : 0;
  job.shift = job.flip == 0 ? 0 : (a_signed ? 128 : -128);
  const uint8_t* packed = static_cast<const uint8_t*>(b.packed) + sizeof(PackedHeader);
  job.colsum = reinterpret_cast<const int32_t*>(packed);
  job.panels = reinterpret_cast<const int8_t*>(packed + colsum_bytes((size_t)n, ks->nr));
  job.b = b;
  job.c = static_cast<uint8_t*>(c);
  job.ldc = (size_t)ldc;
  job.elem = epilogue.out == OutType::f32 ? sizeof(float) : 1;
  job.bias = epilogue.bias;
  job.workspace = reinterpret_cast<uint8_t*>(base + skip);
  job.next_unit.store(0, std::memory_order_relaxed);
  if (job.plan.tasks == 1) {
    run_task(&job, 0);
  } else {
    parallelize_1d(run_task, &job, job.plan.tasks);
  }
  return Error::Ok;
}

}  // namespace qgemm
}  // namespace ember
