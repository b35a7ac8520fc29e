// The exception boundary of a thread: a bug (an exception nobody expected) ends the work of one part, logged with
// the part's name and counted, never the process. Expected failures are Results; this is for the rest.
//
//   thread entry ─▶ guarded("camera", "front", [&] { loop(); }) ─▶ false: the part failed (its owner restarts it)
#pragma once

#include <atomic>
#include <exception>
#include <string>

#include "core/log.h"

namespace vigil {

// Bugs caught by a boundary since start (for tests and status).
inline std::atomic<unsigned long>& guard_failures() {
  static std::atomic<unsigned long> n{0};
  return n;
}

// Runs `work`; true when it returned, false when it threw (logged as an ERROR of `part` about `who`).
template <typename Work>
bool guarded(const char* part, const std::string& who, Work&& work) noexcept {
  try {
    work();
    return true;
  } catch (const std::exception& e) {
    LOG_ERROR(part, "[" << who << "] stopped by an unexpected error: " << e.what());
  } catch (...) {
    LOG_ERROR(part, "[" << who << "] stopped by an unexpected error");
  }
  guard_failures().fetch_add(1);
  return false;
}

}  // namespace vigil
