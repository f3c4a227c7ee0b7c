// ember_gemm_bench: GFLOP/s of Ember's GEMM (ember_gemm) on model-zoo shapes
// beside XNNPACK's fully-connected operator (Debian's libxnnpack, when built),
// at 1 and 2 threads, and the CPU's fp32 FMA peak per core measured here.
// A Google Benchmark binary; bench/gemm.py runs it (JSON) beside torch.mm.
//
//   build/py/bench/ember_gemm_bench --benchmark_filter=bert
//
// Names: <system>/<shape>/threads:<t>, system one of
//   ember         B row-major [k, n], packed inside each call (torch.mm's case)
//   ember_packed  B pre-packed once from a linear layer's [n, k] weight
//   xnnpack       xnn_create_fully_connected_nc_f32 on the same [n, k] weight
//   peak_fma      independent FMAs in registers (no memory): the core's peak
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/kernels/optimized/gemm/gemm.h"

#ifdef EMBER_GEMM_BENCH_XNNPACK
#include <xnnpack.h>
#endif

namespace {

namespace eg = ember::gemm;

struct Shape {
  const char* name;
  int64_t m, n, k;
};

// The zoo's GEMMs: BERT-base / ViT-B/16 linears, ResNet-50's 1x1 convolutions
// as GEMMs (m = pixels), GPT-2's decode step, and a large square.
const Shape kShapes[] = {
    {"bert_attn_out_128x768x768", 128, 768, 768},
    {"bert_ffn_up_128x3072x768", 128, 3072, 768},
    {"bert_ffn_down_128x768x3072", 128, 768, 3072},
    {"vit_qkv_197x2304x768", 197, 2304, 768},
    {"vit_ffn_up_197x3072x768", 197, 3072, 768},
    {"resnet50_1x1_3136x256x64", 3136, 256, 64},
    {"resnet50_1x1_3136x64x256", 3136, 64, 256},
    {"resnet50_1x1_784x512x128", 784, 512, 128},
    {"resnet50_1x1_196x1024x256", 196, 1024, 256},
    {"resnet50_1x1_196x256x1024", 196, 256, 1024},
    {"resnet50_1x1_49x2048x512", 49, 2048, 512},
    {"resnet50_3x3_196x256x2304", 196, 256, 2304},
    {"resnet50_3x3_49x512x4608", 49, 512, 4608},
    {"gpt2_decode_1x2304x768", 1, 2304, 768},
    {"mbv3_classifier_1x1000x1024", 1, 1000, 1024},
    {"mbv3_classifier_1x1024x576", 1, 1024, 576},
    {"square_1024x1024x1024", 1024, 1024, 1024},
};

/// The runtime's default per-call scratch: what an operator gets.
constexpr size_t kScratchBytes = size_t{1} << 20;

std::vector<float> random_floats(size_t count, uint32_t seed) {
  std::vector<float> v(count);
  for (float& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
  }
  return v;
}

void set_flops(benchmark::State& state, const Shape& s) {
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * s.m * s.n * s.k / 1e9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

void bench_ember(benchmark::State& state, Shape s, size_t threads, bool packed) {
  ember::set_num_threads(threads);
  std::vector<float> a = random_floats(s.m * s.k, 1), w = random_floats(s.n * s.k, 2);
  std::vector<float> b(s.k * s.n), c(s.m * s.n);
  for (int64_t p = 0; p < s.k; ++p) {
    for (int64_t j = 0; j < s.n; ++j) b[p * s.n + j] = w[j * s.k + p];
  }
  const size_t ws_bytes = std::min(kScratchBytes, eg::workspace_bytes(s.m, s.n, s.k, threads, packed));
  std::vector<uint8_t> ws(ws_bytes), pb;
  const eg::MatrixView av{a.data(), s.k, 1};
  if (packed) {
    pb.resize(eg::packed_b_bytes(s.k, s.n));
    eg::pack_b(eg::MatrixView{w.data(), 1, s.k}, s.k, s.n, pb.data(), pb.size());
  }
  for (auto _ : state) {
    ember::Error e = packed ? eg::gemm_packed(s.m, s.n, s.k, 1.0f, av, pb.data(), 0.0f, c.data(),
                                              s.n, eg::Epilogue{}, ws.data(), ws.size())
                            : eg::gemm(s.m, s.n, s.k, 1.0f, av, eg::MatrixView{b.data(), s.n, 1},
                                       0.0f, c.data(), s.n, eg::Epilogue{}, ws.data(), ws.size());
    if (e != ember::Error::Ok) state.SkipWithError("gemm failed");
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, s);
  state.SetLabel(eg::isa_name(eg::active_isa()));
}

#ifdef EMBER_GEMM_BENCH_XNNPACK
void bench_xnnpack(benchmark::State& state, Shape s, size_t threads) {
  ember::set_num_threads(threads);
  std::vector<float> a = random_floats(s.m * s.k, 1), w = random_floats(s.n * s.k, 2);
  std::vector<float> c(s.m * s.n);
  xnn_operator_t op = nullptr;
  if (xnn_initialize(nullptr) != xnn_status_success ||
      xnn_create_fully_connected_nc_f32(s.k, s.n, s.k, s.n, w.data(), nullptr, -INFINITY, INFINITY,
                                        0, &op) != xnn_status_success ||
      xnn_setup_fully_connected_nc_f32(op, s.m, a.data(), c.data(), ember::get_threadpool()) !=
          xnn_status_success) {
    state.SkipWithError("XNNPACK fully connected failed");
    return;
  }
  for (auto _ : state) {
    xnn_run_operator(op, ember::get_threadpool());
    benchmark::DoNotOptimize(c.data());
  }
  xnn_delete_operator(op);
  set_flops(state, s);
}
#endif

// Independent FMA chains, as many as the micro-kernels keep: the core's
// sustained fp32 FMA rate with no memory traffic.
__attribute__((target("avx512f"))) void bench_peak_avx512(benchmark::State& state) {
  constexpr int kChains = 24;
  const int64_t iters = 1 << 16;
  for (auto _ : state) {
    __m512 acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps((float)i);
    const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f);
    for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
      for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    }
    for (int i = 1; i < kChains; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    benchmark::DoNotOptimize(acc[0]);
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * 16 * kChains * iters / 1e9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

__attribute__((target("avx2,fma"))) void bench_peak_avx2(benchmark::State& state) {
  constexpr int kChains = 12;
  const int64_t iters = 1 << 16;
  for (auto _ : state) {
    __m256 acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps((float)i);
    const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-3f);
    for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    }
    for (int i = 1; i < kChains; ++i) acc[0] = _mm256_add_ps(acc[0], acc[i]);
    benchmark::DoNotOptimize(acc[0]);
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * 8 * kChains * iters / 1e9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  if (__builtin_cpu_supports("avx512f")) {
    benchmark::RegisterBenchmark("peak_fma/avx512", bench_peak_avx512)->UseRealTime();
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    benchmark::RegisterBenchmark("peak_fma/avx2", bench_peak_avx2)->UseRealTime();
  }
  for (const Shape& s : kShapes) {
    for (size_t threads : {1, 2}) {
      const std::string suffix = std::string("/") + s.name + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(("ember" + suffix).c_str(), bench_ember, s, threads, false)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("ember_packed" + suffix).c_str(), bench_ember, s, threads, true)
          ->UseRealTime();
#ifdef EMBER_GEMM_BENCH_XNNPACK
      benchmark::RegisterBenchmark(("xnnpack" + suffix).c_str(), bench_xnnpack, s, threads)
          ->UseRealTime();
#endif
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
