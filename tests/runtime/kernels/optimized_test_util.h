// The fixture the optimized-kernel tests share: registers the optimized
// kernels, and puts back what a test changes (the kernels' and the GEMM's
// instruction sets, the thread count), so tests do not leak settings into
// each other.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/cpu.h"
#include "runtime/kernels/optimized/gemm/gemm.h"
#include "runtime/kernels/optimized/optimized_kernels.h"
#include "tests/runtime/kernels/kernel_test_util.h"

namespace ember {
namespace test {

class OptimizedKernelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(register_optimized_kernels(), Error::Ok); }
  void TearDown() override {
    optimized::set_isa(kernels_isa_);
    gemm::set_isa(gemm_isa_);
    set_num_threads(1);
  }

  /// body(label) once per instruction set this CPU has and thread count of
  /// thread_counts(), the label naming both for failure messages.
  void each_config(const std::function<void(const std::string&)>& body) {
    for (optimized::Isa isa : {optimized::Isa::generic, optimized::Isa::avx2,
                               optimized::Isa::avx512, optimized::Isa::neon}) {
      if (!optimized::set_isa(isa)) continue;
      for (size_t threads : thread_counts()) {
        ASSERT_EQ(set_num_threads(threads), Error::Ok);
        body(std::string(optimized::isa_name(isa)) + ", " + std::to_string(threads) + " threads");
      }
    }
  }

 private:
  optimized::Isa kernels_isa_ = optimized::active_isa();
  gemm::Isa gemm_isa_ = gemm::active_isa();
};

}  // namespace test
}  // namespace ember
