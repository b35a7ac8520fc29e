#include "capture/health.h"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>

namespace vigil::capture {

const char* health_name(Health h) {
  switch (h) {
    case Health::Connecting: return "connecting";
    case Health::Live: return "live";
    case Health::Stalled: return "stalled";
    case Health::Lost: return "lost";
    case Health::Ended: return "ended";
  }
  return "?";
}

bool down_too_long(Health state, std::chrono::steady_clock::duration in_state, double limit_s) {
  if (state != Health::Stalled && state != Health::Lost) return false;
  return std::chrono::duration<double>(in_state).count() >= limit_s;
}

HealthTracker::HealthTracker(double stall_s, bool detect_frozen, Clock::time_point now)
    : stall_(stall_s), detect_frozen_(detect_frozen), since_(now), last_new_frame_(now) {}

std::optional<HealthChange> HealthTracker::move(Health to, std::string reason, Clock::time_point now) {
  if (to == state_) return std::nullopt;
  HealthChange change{state_, to, reason};
  state_ = to;
  since_ = now;
  reason_ = std::move(reason);
  return change;
}

std::optional<HealthChange> HealthTracker::on_frame(std::uint64_t fingerprint, Clock::time_point now) {
  if (state_ == Health::Ended) return std::nullopt;
  const bool repeated = detect_frozen_ && last_fingerprint_ && *last_fingerprint_ == fingerprint;
  last_fingerprint_ = fingerprint;
  repeating_ = repeated;
  if (repeated && state_ != Health::Lost && state_ != Health::Connecting) return on_tick(now);
  last_new_frame_ = now;
  return move(Health::Live, "frames arriving", now);
}

std::optional<HealthChange> HealthTracker::on_failure(const std::string& reason, Clock::time_point now) {
  if (state_ == Health::Ended) return std::nullopt;
  last_fingerprint_.reset();
  if (state_ == Health::Lost) {
    reason_ = reason;  // keep the latest cause, report no new change
    return std::nullopt;
  }
  return move(Health::Lost, reason, now);
}

std::optional<HealthChange> HealthTracker::on_end(Clock::time_point now) {
  return move(Health::Ended, "end of the video (LOOP_VIDEO is off)", now);
}

std::optional<HealthChange> HealthTracker::on_tick(Clock::time_point now) {
  if (state_ == Health::Live && now - last_new_frame_ >= stall_) {
    const auto secs = std::chrono::duration<double>(now - last_new_frame_).count();
    return move(Health::Stalled,
                (repeating_ ? "the same frame repeated for " : "no new frame for ") + std::to_string(std::lround(secs)) + " s",
                now);
  }
  return std::nullopt;
}

double Backoff::next_delay_s() {
  const double d = std::min(max_s_, initial_s_ * std::pow(2.0, std::min(attempt_, 30)));
  ++attempt_;
  return d;
}

std::uint64_t frame_fingerprint(const cv::Mat& frame) {
  std::uint64_t h = 1469598103934665603ULL;
  if (frame.empty()) return h;
  const int step = std::max(1, frame.rows / 32);
  const std::size_t row_bytes = static_cast<std::size_t>(frame.cols) * frame.elemSize();
  for (int r = 0; r < frame.rows; r += step) {
    const unsigned char* p = frame.ptr<unsigned char>(r);
    for (std::size_t i = 0; i < row_bytes; ++i) {
      h ^= p[i];
      h *= 1099511628211ULL;
    }
  }
  return h;
}

}  // namespace vigil::capture
