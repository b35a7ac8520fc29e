// Turning raw network outputs into detections, and non-maximum suppression. Pure functions; thread-safe.
//
// Darknet YOLO as OpenCV's Region layer emits it, one row per anchor and cell:
//   | cx | cy | w | h | objectness | score_0 … score_{C-1} |   (box relative 0..1; scores already × objectness)
//
// Custom Vision object detection (YOLOv2-style grid, NCHW after OpenCV import), A anchors, C classes:
//   channel a*(5+C) + k at (row i, col j):  k=0 tx, 1 ty, 2 tw, 3 th, 4 to, 5.. class logits
//   x = (tx + j) / W   y = (ty + i) / H   w = exp(tw)·anchor_w / W   h = exp(th)·anchor_h / H   (centres)
//   objectness = sigmoid(to); score = softmax(logits) · objectness; best class per box
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "vision/prediction.h"

namespace vigil::vision {

struct Detection {
  int cls = 0;
  float score = 0;
  Box box;  // normalised, clamped to the image
};

float iou(const Box& a, const Box& b);

// Greedy NMS: highest score first; drops a box whose IoU with a kept one exceeds `iou_threshold`
// (only among the same class unless `class_agnostic`). Keeps at most `max_keep`; result sorted by score.
std::vector<Detection> nms(std::vector<Detection> dets, float iou_threshold, bool class_agnostic, std::size_t max_keep);

// Rows of a Region layer output (N × (5 + C) floats, row-major). Keeps each row's best class when its score
// is at or above `threshold`.
std::vector<Detection> decode_yolo_rows(const float* data, int rows, int cols, float threshold);

// Custom Vision's YOLOv2 anchors in grid units.
inline constexpr std::array<std::pair<float, float>, 5> kCustomVisionAnchors{{
    {0.573f, 0.677f}, {1.87f, 2.06f}, {3.34f, 5.47f}, {7.88f, 3.53f}, {9.77f, 9.17f}}};

// One NCHW output [1, A*(5+C), H, W]. Keeps boxes whose score is at or above `threshold`.
std::vector<Detection> decode_customvision_grid(const float* data, int channels, int grid_h, int grid_w,
                                                int num_classes, float threshold);

Box clamp_box(float left, float top, float width, float height);

// What a detector keeps: the score floor applied while decoding, then NMS and a cap.
struct DetectParams {
  float threshold = 0.25f;
  float nms_iou = 0.45f;
  bool class_agnostic = false;
  std::size_t max_detections = 100;
};

// NMS per `params`, then one TagScore per surviving box, named from `labels` (unknown classes dropped).
std::vector<TagScore> label_detections(std::vector<Detection> dets, const std::vector<std::string>& labels,
                                       const DetectParams& params);

}  // namespace vigil::vision
