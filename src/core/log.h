// Logging for people: one line per event on stderr, "2026-11-25T12:00:00.123Z INFO  [part] message".
// Level macros do not format below the current level. Thread-safe (one mutex around the write).
// Machines read counters on /metrics instead of parsing these lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <sstream>
#include <string_view>

namespace vigil::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level& out);
void write(Level level, std::string_view part, const std::string& message);

// Also hands every written line (as printed, without the newline) to `sink`, under the log's lock: lines
// reach it in the order they were written. One sink; an empty function removes it. `vigil run` uses it to
// keep a log file per module.
using Sink = std::function<void(std::string_view part, const std::string& message, const std::string& line)>;
void set_sink(Sink sink);

// For a failure that can repeat once per message: the first is logged, then at most one line per `every`, saying
// how many were left out in between. Thread-safe.
class Throttle {
 public:
  explicit Throttle(std::chrono::milliseconds every = std::chrono::seconds(10)) : every_(every) {}
  // True when this one is to be logged; `left_out` is then how many were not since the last logged one.
  bool take(std::uint64_t& left_out);

 private:
  std::mutex mutex_;
  std::chrono::milliseconds every_;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t skipped_ = 0;
  bool any_ = false;
};

}  // namespace vigil::log

#define VIGIL_LOG(lvl, part, expr)                                  \
  do {                                                              \
    if (static_cast<int>(lvl) >= static_cast<int>(::vigil::log::level())) { \
      std::ostringstream vigil_log_os_;                             \
      vigil_log_os_ << expr;                                        \
      ::vigil::log::write(lvl, part, vigil_log_os_.str());          \
    }                                                               \
  } while (0)

#define LOG_DEBUG(part, expr) VIGIL_LOG(::vigil::log::Level::Debug, part, expr)
#define LOG_INFO(part, expr) VIGIL_LOG(::vigil::log::Level::Info, part, expr)
#define LOG_WARN(part, expr) VIGIL_LOG(::vigil::log::Level::Warn, part, expr)
#define LOG_ERROR(part, expr) VIGIL_LOG(::vigil::log::Level::Error, part, expr)
