// An app embedding the Ember runtime: load a .pte, run forward, check the
// outputs against the model's formula. The model is tests/runtime/data/et_two.pte
// (ExecuTorch's portable pipeline): forward(a, b) = (a + b * 2, sigmoid(a) - b)
// for float32 [2, 3] inputs.
//
//   embed_app et_two.pte       prints the outputs, exits 0 if they are right
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "runtime/extension/module.h"
#include "runtime/kernel/kernel.h"

namespace {

ember::Value float_input(const std::vector<float>& data) {
  ember::TensorView view;
  view.dtype = ember::ScalarType::Float;
  view.sizes = {2, 3};
  view.data = data.data();
  view.nbytes = data.size() * sizeof(float);
  return ember::Value::from_tensor(view);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s et_two.pte\n", argv[0]);
    return 2;
  }
  if (ember::register_portable_kernels() != ember::Error::Ok) {
    std::fprintf(stderr, "could not register the portable kernels\n");
    return 1;
  }
  ember::Status status;
  std::unique_ptr<ember::Module> module = ember::Module::load(argv[1], &status);
  if (!module) {
    std::fprintf(stderr, "load failed: %s\n", status.message.c_str());
    return 1;
  }

  const std::vector<float> a = {-1.5f, -0.5f, 0.0f, 0.25f, 1.0f, 2.0f};
  const std::vector<float> b = {0.5f, -2.0f, 1.0f, 0.0f, -0.75f, 3.0f};
  std::vector<ember::Value> outputs;
  status = module->forward({float_input(a), float_input(b)}, &outputs);
  if (!status.ok()) {
    std::fprintf(stderr, "forward failed: %s\n", status.message.c_str());
    return 1;
  }
  if (outputs.size() != 2) {
    std::fprintf(stderr, "expected 2 outputs, got %zu\n", outputs.size());
    return 1;
  }

  // Compare with the formula, element by element.
  int wrong = 0;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const ember::TensorView& t = outputs[k].tensor;
    if (outputs[k].tag != ember::Tag::Tensor || t.dtype != ember::ScalarType::Float ||
        t.nbytes != a.size() * sizeof(float)) {
      std::fprintf(stderr, "output[%zu] is not a float32 [2, 3] tensor\n", k);
      return 1;
    }
    const float* y = static_cast<const float*>(t.data);
    std::printf("output[%zu]:", k);
    for (size_t i = 0; i < a.size(); ++i) {
      const float expected = k == 0 ? a[i] + b[i] * 2.0f : 1.0f / (1.0f + std::exp(-a[i])) - b[i];
      std::printf(" %g", y[i]);
      if (std::fabs(y[i] - expected) > 1e-5f) {
        std::fprintf(stderr, "output[%zu][%zu] = %g, expected %g\n", k, i, y[i], expected);
        ++wrong;
      }
    }
    std::printf("\n");
  }
  if (wrong) return 1;
  std::printf("ok\n");
  return 0;
}
