// The GEMM driver: argument checks, blocking, threading and the packed-B
// format around the micro-kernels of micro_kernel.h (ISA choice: dispatch.cpp;
// panel layouts: packing.cpp).
//
// Algorithm (per rectangle of C):
//   1. Columns in blocks of NC, depth in blocks of KC (fixed per ISA), rows in
//      blocks of MC; when the rows fit one block, depth is the outer loop.
//   2. B's KC x NC block is packed into NR-wide panels, unless B was
//      pre-packed (read in place) or is row-major and used by one row panel.
//   3. A's MC x KC block is packed into MR-row panels, unless A is row-major
//      (the kernels read its rows in place).
//   4. For each MR panel of A, for each NR panel of B: one micro-kernel call.
//      The first depth block applies beta and the bias, the last the clamp.
// Threads claim rectangles of whole tiles (never K), each task with a private
// slice of the workspace. Every element of C is computed by the same sequence
// of operations whatever the split, so the result does not depend on the
// thread count or the workspace size.
#include "runtime/kernels/optimized/gemm/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/gemm/micro_kernel.h"
#include "runtime/kernels/optimized/gemm/packing.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace gemm {
namespace {

constexpr size_t kAlign = 64;
/// Below this many multiply-adds (batch * m * n * k, about 10 us on one
/// core) a call runs serially: waking the pool would cost more than it saves.
constexpr uint64_t kSerialWork = uint64_t{1} << 20;
/// Fewer rows than this cost what this many do, in that count: a call of a
/// row or two streams B from memory at about a quarter of the multiply-add
/// rate of full tiles (bench/gemm.py: 1 x 1000 x 1024 at 52 GFLOP/s, one
/// thread). Counted as one row, MobileNetV3's 1 x 1000 x 1024 classifier ran
/// serially (40 us) where XNNPACK's took 34 us at 2 threads.
constexpr uint64_t kStreamingRows = 4;
/// Rectangles of C per pool task when a call is threaded.
constexpr size_t kUnitsPerTask = 4;
/// What packing one float of A or B costs, in multiply-adds of the same
/// time: about 1.6 cycles a float against about 14 multiply-adds a cycle
/// (bench/gemm.py, one thread: B packed in the call against pre-packed).
constexpr size_t kPackCost = 20;
constexpr uint32_t kPackedMagic = 0x42474d45;   // "EMGB": a B from pack_b
constexpr uint32_t kPackedAMagic = 0x41474d45;  // "EMGA": an A from pack_a

struct PackedHeader {
  uint32_t magic;
  uint32_t isa;
  int64_t k;
  int64_t n;   ///< m for a packed A
  uint64_t nr;  ///< mr for a packed A
  uint8_t reserved[32];
};
static_assert(sizeof(PackedHeader) == kAlign, "the panels start 64 bytes in");

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
size_t div_up(size_t x, size_t to) { return (x + to - 1) / to; }

// ---- Argument checks -------------------------------------------------------

Error check_sizes(const char* fn, int64_t m, int64_t n, int64_t k, float* c, int64_t ldc,
                  const Epilogue& epi) {
  if (m < 0 || n < 0 || k < 0) {
    EMBER_LOG(Error, "%s: negative size m=%lld n=%lld k=%lld", fn, (long long)m, (long long)n,
              (long long)k);
    return Error::InvalidArgument;
  }
  if (m > 0 && n > 0 && (c == nullptr || ldc < n)) {
    EMBER_LOG(Error, "%s: C is null or its row stride %lld is under n=%lld", fn, (long long)ldc,
              (long long)n);
    return Error::InvalidArgument;
  }
  if (epi.bias_kind != BiasKind::none && epi.bias == nullptr) {
    EMBER_LOG(Error, "%s: the epilogue has a bias kind but no bias", fn);
    return Error::InvalidArgument;
  }
  if (!(epi.min <= epi.max)) {
    EMBER_LOG(Error, "%s: the epilogue's clamp [%g, %g] is empty or NaN", fn, (double)epi.min,
              (double)epi.max);
    return Error::InvalidArgument;
  }
  return Error::Ok;
}

Error check_operand(const char* fn, const char* name, const float* data, int64_t rows,
                    int64_t cols) {
  if (data == nullptr && rows > 0 && cols > 0) {
    EMBER_LOG(Error, "%s: %s is null", fn, name);
    return Error::InvalidArgument;
  }
  return Error::Ok;
}

// ---- Planning --------------------------------------------------------------

/// Whether the kernels read A's rows in place rather than a packed copy: A
/// row-major (packing would only reorder it) and no more of a tile's rows
/// sharing an L1 set than the set holds (rows a way's size apart evict each
/// other). Packing instead costs each rectangle of a split call its own copy:
/// on a 12-way Zen 5 L1, reading BERT's 128 x 768 x 3072 and ResNet-50's
/// 49 x 512 x 4608 (all 12 rows, or 6, in one set) in place took them from
/// 353 / 293 to 483 / 448 GFLOP/s at 2 threads (bench/gemm.py). Where the
/// cache's shape is unknown: at most 4 rows in one 4 KiB-apart set.
bool read_a_in_place(const KernelSet& ks, MatrixView a) {
  if (a.col_stride != 1 || a.row_stride <= 0) return false;
  const CacheGeometry l1 = l1_data_cache();
  const uint64_t way_bytes = l1.ways != 0 ? l1.way_bytes : 4096;
  size_t same_set = 0;
  for (size_t i = 0; i < ks.mr; ++i) {
    if ((uint64_t)i * (uint64_t)a.row_stride * sizeof(float) % way_bytes == 0) ++same_set;
  }
  return same_set <= (l1.ways != 0 ? l1.ways : 4);
}

/// How a call is split and blocked.
struct Plan {
  size_t tasks;       ///< pool tasks (each with its own workspace slice)
  size_t parts;       ///< rectangles per matrix (tm * tn)
  size_t tm, tn;      ///< the grid of rectangles over C's tile rows and columns
  size_t mc, nc;      ///< block sizes
  size_t a_floats;    ///< packed A block, floats (64-byte multiple)
  size_t task_bytes;  ///< workspace per task
};

/// Workspace of one task: its packed A block (unless A is read in place) and
/// packed B block (unless B was pre-packed).
size_t block_bytes(size_t mc, size_t nc, size_t kc, bool pack_a, bool pack_b) {
  size_t bytes = pack_a ? round_up(mc * kc * sizeof(float), kAlign) : 0;
  if (pack_b) bytes += round_up(kc * nc * sizeof(float), kAlign);
  return bytes;
}

/// The grid tm x tn (tm * tn == parts) that minimises the largest
/// rectangle's time: its multiply-adds, plus packing its rows of A (when A is
/// packed) and its columns of B (when B is), per unit of depth. Every
/// rectangle packs its own, so a grid of narrow columns packs A tn times
/// over: ResNet-50's 196 x 256 x 1024 GEMM split 1 x 8 packed all of A eight
/// times and ran no faster at 2 threads than at 1.
void choose_grid(size_t m_tiles, size_t n_tiles, size_t mr, size_t nr, size_t parts, bool pack_a,
                 bool pack_b, Plan& plan) {
  size_t best = SIZE_MAX;
  for (size_t tm = 1; tm <= parts; ++tm) {
    if (parts % tm != 0) continue;
    const size_t tn = parts / tm;
    const size_t rows = div_up(m_tiles, tm) * mr;
    const size_t cols = div_up(n_tiles, tn) * nr;
    const size_t cost =
        rows * cols + kPackCost * ((pack_a ? rows : 0) + (pack_b ? cols : 0));
    // Ties go to splitting N (each thread then packs only its own B columns).
    if (cost < best || (cost == best && tn > plan.tn)) {
      best = cost;
      plan.tm = tm;
      plan.tn = tn;
    }
  }
}

/// Splits batch x m x n x k over at most `threads` tasks within `bytes` of
/// workspace. Returns false if even one task's smallest blocks do not fit.
bool make_plan(const KernelSet& ks, size_t batch, size_t m, size_t n, size_t k, bool pack_a,
               bool pack_b, size_t threads, size_t bytes, Plan& plan) {
  const size_t kc = std::max<size_t>(1, std::min(ks.kc, k));
  const size_t m_tiles = div_up(m, ks.mr);
  const size_t n_tiles = div_up(n, ks.nr);
  const uint64_t work = (uint64_t)batch * std::max<uint64_t>(m, kStreamingRows) * n * k;
  size_t tasks = work < kSerialWork ? 1 : std::max<size_t>(1, threads);
  tasks = std::min(tasks, batch * m_tiles * n_tiles);
  const size_t smallest = block_bytes(ks.mr, ks.nr, kc, pack_a, pack_b);
  if (smallest > bytes) return false;
  if (smallest > 0) tasks = std::max<size_t>(1, std::min(tasks, bytes / smallest));

  plan.tasks = tasks;
  // More rectangles than tasks, claimed as tasks get to them: a thread that
  // is descheduled or slower (a shared machine, big.LITTLE cores) holds up
  // the call by one rectangle, not by its share.
  plan.parts = tasks == 1 || batch >= kUnitsPerTask * tasks
                   ? 1
                   : std::min(div_up(kUnitsPerTask * tasks, batch), m_tiles * n_tiles);
  plan.tm = 1;
  plan.tn = 1;
  if (plan.parts > 1) choose_grid(m_tiles, n_tiles, ks.mr, ks.nr, plan.parts, pack_a, pack_b, plan);

  // Blocks no larger than one rectangle, then halved until they fit.
  size_t mc = std::min(ks.mc, div_up(m_tiles, plan.tm) * ks.mr);
  size_t nc = std::min(ks.nc, div_up(n_tiles, plan.tn) * ks.nr);
  const size_t per_task = bytes / tasks;
  while (block_bytes(mc, nc, kc, pack_a, pack_b) > per_task) {
    const bool shrink_n = pack_b && nc > ks.nr;
    const bool shrink_m = pack_a && mc > ks.mr;
    if (!shrink_n && !shrink_m) break;  // not reached: one mr x nr block fits
    if (shrink_n && (nc >= mc || !shrink_m)) {
      nc = std::max(ks.nr, round_up(nc / 2, ks.nr));
    } else {
      mc = std::max(ks.mr, round_up(mc / 2, ks.mr));
    }
  }
  plan.mc = mc;
  plan.nc = nc;
  plan.a_floats = block_bytes(mc, nc, kc, pack_a, false) / sizeof(float);
  plan.task_bytes = block_bytes(mc, nc, kc, pack_a, pack_b);
  return true;
}

// ---- Execution -------------------------------------------------------------

/// One call's operands, shared read-only by the tasks.
struct Job {
  const KernelSet* ks;
  size_t batch, m, n, k;
  float alpha, beta;
  MatrixView a, b;
  const float* packed_b;  ///< panels of a pre-packed B, or nullptr
  float* c;
  size_t ldc;
  BatchStrides strides;
  Epilogue epi;
  bool clamp;
  bool a_in_place;  ///< the kernels read A's rows where they are (no packing)
  /// A pre-packed by pack_a, or nullptr: per depth block starting at pc, the
  /// MR-row panels of every row (pc * round_up(m, MR) floats in).
  const float* packed_a;
  Plan plan;
  std::atomic<size_t> next_unit;  ///< the next rectangle a task claims
  float* workspace;  ///< 64-byte aligned
};

/// One micro-kernel tile; tiles narrower than NR go through a scratch tile.
void run_tile(const KernelSet& ks, size_t rows, size_t cols, size_t kc, const float* a,
              size_t lda, const float* b, size_t ldb, float* c, size_t ldc,
              const TileArgs& args) {
  const MicroKernel kernel = ks.kernels[rows - 1];
  if (cols == ks.nr) {
    kernel(kc, a, lda, b, ldb, c, ldc, args);
    return;
  }
  alignas(kAlign) float tile[kMaxMr * kMaxNr];
  alignas(kAlign) float bias[kMaxNr];
  TileArgs edge = args;
  if (args.load_c) {
    for (size_t i = 0; i < rows; ++i) std::memcpy(tile + i * ks.nr, c + i * ldc, cols * sizeof(float));
  }
  if (args.bias_col != nullptr) {
    std::memcpy(bias, args.bias_col, cols * sizeof(float));
    for (size_t j = cols; j < ks.nr; ++j) bias[j] = 0.0f;
    edge.bias_col = bias;
  }
  kernel(kc, a, lda, b, ldb, tile, ks.nr, edge);
  for (size_t i = 0; i < rows; ++i) std::memcpy(c + i * ldc, tile + i * ks.nr, cols * sizeof(float));
}

/// One matrix of the batch, as seen by one task.
struct Operand {
  MatrixView a, b;  ///< b unused when B is pre-packed
  float* c;
};

/// C[ic:ic+mc, jc:jc+nc] += (A block, packed in a_buf) x B[pc:pc+kc, jc:jc+nc].
/// B's panels come from the pre-packed B, straight from a row-major B when a
/// single row panel uses them (packing would buy nothing), or from b_buf,
/// packed here when `pack` (else still there from the previous row block).
void compute_block(const Job& job, const Operand& op, size_t ic, size_t mc, size_t jc, size_t nc,
                   size_t pc, size_t kc, const float* a_buf, float* b_buf, bool pack) {
  const KernelSet& ks = *job.ks;
  const bool direct =
      job.packed_b == nullptr && op.b.col_stride == 1 && op.b.row_stride >= 0 && mc <= ks.mr;
  if (job.packed_b == nullptr && !direct && pack) pack_b_block(op.b, pc, kc, jc, nc, ks.nr, b_buf);
  const bool first = pc == 0;
  const bool last = pc + kc >= job.k;
  TileArgs args;
  args.alpha = job.alpha;
  args.beta = first ? job.beta : 1.0f;
  args.load_c = !first || job.beta != 0.0f;
  args.clamp = last && job.clamp;
  args.min = job.epi.min;
  args.max = job.epi.max;
  const BiasKind bias = first ? job.epi.bias_kind : BiasKind::none;
  // The MR x KC panel of A stays in L1 while the KC x NC block of B streams
  // from L2 past it.
  for (size_t i = 0; i < mc; i += ks.mr) {
    const size_t row = ic + i;
    const size_t rows = std::min(ks.mr, mc - i);
    args.bias_row = bias == BiasKind::per_row ? job.epi.bias + row : nullptr;
    for (size_t j = 0; j < nc; j += ks.nr) {
      const size_t col = jc + j;
      const size_t cols = std::min(ks.nr, nc - j);
      args.bias_col = bias == BiasKind::per_column ? job.epi.bias + col : nullptr;
      const float* panel;
      size_t ldb = ks.nr;
      if (job.packed_b != nullptr) {
        panel = job.packed_b + (col / ks.nr) * job.k * ks.nr + pc * ks.nr;
      } else if (direct && cols == ks.nr) {
        panel = op.b.data + (int64_t)pc * op.b.row_stride + (int64_t)col;
        ldb = (size_t)op.b.row_stride;
      } else if (direct) {  // a narrow edge: the kernel reads NR columns
        pack_b_panel(op.b, pc, kc, col, cols, ks.nr, b_buf);
        panel = b_buf;
      } else {
        panel = b_buf + j * kc;
      }
      const float* a = job.a_in_place ? op.a.data + (int64_t)row * op.a.row_stride + (int64_t)pc
                                      : a_buf + i * kc;
      const size_t lda = job.a_in_place ? (size_t)op.a.row_stride : 0;
      run_tile(ks, rows, cols, kc, a, lda, panel, ldb, op.c + row * job.ldc + col, job.ldc, args);
    }
  }
}

/// The MR-row panels of A(ic .. ic+mc, pc .. pc+kc): in the pre-packed A,
/// packed into a_buf, or nullptr when the kernels read A in place.
const float* a_panels(const Job& job, const Operand& op, size_t ic, size_t mc, size_t pc,
                      size_t kc, float* a_buf) {
  if (job.packed_a != nullptr) return job.packed_a + pc * round_up(job.m, job.ks->mr) + ic * kc;
  if (job.a_in_place) return nullptr;
  pack_a_block(op.a, ic, mc, pc, kc, job.ks->mr, a_buf);
  return a_buf;
}

/// C[m0:m1, n0:n1] of matrix `index` of the batch. When the rows fit one A
/// block, depth is the outer loop so that A is packed once; otherwise
/// columns are (B's block is packed once and reused by every row block).
/// Either way each element sees the depth blocks in ascending order.
void compute_rect(const Job& job, size_t index, size_t m0, size_t m1, size_t n0, size_t n1,
                  float* a_buf, float* b_buf) {
  const KernelSet& ks = *job.ks;
  Operand op;
  op.a = MatrixView{job.a.data + (int64_t)index * job.strides.a, job.a.row_stride,
                    job.a.col_stride};
  op.b = MatrixView{job.packed_b == nullptr ? job.b.data + (int64_t)index * job.strides.b : nullptr,
                    job.b.row_stride, job.b.col_stride};
  op.c = job.c + (int64_t)index * job.strides.c;
  const size_t k = job.k;
  if (m1 - m0 <= job.plan.mc) {
    size_t pc = 0;
    do {
      const size_t kc = std::min(ks.kc, k - pc);
      const float* a_block = a_panels(job, op, m0, m1 - m0, pc, kc, a_buf);
      for (size_t jc = n0; jc < n1; jc += job.plan.nc) {
        compute_block(job, op, m0, m1 - m0, jc, std::min(job.plan.nc, n1 - jc), pc, kc, a_block,
                      b_buf, true);
      }
      pc += kc;
    } while (pc < k);
    return;
  }
  for (size_t jc = n0; jc < n1; jc += job.plan.nc) {
    const size_t nc = std::min(job.plan.nc, n1 - jc);
    size_t pc = 0;
    do {
      const size_t kc = std::min(ks.kc, k - pc);
      // The first row block packs B's block; the others reuse it.
      for (size_t ic = m0; ic < m1; ic += job.plan.mc) {
        const size_t mc = std::min(job.plan.mc, m1 - ic);
        compute_block(job, op, ic, mc, jc, nc, pc, kc, a_panels(job, op, ic, mc, pc, kc, a_buf),
                      b_buf, ic == m0);
      }
      pc += kc;
    } while (pc < k);
  }
}

/// Task t (workspace slice t) computes rectangles of C, claiming them one at a
/// time until the batch * parts of them are done. Who computes a rectangle
/// does not change its bits.
void run_task(void* context, size_t t) {
  Job& job = *static_cast<Job*>(context);
  const Plan& plan = job.plan;
  float* a_buf = job.workspace + t * (plan.task_bytes / sizeof(float));
  float* b_buf = a_buf + plan.a_floats;
  const size_t units = job.batch * plan.parts;
  const size_t m_tiles = div_up(job.m, job.ks->mr);
  const size_t n_tiles = div_up(job.n, job.ks->nr);
  for (size_t u = job.next_unit.fetch_add(1, std::memory_order_relaxed); u < units;
       u = job.next_unit.fetch_add(1, std::memory_order_relaxed)) {
    const size_t index = u / plan.parts;
    const size_t part = u % plan.parts;
    const size_t im = part / plan.tn;
    const size_t in = part % plan.tn;
    const size_t m0 = std::min(job.m, im * m_tiles / plan.tm * job.ks->mr);
    const size_t m1 = std::min(job.m, (im + 1) * m_tiles / plan.tm * job.ks->mr);
    const size_t n0 = std::min(job.n, in * n_tiles / plan.tn * job.ks->nr);
    const size_t n1 = std::min(job.n, (in + 1) * n_tiles / plan.tn * job.ks->nr);
    if (m0 < m1 && n0 < n1) compute_rect(job, index, m0, m1, n0, n1, a_buf, b_buf);
  }
}

Error run(const char* fn, const KernelSet& ks, size_t batch, int64_t m, int64_t n, int64_t k,
          float alpha, MatrixView a, MatrixView b, const float* packed_b, float beta, float* c,
          int64_t ldc, BatchStrides strides, const Epilogue& epi, void* workspace,
          size_t workspace_bytes, const float* packed_a = nullptr) {
  if (batch == 0 || m == 0 || n == 0) return Error::Ok;
  if (workspace == nullptr) {
    EMBER_LOG(Error, "%s: the workspace is null", fn);
    return Error::InvalidArgument;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(workspace);
  const size_t skip = round_up(base, kAlign) - base;
  Job job;
  job.packed_a = packed_a;
  job.a_in_place = packed_a == nullptr && read_a_in_place(ks, a);
  // The documented floor, whatever this call would need: a caller that
  // passes it works on every ISA and every layout.
  if (workspace_bytes < min_workspace_bytes() || workspace_bytes < skip ||
      !make_plan(ks, batch, (size_t)m, (size_t)n, (size_t)k,
                 packed_a == nullptr && !job.a_in_place,
                 packed_b == nullptr, get_num_threads(), workspace_bytes - skip, job.plan)) {
    EMBER_LOG(Error, "%s: workspace of %zu bytes is under the minimum of %zu", fn,
              workspace_bytes, min_workspace_bytes());
    return Error::InvalidArgument;
  }
  job.ks = &ks;
  job.batch = batch;
  job.m = (size_t)m;
  job.n = (size_t)n;
  job.k = (size_t)k;
  job.alpha = alpha;
  job.beta = beta;
  job.a = a;
  job.b = b;
  job.packed_b = packed_b;
  job.c = c;
  job.ldc = (size_t)ldc;
  job.strides = strides;
  job.epi = epi;
  job.clamp = epi.min != -std::numeric_limits<float>::infinity() ||
              epi.max != std::numeric_limits<float>::infinity();
  job.next_unit.store(0, std::memory_order_relaxed);
  job.workspace = reinterpret_cast<float*>(base + skip);
  if (job.plan.tasks == 1) {
    run_task(&job, 0);
  } else {
    parallelize_1d(run_task, &job, job.plan.tasks);
  }
  return Error::Ok;
}

}  // namespace

size_t min_workspace_bytes() {
  size_t bytes = 0;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512, Isa::neon}) {
    const KernelSet* ks = kernels_for(isa);
    if (ks != nullptr) bytes = std::max(bytes, block_bytes(ks->mr, ks->nr, ks->kc, true, true));
  }
  return kAlign + bytes;
}

size_t workspace_bytes(int64_t m, int64_t n, int64_t k, size_t num_threads, bool b_prepacked,
                       int64_t batch) {
  if (m <= 0 || n <= 0 || k < 0 || batch <= 0) return min_workspace_bytes();
  Plan plan;
  // A may need packing (its layout is not known here): count its block.
  make_plan(active_kernels(), (size_t)batch, (size_t)m, (size_t)n, (size_t)k, true, !b_prepacked,
            std::max<size_t>(1, num_threads), SIZE_MAX / 2, plan);
  return std::max(min_workspace_bytes(), kAlign + plan.tasks * plan.task_bytes);
}

Error gemm(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, MatrixView b, float beta,
           float* c, int64_t ldc, const Epilogue& epilogue, void* workspace,
           size_t workspace_bytes) {
  return gemm_batched(1, m, n, k, alpha, a, b, beta, c, ldc, BatchStrides{}, epilogue, workspace,
                      workspace_bytes);
}

Error gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, float alpha, MatrixView a,
                   MatrixView b, float beta, float* c, int64_t ldc, BatchStrides strides,
                   const Epilogue& epilogue, void* workspace, size_t workspace_bytes) {
  const char* fn = "gemm";
  if (batch < 0) {
    EMBER_LOG(Error, "%s: negative batch %lld", fn, (long long)batch);
    return Error::InvalidArgument;
  }
  EMBER_TRY(check_sizes(fn, m, n, k, c, ldc, epilogue));
  if (batch == 0 || m == 0 || n == 0) return Error::Ok;
  EMBER_TRY(check_operand(fn, "A", a.data, m, k));
  EMBER_TRY(check_operand(fn, "B", b.data, k, n));
  return run(fn, active_kernels(), (size_t)batch, m, n, k, alpha, a, b, nullptr, beta, c, ldc,
             strides, epilogue, workspace, workspace_bytes);
}

namespace {

/// The packed operands: B [k, n] in NR-column panels (pack_b), A [m, k] in
/// MR-row panels per depth block (pack_a), each after a PackedHeader.
struct PackedKind {
  uint32_t magic;
  char name;           ///< 'A' or 'B'
  char dim;            ///< its size besides k: 'm' or 'n'
  const char* packer;  ///< "gemm::pack_a" or "gemm::pack_b"
  size_t KernelSet::*width;  ///< MR or NR: the panel width
};
constexpr PackedKind kPackedA{kPackedAMagic, 'A', 'm', "gemm::pack_a", &KernelSet::mr};
constexpr PackedKind kPackedB{kPackedMagic, 'B', 'n', "gemm::pack_b", &KernelSet::nr};

/// Bytes of an operand of `rows` x `depth` (B: n x k; A: m x k) packed for the active ISA.
size_t packed_bytes(const PackedKind& kind, int64_t rows, int64_t depth) {
  const KernelSet& ks = active_kernels();
  if (rows < 0 || depth < 0) return sizeof(PackedHeader);
  return sizeof(PackedHeader) + round_up((size_t)rows, ks.*kind.width) * (size_t)depth * sizeof(float);
}

/// Checks pack_a/pack_b's arguments and writes the header; the panels
/// after it, or nullptr (logged) on bad arguments.
float* start_packing(const PackedKind& kind, MatrixView v, int64_t rows, int64_t cols,
                     int64_t panel_rows, int64_t depth, void* dst, size_t dst_bytes) {
  if (rows < 0 || cols < 0) {
    EMBER_LOG(Error, "%s: negative size %lld x %lld", kind.packer, (long long)rows,
              (long long)cols);
    return nullptr;
  }
  const char name[2] = {kind.name, '\0'};
  if (check_operand(kind.packer, name, v.data, rows, cols) != Error::Ok) return nullptr;
  const KernelSet& ks = active_kernels();
  const size_t need = packed_bytes(kind, panel_rows, depth);
  if (dst == nullptr || dst_bytes < need ||
      reinterpret_cast<uintptr_t>(dst) % alignof(float) != 0) {
    EMBER_LOG(Error, "%s: destination of %zu bytes (%zu needed) or not 4-byte aligned",
              kind.packer, dst_bytes, need);
    return nullptr;
  }
  PackedHeader header{};
  header.magic = kind.magic;
  header.isa = (uint32_t)ks.isa;
  header.k = depth;
  header.n = panel_rows;
  header.nr = ks.*kind.width;
  std::memcpy(dst, &header, sizeof(header));
  return reinterpret_cast<float*>(static_cast<uint8_t*>(dst) + sizeof(header));
}

/// The kernels and panels of a packed operand of `rows` (n for B, m for A)
/// x k, or nullptr (logged) when `packed` is not one or has other sizes.
const KernelSet* open_packed(const char* fn, const PackedKind& kind, const void* packed,
                             int64_t rows, int64_t k, const float** panels) {
  if (packed == nullptr || reinterpret_cast<uintptr_t>(packed) % alignof(float) != 0) {
    EMBER_LOG(Error, "%s: the packed %c is null or not 4-byte aligned", fn, kind.name);
    return nullptr;
  }
  PackedHeader header;
  std::memcpy(&header, packed, sizeof(header));
  const KernelSet* ks = header.magic == kind.magic && header.isa <= (uint32_t)Isa::neon
                            ? kernels_for((Isa)header.isa)
                            : nullptr;
  if (ks == nullptr || !isa_available(ks->isa) || header.nr != ks->*kind.width) {
    EMBER_LOG(Error, "%s: the buffer is not a %c packed by %s on this machine", fn, kind.name,
              kind.packer);
    return nullptr;
  }
  if (header.n != rows || header.k != k) {
    EMBER_LOG(Error, "%s: %c was packed with %c=%lld k=%lld, the call has %c=%lld k=%lld", fn,
              kind.name, kind.dim, (long long)header.n, (long long)header.k, kind.dim,
              (long long)rows, (long long)k);
    return nullptr;
  }
  *panels = reinterpret_cast<const float*>(static_cast<const uint8_t*>(packed) + sizeof(header));
  return ks;
}

}  // namespace

size_t packed_b_bytes(int64_t k, int64_t n) { return packed_bytes(kPackedB, n, k); }

Error pack_b(MatrixView b, int64_t k, int64_t n, void* dst, size_t dst_bytes) {
  float* panels = start_packing(kPackedB, b, k, n, n, k, dst, dst_bytes);
  if (panels == nullptr) return Error::InvalidArgument;
  const KernelSet& ks = active_kernels();
  for (size_t j = 0; j < (size_t)n; j += ks.nr) {
    pack_b_panel(b, 0, (size_t)k, j, std::min(ks.nr, (size_t)n - j), ks.nr, panels + j * (size_t)k);
  }
  return Error::Ok;
}

Error gemm_packed(int64_t m, int64_t n, int64_t k, float alpha, MatrixView a, const void* packed_b,
                  float beta, float* c, int64_t ldc, const Epilogue& epilogue, void* workspace,
                  size_t workspace_bytes) {
  const char* fn = "gemm_packed";
  EMBER_TRY(check_sizes(fn, m, n, k, c, ldc, epilogue));
  const float* panels = nullptr;
  const KernelSet* ks = open_packed(fn, kPackedB, packed_b, n, k, &panels);
  if (ks == nullptr) return Error::InvalidArgument;
  if (m == 0 || n == 0) return Error::Ok;
  EMBER_TRY(check_operand(fn, "A", a.data, m, k));
  return run(fn, *ks, 1, m, n, k, alpha, a, MatrixView{nullptr, 0, 0}, panels, beta, c, ldc,
             BatchStrides{}, epilogue, workspace, workspace_bytes);
}

size_t packed_a_bytes(int64_t m, int64_t k) { return packed_bytes(kPackedA, m, k); }

Error pack_a(MatrixView a, int64_t m, int64_t k, void* dst, size_t dst_bytes) {
  float* panels = start_packing(kPackedA, a, m, k, m, k, dst, dst_bytes);
  if (panels == nullptr) return Error::InvalidArgument;
  const KernelSet& ks = active_kernels();
  // Depth blocks of the ISA's KC, as run() walks them; rows past m are zeros.
  const size_t rows = round_up((size_t)m, ks.mr);
  std::memset(panels, 0, rows * (size_t)k * sizeof(float));
  for (size_t pc = 0; pc < (size_t)k; pc += ks.kc) {
    const size_t kc = std::min(ks.kc, (size_t)k - pc);
    pack_a_block(a, 0, (size_t)m, pc, kc, ks.mr, panels + pc * rows);
  }
  return Error::Ok;
}

Error gemm_packed_a(int64_t m, int64_t n, int64_t k, float alpha, const void* packed_a,
                    MatrixView b, float beta, float* c, int64_t ldc, const Epilogue& epilogue,
                    void* workspace, size_t workspace_bytes) {
  const char* fn = "gemm_packed_a";
  EMBER_TRY(check_sizes(fn, m, n, k, c, ldc, epilogue));
  const float* panels = nullptr;
  const KernelSet* ks = open_packed(fn, kPackedA, packed_a, m, k, &panels);
  if (ks == nullptr) return Error::InvalidArgument;
  if (m == 0 || n == 0) return Error::Ok;
  EMBER_TRY(check_operand(fn, "B", b.data, k, n));
  return run(fn, *ks, 1, m, n, k, alpha, MatrixView{nullptr, 0, 0}, b, nullptr, beta, c, ldc,
             BatchStrides{}, epilogue, workspace, workspace_bytes, panels);
}

}  // namespace gemm
}  // namespace ember
