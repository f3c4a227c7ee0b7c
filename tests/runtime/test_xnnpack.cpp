// XnnpackBackend: an ExecuTorch-written XNNPACK file runs and matches
// ExecuTorch's own outputs (also with the blob and named data freed after
// init, and on two threads); hand-built blobs check the static operand
// XNNPACK reads at run time, execute-time argument checks, and that every
// malformed or unsupported blob is refused at init with an error naming
// what is wrong (never a crash: run this under scripts/sanitize.sh too).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/backend/backend.h"
#include "runtime/kernels/common/transpose.h"
#include "runtime/backends/xnnpack/xnnpack_backend.h"
#include "runtime/backends/xnnpack/xnnpack_graph_generated.h"
#include "runtime/core/event_tracer.h"
#include "runtime/core/threadpool.h"
#include "runtime/executor/method.h"
#include "runtime/executor/program.h"
#include "runtime/platform/platform.h"
#include "runtime/tools/npy.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

namespace fb = ::ember::xnnpack::fb;
constexpr uint32_t kNone = 0xFFFFFFFFu;

npy::Array read_npy(const std::string& name) {
  npy::Array a;
  std::string error;
  EXPECT_TRUE(npy::parse(read_test_file(name), &a, &error)) << name << ": " << error;
  return a;
}

/// Where the delegates' intermediate values live: in memory of their own
/// (the temp memory is too small at load), or in the method's temp memory,
/// sized after load to what they asked for and scribbled over between runs.
enum class Temp { TooSmall, SizedAfterLoad };

/// Load et_xnnpack_cnn.pte through `loader`, run it on its input and compare
/// with ExecuTorch 1.4.1's outputs for the same file (profiled by `tracer`).
void run_et_file(DataLoader* loader, EventTracer* tracer = nullptr,
                 Temp temp = Temp::TooSmall) {
  ASSERT_EQ(register_xnnpack_backend(), Error::Ok);
  Result<Program> program = Program::load(loader);
  ASSERT_TRUE(program.ok());
  Result<MethodMeta> meta = program->method_meta("forward");
  ASSERT_TRUE(meta.ok());
  MethodMemory mem(*meta);
  mem.manager.temp_sized_after_load = temp == Temp::SizedAfterLoad;
  Result<Method> method = program->load_method("forward", &mem.manager);
  ASSERT_TRUE(method.ok()) << error_name(method.error());
  if (temp == Temp::SizedAfterLoad) {
    // Two stages' intermediates and the three transposes' buffers.
    ASSERT_GT(method->temp_bytes_requested(), mem.temp_bytes.size());
    mem.temp_bytes.assign(method->temp_bytes_requested(), 0);
    mem.temp_allocator = MemoryAllocator(mem.temp_bytes.data(), mem.temp_bytes.size());
  } else {
    EXPECT_EQ(method->temp_bytes_requested(), 0u);
  }
  method->set_event_tracer(tracer);
  const npy::Array x = read_npy("et_xnnpack_cnn_input.npy");
  ASSERT_EQ(method->set_input(0, x.data.data(), x.data.size()), Error::Ok);
  for (int run = 0; run < 2; ++run) {
    ASSERT_EQ(method->execute(), Error::Ok);
    for (size_t i = 0; i < 2; ++i) {
      const npy::Array want = read_npy("et_xnnpack_cnn_output" + std::to_string(i) + "_et141.npy");
      const Tensor& got = method->get_output(i)->to_tensor();
      ASSERT_EQ(got.nbytes(), want.data.size());
      const float* g = got.data_as<const float>();
      const float* w = reinterpret_cast<const float*>(want.data.data());
      for (size_t k = 0; k < want.data.size() / 4; ++k) {
        ASSERT_NEAR(g[k], w[k], 1e-5f + 1e-4f * std::fabs(w[k]))
            << "output " << i << "[" << k << "]";
      }
    }
    // NaN everywhere: a value read before this call wrote it would show.
    std::fill(mem.temp_bytes.begin(), mem.temp_bytes.end(), uint8_t{0xFF});
  }
}

TEST(Xnnpack, ExecuTorchFileMatchesExecuTorch) {
  std::vector<uint8_t> bytes = read_test_file("et_xnnpack_cnn.pte");
  BufferDataLoader loader(bytes.data(), bytes.size());
  run_et_file(&loader);
}

// The same with the intermediate values in the method's temp memory.
TEST(Xnnpack, IntermediatesInTempMemory) {
  std::vector<uint8_t> bytes = read_test_file("et_xnnpack_cnn.pte");
  BufferDataLoader loader(bytes.data(), bytes.size());
  run_et_file(&loader, nullptr, Temp::SizedAfterLoad);
}

// Temp memory shrunk below what was granted at load: a clean error.
TEST(Xnnpack, TempMemoryTakenAwayIsAnError) {
  ASSERT_EQ(register_xnnpack_backend(), Error::Ok);
  std::vector<uint8_t> bytes = read_test_file("et_xnnpack_cnn.pte");
  BufferDataLoader loader(bytes.data(), bytes.size());
  Result<Program> program = Program::load(&loader);
  ASSERT_TRUE(program.ok());
  MethodMemory mem(*program->method_meta("forward"));
  mem.manager.temp_sized_after_load = true;
  Result<Method> method = program->load_method("forward", &mem.manager);
  ASSERT_TRUE(method.ok());
  const npy::Array x = read_npy("et_xnnpack_cnn_input.npy");
  ASSERT_EQ(method->set_input(0, x.data.data(), x.data.size()), Error::Ok);
  LogCapture log;
  EXPECT_EQ(method->execute(), Error::MemoryAllocationFailed);
  EXPECT_TRUE(log.contains("temp memory cannot give")) << log.text();
}

/// EMBER_XNNPACK_CONVOLUTIONS=`who` while alive (delegate_plan.h).
class ConvolutionsOn {
 public:
  explicit ConvolutionsOn(const char* who) { setenv("EMBER_XNNPACK_CONVOLUTIONS", who, 1); }
  ~ConvolutionsOn() { unsetenv("EMBER_XNNPACK_CONVOLUTIONS"); }
};

/// The interop model's 10 weights: its 4 convolutions' filters and biases, its linear's.
constexpr size_t kWeightBytes = 864 + 32 + 288 + 32 + 256 + 32 + 128 + 16 + 320 + 40;

/// Runs `file` (the interop model) through a loader that poisons what it is
/// given back, with XNNPACK's and with Ember's convolutions: the outputs stay
/// ExecuTorch's, so nothing reads a released byte. Each of the model's 10
/// weights goes back as soon as it is packed (its stage's runtime created,
/// or Ember's step packed; Ember's step packs its filter, not its bias,
/// which is copied), then init's end gives back `end` spans of `end_bytes`.
void expect_weights_released_when_packed(const char* file, size_t end, size_t end_bytes) {
  for (const char* who : {"xnnpack", "ember"}) {
    ConvolutionsOn convolutions(who);
    PoisoningLoader loader(read_test_file(file));
    run_et_file(&loader);
    size_t early = 10, early_bytes = kWeightBytes;
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
    if (std::string(who) == "ember") {
      early = 9;  // the bias of the convolution Ember runs
      early_bytes = kWeightBytes - 32;
    }
#endif
    EXPECT_EQ(loader.releases, end + early) << file << ", " << who;
    EXPECT_EQ(loader.released_bytes, end_bytes + early_bytes) << file << ", " << who;
  }
}

// ExecuTorch's file: its weights are named data, given back again with the
// blob (a segment) when init ends.
TEST(Xnnpack, BlobAndNamedDataFreedAfterInit) {
  expect_weights_released_when_packed("et_xnnpack_cnn.pte", 11, 3856 + kWeightBytes);
}

// Ember's own file of the same model keeps its constants inside the
// delegate's blob (a segment), given back whole when init ends.
TEST(Xnnpack, WeightsInTheBlobFreedWhenPacked) {
  expect_weights_released_when_packed("ember_xnnpack_cnn.pte", 1, 4888);
}

// Profiled, each step is an event inside the delegate call: its three
// XNNPACK stages and the three transposes Ember runs between them, per run;
// with Ember's own kernel for the float convolutions (built with the
// optimized kernels), the one of its four convolutions whose GEMM is at
// least 32 deep is a step of its own too, cutting a stage in two, and the
// outputs are still ExecuTorch's.
TEST(Xnnpack, StepsAreProfiled) {
  for (const char* who : {"xnnpack", "ember"}) {
    ConvolutionsOn convolutions(who);
    std::vector<uint8_t> bytes = read_test_file("et_xnnpack_cnn.pte");
    BufferDataLoader loader(bytes.data(), bytes.size());
    static TraceEvent buffer[64];
    ProfilingTracer tracer(buffer, 64);
    run_et_file(&loader, &tracer);
    size_t stages = 0, transposes = 0, convs = 0;
    for (const TraceEvent& e : tracer.events()) {
      if (e.kind != EventKind::DelegateInternal) continue;
      stages += std::string(e.name) == "XnnpackBackend::stage";
      transposes += std::string(e.name) == "XnnpackBackend::transpose";
      convs += std::string(e.name) == "XnnpackBackend::convolution";
      EXPECT_LE(e.start_ns, e.end_ns);
    }
    const bool ember = std::string(who) == "ember";
    EXPECT_EQ(transposes, 2u * 3) << who;  // two runs
#ifdef EMBER_HAVE_OPTIMIZED_KERNELS
    EXPECT_EQ(stages, ember ? 2u * 4 : 2u * 3) << who;
    EXPECT_EQ(convs, ember ? 2u * 1 : 0u) << who;
#else
    EXPECT_EQ(stages, 2u * 3) << who;
    EXPECT_EQ(convs, 0u) << who;
#endif
  }
}

// Ember's convolutions take their temp memory from the method's, after the
// intermediates, on two threads as on one.
TEST(Xnnpack, EmberConvolutionsInTempMemory) {
  ConvolutionsOn convolutions("ember");
  for (size_t threads : {1, 2}) {
    ASSERT_EQ(set_num_threads(threads), Error::Ok);
    std::vector<uint8_t> bytes = read_test_file("et_xnnpack_cnn.pte");
    BufferDataLoader loader(bytes.data(), bytes.size());
    run_et_file(&loader, nullptr, Temp::SizedAfterLoad);
    run_et_file(&loader);
  }
  ASSERT_EQ(set_num_threads(1), Error::Ok);
}

TEST(Xnnpack, RunsOnTwoThreads) {
  ASSERT_EQ(set_num_threads(2), Error::Ok);
  std::vector<uint8_t> bytes = read_test_file("et_xnnpack_cnn.pte");
  BufferDataLoader loader(bytes.data(), bytes.size());
  run_et_file(&loader);
  ASSERT_EQ(set_num_threads(1), Error::Ok);
}

// Transposes Ember runs: every permutation of ranks 1-4 and some of rank 6,
// in 1-, 2- and 4-byte elements, against the definition.
TEST(Xnnpack, TransposeMatchesDefinition) {
  std::mt19937 rng(7);
  for (uint32_t rank = 1; rank <= 6; ++rank) {
    for (size_t elem : {1, 2, 4}) {
      for (int trial = 0; trial < (rank <= 4 ? 24 : 6); ++trial) {
        size_t dims[6];
        uint32_t perm[6];
        size_t numel = 1;
        for (uint32_t d = 0; d < rank; ++d) {
          dims[d] = 1 + rng() % (rank <= 3 ? 40 : 5);
          numel *= dims[d];
          perm[d] = d;
        }
        std::shuffle(perm, perm + rank, rng);
        std::vector<uint8_t> src(numel * elem), dst(numel * elem, 0), want(numel * elem);
        for (auto& b : src) b = static_cast<uint8_t>(rng());
        // want[out index] = src[in index], out dim k = in dim perm[k].
        size_t out_dims[6], in_strides[6], s = 1;
        for (uint32_t d = rank; d > 0; --d) { in_strides[d - 1] = s; s *= dims[d - 1]; }
        for (uint32_t k = 0; k < rank; ++k) out_dims[k] = dims[perm[k]];
        for (size_t o = 0; o < numel; ++o) {
          size_t rem = o, in = 0;
          for (uint32_t k = rank; k > 0; --k) {
            in += rem % out_dims[k - 1] * in_strides[perm[k - 1]];
            rem /= out_dims[k - 1];
          }
          std::memcpy(&want[o * elem], &src[in * elem], elem);
        }
        run_transpose(plan_transpose(dims, rank, perm, elem), src.data(),
                               dst.data());
        ASSERT_EQ(dst, want) << "rank " << rank << " element size " << elem;
      }
    }
  }
  const size_t nchw[4] = {1, 8, 1, 1};
  const uint32_t to_nhwc[4] = {0, 2, 3, 1};
  EXPECT_TRUE(is_reshape(plan_transpose(nchw, 4, to_nhwc, 4)));
}

/// Hand-built XNNPACK blobs (header, flatbuffer, constant data).
struct BlobBuilder {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Value>> values;
  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  std::vector<flatbuffers::Offset<fb::ConstantData>> constants;
  std::vector<uint8_t> constant_bytes;
  uint32_t num_externals = 2;

  BlobBuilder() { constants.push_back(fb::CreateConstantData(fbb, 0, 0)); }

  uint32_t value(std::vector<uint32_t> dims, uint32_t flags = 0, uint32_t external = kNone,
                 uint32_t constant = 0, fb::DataType type = fb::DataType::fp32, int id = -1) {
    const uint32_t vid = id >= 0 ? static_cast<uint32_t>(id) : static_cast<uint32_t>(values.size());
    auto t = fb::CreateTensorValue(fbb, type, static_cast<uint32_t>(dims.size()),
                                   fbb.CreateVector(dims), constant, external, flags, vid);
    values.push_back(fb::CreateValue(fbb, fb::ValueKind::TensorValue, t.Union()));
    return vid;
  }
  /// A quantized value: per tensor, or per channel (dim 0) when `scales` is given.
  uint32_t quantized(std::vector<uint32_t> dims, fb::DataType type, uint32_t flags,
                     uint32_t external, uint32_t constant, std::vector<float> scales = {}) {
    const uint32_t vid = static_cast<uint32_t>(values.size());
    auto t = fb::CreateTensorValue(fbb, type, static_cast<uint32_t>(dims.size()),
                                   fbb.CreateVector(dims), constant, external, flags, vid);
    flatbuffers::Offset<void> params;
    fb::QuantParams kind = fb::QuantParams::PerTensor;
    if (scales.empty()) {
      params = fb::CreatePerTensor(fbb, 0.5f, 0).Union();
    } else {
      kind = fb::QuantParams::PerChannel;
      params = fb::CreatePerChannel(fbb, fbb.CreateVector(scales), 0).Union();
    }
    auto q = fb::CreateQuantizedTensorValue(fbb, t, kind, params);
    values.push_back(fb::CreateValue(fbb, fb::ValueKind::QuantizedTensorValue, q.Union()));
    return vid;
  }
  /// A per-tensor quantized value with its scale and zero point.
  uint32_t qtensor(std::vector<uint32_t> dims, fb::DataType type, float scale, int32_t zero_point,
                   uint32_t flags = 0, uint32_t external = kNone, uint32_t constant = 0) {
    const uint32_t vid = static_cast<uint32_t>(values.size());
    auto t = fb::CreateTensorValue(fbb, type, static_cast<uint32_t>(dims.size()),
                                   fbb.CreateVector(dims), constant, external, flags, vid);
    auto q = fb::CreateQuantizedTensorValue(fbb, t, fb::QuantParams::PerTensor,
                                            fb::CreatePerTensor(fbb, scale, zero_point).Union());
    values.push_back(fb::CreateValue(fbb, fb::ValueKind::QuantizedTensorValue, q.Union()));
    return vid;
  }
  /// A per-channel quantized constant with its scales on `dim`.
  uint32_t qchannel(std::vector<uint32_t> dims, fb::DataType type, std::vector<float> scales,
                    int32_t dim, uint32_t constant) {
    const uint32_t vid = static_cast<uint32_t>(values.size());
    auto t = fb::CreateTensorValue(fbb, type, static_cast<uint32_t>(dims.size()),
                                   fbb.CreateVector(dims), constant, kNone, 0, vid);
    auto q = fb::CreateQuantizedTensorValue(
        fbb, t, fb::QuantParams::PerChannel,
        fb::CreatePerChannel(fbb, fbb.CreateVector(scales), dim).Union());
    values.push_back(fb::CreateValue(fbb, fb::ValueKind::QuantizedTensorValue, q.Union()));
    return vid;
  }
  /// Constant bytes of any type.
  uint32_t raw_constant(const void* data, size_t size) {
    while (constant_bytes.size() % 16 != 0) constant_bytes.push_back(0);
    const uint64_t offset = constant_bytes.size();
    const uint8_t* p = static_cast<const uint8_t*>(data);
    constant_bytes.insert(constant_bytes.end(), p, p + size);
    constants.push_back(fb::CreateConstantData(fbb, offset, size));
    return static_cast<uint32_t>(constants.size() - 1);
  }
  uint32_t constant(const std::vector<float>& data) {
    while (constant_bytes.size() % 16 != 0) constant_bytes.push_back(0);
    const uint64_t offset = constant_bytes.size();
    const uint8_t* p = reinterpret_cast<const uint8_t*>(data.data());
    constant_bytes.insert(constant_bytes.end(), p, p + data.size() * 4);
    constants.push_back(fb::CreateConstantData(fbb, offset, data.size() * 4));
    return static_cast<uint32_t>(constants.size() - 1);
  }
  void node(fb::NodeKind kind, flatbuffers::Offset<void> table) {
    nodes.push_back(fb::CreateNode(fbb, kind, table));
  }
  void unary(fb::NodeKind kind, uint32_t in, uint32_t out) {
    node(kind, fb::CreateUnary(fbb, in, out, 0).Union());
  }
  void binary(fb::NodeKind kind, uint32_t a, uint32_t b, uint32_t out) {
    node(kind, fb::CreateBinary(fbb, a, b, out, 0).Union());
  }
  /// [header padded to 32][flatbuffer padded to 16][constant data], or the
  /// bare flatbuffer (no constant data then).
  std::vector<uint8_t> finish(bool header = true) {
    auto graph = fb::CreateGraph(fbb, fbb.CreateString("0"), fbb.CreateVector(nodes),
                                 fbb.CreateVector(values), num_externals, 0, 0, 0, 0,
                                 fbb.CreateVector(constants));
    fbb.Finish(graph, "XN00");
    std::vector<uint8_t> fbytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
    if (!header) return fbytes;
    while (fbytes.size() % 16 != 0) fbytes.push_back(0);
    std::vector<uint8_t> blob(32, 0);
    const uint32_t fb_offset = 32, fb_size = fbb.GetSize();
    const uint32_t c_offset = static_cast<uint32_t>(32 + fbytes.size());
    const uint64_t c_size = constant_bytes.size();
    std::memcpy(&blob[4], "XH00", 4);
    blob[8] = 30;
    std::memcpy(&blob[10], &fb_offset, 4);
    std::memcpy(&blob[14], &fb_size, 4);
    std::memcpy(&blob[18], &c_offset, 4);
    std::memcpy(&blob[22], &c_size, 8);
    blob.insert(blob.end(), fbytes.begin(), fbytes.end());
    blob.insert(blob.end(), constant_bytes.begin(), constant_bytes.end());
    return blob;
  }
};

/// y = |x| for x [2, 4]: the smallest valid graph, changed by the tests.
std::vector<uint8_t> abs_blob(bool header = true) {
  BlobBuilder b;
  const uint32_t x = b.value({2, 4}, 1, 0);
  const uint32_t y = b.value({2, 4}, 2, 1);
  b.unary(fb::NodeKind::Abs, x, y);
  return b.finish(header);
}

/// Calls the registered backend directly on a blob.
struct Direct {
  Direct() {
    EXPECT_EQ(register_xnnpack_backend(), Error::Ok);
    backend = get_backend(kXnnpackBackendName);
  }
  ~Direct() {
    if (handle != nullptr) backend->destroy(handle);
  }
  Error init(const std::vector<uint8_t>& blob) {
    arena.assign(1 << 16, 0);
    allocator = MemoryAllocator(arena.data(), arena.size());
    BackendInitContext context(&allocator, "forward", kXnnpackBackendName);
    Result<DelegateHandle*> h = backend->init(context, {blob.data(), blob.size()}, {});
    freeable = context.processed_freeable();
    if (h.ok()) handle = *h;
    return h.ok() ? Error::Ok : h.error();
  }
  const BackendInterface* backend = nullptr;
  DelegateHandle* handle = nullptr;
  std::vector<uint8_t> arena;
  MemoryAllocator allocator;
  bool freeable = false;
};

/// A float tensor over `data` with `sizes`, and its EValue.
struct FloatArg {
  FloatArg(std::vector<int32_t> s, std::vector<float> d, bool dynamic = false)
      : sizes(std::move(s)), data(std::move(d)) {
    for (size_t k = 0; k < sizes.size(); ++k) order.push_back(static_cast<uint8_t>(k));
    strides.resize(sizes.size());
    tensor = Tensor(ScalarType::Float, static_cast<int32_t>(sizes.size()), sizes.data(),
                    order.data(), strides.data(), data.data(),
                    dynamic ? ShapeDynamism::DynamicBound : ShapeDynamism::Static);
    value.tag = Tag::Tensor;
    value.payload.as_tensor = &tensor;
  }
  std::vector<int32_t> sizes;
  std::vector<float> data;
  std::vector<uint8_t> order;
  std::vector<int32_t> strides;
  Tensor tensor;
  EValue value;
};

// y = x + c with c a constant of the blob: XNNPACK reads static operands of
// a binary node through their pointer at every run, so the backend must keep
// its own copy. The blob is overwritten after init; the sum must not change.
TEST(Xnnpack, StaticOperandOutlivesTheBlob) {
  BlobBuilder b;
  const uint32_t x = b.value({2, 3}, 1, 0);
  const uint32_t c = b.value({3}, 0, kNone, b.constant({10.0f, 20.0f, 30.0f}));
  const uint32_t y = b.value({2, 3}, 2, 1);
  b.binary(fb::NodeKind::Add, x, c, y);
  std::vector<uint8_t> blob = b.finish();
  Direct d;
  ASSERT_EQ(d.init(blob), Error::Ok);
  EXPECT_TRUE(d.freeable);
  std::fill(blob.begin(), blob.end(), 0xA5);
  FloatArg in({2, 3}, {1, 2, 3, 4, 5, 6});
  FloatArg out({2, 3}, std::vector<float>(6, 0.0f));
  EValue* args[] = {&in.value, &out.value};
  ASSERT_EQ(d.backend->num_outputs(d.handle).get(), 1u);
  BackendExecutionContext ctx;
  ASSERT_EQ(d.backend->execute(ctx, d.handle, args), Error::Ok);
  EXPECT_EQ(out.data, (std::vector<float>{11, 22, 33, 14, 25, 36}));
}

// A transpose of a constant is computed at init (ExecuTorch writes them for
// NCHW constants feeding NHWC nodes): y = x + c^T, the blob freed after init.
TEST(Xnnpack, TransposedConstantIsFoldedAtInit) {
  BlobBuilder b;
  const uint32_t x = b.value({3, 2}, 1, 0);
  const uint32_t c = b.value({2, 3}, 0, kNone, b.constant({1, 2, 3, 4, 5, 6}));
  const uint32_t ct = b.value({3, 2});
  const uint32_t y = b.value({3, 2}, 2, 1);
  b.node(fb::NodeKind::StaticTranspose,
         fb::CreateStaticTranspose(b.fbb, 2, b.fbb.CreateVector(std::vector<uint32_t>{1, 0}), c,
                                   ct, 0).Union());
  b.binary(fb::NodeKind::Add, x, ct, y);
  std::vector<uint8_t> blob = b.finish();
  static std::string plan;  // the Info line saying what init made of the graph
  plan.clear();
  platform::set_log_sink([](platform::LogLevel, const char* m) { plan += m; });
  Direct d;
  const Error err = d.init(blob);
  platform::set_log_sink(nullptr);
  ASSERT_EQ(err, Error::Ok);
  EXPECT_NE(plan.find("1 XNNPACK stages, 0 transposes, 0 convolutions and 0 fully-connected "
                      "layers run by Ember (1 transposes folded"),
            std::string::npos) << plan;
  std::fill(blob.begin(), blob.end(), 0xA5);
  FloatArg in({3, 2}, {10, 20, 30, 40, 50, 60});
  FloatArg out({3, 2}, std::vector<float>(6, 0.0f));
  EValue* args[] = {&in.value, &out.value};
  BackendExecutionContext ctx;
  ASSERT_EQ(d.backend->execute(ctx, d.handle, args), Error::Ok);
  EXPECT_EQ(out.data, (std::vector<float>{11, 24, 32, 45, 53, 66}));
}

// Arguments are checked at every execute: count, kind, dtype, static shape;
// an output of another shape is resized when it may be. (The blob is a bare
// flatbuffer, without the XNNPACK header.)
TEST(Xnnpack, ExecuteChecksArguments) {
  Direct d;
  ASSERT_EQ(d.init(abs_blob(/*header=*/false)), Error::Ok);
  BackendExecutionContext ctx;
  FloatArg in({2, 4}, {-1, 2, -3, 4, -5, 6, -7, 8});
  FloatArg out({2, 4}, std::vector<float>(8, 0.0f));
  EValue* two[] = {&in.value, &out.value};
  ASSERT_EQ(d.backend->execute(ctx, d.handle, two), Error::Ok);
  EXPECT_EQ(out.data, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));

  LogCapture log;
  EValue* one[] = {&in.value};
  EXPECT_EQ(d.backend->execute(ctx, d.handle, Span<EValue*>(one, 1)), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("the call has 1 arguments, the graph 2")) << log.text();
  FloatArg wrong({4, 2}, std::vector<float>(8, 0.0f));
  EValue* bad_in[] = {&wrong.value, &out.value};
  EXPECT_EQ(d.backend->execute(ctx, d.handle, bad_in), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("argument 0 (an input)")) << log.text();
  EValue none;
  EValue* not_tensor[] = {&in.value, &none};
  EXPECT_EQ(d.backend->execute(ctx, d.handle, not_tensor), Error::InvalidArgument);
  EXPECT_TRUE(log.contains("is not a tensor")) << log.text();

  FloatArg resizable({1, 8}, std::vector<float>(8, 0.0f), /*dynamic=*/true);
  EValue* resized[] = {&in.value, &resizable.value};
  ASSERT_EQ(d.backend->execute(ctx, d.handle, resized), Error::Ok);
  EXPECT_EQ(resizable.tensor.size(0), 2);
  EXPECT_EQ(resizable.data, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
}

/// init() must fail with `err` and log `needle`.
void expect_refused(const std::vector<uint8_t>& blob, Error err, const std::string& needle) {
  LogCapture log;
  Direct d;
  EXPECT_EQ(d.init(blob), err) << needle;
  EXPECT_TRUE(log.contains(needle)) << "wanted '" << needle << "' in:\n" << log.text();
}

TEST(Xnnpack, BadHeadersAreRefused) {
  const std::vector<uint8_t> good = abs_blob();
  expect_refused({1, 2, 3}, Error::InvalidProgram, "too few for a header");
  std::vector<uint8_t> b = good;
  std::memcpy(&b[4], "XQ00", 4);
  expect_refused(b, Error::InvalidProgram, "neither the XNNPACK header");
  b = good;
  b[8] = 12;  // header length below its fields
  expect_refused(b, Error::InvalidProgram, "header length 12");
  b = good;
  b[14] = 0xFF, b[15] = 0xFF;  // flatbuffer size past the end
  expect_refused(b, Error::InvalidProgram, "the flatbuffer");
  b = good;
  b[18] = 16;  // constant data overlapping the flatbuffer
  expect_refused(b, Error::InvalidProgram, "overlaps the flatbuffer");
  b = good;
  b[22] = 0xFF;  // constant data size past the end
  expect_refused(b, Error::InvalidProgram, "constant data");
  b = good;
  std::memcpy(&b[32 + 4], "ZZ00", 4);
  expect_refused(b, Error::InvalidProgram, "identifier is not XN00 or XN01");
}

// Every truncation of a valid blob and thousands of corrupted copies: an
// error or a valid graph, never a crash (ASan checks the reads).
TEST(Xnnpack, TruncatedAndCorruptedBlobsNeverCrash) {
  const std::vector<uint8_t> good = abs_blob();
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
    Direct d;
    EXPECT_NE(d.init(cut), Error::Ok) << "truncated to " << n;
  }
  std::mt19937 rng(1);
  LogCapture quiet;
  size_t accepted = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> bad = good;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
      bad[32 + rng() % (bad.size() - 32)] = static_cast<uint8_t>(rng());
    }
    Direct d;
    if (d.init(bad) == Error::Ok) ++accepted;  // a change that left a valid graph
  }
  EXPECT_LT(accepted, 2000u);
}

// The same on the real ExecuTorch blob (many node kinds, named data): a
// corrupted delegate either fails to load with an error, or loads and runs.
TEST(Xnnpack, CorruptedExecuTorchBlobsNeverCrash) {
  ASSERT_EQ(register_xnnpack_backend(), Error::Ok);
  const std::vector<uint8_t> good = read_test_file("et_xnnpack_cnn.pte");
  size_t blob_offset = 0, blob_size = 0;
  {
    BufferDataLoader loader(good.data(), good.size());
    Result<Program> program = Program::load(&loader);
    ASSERT_TRUE(program.ok());
    for (size_t i = 0; blob_size == 0; ++i) {
      Result<Span<const uint8_t>> seg = program->segment_data(i);
      ASSERT_TRUE(seg.ok());
      if (seg->size() > 8 && std::memcmp(seg->data() + 4, "XH00", 4) == 0) {
        blob_offset = static_cast<size_t>(seg->data() - good.data());
        blob_size = seg->size();
      }
    }
  }
  std::mt19937 rng(3);
  std::vector<float> x(3 * 16 * 16, 0.5f);
  LogCapture quiet;
  size_t loaded = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> bad = good;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) {
      bad[blob_offset + rng() % blob_size] = static_cast<uint8_t>(rng());
    }
    BufferDataLoader loader(bad.data(), bad.size());
    Result<Program> program = Program::load(&loader);
    ASSERT_TRUE(program.ok());
    MethodMemory mem(*program->method_meta("forward"));
    Result<Method> method = program->load_method("forward", &mem.manager);
    if (!method.ok()) continue;
    ++loaded;
    ASSERT_EQ(method->set_input(0, x.data(), x.size() * sizeof(float)), Error::Ok);
    (void)method->execute();  // may fail (an argument check), must not crash
  }
  EXPECT_LT(loaded, 300u);
}

TEST(Xnnpack, MalformedGraphsAreRefused) {
  {  // an operand id past the values
    BlobBuilder b;
    b.value({2, 4}, 1, 0);
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.unary(fb::NodeKind::Abs, 7, y);
    expect_refused(b.finish(), Error::InvalidProgram, "node 0 (Abs): operand 0 is value 7");
  }
  {  // a value read before any node writes it
    BlobBuilder b;
    b.value({2, 4}, 1, 0);
    const uint32_t t = b.value({2, 4});
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.unary(fb::NodeKind::Abs, t, y);
    expect_refused(b.finish(), Error::InvalidProgram, "reads value 1 before any node writes it");
  }
  {  // a constant index past the table
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t c = b.value({4}, 0, kNone, 5);
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.binary(fb::NodeKind::Add, x, c, y);
    expect_refused(b.finish(), Error::InvalidProgram, "constant 5 is out of range");
  }
  {  // a constant larger than the constant data holds
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t c = b.value({4}, 0, kNone, b.constant({1.0f}));
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.binary(fb::NodeKind::Add, x, c, y);
    expect_refused(b.finish(), Error::InvalidProgram,
                   "constant 1 holds 4 bytes, its value needs 16");
  }
  {  // named data the (absent) program does not have
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    b.constants.push_back(fb::CreateConstantData(b.fbb, ~uint64_t{0}, 16, b.fbb.CreateString("w")));
    const uint32_t c = b.value({4}, 0, kNone, 1);
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.binary(fb::NodeKind::Add, x, c, y);
    expect_refused(b.finish(), Error::InvalidProgram, "named data 'w' is not in the program");
  }
  {  // two values with one id
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    b.value({2, 4}, 2, 1, 0, fb::DataType::fp32, 0);
    b.unary(fb::NodeKind::Abs, x, x);
    expect_refused(b.finish(), Error::InvalidProgram, "two values have id 0");
  }
  {  // an external id past num_externals
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t y = b.value({2, 4}, 2, 9);
    b.unary(fb::NodeKind::Abs, x, y);
    expect_refused(b.finish(), Error::InvalidProgram, "external id 9 is not below num_externals 2");
  }
  {  // the output is not the last argument
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 1);
    const uint32_t y = b.value({2, 4}, 2, 0);
    b.unary(fb::NodeKind::Abs, x, y);
    expect_refused(b.finish(), Error::InvalidProgram, "outputs are not the last");
  }
  {  // an output shape the node cannot produce
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t y = b.value({2, 5}, 2, 1);
    b.unary(fb::NodeKind::Abs, x, y);
    expect_refused(b.finish(), Error::InvalidProgram, "node 0 (Abs): output shape differs");
  }
  {  // a kind the format does not have
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.node(static_cast<fb::NodeKind>(99), fb::CreateUnary(b.fbb, x, y, 0).Union());
    expect_refused(b.finish(), Error::NotSupported, "node 0 has unknown kind 99");
  }
}

// What Debian's 2022 XNNPACK lacks is refused by node, kind and reason.
TEST(Xnnpack, NodesTheLibraryLacksAreRefusedByName) {
  {
    BlobBuilder b;
    b.num_externals = 3;
    const uint32_t a = b.value({2, 3, 4}, 1, 0);
    const uint32_t c = b.value({2, 4, 5}, 1, 1);
    const uint32_t y = b.value({2, 3, 5}, 2, 2);
    b.binary(fb::NodeKind::BatchMatrixMultiply, a, c, y);
    expect_refused(b.finish(), Error::NotSupported,
                   "node 0 (BatchMatrixMultiply) cannot run on this XNNPACK build");
  }
  {
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t t = b.value({2, 4});
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.unary(fb::NodeKind::Abs, x, t);
    b.unary(fb::NodeKind::Tanh, t, y);
    expect_refused(b.finish(), Error::NotSupported,
                   "node 1 (Tanh) cannot run on this XNNPACK build (Debian's 2022-02-16 "
                   "snapshot: no tanh node)");
  }
  {  // dynamically quantized int8 (ExecuTorch's dynamic linear)
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t q = b.value({2, 4}, 0, kNone, 0, fb::DataType::qdint8);
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.unary(fb::NodeKind::Convert, x, q);
    b.unary(fb::NodeKind::Abs, q, y);
    expect_refused(b.finish(), Error::NotSupported,
                   "node 0 (Convert): value 1 has datatype qdint8");
  }
  {  // per-channel int8 fully-connected weights (ExecuTorch's static int8 linear)
    BlobBuilder b;
    const uint32_t x = b.quantized({2, 4}, fb::DataType::qint8, 1, 0, 0);
    const uint32_t w = b.quantized({3, 4}, fb::DataType::qcint8, 0, kNone,
                                   b.constant({0.0f, 0.0f, 0.0f}), {0.1f, 0.2f, 0.3f});
    const uint32_t y = b.quantized({2, 3}, fb::DataType::qint8, 2, 1, 0);
    b.node(fb::NodeKind::FullyConnected,
           fb::CreateFullyConnected(b.fbb, x, w, kNone, y, 0).Union());
    expect_refused(b.finish(), Error::NotSupported,
                   "node 0 (FullyConnected): per-channel int8 weights (qcint8)");
  }
  {  // an fp16 graph
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0, 0, fb::DataType::fp16);
    const uint32_t y = b.value({2, 4}, 2, 1, 0, fb::DataType::fp16);
    b.unary(fb::NodeKind::Abs, x, y);
    expect_refused(b.finish(), Error::NotSupported, "node 0 (Abs): input has datatype fp16");
  }
}

/// y = x + x through int8: x [2, 4] fp32 -> qint8 (scale 0.5) -> add
/// (scale 1) -> fp32, with a 1x1 per-channel int8 convolution (qcint8
/// filter on dim 0, qcint32 bias) when `conv`: what Ember's quantized
/// lowering writes. `change` edits the builder's choices for the malformed
/// variants.
struct QuantizedGraph {
  int32_t zero_point = 0;
  int32_t filter_dim = 0;
  fb::DataType bias_type = fb::DataType::qcint32;
  std::vector<float> filter_scales = {0.5f, 0.25f};
  fb::NodeKind activation_kind = fb::NodeKind::Add;

  std::vector<uint8_t> add_blob() const {
    BlobBuilder b;
    const uint32_t x = b.value({2, 4}, 1, 0);
    const uint32_t q = b.qtensor({2, 4}, fb::DataType::qint8, 0.5f, zero_point);
    const uint32_t s = b.qtensor({2, 4}, fb::DataType::qint8, 1.0f, 0);
    const uint32_t y = b.value({2, 4}, 2, 1);
    b.unary(fb::NodeKind::Convert, x, q);
    if (activation_kind == fb::NodeKind::Add) {
      b.binary(fb::NodeKind::Add, q, q, s);
    } else {
      b.unary(activation_kind, q, s);
    }
    b.unary(fb::NodeKind::Convert, s, y);
    return b.finish();
  }

  /// x [1, 1, 1, 2] NHWC -> qint8 (scale 0.5) -> conv 1x1 to 2 channels
  /// (filter [[1, 2], [3, 4]], scales 0.5 / 0.25, bias [2, -4] at scales
  /// 0.25 / 0.125 = [0.5, -0.5]) -> qint8 (scale 0.25) -> fp32.
  std::vector<uint8_t> conv_blob() const {
    BlobBuilder b;
    const int8_t filter[4] = {1, 2, 3, 4};
    const int32_t bias[2] = {2, -4};
    const uint32_t x = b.value({1, 1, 1, 2}, 1, 0);
    const uint32_t q = b.qtensor({1, 1, 1, 2}, fb::DataType::qint8, 0.5f, 0);
    const uint32_t w = b.qchannel({2, 1, 1, 2}, fb::DataType::qcint8, filter_scales, filter_dim,
                                  b.raw_constant(filter, sizeof(filter)));
    const uint32_t c = bias_type == fb::DataType::qcint32
                           ? b.qchannel({2}, bias_type, {0.25f, 0.125f}, 0,
                                        b.raw_constant(bias, sizeof(bias)))
                           : b.qtensor({2}, bias_type, 0.25f, 0, 0, kNone,
                                       b.raw_constant(bias, sizeof(bias)));
    const uint32_t o = b.qtensor({1, 1, 1, 2}, fb::DataType::qint8, 0.25f, 0);
    const uint32_t y = b.value({1, 1, 1, 2}, 2, 1);
    b.unary(fb::NodeKind::Convert, x, q);
    b.node(fb::NodeKind::Conv2d,
           fb::CreateConvolution(b.fbb, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 1, 0, 0, q, w, c, o)
               .Union());
    b.unary(fb::NodeKind::Convert, o, y);
    return b.finish();
  }
};

/// Runs a one-input, one-output fp32 blob.
std::vector<float> run_float(const std::vector<uint8_t>& blob, std::vector<int32_t> sizes,
                             std::vector<float> x) {
  Direct d;
  EXPECT_EQ(d.init(blob), Error::Ok);
  if (d.handle == nullptr) return {};
  FloatArg in(sizes, std::move(x));
  FloatArg out(sizes, std::vector<float>(in.data.size(), 0.0f));
  EValue* args[] = {&in.value, &out.value};
  BackendExecutionContext ctx;
  EXPECT_EQ(d.backend->execute(ctx, d.handle, args), Error::Ok);
  return out.data;
}

// Static int8 graphs as Ember's quantized lowering (and ExecuTorch's static
// quantization) write them run: quantize, int8 add, per-channel int8
// convolution with an int32 bias, dequantize.
TEST(Xnnpack, QuantizedGraphsRun) {
  QuantizedGraph g;
  EXPECT_EQ(run_float(g.add_blob(), {2, 4}, {1, 2, 3, 4, -1, -2, -3, -4}),
            (std::vector<float>{2, 4, 6, 8, -2, -4, -6, -8}));
  // x = [1, 2] -> q = [2, 4]; acc_c = sum_i q_i * w[c][i] + bias_c:
  // c0: 2 + 8 + 2 = 12 at scale 0.25 -> 3.0; c1: 6 + 16 - 4 = 18 at 0.125 -> 2.25.
  EXPECT_EQ(run_float(g.conv_blob(), {1, 1, 1, 2}, {1, 2}), (std::vector<float>{3.0f, 2.25f}));
}

// Quantization parameters Debian's XNNPACK cannot take are refused by node
// and value, before XNNPACK sees them.
TEST(Xnnpack, MalformedQuantizationIsRefused) {
  QuantizedGraph g;
  g.zero_point = 200;
  expect_refused(g.add_blob(), Error::InvalidProgram,
                 "node 0 (Convert): value 1: zero point 200 outside its datatype qint8");
  g = QuantizedGraph();
  g.activation_kind = fb::NodeKind::Softmax;
  expect_refused(g.add_blob(), Error::NotSupported,
                 "node 1 (Softmax): 8-bit quantized input (qint8): Debian's XNNPACK (2022-02-16) "
                 "runs this node in fp32 only");
  g = QuantizedGraph();
  g.filter_dim = 3;  // [2, 1, 1, 2]: dim 3 has 2 entries too, only the node check sees it
  expect_refused(g.conv_blob(), Error::InvalidProgram,
                 "node 1 (Conv2d): filter's scales are on dim 3, XNNPACK reads them on dim 0");
  g = QuantizedGraph();
  g.filter_scales = {0.5f, -0.25f};
  expect_refused(g.conv_blob(), Error::InvalidProgram, "value 2: channel 1 has scale -0.25");
  g = QuantizedGraph();
  g.bias_type = fb::DataType::qint32;
  expect_refused(g.conv_blob(), Error::InvalidProgram,
                 "bias qint32 with filter qcint8: quantized per channel both or neither");
}

// Corrupted copies of a quantized blob: an error or a valid graph, never a
// crash (ASan checks the reads).
TEST(Xnnpack, CorruptedQuantizedBlobsNeverCrash) {
  const std::vector<uint8_t> good = QuantizedGraph().conv_blob();
  std::mt19937 rng(7);
  LogCapture quiet;
  size_t accepted = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<uint8_t> bad = good;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
      bad[32 + rng() % (bad.size() - 32)] = static_cast<uint8_t>(rng());
    }
    Direct d;
    if (d.init(bad) != Error::Ok) continue;
    ++accepted;
    FloatArg in({1, 1, 1, 2}, {1, 2});
    FloatArg out({1, 1, 1, 2}, {0, 0});
    EValue* args[] = {&in.value, &out.value};
    BackendExecutionContext ctx;
    (void)d.backend->execute(ctx, d.handle, args);  // may refuse the arguments
  }
  EXPECT_LT(accepted, 1000u);
}

}  // namespace
}  // namespace testing
}  // namespace ember
