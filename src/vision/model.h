// The vision engine's public face: load_model(DIR) recognises what a model folder holds and returns a ready
// Model; predict(image) returns tags with probabilities (and normalised boxes for detectors).
//
// A Model's work is split in three so that only the network forward pass needs the model's owner thread:
//   prepare(image)  const, thread-safe   decoded BGR image -> network input (resize, crop, normalise)
//   infer(input)    owner thread only    the forward pass (cv::dnn::Net is not safe for concurrent use)
//   decode(raw)     const, thread-safe   raw outputs -> Prediction (thresholds, NMS, labels)
// ModelRunner (model_runner.h) owns the thread(s); predict() runs all three on the calling thread.
//
// Accepted folders (details and the vigil-model.json keys: docs/models.md):
//   Azure Custom Vision export   model.pb or model.onnx + labels.txt [+ cvexport.manifest]
//   Darknet YOLO                 *.cfg + *.weights + *.names (or labels.txt)
//   builtin:person               OpenCV's HOG people detector, no files
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/result.h"
#include "vision/prediction.h"

namespace vigil::vision {

struct ModelInfo {
  std::string format;               // "customvision-tf", "customvision-onnx", "darknet", "builtin:person"
  std::string variant;              // e.g. "S1", "data_bn rewritten"; empty when plain
  Task task = Task::Classification;
  std::vector<std::string> labels;
  cv::Size input_size;              // network input (width, height)
  std::string source;               // the folder it came from
  std::string device = "cpu";
};

struct PreparedInput {
  cv::Mat blob;          // network input (an image for HOG)
  cv::Size image_size;   // the original image's size
};

using RawOutput = std::vector<cv::Mat>;

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelInfo& info() const = 0;
  virtual Result<PreparedInput> prepare(const cv::Mat& bgr) const = 0;
  virtual Result<RawOutput> infer(const PreparedInput& input) = 0;
  virtual Prediction decode(const RawOutput& raw, const PreparedInput& input) const = 0;

  // prepare + infer + decode on the calling thread (which must be the owner).
  Result<Prediction> predict(const cv::Mat& bgr);
};

struct LoadOptions {
  std::string device = "cpu";  // "cpu" or "cuda"
};

inline constexpr const char* kBuiltinPerson = "builtin:person";

// `path` is a model folder or "builtin:person". Errors say what was found and what was expected.
Result<std::unique_ptr<Model>> load_model(const std::string& path, const LoadOptions& options = {});

}  // namespace vigil::vision
