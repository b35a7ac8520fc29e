#include "vision/annotate.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgproc.hpp>

namespace vigil::vision {
namespace {

// A colour per label index, spread around the hue circle, bright enough on video.
cv::Scalar colour_for(int index) {
  static const cv::Scalar palette[] = {{60, 200, 60},  {40, 140, 255}, {255, 160, 40}, {200, 60, 220},
                                       {40, 220, 220}, {80, 80, 240},  {220, 220, 60}, {160, 100, 40}};
  return palette[static_cast<unsigned>(index) % 8];
}

void label(cv::Mat& img, const std::string& text, cv::Point at, const cv::Scalar& bg, double scale) {
  int base = 0;
  const auto size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base);
  cv::Point tl(std::clamp(at.x, 0, std::max(0, img.cols - size.width - 4)),
               std::clamp(at.y - size.height - base - 4, 0, std::max(0, img.rows - size.height - base - 4)));
  cv::rectangle(img, tl, tl + cv::Point(size.width + 4, size.height + base + 4), bg, cv::FILLED);
  cv::putText(img, text, tl + cv::Point(2, size.height + 2), cv::FONT_HERSHEY_SIMPLEX, scale, {0, 0, 0}, 1,
              cv::LINE_AA);
}

std::string tag_text(const TagScore& t) {
  char buf[128];
  const auto dash = t.object_id.rfind('-');
  const std::string id = t.object_id.empty() ? "" : " #" + t.object_id.substr(dash == std::string::npos ? 0 : dash + 1);
  std::snprintf(buf, sizeof buf, "%s%s %.0f%%", t.tag.c_str(), id.c_str(), t.probability * 100.0);
  return buf;
}

}  // namespace

void draw_prediction(cv::Mat& img, const Prediction& p, float min_probability, int max_tags) {
  const double scale = std::max(0.4, img.cols / 1200.0);
  if (p.task == Task::Detection) {
    for (const auto& t : p.tags) {
      if (!t.box || t.probability < min_probability) continue;
      const cv::Rect r(cv::Point(static_cast<int>(t.box->left * img.cols), static_cast<int>(t.box->top * img.rows)),
                       cv::Point(static_cast<int>((t.box->left + t.box->width) * img.cols),
                                 static_cast<int>((t.box->top + t.box->height) * img.rows)));
      cv::rectangle(img, r, colour_for(t.index), std::max(1, img.cols / 320), cv::LINE_AA);
      label(img, tag_text(t), r.tl(), colour_for(t.index), scale);
    }
    return;
  }
  std::vector<const TagScore*> order;
  for (const auto& t : p.tags) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->probability > b->probability; });
  int y = 0;
  for (int i = 0; i < static_cast<int>(order.size()) && i < max_tags; ++i) {
    y += static_cast<int>(28 * scale / 0.5);
    label(img, tag_text(*order[i]), {4, y}, colour_for(order[i]->index), scale);
  }
}

void draw_overlay(cv::Mat& img, const Overlay& overlay) {
  const double scale = std::max(0.4, img.cols / 1400.0);
  const int thickness = std::max(1, img.cols / 400);
  for (const auto& s : overlay) {
    std::vector<cv::Point> pts;
    for (const auto& [x, y] : s.points)
      pts.emplace_back(static_cast<int>(x * static_cast<float>(img.cols)), static_cast<int>(y * static_cast<float>(img.rows)));
    if (pts.size() < 2) continue;
    const cv::Scalar colour = s.closed ? cv::Scalar(255, 200, 0) : cv::Scalar(0, 200, 255);
    cv::polylines(img, pts, s.closed, colour, thickness, cv::LINE_AA);
    if (!s.closed) cv::arrowedLine(img, pts[pts.size() - 2], pts.back(), colour, thickness, cv::LINE_AA, 0, 0.05);
    if (!s.name.empty()) label(img, s.name, pts.front() + cv::Point(2, 0), colour, scale);
  }
}

void draw_caption(cv::Mat& img, const std::string& text) {
  label(img, text, {0, img.rows}, {230, 230, 230}, std::max(0.4, img.cols / 1400.0));
}

}  // namespace vigil::vision
