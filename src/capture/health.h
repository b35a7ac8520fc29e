// A source's health, as a state machine driven by what the capture loop sees. Pure: the caller passes the
// time, so tests drive it with a fake clock. Every change is reported once (on the `health` output, in
// /metrics and on the preview page).
//
//              first frame                 no new frame (or only the same frozen frame) for stall_s
//  connecting ────────────▶ live ◀────────────────────────────────────────────────▶ stalled
//      │                     │  ▲  a new frame                                          │
//      │ open/read fails     │  │                                                     │ open/read fails
//      └────────────────▶  lost ◀─────────────────────────────────────────────────────┘
//                            (retried with capped exponential back-off; a frame → live)
//  A finite source (file, folder) that does not loop ends in `ended`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <opencv2/core/mat.hpp>

namespace vigil::capture {

enum class Health { Connecting, Live, Stalled, Lost, Ended };
const char* health_name(Health h);

struct HealthChange {
  Health from, to;
  std::string reason;
};

class HealthTracker {
 public:
  using Clock = std::chrono::steady_clock;
  // With detect_frozen, a frame identical to the previous one (same fingerprint) does not count as new.
  HealthTracker(double stall_s, bool detect_frozen, Clock::time_point now);

  std::optional<HealthChange> on_frame(std::uint64_t fingerprint, Clock::time_point now);
  std::optional<HealthChange> on_failure(const std::string& reason, Clock::time_point now);
  std::optional<HealthChange> on_end(Clock::time_point now);
  std::optional<HealthChange> on_tick(Clock::time_point now);

  Health state() const { return state_; }
  Clock::time_point since() const { return since_; }
  const std::string& reason() const { return reason_; }

 private:
  std::optional<HealthChange> move(Health to, std::string reason, Clock::time_point now);

  std::chrono::duration<double> stall_;
  bool detect_frozen_;
  Health state_ = Health::Connecting;
  Clock::time_point since_, last_new_frame_;
  std::optional<std::uint64_t> last_fingerprint_;
  bool repeating_ = false;
  std::string reason_;
};

// The supervisor's view: a source stalled or lost for `limit_s` or more is unhealthy (connecting, live and ended
// are not: a camera that never connected is retried by its own back-off and reported as lost after its first
// failure).
bool down_too_long(Health state, std::chrono::steady_clock::duration in_state, double limit_s);

// Reconnect delays: initial × 2^attempt, capped (0.5 s, 1 s, 2 s … max).
class Backoff {
 public:
  Backoff(double initial_s, double max_s) : initial_s_(initial_s), max_s_(max_s) {}
  double next_delay_s();
  void reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  double initial_s_, max_s_;
  int attempt_ = 0;
};

// A cheap fingerprint of a frame's pixels (FNV-1a over a sample of its rows), to spot frozen streams.
std::uint64_t frame_fingerprint(const cv::Mat& frame);

}  // namespace vigil::capture
