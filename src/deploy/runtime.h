// Runtime: one deployment running in this process — what `vigil run` and `vigil replay` start. It resolves the
// plan (each module's settings, models, rules, inputs) and refuses a bad one before anything starts, then owns
// the parts while they run:
//
//   Supervisor ─ starts/restarts ─▶ camera modules ─send─▶ Hub ─route─▶ alert modules (local input queues)
//                                   vision modules (ModelCache, HTTP API)     │ $upstream
//                                   exec modules (child processes) ◀─MQTT─▶  ▼
//                                                                  Outbox (SQLite) ─▶ uplink pumps
//   Preview servers (one per PREVIEW_HOST:PREVIEW_PORT, every camera that shows video) · /metrics there
//
// MQTT is used only when some module joins over it (vigil:exec, or every module with --isolate): then the hub
// connects to --broker, or to a mosquitto the runtime starts on a free loopback port for the run. vigil:iotedge
// modules add that mosquitto's edge listener (MQTT over TLS, SAS tokens, module twins: deploy/edge_env.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/camera_module.h"
#include "deploy/evidence.h"
#include "deploy/manifest.h"
#include "deploy/local_modules.h"
#include "deploy/supervisor.h"
#include "hub/hub.h"

namespace vigil::deploy {

struct RuntimeOptions {
  std::string base_dir = ".";      // relative paths in the manifest (models, videos, exec cwd, file: uplinks)
  std::string work_dir = ".";      // the run's own files: outbox.db, snapshots/, a local broker's config
  std::string device_id = "vigil";
  std::vector<std::string> extra_uplinks;  // --upstream, after the manifest's
  std::string broker;              // mqtt:// URI; empty: a local mosquitto when a module needs MQTT
  std::string model_device = "cpu";
  // --isolate: every vigil:camera/vision/alert module runs as `self_exe module NAME --broker … module_args…`, a child
  // process joined over MQTT (hub/module_link.h), supervised like an exec module. module_args name the manifest,
  // .env and --set values, so the child plans its module from the same deployment.
  bool isolate = false;
  std::string self_exe;  // this program: for --isolate, and to find the edge listener's broker plugin next to it
  std::vector<std::string> module_args;
  std::string edge_listen = "127.0.0.1:8883";  // the edge listener for vigil:iotedge modules (deploy/edge_env.h)
  // Replay: every camera reads this clip once; no preview; no restarts; `collector` replaces the uplinks.
  std::optional<std::string> replay_clip;
  bool replay_realtime = false;
  std::shared_ptr<hub::EndpointSender> collector;
  RetentionOptions retention;  // clips/ (deploy/evidence.h)
};

// What IMAGE_PROCESSING_ENDPOINT means inside a deployment. An http(s) URL whose host is a vigil:vision module
// (the tutorial's http://image-classifier-service:80/image) uses that module's model in-process: no JPEG, no
// HTTP. A bare host name that is no module, when the deployment has exactly one vision module, means that one
// (with a warning): the tutorial's template names a host its own manifest does not define.
struct EndpointChoice {
  std::string vision_module;  // empty: use `endpoint` as it is
  std::string warning;
};
EndpointChoice resolve_camera_endpoint(const std::string& endpoint, const Deployment& d);

// The camera settings a module runs with: its env, the preview port from its createOptions PortBindings
// (5012/tcp) unless PREVIEW_PORT is set, relative VIDEO_PATH under `base_dir`, then the replay overrides.
std::map<std::string, std::string> camera_setting_values(const ModuleSpec& m, const RuntimeOptions& o);

// A camera module's settings, its endpoint resolved (a vision module's model, a path under base_dir). `warning`
// gets the endpoint guess, when one was made. Errors name the module and the setting.
Result<capture::CameraSettings> camera_plan(const ModuleSpec& m, const Deployment& d, const RuntimeOptions& o,
                                            std::string* warning);
// A vision module's model (args[0] or env MODEL_PATH, under base_dir) and HTTP address (port 80 bound in
// createOptions, or env PORT/HOST), none in a replay.
Result<VisionPlan> vision_plan(const ModuleSpec& m, const RuntimeOptions& o);

class Runtime {
 public:
  // Checks everything that can be checked before starting: settings, rules, routes, uplinks, models (loaded
  // now, once). Errors name the module and the setting.
  static Result<std::unique_ptr<Runtime>> create(Deployment deployment, RuntimeOptions options);
  ~Runtime();

  Status start();
  // Stops the modules (cameras first: nothing new comes in), lets the hub finish what is queued for local
  // inputs (so alerts reach the outbox), then stops the hub and the servers. The outbox keeps what waits.
  void stop();

  // Replay: true once every camera has ended and everything it produced went through the hub and the uplinks
  // (or `timeout` passed).
  bool wait_replay_done(std::chrono::milliseconds timeout);

  const Deployment& deployment() const;
  Supervisor& supervisor();
  Metrics& metrics();
  capture::CameraCounters camera_totals() const;
  // Each alert module's recent decisions with traces (newest first).
  std::map<std::string, nlohmann::json> explain() const;
  // Applies a re-read manifest as edgeAgent would: a module whose env, image or createOptions changed restarts with
  // them (checked first: a broken change leaves the running module as it is), changed desired properties apply
  // live, and what needs vigil run to start again (new or removed modules, routes, uplinks) is said in the log.
  void apply_changes(const Deployment& updated);
  // The reported properties of each vigil:iotedge module that has reported some (with "$version").
  std::map<std::string, nlohmann::json> reported_properties() const;
  // Aliases for log routing: camera ids → their module.
  std::map<std::string, std::string> log_aliases() const;

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::deploy
