#include "capture/motion_gate.h"

#include <opencv2/imgproc.hpp>

namespace vigil::capture {

double changed_fraction(const cv::Mat& small_gray, const cv::Mat& background, int step) {
  cv::Mat bg8, diff;
  background.convertTo(bg8, CV_8U);
  cv::absdiff(small_gray, bg8, diff);
  const int changed = cv::countNonZero(diff > step);
  return static_cast<double>(changed) / static_cast<double>(small_gray.total());
}

MotionVerdict MotionGate::decide(const MotionOptions& o, bool first, double fraction, double since_motion_s,
                                 double since_inference_s) {
  if (first) return {true, fraction, "first frame"};
  if (fraction >= o.threshold) return {true, fraction, "motion"};
  if (since_motion_s < o.hold_s) return {true, fraction, "hold"};
  if (since_inference_s >= o.recheck_s) return {true, fraction, "recheck"};
  return {false, fraction, "static"};
}

MotionVerdict MotionGate::check(const cv::Mat& bgr, Clock::time_point now) {
  cv::Mat gray, small;
  if (bgr.channels() == 3) cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  else gray = bgr;
  const double scale = 160.0 / std::max(1, gray.cols);
  cv::resize(gray, small, cv::Size(), std::min(1.0, scale), std::min(1.0, scale), cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(5, 5), 0);

  const bool first = background_.empty() || background_.size() != small.size();
  double fraction = 1.0;
  if (first) small.convertTo(background_, CV_32F);
  else fraction = changed_fraction(small, background_, options_.pixel_step);

  const auto secs = [&](Clock::time_point t) { return std::chrono::duration<double>(now - t).count(); };
  MotionVerdict v = decide(options_, first, fraction, secs(last_motion_), secs(last_inference_));
  if (!first) cv::accumulateWeighted(small, background_, options_.learning_rate);
  if (first || fraction >= options_.threshold) last_motion_ = now;
  if (v.infer) last_inference_ = now;
  return v;
}

}  // namespace vigil::capture
