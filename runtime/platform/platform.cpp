// Default POSIX platform layer. Every function but the log-sink setters is a
// weak symbol: a port replaces it by defining the same function elsewhere.
#include "runtime/platform/platform.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace ember {
namespace platform {
namespace {

LogSink g_sink = nullptr;
thread_local bool t_errors_to_sink_only = false;
int g_threshold = -1;  // -1: not yet read from the environment

/// The lowest level printed: EMBER_LOG_LEVEL=debug|info|error|fatal (default error).
LogLevel threshold() {
  int& cached = g_threshold;
  if (cached < 0) {
    const char* env = std::getenv("EMBER_LOG_LEVEL");
    LogLevel level = LogLevel::Error;
    if (env != nullptr) {
      if (std::strcmp(env, "debug") == 0) level = LogLevel::Debug;
      else if (std::strcmp(env, "info") == 0) level = LogLevel::Info;
      else if (std::strcmp(env, "fatal") == 0) level = LogLevel::Fatal;
    }
    cached = static_cast<int>(level);
  }
  return static_cast<LogLevel>(cached);
}

const char* level_letter(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "D";
    case LogLevel::Info: return "I";
    case LogLevel::Error: return "E";
    case LogLevel::Fatal: return "F";
  }
  return "?";
}

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

}  // namespace

__attribute__((weak)) void log(LogLevel level, const char* file, int line, const char* fmt,
                               ...) {
  // A fixed stack buffer: logging must not allocate (it can run in execute()).
  char message[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(message, sizeof(message), fmt, args);
  va_end(args);
  if (g_sink != nullptr) g_sink(level, message);
  const bool swallowed = t_errors_to_sink_only && g_sink != nullptr && level >= LogLevel::Error;
  if (level >= threshold() && !swallowed) {
    std::fprintf(stderr, "[ember %s %s:%d] %s\n", level_letter(level), base_name(file), line,
                 message);
  }
}

__attribute__((weak)) uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

__attribute__((weak)) void abort() { std::abort(); }

void set_log_sink(LogSink sink) { g_sink = sink; }

void set_log_level(LogLevel level) { g_threshold = static_cast<int>(level); }

LogSink get_log_sink() { return g_sink; }

bool set_errors_to_sink_only(bool on) {
  const bool previous = t_errors_to_sink_only;
  t_errors_to_sink_only = on;
  return previous;
}

}  // namespace platform
}  // namespace ember
