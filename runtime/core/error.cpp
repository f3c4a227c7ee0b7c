// Names of the runtime's error codes, for logs and the Python binding.
#include "runtime/core/error.h"

namespace ember {

const char* error_name(Error e) {
  switch (e) {
    case Error::Ok: return "Ok";
    case Error::Internal: return "Internal";
    case Error::InvalidArgument: return "InvalidArgument";
    case Error::InvalidProgram: return "InvalidProgram";
    case Error::InvalidState: return "InvalidState";
    case Error::NotSupported: return "NotSupported";
    case Error::NotFound: return "NotFound";
    case Error::MemoryAllocationFailed: return "MemoryAllocationFailed";
    case Error::AccessFailed: return "AccessFailed";
    case Error::OperatorMissing: return "OperatorMissing";
    case Error::DelegateInvalidHandle: return "DelegateInvalidHandle";
    case Error::KernelFailed: return "KernelFailed";
    case Error::VersionMismatch: return "VersionMismatch";
  }
  return "Unknown";
}

}  // namespace ember
