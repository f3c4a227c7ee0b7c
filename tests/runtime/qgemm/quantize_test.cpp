// qgemm::quantize_rows and quantize_tensor against PyTorch's
// quantized_decomposed ops (quantize_golden.h, from gen_quantize_golden.py):
// scales, zero points and every quantized value exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

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
