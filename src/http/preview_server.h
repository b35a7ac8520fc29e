// The preview server (port 5012 by default, as in the tutorial): a page a person can leave open, showing
// each camera's live annotated frame, frame rate, health and recent events. Routes:
//   GET /                 the page (web/index.html, built into the binary)
//   GET /<file>           the page's other files (app.js, style.css)
//   GET /api/status       JSON: {"cameras": [status…]}    (?camera=ID for one)
//   GET /snapshot.jpg     the newest frame as JPEG         (?camera=ID; default the first camera)
//   GET /stream.mjpg      multipart/x-mixed-replace MJPEG  (?camera=ID); repeats the last frame every second
//                         while the source is down, so viewers stay connected
//   GET /health, /metrics
//   the alert review page and its API (review_api.h), when the runtime gives an AlertCatalog
// Cameras may be added at any time; a camera added under the id of one already there replaces it (a restarted
// camera module). The server shares each view, so open streams never outlive what they read.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/camera_view.h"
#include "core/metrics.h"
#include "http/access.h"
#include "http/alert_catalog.h"
#include "http/http_server.h"

namespace vigil::http {

// Who may see it (access.h) and HTTPS: the camera settings PREVIEW_USERS, PREVIEW_TOKEN, TLS_CERT_FILE, TLS_KEY_FILE.
struct PreviewSecurity {
  std::string users, token, tls_cert_file, tls_key_file;
  bool operator==(const PreviewSecurity&) const = default;
};

class PreviewServer {
 public:
  explicit PreviewServer(Metrics& metrics, PreviewSecurity security = {});
  ~PreviewServer();

  void add_camera(std::shared_ptr<CameraView> view);  // thread-safe
  void set_catalog(std::shared_ptr<AlertCatalog> catalog);  // thread-safe
  Status listen(const std::string& host, int port);  // errors: the port, the TLS files, PREVIEW_USERS
  bool tls() const { return server_.tls(); }
  const PreviewSecurity& security() const { return security_; }
  std::string access() const;  // who may see it, for the start-up log
  int port() const { return server_.port(); }
  void start();
  void stop();  // ends open MJPEG streams, then the server

 private:
  std::shared_ptr<CameraView> find(const HttpRequest& req) const;
  std::vector<std::shared_ptr<CameraView>> cameras() const;
  HttpResponse snapshot(const HttpRequest& req);
  HttpResponse stream(const HttpRequest& req);
  HttpResponse status(const HttpRequest& req) const;

  Metrics& metrics_;
  PreviewSecurity security_;
  HttpServer server_;
  std::unique_ptr<AccessControl> access_;
  mutable std::mutex mutex_;  // guards cameras_, catalog_
  std::vector<std::shared_ptr<CameraView>> cameras_;
  std::shared_ptr<AlertCatalog> catalog_;
  std::shared_ptr<std::atomic<bool>> closing_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace vigil::http
