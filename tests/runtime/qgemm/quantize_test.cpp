// qgemm::quantize_rows and quantize_tensor against PyTorch's
// quantized_decomposed ops (quantize_golden.h, from gen_quantize_golden.py):
// scales, zero points and every quantized value exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/qgemm/qgemm.h"
#include "tests/runtime/qgemm/quantize_golden.h"

namespace {

using ember::Error;
using namespace ember::qgemm;
namespace g = qgemm_golden;

TEST(QgemmQuantize, PerTokenMatchesPyTorch) {
  // int8 exactly as choose_qparams_per_token_asymmetric + quantize_per_token;
  // uint8 the same values shifted by 128. Rows padded (ldx, ldq > cols).
  const int64_t ld = g::kCols + 3;
  std::vector<float> x(g::kRows * ld, 1e30f);
  for (int i = 0; i < g::kRows; ++i) {
    for (int p = 0; p < g::kCols; ++p) x[i * ld + p] = g::kX[i * g::kCols + p];
  }
  for (ActType type : {ActType::s8, ActType::u8}) {
    const int32_t offset = type == ActType::u8 ? 128 : 0;
    std::vector<uint8_t> q(g::kRows * ld, 0xee);
    std::vector<float> scales(g::kRows);
    std::vector<int32_t> zps(g::kRows);
    ASSERT_EQ(quantize_rows(x.data(), g::kRows, g::kCols, ld, type, q.data(), ld, scales.data(),
                            zps.data()),
              Error::Ok);
    for (int i = 0; i < g::kRows; ++i) {
      EXPECT_EQ(scales[i], g::kRowScales[i]) << "row " << i;
      EXPECT_EQ(zps[i], g::kRowZeroPoints[i] + offset) << "row " << i;
      for (int p = 0; p < g::kCols; ++p) {
        const int32_t got = type == ActType::u8 ? (int32_t)q[i * ld + p] : (int32_t)(int8_t)q[i * ld + p];
        EXPECT_EQ(got, g::kRowQ[i * g::kCols + p] + offset) << "row " << i << " col " << p;
      }
      for (int p = g::kCols; p < ld; ++p) EXPECT_EQ(q[i * ld + p], 0xee) << "padding written";
    }
  }
}

void expect_per_tensor(const float* x, int rows, ActType type, float scale, int32_t zp,
                       const int32_t* want) {
  std::vector<uint8_t> q(rows * g::kCols);
  float got_scale = 0.0f;
  int32_t got_zp = 0;
  ASSERT_EQ(quantize_tensor(x, rows, g::kCols, g::kCols, type, 1.0f / 4096.0f, q.data(), g::kCols,
                            &got_scale, &got_zp),
            Error::Ok);
  EXPECT_EQ(got_scale, scale);
  EXPECT_EQ(got_zp, zp);
  for (int e = 0; e < rows * g::kCols; ++e) {
    const int32_t got = type == ActType::u8 ? (int32_t)q[e] : (int32_t)(int8_t)q[e];
    EXPECT_EQ(got, want[e]) << "element " << e;
  }
}

TEST(QgemmQuantize, PerTensorMatchesPyTorch) {
  expect_per_tensor(g::kX, g::kRows, ActType::s8, g::kInt8AllScale[0], g::kInt8AllZeroPoint[0],
                    g::kInt8AllQ);
  expect_per_tensor(g::kX, g::kRows, ActType::u8, g::kUint8AllScale[0], g::kUint8AllZeroPoint[0],
                    g::kUint8AllQ);
  expect_per_tensor(g::kX + 4 * g::kCols, 1, ActType::s8, g::kInt8TinyScale[0],
                    g::kInt8TinyZeroPoint[0], g::kInt8TinyQ);
  expect_per_tensor(g::kX + 2 * g::kCols, 1, ActType::u8, g::kUint8PosScale[0],
                    g::kUint8PosZeroPoint[0], g::kUint8PosQ);
}

/// quantize_tensor's steps in plain scalar code (the header's formula; a NaN
/// element gives qmin): what every ISA and thread count must give.
void reference_per_tensor(const std::vector<float>& x, int64_t rows, int64_t cols, int64_t ld,
                          ActType type, float eps, std::vector<uint8_t>& q, float* scale,
                          int32_t* zp) {
  const float qmin = type == ActType::u8 ? 0.0f : -128.0f;
  const float qmax = type == ActType::u8 ? 255.0f : 127.0f;
  float mn = x[0], mx = x[0];
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t p = 0; p < cols; ++p) {
      const float v = x[i * ld + p];
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
    }
  }
  const float min_neg = mn < 0.0f ? mn : 0.0f, max_pos = mx > 0.0f ? mx : 0.0f;
  float s = (max_pos - min_neg) / (qmax - qmin);
  s = s > eps ? s : eps;
  float z = qmin - std::nearbyint(min_neg / s);
  z = z < qmin ? qmin : (z > qmax ? qmax : z);
  const float inv = (float)(1.0 / (double)s);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t p = 0; p < cols; ++p) {
      float v = std::nearbyint(x[i * ld + p] * inv) + z;
      v = std::isnan(v) || v < qmin ? qmin : (v > qmax ? qmax : v);
      q[i * ld + p] = (uint8_t)(int32_t)v;
    }
  }
  *scale = s;
  *zp = (int32_t)z;
}

// The vector passes of every family and their split over threads (rows, or
// one row's columns) give the scalar bytes: odd widths and tails, padded
// rows, values that round half way, NaN elements, a NaN first element.
TEST(QgemmQuantize, PerTensorSameBitsForEveryIsaAndThreadCount) {
  struct Shape {
    int64_t rows, cols, ld;
  };
  const Isa saved = active_isa();
  std::vector<size_t> threads = {1};
  if (ember::set_num_threads(2) == Error::Ok) threads.push_back(2);
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.3f, 2.0f);
  int case_index = 0;
  for (Shape sh : {Shape{1, 1, 1}, Shape{3, 17, 17}, Shape{5, 33, 40}, Shape{128, 768, 768},
                   Shape{1, 1100003, 1100003}, Shape{1030, 1031, 1033}, Shape{2, 31, 31}}) {
    for (ActType type : {ActType::s8, ActType::u8}) {
      for (int nan : {0, 1, 2}) {  // none, some, the first
        SCOPED_TRACE(::testing::Message() << "case " << case_index++ << " " << sh.rows << "x"
                                          << sh.cols << " ld " << sh.ld << " nan " << nan);
        std::vector<float> x(sh.rows * sh.ld, 1e30f);  // padding must be ignored
        for (int64_t i = 0; i < sh.rows; ++i) {
          for (int64_t p = 0; p < sh.cols; ++p) {
            const float v = normal(gen);
            // Every 7th value on a half step of a 0.5 grid: rounding ties.
            x[i * sh.ld + p] = (i + p) % 7 == 0 ? std::round(v * 4.0f) / 4.0f + 0.125f : v;
          }
        }
        if (nan == 1) {
          for (size_t e = 3; e < x.size(); e += 97) {
            if (e % sh.ld < (size_t)sh.cols) x[e] = std::numeric_limits<float>::quiet_NaN();
          }
        }
        if (nan == 2) x[0] = std::numeric_limits<float>::quiet_NaN();
        std::vector<uint8_t> want(x.size(), 0xee);
        float want_scale = 0.0f;
        int32_t want_zp = 0;
        const float eps = 1.0f / 4096.0f;
        reference_per_tensor(x, sh.rows, sh.cols, sh.ld, type, eps, want, &want_scale, &want_zp);
        for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512vnni, Isa::neon, Isa::neon_dot}) {
          if (!isa_available(isa)) continue;
          ASSERT_EQ(set_isa(isa), Error::Ok);
          for (size_t n : threads) {
            SCOPED_TRACE(::testing::Message() << isa_name(isa) << ", " << n << " threads");
            ASSERT_EQ(ember::set_num_threads(n), Error::Ok);
            std::vector<uint8_t> q(x.size(), 0xee);
            float scale = 0.0f;
            int32_t zp = 0;
            ASSERT_EQ(quantize_tensor(x.data(), sh.rows, sh.cols, sh.ld, type, eps, q.data(),
                                      sh.ld, &scale, &zp),
                      Error::Ok);
            EXPECT_EQ(scale, want_scale);
            EXPECT_EQ(zp, want_zp);
            size_t wrong = 0, first = 0;
            for (size_t e = 0; e < q.size(); ++e) {
              if (q[e] != want[e] && wrong++ == 0) first = e;
            }
            EXPECT_EQ(wrong, 0u) << "first at " << first << ": " << (int)q[first] << " vs "
                                 << (int)want[first];
          }
        }
      }
    }
  }
  ASSERT_EQ(set_isa(saved), Error::Ok);
  ASSERT_EQ(ember::set_num_threads(1), Error::Ok);
}

TEST(QgemmQuantize, BadArgumentsAreRefused) {
  float x[4] = {1, 2, 3, 4}, scale = 0.0f;
  uint8_t q[4];
  int32_t zp = 0;
  const Error bad = Error::InvalidArgument;
  EXPECT_EQ(quantize_rows(x, 2, 2, 1, ActType::s8, q, 2, &scale, &zp), bad);  // ldx < cols
  EXPECT_EQ(quantize_rows(x, 2, 2, 2, ActType::s8, q, 1, &scale, &zp), bad);  // ldq < cols
  EXPECT_EQ(quantize_rows(nullptr, 2, 2, 2, ActType::s8, q, 2, &scale, &zp), bad);
  EXPECT_EQ(quantize_rows(x, 2, 2, 2, ActType::s8, nullptr, 2, &scale, &zp), bad);
  EXPECT_EQ(quantize_rows(x, -1, 2, 2, ActType::s8, q, 2, &scale, &zp), bad);
  EXPECT_EQ(quantize_tensor(x, 2, 2, 2, ActType::s8, 0.0f, q, 2, &scale, &zp), bad);  // eps
  EXPECT_EQ(quantize_tensor(x, 2, 2, 2, ActType::u8, 1e-3f, q, 2, nullptr, &zp), bad);
  EXPECT_EQ(quantize_tensor(x, 2, 2, 2, (ActType)7, 1e-3f, q, 2, &scale, &zp), bad);
  // An empty tensor: determine_qparams' defaults.
  EXPECT_EQ(quantize_tensor(nullptr, 0, 2, 2, ActType::u8, 1e-3f, nullptr, 2, &scale, &zp),
            Error::Ok);
  EXPECT_EQ(scale, 1.0f);
  EXPECT_EQ(zp, 0);
}

}  // namespace
