#include "vision/decode.h"

#include <algorithm>
#include <cmath>

namespace vigil::vision {

float iou(const Box& a, const Box& b) {
  const float x1 = std::max(a.left, b.left), y1 = std::max(a.top, b.top);
  const float x2 = std::min(a.left + a.width, b.left + b.width), y2 = std::min(a.top + a.height, b.top + b.height);
  const float inter = std::max(0.f, x2 - x1) * std::max(0.f, y2 - y1);
  const float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0 ? inter / uni : 0.f;
}

std::vector<Detection> nms(std::vector<Detection> dets, float iou_threshold, bool class_agnostic,
                           std::size_t max_keep) {
  std::stable_sort(dets.begin(), dets.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (const auto& d : dets) {
    if (kept.size() >= max_keep) break;
    bool suppressed = false;
    for (const auto& k : kept) {
      if ((class_agnostic || k.cls == d.cls) && iou(k.box, d.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(d);
  }
  return kept;
}

Box clamp_box(float left, float top, float width, float height) {
  const float x1 = std::clamp(left, 0.f, 1.f), y1 = std::clamp(top, 0.f, 1.f);
  const float x2 = std::clamp(left + width, 0.f, 1.f), y2 = std::clamp(top + height, 0.f, 1.f);
  return {x1, y1, x2 - x1, y2 - y1};
}

std::vector<Detection> decode_yolo_rows(const float* data, int rows, int cols, float threshold) {
  std::vector<Detection> out;
  if (cols <= 5) return out;
  for (int r = 0; r < rows; ++r) {
    const float* row = data + static_cast<std::ptrdiff_t>(r) * cols;
    const float* scores = row + 5;
    const int best = static_cast<int>(std::max_element(scores, row + cols) - scores);
    const float score = scores[best];
    if (!(score >= threshold) || score <= 0.f) continue;
    const float w = row[2], h = row[3];
    out.push_back({best, score, clamp_box(row[0] - w / 2, row[1] - h / 2, w, h)});
  }
  return out;
}

std::vector<Detection> decode_customvision_grid(const float* data, int channels, int gh, int gw, int num_classes,
                                                float threshold) {
  std::vector<Detection> out;
  const int per_anchor = 5 + num_classes;
  const int anchors = static_cast<int>(kCustomVisionAnchors.size());
  if (num_classes <= 0 || channels != anchors * per_anchor) return out;
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(gh) * gw;
  auto at = [&](int ch, int i, int j) { return data[ch * plane + static_cast<std::ptrdiff_t>(i) * gw + j]; };
  std::vector<float> probs(static_cast<std::size_t>(num_classes));
  for (int i = 0; i < gh; ++i) {
    for (int j = 0; j < gw; ++j) {
      for (int a = 0; a < anchors; ++a) {
        const int base = a * per_anchor;
        const float objectness = 1.f / (1.f + std::exp(-at(base + 4, i, j)));
        float max_logit = at(base + 5, i, j);
        for (int c = 1; c < num_classes; ++c) max_logit = std::max(max_logit, at(base + 5 + c, i, j));
        float sum = 0;
        for (int c = 0; c < num_classes; ++c) {
          probs[static_cast<std::size_t>(c)] = std::exp(at(base + 5 + c, i, j) - max_logit);
          sum += probs[static_cast<std::size_t>(c)];
        }
        const auto best_it = std::max_element(probs.begin(), probs.end());
        const float score = *best_it / sum * objectness;
        if (!(score >= threshold)) continue;
        const float cx = (at(base + 0, i, j) + static_cast<float>(j)) / static_cast<float>(gw);
        const float cy = (at(base + 1, i, j) + static_cast<float>(i)) / static_cast<float>(gh);
        const auto& anchor = kCustomVisionAnchors[static_cast<std::size_t>(a)];
        const float w = std::exp(at(base + 2, i, j)) * anchor.first / static_cast<float>(gw);
        const float h = std::exp(at(base + 3, i, j)) * anchor.second / static_cast<float>(gh);
        out.push_back({static_cast<int>(best_it - probs.begin()), score, clamp_box(cx - w / 2, cy - h / 2, w, h)});
      }
    }
  }
  return out;
}

std::vector<TagScore> label_detections(std::vector<Detection> dets, const std::vector<std::string>& labels,
                                       const DetectParams& params) {
  std::vector<TagScore> out;
  for (const auto& d : nms(std::move(dets), params.nms_iou, params.class_agnostic, params.max_detections)) {
    if (d.cls < 0 || static_cast<std::size_t>(d.cls) >= labels.size()) continue;
    out.push_back({labels[static_cast<std::size_t>(d.cls)], d.cls, d.score, d.box, {}});
  }
  return out;
}

}  // namespace vigil::vision
