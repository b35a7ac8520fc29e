// Image preprocessing, exactly as the Custom Vision exported container does it, plus blob packing.
// Pure functions over cv::Mat; thread-safe.
//
//   classification: EXIF-oriented BGR ─▶ long side ≤ 1600 ─▶ centre square ─▶ 256×256 ─▶ centre crop S×S
//   detection:      BGR ─▶ stretch to the network's W×H (boxes stay valid in normalised coordinates)
#pragma once

#include <opencv2/core.hpp>

#include "vision/tf_graph.h"

namespace vigil::vision {

constexpr int kMaxLongSide = 1600;
constexpr int kClassifierResize = 256;

// Largest centred square inside `size`; an odd remainder leaves the extra pixel on the right/bottom.
cv::Rect centre_square(cv::Size size);

// Shrinks so the long side is at most `max_side` (aspect kept, bilinear); returns the input when already small.
cv::Mat limit_long_side(const cv::Mat& image, int max_side);

// The container's classification crop: returns an S×S (net_w × net_h) BGR image.
cv::Mat classification_crop(const cv::Mat& bgr, cv::Size net_size);

struct BlobOptions {
  bool swap_rb = false;      // feed RGB
  float pixel_scale = 1.f;   // multiply 0..255 values first (1/255 for a 0..1 range)
  InputNorm norm;            // then (x - mean) * scale + offset per channel (network channel order)
};

// Packs an already-sized 8-bit 3-channel image into a 1×3×H×W float blob.
cv::Mat to_blob(const cv::Mat& image, const BlobOptions& options);

}  // namespace vigil::vision
