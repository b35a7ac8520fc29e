#include "vision/dnn_net.h"

#include <opencv2/core/cuda.hpp>
#include <opencv2/dnn.hpp>

namespace vigil::vision {

struct DnnNet::Impl {
  cv::dnn::Net net;
};

DnnNet::DnnNet() : impl_(std::make_unique<Impl>()) {}
DnnNet::DnnNet(DnnNet&&) noexcept = default;
DnnNet& DnnNet::operator=(DnnNet&&) noexcept = default;
DnnNet::~DnnNet() = default;

// Each factory catches OpenCV's exceptions at this one boundary and turns them into errors.
Result<DnnNet> DnnNet::adopt(void* net_ptr) {
  auto& net = *static_cast<cv::dnn::Net*>(net_ptr);
  if (net.empty()) return make_error(ErrorCode::InvalidArgument, "OpenCV made an empty network from the model");
  DnnNet out;
  out.impl_->net = std::move(net);
  (void)out.set_device("cpu");
  out.select_outputs({});
  return out;
}

Result<DnnNet> DnnNet::from_tensorflow(std::string_view graph_def) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromTensorflow(graph_def.data(), graph_def.size());
    return adopt(&net);
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::Unsupported, "OpenCV cannot import this TensorFlow graph: " + e.msg);
  }
}

Result<DnnNet> DnnNet::from_onnx(std::string_view model) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(model.data(), model.size());
    return adopt(&net);
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::Unsupported, "OpenCV cannot import this ONNX model: " + e.msg);
  }
}

Result<DnnNet> DnnNet::from_darknet(const std::string& cfg, const std::string& weights) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromDarknet(cfg, weights);
    return adopt(&net);
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::Unsupported, "OpenCV cannot read this Darknet model: " + e.msg);
  }
}

bool cuda_available() {
  try {
    bool backend = false;
    for (const auto& [b, t] : cv::dnn::getAvailableBackends())
      if (b == cv::dnn::DNN_BACKEND_CUDA) backend = true;
    return backend && cv::cuda::getCudaEnabledDeviceCount() > 0;
  } catch (const cv::Exception&) {
    return false;
  }
}

Status DnnNet::set_device(const std::string& device) {
  if (device == "cpu") {
    impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return ok_status();
  }
  if (device == "cuda") {
    if (!cuda_available()) {
      return make_error(ErrorCode::Unsupported,
                        "--device cuda: this OpenCV " CV_VERSION
                        " was built without the CUDA DNN backend or sees no CUDA device; use --device cpu, or "
                        "install an OpenCV built with CUDA and cuDNN (e.g. the one in NVIDIA JetPack)");
    }
    impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_CUDA);
    impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CUDA);
    return ok_status();
  }
  return make_error(ErrorCode::InvalidArgument, "unknown device '" + device + "': expected cpu or cuda");
}

bool DnnNet::has_layer(const std::string& name) const { return impl_->net.getLayerId(name) >= 0; }

void DnnNet::select_outputs(const std::vector<std::string>& wanted) {
  bool all = !wanted.empty();
  for (const auto& w : wanted) all = all && has_layer(w);
  outputs_ = all ? wanted : impl_->net.getUnconnectedOutLayersNames();
}

Result<std::vector<cv::Mat>> DnnNet::forward(const cv::Mat& blob) {
  try {
    impl_->net.setInput(blob);
    std::vector<cv::Mat> outs;
    impl_->net.forward(outs, outputs_);
    return outs;
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::Internal, "the forward pass failed: " + e.msg);
  }
}

}  // namespace vigil::vision
