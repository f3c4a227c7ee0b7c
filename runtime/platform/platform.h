// The platform layer: logging, a clock and abort. Each function is a weak
// symbol with a default POSIX implementation; a port overrides it by
// defining the same function in its own object file.
#pragma once

#include <cstdint>

namespace ember {
namespace platform {

enum class LogLevel : uint8_t { Debug = 0, Info = 1, Error = 2, Fatal = 3 };

/// printf-style log with the source location. Default: stderr, Error and up
/// only unless EMBER_LOG_LEVEL=debug|info is set in the environment.
void log(LogLevel level, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

/// Override the default log's threshold (otherwise taken from EMBER_LOG_LEVEL).
void set_log_level(LogLevel level);

/// Monotonic time in nanoseconds.
uint64_t now_ns();

/// Stop the process (only for broken invariants inside Ember, never for bad input).
[[noreturn]] void abort();

/// Hook for tests: every log line is also passed here when set (nullptr to unset).
using LogSink = void (*)(LogLevel level, const char* message);
void set_log_sink(LogSink sink);
/// The sink currently set (nullptr if none), so a caller can restore it.
LogSink get_log_sink();

/// While on (per thread), lines at Error level and above go to the sink only
/// and are not printed: the caller reports them itself (Module puts them in
/// the Status it returns, which Python raises), so an error is never both
/// logged and raised. Returns the previous setting.
bool set_errors_to_sink_only(bool on);

}  // namespace platform
}  // namespace ember

#define EMBER_LOG(level, ...) \
  ::ember::platform::log(::ember::platform::LogLevel::level, __FILE__, __LINE__, __VA_ARGS__)
