#include "http/prediction_api.h"
#include "core/json_text.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "vision/image_io.h"
#include "vision/prediction_json.h"

namespace vigil::http {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kRoutePrefix = R"(^(?:/[^/]+(?:/(?:classify|detect)/iterations/[^/]+)?)?)";
constexpr const char* kHarnessText = "CustomVision.ai model host harness";

HttpResponse error_response(int status, const std::string& code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = json_text(nlohmann::json{{"code", code}, {"message", message}});
  return r;
}

// Maps an image-decoding or model error to the status and code a client should see.
HttpResponse from_error(const Error& e, const char* bad_input_code) {
  switch (e.code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::Unsupported: return error_response(400, bad_input_code, e.message);
    case ErrorCode::TooLarge: return error_response(413, "BadRequestImageSizeBytes", e.message);
    case ErrorCode::Unavailable: return error_response(503, "ErrorPredictionServiceUnavailable", e.message);
    default: return error_response(500, "ErrorPrediction", e.message);
  }
}

// Compares in time independent of where the strings differ.
bool keys_equal(const std::string& given, const std::string& expected) {
  if (given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

class PredictionApi : public std::enable_shared_from_this<PredictionApi> {
 public:
  PredictionApi(vision::ModelRunner& runner, Metrics& metrics, PredictionApiOptions options)
      : runner_(runner), metrics_(metrics), options_(std::move(options)) {
    metrics_.describe("vigil_http_requests_total", "counter", "HTTP requests by route and status");
    metrics_.describe("vigil_http_request_duration_seconds", "histogram", "HTTP request latency by route");
    metrics_.describe("vigil_inference_duration_seconds", "histogram", "Forward pass time on the model thread");
    metrics_.describe("vigil_preprocess_duration_seconds", "histogram", "Image decode and preprocessing time");
    metrics_.describe("vigil_model_queue_depth", "gauge", "Forward passes waiting for a model thread");
    metrics_.describe("vigil_model_rejected_total", "counter", "Requests refused because the model queue was full");
    metrics_.describe("vigil_model_inferences_total", "counter", "Forward passes run");
    metrics_.gauge_fn("vigil_model_queue_depth", [&r = runner_] { return static_cast<double>(r.queue_depth()); });
    metrics_.gauge_fn("vigil_model_rejected_total", [&r = runner_] { return static_cast<double>(r.rejected()); });
    metrics_.gauge_fn("vigil_model_inferences_total", [&r = runner_] { return static_cast<double>(r.inferences()); });
  }

  // Every handler holds a reference to this object, so it lives as long as the server's routes.
  void install(HttpServer& server) {
    auto self = shared_from_this();
    server.route("GET", "/", [this, self](const HttpRequest& req) {
      return timed("root", req, [](const HttpRequest&) {
        HttpResponse r;
        r.content_type = "text/plain; charset=utf-8";
        r.body = kHarnessText;
        return r;
      });
    });
    server.route("GET", "/health", [this, self](const HttpRequest& req) { return timed("health", req, [this](const HttpRequest&) { return health(); }); });
    server.route("GET", "/metrics", [this, self](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = metrics_.render();
      return r;
    });
    const std::string image = std::string(kRoutePrefix) + "/image(?:/nostore)?/?$";
    const std::string url = std::string(kRoutePrefix) + "/url(?:/nostore)?/?$";
    server.route("POST", image, [this, self](const HttpRequest& req) { return timed("image", req, [this](const HttpRequest& r) { return on_image(r); }); });
    server.route("POST", url, [this, self](const HttpRequest& req) { return timed("url", req, [this](const HttpRequest& r) { return on_url(r); }); });
    for (const auto& pattern : {image, url}) {
      server.route("GET", pattern, [this, self](const HttpRequest& req) {
        return timed("other", req, [](const HttpRequest&) {
          auto r = error_response(405, "MethodNotAllowed", "this route takes POST");
          r.headers.emplace_back("Allow", "POST");
          return r;
        });
      });
    }
    server.set_error_renderer([this, self](int status, const HttpRequest& req) {
      metrics_.inc("vigil_http_requests_total", {{"route", "other"}, {"status", std::to_string(status)}});
      if (status == 404) return error_response(404, "NotFound", "no route " + req.method + " " + req.path + "; see GET / and the README");
      if (status == 413) return error_response(413, "BadRequestImageSizeBytes", "the request body is larger than 4 MB");
      return error_response(status, "BadRequest", "the request could not be read (HTTP " + std::to_string(status) + ")");
    });
  }

 private:
  template <typename F>
  HttpResponse timed(const char* route, const HttpRequest& req, F handler) {
    const auto start = Clock::now();
    HttpResponse r = handler(req);
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    metrics_.inc("vigil_http_requests_total", {{"route", route}, {"status", std::to_string(r.status)}});
    metrics_.observe("vigil_http_request_duration_seconds", {{"route", route}}, secs);
    if (r.status >= 400 && r.status != 404) LOG_DEBUG("http", req.method << " " << req.path << " -> " << r.status << " " << r.body);
    return r;
  }

  std::optional<HttpResponse> check_key(const HttpRequest& req) const {
    if (options_.prediction_key.empty()) return std::nullopt;
    if (keys_equal(req.header("prediction-key"), options_.prediction_key)) return std::nullopt;
    auto r = error_response(401, "Unauthorized", "a valid Prediction-Key header is required");
    r.headers.emplace_back("WWW-Authenticate", "Prediction-Key");
    return r;
  }

  HttpResponse predict_bytes(std::string_view bytes) {
    const auto start = Clock::now();
    auto img = vision::decode_image(bytes);
    if (!img) return from_error(img.error(), "BadRequestImageFormat");
    vision::PredictTimings t;
    auto prediction = runner_.predict(*img, &t);
    if (!prediction) return from_error(prediction.error(), "BadRequestImageFormat");
    metrics_.observe("vigil_inference_duration_seconds", {}, t.infer_ms / 1000.0);
    const double decode_s = std::chrono::duration<double>(Clock::now() - start).count() -
                            (t.queue_ms + t.infer_ms + t.decode_ms) / 1000.0;
    metrics_.observe("vigil_preprocess_duration_seconds", {}, decode_s);
    HttpResponse r;
    r.body = vision::prediction_envelope(*prediction, std::chrono::system_clock::now());
    return r;
  }

  HttpResponse on_image(const HttpRequest& req) {
    if (auto denied = check_key(req)) return *denied;
    std::string_view bytes = req.body;
    std::string form_field;
    if (auto it = req.parts.find("imageData"); it != req.parts.end()) {
      bytes = it->second;
    } else if (vision::sniff_image_format(bytes).empty() &&
               req.header("content-type").rfind("application/x-www-form-urlencoded", 0) == 0) {
      // A real form (imageData=...), not image bytes sent with curl's default content type.
      auto form = parse_form(req.body);
      if (auto f = form.find("imageData"); f != form.end()) {
        form_field = std::move(f->second);
        bytes = form_field;
      }
    }
    if (bytes.empty())
      return error_response(400, "BadRequestImageFormat",
                            "no image in the request: send the bytes as the body (application/octet-stream) or as "
                            "the multipart field imageData");
    return predict_bytes(bytes);
  }

  HttpResponse on_url(const HttpRequest& req) {
    if (auto denied = check_key(req)) return *denied;
    auto doc = nlohmann::json::parse(req.body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return error_response(400, "BadRequest", "the body must be a JSON object like {\"url\": \"http://...\"}");
    std::string url;
    for (const char* key : {"url", "Url", "URL"}) {
      if (doc.contains(key) && doc[key].is_string()) {
        url = doc[key].get<std::string>();
        break;
      }
    }
    if (url.empty()) return error_response(400, "BadRequestImageUrl", "the JSON body has no \"url\" string");
    auto bytes = fetch_url(url, options_.fetch);
    if (!bytes) {
      if (bytes.error().code == ErrorCode::TooLarge) return error_response(400, "BadRequestImageSizeBytes", bytes.error().message);
      return error_response(400, "BadRequestImageUrl", bytes.error().message);
    }
    return predict_bytes(*bytes);
  }

  HttpResponse health() const {
    const auto& info = runner_.info();
    nlohmann::ordered_json doc;
    doc["status"] = "ok";
    doc["model"] = {{"format", info.format}, {"variant", info.variant},
                    {"task", info.task == vision::Task::Classification ? "classification" : "detection"},
                    {"labels", info.labels}, {"input", {info.input_size.width, info.input_size.height}},
                    {"source", info.source}, {"device", info.device}, {"instances", runner_.instances()}};
    doc["queue_depth"] = runner_.queue_depth();
    doc["inferences"] = runner_.inferences();
    HttpResponse r;
    r.body = doc.dump();
    return r;
  }

  vision::ModelRunner& runner_;
  Metrics& metrics_;
  PredictionApiOptions options_;
};

}  // namespace

void add_prediction_api(HttpServer& server, vision::ModelRunner& runner, Metrics& metrics,
                        const PredictionApiOptions& options) {
  // The API object lives as long as the handlers that capture it: owned by a shared_ptr they all hold.
  std::make_shared<PredictionApi>(runner, metrics, options)->install(server);
}

}  // namespace vigil::http
