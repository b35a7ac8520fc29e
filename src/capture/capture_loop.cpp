#include "capture/capture_loop.h"

#include <cmath>

#include "core/guard.h"
#include "core/log.h"

namespace vigil::capture {

using Clock = std::chrono::steady_clock;

CaptureLoop::CaptureLoop(std::unique_ptr<FrameSource> source, CaptureOptions options, HealthCallback on_health)
    : source_(std::move(source)),
      options_(options),
      on_health_(std::move(on_health)),
      tracker_(options.stall_s, is_live(options.kind), Clock::now()) {}

CaptureLoop::~CaptureLoop() { stop(); }

void CaptureLoop::start() {
  thread_ = std::thread([this] {
    if (!guarded("camera", "capture", [this] { run(); })) {  // a bug in a source: the camera ends, and is restarted
      source_->close();
      ended_.store(true);
      changed_.notify_all();
    }
  });
}

void CaptureLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CaptureLoop::report(std::optional<HealthChange> change) {
  if (change && on_health_) on_health_(*change);
}

HealthSnapshot CaptureLoop::health() const {
  std::lock_guard lock(health_mutex_);
  return {tracker_.state(), tracker_.reason(), tracker_.since()};
}

bool CaptureLoop::sleep_for(double seconds) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stopping_; });
}

void CaptureLoop::stamp(Frame& f) {
  const auto wall = std::chrono::system_clock::now();
  const auto steady = Clock::now();
  const double fps = is_live(options_.kind) ? 0 : source_->native_fps();
  if (fps <= 0) {  // a live source: the frame's time is when it arrived
    f.captured = wall;
    f.captured_steady = steady;
    return;
  }
  // A file or folder: its own timeline, from when its first frame was read, however fast it is read.
  const bool timed = !std::isnan(f.media_t);
  if (f.number == 1) {
    origin_wall_ = wall;
    origin_steady_ = steady;
    origin_media_ = timed ? f.media_t : 0;
  }
  const auto offset = std::chrono::duration<double>(timed ? f.media_t - origin_media_ : static_cast<double>(f.number - 1) / fps);
  f.captured = origin_wall_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(offset);
  f.captured_steady = origin_steady_ + std::chrono::duration_cast<Clock::duration>(offset);
}

void CaptureLoop::publish(cv::Mat image, double media_t) {
  const bool lossless = !is_live(options_.kind) && !options_.realtime;
  std::unique_lock lock(mutex_);
  if (lossless) changed_.wait(lock, [this] { return taken_ || stopping_; });
  if (stopping_) return;
  if (!taken_) dropped_.fetch_add(1);
  Frame f;
  f.image = std::move(image);
  f.number = captured_.fetch_add(1) + 1;
  f.media_t = media_t;
  stamp(f);
  slot_ = std::move(f);
  taken_ = false;
  lock.unlock();
  changed_.notify_all();
}

void CaptureLoop::run() {
  Backoff backoff(options_.reconnect_initial_s, options_.reconnect_max_s);
  const bool paced = !is_live(options_.kind) && options_.realtime;
  bool open = false;
  Clock::time_point next_due = Clock::now();
  auto fail = [&](const std::string& why) {
    {
      std::lock_guard lock(health_mutex_);
      report(tracker_.on_failure(why, Clock::now()));
    }
    source_->close();
    open = false;
    const double delay = backoff.next_delay_s();
    LOG_DEBUG("camera", why << "; retrying in " << delay << " s");
    return sleep_for(delay);
  };
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    if (!open) {
      if (auto s = source_->open(); !s) {
        if (!fail(s.error().message)) break;
        continue;
      }
      if (backoff.attempt() > 0) reconnects_.fetch_add(1);
      open = true;
      next_due = Clock::now();
    }
    auto frame = source_->read();
    if (!frame) {
      if (!fail(frame.error().message)) break;
      continue;
    }
    if (frame->empty()) {
      std::lock_guard lock(health_mutex_);
      report(tracker_.on_end(Clock::now()));
      break;
    }
    backoff.reset();
    {
      const auto fingerprint = is_live(options_.kind) ? frame_fingerprint(*frame) : captured_.load();
      std::lock_guard lock(health_mutex_);
      report(tracker_.on_frame(fingerprint, Clock::now()));
    }
    publish(std::move(*frame), source_->media_time());
    if (paced && source_->native_fps() > 0) {
      next_due += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / source_->native_fps()));
      const auto now = Clock::now();
      if (next_due < now - std::chrono::seconds(1)) next_due = now;  // fell far behind: do not burst
      if (next_due > now && !sleep_for(std::chrono::duration<double>(next_due - now).count())) break;
    }
  }
  source_->close();
  ended_.store(true);
  changed_.notify_all();
}

std::optional<Frame> CaptureLoop::next(std::uint64_t after, std::chrono::milliseconds timeout) {
  {
    std::unique_lock lock(mutex_);
    const bool got = changed_.wait_for(lock, timeout, [&] {
      return stopping_ || ended_.load() || (slot_ && !taken_ && slot_->number > after);
    });
    if (got && slot_ && !taken_ && slot_->number > after) {
      taken_ = true;
      Frame f = *slot_;  // shares the pixels; the capture thread replaces, never writes into, a published Mat
      lock.unlock();
      changed_.notify_all();
      return f;
    }
  }
  std::lock_guard lock(health_mutex_);
  report(tracker_.on_tick(Clock::now()));
  return std::nullopt;
}

}  // namespace vigil::capture
