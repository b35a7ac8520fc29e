#include "http/preview_server.h"
#include "core/json_text.h"

#include <nlohmann/json.hpp>

#include "http/embedded_files.h"
#include "http/review_api.h"

namespace vigil::http {
namespace {

HttpResponse json_error(int status, const std::string& code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = json_text(nlohmann::json{{"code", code}, {"message", message}});
  return r;
}

const char kBoundary[] = "vigilframe";

}  // namespace

PreviewServer::PreviewServer(Metrics& metrics, PreviewSecurity security)
    : metrics_(metrics),
      security_(std::move(security)),
      server_(ServerOptions{1u << 16, 24, 10, 10, security_.tls_cert_file, security_.tls_key_file}) {
  server_.route("GET", "/", [](const HttpRequest&) {
    for (const auto& f : embedded_files())
      if (f.name == "index.html") return HttpResponse{200, content_type_for(f.name), std::string(f.bytes), {}, {}};
    return json_error(500, "NoPage", "the preview page was not built into this binary");
  });
  server_.route("GET", R"(/([A-Za-z0-9_-]+\.(js|css|svg|png|ico)))", [](const HttpRequest& req) {
    for (const auto& f : embedded_files())
      if (f.name == req.matches[0])
        return HttpResponse{200, content_type_for(f.name), std::string(f.bytes), {{"Cache-Control", "no-cache"}}, {}};
    return json_error(404, "NotFound", "no such file: " + req.path);
  });
  server_.route("GET", "/api/status", [this](const HttpRequest& req) { return status(req); });
  server_.route("GET", "/snapshot.jpg", [this](const HttpRequest& req) { return snapshot(req); });
  server_.route("GET", "/stream.mjpg", [this](const HttpRequest& req) { return stream(req); });
  server_.route("GET", "/health", [](const HttpRequest&) { return HttpResponse{200, "application/json", R"({"status":"ok"})", {}, {}}; });
  server_.route("GET", "/metrics", [this](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(), {}, {}};
  });
  add_review_api(server_, [this] {
    std::lock_guard lock(mutex_);
    return catalog_;
  });
  server_.set_error_renderer([](int status, const HttpRequest& req) {
    return json_error(status, status == 404 ? "NotFound" : "BadRequest",
                      status == 404 ? "no such page: " + req.path + " (try /, /alerts, /stream.mjpg, /snapshot.jpg, /api/status, /api/alerts)"
                                    : "the request could not be read");
  });
}

PreviewServer::~PreviewServer() { stop(); }

void PreviewServer::add_camera(std::shared_ptr<CameraView> view) {
  std::lock_guard lock(mutex_);
  for (auto& c : cameras_)
    if (c->id() == view->id()) {
      c = std::move(view);
      return;
    }
  cameras_.push_back(std::move(view));
}

void PreviewServer::set_catalog(std::shared_ptr<AlertCatalog> catalog) {
  std::lock_guard lock(mutex_);
  catalog_ = std::move(catalog);
}

std::vector<std::shared_ptr<CameraView>> PreviewServer::cameras() const {
  std::lock_guard lock(mutex_);
  return cameras_;
}

Status PreviewServer::listen(const std::string& host, int port) {
  auto access = AccessControl::make({security_.users, security_.token, host, server_.tls()});
  if (!access) return access.error();
  access_ = std::move(*access);
  access_->install(server_);
  return server_.listen(host, port);
}

std::string PreviewServer::access() const { return access_ ? access_->describe() : ""; }

void PreviewServer::start() { server_.start(); }

void PreviewServer::stop() {
  closing_->store(true);  // open streams notice within a second
  server_.stop();
}

std::shared_ptr<CameraView> PreviewServer::find(const HttpRequest& req) const {
  const std::string id = req.param("camera");
  std::lock_guard lock(mutex_);
  if (cameras_.empty()) return nullptr;
  if (id.empty()) return cameras_.front();
  for (const auto& c : cameras_)
    if (c->id() == id) return c;
  return nullptr;
}

HttpResponse PreviewServer::status(const HttpRequest& req) const {
  nlohmann::json cams = nlohmann::json::array();
  const std::string id = req.param("camera");
  for (const auto& c : cameras())
    if (id.empty() || c->id() == id) cams.push_back(c->status());
  if (!id.empty() && cams.empty()) return json_error(404, "UnknownCamera", "no camera named '" + id + "'");
  return {200, "application/json", json_text(nlohmann::json{{"version", VIGIL_VERSION}, {"cameras", cams}}), {{"Cache-Control", "no-store"}}, {}};
}

HttpResponse PreviewServer::snapshot(const HttpRequest& req) {
  auto cam = find(req);
  if (!cam) return json_error(404, "UnknownCamera", "no camera named '" + req.param("camera") + "'");
  const Jpeg jpeg = cam->latest_jpeg();
  if (!jpeg.bytes) {
    const auto s = cam->status();
    return json_error(503, "NoFrame", "camera '" + cam->id() + "' has no frame yet (source " +
                                          s["health"].value("state", "?") + ": " + s["health"].value("reason", "") + ")");
  }
  return {200, "image/jpeg", *jpeg.bytes, {{"Cache-Control", "no-store"}, {"X-Frame-Sequence", std::to_string(jpeg.sequence)}}, {}};
}

HttpResponse PreviewServer::stream(const HttpRequest& req) {
  auto cam = find(req);
  if (!cam) return json_error(404, "UnknownCamera", "no camera named '" + req.param("camera") + "'");
  HttpResponse r;
  r.content_type = std::string("multipart/x-mixed-replace; boundary=") + kBoundary;
  r.headers = {{"Cache-Control", "no-store"}};
  auto closing = closing_;
  auto last = std::make_shared<Jpeg>(cam->latest_jpeg());
  auto first = std::make_shared<bool>(true);
  r.stream = [cam, closing, last, first](const StreamWriter& write) {
    if (closing->load() || cam->closed()) return false;
    Jpeg next = *first && last->bytes ? *last : cam->wait_jpeg(last->sequence, std::chrono::seconds(1));
    *first = false;
    if (closing->load()) return false;
    if (next.bytes) *last = next;
    else if (!last->bytes) return true;  // nothing to show yet; keep waiting
    const std::string& jpeg = *last->bytes;
    const std::string head = std::string("--") + kBoundary + "\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                             std::to_string(jpeg.size()) + "\r\n\r\n";
    return write(head) && write(jpeg) && write("\r\n");
  };
  return r;
}

}  // namespace vigil::http
