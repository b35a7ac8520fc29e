// vigil check [MANIFEST]: what `iotedge check` does for a device, for a deployment — every line "√ … - OK",
// "‼ … - Warning" or "× … - Error" with what to do, then the counts; exit 1 when there was an error (or a warning,
// with --warnings-as-errors). It loads the models and tries the ports and the uplinks' hosts, and starts nothing.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "alert/rules.h"
#include "core/text.h"
#include "capture/frame_inference.h"
#include "capture/frame_source.h"
#include "cli/commands.h"
#include "http/access.h"
#include "http/http_server.h"
#include "core/net.h"
#include "deploy/edge_env.h"
#include "deploy/load.h"
#include "deploy/runtime.h"
#include "deploy/state_dir.h"
#include "http/http_client.h"
#include "hub/route.h"
#include "vision/model.h"

namespace vigil::cli {
namespace {

// True when a vigil preview answers on host:port and shows camera `id`: the port is taken by a running vigil.
bool preview_shows(const std::string& host, int port, const std::string& id) {
  http::HttpClient client(http::FetchLimits{1u << 20, 2000, 1000});
  const std::string h = host == "0.0.0.0" || host.empty() ? "127.0.0.1" : host;
  auto reply = client.get("http://" + h + ":" + std::to_string(port) + "/api/status");
  if (!reply || reply->status != 200) return false;
  const auto doc = nlohmann::json::parse(reply->body, nullptr, false);
  if (!doc.is_object() || !doc.contains("cameras") || !doc["cameras"].is_array()) return false;
  for (const auto& cam : doc["cameras"])
    if (cam.is_object() && cam.value("camera", "") == id) return true;
  return false;
}

struct CheckOptions {
  std::string manifest, env_file, edge_listen = "127.0.0.1:8883";
  std::vector<std::string> sets, upstream;
  bool warnings_as_errors = false;
};

class Report {
 public:
  void ok(const std::string& what) { print("\u221a", what, "OK", ""); ++ok_; }
  void warn(const std::string& what, const std::string& why) { print("\u203c", what, "Warning", why); ++warn_; }
  void error(const std::string& what, const std::string& why) { print("\u00d7", what, "Error", why); ++err_; }
  int finish(bool warnings_as_errors) const {
    std::cout << "\n" << ok_ << " check(s) succeeded.\n";
    if (warn_) std::cout << warn_ << " check(s) raised warnings.\n";
    if (err_) std::cout << err_ << " check(s) raised errors.\n";
    return err_ || (warnings_as_errors && warn_) ? 1 : 0;
  }

 private:
  void print(const char* mark, const std::string& what, const char* level, const std::string& why) {
    std::cout << mark << " " << what << " - " << level << "\n";
    if (!why.empty()) std::cout << "    " << why << "\n";
  }
  int ok_ = 0, warn_ = 0, err_ = 0;
};

bool on_path(const std::string& program, const std::string& base_dir) {
  std::error_code ec;
  if (program.find('/') != std::string::npos)
    return std::filesystem::exists(program[0] == '/' ? program : base_dir + "/" + program, ec);
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    const auto end = p.find(':', start);
    const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

void check_source(Report& r, const std::string& module, const capture::CameraSettings& c) {
  const std::string what = "camera source of " + module + " (" + c.video_path + ")";
  std::error_code ec;
  auto spec = capture::parse_source_spec(c.video_path, std::filesystem::is_directory(c.video_path, ec));
  if (!spec) return r.error(what, spec.error().message);
  switch (spec->kind) {
    case capture::SourceKind::Device: {
      const std::string dev = c.video_path.rfind("/dev/", 0) == 0 ? c.video_path : "/dev/video" + c.video_path;
      if (!std::filesystem::exists(dev, ec))
        return r.warn(what, dev + " does not exist now; the camera will be reported lost and retried (plug it in, or set VIDEO_PATH)");
      if (access(dev.c_str(), R_OK) != 0) return r.error(what, "cannot read " + dev + " (add this user to the video group)");
      return r.ok(what);
    }
    case capture::SourceKind::File:
    case capture::SourceKind::ImageFolder:
      if (!std::filesystem::exists(c.video_path, ec)) return r.error(what, c.video_path + " does not exist");
      return r.ok(what);
    default:
      if (auto h = endpoint_host(c.video_path); h && !tcp_connects(h->host, h->port))
        return r.warn(what, h->host + ":" + std::to_string(h->port) + " does not answer now; the camera will retry");
      return r.ok(what);
  }
}

// Who may see a camera's preview (PREVIEW_USERS, PREVIEW_TOKEN), its TLS files, and its port.
void check_preview(Report& r, const std::string& module, const capture::CameraSettings& c) {
  if (auto access = http::AccessControl::make({c.preview_users, c.preview_token, c.preview_host, !c.tls_cert_file.empty()}); !access)
    r.error("preview access for " + module, access.error().message);
  else r.ok("preview access for " + module + ": " + (*access)->describe());
  if (!c.tls_cert_file.empty() || !c.tls_key_file.empty()) {
    http::ServerOptions so;
    so.tls_cert_file = c.tls_cert_file;
    so.tls_key_file = c.tls_key_file;
    http::HttpServer probe(so);
    if (auto s = probe.listen("127.0.0.1", 0); !s) r.error("preview TLS for " + module, s.error().message);
    else r.ok("preview TLS for " + module);
  }
  if (can_listen(c.preview_host, c.preview_port)) return;
  const std::string what_port = "preview port " + std::to_string(c.preview_port) + " for " + module;
  if (preview_shows(c.preview_host, c.preview_port, c.camera_id))
    r.warn(what_port, "in use by the vigil run that is running now (its preview shows camera " + c.camera_id +
                          "); stop it before starting this one");
  else
    r.error(what_port, "already in use: set PREVIEW_PORT in the camera's env (vigil run --set " + module +
                           ".PREVIEW_PORT=5013) or bind another HostPort for 5012/tcp");
}

void check_port(Report& r, const std::string& module, const std::string& host, int port) {
  if (port > 0 && !can_listen(host, port))
    r.error("port " + std::to_string(port) + " for " + module, "already in use or not allowed (ports below 1024 need root); bind another HostPort");
  else r.ok("port " + std::to_string(port) + " for " + module);
}

void check_routes(Report& r, const deploy::Deployment& d) {
  auto routes = hub::parse_routes(d.routes);
  bool upstream = false;
  for (const auto& rt : *routes) upstream |= rt.sink.kind == hub::Sink::Kind::Upstream;
  if (routes->empty()) r.warn("routes", "no routes: the modules' messages go nowhere");
  else if (!upstream) r.warn("routes (" + std::to_string(routes->size()) + ")", "no route sends to $upstream: no alert leaves the device");
  else r.ok("routes (" + std::to_string(routes->size()) + ")");
}

void check_uplinks(Report& r, const std::vector<std::string>& uplinks) {
  if (uplinks.empty()) r.warn("uplinks", "none: alerts wait in the outbox (add \"uplinks\" to $edgeHub, or run with --upstream URI)");
  for (const auto& raw : uplinks) {
    const std::string u = redact_secrets(raw);  // what is shown; the checks read `raw`
    if (u.rfind("file:", 0) == 0 || u.rfind("console", 0) == 0) {
      r.ok("uplink " + u);
      continue;
    }
    auto h = endpoint_host(raw);
    if (!h) r.error("uplink " + u, "not a supported URI (console:, file:PATH, mqtt://…, iothub:…, https://…, smtp://…)");
    else if (!tcp_connects(h->host, h->port))
      r.warn("uplink " + u, h->host + ":" + std::to_string(h->port) + " does not answer now; alerts will wait in the outbox and be retried");
    else r.ok("uplink " + u);
  }
}

// vigil:iotedge modules: the broker plugin is installed and the edge listener's address is free.
void check_edge(Report& r, const deploy::Deployment& d, const std::string& listen) {
  std::string names;
  for (const auto& m : d.modules)
    if (m.iotedge) names += (names.empty() ? "" : ", ") + m.name;
  if (names.empty()) return;
  std::error_code ec;
  if (auto plugin = deploy::find_edge_plugin(std::filesystem::read_symlink("/proc/self/exe", ec).string()); !plugin)
    r.error("broker plugin for vigil:iotedge modules", plugin.error().message);
  else r.ok("broker plugin for vigil:iotedge modules (" + *plugin + ")");
  auto edge = deploy::parse_edge_listen(listen);
  if (!edge) r.error("edge listener", edge.error().message);
  else if (tcp_connects(edge->host, edge->port))
    r.warn("edge listener " + listen, "something listens there now (a vigil run with SDK modules, edgeHub, another broker?); "
                                      "vigil run needs it free for " + names + ", or --edge-listen HOST:PORT");
  else r.ok("edge listener " + listen + " (for " + names + ")");
}

int run_check(const CheckOptions& o) {
  Report r;
  std::cout << "Configuration checks\n--------------------\n";
  auto loaded = deploy::load_deployment(o.manifest, o.env_file, o.sets, deploy::default_state_dir());
  if (!loaded) {
    r.error("manifest " + (o.manifest.empty() ? std::string("(built-in default)") : o.manifest), loaded.error().message);
    std::cout << "\nThe other checks were skipped: they need a manifest that reads.\n";
    return r.finish(o.warnings_as_errors);
  }
  const deploy::Deployment& d = loaded->deployment;
  r.ok("manifest " + loaded->origin + " (" + std::to_string(d.modules.size()) + " modules)");
  for (const auto& w : d.warnings) r.warn("manifest key", w);
  check_routes(r, d);

  deploy::RuntimeOptions ro;
  ro.base_dir = loaded->base_dir;
  std::set<std::string> loaded_models;
  auto check_model = [&](const std::string& module, const std::string& model) {
    if (loaded_models.count(model)) return;
    loaded_models.insert(model);
    auto m = vision::load_model(model);
    if (!m) r.error("model of " + module + " (" + model + ")", m.error().message);
    else r.ok("model of " + module + " (" + model + ": " + std::to_string(m.value()->info().labels.size()) + " labels)");
  };
  auto check_program = [&](const std::string& what, const std::string& program) {
    if (!on_path(program, loaded->base_dir))
      r.error(what, "'" + program + "' is not found (on PATH, or relative to " + loaded->base_dir + ")");
    else r.ok(what);
  };
  bool exec = false;
  for (const auto& m : d.modules) {
    const std::string what = "module " + m.name + " (" + m.image + ")";
    if (!m.running) r.ok(what + ": status stopped, not started");
    switch (m.kind) {
      case deploy::ModuleKind::Vision: {
        auto v = deploy::vision_plan(m, ro);
        if (!v) {
          r.error(what, v.error().message);
          break;
        }
        r.ok(what);
        check_model(m.name, v->model);
        if (!v->host.empty()) check_port(r, m.name, v->host, v->port);
        break;
      }
      case deploy::ModuleKind::Camera: {
        std::string warning;
        auto c = deploy::camera_plan(m, d, ro, &warning);
        if (!c) {
          r.error(what, c.error().message);
          break;
        }
        if (!warning.empty()) r.warn(what + " endpoint", warning);
        else r.ok(what);
        for (const auto& w : capture::unknown_setting_warnings(m.env)) r.warn(what + " env", w);
        check_source(r, m.name, *c);
        if (!c->endpoint.empty() && !capture::is_http_endpoint(c->endpoint)) check_model(m.name, c->endpoint);
        if (c->endpoint.empty()) r.warn(what + " inference", "IMAGE_PROCESSING_ENDPOINT is empty: frames are captured and shown, never analysed");
        if (capture::is_http_endpoint(c->endpoint))
          if (auto h = endpoint_host(c->endpoint); h && !tcp_connects(h->host, h->port))
            r.warn(what + " endpoint " + c->endpoint, "does not answer now; the camera counts failures and retries");
        if (c->show_video) check_preview(r, m.name, *c);
        break;
      }
      case deploy::ModuleKind::Alert: {
        auto rules = alert::parse_rules(m.desired);
        if (!rules) r.error(what + " rules", rules.error().message);
        else r.ok(what + " rules");
        break;
      }
      case deploy::ModuleKind::Exec:
        exec = true;
        check_program(what, m.args[0]);
        break;
    }
    if (m.healthcheck) check_program(what + " health check", m.healthcheck->argv[0]);
  }
  if (exec && !on_path("mosquitto", "") && !on_path("/usr/sbin/mosquitto", ""))
    r.error("MQTT broker for vigil:exec modules", "mosquitto is not installed: install it, or run with --broker mqtt://host:port");
  check_edge(r, d, o.edge_listen);

  std::cout << "\nConnectivity checks\n-------------------\n";
  std::vector<std::string> uplinks = d.uplinks;  // and those vigil run --upstream would add
  uplinks.insert(uplinks.end(), o.upstream.begin(), o.upstream.end());
  check_uplinks(r, uplinks);
  const int pid = deploy::running_pid(deploy::default_state_dir());
  if (pid != 0) r.warn("state folder " + deploy::default_state_dir(), "a vigil run (pid " + std::to_string(pid) + ") already uses it; a second one needs --state-dir");
  return r.finish(o.warnings_as_errors);
}

}  // namespace

void add_check_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand("check", "Check a deployment: manifest, routes, models, sources, ports, uplinks");
  cmd->add_option("manifest", o->manifest, "the deployment (default: the built-in one)");
  cmd->add_option("--env-file", o->env_file, "variables for $VAR (default: .env next to the manifest)");
  cmd->add_option("--set,-s", o->sets, "MODULE.KEY=VALUE (repeatable)");
  cmd->add_option("--edge-listen", o->edge_listen, "where vigil run will listen for vigil:iotedge modules")->capture_default_str();
  cmd->add_option("--upstream", o->upstream, "an uplink vigil run will get with --upstream (repeatable): checked too");
  cmd->add_flag("--warnings-as-errors", o->warnings_as_errors, "exit 1 on warnings too");
  cmd->callback([o, &run] { run = [o] { return run_check(*o); }; });
}

}  // namespace vigil::cli
