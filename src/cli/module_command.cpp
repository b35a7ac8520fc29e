// vigil module NAME: one module of a deployment in a process of its own, joined to the hub over MQTT (hub/module_link.h).
// `vigil run --isolate` starts one per vigil:camera, vigil:vision and vigil:alert module; it reads the same manifest
// (with the same .env and --set) and plans the module exactly as `vigil run` would. Ends on SIGTERM/SIGINT, or, for a
// camera reading a file without LOOP_VIDEO, at its end. An isolated camera keeps its recent frames and answers an
// isolated alert module's requests for them (alert snapshots, deploy/snapshots.h).
#include <atomic>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "alert/alert_module.h"
#include "capture/camera_module.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "core/log.h"
#include "deploy/load.h"
#include "deploy/local_modules.h"
#include "deploy/runtime.h"
#include "deploy/snapshots.h"
#include "http/preview_server.h"
#include "hub/module_link.h"

namespace vigil::cli {
namespace {

struct ModuleOptions {
  std::string name, manifest, env_file, state_dir, broker, device_id = "vigil", device = "cpu";
  std::vector<std::string> sets;
};

int fail(const std::string& why) {
  std::cerr << "vigil module: " << why << "\n";
  return 2;
}

int run_module(const ModuleOptions& o) {
  auto loaded = deploy::load_deployment(o.manifest, o.env_file, o.sets, o.state_dir);
  if (!loaded) return fail(loaded.error().message);
  const deploy::ModuleSpec* m = loaded->deployment.find(o.name);
  if (!m) return fail("no module named '" + o.name + "' in " + loaded->origin);
  auto broker = hub::parse_mqtt_uri(o.broker);
  if (!broker) return fail("--broker: " + broker.error().message);
  deploy::RuntimeOptions ro;
  ro.base_dir = loaded->base_dir;
  ro.work_dir = o.state_dir;
  ro.device_id = o.device_id;

  SignalStop signals;  // before any thread starts
  std::atomic<bool> stop{false};
  signals.arm([&](int) { stop = true; });
  Metrics metrics;
  hub::ModuleLink link(*broker, o.device_id, o.name, metrics);
  auto models = std::make_unique<deploy::ModelCache>(o.device, 2);
  std::unique_ptr<capture::CameraModule> camera;
  std::unique_ptr<http::PreviewServer> preview;
  std::unique_ptr<deploy::ModuleInstance> vision;
  std::unique_ptr<alert::AlertModule> alerts;
  capture::FrameStore frames;  // a camera's recent frames, for the alert module's snapshots
  std::unique_ptr<deploy::SnapshotFolder> snapshots;

  switch (m->kind) {
    case deploy::ModuleKind::Camera: {
      auto settings = deploy::camera_plan(*m, loaded->deployment, ro, nullptr);
      if (!settings) return fail(settings.error().message);
      auto made = capture::make_camera_module(link, *settings, [&](const std::string& model) { return models->get(model); });
      if (!made) return fail(made.error().message);
      camera = std::move(*made);
      // The frames behind recent predictions, for an alert module in another process that wants a snapshot.
      camera->set_frame_observer([&frames](const std::string& cam, std::uint64_t n, const cv::Mat& image) { frames.put(cam, n, image); });
      deploy::serve_frames(link, frames);
      if (settings->show_video) {
        preview = std::make_unique<http::PreviewServer>(metrics, capture::preview_security(*settings));
        preview->add_camera(camera->shared_view());
        if (auto s = preview->listen(settings->preview_host, settings->preview_port); !s) return fail("preview: " + s.error().message);
        preview->start();
        LOG_INFO("module", "[" << o.name << "] preview on http://" << settings->preview_host << ":" << preview->port() << "/");
      }
      break;
    }
    case deploy::ModuleKind::Vision: {
      auto plan = deploy::vision_plan(*m, ro);
      if (!plan) return fail(plan.error().message);
      auto started = deploy::start_vision(o.name, *plan, *models, metrics);  // the model, and its HTTP API if bound
      if (!started) return fail(started.error().message);
      vision = std::move(*started);
      break;
    }
    case deploy::ModuleKind::Alert: {
      auto rules = alert::parse_rules(m->desired);
      if (!rules) return fail("the alert rules of " + o.name + ": " + rules.error().message);
      alerts = std::make_unique<alert::AlertModule>(link, *rules);
      snapshots = std::make_unique<deploy::SnapshotFolder>(o.state_dir + "/snapshots");
      alerts->set_snapshotter([&](const Message& in, const vision::Prediction& p, const vision::Overlay& overlay,
                                  const std::string& id) {
        auto frame = deploy::fetch_frame(link, in);  // from the camera's process
        return frame ? snapshots->save(*frame, p, overlay, id) : std::string();
      });
      link.on_input([&](const Message& in) { alerts->on_message(in); });
      break;
    }
    case deploy::ModuleKind::Exec:
      return fail(o.name + " is a vigil:exec module; vigil run starts its command itself");
  }
  if (auto s = link.start(); !s) return fail(s.error().message);
  if (camera) camera->start();
  LOG_INFO("module", "[" << o.name << "] " << deploy::kind_name(m->kind) << " module joined the hub at " << o.broker);
  while (!stop && !(camera && camera->finished())) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  link.stop();  // first: a send waiting for a broker that is gone gives up, so the camera's thread can end
  if (camera) camera->stop();
  if (preview) preview->stop();
  if (vision) vision->stop();
  return 0;
}

}  // namespace

void add_module_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<ModuleOptions>();
  auto* cmd = app.add_subcommand("module", "Run one module of a deployment in this process, over MQTT (vigil run --isolate uses it)");
  cmd->add_option("name", o->name, "the module")->required();
  cmd->add_option("--manifest,-m", o->manifest, "the deployment (default: the built-in one)");
  cmd->add_option("--env-file", o->env_file, "variables for $VAR in the manifest");
  cmd->add_option("--set,-s", o->sets, "MODULE.KEY=VALUE (repeatable)");
  cmd->add_option("--broker", o->broker, "the hub's MQTT broker")->required();
  cmd->add_option("--device-id", o->device_id, "the device's id")->capture_default_str();
  cmd->add_option("--state-dir", o->state_dir, "the run's state folder (the built-in default's paths)")->required();
  cmd->add_option("--device", o->device, "cpu or cuda, for the model")->capture_default_str();
  cmd->callback([o, &run] { run = [o] { return run_module(*o); }; });
}

}  // namespace vigil::cli
