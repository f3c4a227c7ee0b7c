// ember_conv_nhwc_bench: GFLOP/s of the optimized float32 convolutions on
// ResNet-50's and MobileNetV2's shapes, channels-last
// (ember::convolution_nhwc.out) beside channels-first (aten::convolution.out),
// both through the registry with their weights prepared as at load (the
// kernels' KernelPrepareFn) and 8 MiB of temp memory (Module's default),
// batch 1. GFLOP/s = 2 x multiply-adds / time. A Google Benchmark binary:
//
//   build/<dir>/bench/ember_conv_nhwc_bench --benchmark_filter=resnet
//
// Names: <layout>/<shape>/threads:<t>, layout nhwc or nchw.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/evalue.h"
#include "runtime/core/tensor.h"
#include "runtime/core/threadpool.h"
#include "runtime/kernel/kernel.h"

namespace {

using namespace ember;

struct Shape {
  const char* name;
  int32_t h, w, c, oc, k, stride, pad, groups;
};

const Shape kShapes[] = {
    {"resnet50_stem_224x224x3_7x7s2_64", 224, 224, 3, 64, 7, 2, 3, 1},
    {"resnet50_56x56x64_3x3_64", 56, 56, 64, 64, 3, 1, 1, 1},
    {"resnet50_56x56x64_1x1_256", 56, 56, 64, 256, 1, 1, 0, 1},
    {"resnet50_56x56x256_1x1_64", 56, 56, 256, 64, 1, 1, 0, 1},
    {"resnet50_56x56x128_3x3s2_128", 56, 56, 128, 128, 3, 2, 1, 1},
    {"resnet50_56x56x256_1x1s2_512", 56, 56, 256, 512, 1, 2, 0, 1},
    {"resnet50_28x28x128_3x3_128", 28, 28, 128, 128, 3, 1, 1, 1},
    {"resnet50_28x28x256_3x3s2_256", 28, 28, 256, 256, 3, 2, 1, 1},
    {"resnet50_14x14x256_3x3_256", 14, 14, 256, 256, 3, 1, 1, 1},
    {"resnet50_14x14x1024_1x1_256", 14, 14, 1024, 256, 1, 1, 0, 1},
    {"resnet50_14x14x512_3x3s2_512", 14, 14, 512, 512, 3, 2, 1, 1},
    {"resnet50_7x7x512_3x3_512", 7, 7, 512, 512, 3, 1, 1, 1},
    {"resnet50_7x7x512_1x1_2048", 7, 7, 512, 2048, 1, 1, 0, 1},
    {"mbv2_dw_112x112x96_3x3s2", 112, 112, 96, 96, 3, 2, 1, 96},
    {"mbv2_dw_56x56x144_3x3", 56, 56, 144, 144, 3, 1, 1, 144},
    {"mbv2_dw_28x28x192_3x3", 28, 28, 192, 192, 3, 1, 1, 192},
    {"mbv2_dw_14x14x384_3x3", 14, 14, 384, 384, 3, 1, 1, 384},
    {"mbv2_dw_14x14x576_3x3", 14, 14, 576, 576, 3, 1, 1, 576},
    {"mbv2_dw_7x7x960_3x3", 7, 7, 960, 960, 3, 1, 1, 960},
};

constexpr size_t kTempBytes = size_t{8} << 20;

/// A contiguous float32 tensor that owns its storage (not movable).
struct OwnedTensor {
  std::vector<int32_t> sizes, strides;
  std::vector<uint8_t> order;
  std::vector<float> data;
  Tensor t;
  EValue ev;
  explicit OwnedTensor(std::vector<int32_t> s, uint32_t seed) : sizes(std::move(s)) {
    strides.assign(sizes.size(), 1);
    for (size_t i = 0; i < sizes.size(); ++i) order.push_back(static_cast<uint8_t>(i));
    size_t n = 1;
    for (int32_t d : sizes) n *= static_cast<size_t>(d);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    data.resize(n);
    for (float& x : data) x = dist(gen);
    t = Tensor(ScalarType::Float, static_cast<int32_t>(sizes.size()), sizes.data(), order.data(),
               strides.data(), data.data());
    ev.tag = Tag::Tensor;
    ev.payload.as_tensor = &t;
  }
  OwnedTensor(const OwnedTensor&) = delete;
};

/// Scalar and list arguments with stable addresses.
struct Args {
  std::vector<std::unique_ptr<EValue>> values;
  std::vector<std::unique_ptr<std::vector<EValue*>>> lists;
  std::vector<std::unique_ptr<std::vector<int64_t>>> unboxed;
  EValue* make(Tag tag) {
    values.push_back(std::make_unique<EValue>());
    values.back()->tag = tag;
    return values.back().get();
  }
  EValue* integer(int64_t v) {
    EValue* e = make(Tag::Int);
    e->payload.as_int = v;
    return e;
  }
  EValue* boolean(bool v) {
    EValue* e = make(Tag::Bool);
    e->payload.as_bool = v;
    return e;
  }
  EValue* none() { return make(Tag::Null); }
  EValue* ints(std::vector<int64_t> items) {
    lists.push_back(std::make_unique<std::vector<EValue*>>());
    for (int64_t v : items) lists.back()->push_back(integer(v));
    unboxed.push_back(std::make_unique<std::vector<int64_t>>(items.size() + 1));
    EValue* e = make(Tag::IntList);
    e->payload.as_int_list.items = lists.back()->data();
    e->payload.as_int_list.unboxed = unboxed.back()->data();
    e->payload.as_int_list.size = items.size();
    return e;
  }
};

/// The registry entry a float32 call of `name` resolves to.
const Kernel* find_entry(const char* name) {
  const ScalarType f[4] = {ScalarType::Float, ScalarType::Float, ScalarType::Float,
                           ScalarType::Float};
  return find_kernel_entry(name, Span<const ScalarType>(f, 4));
}

void run_conv(benchmark::State& state, const Shape& s, bool nhwc) {
  if (register_optimized_kernels() != Error::Ok) {
    state.SkipWithError("register_optimized_kernels failed");
    return;
  }
  set_num_threads(static_cast<size_t>(state.range(0)));
  const int32_t oh = (s.h + 2 * s.pad - s.k) / s.stride + 1;
  const int32_t ow = (s.w + 2 * s.pad - s.k) / s.stride + 1;
  OwnedTensor x(nhwc ? std::vector<int32_t>{1, s.h, s.w, s.c}
                     : std::vector<int32_t>{1, s.c, s.h, s.w}, 1);
  OwnedTensor w({s.oc, s.c / s.groups, s.k, s.k}, 2);
  OwnedTensor b({s.oc}, 3);
  OwnedTensor out(nhwc ? std::vector<int32_t>{1, oh, ow, s.oc}
                       : std::vector<int32_t>{1, s.oc, oh, ow}, 4);
  Args a;
  std::vector<EValue*> args;
  if (nhwc) {
    args = {&x.ev, &w.ev, &b.ev, a.ints({s.stride, s.stride}), a.ints({s.pad, s.pad}),
            a.ints({1, 1}), a.integer(s.groups), a.none(), a.none(), &out.ev, &out.ev};
  } else {
    args = {&x.ev, &w.ev, &b.ev, a.ints({s.stride, s.stride}), a.ints({s.pad, s.pad}),
            a.ints({1, 1}), a.boolean(false), a.ints({0, 0}), a.integer(s.groups), &out.ev,
            &out.ev};
  }
  const Kernel* k = find_entry(nhwc ? "ember::convolution_nhwc.out" : "aten::convolution.out");
  if (k == nullptr) {
    state.SkipWithError("kernel not registered");
    return;
  }
  bool constant[11] = {false, true};
  bool packed[11] = {};
  void* prepared = k->prepare != nullptr
                       ? k->prepare(Span<EValue* const>(args.data(), args.size()),
                                    Span<const bool>(constant, 11), Span<bool>(packed, 11))
                       : nullptr;
  std::vector<uint8_t> temp(kTempBytes);
  for (auto _ : state) {
    KernelContext ctx(temp.data(), temp.size());
    ctx.set_state(prepared);
    k->fn(ctx, Span<EValue*>(args.data(), args.size()));
    if (ctx.error() != Error::Ok) {
      state.SkipWithError("kernel failed");
      break;
    }
    benchmark::DoNotOptimize(out.data.data());
  }
  if (prepared != nullptr && k->release != nullptr) k->release(prepared);
  const double macs = static_cast<double>(oh) * ow * s.oc * (s.c / s.groups) * s.k * s.k;
  const double gflop = 2.0 * macs * static_cast<double>(state.iterations()) / 1e9;
  state.counters["GFLOPS"] = benchmark::Counter(gflop, benchmark::Counter::kIsRate);
  state.counters["prepared"] = prepared != nullptr ? 1 : 0;
  set_num_threads(1);
}

const int kRegistered = [] {
  for (const Shape& s : kShapes) {
    for (bool nhwc : {true, false}) {
      const std::string name = std::string(nhwc ? "nhwc/" : "nchw/") + s.name;
      benchmark::RegisterBenchmark(name.c_str(), [s, nhwc](benchmark::State& st) {
        run_conv(st, s, nhwc);
      })->Arg(1)->ArgName("threads")->Unit(benchmark::kMicrosecond)->MinTime(0.2);
    }
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
