// The one wrapper around OpenCV's DNN module: make a network from TensorFlow, ONNX or Darknet files or bytes,
// pick the backend (CPU with all cores, or CUDA when OpenCV was built with it), and run a forward pass.
// Not thread-safe: one owner thread per DnnNet (see model.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "core/result.h"

namespace vigil::vision {

class DnnNet {
 public:
  static Result<DnnNet> from_tensorflow(std::string_view graph_def);
  static Result<DnnNet> from_onnx(std::string_view model);
  static Result<DnnNet> from_darknet(const std::string& cfg_path, const std::string& weights_path);

  DnnNet();
  DnnNet(DnnNet&&) noexcept;
  DnnNet& operator=(DnnNet&&) noexcept;
  ~DnnNet();

  // "cpu" or "cuda"; fails with a clear message when CUDA is not available in this OpenCV build.
  Status set_device(const std::string& device);

  // Names of the layers forward() returns: `wanted` when they all exist, otherwise the unconnected outputs.
  void select_outputs(const std::vector<std::string>& wanted);
  const std::vector<std::string>& outputs() const { return outputs_; }
  bool has_layer(const std::string& name) const;

  Result<std::vector<cv::Mat>> forward(const cv::Mat& blob);

 private:
  static Result<DnnNet> adopt(void* net);  // takes a cv::dnn::Net* (kept out of this header)
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> outputs_;
};

// True when this OpenCV build has a usable CUDA DNN backend and a device.
bool cuda_available();

}  // namespace vigil::vision
