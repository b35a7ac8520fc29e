// MotionGate: decides whether a frame is worth a forward pass. It keeps a running-average background of a
// small grayscale copy of the frames (about 160 px wide, blurred) and measures the fraction of pixels that
// differ from it by more than a fixed step. A frame goes to the model when that fraction reaches the
// threshold, for `hold_s` after motion (objects that stop are still seen), at least every `recheck_s` on a
// static scene, and always for the first frame. Used by one thread; the clock is passed in.
#pragma once

#include <chrono>

#include <opencv2/core.hpp>

namespace vigil::capture {

struct MotionOptions {
  double threshold = 0.002;  // fraction of pixels
  double recheck_s = 5;
  double hold_s = 1;
  int pixel_step = 25;       // grey-level difference that counts as a changed pixel
  double learning_rate = 0.05;
};

struct MotionVerdict {
  bool infer = true;
  double changed_fraction = 0;
  const char* reason = "";  // "first frame", "motion", "hold", "recheck", "static"
};

class MotionGate {
 public:
  using Clock = std::chrono::steady_clock;
  explicit MotionGate(MotionOptions options) : options_(options) {}
  MotionVerdict check(const cv::Mat& bgr, Clock::time_point now);

  // The pure decision, given the measured fraction.
  static MotionVerdict decide(const MotionOptions& o, bool first, double fraction, double since_motion_s,
                              double since_inference_s);

 private:
  MotionOptions options_;
  cv::Mat background_;  // CV_32F
  Clock::time_point last_motion_{}, last_inference_{};
};

// The fraction of pixels of `small_gray` (CV_8U) that differ from `background` (CV_32F) by more than `step`.
double changed_fraction(const cv::Mat& small_gray, const cv::Mat& background, int step);

}  // namespace vigil::capture
