// Draws a prediction onto a frame for people to look at (the preview page, alert snapshots): a box with
// its tag, object number (#17 for driveway-17) and probability for each detection at or above `min_probability`, or the top tags of a
// classification in the top-left corner, and an optional caption line along the bottom.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "vision/overlay.h"
#include "vision/prediction.h"

namespace vigil::vision {

void draw_prediction(cv::Mat& bgr, const Prediction& p, float min_probability = 0.4f, int max_tags = 3);

// The alert rules' zones and lines (overlay.h), under the boxes.
void draw_overlay(cv::Mat& bgr, const Overlay& overlay);
void draw_caption(cv::Mat& bgr, const std::string& text);

}  // namespace vigil::vision
