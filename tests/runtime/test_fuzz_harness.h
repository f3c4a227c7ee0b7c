// The strictness fuzz tests' runner (test_fuzz.cpp: byte mutations;
// test_fuzz_structural.cpp: structural mutations). One variant: loaded from
// an exact-size heap copy, every method loaded into capped caller memory,
// every tensor input set (copied or bound), unplanned outputs bound, one
// execute() with a step limit. Checked: every rejection logs an error line,
// and the program image is never written (not a byte of the heap copy may
// change: constants, delegate blobs, the flatbuffer itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/platform/platform.h"

namespace ember {
namespace testing {

/// The seed files in tests/runtime/data, and a stable random seed per name.
extern const char* const kFuzzSeeds[];
extern const size_t kNumFuzzSeeds;
uint64_t name_seed(const char* name);

/// What became of a variant (its first method that did not run, else Ran).
enum class Outcome { LoadRejected, MethodRejected, ExecuteRejected, Ran };

struct Stats {
  size_t variants = 0, load_rejected = 0, method_rejected = 0, executed = 0, execute_rejected = 0;
  size_t program_writes = 0;  ///< variants that changed the program image
  size_t by_error[16] = {};
  std::vector<std::string> violations;  ///< rejections without a log line
  std::vector<std::string> writes;      ///< what changed the image, per variant (first 100)

  /// A rejection: counted by code; a violation if nothing was logged.
  void rejected(const char* stage, Error e, const std::string& variant);
  /// "load 3, load_method 5, execute 1, ran 2" and the errors, for the log.
  void print(const char* name) const;
};

/// The result of one variant.
struct RunResult {
  Outcome outcome = Outcome::Ran;
  bool wrote = false;  ///< the program image changed
};

/// Run one variant; see the banner. `temp` is the temp allocator's memory.
RunResult run_variant(const std::vector<uint8_t>& bytes, const std::string& variant, Stats* stats,
                      std::vector<uint8_t>& temp);

/// Run each variant over a read-only copy of its image (as a file mapped by
/// the loader is) in a child process, one child after another: a child runs
/// variants until one dies (a write into the image faults), the next child
/// resumes after it. Returns the indices of the variants that died.
std::vector<size_t> run_read_only(const std::vector<std::vector<uint8_t>>& variants);

/// Route error log lines to a counter (and silence them) while alive.
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  platform::LogSink previous_;
};

}  // namespace testing
}  // namespace ember
