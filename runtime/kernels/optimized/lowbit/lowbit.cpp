// The low-bit linear driver: argument checks, weight packing, torchao's
// dynamic activation quantization and the threaded split of a call into
// kernel calls (kernels.h describes the packed layout and the arithmetic).
//
// Algorithm of linear():
//   1. dynamic_int8 only: every row of x is quantized into the workspace
//      (quantize_row's parameters, the bytes per group and their sums);
//      the pool splits the rows.
//   2. The output is cut into units of whole column blocks (and, for many
//      rows, row chunks); pool tasks claim units from an atomic counter and
//      run the family's kernel on each.
// Every output element is computed by the same operations whatever unit it
// falls in, so the result does not depend on the thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/lowbit/kernels.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace lowbit {
namespace {

constexpr uint32_t kMagic = 0x4c424d45;  // "EMBL"
constexpr size_t kAlign = 64;
constexpr int64_t kMaxGroup = 32768;  // |T| <= G * 255 * 255 fits int32 (kernels.h)
/// Calls of at most this many multiply-adds run on the calling thread: a pool
/// call costs 1-2 us with the workers awake (within a run, and for 0.2 ms
/// after one) and tens of us when they sleep. A decode step of a 2048 x 512
/// linear (2^20) takes 4.4 us on one Zen 5 core and 3.4 on two.
constexpr uint64_t kSerialWork = uint64_t{1} << 18;
constexpr size_t kUnitsPerTask = 4;

struct Header {
  uint32_t magic;
  uint8_t isa;
  uint8_t bits;
  uint8_t has_zp;
  uint8_t scales;  ///< ScaleFormat
  int64_t n, k, group;
  uint8_t reserved[32];
};
static_assert(sizeof(Header) == kAlign, "blocks start 64 bytes in");

size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }
size_t round_up(size_t a, size_t b) { return div_up(a, b) * b; }

Geometry make_geometry(int64_t n, int64_t k, int64_t group, int bits, bool has_zp,
                       ScaleFormat scales) {
  Geometry g;
  g.n = (size_t)n;
  g.k = (size_t)k;
  g.group = (size_t)group;
  g.groups = (size_t)(k / group);
  g.gp = round_up(g.group, 8);
  g.bits = bits;
  g.has_zp = has_zp;
  g.scales = scales;
  g.weight_bytes = bits == 4 ? 8 * g.gp : 16 * g.gp;
  g.scale_bytes = scales == ScaleFormat::f32 ? 64 : 32;
  g.group_step = kPanel * (g.weight_bytes + g.scale_bytes + (has_zp ? 64 : 0));
  g.panel_stride = g.groups * g.group_step + kPanel * 64;
  return g;
}

Error check_desc(const char* fn, const WeightDesc& w) {
  if (w.n <= 0 || w.k <= 0 || w.group_size <= 0) {
    EMBER_LOG(Error, "%s: sizes must be positive (n=%lld k=%lld group_size=%lld)", fn,
              (long long)w.n, (long long)w.k, (long long)w.group_size);
    return Error::InvalidArgument;
  }
  if (w.k % w.group_size != 0 || w.group_size > kMaxGroup) {
    EMBER_LOG(Error, "%s: group_size %lld does not divide k=%lld or is over %lld", fn,
              (long long)w.group_size, (long long)w.k, (long long)kMaxGroup);
    return Error::InvalidArgument;
  }
  if (w.format != WeightFormat::int8 && w.group_size % 2 != 0) {
    EMBER_LOG(Error, "%s: int4 group_size %lld is not a multiple of 2", fn, (long long)w.group_size);
    return Error::InvalidArgument;
  }
  if (w.format != WeightFormat::int4_nibbles && w.format != WeightFormat::int4_unpacked &&
      w.format != WeightFormat::int8) {
    EMBER_LOG(Error, "%s: unknown weight format %d", fn, (int)w.format);
    return Error::InvalidArgument;
  }
  if (w.scale_format != ScaleFormat::f32 && w.scale_format != ScaleFormat::f16 &&
      w.scale_format != ScaleFormat::bf16) {
    EMBER_LOG(Error, "%s: unknown scale format %d", fn, (int)w.scale_format);
    return Error::InvalidArgument;
  }
  return Error::Ok;
}

bool is_int4(WeightFormat f) { return f != WeightFormat::int8; }

/// Whether `w` has a zero point other than 0. All-zero zero points (torchao's
/// symmetric int4 weights still carry them) pack as none: the same S, and the
/// kernels neither read b nor multiply by it.
bool has_zero_points(const WeightDesc& w) {
  if (w.zero_points == nullptr) return false;
  const int64_t count = w.n * (w.k / w.group_size);
  for (int64_t i = 0; i < count; ++i) {
    if (w.zero_points[i] != 0) return true;
  }
  return false;
}

Geometry geometry_of(const WeightDesc& w) {
  return make_geometry(w.n, w.k, w.group_size, is_int4(w.format) ? 4 : 8, has_zero_points(w),
                       w.scale_format);
}

Geometry geometry_of(const Header& h) {
  return make_geometry(h.n, h.k, h.group, h.bits, h.has_zp != 0, (ScaleFormat)h.scales);
}

/// Copies scale i of `w` as stored to lane `lane` of a chunk's scales.
void store_scale(const WeightDesc& w, int64_t i, uint8_t* sw, size_t lane) {
  if (w.scale_format == ScaleFormat::f32) {
    reinterpret_cast<float*>(sw)[lane] = static_cast<const float*>(w.scales)[i];
  } else {
    reinterpret_cast<uint16_t*>(sw)[lane] = static_cast<const uint16_t*>(w.scales)[i];
  }
}

/// The packed header, or nullptr (with a log line) if `packed` is not one.
const Header* read_header(const char* fn, const void* packed) {
  const Header* h = static_cast<const Header*>(packed);
  if (h == nullptr || reinterpret_cast<uintptr_t>(packed) % kAlign != 0 || h->magic != kMagic ||
      kernels_for((Isa)h->isa) == nullptr || h->scales > (uint8_t)ScaleFormat::bf16) {
    EMBER_LOG(Error, "%s: the weight buffer is null, not 64-byte aligned or not packed by pack()",
              fn);
    return nullptr;
  }
  return h;
}

/// W_q[j, p] of the stored weight.
int32_t stored_weight(const WeightDesc& w, int64_t j, int64_t p) {
  const uint8_t* bytes = static_cast<const uint8_t*>(w.data);
  switch (w.format) {
    case WeightFormat::int4_nibbles: {
      const uint8_t byte = bytes[j * ((w.k + 1) / 2) + p / 2];
      const int32_t nib = (p % 2 == 0) ? (byte & 0x0f) : (byte >> 4);
      return nib >= 8 ? nib - 16 : nib;
    }
    case WeightFormat::int4_unpacked:
    case WeightFormat::int8:
      return (int8_t)bytes[j * w.k + p];
  }
  return 0;
}

/// quantize_affine of one value: clamp(round(x * inv) + zp, -128, 127), torch.round
/// being round-half-even. The product is first clamped to +-512 (any value
/// beyond clamps to the same end: |zp| <= 128), where adding and subtracting
/// 1.5 * 2^23 rounds half to even exactly; this loop vectorises, nearbyint()
/// does not (a libm call on baseline x86-64). NaN inputs give an unspecified byte.
inline int32_t quantize_value(float x, float inv, float zp) {
  float v = x * inv;
  v = v < -512.0f ? -512.0f : (v > 512.0f ? 512.0f : v);
  const float r = (v + 12582912.0f) - 12582912.0f + zp;
  return (int32_t)(r < -128.0f ? -128.0f : (r > 127.0f ? 127.0f : r));
}

// ---- Linear threading -------------------------------------------------------

struct Job {
  const KernelSet* ks;
  LinearArgs args;
  bool dynamic;
  size_t m;
  size_t row_chunk, row_chunks;      ///< rows per unit, units over rows
  size_t block_chunk, block_chunks;  ///< blocks per unit, units over blocks
  std::atomic<size_t> next;
  // quantization phase
  const float* x;
  size_t ldx;
};

void run_units(void* context, size_t /*task*/) {
  Job& job = *static_cast<Job*>(context);
  const size_t units = job.row_chunks * job.block_chunks;
  const size_t nblocks = div_up(job.args.geo.n, kBlock);
  for (size_t u = job.next.fetch_add(1); u < units; u = job.next.fetch_add(1)) {
    const size_t r0 = (u / job.block_chunks) * job.row_chunk;
    const size_t b0 = (u % job.block_chunks) * job.block_chunk;
    const size_t rows = std::min(job.row_chunk, job.m - r0);
    const size_t blocks = std::min(job.block_chunk, nblocks - b0);
    (job.dynamic ? job.ks->dynamic_int8 : job.ks->float32)(job.args, r0, rows, b0, blocks);
  }
}

/// Quantizes x's row i into the activation layout of kernels.h.
void quantize_activation_row(const Job& job, size_t i) {
  const Geometry& g = job.args.geo;
  const float* x = job.x + i * job.ldx;
  uint8_t* row = const_cast<uint8_t*>(job.args.act) + i * job.args.act_stride;
  if (job.ks->quantize != nullptr) {
    job.ks->quantize(g, x, row);
    return;
  }
  float scale;
  int8_t zp;
  quantize_row(x, (int64_t)g.k, nullptr, &scale, &zp);
  const float inv = 1.0f / scale;
  const int shift = job.ks->act_shift;
  int32_t* sums = reinterpret_cast<int32_t*>(row + g.groups * g.gp);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    uint8_t* q = row + gi * g.gp;
    int32_t sum = 0;
    for (size_t p = 0; p < g.group; ++p) {
      const int32_t v = quantize_value(x[gi * g.group + p], inv, (float)zp) + shift;
      q[p] = (uint8_t)v;
      sum += v;
    }
    for (size_t p = g.group; p < g.gp; ++p) q[p] = 0;
    sums[gi] = sum;
  }
  std::memcpy(row + g.groups * g.gp + 4 * g.groups, &scale, 4);
  const int32_t a = (int32_t)zp + shift;
  std::memcpy(row + g.groups * g.gp + 4 * g.groups + 4, &a, 4);
}

void run_quantize(void* context, size_t task) {
  Job& job = *static_cast<Job*>(context);
  const size_t r0 = task * job.row_chunk;
  for (size_t i = r0; i < std::min(job.m, r0 + job.row_chunk); ++i) quantize_activation_row(job, i);
}

size_t act_stride(const Geometry& g) { return round_up(g.groups * g.gp + 4 * g.groups + 8, kAlign); }

}  // namespace

float scale_of(const WeightDesc& w, int64_t i) {
  return widen_scale(w.scale_format, w.scales, (size_t)i);
}

size_t packed_bytes(const WeightDesc& w) {
  if (check_desc("lowbit::packed_bytes", w) != Error::Ok) return 0;
  const Geometry g = geometry_of(w);
  return sizeof(Header) + div_up(div_up(g.n, kBlock), kPanel) * g.panel_stride;
}

namespace {

struct PackJob {
  const WeightDesc* w;
  const Geometry* g;
  uint8_t* blocks;
  int bits;
};

/// Packs the 16 columns of block `bi` (kernels.h's layout).
void pack_block(void* context, size_t bi) {
  const PackJob& job = *static_cast<const PackJob*>(context);
  const WeightDesc& w = *job.w;
  const Geometry& g = *job.g;
  const int bits = job.bits;
  const BlockParts parts = block_parts(g, job.blocks, bi);
  uint8_t* const block = const_cast<uint8_t*>(parts.w);
  const size_t end = std::min(g.n, (bi + 1) * kBlock);
  // The common case, int4 nibbles in groups of 8s, two values a byte read.
  const bool nibbles = w.format == WeightFormat::int4_nibbles && g.group % 8 == 0;
  for (size_t j = bi * kBlock; j < end; ++j) {
    const size_t lane = j % kBlock;
    uint8_t* chunk = block;
    double cw = 0.0;  // sw * c is exact in double (24-bit scale, |c| < 2^23)
    for (size_t gi = 0; gi < g.groups; ++gi, chunk += g.group_step) {
      const int32_t zp = g.has_zp ? w.zero_points[j * g.groups + gi] : 0;
      const int32_t b = zp + (bits == 4 ? 8 : 0);
      int32_t vsum = 0;
      if (nibbles) {
        // torchao's nibbles (element 2i low) to the chunk's pairs (offsets t
        // and 4 + t of each 8 in one byte); v = W_q + 8 is the nibble ^ 8.
        const uint8_t* src = static_cast<const uint8_t*>(w.data) + j * ((w.k + 1) / 2) +
                             gi * g.group / 2;
        for (size_t h = 0; h < g.group / 8; ++h, src += 4) {
          uint8_t v[8];
          for (int i = 0; i < 4; ++i) {
            v[2 * i] = (uint8_t)((src[i] & 0x0f) ^ 8);
            v[2 * i + 1] = (uint8_t)((src[i] >> 4) ^ 8);
          }
          for (int t = 0; t < 4; ++t) {
            chunk[h * 64 + 4 * lane + t] = (uint8_t)(v[t] | (v[4 + t] << 4));
            vsum += v[t] + v[4 + t];
          }
        }
      } else {
        for (size_t p = 0; p < g.group; ++p) {
          const int32_t wq = stored_weight(w, (int64_t)j, (int64_t)(gi * g.group + p));
          if (bits == 8) {
            chunk[(p / 4) * 64 + 4 * lane + p % 4] = (uint8_t)(int8_t)wq;
            vsum += wq;
          } else {
            const uint8_t v = (uint8_t)(wq + 8);
            chunk[(p / 8) * 64 + 4 * lane + p % 4] |= (p % 8) < 4 ? v : (uint8_t)(v << 4);
            vsum += v;
          }
        }
      }
      const size_t off = gi * g.group_step;
      store_scale(w, (int64_t)(j * g.groups + gi), const_cast<uint8_t*>(parts.sw) + off, lane);
      const float sw = scale_of(w, (int64_t)(j * g.groups + gi));
      cw += (double)sw * (double)(vsum - (int32_t)g.group * b);  // sw * c, groups in order
      if (g.has_zp) const_cast<int32_t*>(group_b(parts, off))[lane] = b;
    }
    const_cast<float*>(parts.cw)[lane] = (float)cw;
  }
}

}  // namespace

Error pack(const WeightDesc& w, void* dst, size_t dst_bytes) {
  const char* fn = "lowbit::pack";
  EMBER_TRY(check_desc(fn, w));
  if (w.data == nullptr || w.scales == nullptr || dst == nullptr ||
      reinterpret_cast<uintptr_t>(dst) % kAlign != 0) {
    EMBER_LOG(Error, "%s: null data, scales or destination, or a destination not 64-byte aligned",
              fn);
    return Error::InvalidArgument;
  }
  const size_t need = packed_bytes(w);
  if (dst_bytes < need) {
    EMBER_LOG(Error, "%s: destination of %zu bytes is under the %zu needed", fn, dst_bytes, need);
    return Error::InvalidArgument;
  }
  const int bits = is_int4(w.format) ? 4 : 8;
  const Isa isa = active_isa();
  const Geometry g = geometry_of(w);
  // 1. Validate every value before writing (a .pte's bytes are untrusted).
  const int64_t groups = w.k / w.group_size;
  for (int64_t j = 0; j < w.n; ++j) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      const float s = scale_of(w, j * groups + gi);
      if (!std::isfinite(s)) {
        EMBER_LOG(Error, "%s: scale[%lld, %lld] is not finite", fn, (long long)j, (long long)gi);
        return Error::InvalidArgument;
      }
      if (bits == 4 && w.zero_points != nullptr) {
        const int zp = w.zero_points[j * groups + gi];
        if (zp < -8 || zp > 7) {
          EMBER_LOG(Error, "%s: int4 zero_point[%lld, %lld] = %d is outside -8..7", fn,
                    (long long)j, (long long)gi, zp);
          return Error::InvalidArgument;
        }
      }
    }
    if (w.format == WeightFormat::int4_unpacked) {
      for (int64_t p = 0; p < w.k; ++p) {
        const int32_t v = stored_weight(w, j, p);
        if (v < -8 || v > 7) {
          EMBER_LOG(Error, "%s: int4 weight[%lld, %lld] = %d is outside -8..7", fn, (long long)j,
                    (long long)p, (int)v);
          return Error::InvalidArgument;
        }
      }
    }
  }
  // 2. Header, then panels of 4 blocks of 16 columns (kernels.h); each
  //    block's bytes its own, so the blocks are packed in parallel (a
  //    load-time cost: 110M weights of an LLM).
  Header* h = static_cast<Header*>(dst);
  std::memset(dst, 0, need);
  h->magic = kMagic;
  h->isa = (uint8_t)isa;
  h->bits = (uint8_t)bits;
  h->has_zp = g.has_zp ? 1 : 0;
  h->scales = (uint8_t)w.scale_format;
  h->n = w.n;
  h->k = w.k;
  h->group = w.group_size;
  PackJob job{&w, &g, static_cast<uint8_t*>(dst) + sizeof(Header), bits};
  parallelize_1d(pack_block, &job, (g.n + kBlock - 1) / kBlock);
  return Error::Ok;
}

Error packed_info(const void* packed, PackedInfo* info) {
  const Header* h = read_header("lowbit::packed_info", packed);
  if (h == nullptr || info == nullptr) return Error::InvalidArgument;
  *info = PackedInfo{h->n, h->k, h->group, h->bits, h->has_zp != 0, (Isa)h->isa,
                     (ScaleFormat)h->scales};
  return Error::Ok;
}

Error quantize_row(const float* x, int64_t k, int8_t* q, float* scale, int8_t* zero_point) {
  if (x == nullptr || k <= 0 || scale == nullptr || zero_point == nullptr) {
    EMBER_LOG(Error, "lowbit::quantize_row: null pointer or k=%lld <= 0", (long long)k);
    return Error::InvalidArgument;
  }
  // torchao's _choose_qparams_affine (ASYMMETRIC), in float32 like torch.
  float lo = x[0], hi = x[0];
  for (int64_t p = 1; p < k; ++p) {
    lo = std::min(lo, x[p]);
    hi = std::max(hi, x[p]);
  }
  float s;
  int32_t zp_int;
  row_qparams(lo, hi, &s, &zp_int);
  const float zp = (float)zp_int;
  *scale = s;
  *zero_point = (int8_t)zp_int;
  if (q != nullptr) {
    // quantize_affine: clamp(round(x * (1 / scale)) + zero_point, -128, 127).
    const float inv = 1.0f / s;
    for (int64_t p = 0; p < k; ++p) q[p] = (int8_t)quantize_value(x[p], inv, zp);
  }
  return Error::Ok;
}

size_t workspace_bytes(int64_t m, const void* packed, Activation activation) {
  const Header* h = static_cast<const Header*>(packed);
  if (m <= 0 || activation != Activation::dynamic_int8 || h == nullptr || h->magic != kMagic) {
    return 0;
  }
  const Geometry g = geometry_of(*h);
  return kAlign + (size_t)m * act_stride(g);
}

Error linear(int64_t m, const float* x, int64_t ldx, const void* packed, const float* bias,
             float* y, int64_t ldy, Activation activation, void* workspace,
             size_t workspace_size) {
  const char* fn = "lowbit::linear";
  const Header* h = read_header(fn, packed);
  if (h == nullptr) return Error::InvalidArgument;
  if (m < 0 || (m > 0 && (x == nullptr || y == nullptr)) || ldx < h->k || ldy < h->n) {
    EMBER_LOG(Error, "%s: m=%lld, null x or y, or strides ldx=%lld < k=%lld / ldy=%lld < n=%lld",
              fn, (long long)m, (long long)ldx, (long long)h->k, (long long)ldy, (long long)h->n);
    return Error::InvalidArgument;
  }
  if (activation != Activation::dynamic_int8 && activation != Activation::float32) {
    EMBER_LOG(Error, "%s: unknown activation mode %d", fn, (int)activation);
    return Error::InvalidArgument;
  }
  if (m == 0) return Error::Ok;
  const size_t need = workspace_bytes(m, packed, activation);
  if (need > 0 && (workspace == nullptr || workspace_size < need)) {
    EMBER_LOG(Error, "%s: workspace of %zu bytes is under the %zu needed", fn, workspace_size, need);
    return Error::InvalidArgument;
  }

  Job job;
  job.ks = kernels_for((Isa)h->isa);
  job.dynamic = activation == Activation::dynamic_int8;
  job.m = (size_t)m;
  job.x = x;
  job.ldx = (size_t)ldx;
  LinearArgs& a = job.args;
  a.geo = geometry_of(*h);
  a.blocks = static_cast<const uint8_t*>(packed) + sizeof(Header);
  a.x = x;
  a.ldx = (size_t)ldx;
  a.bias = bias;
  a.y = y;
  a.ldy = (size_t)ldy;
  a.act = nullptr;
  a.act_stride = act_stride(a.geo);
  const uint64_t work = (uint64_t)m * a.geo.n * a.geo.k;
  const size_t threads = work <= kSerialWork ? 1 : std::max<size_t>(1, get_num_threads());

  // 1. Quantize the rows (dynamic_int8).
  if (job.dynamic) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(workspace);
    a.act = reinterpret_cast<const uint8_t*>(round_up(base, kAlign));
    // Quantizing costs about k per row against k * n for the product: below
    // 2^16 values a second pool call (one more wake-up) would cost more.
    const size_t tasks = (uint64_t)m * a.geo.k < (1u << 16) ? 1 : std::min<size_t>(threads, (size_t)m);
    job.row_chunk = div_up((size_t)m, tasks);
    if (tasks > 1) {
      parallelize_1d(run_quantize, &job, tasks);
    } else {
      run_quantize(&job, 0);
    }
  }
  // 2. Units: whole row tiles x column-block chunks, about kUnitsPerTask per task.
  const size_t nblocks = div_up(a.geo.n, kBlock);
  const size_t mr = job.ks->mr;
  const size_t row_tiles = div_up((size_t)m, mr);
  const size_t want = threads == 1 ? 1 : kUnitsPerTask * threads;
  // Split the columns first (each unit then reads only its weights), then rows.
  job.block_chunks = std::min(nblocks, want);
  job.block_chunk = div_up(nblocks, job.block_chunks);
  // Whole panels per unit where units hold more than one (a one-row pass
  // over a panel reads one stream), else an even count.
  if (job.block_chunk > kPanel) {
    job.block_chunk = round_up(job.block_chunk, kPanel);
  } else if (job.block_chunk > 1 && job.block_chunk % 2 != 0 && nblocks > job.block_chunk) {
    ++job.block_chunk;
  }
  job.block_chunks = div_up(nblocks, job.block_chunk);
  job.row_chunks = std::min(row_tiles, div_up(want, job.block_chunks));
  job.row_chunk = div_up(row_tiles, job.row_chunks) * mr;
  job.row_chunks = div_up((size_t)m, job.row_chunk);
  job.next.store(0);
  if (threads > 1) {
    parallelize_1d(run_units, &job, std::min(threads, job.row_chunks * job.block_chunks));
  } else {
    run_units(&job, 0);
  }
  return Error::Ok;
}

}  // namespace lowbit
}  // namespace ember
