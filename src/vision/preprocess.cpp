#include "vision/preprocess.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace vigil::vision {

cv::Rect centre_square(cv::Size size) {
  const int side = std::min(size.width, size.height);
  return {(size.width - side) / 2, (size.height - side) / 2, side, side};
}

cv::Mat limit_long_side(const cv::Mat& image, int max_side) {
  const int long_side = std::max(image.cols, image.rows);
  if (long_side <= max_side) return image;
  const double s = static_cast<double>(max_side) / long_side;
  cv::Mat out;
  cv::resize(image, out, cv::Size(static_cast<int>(image.cols * s), static_cast<int>(image.rows * s)), 0, 0,
             cv::INTER_LINEAR);
  return out;
}

cv::Mat classification_crop(const cv::Mat& bgr, cv::Size net) {
  cv::Mat limited = limit_long_side(bgr, kMaxLongSide);
  cv::Mat square = limited(centre_square(limited.size()));
  if (net.width > kClassifierResize || net.height > kClassifierResize) {
    cv::Mat out;
    cv::resize(square, out, net, 0, 0, cv::INTER_LINEAR);
    return out;
  }
  cv::Mat resized;
  cv::resize(square, resized, cv::Size(kClassifierResize, kClassifierResize), 0, 0, cv::INTER_LINEAR);
  const int x = (kClassifierResize - net.width) / 2;
  const int y = (kClassifierResize - net.height) / 2;
  return resized(cv::Rect(x, y, net.width, net.height)).clone();
}

cv::Mat to_blob(const cv::Mat& image, const BlobOptions& o) {
  CV_Assert(image.type() == CV_8UC3);
  const int h = image.rows, w = image.cols;
  const int dims[4] = {1, 3, h, w};
  cv::Mat blob(4, dims, CV_32F);
  float a[3], b[3];  // y = x * a + b per network channel
  for (int c = 0; c < 3; ++c) {
    a[c] = o.pixel_scale * o.norm.scale[c];
    b[c] = o.norm.offset[c] - o.norm.mean[c] * o.norm.scale[c];
  }
  float* planes[3];
  for (int c = 0; c < 3; ++c) planes[c] = blob.ptr<float>(0, c);
  for (int y = 0; y < h; ++y) {
    const auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x) {
      const cv::Vec3b& px = row[x];
      for (int c = 0; c < 3; ++c) {
        const int src = o.swap_rb ? 2 - c : c;
        planes[c][y * w + x] = static_cast<float>(px[src]) * a[c] + b[c];
      }
    }
  }
  return blob;
}

}  // namespace vigil::vision
