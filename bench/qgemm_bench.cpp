// ember_qgemm_bench: GOP/s (2 * m * n * k per call) of Ember's int8 GEMM
// (ember_qgemm) on quantized-model shapes at 1 and 2 threads, and the core's
// vpdpbusd peak measured here. A Google Benchmark binary; the family is the
// CPU's best unless EMBER_QGEMM_ISA names another (the label says which).
//
//   build/qgemm/bench/ember_qgemm_bench --benchmark_filter=bert
//   EMBER_QGEMM_ISA=avx2 build/qgemm/bench/ember_qgemm_bench
//
// Names: <mode>/<shape>/threads:<t>, mode one of
//   static   int8 activations per tensor, int8 output requantized (PT2E static)
//   dynamic  int8 activations per row (token), float32 output (dynamic linear)
//   peak_vnni  independent vpdpbusd chains in registers: the core's int8 peak
//   peak_avx2  independent vpmaddwd + vpaddd chains: the avx2 family's peak
//              (16 multiply-adds an instruction pair, no loads)
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/qgemm/qgemm.h"

namespace {

namespace eq = ember::qgemm;

struct Shape {
  const char* name;
  int64_t m, k, n;
};

// BERT-base's FFN linears, a decode-step GEMV, ResNet-50 3x3 convolutions as
// im2col GEMMs (m = pixels, k = 9 * in channels) and its first convolution.
const Shape kShapes[] = {
    {"bert_ffn_up_128x768x3072", 128, 768, 3072},
    {"bert_ffn_down_128x3072x768", 128, 3072, 768},
    {"gemv_1x2048x2048", 1, 2048, 2048},
    {"resnet_3x3_3136x576x64", 3136, 576, 64},
    {"resnet_3x3_784x1152x128", 784, 1152, 128},
    {"resnet_conv1_12544x27x32", 12544, 27, 32},
    {"mnv2_expand_12544x16x96", 12544, 16, 96},
    {"mnv2_expand_3136x24x144", 3136, 24, 144},
    {"mnv2_project_3136x144x24", 3136, 144, 24},
    {"mnv2_expand_784x32x192", 784, 32, 192},
    {"mnv2_project_12544x32x16", 12544, 32, 16},
};

template <typename T>
std::vector<T> random_bytes(size_t count, uint32_t seed) {
  std::vector<T> v(count);
  for (T& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = (T)(seed >> 24);
  }
  return v;
}

void bench_qgemm(benchmark::State& state, Shape s, size_t threads, bool dynamic) {
  ember::set_num_threads(threads);
  std::vector<int8_t> a = random_bytes<int8_t>(s.m * s.k, 1), w = random_bytes<int8_t>(s.n * s.k, 2);
  std::vector<float> w_scales(s.n, 0.01f), bias(s.n, 0.5f), row_scales(s.m, 0.02f);
  std::vector<int32_t> row_zps(s.m, 3);
  std::vector<uint8_t> packed(eq::packed_qb_bytes(s.k, s.n));
  std::vector<uint8_t> ws(eq::workspace_bytes(s.m, s.n, s.k, threads));
  std::vector<float> c(s.m * s.n);
  eq::pack_qb(w.data(), s.k, s.n, s.k, packed.data(), packed.size());
  eq::Activation act{a.data(), eq::ActType::s8, s.k};
  act.scale = 0.02f;
  act.zero_point = -5;
  eq::QEpilogue e;
  e.bias = bias.data();
  if (dynamic) {
    act.row_scales = row_scales.data();
    act.row_zero_points = row_zps.data();
  } else {
    e.out = eq::OutType::s8;
    e.out_scale = 0.5f;
    e.out_zero_point = -3;
  }
  const eq::Weight b{packed.data(), w_scales.data(), true};
  for (auto _ : state) {
    if (eq::qgemm(s.m, s.n, s.k, act, b, c.data(), s.n, e, ws.data(), ws.size()) != ember::Error::Ok) {
      state.SkipWithError("qgemm failed");
      break;
    }
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GOPS"] = benchmark::Counter(2.0 * s.m * s.n * s.k / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(eq::isa_name(eq::active_isa()));
}

// Independent vpdpbusd chains (16: enough to cover the latency, few enough
// that GCC keeps them in registers): the sustained int8 multiply-add rate
// of one core with no memory traffic.
__attribute__((target("avx512f,avx512vnni"))) void bench_peak_vnni(benchmark::State& state) {
  constexpr int kChains = 16;
  const int64_t iters = 1 << 16;
  for (auto _ : state) {
    __m512i acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_epi32(i);
    const __m512i x = _mm512_set1_epi32(0x01020304), y = _mm512_set1_epi32(0x05060708);
    for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 16
      for (int i = 0; i < kChains; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], x, y);
    }
    for (int i = 1; i < kChains; ++i) acc[0] = _mm512_add_epi32(acc[0], acc[i]);
    benchmark::DoNotOptimize(acc[0]);
  }
  state.counters["GOPS"] = benchmark::Counter(2.0 * 64 * kChains * iters / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// The avx2 family's arithmetic without its loads and broadcasts: 12
// accumulators each taking vpaddd of a vpmaddwd, as the 6 x 16 micro-kernel's
// inner step does. In assembly: GCC shares the products of a C loop (the
// same operands) or keeps the accumulators on the stack.
void bench_peak_avx2(benchmark::State& state) {
  const int64_t iters = 1 << 16;
  for (auto _ : state) {
    for (int64_t it = 0; it < iters; ++it) {
      asm volatile(
          ".rept 4\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm0, %%ymm0\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm15\n vpaddd %%ymm15, %%ymm1, %%ymm1\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm2, %%ymm2\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm15\n vpaddd %%ymm15, %%ymm3, %%ymm3\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm4, %%ymm4\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm15\n vpaddd %%ymm15, %%ymm5, %%ymm5\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm6, %%ymm6\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm15\n vpaddd %%ymm15, %%ymm7, %%ymm7\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm8, %%ymm8\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm15\n vpaddd %%ymm15, %%ymm9, %%ymm9\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm10, %%ymm10\n"
          "vpmaddwd %%ymm12, %%ymm13, %%ymm15\n vpaddd %%ymm15, %%ymm11, %%ymm11\n"
          ".endr" ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
          "xmm9", "xmm10", "xmm11", "xmm14", "xmm15");
    }
  }
  state.counters["GOPS"] = benchmark::Counter(2.0 * 16 * 48 * iters / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  if (__builtin_cpu_supports("avx512vnni")) {
    benchmark::RegisterBenchmark("peak_vnni", bench_peak_vnni)->UseRealTime();
  }
  if (__builtin_cpu_supports("avx2")) {
    benchmark::RegisterBenchmark("peak_avx2", bench_peak_avx2)->UseRealTime();
  }
  for (const Shape& s : kShapes) {
    for (size_t threads : {1, 2}) {
      const std::string suffix = std::string("/") + s.name + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(("static" + suffix).c_str(), bench_qgemm, s, threads, false)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("dynamic" + suffix).c_str(), bench_qgemm, s, threads, true)
          ->UseRealTime();
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
