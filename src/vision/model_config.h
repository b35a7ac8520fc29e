// vigil-model.json: optional per-folder overrides of what the loader infers. Every key is optional; an
// unknown key or a wrong type is an error naming the key. The keys and their defaults: docs/models.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "vision/prediction.h"

namespace vigil::vision {

struct ModelConfig {
  std::optional<std::string> format;                 // "customvision-tf" | "customvision-onnx" | "darknet"
  std::optional<Task> task;                          // "classification" | "detection"
  std::optional<std::vector<std::string>> labels;    // replaces the label file
  std::optional<int> input_width, input_height;      // network input size
  std::optional<bool> rgb;                           // "color_order": "rgb" | "bgr"
  std::optional<float> pixel_scale;                  // "pixel_range": "0-255" (1) | "0-1" (1/255)
  std::optional<std::vector<float>> mean;            // per-channel mean subtracted (network channel order)
  std::optional<float> threshold;                    // detectors: minimum probability reported
  std::optional<float> nms_iou;                      // detectors: IoU above which boxes are merged
  std::optional<int> max_detections;                 // detectors: at most this many boxes
  std::optional<std::vector<std::string>> outputs;   // output layer names to read
};

inline constexpr const char* kModelConfigFile = "vigil-model.json";

Result<ModelConfig> parse_model_config(std::string_view json_text);

}  // namespace vigil::vision
