// Helpers for the portable kernel tests: tensors over std::vector storage,
// EValue argument lists, running a kernel through the registry, naive
// reference loops' random inputs, and log capture for rejection tests.
// Test code may use the heap freely; the kernels under test may not.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/core/evalue.h"
#include "runtime/core/tensor.h"
#include "runtime/kernel/kernel.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace test {

/// A tensor that owns its sizes, dim order, strides and data. Not movable:
/// the Tensor points into it. Create through make().
class TestTensor {
 public:
  /// Capacity (for a dynamic tensor) is the element count of `sizes`.
  TestTensor(ScalarType dtype, std::vector<int32_t> sizes, std::vector<uint8_t> dim_order,
             ShapeDynamism dynamism)
      : sizes_(std::move(sizes)), dim_order_(std::move(dim_order)) {
    if (dim_order_.empty()) {
      for (size_t i = 0; i < sizes_.size(); ++i) dim_order_.push_back(static_cast<uint8_t>(i));
    }
    strides_.resize(sizes_.size() + 1);
    int64_t n = 1;
    for (int32_t s : sizes_) n *= s;
    storage_.assign(static_cast<size_t>(n) + 2, 0);  // 8 bytes per element is enough
    tensor_ = Tensor(dtype, static_cast<int32_t>(sizes_.size()), sizes_.data(), dim_order_.data(),
                     strides_.data(), storage_.data(), dynamism);
    value_.tag = Tag::Tensor;
    value_.payload.as_tensor = &tensor_;
  }
  TestTensor(const TestTensor&) = delete;
  TestTensor& operator=(const TestTensor&) = delete;

  Tensor& t() { return tensor_; }
  EValue* ev() { return &value_; }

  /// Element offset of a logical (row-major) index in this tensor's layout.
  int64_t offset_of(int64_t logical) const {
    int64_t off = 0;
    for (int d = tensor_.dim() - 1; d >= 0; --d) {
      off += (logical % tensor_.size(d)) * tensor_.stride(d);
      logical /= tensor_.size(d);
    }
    return off;
  }

  /// Write values given in logical order (works for any dim order).
  template <typename T>
  void set(const std::vector<T>& values) {
    EXPECT_EQ(static_cast<int64_t>(values.size()), tensor_.numel());
    T* p = tensor_.data_as<T>();
    for (size_t i = 0; i < values.size(); ++i) p[offset_of(static_cast<int64_t>(i))] = values[i];
  }

  /// Read the values back in logical order.
  template <typename T>
  std::vector<T> get() const {
    std::vector<T> v(static_cast<size_t>(tensor_.numel()));
    const T* p = tensor_.data_as<const T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = p[offset_of(static_cast<int64_t>(i))];
    return v;
  }

  std::vector<int32_t> shape() const {
    return std::vector<int32_t>(tensor_.sizes().begin(), tensor_.sizes().end());
  }

 private:
  std::vector<int32_t> sizes_;
  std::vector<uint8_t> dim_order_;
  std::vector<int32_t> strides_;
  std::vector<uint64_t> storage_;
  Tensor tensor_;
  EValue value_;
};

using TensorPtr = std::unique_ptr<TestTensor>;

/// A static tensor of the given sizes (zero-filled).
inline TensorPtr make(ScalarType dtype, std::vector<int32_t> sizes,
                      std::vector<uint8_t> dim_order = {}) {
  return std::make_unique<TestTensor>(dtype, std::move(sizes), std::move(dim_order),
                                      ShapeDynamism::Static);
}

/// A dynamic-bound output of the given rank with room for `capacity` elements,
/// starting with sizes [capacity, 1, ...]; the kernel resizes it.
inline TensorPtr make_dynamic(ScalarType dtype, int rank, int64_t capacity,
                              std::vector<uint8_t> dim_order = {}) {
  std::vector<int32_t> sizes(static_cast<size_t>(rank), 1);
  if (rank > 0) sizes[0] = static_cast<int32_t>(capacity);
  return std::make_unique<TestTensor>(dtype, std::move(sizes), std::move(dim_order),
                                      ShapeDynamism::DynamicBound);
}

/// A float tensor with the given logical values.
inline TensorPtr make_f(std::vector<int32_t> sizes, const std::vector<float>& values,
                        std::vector<uint8_t> dim_order = {}) {
  TensorPtr t = make(ScalarType::Float, std::move(sizes), std::move(dim_order));
  t->set(values);
  return t;
}

template <typename T>
TensorPtr make_typed(ScalarType dtype, std::vector<int32_t> sizes, const std::vector<T>& values,
                     std::vector<uint8_t> dim_order = {}) {
  TensorPtr t = make(dtype, std::move(sizes), std::move(dim_order));
  t->set(values);
  return t;
}

/// Owns the non-tensor EValues of a call (stable addresses).
class Values {
 public:
  EValue* integer(int64_t v) { return push(Tag::Int, [&](EValue& e) { e.payload.as_int = v; }); }
  EValue* real(double v) { return push(Tag::Double, [&](EValue& e) { e.payload.as_double = v; }); }
  EValue* boolean(bool v) { return push(Tag::Bool, [&](EValue& e) { e.payload.as_bool = v; }); }
  EValue* none() { return push(Tag::Null, [](EValue&) {}); }
  EValue* str(const std::string& s) {
    strings_.push_back(s);
    const std::string& kept = strings_.back();
    return push(Tag::String, [&](EValue& e) {
      e.payload.as_string.data = kept.data();
      e.payload.as_string.size = kept.size();
    });
  }
  EValue* ints(const std::vector<int64_t>& items) {
    lists_.emplace_back();
    for (int64_t v : items) lists_.back().push_back(integer(v));
    unboxed_.emplace_back(items.size() + 1);
    std::vector<EValue*>& boxed = lists_.back();
    int64_t* scratch = unboxed_.back().data();
    return push(Tag::IntList, [&](EValue& e) {
      e.payload.as_int_list.items = boxed.data();
      e.payload.as_int_list.unboxed = scratch;
      e.payload.as_int_list.size = items.size();
    });
  }
  EValue* tensors(const std::vector<TestTensor*>& items) {
    lists_.emplace_back();
    for (TestTensor* t : items) lists_.back().push_back(t->ev());
    std::vector<EValue*>& list = lists_.back();
    return push(Tag::TensorList, [&](EValue& e) {
      e.payload.as_tensor_list.items = list.data();
      e.payload.as_tensor_list.size = list.size();
    });
  }

 private:
  template <typename F>
  EValue* push(Tag tag, F fill) {
    values_.emplace_back();
    EValue& e = values_.back();
    e.tag = tag;
    fill(e);
    return &e;
  }
  std::deque<EValue> values_;
  std::deque<std::vector<EValue*>> lists_;
  std::deque<std::vector<int64_t>> unboxed_;
  std::deque<std::string> strings_;
};

/// Run a registered kernel; returns ctx.error(). `temp_bytes` = 0 gives a
/// context without scratch memory.
inline Error run(const char* name, std::vector<EValue*> args, size_t temp_bytes = 8 << 20) {
  EXPECT_EQ(register_portable_kernels(), Error::Ok);
  std::vector<ScalarType> dtypes;
  for (EValue* a : args) {
    if (a != nullptr && a->is_tensor()) dtypes.push_back(a->to_tensor().dtype());
  }
  KernelFn fn = find_kernel(name, Span<const ScalarType>(dtypes.data(), dtypes.size()));
  EXPECT_NE(fn, nullptr) << "no kernel " << name;
  if (fn == nullptr) return Error::NotFound;
  std::vector<uint8_t> temp(temp_bytes);
  KernelContext ctx(temp_bytes ? temp.data() : nullptr, temp_bytes);
  fn(ctx, Span<EValue*>(args.data(), args.size()));
  return ctx.error();
}

/// Records error log lines while alive (to check that a rejection names the op).
class LogCapture {
 public:
  LogCapture() {
    lines().clear();
    platform::set_log_sink(&LogCapture::sink);
  }
  ~LogCapture() { platform::set_log_sink(nullptr); }
  bool contains(const std::string& needle) const {
    for (const std::string& l : lines()) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  size_t count() const { return lines().size(); }

 private:
  static std::vector<std::string>& lines() {
    static std::vector<std::string> l;
    return l;
  }
  static void sink(platform::LogLevel level, const char* message) {
    if (level >= platform::LogLevel::Error) lines().push_back(message);
  }
};

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

/// A tensor of random integers in [lo, hi] of an 8-bit dtype (int8 or uint8).
inline TensorPtr random_q(ScalarType dtype, std::vector<int32_t> sizes, uint32_t seed, int lo,
                          int hi) {
  TensorPtr t = make(dtype, std::move(sizes));
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  for (int64_t i = 0; i < t->t().numel(); ++i) {
    const int v = dist(gen);
    if (dtype == ScalarType::Byte) {
      t->t().data_as<uint8_t>()[i] = static_cast<uint8_t>(v);
    } else {
      t->t().data_as<int8_t>()[i] = static_cast<int8_t>(v);
    }
  }
  return t;
}

/// A tensor of random bytes: every value of an 8-bit dtype.
inline TensorPtr random_bytes(ScalarType dtype, std::vector<int32_t> sizes, uint32_t seed) {
  TensorPtr t = make(dtype, std::move(sizes));
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, 255);
  for (int64_t i = 0; i < t->t().numel(); ++i) {
    t->t().data_as<uint8_t>()[i] = static_cast<uint8_t>(dist(gen));
  }
  return t;
}

/// Thread counts a kernel test runs at: 1 and 2; 1 only in a runtime built
/// without pthreadpool (the aarch64 cross build, docs/arm.md), where
/// set_num_threads(2) is NotSupported.
inline std::vector<size_t> thread_counts() {
#ifdef EMBER_HAVE_PTHREADPOOL
  return {1, 2};
#else
  return {1};
#endif
}

/// Element-wise comparison with a mixed absolute/relative tolerance.
inline void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                         float tol = 1e-4f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
      continue;
    }
    if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
      continue;
    }
    EXPECT_NEAR(got[i], want[i], tol * (1.0f + std::fabs(want[i]))) << "at " << i;
  }
}

}  // namespace test
}  // namespace ember
