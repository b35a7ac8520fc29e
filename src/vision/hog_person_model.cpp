// builtin:person — OpenCV's HOG + linear SVM people detector (Dalal & Triggs), built into OpenCV, no files.
//
// Images wider than 640 px are shrunk to 640 first (speed). detectMultiScale returns, per window, the SVM
// margin w (0 at the decision boundary, ~1–3 for clear people). vigil reports
//     probability = 1 / (1 + exp(-2·w))
// a fixed Platt-style mapping: w = 0 → 0.50, w = 0.5 → 0.73, w = 1 → 0.88, w = 2 → 0.98. Windows with
// w < 0 are never reported, so every person has probability ≥ 0.5; alert thresholds filter further.
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "vision/decode.h"
#include "vision/model_factories.h"

namespace vigil::vision {
namespace {

constexpr int kMaxWidth = 640;

class HogPersonModel final : public Model {
 public:
  explicit HogPersonModel(ModelInfo info) : info_(std::move(info)) {
    hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  }

  const ModelInfo& info() const override { return info_; }

  Result<PreparedInput> prepare(const cv::Mat& bgr) const override {
    if (bgr.empty() || bgr.type() != CV_8UC3) return make_error(ErrorCode::InvalidArgument, "expected an 8-bit BGR image");
    if (bgr.cols < 64 || bgr.rows < 128) return PreparedInput{cv::Mat(), bgr.size()};  // smaller than one window
    cv::Mat img = bgr;
    if (bgr.cols > kMaxWidth) {
      const double s = static_cast<double>(kMaxWidth) / bgr.cols;
      cv::resize(bgr, img, cv::Size(kMaxWidth, static_cast<int>(bgr.rows * s)), 0, 0, cv::INTER_AREA);
    }
    return PreparedInput{img, bgr.size()};
  }

  Result<RawOutput> infer(const PreparedInput& input) override {
    cv::Mat rows(0, 5, CV_32F);
    if (input.blob.empty()) return RawOutput{rows};
    std::vector<cv::Rect> found;
    std::vector<double> weights;
    try {
      hog_.detectMultiScale(input.blob, found, weights, 0, cv::Size(8, 8), cv::Size(8, 8), 1.05, 2, false);
    } catch (const cv::Exception& e) {
      return make_error(ErrorCode::Internal, "HOG detection failed: " + e.msg);
    }
    for (std::size_t i = 0; i < found.size(); ++i) {
      const cv::Rect& r = found[i];
      const float row[5] = {float(r.x), float(r.y), float(r.width), float(r.height),
                            float(i < weights.size() ? weights[i] : 0.0)};
      rows.push_back(cv::Mat(1, 5, CV_32F, const_cast<float*>(row)));
    }
    return RawOutput{rows};
  }

  Prediction decode(const RawOutput& raw, const PreparedInput& input) const override {
    Prediction p;
    p.task = Task::Detection;
    const cv::Mat& rows = raw.at(0);
    if (rows.empty()) return p;
    const auto w = static_cast<float>(input.blob.cols), h = static_cast<float>(input.blob.rows);
    std::vector<Detection> dets;
    for (int i = 0; i < rows.rows; ++i) {
      const float* r = rows.ptr<float>(i);
      const float prob = 1.f / (1.f + std::exp(-2.f * r[4]));
      dets.push_back({0, prob, clamp_box(r[0] / w, r[1] / h, r[2] / w, r[3] / h)});
    }
    p.tags = label_detections(std::move(dets), info_.labels, DetectParams{0.5f, 0.45f, true, 100});
    return p;
  }

 private:
  ModelInfo info_;
  cv::HOGDescriptor hog_;
};

}  // namespace

Result<std::unique_ptr<Model>> make_hog_person_model(const LoadOptions& options) {
  if (options.device != "cpu")
    return make_error(ErrorCode::Unsupported, "builtin:person runs on the CPU only; drop --device " + options.device);
  ModelInfo info;
  info.format = kBuiltinPerson;
  info.task = Task::Detection;
  info.labels = {"person"};
  info.input_size = {64, 128};
  info.source = kBuiltinPerson;
  return std::unique_ptr<Model>(new HogPersonModel(std::move(info)));
}

}  // namespace vigil::vision
