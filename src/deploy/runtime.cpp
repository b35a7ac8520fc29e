#include "deploy/runtime.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include "alert/rules.h"
#include "capture/frame_inference.h"
#include "capture/frame_store.h"
#include "core/log.h"
#include "core/net.h"
#include "core/text.h"
#include "deploy/health_check.h"
#include "deploy/edge_env.h"
#include "deploy/evidence.h"
#include "deploy/local_broker.h"
#include "deploy/local_modules.h"
#include "deploy/snapshots.h"
#include "deploy/spec_diff.h"
#include "http/preview_server.h"
#include "hub/mqtt_client.h"
#include "hub/mqtt_transport.h"
#include "hub/property_bag.h"
#include "uplink/uplink.h"

namespace vigil::deploy {
namespace fs = std::filesystem;
namespace {

// A path from the manifest: absolute as is, relative under the manifest's folder.
std::string under(const std::string& base, const std::string& path) {
  if (path.empty() || path[0] == '/' || path.rfind("builtin:", 0) == 0) return path;
  return (fs::path(base) / path).lexically_normal().string();
}

bool looks_like_path(const std::string& p) {
  return !p.empty() && p.find("://") == std::string::npos && p.find(" ! ") == std::string::npos &&
         !std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

EndpointChoice resolve_camera_endpoint(const std::string& endpoint, const Deployment& d) {
  EndpointChoice c;
  if (!capture::is_http_endpoint(endpoint)) return c;
  const auto hp = endpoint_host(endpoint);
  const std::string host = hp ? hp->host : "";
  std::vector<std::string> vision;
  for (const auto& m : d.modules)
    if (m.kind == ModuleKind::Vision) vision.push_back(m.name);
  for (const auto& v : vision)
    if (v == host) {
      c.vision_module = v;
      return c;
    }
  const bool bare = !host.empty() && host.find('.') == std::string::npos && host.find(':') == std::string::npos &&
                    host != "localhost";
  if (bare && vision.size() == 1) {
    c.vision_module = vision[0];
    c.warning = "IMAGE_PROCESSING_ENDPOINT names host '" + host + "', which is not a module of this deployment; using "
                "its only vigil:vision module, '" + vision[0] + "' (write http://" + vision[0] + "/image to say so)";
  }
  return c;
}

std::map<std::string, std::string> camera_setting_values(const ModuleSpec& m, const RuntimeOptions& o) {
  std::map<std::string, std::string> v = m.env;
  if (auto p = m.ports.find(5012); p != m.ports.end() && !v.count("PREVIEW_PORT")) {
    v["PREVIEW_PORT"] = std::to_string(p->second.host_port);
    if (!p->second.host_ip.empty() && !v.count("PREVIEW_HOST")) v["PREVIEW_HOST"] = p->second.host_ip;
  }
  if (auto vp = v.find("VIDEO_PATH"); vp != v.end() && looks_like_path(vp->second)) vp->second = under(o.base_dir, vp->second);
  for (const char* file : {"TLS_CERT_FILE", "TLS_KEY_FILE"})
    if (auto f = v.find(file); f != v.end() && !f->second.empty()) f->second = under(o.base_dir, f->second);
  if (o.replay_clip) {
    v["VIDEO_PATH"] = *o.replay_clip;
    v["LOOP_VIDEO"] = "false";
    v["REALTIME"] = o.replay_realtime ? "true" : "false";
    v["SHOW_VIDEO"] = "false";
  }
  return v;
}

struct Runtime::Impl {
  Deployment deployment;
  RuntimeOptions options;
  Metrics metrics;
  std::unique_ptr<ModelCache> models;
  CameraTotals totals;
  std::unique_ptr<hub::Outbox> outbox;
  std::unique_ptr<hub::Hub> hub;
  std::map<std::string, capture::CameraSettings> cameras;
  std::map<std::string, VisionPlan> vision;
  std::map<std::string, std::shared_ptr<AlertSlot>> alerts;
  std::map<std::string, std::unique_ptr<http::PreviewServer>> previews;  // by host:port
  std::map<std::string, http::PreviewServer*> preview_of;                // camera module → its server
  bool need_mqtt = false;
  std::string broker_uri;
  std::unique_ptr<LocalBroker> broker;  // when modules need MQTT and --broker is not given
  std::unique_ptr<hub::MqttClient> mqtt;
  std::unique_ptr<hub::MqttTransport> transport;
  std::set<std::string> sdk_modules;      // the vigil:iotedge modules
  std::unique_ptr<EdgeEnvironment> edge;  // then: its listener, CA and workload APIs
  hub::ModuleTwins twins;                 // and their module twins
  std::unique_ptr<Supervisor> supervisor;
  bool started = false;
  capture::FrameStore frames{16};         // filled only while some alert module's rules ask for snapshots; 16 frames
                                          // cover an object's first second (its best frame) at MAX_FPS up to ~10
  std::atomic<bool> snapshots_wanted{false};
  std::unique_ptr<SnapshotFolder> snapshots;
  std::unique_ptr<Evidence> evidence;  // clips and the alert index (vigil run; not in a replay)
  std::mutex plan_mutex;  // cameras, vision and deployment.modules once running: the manifest's watcher changes them

  // A module whose spec changed: its new plan checked and kept, then restarted (or stopped) by the supervisor.
  Status replace_module(const ModuleSpec& m, const std::vector<std::string>& changes);

  std::string store_snapshot(const Message& in, const vision::Prediction& p, const vision::Overlay& overlay,
                             const std::string& alert_id);
  vision::Overlay overlay() const;  // every alert module's zones and lines, for the previews
  void refresh_snapshots_wanted();

  Status plan();
  Status add_uplinks();
  void attach_local_inputs(const std::vector<hub::Route>& routes);
  Status plan_previews();
  Status start_broker();
  Result<hub::MqttOptions> hub_connection();  // the broker, and how the hub connects to it
  Result<std::unique_ptr<ModuleInstance>> start_exec_module(const ModuleSpec& m);
  Result<std::unique_ptr<ModuleInstance>> start_module(const ModuleSpec& m);  // with its health check, if any
  Result<std::unique_ptr<ModuleInstance>> start_module_kind(const ModuleSpec& m);
  // An exec module's desired properties: retained on devices/{device}/modules/{module}/twin/desired, the whole
  // document with "$version" (1, 2, … per module in this run), as an IoT Hub twin's desired section looks.
  std::string desired_topic(const std::string& module) const;
  Status publish_desired(const std::string& module, const nlohmann::json& desired);
  std::mutex desired_mutex;
  std::map<std::string, std::int64_t> desired_versions;
};

Result<VisionPlan> vision_plan(const ModuleSpec& m, const RuntimeOptions& o) {
  VisionPlan v;
  v.model = !m.args.empty() ? m.args[0] : (m.env.count("MODEL_PATH") ? m.env.at("MODEL_PATH") : "");
  if (v.model.empty())
    return make_error(ErrorCode::InvalidArgument, "module " + m.name + ": which model? Write \"image\": \"vigil:vision "
                                                  "MODEL_DIR\" (a Custom Vision export, a Darknet folder or builtin:person) "
                                                  "or set env MODEL_PATH");
  v.model = under(o.base_dir, v.model);
  if (!o.replay_clip) {
    if (auto p = m.ports.find(80); p != m.ports.end()) {
      v.host = p->second.host_ip.empty() ? "0.0.0.0" : p->second.host_ip;
      v.port = p->second.host_port;
    }
    if (auto p = m.env.find("PORT"); p != m.env.end()) {
      const auto port = parse_port(p->second, true);
      if (!port)
        return make_error(ErrorCode::InvalidArgument, "module " + m.name + ": env PORT '" + p->second +
                                                      "' is not a port (1-65535, or 0 for any free port)");
      v.port = *port;
      v.host = m.env.count("HOST") ? m.env.at("HOST") : "0.0.0.0";
    }
  }
  if (auto k = m.env.find("PREDICTION_KEY"); k != m.env.end()) v.prediction_key = k->second;
  if (auto k = m.env.find("TLS_CERT_FILE"); k != m.env.end()) v.tls_cert_file = under(o.base_dir, k->second);
  if (auto k = m.env.find("TLS_KEY_FILE"); k != m.env.end()) v.tls_key_file = under(o.base_dir, k->second);
  return v;
}

Result<capture::CameraSettings> camera_plan(const ModuleSpec& m, const Deployment& d, const RuntimeOptions& o,
                                            std::string* warning) {
  auto values = camera_setting_values(m, o);
  auto& ep = values["IMAGE_PROCESSING_ENDPOINT"];
  const EndpointChoice c = resolve_camera_endpoint(ep, d);
  if (warning) *warning = c.warning;
  if (!c.vision_module.empty()) {
    auto v = vision_plan(*d.find(c.vision_module), o);
    if (!v) return v.error();
    ep = v->model;
  } else if (!ep.empty() && !capture::is_http_endpoint(ep)) {
    ep = under(o.base_dir, ep);
  }
  if (!values.count("CAMERA_ID")) values["CAMERA_ID"] = m.name;
  auto settings = capture::parse_camera_settings(values);
  if (!settings) return make_error(settings.error().code, "module " + m.name + ": " + settings.error().message);
  return *settings;
}

Status Runtime::Impl::plan() {
  for (const auto& m : deployment.modules) {
    switch (m.kind) {
      case ModuleKind::Vision: {
        auto v = vision_plan(m, options);
        if (!v) return v.error();
        vision[m.name] = *v;
        break;
      }
      case ModuleKind::Camera: {
        std::string warning;
        auto settings = camera_plan(m, deployment, options, &warning);
        if (!settings) return settings.error();
        if (!warning.empty()) {
          deployment.warnings.push_back("module " + m.name + ": " + warning);
          LOG_WARN("agent", "[" << m.name << "] " << warning);
        }
        for (const auto& w : capture::unknown_setting_warnings(m.env)) {
          deployment.warnings.push_back("module " + m.name + ": " + w);
          LOG_WARN("agent", "[" << m.name << "] " << w);
        }
        cameras[m.name] = *settings;
        break;
      }
      case ModuleKind::Alert: {
        auto rules = alert::parse_rules(m.desired);
        if (!rules)
          return make_error(rules.error().code, "module " + m.name + " desired properties (the alert rules): " + rules.error().message);
        alerts[m.name] = std::make_shared<AlertSlot>();
        break;
      }
      case ModuleKind::Exec:
        need_mqtt = true;
        if (m.iotedge) sdk_modules.insert(m.name);
        break;
    }
  }
  if (options.isolate) need_mqtt = true;
  refresh_snapshots_wanted();
  return ok_status();
}

Status Runtime::Impl::start_broker() {
  if (!options.broker.empty()) {
    if (!sdk_modules.empty())
      return make_error(ErrorCode::Unsupported, "vigil:iotedge modules need vigil's own broker (its edge listener checks their "
                                                "SAS tokens and keeps their twins): run without --broker");
    broker_uri = options.broker;
    return ok_status();
  }
  std::optional<EdgeListener> listener;
  if (!sdk_modules.empty()) {
    auto plugin = find_edge_plugin(options.self_exe);
    if (!plugin) return plugin.error();
    auto settings = parse_edge_listen(options.edge_listen);
    if (!settings) return settings.error();
    auto env = EdgeEnvironment::create(options.work_dir, options.device_id, *settings, *plugin);
    if (!env) return env.error();
    edge = std::move(*env);
    listener = edge->listener();
    LOG_INFO("agent", "edge listener for vigil:iotedge modules: mqtts://" << listener->host << ":" << listener->port
                                                                          << " (vigil's CA: " << options.work_dir << "/edge/ca.pem)");
  }
  auto local = LocalBroker::start(options.work_dir, listener ? &*listener : nullptr);
  if (!local) return local.error();
  broker = std::move(*local);
  broker_uri = broker->uri();
  LOG_INFO("agent", "local MQTT broker for the modules: " << broker_uri << " (supervised; restarted if it exits)");
  return ok_status();
}

std::string Runtime::Impl::store_snapshot(const Message& in, const vision::Prediction& p, const vision::Overlay& overlay,
                                          const std::string& alert_id) {
  auto ref = frame_of(in);
  if (!ref) return "";
  auto frame = frames.get(ref->camera, ref->number);
  return frame ? snapshots->save(*frame, p, overlay, alert_id) : "";
}

vision::Overlay Runtime::Impl::overlay() const {
  vision::Overlay out;
  for (const auto& [_, slot] : alerts)
    if (auto module = slot->get()) {
      auto shapes = module->overlay();
      out.insert(out.end(), shapes.begin(), shapes.end());
    }
  return out;
}

void Runtime::Impl::refresh_snapshots_wanted() {
  bool wanted = false;
  for (const auto& m : deployment.modules)
    if (m.kind == ModuleKind::Alert)
      if (auto rules = alert::parse_rules(m.desired); rules && rules->snapshot) wanted = true;
  snapshots_wanted = wanted;
}

std::string Runtime::Impl::desired_topic(const std::string& module) const {
  return hub::module_topic(options.device_id, module) + "/twin/desired";
}

Status Runtime::Impl::publish_desired(const std::string& module, const nlohmann::json& desired) {
  if (!mqtt) return make_error(ErrorCode::Unavailable, "no MQTT broker for the modules");
  nlohmann::json doc = desired.is_object() ? desired : nlohmann::json::object();
  {
    std::lock_guard lock(desired_mutex);
    doc["$version"] = ++desired_versions[module];
  }
  return mqtt->publish(desired_topic(module), doc.dump(), 1, true, 3000);
}

Result<hub::MqttOptions> Runtime::Impl::hub_connection() {
  if (auto s = start_broker(); !s) return s.error();
  auto b = edge ? Result<hub::MqttOptions>(edge->hub_client()) : hub::parse_mqtt_uri(broker_uri);  // with SDK modules, over TLS
  if (!b) return make_error(ErrorCode::InvalidArgument, "--broker: " + b.error().message);
  b->client_id = "vigil-hub-" + options.device_id;
  b->reconnect_max_s = 2;  // back as soon as the broker is: no later than the modules
  return b;
}

Result<std::unique_ptr<ModuleInstance>> Runtime::Impl::start_module(const ModuleSpec& m) {
  auto module = start_module_kind(m);
  if (!module || !m.healthcheck) return module;
  return with_health_check(std::move(*module), std::make_unique<HealthProbe>(m.name, *m.healthcheck, m.env, options.base_dir));
}

Result<std::unique_ptr<ModuleInstance>> Runtime::Impl::start_module_kind(const ModuleSpec& m) {
  if (options.isolate && m.kind != ModuleKind::Exec) {
    ChildOptions co;
    co.argv = {options.self_exe, "module", m.name, "--broker", broker_uri, "--device-id", options.device_id, "--state-dir", options.work_dir,
               "--device", options.model_device};
    co.argv.insert(co.argv.end(), options.module_args.begin(), options.module_args.end());
    return start_exec(m.name, std::move(co), nullptr);
  }
  switch (m.kind) {
    case ModuleKind::Camera: {
      auto it = preview_of.find(m.name);
      const capture::CameraSettings settings = [&] {
        std::lock_guard lock(plan_mutex);
        return cameras.at(m.name);
      }();
      CameraHooks hooks;
      hooks.frames = [this](const std::string& camera, std::uint64_t n, const cv::Mat& image) {
        if (snapshots_wanted.load(std::memory_order_relaxed)) frames.put(camera, n, image);
      };
      hooks.overlay = [this] { return overlay(); };
      if (evidence) hooks.clips = evidence->clips();
      return start_camera(hub->context_for(m.name), settings, *models, it == preview_of.end() ? nullptr : it->second,
                          totals, std::move(hooks));
    }
    case ModuleKind::Vision: {
      const VisionPlan plan = [&] {
        std::lock_guard lock(plan_mutex);
        return vision.at(m.name);
      }();
      return start_vision(m.name, plan, *models, metrics);
    }
    case ModuleKind::Alert: {
      auto rules = alert::parse_rules(m.desired);  // the current desired properties (they may have changed)
      if (!rules) return rules.error();
      return start_alert(hub->context_for(m.name), *rules, alerts.at(m.name),
                         [this](const Message& in, const vision::Prediction& p, const vision::Overlay& overlay,
                                const std::string& id) { return store_snapshot(in, p, overlay, id); },
                         [this](const std::string& module, const nlohmann::ordered_json& body) {
                           if (evidence) evidence->on_alert(module, body);
                         });
    }
    case ModuleKind::Exec:
      return start_exec_module(m);
  }
  return make_error(ErrorCode::Internal, "unknown module kind");
}

// vigil:exec gets vigil's variables and its desired properties on a retained topic; vigil:iotedge the IoT Edge module
// environment, its twin from the hub, and desired-property patches as edgeHub sends them.
Result<std::unique_ptr<ModuleInstance>> Runtime::Impl::start_exec_module(const ModuleSpec& m) {
  ChildOptions co;
  co.argv = m.args;
  co.env = m.env;
  co.env["PYTHONUNBUFFERED"] = "1";
  co.cwd = options.base_dir;
  if (m.iotedge) {
    auto env = edge->module_env(m.name);
    if (!env) return env.error();
    for (auto& [k, v] : *env) co.env[k] = v;
    (void)twins.set_desired(m.name, m.desired);  // the module reads them with its first GET
    return start_exec(m.name, std::move(co), [this, name = m.name](const nlohmann::json& desired) -> Status {
      auto patch = twins.set_desired(name, desired);  // the twin has them now, whether the patch arrives or not
      if (auto s = patch ? transport->push_desired(name, *patch) : ok_status(); !s)
        LOG_WARN("agent", "[" << name << "] the desired-properties patch was not sent (" << s.error().message
                              << "); the module reads them from its twin when it connects again");
      return ok_status();
    });
  }
  auto b = hub::parse_mqtt_uri(broker_uri);
  co.env["VIGIL_MQTT_URI"] = broker_uri;
  co.env["VIGIL_MQTT_HOST"] = b ? b->host : "127.0.0.1";
  co.env["VIGIL_MQTT_PORT"] = std::to_string(b ? b->port : 1883);
  co.env["IOTEDGE_DEVICEID"] = co.env["VIGIL_DEVICE_ID"] = options.device_id;
  co.env["IOTEDGE_MODULEID"] = co.env["VIGIL_MODULE_ID"] = m.name;
  co.env["IOTEDGE_GATEWAYHOSTNAME"] = b ? b->host : "127.0.0.1";
  co.env["VIGIL_DESIRED_TOPIC"] = desired_topic(m.name);
  co.env["VIGIL_DESIRED_PROPERTIES"] = m.desired.dump();
  // Retained before the module starts, so its subscription gets the current document at once.
  if (auto s = publish_desired(m.name, m.desired); !s)
    LOG_WARN("agent", "[" << m.name << "] its desired properties were not published: " << s.error().message
                             << " (it still has them in VIGIL_DESIRED_PROPERTIES)");
  return start_exec(m.name, std::move(co),
                    [this, name = m.name](const nlohmann::json& desired) { return publish_desired(name, desired); });
}

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() { stop(); }

// The uplinks of $upstream: the manifest's and --upstream's (or the replay's collector).
Status Runtime::Impl::add_uplinks() {
  if (options.collector) {
    hub->add_upstream(options.collector);
  } else {
    std::vector<std::string> uris = deployment.uplinks;
    uris.insert(uris.end(), options.extra_uplinks.begin(), options.extra_uplinks.end());
    std::vector<std::string> camera_ids;  // for Home Assistant discovery: the entities of other cameras go
    for (const auto& [_, cam] : cameras) camera_ids.push_back(cam.camera_id);
    for (auto uri : uris) {
      if (uri.rfind("file:", 0) == 0) uri = "file:" + under(options.base_dir, uri.substr(5));
      auto up = uplink::make_uplink(uri, options.device_id, camera_ids);
      if (!up) return make_error(up.error().code, redact_secrets("uplink " + uri + ": " + up.error().message));
      LOG_INFO("agent", hub->add_upstream(*up, redact_secrets(uri)) << " → " << redact_secrets((*up)->describe()));
    }
    if (uris.empty())
      LOG_WARN("agent", "no uplinks: what routes send to $upstream waits in the outbox (add \"uplinks\" to $edgeHub, or --upstream URI)");
  }
  return ok_status();
}

// Every module input a route names, for the alert modules in this process (isolated ones get theirs over MQTT).
void Runtime::Impl::attach_local_inputs(const std::vector<hub::Route>& routes) {
  for (const auto& route : routes) {
    if (route.sink.kind != hub::Sink::Kind::ModuleInput) continue;
    auto slot = alerts.find(route.sink.module);
    if (slot == alerts.end() || options.isolate) continue;  // isolated alert modules get their inputs over MQTT
    hub->attach_input(route.sink.module, route.sink.input, [s = slot->second](const Message& m) { s->on_message(m); });
  }
  for (const auto& [name, _] : alerts) {
    bool fed = false;
    for (const auto& route : routes) fed |= route.sink.kind == hub::Sink::Kind::ModuleInput && route.sink.module == name;
    if (!fed) LOG_WARN("agent", "[" << name << "] no route delivers to this alert module; it will see nothing");
  }
}

// One preview server per PREVIEW_HOST:PREVIEW_PORT, shared by the cameras that name it (with the same access).
Status Runtime::Impl::plan_previews() {
  for (const auto& [name, c] : cameras) {
    if (!c.show_video || options.isolate) continue;  // an isolated camera serves its own preview
    const std::string key = c.preview_host + ":" + std::to_string(c.preview_port);
    auto& server = previews[key];
    if (!server) {
      server = std::make_unique<http::PreviewServer>(metrics, capture::preview_security(c));
      if (evidence) server->set_catalog(evidence->index());
    } else if (server->security() != capture::preview_security(c)) {
      return make_error(ErrorCode::InvalidArgument, "module " + name + ": it shares the preview " + key +
                                                        " with another camera but not its PREVIEW_USERS, PREVIEW_TOKEN or "
                                                        "TLS files; give both the same, or this one its own PREVIEW_PORT");
    }
    preview_of[name] = server.get();
  }
  return ok_status();
}

Result<std::unique_ptr<Runtime>> Runtime::create(Deployment deployment, RuntimeOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->deployment = std::move(deployment);
  impl->options = std::move(options);
  Impl& r = *impl;
  r.models = std::make_unique<ModelCache>(r.options.model_device, 2);
  if (auto s = r.plan(); !s) return s.error();

  auto routes = hub::parse_routes(r.deployment.routes);
  if (!routes) return make_error(ErrorCode::InvalidArgument, "routes: " + routes.error().message);
  if (routes->empty()) LOG_WARN("agent", "the deployment has no routes: modules' messages go nowhere");

  std::error_code ec;
  fs::create_directories(r.options.work_dir + "/snapshots", ec);
  r.snapshots = std::make_unique<SnapshotFolder>(r.options.work_dir + "/snapshots");
  auto outbox = hub::Outbox::open(r.options.work_dir + "/outbox.db", {r.deployment.ttl_s, r.deployment.max_store_bytes});
  if (!outbox) return outbox.error();
  r.outbox = std::move(*outbox);
  if (!r.options.replay_clip) {
    auto evidence = Evidence::open(
        r.options.work_dir, *r.outbox,
        [self = impl.get()](const std::string& module) -> std::shared_ptr<alert::AlertModule> {
          auto it = self->alerts.find(module);
          return it == self->alerts.end() ? nullptr : it->second->get();
        },
        r.options.retention);
    if (!evidence) return evidence.error();
    r.evidence = std::move(*evidence);
  }
  hub::HubOptions ho;
  ho.device_id = r.options.device_id;
  ho.routes = *routes;
  r.hub = std::make_unique<hub::Hub>(ho, *r.outbox, r.metrics);

  if (auto s = r.add_uplinks(); !s) return s.error();

  r.attach_local_inputs(*routes);

  // Models are loaded now, once, so a bad model stops start-up with its module named.
  for (const auto& [name, v] : r.vision)
    if (auto m = r.models->get(v.model); !m) return make_error(m.error().code, "module " + name + ": " + m.error().message);
  for (const auto& [name, c] : r.cameras)
    if (!c.endpoint.empty() && !capture::is_http_endpoint(c.endpoint))
      if (auto m = r.models->get(c.endpoint); !m)
        return make_error(m.error().code, "module " + name + ": IMAGE_PROCESSING_ENDPOINT '" + c.endpoint + "': " + m.error().message);

  if (r.options.isolate) r.models = std::make_unique<ModelCache>(r.options.model_device, 2);  // checked; the children load their own
  if (auto s = r.plan_previews(); !s) return s.error();
  Impl* self = impl.get();
  r.supervisor = std::make_unique<Supervisor>(r.deployment.modules, [self](const ModuleSpec& m) { return self->start_module(m); },
                                              r.deployment.agent, !r.options.replay_clip.has_value());
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

Status Runtime::start() {
  Impl& r = *impl_;
  if (r.need_mqtt) {
    auto b = r.hub_connection();
    if (!b) return b.error();
    r.mqtt = std::make_unique<hub::MqttClient>(*b);
    r.transport = std::make_unique<hub::MqttTransport>(*r.hub, *r.mqtt, r.options.device_id);
    if (r.edge) r.transport->serve_edge(r.twins, r.sdk_modules);
    r.transport->attach();
    r.hub->set_remote_sender_factory([&r](const std::string& m, const std::string& i) { return r.transport->sender_for(m, i); });
  }
  r.hub->start();
  r.started = true;
  if (r.mqtt) {
    if (auto s = r.mqtt->start(); !s) return s;
    // Exec modules get their desired properties over it as they start: give it a moment to connect.
    for (int i = 0; i < 250 && !r.mqtt->connected(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& [key, server] : r.previews) {
    const auto colon = key.rfind(':');
    if (auto s = server->listen(key.substr(0, colon), std::stoi(key.substr(colon + 1))); !s)
      return make_error(s.error().code, "preview " + key + ": " + s.error().message +
                                            (s.error().code == ErrorCode::Unavailable
                                                 ? "; set PREVIEW_PORT in the camera's env (vigil run --set CAMERA.PREVIEW_PORT=5013)" : ""));
    server->start();
    LOG_INFO("agent", "preview on " << (server->tls() ? "https" : "http") << "://" << key.substr(0, colon) << ":"
                                    << server->port() << "/ (alerts: /alerts); who may see it: " << server->access());
  }
  r.supervisor->start_all();
  return ok_status();
}

void Runtime::stop() {
  Impl& r = *impl_;
  if (!r.started) return;
  r.started = false;
  // Cameras first, so nothing new arrives; then what is queued for local inputs reaches the alert modules (and
  // their alerts the outbox) before they stop.
  r.supervisor->stop_kind("camera");
  r.hub->wait_idle(std::chrono::seconds(10), false);
  r.supervisor->stop_all();
  if (r.evidence) r.evidence->stop();
  r.hub->stop();
  if (r.mqtt) r.mqtt->stop();
  if (r.broker) r.broker->stop();
  for (auto& [_, server] : r.previews) server->stop();
}

bool Runtime::wait_replay_done(std::chrono::milliseconds timeout) {
  Impl& r = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!r.supervisor->all_done("camera")) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return r.hub->wait_idle(std::max(left, std::chrono::milliseconds(1)), true);
}

const Deployment& Runtime::deployment() const { return impl_->deployment; }
Supervisor& Runtime::supervisor() { return *impl_->supervisor; }
Metrics& Runtime::metrics() { return impl_->metrics; }

capture::CameraCounters Runtime::camera_totals() const {
  std::lock_guard lock(impl_->totals.mutex);
  return impl_->totals.sum;
}

std::map<std::string, nlohmann::json> Runtime::explain() const {
  std::map<std::string, nlohmann::json> out;
  for (const auto& [name, slot] : impl_->alerts)
    if (auto m = slot->get()) out[name] = m->explain(100);
  return out;
}

void Runtime::apply_changes(const Deployment& updated) {
  Impl& r = *impl_;
  for (const auto& m : updated.modules)
    if (!r.deployment.find(m.name)) LOG_WARN("agent", "[" << m.name << "] is new in the manifest: restart vigil run to start it");
  for (const auto& m : r.deployment.modules)
    if (!updated.find(m.name)) LOG_WARN("agent", "[" << m.name << "] is gone from the manifest: restart vigil run to remove it");
  if (updated.routes != r.deployment.routes || updated.uplinks != r.deployment.uplinks || updated.ttl_s != r.deployment.ttl_s ||
      updated.max_store_bytes != r.deployment.max_store_bytes)
    LOG_WARN("agent", "the routes, uplinks or store settings changed: they apply when vigil run starts again");
  for (const auto& m : updated.modules) {
    const ModuleSpec* current = r.deployment.find(m.name);
    if (!current) continue;
    if (const auto changes = restart_changes(*current, m); !changes.empty()) {
      if (auto s = r.replace_module(m, changes); !s) {
        LOG_ERROR("agent", "[" << m.name << "] the changed module is not applied, the running one stays: " << s.error().message);
        continue;
      }
    } else if (current->desired != m.desired) {
      if (auto s = r.supervisor->update_desired(m.name, m.desired); !s) {
        LOG_ERROR("agent", "[" << m.name << "] new desired properties refused, the old ones stay: " << s.error().message);
        continue;
      }
      LOG_INFO("agent", "[" << m.name << "] desired properties applied");
    } else {
      continue;
    }
    std::lock_guard lock(r.plan_mutex);
    for (auto& mine : r.deployment.modules)
      if (mine.name == m.name) mine = m;
  }
  r.refresh_snapshots_wanted();
}

Status Runtime::Impl::replace_module(const ModuleSpec& m, const std::vector<std::string>& changes) {
  std::string what;
  for (const auto& c : changes) what += (what.empty() ? "" : ", ") + c;
  if (const ModuleSpec* before = deployment.find(m.name); before && before->kind != m.kind)
    return make_error(ErrorCode::Unsupported, "its kind changed (" + std::string(kind_name(before->kind)) + " to " +
                                                  kind_name(m.kind) + "): that applies when vigil run starts again");
  if (m.kind == ModuleKind::Camera) {  // checked before the running one stops
    auto settings = camera_plan(m, deployment, options, nullptr);
    if (!settings) return settings.error();
    for (const auto& w : capture::unknown_setting_warnings(m.env)) LOG_WARN("agent", "[" << m.name << "] " << w);
    std::lock_guard lock(plan_mutex);
    const auto& old = cameras.at(m.name);
    if (old.preview_port != settings->preview_port || old.preview_host != settings->preview_host)
      LOG_WARN("agent", "[" << m.name << "] its preview stays on " << old.preview_host << ":" << old.preview_port
                            << " until vigil run starts again");
    if (capture::preview_security(old) != capture::preview_security(*settings))
      LOG_WARN("agent", "[" << m.name << "] its preview keeps its users, token and TLS files until vigil run starts again");
    cameras[m.name] = *settings;
  } else if (m.kind == ModuleKind::Vision) {
    auto v = vision_plan(m, options);
    if (!v) return v.error();
    std::lock_guard lock(plan_mutex);
    vision[m.name] = *v;
  } else if (m.kind == ModuleKind::Alert) {
    if (auto rules = alert::parse_rules(m.desired); !rules) return rules.error();
  }
  LOG_INFO("agent", "[" << m.name << "] changed in the manifest (" << what << "): "
                        << (m.running ? "restarting it with the new settings" : "stopping it"));
  return supervisor->replace(m);
}

std::map<std::string, nlohmann::json> Runtime::reported_properties() const { return impl_->twins.reported(); }

std::map<std::string, std::string> Runtime::log_aliases() const {
  std::map<std::string, std::string> a;
  for (const auto& [name, c] : impl_->cameras)
    if (!c.camera_id.empty()) a[c.camera_id] = name;
  return a;
}

}  // namespace vigil::deploy
