// ember_lowbit against a double-precision reference for every kernel family
// this CPU runs (selected with lowbit::set_isa, as EMBER_LOWBIT_ISA would):
// int4 (both storages) and int8, groups 32/64/128/k, zero points or none,
// bias, odd m and n; 1 vs 2 threads bit for bit; torchao's dynamic
// quantization and eager linears, ExecuTorch's quantized embeddings
// (lowbit_golden_data.h, from gen_lowbit_golden.py); bad arguments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/lowbit/kernels.h"
#include "runtime/kernels/optimized/lowbit/lowbit.h"
#include "tests/runtime/lowbit/lowbit_golden_data.h"

namespace ember {
namespace lowbit {
void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace lowbit
}  // namespace ember

namespace {

using ember::Error;
using namespace ember::lowbit;
namespace golden = ember::test::lowbit_golden;

constexpr double kU = 1.0 / (1 << 23);  // 2 ulp of 1.0f: room for both roundings of a step

struct Rng {
  uint64_t state;
  uint32_t bits() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(state >> 33);
  }
  float uniform() { return (float)(bits() & 0xffffff) / (float)(1 << 23) - 1.0f; }  // [-1, 1)
  int range(int lo, int hi) { return lo + (int)(bits() % (uint32_t)(hi - lo + 1)); }
};

/// A quantized weight in its storage plus the values it means.
struct Weight {
  int64_t n, k, group;
  int bits;
  std::vector<int8_t> q;       ///< W_q [n, k]
  std::vector<uint8_t> store;  ///< the bytes handed to pack()
  std::vector<float> scales;
  std::vector<int8_t> zps;
  WeightDesc desc() const {
    return WeightDesc{n,
                      k,
                      group,
                      bits == 8 ? WeightFormat::int8 : WeightFormat::int4_nibbles,
                      store.data(),
                      scales.data(),
                      zps.empty() ? nullptr : zps.data()};
  }
  int32_t zp(int64_t j, int64_t g) const { return zps.empty() ? 0 : zps[j * (k / group) + g]; }
  float scale(int64_t j, int64_t g) const { return scales[j * (k / group) + g]; }
};

std::vector<uint8_t> nibbles(const std::vector<int8_t>& q, int64_t n, int64_t k) {
  std::vector<uint8_t> out(n * ((k + 1) / 2), 0);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t p = 0; p < k; ++p) {
      const uint8_t v = (uint8_t)(q[j * k + p] & 0x0f);
      out[j * ((k + 1) / 2) + p / 2] |= p % 2 == 0 ? v : (uint8_t)(v << 4);
    }
  }
  return out;
}

Weight make_weight(int bits, int64_t n, int64_t k, int64_t group, bool zero_points, Rng& rng) {
  Weight w{n, k, group, bits, {}, {}, {}, {}};
  const int lo = bits == 4 ? -8 : -128, hi = bits == 4 ? 7 : 127;
  w.q.resize(n * k);
  for (int8_t& v : w.q) v = (int8_t)rng.range(lo, hi);
  w.scales.resize(n * (k / group));
  for (float& s : w.scales) s = 0.001f + 0.05f * std::fabs(rng.uniform());
  if (zero_points) {
    w.zps.resize(w.scales.size());
    for (int8_t& z : w.zps) z = (int8_t)rng.range(lo, hi);
  }
  if (bits == 4) {
    w.store = nibbles(w.q, n, k);
  } else {
    w.store.assign(w.q.begin(), w.q.end());
  }
  return w;
}

/// A 64-byte aligned byte buffer (std::vector's storage, offset).
struct Aligned {
  std::vector<uint8_t> storage;
  uint8_t* data;
  explicit Aligned(size_t bytes) : storage(bytes + 64) {
    data = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  }
};

Aligned pack_weight(const Weight& w) {
  const size_t bytes = packed_bytes(w.desc());
  EXPECT_GT(bytes, 0u);
  Aligned buf(bytes);
  EXPECT_EQ(pack(w.desc(), buf.data, bytes), Error::Ok);
  return buf;
}

std::vector<float> run_linear(const Aligned& packed, const std::vector<float>& x, int64_t m,
                              int64_t k, int64_t n, const float* bias, Activation act) {
  std::vector<float> y(m * n + 1, NAN);
  std::vector<uint8_t> ws(workspace_bytes(m, packed.data, act) + 1);
  EXPECT_EQ(linear(m, x.data(), k, packed.data, bias, y.data(), n, act, ws.data(), ws.size()),
            Error::Ok);
  EXPECT_TRUE(std::isnan(y[m * n])) << "wrote past y";
  y.resize(m * n);
  return y;
}

/// The magnitude an 8da output's rounding errors scale with (kernels.h): the
/// kernels sum sw * T_g in float, T_g = S_g + a c_g with the activation bytes
/// offset by the family's act_shift (a = zx + act_shift), then subtract
/// a * Cw (Cw = sum_g sw c_g, rounded once), so with P = sum_g |sw_g T_g| and
/// Q = |a| sum_g |sw_g c_g| it is M = sx (P + Q) + |bias|. To first order in
/// u = 2^-24, every operation rounding (the generic family; FMAs only drop
/// terms): converting T_g and the product with sw_g, 2 u P; the groups - 1
/// additions, each at most u times a partial sum <= P; Cw's rounding (its
/// double sum adds under groups 2^-53) and the product a * Cw, 2 u Q; the
/// subtraction, the product with sx and the bias add, u M each. In all at most
/// (groups + 4) u M; the checks allow (groups + 3) kU M = (2 groups + 6) u M,
/// the rest being room for second-order terms.
double dynamic_magnitude(double sx, double a, const double* sw_t, const double* sw_c,
                         int64_t groups, double bias) {
  double sum = 0.0;
  for (int64_t g = 0; g < groups; ++g) sum += std::fabs(sw_t[g]) + std::fabs(a * sw_c[g]);
  return std::fabs(sx) * sum + std::fabs(bias);
}

/// Checks an 8da linear against y = sx * sum_g sw * S_g (+ bias) in double,
/// within (groups + 3) kU M (dynamic_magnitude).
void check_dynamic(const Weight& w, const std::vector<float>& x, int64_t m, const float* bias,
                   const std::vector<float>& y, const std::string& what) {
  const int64_t groups = w.k / w.group;
  const int shift = kernels_for(active_isa())->act_shift;
  std::vector<int8_t> q(w.k);
  std::vector<double> sw_t(groups), sw_c(groups);
  for (int64_t i = 0; i < m; ++i) {
    float sx;
    int8_t zx;
    ASSERT_EQ(quantize_row(&x[i * w.k], w.k, q.data(), &sx, &zx), Error::Ok);
    const int64_t a = zx + shift;
    for (int64_t j = 0; j < w.n; ++j) {
      double ref = 0.0;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t s = 0, c = 0;
        for (int64_t p = g * w.group; p < (g + 1) * w.group; ++p) {
          s += (int64_t)(q[p] - zx) * (w.q[j * w.k + p] - w.zp(j, g));
          c += w.q[j * w.k + p] - w.zp(j, g);
        }
        ref += (double)sx * w.scale(j, g) * (double)s;
        sw_t[g] = (double)w.scale(j, g) * (double)(s + a * c);
        sw_c[g] = (double)w.scale(j, g) * (double)c;
      }
      const double b = bias != nullptr ? bias[j] : 0.0;
      ref += b;
      const double mag = dynamic_magnitude(sx, (double)a, sw_t.data(), sw_c.data(), groups, b);
      const double bound = (double)(groups + 3) * kU * mag + 1e-35;
      ASSERT_LE(std::fabs(y[i * w.n + j] - ref), bound)
          << what << " at (" << i << ", " << j << "): " << y[i * w.n + j] << " vs " << ref;
    }
  }
}

/// Checks a weight-only linear against sum_p x_p * float((W_q - zp) * scale) in double.
void check_float(const Weight& w, const std::vector<float>& x, int64_t m, const float* bias,
                 const std::vector<float>& y, const std::string& what) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < w.n; ++j) {
      double ref = 0.0, mag = 0.0;
      for (int64_t p = 0; p < w.k; ++p) {
        const int64_t g = p / w.group;
        const float dq = (float)(w.q[j * w.k + p] - w.zp(j, g)) * w.scale(j, g);
        ref += (double)x[i * w.k + p] * dq;
        mag += std::fabs((double)x[i * w.k + p] * dq);
      }
      if (bias != nullptr) {
        ref += bias[j];
        mag += std::fabs(bias[j]);
      }
      const double bound = (double)(w.group + w.k / w.group + 3) * kU * mag + 1e-35;
      ASSERT_LE(std::fabs(y[i * w.n + j] - ref), bound)
          << what << " at (" << i << ", " << j << "): " << y[i * w.n + j] << " vs " << ref;
    }
  }
}

std::vector<float> random_x(int64_t m, int64_t k, Rng& rng) {
  std::vector<float> x(m * k);
  for (float& v : x) v = 2.0f * rng.uniform();
  return x;
}

std::vector<Isa> families() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512_vnni, Isa::neon, Isa::neon_dotprod}) {
    if (isa_available(isa)) out.push_back(isa);
  }
  return out;
}

class LowbitIsa : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    previous_ = active_isa();
    ASSERT_EQ(set_isa(GetParam()), Error::Ok);
    ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
  }
  void TearDown() override { set_isa(previous_); }
  Isa previous_ = Isa::generic;
};

// Every width, group size (k for per-channel, an odd k for int8), zero
// points or none, bias or none, and odd m and n, in both activation modes.
TEST_P(LowbitIsa, MatchesReference) {
  Rng rng{42};
  struct Shape {
    int bits;
    int64_t group, k;
  };
  const Shape shapes[] = {{4, 32, 64},  {4, 64, 128}, {4, 128, 256}, {4, 48, 48},
                          {8, 32, 96},  {8, 64, 64},  {8, 128, 256}, {8, 17, 17}, {8, 40, 40}};
  for (const Shape& s : shapes) {
    for (bool zp : {false, true}) {
      for (int64_t n : {1, 7, 33}) {
        const Weight w = make_weight(s.bits, n, s.k, s.group, zp, rng);
        const Aligned packed = pack_weight(w);
        std::vector<float> bias(n);
        for (float& b : bias) b = rng.uniform();
        for (int64_t m : {1, 3, 17}) {
          const std::vector<float> x = random_x(m, s.k, rng);
          const float* b = (m + n) % 2 == 0 ? bias.data() : nullptr;
          const std::string what = "int" + std::to_string(s.bits) + " G=" + std::to_string(s.group) +
                                   " k=" + std::to_string(s.k) + " zp=" + std::to_string(zp) +
                                   " m=" + std::to_string(m) + " n=" + std::to_string(n);
          check_dynamic(w, x, m, b, run_linear(packed, x, m, s.k, n, b, Activation::dynamic_int8),
                        what);
          check_float(w, x, m, b, run_linear(packed, x, m, s.k, n, b, Activation::float32), what);
        }
      }
    }
  }
}

// torchao's int8 storage of int4 (one value a byte) packs to the same bytes
// as Ember's nibbles.
TEST_P(LowbitIsa, UnpackedInt4PacksLikeNibbles) {
  Rng rng{7};
  const Weight w = make_weight(4, 21, 64, 32, true, rng);
  const Aligned a = pack_weight(w);
  WeightDesc d = w.desc();
  d.format = WeightFormat::int4_unpacked;
  d.data = w.q.data();
  Aligned b(packed_bytes(d));
  ASSERT_EQ(pack(d, b.data, packed_bytes(d)), Error::Ok);
  EXPECT_EQ(std::memcmp(a.data, b.data, packed_bytes(d)), 0);
  PackedInfo info;
  ASSERT_EQ(packed_info(a.data, &info), Error::Ok);
  EXPECT_EQ(info.n, 21);
  EXPECT_EQ(info.k, 64);
  EXPECT_EQ(info.group_size, 32);
  EXPECT_EQ(info.bits, 4);
  EXPECT_TRUE(info.has_zero_points);
  EXPECT_EQ(info.isa, GetParam());
}

// float16 and bfloat16 scales stay 16-bit in the packed weight (half the
// bytes of float32 ones) and mean exactly their float32 values: both modes
// give the bits of the same weight packed with the scales widened, for n
// inside one panel, on a panel's edge, over several with a padded last one.
TEST_P(LowbitIsa, SixteenBitScalesGiveTheBitsOfTheirFloatValues) {
  Rng rng{17};
  struct Case {
    int bits;
    int64_t n, k, group;
    bool zp;
  };
  for (const Case& c : {Case{4, 7, 64, 32, false}, Case{4, 64, 128, 32, true},
                        Case{4, 150, 96, 32, false}, Case{8, 70, 64, 64, true},
                        Case{4, 33, 256, 128, false}}) {
    for (ScaleFormat format : {ScaleFormat::f16, ScaleFormat::bf16}) {
      Weight w = make_weight(c.bits, c.n, c.k, c.group, c.zp, rng);
      std::vector<uint16_t> half(w.scales.size());
      for (size_t i = 0; i < half.size(); ++i) {
        if (format == ScaleFormat::f16) {
          half[i] = ember::Half(w.scales[i]).bits;
          w.scales[i] = ember::Half::to_float(half[i]);
        } else {
          half[i] = ember::BFloat16(w.scales[i]).bits;
          w.scales[i] = ember::BFloat16::to_float(half[i]);
        }
      }
      const Aligned wide = pack_weight(w);
      WeightDesc d = w.desc();
      d.scales = half.data();
      d.scale_format = format;
      const size_t bytes = packed_bytes(d);
      ASSERT_LT(bytes, packed_bytes(w.desc()));
      Aligned narrow(bytes);
      ASSERT_EQ(pack(d, narrow.data, bytes), Error::Ok);
      PackedInfo info;
      ASSERT_EQ(packed_info(narrow.data, &info), Error::Ok);
      EXPECT_EQ(info.scale_format, format);
      for (int64_t m : {1, 3, 17}) {
        const std::vector<float> x = random_x(m, c.k, rng);
        for (Activation act : {Activation::dynamic_int8, Activation::float32}) {
          const std::vector<float> want = run_linear(wide, x, m, c.k, c.n, nullptr, act);
          const std::vector<float> got = run_linear(narrow, x, m, c.k, c.n, nullptr, act);
          EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
              << "bits " << c.bits << " n " << c.n << " format " << (int)format << " m " << m
              << " act " << (int)act;
        }
      }
    }
  }
}

// Threads split rows and column blocks; every element is computed the same way.
TEST_P(LowbitIsa, ThreadCountDoesNotChangeBits) {
  if (ember::set_num_threads(2) != Error::Ok) GTEST_SKIP() << "built without a thread pool";
  Rng rng{3};
  // Calls over 2^20 multiply-adds go to the pool: 37 x 70 x 512 rows, and a
  // decode step of 1 x 520 x 2048 (its G = 32 int4 case on the fast path).
  struct Case {
    int bits;
    int64_t m, n, k, group;
    bool zp;
  };
  for (const Case& c : {Case{4, 37, 70, 512, 64, true}, Case{8, 37, 70, 512, 64, false},
                        Case{4, 1, 520, 2048, 32, false}}) {
    const int bits = c.bits;
    const int64_t m = c.m, n = c.n, k = c.k;
    const Weight w = make_weight(bits, n, k, c.group, c.zp, rng);
    const Aligned packed = pack_weight(w);
    const std::vector<float> x = random_x(m, k, rng);
    for (Activation act : {Activation::dynamic_int8, Activation::float32}) {
      for (int64_t rows : {int64_t{1}, m}) {
        ASSERT_EQ(ember::set_num_threads(2), Error::Ok);
        const std::vector<float> two = run_linear(packed, x, rows, k, n, nullptr, act);
        ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
        const std::vector<float> one = run_linear(packed, x, rows, k, n, nullptr, act);
        EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0)
            << "bits " << bits << " rows " << rows << " act " << (int)act;
      }
    }
  }
}

// The eager torchao graphs (dequantize both, F.linear) within the stated bound.
TEST_P(LowbitIsa, MatchesEagerTorchao) {
  using namespace golden;
  for (int mode = 0; mode < 2; ++mode) {
    const bool dyn = mode == 0;
    Weight w{kLinN, kLinK, kLinG, 4, {}, {}, {}, {}};
    const std::vector<int32_t>& wq = dyn ? kDynWq : kWoWq;
    const std::vector<int32_t>& zero = dyn ? kDynZero : kWoZero;
    for (int32_t v : wq) w.q.push_back((int8_t)v);
    for (int32_t v : zero) w.zps.push_back((int8_t)v);
    w.scales = dyn ? kDynScale : kWoScale;
    w.store = nibbles(w.q, kLinN, kLinK);
    const std::vector<float>& x = dyn ? kDynX : kWoX;
    const std::vector<float>& bias = dyn ? kDynBias : kWoBias;
    const std::vector<float>& want = dyn ? kDynY : kWoY;
    const Aligned packed = pack_weight(w);
    const std::vector<float> y = run_linear(packed, x, kLinM, kLinK, kLinN, bias.data(),
                                            dyn ? Activation::dynamic_int8 : Activation::float32);
    // Eager dequantizes x (dynamic mode) and W in float and sums k products:
    // within (k + 3) u <= k kU of E = sum_p |x_p w_p| + |bias| (two
    // dequantizations and a product per term, k additions). Ember is within
    // (groups + 3) kU of M (dynamic_magnitude; weight-only: of E, as below).
    const int64_t groups = kLinK / kLinG;
    const int shift = kernels_for(active_isa())->act_shift;
    std::vector<int8_t> q(kLinK);
    std::vector<double> sw_t(groups), sw_c(groups);
    for (int64_t i = 0; i < kLinM; ++i) {
      float sx = 1.0f;
      int8_t zx = 0;
      ASSERT_EQ(quantize_row(&x[i * kLinK], kLinK, q.data(), &sx, &zx), Error::Ok);
      const int64_t a = zx + shift;
      for (int64_t j = 0; j < kLinN; ++j) {
        double mag = std::fabs(bias[j]);
        for (int64_t p = 0; p < kLinK; ++p) {
          const double xv = dyn ? (double)(q[p] - zx) * sx : x[i * kLinK + p];
          mag += std::fabs(xv * (w.q[j * kLinK + p] - w.zp(j, p / kLinG)) * w.scale(j, p / kLinG));
        }
        for (int64_t g = 0; g < groups; ++g) {
          int64_t t = 0, c = 0;
          for (int64_t p = g * kLinG; p < (g + 1) * kLinG; ++p) {
            t += (int64_t)(q[p] + shift) * (w.q[j * kLinK + p] - w.zp(j, g));
            c += w.q[j * kLinK + p] - w.zp(j, g);
          }
          sw_t[g] = (double)w.scale(j, g) * (double)t;
          sw_c[g] = (double)w.scale(j, g) * (double)c;
        }
        const double ember =
            dyn ? dynamic_magnitude(sx, (double)a, sw_t.data(), sw_c.data(), groups, bias[j])
                : mag;
        EXPECT_LE(std::fabs(y[i * kLinN + j] - want[i * kLinN + j]),
                  (double)kLinK * kU * mag + (double)(groups + 3) * kU * ember)
            << (dyn ? "8da4w" : "4w") << " at (" << i << ", " << j << ")";
      }
    }
  }
}

// Tiles as wide as the kernels make them (a decode step's four blocks, the
// prefill tile's two), G = 32 with zero points, none, or all zero (packed as
// none), and the weights that make |c| = |sum (W_q - zp)| largest (-8 without
// zero points; -8 - 7 and 7 - (-8) with: the largest a * Cw to cancel),
// against rows whose activation zero is at either end.
TEST_P(LowbitIsa, MatchesReferenceWideTiles) {
  Rng rng{11};
  const int64_t k = 256;
  for (int variant = 0; variant < 6; ++variant) {
    // 0: no zero points, 1: random ones, 2: all 0, 3: W = -8, 4: W = -8 zp = 7, 5: W = 7 zp = -8
    const bool zp = variant == 1 || variant == 2 || variant >= 4;
    for (int64_t n : {64, 80, 130}) {
      Weight w = make_weight(4, n, k, 32, zp, rng);
      if (variant >= 3) {
        std::fill(w.q.begin(), w.q.end(), (int8_t)(variant == 5 ? 7 : -8));
        w.store = nibbles(w.q, n, k);
      }
      if (zp && variant != 1) {
        std::fill(w.zps.begin(), w.zps.end(), (int8_t)(variant == 4 ? 7 : variant == 5 ? -8 : 0));
      }
      const Aligned packed = pack_weight(w);
      for (int64_t m : {1, 2, 5, 9}) {
        std::vector<float> x = random_x(m, k, rng);
        if (m == 2) {  // all positive (activation zero -128), all negative (127)
          for (int64_t p = 0; p < k; ++p) {
            x[p] = std::fabs(x[p]);
            x[k + p] = -std::fabs(x[k + p]);
          }
        }
        const std::string what = "variant " + std::to_string(variant) + " m=" + std::to_string(m) +
                                 " n=" + std::to_string(n);
        check_dynamic(w, x, m, nullptr,
                      run_linear(packed, x, m, k, n, nullptr, Activation::dynamic_int8), what);
      }
    }
  }
}

// Zero points that are all 0 pack to the same bytes as none (and read as none).
TEST_P(LowbitIsa, AllZeroZeroPointsPackAsNone) {
  Rng rng{12};
  for (int bits : {4, 8}) {
    Weight w = make_weight(bits, 40, 128, 32, false, rng);
    const size_t bytes = packed_bytes(w.desc());
    const Aligned none = pack_weight(w);
    w.zps.assign(40 * 4, 0);
    ASSERT_EQ(packed_bytes(w.desc()), bytes);
    const Aligned zeros = pack_weight(w);
    EXPECT_EQ(std::memcmp(none.data, zeros.data, bytes), 0) << "bits " << bits;
    PackedInfo info;
    ASSERT_EQ(packed_info(zeros.data, &info), Error::Ok);
    EXPECT_FALSE(info.has_zero_points);
  }
}

/// Runs the family's row quantizer (kernels.h) for a row of k values in groups
/// of `group` and checks every byte, sum and parameter against quantize_row.
void check_quantizer(const KernelSet& ks, const float* x, int64_t k, int64_t group) {
  Geometry g{};
  g.n = 16;
  g.k = (size_t)k;
  g.group = (size_t)group;
  g.groups = (size_t)(k / group);
  g.gp = (g.group + 7) / 8 * 8;
  std::vector<uint8_t> row(g.groups * g.gp + 4 * g.groups + 8, 0xa5);
  ks.quantize(g, x, row.data());
  std::vector<int8_t> q(k);
  float scale = 0.0f;
  int8_t zp = 0;
  ASSERT_EQ(quantize_row(x, k, q.data(), &scale, &zp), Error::Ok);
  for (size_t gi = 0; gi < g.groups; ++gi) {
    int32_t sum = 0;
    for (size_t p = 0; p < g.gp; ++p) {
      const int32_t want = p < g.group ? q[gi * g.group + p] + ks.act_shift : 0;
      ASSERT_EQ(row[gi * g.gp + p], (uint8_t)want)
          << "k " << k << " G " << group << " at " << gi * g.group + p;
      sum += want;
    }
    EXPECT_EQ(act_sums(g, row.data())[gi], sum) << "k " << k << " G " << group << " group " << gi;
  }
  EXPECT_EQ(act_scale(g, row.data()), scale);
  EXPECT_EQ(act_zero(g, row.data()), zp + ks.act_shift);
}

// A family's own row quantizer gives quantize_row's bytes (torchao's rows,
// half-way cases included, and a long random row).
TEST_P(LowbitIsa, RowQuantizerMatchesQuantizeRow) {
  const KernelSet& ks = *kernels_for(GetParam());
  if (ks.quantize == nullptr) GTEST_SKIP() << "this family uses the driver's scalar loop";
  using namespace golden;
  for (int64_t r = 0; r < kQRows; ++r) {
    for (int64_t group : {kQK, int64_t{20}, int64_t{8}, int64_t{5}, int64_t{2}}) {
      check_quantizer(ks, &kQX[r * kQK], kQK, group);
    }
  }
  Rng rng{13};
  const std::vector<float> x = random_x(1, 2048 + 24, rng);
  check_quantizer(ks, x.data(), 2048, 32);
  check_quantizer(ks, x.data(), 2048 + 24, 2048 + 24);
  check_quantizer(ks, x.data() + 3, 1000, 40);
}

INSTANTIATE_TEST_SUITE_P(Families, LowbitIsa, ::testing::ValuesIn(families()),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

// Bit for bit what torchao's choose_qparams_affine + quantize_affine give.
TEST(Lowbit, QuantizeRowMatchesTorchao) {
  using namespace golden;
  std::vector<int8_t> q(kQK);
  for (int64_t r = 0; r < kQRows; ++r) {
    float scale = 0.0f;
    int8_t zp = 0;
    ASSERT_EQ(quantize_row(&kQX[r * kQK], kQK, q.data(), &scale, &zp), Error::Ok);
    EXPECT_EQ(scale, kQScale[r]) << "row " << r;
    EXPECT_EQ(zp, kQZero[r]) << "row " << r;
    for (int64_t p = 0; p < kQK; ++p) ASSERT_EQ(q[p], kQ[r * kQK + p]) << "row " << r << " p " << p;
  }
}

// ExecuTorch's embedding_4bit / embedding_byte Python reference, exactly.
TEST(Lowbit, EmbeddingMatchesExecuTorch) {
  using namespace golden;
  const int64_t count = (int64_t)kEmbIdx.size();
  std::vector<float> out(count * kEmbD);
  struct Case {
    EmbeddingFormat format;
    const uint8_t* data;
    int64_t group;
    const float* scales;
    const float* zeros;
    const std::vector<float>* want;
  };
  const uint8_t* w8 = reinterpret_cast<const uint8_t*>(kEmb8.data());
  const Case cases[] = {
      {EmbeddingFormat::et_4bit, kEmb4.data(), kEmbG, kEmbScale.data(), kEmbZero.data(), &kEmb4Out},
      {EmbeddingFormat::et_4bit, kEmb4.data(), kEmbG, kEmbScale.data(), nullptr, &kEmb4NoZeroOut},
      {EmbeddingFormat::et_int8, w8, kEmbG, kEmbScale.data(), kEmbZero.data(), &kEmb8Out},
      {EmbeddingFormat::et_int8, w8, kEmbD, kEmbRowScale.data(), nullptr, &kEmb8RowOut},
  };
  for (const Case& c : cases) {
    const EmbeddingDesc t{kEmbV, kEmbD, c.group, c.format, c.data, c.scales, c.zeros};
    ASSERT_EQ(embedding(t, kEmbIdx.data(), count, out.data()), Error::Ok);
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], (*c.want)[i]) << "element " << i;
  }
  // uint8 storage: the same values offset by 128 with zero points offset by 128.
  std::vector<uint8_t> u8(kEmb8.size());
  for (size_t i = 0; i < u8.size(); ++i) u8[i] = (uint8_t)(kEmb8[i] + 128);
  std::vector<float> zeros(kEmbV, 128.0f);
  const EmbeddingDesc t{kEmbV, kEmbD, kEmbD, EmbeddingFormat::et_uint8, u8.data(),
                        kEmbRowScale.data(), zeros.data()};
  ASSERT_EQ(embedding(t, kEmbIdx.data(), count, out.data()), Error::Ok);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], kEmb8RowOut[i]) << "element " << i;
}

TEST(Lowbit, EmbeddingRejectsOutOfRangeIndex) {
  using namespace golden;
  const EmbeddingDesc t{kEmbV, kEmbD, kEmbG, EmbeddingFormat::et_4bit, kEmb4.data(),
                        kEmbScale.data(), nullptr};
  std::vector<float> out(3 * kEmbD, -7.0f);
  for (int64_t bad : {int64_t{-1}, kEmbV, int64_t{1} << 40}) {
    const int64_t idx[3] = {0, 1, bad};
    EXPECT_EQ(embedding(t, idx, 3, out.data()), Error::InvalidArgument) << bad;
    for (float v : out) ASSERT_EQ(v, -7.0f) << "wrote before rejecting";
  }
  EmbeddingDesc odd = t;
  odd.group_size = 3;
  const int64_t ok[1] = {0};
  EXPECT_EQ(embedding(odd, ok, 1, out.data()), Error::InvalidArgument);
  EXPECT_EQ(embedding(t, static_cast<const int64_t*>(nullptr), 1, out.data()),
            Error::InvalidArgument);
}

TEST(Lowbit, RejectsBadArguments) {
  Rng rng{9};
  Weight w = make_weight(4, 8, 64, 32, true, rng);
  WeightDesc d = w.desc();
  Aligned buf(packed_bytes(d) + 64);
  EXPECT_EQ(pack(d, buf.data, packed_bytes(d)), Error::Ok);
  WeightDesc bad = d;
  bad.group_size = 48;  // does not divide 64
  EXPECT_EQ(packed_bytes(bad), 0u);
  EXPECT_EQ(pack(bad, buf.data, buf.storage.size() - 64), Error::InvalidArgument);
  bad = d;
  bad.k = 66;
  bad.group_size = 33;  // odd for int4
  EXPECT_EQ(pack(bad, buf.data, buf.storage.size() - 64), Error::InvalidArgument);
  bad = d;
  bad.n = 0;
  EXPECT_EQ(pack(bad, buf.data, buf.storage.size() - 64), Error::InvalidArgument);
  EXPECT_EQ(pack(d, buf.data, packed_bytes(d) - 1), Error::InvalidArgument);  // small
  EXPECT_EQ(pack(d, buf.data + 4, packed_bytes(d)), Error::InvalidArgument);  // misaligned
  bad = d;
  bad.scales = nullptr;
  EXPECT_EQ(pack(bad, buf.data, packed_bytes(d)), Error::InvalidArgument);
  bad = d;
  bad.scale_format = static_cast<ScaleFormat>(3);
  EXPECT_EQ(packed_bytes(bad), 0u);
  EXPECT_EQ(pack(bad, buf.data, packed_bytes(d)), Error::InvalidArgument);
  w.zps[5] = 9;  // int4 zero point out of range
  EXPECT_EQ(pack(w.desc(), buf.data, packed_bytes(d)), Error::InvalidArgument);
  w.zps[5] = 0;
  w.scales[3] = NAN;
  EXPECT_EQ(pack(w.desc(), buf.data, packed_bytes(d)), Error::InvalidArgument);
  w.scales[3] = 0.5f;
  std::vector<int8_t> unpacked(w.q);
  unpacked[10] = 8;  // not an int4 value
  bad = w.desc();
  bad.format = WeightFormat::int4_unpacked;
  bad.data = unpacked.data();
  EXPECT_EQ(pack(bad, buf.data, packed_bytes(d)), Error::InvalidArgument);

  ASSERT_EQ(pack(w.desc(), buf.data, packed_bytes(d)), Error::Ok);
  std::vector<float> x(2 * 64, 0.5f), y(2 * 8);
  std::vector<uint8_t> ws(workspace_bytes(2, buf.data, Activation::dynamic_int8));
  const auto dyn = Activation::dynamic_int8;
  EXPECT_EQ(linear(2, x.data(), 64, buf.data, nullptr, y.data(), 8, dyn, ws.data(), ws.size()),
            Error::Ok);
  EXPECT_EQ(linear(2, x.data(), 64, buf.data, nullptr, y.data(), 8, dyn, ws.data(), ws.size() - 1),
            Error::InvalidArgument);
  EXPECT_EQ(linear(2, x.data(), 63, buf.data, nullptr, y.data(), 8, dyn, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(linear(2, x.data(), 64, buf.data, nullptr, y.data(), 7, dyn, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(linear(-1, x.data(), 64, buf.data, nullptr, y.data(), 8, dyn, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(linear(2, nullptr, 64, buf.data, nullptr, y.data(), 8, dyn, ws.data(), ws.size()),
            Error::InvalidArgument);
  EXPECT_EQ(linear(2, x.data(), 64, x.data(), nullptr, y.data(), 8, dyn, ws.data(), ws.size()),
            Error::InvalidArgument);  // not a packed weight
  PackedInfo info;
  EXPECT_EQ(packed_info(x.data(), &info), Error::InvalidArgument);
  EXPECT_EQ(quantize_row(x.data(), 0, nullptr, nullptr, nullptr), Error::InvalidArgument);
}

// Run by ctest with EMBER_LOWBIT_ISA set (tests/runtime/lowbit/CMakeLists.txt).
TEST(Lowbit, EnvironmentOverride) {
  const char* env = std::getenv("EMBER_LOWBIT_ISA");
  if (env == nullptr) GTEST_SKIP() << "EMBER_LOWBIT_ISA is not set";
  EXPECT_STREQ(isa_name(active_isa()), env);
}

}  // namespace
