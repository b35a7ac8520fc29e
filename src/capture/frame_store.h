// FrameStore: the last few frames each camera sent a prediction for, by (camera, frame number), so an alert
// decided later on another thread can show the frame that triggered it (an alert snapshot). Frames are shared,
// not copied: the capture thread never writes into a frame it handed out. Thread-safe; bounded per camera.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <opencv2/core.hpp>

namespace vigil::capture {

class FrameStore {
 public:
  explicit FrameStore(std::size_t per_camera = 8) : per_camera_(per_camera) {}
  void put(const std::string& camera, std::uint64_t frame, cv::Mat image);
  std::optional<cv::Mat> get(const std::string& camera, std::uint64_t frame) const;

 private:
  std::size_t per_camera_;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<std::pair<std::uint64_t, cv::Mat>>> frames_;
};

}  // namespace vigil::capture
