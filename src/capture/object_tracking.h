// ObjectTracking: one camera's tracker (track/tracker.h) applied to its predictions. For a detection it gives each
// box of a confirmed track its objectId ("<camera>-<n>"), lists the objects that left at this frame, and writes
// both into the prediction envelope the camera sends (objectId next to boundingBox, "endedObjects"). Classifier
// predictions pass through untouched. Time is the frame's own timestamp. Used by the camera's processing thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "track/tracker.h"
#include "vision/prediction.h"

namespace vigil::capture {

class ObjectTracking {
 public:
  ObjectTracking(std::string camera_id, track::TrackerOptions options)
      : camera_(std::move(camera_id)), tracker_(options) {}

  // Sets object_id on the boxes of confirmed objects and ended_objects on `p`; rewrites `envelope_json` to match
  // (it is left as it is when it does not parse). Returns true when the frame has tracked objects or ended ones.
  bool apply(vision::Prediction& p, std::string& envelope_json, std::chrono::system_clock::time_point frame_time);

 private:
  std::string object_id(std::uint64_t n) const { return camera_ + "-" + std::to_string(n); }

  std::string camera_;
  track::Tracker tracker_;
};

}  // namespace vigil::capture
