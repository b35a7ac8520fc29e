// The module kinds a deployment runs, as ModuleInstances for the supervisor (deploy/supervisor.h):
//   camera  a CameraModule whose context sends through the hub; its view joins the preview server
//   vision  a shared ModelRunner (one per model folder, however many modules and cameras use it), and the
//           Custom Vision HTTP API when the module has a port
//   alert   an AlertModule fed by the hub's local input queue; desired properties update its rules at run time
//   exec    a child process that joins the hub over MQTT; its output lines become the module's log; new desired
//           properties go to it over MQTT (also each vigil module under --isolate: `vigil module NAME`, restarted
//           for new desired properties)
// Each is built from facts the runtime resolved (settings, model path, rules), so building one cannot fail on
// configuration; what can fail at run time (a model that no longer loads, a command that is gone) is a failed
// start the supervisor retries.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "alert/alert_module.h"
#include "capture/camera_module.h"
#include "deploy/child_process.h"
#include "deploy/supervisor.h"
#include "http/preview_server.h"
#include "vision/model_runner.h"

namespace vigil::deploy {

// Loaded models by path, shared: a vision module and the cameras that use it hold the same runner.
class ModelCache {
 public:
  ModelCache(std::string device, int instances) : device_(std::move(device)), instances_(instances) {}
  Result<std::shared_ptr<vision::ModelRunner>> get(const std::string& path);  // thread-safe

 private:
  std::string device_;
  int instances_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<vision::ModelRunner>> runners_;
};

// Camera totals over every run of every camera module (a replay's summary).
struct CameraTotals {
  std::mutex mutex;
  capture::CameraCounters sum;
  void add(const capture::CameraCounters& c);
};

// What the runtime hands a camera: the frames behind alert snapshots, what to draw on its preview, where its
// clips go (each may be empty).
struct CameraHooks {
  capture::CameraModule::FrameObserver frames;
  capture::CameraModule::OverlaySource overlay;
  std::shared_ptr<capture::ClipRegistry> clips;
};
Result<std::unique_ptr<ModuleInstance>> start_camera(std::unique_ptr<ModuleContext> context,
                                                     const capture::CameraSettings& settings, ModelCache& models,
                                                     http::PreviewServer* preview, CameraTotals& totals, CameraHooks hooks);

struct VisionPlan {
  std::string model;  // folder or builtin:person
  std::string host;   // HTTP API: empty = not served
  int port = 0;
  std::string prediction_key;
  std::string tls_cert_file, tls_key_file;  // env TLS_CERT_FILE, TLS_KEY_FILE: HTTPS
};
Result<std::unique_ptr<ModuleInstance>> start_vision(const std::string& name, const VisionPlan& plan, ModelCache& models,
                                                     Metrics& metrics);

// The alert module's input handlers call this holder, which forwards to whichever instance runs now.
class AlertSlot {
 public:
  void on_message(const Message& m);
  void set(std::shared_ptr<alert::AlertModule> module);
  std::shared_ptr<alert::AlertModule> get() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<alert::AlertModule> module_;
};
Result<std::unique_ptr<ModuleInstance>> start_alert(std::unique_ptr<ModuleContext> context, const alert::AlertRules& rules,
                                                    std::shared_ptr<AlertSlot> slot, alert::AlertModule::Snapshotter snapshots,
                                                    alert::AlertModule::AlertObserver observer);

// How an exec module gets new desired properties while it runs (the runtime publishes them over MQTT). Null for a
// vigil module in its own process (vigil run --isolate), which is restarted to apply them instead.
using DesiredPublisher = std::function<Status(const nlohmann::json& desired)>;
Result<std::unique_ptr<ModuleInstance>> start_exec(const std::string& name, ChildOptions options, DesiredPublisher publish);

}  // namespace vigil::deploy
