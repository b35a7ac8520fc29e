// Alert snapshots: the frame behind an alert with its boxes drawn, saved as snapshots/{alert id}.jpg in the state
// folder (the newest 1000 are kept). Where the frame comes from is the caller's business: the in-process frame
// store (vigil run), or, with --isolate, the camera's own process, asked over the module link ("frame" calls,
// answered by serve_frames from the camera's frame store).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "capture/frame_store.h"
#include "core/message.h"
#include "hub/module_link.h"
#include "vision/annotate.h"
#include "vision/prediction.h"

namespace vigil::deploy {

// The camera and frame a prediction came from (its properties camera and frameNumber); nullopt when it has none.
struct FrameRef {
  std::string camera;
  std::uint64_t number = 0;
};
std::optional<FrameRef> frame_of(const Message& prediction);

class SnapshotFolder {
 public:
  explicit SnapshotFolder(std::string dir, std::size_t keep = 1000) : dir_(std::move(dir)), keep_(keep) {}
  // The path written, or "" (with a warning) when it could not be written. Thread-safe.
  std::string save(const cv::Mat& frame, const vision::Prediction& p, const vision::Overlay& overlay, const std::string& alert_id);

 private:
  std::string dir_;
  std::size_t keep_;
  std::mutex mutex_;
  std::deque<std::string> files_;  // oldest first
};

// Camera process: answers "frame" calls ({"camera", "frame"}) with the JPEG of that frame, or "" when it is no longer
// held. Alert process: asks the module that sent `prediction` for its frame; nullopt when it did not answer in time.
void serve_frames(hub::ModuleLink& link, const capture::FrameStore& frames);
std::optional<cv::Mat> fetch_frame(hub::ModuleLink& link, const Message& prediction);

}  // namespace vigil::deploy
