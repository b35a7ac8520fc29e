// CaptureLoop: the thread that owns a FrameSource. It opens the source, reads frames as they come,
// reconnects with capped exponential back-off when the source fails, tracks its health, and keeps only the
// newest frame for the consumer (a frame replaced before it was taken counts as dropped). Nothing queues.
// For finite sources (files, folders) in realtime mode it plays at the file's own rate; with realtime off
// it hands over every frame and waits for the consumer instead (lossless replay and benchmarks).
//
// Threads: start() spawns the capture thread; next() is called by one consumer thread; health changes are
// reported through the callback on whichever of the two saw them, one at a time, in order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <opencv2/core.hpp>

#include "capture/frame_source.h"
#include "capture/health.h"

namespace vigil::capture {

// A frame's time: for live sources (devices, streams) when it arrived; for files and folders the time of the
// first frame plus its place in the file (its own timestamp when the source has one, else number / the file's
// frame rate), so that every decision taken on frame
// times (MAX_FPS, the motion gate, tracking, the alert rules) is the same whether the file is read at its own
// rate or as fast as possible.
struct Frame {
  cv::Mat image;  // BGR
  std::uint64_t number = 0;  // 1, 2, … since start
  std::chrono::system_clock::time_point captured;
  std::chrono::steady_clock::time_point captured_steady;
  double media_t = std::numeric_limits<double>::quiet_NaN();  // the source's media clock (FrameSource::media_time)
};

struct CaptureOptions {
  SourceKind kind = SourceKind::File;
  bool realtime = true;
  double stall_s = 5;
  double reconnect_initial_s = 0.5;
  double reconnect_max_s = 30;
};

struct HealthSnapshot {
  Health state = Health::Connecting;
  std::string reason;
  std::chrono::steady_clock::time_point since;
};

class CaptureLoop {
 public:
  using HealthCallback = std::function<void(const HealthChange&)>;
  CaptureLoop(std::unique_ptr<FrameSource> source, CaptureOptions options, HealthCallback on_health);
  ~CaptureLoop();  // stops the thread
  CaptureLoop(const CaptureLoop&) = delete;
  CaptureLoop& operator=(const CaptureLoop&) = delete;

  // Before start(): the source's packets for clips (FrameSource::set_packet_sink); false when it has none.
  bool set_packet_sink(VideoReader::PacketSink sink) { return source_->set_packet_sink(std::move(sink)); }
  void start();
  void stop();  // any thread; interrupts back-off waits (a blocking read ends at its own timeout)

  // The newest frame with number > after, waiting up to `timeout`. nullopt on timeout, when stopped, or
  // when a finite source has ended (then ended() is true).
  std::optional<Frame> next(std::uint64_t after, std::chrono::milliseconds timeout);
  bool ended() const { return ended_.load(); }

  HealthSnapshot health() const;
  std::uint64_t captured() const { return captured_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t reconnects() const { return reconnects_.load(); }

 private:
  void run();
  void publish(cv::Mat image, double media_t);
  void stamp(Frame& f);  // the frame's time (see Frame)
  bool sleep_for(double seconds);  // false when stopped meanwhile
  void report(std::optional<HealthChange> change);

  std::unique_ptr<FrameSource> source_;
  CaptureOptions options_;
  HealthCallback on_health_;
  std::thread thread_;

  mutable std::mutex mutex_;  // guards slot_, taken_, stopping_
  std::condition_variable changed_;
  std::optional<Frame> slot_;
  std::chrono::system_clock::time_point origin_wall_;   // a file's first frame (capture thread, under mutex_)
  std::chrono::steady_clock::time_point origin_steady_;
  double origin_media_ = 0;
  bool taken_ = true;
  bool stopping_ = false;

  mutable std::mutex health_mutex_;
  HealthTracker tracker_;

  std::atomic<bool> ended_{false};
  std::atomic<std::uint64_t> captured_{0}, dropped_{0}, reconnects_{0};
};

}  // namespace vigil::capture
