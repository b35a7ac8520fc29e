#include "capture/frame_store.h"

namespace vigil::capture {

void FrameStore::put(const std::string& camera, std::uint64_t frame, cv::Mat image) {
  std::lock_guard lock(mutex_);
  auto& q = frames_[camera];
  q.emplace_back(frame, std::move(image));
  while (q.size() > per_camera_) q.pop_front();
}

std::optional<cv::Mat> FrameStore::get(const std::string& camera, std::uint64_t frame) const {
  std::lock_guard lock(mutex_);
  auto it = frames_.find(camera);
  if (it == frames_.end()) return std::nullopt;
  for (auto f = it->second.rbegin(); f != it->second.rend(); ++f)
    if (f->first == frame) return f->second;
  return std::nullopt;
}

}  // namespace vigil::capture
