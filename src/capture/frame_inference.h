// FrameInference: turns one frame into a prediction, either in-process through a shared ModelRunner (no
// JPEG, no HTTP; several cameras may share one runner) or by POSTing a JPEG to any Custom Vision–compatible
// HTTP endpoint (vigil serve, Microsoft's exported container) with IMAGE_PROCESSING_PARAMS as its query
// string. Each camera owns its own FrameInference and calls it from its processing thread only.
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "core/result.h"
#include "vision/prediction.h"

namespace vigil::vision { class ModelRunner; }

namespace vigil::capture {

struct InferenceResult {
  std::string json;  // the prediction envelope, as the endpoint wrote it
  vision::Prediction prediction;
  double infer_ms = 0;  // model time (in-process) or request time (HTTP)
};

class FrameInference {
 public:
  virtual ~FrameInference() = default;
  virtual Result<InferenceResult> infer(const cv::Mat& bgr) = 0;
  virtual std::string describe() const = 0;
};

std::unique_ptr<FrameInference> make_runner_inference(std::shared_ptr<vision::ModelRunner> runner);
// `url` is http(s)://…; `query` (without '?') is appended to it.
std::unique_ptr<FrameInference> make_http_inference(const std::string& url, const std::string& query, int timeout_ms);

// True when IMAGE_PROCESSING_ENDPOINT names an HTTP endpoint rather than a model to load in-process.
bool is_http_endpoint(const std::string& endpoint);

}  // namespace vigil::capture
