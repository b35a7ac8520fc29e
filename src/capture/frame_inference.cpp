#include "capture/frame_inference.h"

#include <chrono>


#include "http/http_client.h"
#include "vision/image_io.h"
#include "vision/model_runner.h"
#include "vision/prediction_json.h"

namespace vigil::capture {
namespace {

class RunnerInference : public FrameInference {
 public:
  explicit RunnerInference(std::shared_ptr<vision::ModelRunner> runner) : runner_(std::move(runner)) {}

  Result<InferenceResult> infer(const cv::Mat& bgr) override {
    vision::PredictTimings timings;
    auto p = runner_->predict(bgr, &timings);
    if (!p) return p.error();
    InferenceResult r;
    r.json = vision::prediction_envelope(*p, std::chrono::system_clock::now());
    r.prediction = std::move(*p);
    r.infer_ms = timings.infer_ms;
    return r;
  }

  std::string describe() const override { return "in-process model " + runner_->info().source; }

 private:
  std::shared_ptr<vision::ModelRunner> runner_;
};

class HttpInference : public FrameInference {
 public:
  HttpInference(std::string url, int timeout_ms)
      : url_(std::move(url)), client_(http::FetchLimits{4u << 20, timeout_ms, std::min(timeout_ms, 3000)}) {}

  Result<InferenceResult> infer(const cv::Mat& bgr) override {
    auto jpeg = vision::encode_jpeg(bgr, 90);
    if (!jpeg) return make_error(ErrorCode::Internal, "could not encode the frame as JPEG: " + jpeg.error().message);
    const auto t0 = std::chrono::steady_clock::now();
    auto reply = client_.post(url_, std::move(*jpeg), "application/octet-stream");
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!reply) return make_error(reply.error().code, url_ + ": " + reply.error().message);
    if (reply->status != 200) {
      std::string detail = reply->body.substr(0, 200);
      return make_error(ErrorCode::Unavailable, url_ + " answered HTTP " + std::to_string(reply->status) +
                                                    (detail.empty() ? "" : ": " + detail));
    }
    auto p = vision::parse_prediction_envelope(reply->body);
    if (!p) return make_error(ErrorCode::InvalidArgument, url_ + " answered something that is not a prediction: " +
                                                              p.error().message);
    InferenceResult r;
    r.json = std::move(reply->body);
    r.prediction = std::move(*p);
    r.infer_ms = ms;
    return r;
  }

  std::string describe() const override { return "HTTP endpoint " + url_; }

 private:
  std::string url_;
  http::HttpClient client_;
};

}  // namespace

bool is_http_endpoint(const std::string& endpoint) {
  return endpoint.rfind("http://", 0) == 0 || endpoint.rfind("https://", 0) == 0;
}

std::unique_ptr<FrameInference> make_runner_inference(std::shared_ptr<vision::ModelRunner> runner) {
  return std::make_unique<RunnerInference>(std::move(runner));
}

std::unique_ptr<FrameInference> make_http_inference(const std::string& url, const std::string& query, int timeout_ms) {
  std::string full = url;
  if (!query.empty()) full += (url.find('?') == std::string::npos ? "?" : "&") + query;
  return std::make_unique<HttpInference>(full, timeout_ms);
}

}  // namespace vigil::capture
