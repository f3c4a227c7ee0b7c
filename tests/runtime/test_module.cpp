// The Module convenience layer (what Python binds) and the runner's .npy code.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "runtime/extension/module.h"
#include "runtime/kernel/kernel.h"
#include "runtime/loader/file_data_loader.h"
#include "runtime/tools/npy.h"
#include "tests/runtime/test_util.h"

namespace ember {
namespace testing {
namespace {

std::string data_path(const char* name) { return std::string(EMBER_TEST_DATA_DIR) + "/" + name; }

// The file loader maps (or reads) the file and bounds-checks loads.
TEST(FileDataLoader, MapAndRead) {
  for (bool prefer_read : {false, true}) {
    Result<FileDataLoader> l = FileDataLoader::open(data_path("et_two.pte").c_str(), prefer_read);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->mode(), prefer_read ? FileDataLoader::Mode::Read : FileDataLoader::Mode::Mmap);
    EXPECT_EQ(l->size(), 2056u);
    Result<Span<const uint8_t>> head = l->load(4, 4);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(std::memcmp(head->data(), "ET12", 4), 0);
    EXPECT_FALSE(l->load(2050, 7).ok());
    EXPECT_FALSE(l->load(SIZE_MAX, 2).ok());
  }
  EXPECT_EQ(FileDataLoader::open("/nonexistent/x.pte").error(), Error::AccessFailed);
}

// Load errors come back as a Status with a message.
TEST(Module, LoadErrors) {
  Status st;
  EXPECT_EQ(Module::load("/nonexistent/model.pte", &st), nullptr);
  EXPECT_EQ(st.error, Error::AccessFailed);
  // The path once, with the reason.
  const size_t at = st.message.find("/nonexistent/model.pte");
  EXPECT_NE(at, std::string::npos) << st.message;
  EXPECT_EQ(st.message.find("/nonexistent/model.pte", at + 1), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("No such file or directory"), std::string::npos) << st.message;
  std::vector<uint8_t> bytes = read_test_file("et_two.pte");
  std::memcpy(bytes.data() + 4, "XX99", 4);
  EXPECT_EQ(Module::load_from_buffer(bytes.data(), bytes.size(), &st), nullptr);
  EXPECT_EQ(st.error, Error::VersionMismatch);
  EXPECT_NE(st.message.find("ET12"), std::string::npos) << st.message;
}

// Method names and info of the CNN reference file.
TEST(Module, MethodInfo) {
  Status st;
  std::unique_ptr<Module> m = Module::load(data_path("et_cnn.pte"), &st);
  ASSERT_NE(m, nullptr) << st.message;
  ASSERT_EQ(m->method_names(), std::vector<std::string>{"forward"});
  MethodInfo info;
  ASSERT_TRUE(m->method_info("forward", &info).ok());
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(info.inputs[0].tag, Tag::Tensor);
  EXPECT_EQ(info.inputs[0].sizes, (std::vector<int64_t>{1, 3, 16, 16}));
  EXPECT_EQ(info.inputs[0].nbytes, 3u * 16 * 16 * 4);
  EXPECT_EQ(info.outputs[0].sizes, (std::vector<int64_t>{1, 10}));
  EXPECT_EQ(info.planned_buffer_sizes, std::vector<int64_t>{16384});
  ASSERT_EQ(info.operators.size(), 7u);
  EXPECT_EQ(info.operators[0], "aten::convolution.out");
  EXPECT_EQ(info.operators[6], "aten::addmm.out");
  EXPECT_EQ(info.num_instructions, 9u);
  Status missing = m->method_info("nope", &info);
  EXPECT_EQ(missing.error, Error::NotFound);
}

// execute() through Value views: et_two's two outputs, and input errors.
TEST(Module, ExecuteReferenceTwoInputs) {
  register_et_two_kernels();
  Status st;
  std::vector<uint8_t> bytes = read_test_file("et_two.pte");
  std::unique_ptr<Module> m = Module::load_from_buffer(bytes.data(), bytes.size(), &st);
  ASSERT_NE(m, nullptr) << st.message;
  if (!has_kernel("dim_order_ops::_to_dim_order_copy.out")) {
    EXPECT_EQ(m->load_method("forward").error, Error::OperatorMissing);
    GTEST_SKIP() << "kernel missing";
  }
  const float a[6] = {0, 1, 2, 3, 4, 5};
  const float b[6] = {1, 1, 1, -1, -1, -1};
  TensorView va;
  va.sizes = {2, 3};
  va.data = a;
  va.nbytes = sizeof(a);
  TensorView vb = va;
  vb.data = b;
  std::vector<Value> outs;
  st = m->forward({Value::from_tensor(va), Value::from_tensor(vb)}, &outs);
  ASSERT_TRUE(st.ok()) << st.message;
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].tag, Tag::Tensor);
  EXPECT_EQ(outs[0].tensor.sizes, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(outs[0].tensor.nbytes, 24u);
  const float* y0 = static_cast<const float*>(outs[0].tensor.data);
  const float* y1 = static_cast<const float*>(outs[1].tensor.data);
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(y0[i], a[i] + 2 * b[i], 1e-6f);
    EXPECT_NEAR(y1[i], 1 / (1 + std::exp(-a[i])) - b[i], 1e-6f);
  }
  ASSERT_NE(m->method("forward"), nullptr);

  st = m->forward({Value::from_tensor(va)}, &outs);
  EXPECT_EQ(st.error, Error::InvalidArgument);
  TensorView wrong = va;
  wrong.nbytes = 20;
  st = m->forward({Value::from_tensor(wrong), Value::from_tensor(vb)}, &outs);
  EXPECT_EQ(st.error, Error::InvalidArgument);
  wrong = va;
  wrong.sizes = {3, 2};
  st = m->forward({Value::from_tensor(wrong), Value::from_tensor(vb)}, &outs);
  EXPECT_EQ(st.error, Error::InvalidArgument);
  EXPECT_FALSE(st.message.empty());
  st = m->forward({Value::from_int(3), Value::from_tensor(vb)}, &outs);
  EXPECT_EQ(st.error, Error::InvalidArgument);
  st = m->execute("missing", {}, &outs);
  EXPECT_EQ(st.error, Error::NotFound);
}

// et_cnn.pte on a fixed input matches ExecuTorch 1.4.1's own output
// (data/et_cnn_output_et141.npy, written by its Python runtime).
TEST(Module, ReferenceCnnMatchesExecuTorch) {
  register_et_two_kernels();
  if (!has_kernel("aten::convolution.out")) GTEST_SKIP() << "portable kernels not built";
  npy::Array x, expected;
  std::string err;
  ASSERT_TRUE(npy::parse(read_test_file("et_cnn_input.npy"), &x, &err)) << err;
  ASSERT_TRUE(npy::parse(read_test_file("et_cnn_output_et141.npy"), &expected, &err)) << err;
  Status st;
  std::unique_ptr<Module> m = Module::load(data_path("et_cnn.pte"), &st);
  ASSERT_NE(m, nullptr) << st.message;
  TensorView in;
  in.sizes = x.shape;
  in.data = x.data.data();
  in.nbytes = x.data.size();
  std::vector<Value> outs;
  st = m->forward({Value::from_tensor(in)}, &outs);
  ASSERT_TRUE(st.ok()) << st.message;
  ASSERT_EQ(outs.size(), 1u);
  ASSERT_EQ(outs[0].tensor.nbytes, expected.data.size());
  const float* y = static_cast<const float*>(outs[0].tensor.data);
  const float* e = reinterpret_cast<const float*>(expected.data.data());
  for (size_t i = 0; i < expected.data.size() / 4; ++i) EXPECT_NEAR(y[i], e[i], 1e-5f) << i;
}

// .npy files written by the runner parse back; malformed ones are refused.
TEST(Npy, RoundTrip) {
  const float v[6] = {1, 2, 3, 4, 5, 6};
  std::vector<uint8_t> bytes = npy::serialize(ScalarType::Float, {2, 3}, v, sizeof(v));
  EXPECT_EQ((bytes.size() - sizeof(v)) % 64, 0u);
  npy::Array arr;
  std::string err;
  ASSERT_TRUE(npy::parse(bytes, &arr, &err)) << err;
  EXPECT_EQ(arr.dtype, ScalarType::Float);
  EXPECT_EQ(arr.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(arr.data.data(), v, sizeof(v)), 0);

  bytes = npy::serialize(ScalarType::Long, {}, v, 8);  // 0-d
  ASSERT_TRUE(npy::parse(bytes, &arr, &err)) << err;
  EXPECT_TRUE(arr.shape.empty());
  bytes = npy::serialize(ScalarType::Bool, {5}, v, 5);
  ASSERT_TRUE(npy::parse(bytes, &arr, &err)) << err;
  EXPECT_EQ(arr.shape, std::vector<int64_t>{5});

  std::vector<uint8_t> truncated = npy::serialize(ScalarType::Float, {2, 3}, v, sizeof(v));
  truncated.pop_back();
  EXPECT_FALSE(npy::parse(truncated, &arr, &err));
  std::string h = "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }";
  std::string text = std::string("\x93NUMPY\x01", 7) + '\0' + static_cast<char>(h.size()) + '\0' + h +
                     std::string(4, '\0');
  std::vector<uint8_t> be(text.begin(), text.end());
  EXPECT_FALSE(npy::parse(be, &arr, &err));
  EXPECT_NE(err.find(">f4"), std::string::npos);
}

}  // namespace
}  // namespace testing
}  // namespace ember
