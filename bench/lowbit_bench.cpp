// ember_lowbit_bench: Ember's low-bit linears (ember_lowbit) on the linear
// shapes of a 1B LLM (Llama 3.2 1B: hidden 2048, intermediate 8192, kv 512),
// prefill (m = 128) and decode (m = 1), at 1 and 2 threads. bench/lowbit_vs_et.py
// times ExecuTorch's XNNPACK 8da4w linear on the same shapes. Those weights
// stay in L2 / L3 between calls; the _x<c> decode cases cycle through c
// distinct weights of one shape (together over 64 MB, twice a 32 MB L3), so
// that each call reads its weight from DRAM, as an LLM's decode step does.
//
//   build/lowbit/bench/ember_lowbit_bench --benchmark_filter=8da4w
//
// Names: <mode>/m<m>_k<k>_n<n>[_x<c>]/threads:<t>, mode one of
//   8da4w   dynamic int8 activations x int4 weights, group 32 (ET's recipe)
//   8da8w   dynamic int8 activations x int8 per-channel weights
//   4w      float activations x int4 weights, group 32 (weight-only)
// Counters: GOPS (2 m n k per call) and weight GB/s (packed bytes per call).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/core/threadpool.h"
#include "runtime/core/half.h"
#include "runtime/kernels/optimized/lowbit/lowbit.h"

namespace {

namespace lb = ember::lowbit;

struct Shape {
  int64_t k, n;
};
const Shape kShapes[] = {{2048, 2048}, {2048, 512}, {2048, 8192}, {8192, 2048}};
/// Decode from DRAM: a 134M Llama's width (768) times a 32000 vocabulary, and
/// a 1B's 2048 x 2048, with enough copies to exceed 64 MB packed.
struct DramShape {
  Shape shape;
  int copies;
};
const DramShape kDramShapes[] = {{{768, 32000}, 5}, {{2048, 2048}, 32}};

struct Mode {
  const char* name;
  int bits;
  int64_t group;  ///< 0: per channel
  lb::Activation activation;
  lb::ScaleFormat scales = lb::ScaleFormat::f32;
};
const Mode kModes[] = {
    {"8da4w", 4, 32, lb::Activation::dynamic_int8},
    // ember.llm.export's default: torchao's float16 weight scales.
    {"8da4w_f16scales", 4, 32, lb::Activation::dynamic_int8, lb::ScaleFormat::f16},
    {"8da8w", 8, 0, lb::Activation::dynamic_int8},
    {"4w", 4, 32, lb::Activation::float32},
};

uint32_t next(uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return s >> 8;
}

/// Times linear() on `copies` distinct packed weights of one shape, one per
/// call in turn.
void run(benchmark::State& state, Mode mode, Shape shape, int64_t m, size_t threads, int copies) {
  if (ember::set_num_threads(threads) != ember::Error::Ok) {
    state.SkipWithError("cannot set the thread count");
    return;
  }
  const int64_t k = shape.k, n = shape.n, group = mode.group == 0 ? k : mode.group;
  uint32_t seed = 1;
  std::vector<uint8_t> w(mode.bits == 4 ? n * k / 2 : n * k);
  for (uint8_t& b : w) b = (uint8_t)next(seed);
  std::vector<float> scales(n * (k / group));
  for (float& s : scales) s = 0.001f + (float)(next(seed) % 1000) * 1e-5f;
  std::vector<uint16_t> half(scales.size());
  for (size_t i = 0; i < half.size(); ++i) half[i] = ember::Half(scales[i]).bits;
  const bool wide = mode.scales == lb::ScaleFormat::f32;
  const lb::WeightDesc desc{n,
                            k,
                            group,
                            mode.bits == 4 ? lb::WeightFormat::int4_nibbles : lb::WeightFormat::int8,
                            w.data(),
                            wide ? static_cast<const void*>(scales.data()) : half.data(),
                            nullptr,
                            mode.scales};
  const size_t bytes = lb::packed_bytes(desc);
  const size_t stride = (bytes + 63) / 64 * 64;
  std::vector<uint8_t> packed_storage(stride * copies + 64);
  uint8_t* packed = packed_storage.data() + (64 - (uintptr_t)packed_storage.data() % 64) % 64;
  for (int c = 0; c < copies; ++c) {
    if (c > 0) {  // another weight: new bytes, the same scales
      for (uint8_t& b : w) b = (uint8_t)next(seed);
    }
    if (lb::pack(desc, packed + c * stride, bytes) != ember::Error::Ok) {
      state.SkipWithError("pack failed");
      return;
    }
  }
  std::vector<float> x(m * k), y(m * n);
  for (float& v : x) v = (float)(next(seed) % 2001) * 1e-3f - 1.0f;
  std::vector<uint8_t> ws(lb::workspace_bytes(m, packed, mode.activation) + 1);
  int c = 0;
  for (auto _ : state) {
    lb::linear(m, x.data(), k, packed + c * stride, nullptr, y.data(), n, mode.activation,
               ws.data(), ws.size());
    c = c + 1 == copies ? 0 : c + 1;
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double calls = (double)state.iterations();
  state.counters["GOPS"] =
      benchmark::Counter(2.0 * m * n * k * calls / 1e9, benchmark::Counter::kIsRate);
  state.counters["weight_GBps"] =
      benchmark::Counter((double)bytes * calls / 1e9, benchmark::Counter::kIsRate);
}

void register_all() {
  for (const Mode& mode : kModes) {
    for (const Shape& s : kShapes) {
      for (int64_t m : {int64_t{1}, int64_t{128}}) {
        for (size_t t : {size_t{1}, size_t{2}}) {
          const std::string name = std::string(mode.name) + "/m" + std::to_string(m) + "_k" +
                                   std::to_string(s.k) + "_n" + std::to_string(s.n) +
                                   "/threads:" + std::to_string(t);
          benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
            run(st, mode, s, m, t, 1);
          })->Unit(benchmark::kMicrosecond)->UseRealTime();
        }
      }
    }
    for (const DramShape& d : kDramShapes) {
      for (size_t t : {size_t{1}, size_t{2}}) {
        const std::string name = std::string(mode.name) + "/m1_k" + std::to_string(d.shape.k) +
                                 "_n" + std::to_string(d.shape.n) + "_x" +
                                 std::to_string(d.copies) + "/threads:" + std::to_string(t);
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
          run(st, mode, d.shape, 1, t, d.copies);
        })->Unit(benchmark::kMicrosecond)->UseRealTime();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("lowbit kernels: %s\n", lb::isa_name(lb::active_isa()));
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
