// CameraView: what a person can see of one camera — the newest annotated frame, the camera's status, and
// its recent events — shared between the camera's processing thread (writer) and the preview server's
// request threads (readers). Frames are JPEG-encoded lazily, once per frame, only when someone asks.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace vigil::http {

struct Jpeg {
  std::uint64_t sequence = 0;  // 0: no frame yet
  std::shared_ptr<const std::string> bytes;
};

class CameraView {
 public:
  explicit CameraView(std::string camera_id) : id_(std::move(camera_id)) {}
  const std::string& id() const { return id_; }

  void publish(cv::Mat annotated);
  void set_status(nlohmann::json status);
  void add_event(nlohmann::json event);  // detections and alerts, newest first, the last 20 kept

  Jpeg latest_jpeg();
  // The first frame with sequence > after, waiting up to `timeout`; {0, null} on timeout or close().
  Jpeg wait_jpeg(std::uint64_t after, std::chrono::milliseconds timeout);
  nlohmann::json status() const;  // the status with "events" added
  void close();                   // wakes waiters for good (the camera stopped)
  bool closed() const;

 private:
  Jpeg encode_locked();

  const std::string id_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  cv::Mat frame_;
  std::uint64_t sequence_ = 0;
  Jpeg cached_;
  nlohmann::json status_ = nlohmann::json::object();
  std::deque<nlohmann::json> events_;
  bool closed_ = false;
};

}  // namespace vigil::http
