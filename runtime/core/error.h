// Error codes and Result<T>: how every runtime API reports failure.
// The runtime never throws; a failing call returns an Error and logs a line
// naming what was wrong (the value index, the offset, the op).
#pragma once

#include <cstdint>
#include <new>
#include <utility>

#include "runtime/platform/platform.h"

namespace ember {

/// Why a runtime call failed. Stable numeric values: they cross the Python
/// binding and appear in logs.
enum class Error : uint32_t {
  Ok = 0,
  Internal = 1,           ///< a bug in Ember itself
  InvalidArgument = 2,    ///< the caller passed a bad value
  InvalidProgram = 3,     ///< the .pte is malformed: an index, offset or size is out of range
  InvalidState = 4,       ///< call out of order (e.g. execute before inputs are set)
  NotSupported = 5,       ///< valid but not handled (a dtype a kernel lacks)
  NotFound = 6,           ///< a method, kernel or backend name is unknown
  MemoryAllocationFailed = 7,  ///< an arena is too small
  AccessFailed = 8,       ///< a data loader could not read its source
  OperatorMissing = 9,    ///< no kernel is registered for an operator
  DelegateInvalidHandle = 10,
  KernelFailed = 11,      ///< a kernel rejected its arguments at run time
  VersionMismatch = 12,   ///< the file identifier is not ET12
};

/// A short stable name for an error, e.g. "InvalidProgram".
const char* error_name(Error e);

/// Holds either a T or an Error. No exceptions: check ok() before value().
template <typename T>
class Result {
 public:
  Result(T value) : has_value_(true) { new (&storage_.value) T(std::move(value)); }
  Result(Error error) : has_value_(false) {
    storage_.error = error == Error::Ok ? Error::Internal : error;
  }
  Result(Result&& other) : has_value_(other.has_value_) {
    if (has_value_) {
      new (&storage_.value) T(std::move(other.storage_.value));
    } else {
      storage_.error = other.storage_.error;
    }
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result& operator=(Result&&) = delete;
  ~Result() {
    if (has_value_) storage_.value.~T();
  }

  bool ok() const { return has_value_; }
  Error error() const { return has_value_ ? Error::Ok : storage_.error; }
  T& get() { return storage_.value; }
  const T& get() const { return storage_.value; }
  T& operator*() { return storage_.value; }
  T* operator->() { return &storage_.value; }

 private:
  union Storage {
    Storage() {}
    ~Storage() {}
    T value;
    Error error;
  } storage_;
  bool has_value_;
};

}  // namespace ember

/// Return the Error of an expression if it is not Ok.
#define EMBER_TRY(expr)                              \
  do {                                               \
    ::ember::Error ember_try_err_ = (expr);          \
    if (ember_try_err_ != ::ember::Error::Ok) {      \
      return ember_try_err_;                         \
    }                                                \
  } while (0)

/// Check a condition; on failure log the formatted message and return `err`.
#define EMBER_CHECK(cond, err, ...)                              \
  do {                                                           \
    if (!(cond)) {                                               \
      ::ember::platform::log(::ember::platform::LogLevel::Error, \
                             __FILE__, __LINE__, __VA_ARGS__);   \
      return (err);                                              \
    }                                                            \
  } while (0)
