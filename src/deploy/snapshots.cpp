#include "deploy/snapshots.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "vision/annotate.h"
#include "vision/image_io.h"

namespace vigil::deploy {

std::optional<FrameRef> frame_of(const Message& prediction) {
  auto cam = prediction.properties.find("camera");
  auto num = prediction.properties.find("frameNumber");
  if (cam == prediction.properties.end() || num == prediction.properties.end()) return std::nullopt;
  try {
    return FrameRef{cam->second, std::stoull(num->second)};
  } catch (...) {
    return std::nullopt;
  }
}

std::string SnapshotFolder::save(const cv::Mat& frame, const vision::Prediction& p, const vision::Overlay& overlay,
                                 const std::string& alert_id) {
  cv::Mat shown = frame.clone();
  vision::draw_overlay(shown, overlay);
  vision::draw_prediction(shown, p);
  const std::string path = dir_ + "/" + alert_id + ".jpg";
  if (auto s = vision::write_jpeg(path, shown, 85); !s) {
    LOG_WARN("alert", "cannot write the snapshot " << path << ": " << s.error().message);
    return "";
  }
  std::lock_guard lock(mutex_);
  files_.push_back(path);
  std::error_code ec;
  while (files_.size() > keep_) {
    std::filesystem::remove(files_.front(), ec);
    files_.pop_front();
  }
  return path;
}

void serve_frames(hub::ModuleLink& link, const capture::FrameStore& frames) {
  link.serve("frame", [&frames](const std::string& request) -> std::string {
    const auto q = nlohmann::json::parse(request, nullptr, false);
    if (!q.is_object() || !q.contains("camera") || !q["camera"].is_string() || !q.contains("frame") ||
        !q["frame"].is_number_unsigned())
      return "";
    auto frame = frames.get(q["camera"].get<std::string>(), q["frame"].get<std::uint64_t>());
    if (!frame) return std::string();
    auto jpeg = vision::encode_jpeg(*frame, 95);
    return jpeg ? *jpeg : std::string();
  });
}

std::optional<cv::Mat> fetch_frame(hub::ModuleLink& link, const Message& prediction) {
  auto ref = frame_of(prediction);
  const std::string& from = prediction.system.connection_module_id;
  if (!ref || from.empty()) return std::nullopt;
  auto jpeg = link.call(from, "frame", nlohmann::json{{"camera", ref->camera}, {"frame", ref->number}}.dump(),
                        std::chrono::milliseconds(2000));
  if (!jpeg) {
    LOG_WARN("alert", "no snapshot: " << jpeg.error().message);
    return std::nullopt;
  }
  if (jpeg->empty()) return std::nullopt;  // the camera no longer holds that frame
  auto image = vision::decode_image(*jpeg);
  if (!image) return std::nullopt;
  return *image;
}

}  // namespace vigil::deploy
