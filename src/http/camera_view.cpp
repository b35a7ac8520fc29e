#include "http/camera_view.h"

#include "vision/image_io.h"

namespace vigil::http {

void CameraView::publish(cv::Mat annotated) {
  {
    std::lock_guard lock(mutex_);
    frame_ = std::move(annotated);
    ++sequence_;
  }
  changed_.notify_all();
}

void CameraView::set_status(nlohmann::json status) {
  std::lock_guard lock(mutex_);
  status_ = std::move(status);
}

void CameraView::add_event(nlohmann::json event) {
  std::lock_guard lock(mutex_);
  events_.push_front(std::move(event));
  if (events_.size() > 20) events_.pop_back();
}

Jpeg CameraView::encode_locked() {
  if (sequence_ == 0) return {};
  if (cached_.sequence != sequence_) {
    auto jpeg = vision::encode_jpeg(frame_, 80);
    cached_ = {sequence_, std::make_shared<const std::string>(jpeg ? std::move(*jpeg) : std::string())};
  }
  return cached_;
}

Jpeg CameraView::latest_jpeg() {
  std::lock_guard lock(mutex_);
  return encode_locked();
}

Jpeg CameraView::wait_jpeg(std::uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return closed_ || sequence_ > after; }) || closed_) return {};
  return encode_locked();
}

nlohmann::json CameraView::status() const {
  std::lock_guard lock(mutex_);
  nlohmann::json s = status_;
  s["camera"] = id_;
  s["events"] = nlohmann::json::array();
  for (const auto& e : events_) s["events"].push_back(e);
  s["frame_sequence"] = sequence_;
  return s;
}

bool CameraView::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void CameraView::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

}  // namespace vigil::http
