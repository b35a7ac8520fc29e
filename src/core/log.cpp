#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "core/time_util.h"

namespace vigil::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::mutex g_mutex;
Sink g_sink;

const char* name(Level l) {
  switch (l) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO ";
    case Level::Warn: return "WARN ";
    case Level::Error: return "ERROR";
    case Level::Off: return "OFF  ";
  }
  return "?";
}
}  // namespace

void set_level(Level l) { g_level.store(l); }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view t, Level& out) {
  if (t == "debug") out = Level::Debug;
  else if (t == "info") out = Level::Info;
  else if (t == "warn" || t == "warning") out = Level::Warn;
  else if (t == "error") out = Level::Error;
  else if (t == "off") out = Level::Off;
  else return false;
  return true;
}

void write(Level l, std::string_view part, const std::string& message) {
  const std::string stamp = format_utc_iso(std::chrono::system_clock::now(), 3) + "Z";
  std::string line = stamp + " " + name(l) + " [" + std::string(part) + "] " + message;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  if (g_sink) g_sink(part, message, line);
}

void set_sink(Sink sink) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_sink = std::move(sink);
}

bool Throttle::take(std::uint64_t& left_out) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (any_ && now - last_ < every_) {
    ++skipped_;
    return false;
  }
  any_ = true;
  last_ = now;
  left_out = skipped_;
  skipped_ = 0;
  return true;
}

}  // namespace vigil::log
