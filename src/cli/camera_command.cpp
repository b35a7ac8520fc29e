// vigil camera: one camera module on its own, configured like the tutorial's camera module (environment
// variables VIDEO_PATH, IMAGE_PROCESSING_ENDPOINT, SHOW_VIDEO, …, or the flags below, which win). Its
// outputs (output1 predictions, health changes) are printed as JSON lines — {"output": NAME, "message": {…}}
// — on stdout or appended to --out FILE. Ends at the end of a non-looping file, after --frames, or on
// SIGINT/SIGTERM, and then prints a summary on stderr.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "capture/camera_module.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "core/environment.h"
#include "core/log.h"
#include "http/preview_server.h"

namespace vigil::cli {
namespace {

struct CameraOptions {
  std::string module_id = "camera-module";
  std::vector<std::string> set;  // KEY=VALUE
  std::string video, endpoint, params, out;
  bool show_video = false, list_settings = false;
  int preview_port = -1;
  std::string preview_host;
  std::uint64_t frames = 0;
  std::string device = "cpu";
};

// Prints each message as one JSON line and counts frames sent for --frames.
class PrintingContext : public ModuleContext {
 public:
  PrintingContext(std::string id, std::ostream& out) : id_(std::move(id)), out_(out) {}
  const std::string& module_id() const override { return id_; }
  Metrics& metrics() override { return metrics_; }
  void send(const std::string& output, Message m) override {
    m.system.connection_module_id = id_;
    m.system.output_name = output;
    const std::string line = json_text(nlohmann::json{{"output", output}, {"message", message_to_json(m)}});
    std::lock_guard lock(mutex_);
    out_ << line << '\n';
    out_.flush();
  }

 private:
  std::string id_;
  std::ostream& out_;
  Metrics metrics_;
  std::mutex mutex_;
};

int print_settings() {
  for (const auto& d : capture::camera_setting_docs())
    std::printf("%-26s default %-8s %s\n", d.name.c_str(), d.default_value.empty() ? "\"\"" : d.default_value.c_str(),
                d.help.c_str());
  return 0;
}

int run_camera(const CameraOptions& o) {
  if (o.list_settings) return print_settings();
  std::map<std::string, std::string> values = environment_variables();
  for (const auto& kv : o.set) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "vigil camera: --set wants KEY=VALUE (got '" << kv << "')\n";
      return 2;
    }
    values[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!o.video.empty()) values["VIDEO_PATH"] = o.video;
  if (!o.endpoint.empty()) values["IMAGE_PROCESSING_ENDPOINT"] = o.endpoint;
  if (!o.params.empty()) values["IMAGE_PROCESSING_PARAMS"] = o.params;
  if (o.show_video) values["SHOW_VIDEO"] = "true";
  if (o.preview_port >= 0) values["PREVIEW_PORT"] = std::to_string(o.preview_port);
  if (!o.preview_host.empty()) values["PREVIEW_HOST"] = o.preview_host;
  auto settings = capture::parse_camera_settings(values);
  if (!settings) {
    std::cerr << "vigil camera: " << settings.error().message << "\n";
    return 2;
  }

  SignalStop signals;  // before any thread starts
  std::ofstream file;
  if (!o.out.empty()) {
    file.open(o.out, std::ios::app);
    if (!file) {
      std::cerr << "vigil camera: cannot write " << o.out << "\n";
      return 1;
    }
  }
  PrintingContext context(o.module_id, o.out.empty() ? std::cout : file);
  auto models = [&](const std::string& model) -> Result<std::shared_ptr<vision::ModelRunner>> {
    auto runner = vision::make_model_runner(model, {o.device}, 1);
    if (!runner) return runner.error();
    return std::shared_ptr<vision::ModelRunner>(std::move(*runner));
  };
  auto camera = capture::make_camera_module(context, *settings, models);
  if (!camera) {
    std::cerr << "vigil camera: " << camera.error().message << "\n";
    return 2;
  }
  auto& cam = **camera;

  std::unique_ptr<http::PreviewServer> preview;
  if (settings->show_video) {
    preview = std::make_unique<http::PreviewServer>(context.metrics(), capture::preview_security(*settings));
    preview->add_camera(cam.shared_view());
    if (auto s = preview->listen(settings->preview_host, settings->preview_port); !s) {
      std::cerr << "vigil camera: preview: " << s.error().message << " (set PREVIEW_PORT)\n";
      return 1;
    }
    preview->start();
    LOG_INFO("camera", "preview listening on http://" << settings->preview_host << ":" << preview->port() << "/");
  }

  std::atomic<bool> stop_requested{false};
  signals.arm([&](int sig) {
    LOG_INFO("camera", "signal " << sig << ": stopping");
    stop_requested = true;
  });
  const auto started = std::chrono::steady_clock::now();
  cam.start();
  for (;;) {
    const auto c = cam.counters();
    if (stop_requested || (o.frames > 0 && c.processed >= o.frames)) break;
    if (cam.finished()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  cam.stop();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (preview) preview->stop();
  const auto c = cam.counters();
  char rate[96];
  std::snprintf(rate, sizeof rate, " in %.2f s (%.1f frames/s processed)", secs, c.processed / std::max(secs, 1e-9));
  std::cerr << "vigil camera: " << c.captured << " frames captured, " << c.processed << " processed, " << c.inferred
            << " inferred, " << c.skipped << " skipped by the motion gate, " << c.dropped << " dropped, " << c.errors
            << " inference errors, " << c.sent << " messages sent" << rate << "\n";
  return 0;
}

}  // namespace

void add_camera_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<CameraOptions>();
  auto* cmd = app.add_subcommand("camera", "Run one camera module; its messages are printed as JSON lines");
  cmd->add_option("--video,-v", o->video, "VIDEO_PATH: 0, /dev/video0, a video file, a folder of images, or a stream URL");
  cmd->add_option("--endpoint,-e", o->endpoint,
                  "IMAGE_PROCESSING_ENDPOINT: http(s)://…/image, a model folder, or builtin:person");
  cmd->add_option("--params", o->params, "IMAGE_PROCESSING_PARAMS");
  cmd->add_flag("--show-video", o->show_video, "SHOW_VIDEO: serve the live preview");
  cmd->add_option("--preview-port", o->preview_port, "PREVIEW_PORT (0 = any free port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--preview-host", o->preview_host, "PREVIEW_HOST");
  cmd->add_option("--set,-s", o->set, "any setting as KEY=VALUE (see --list-settings); repeatable");
  cmd->add_option("--id", o->module_id, "module name (connectionModuleId; the camera name unless CAMERA_ID is set)")
      ->capture_default_str();
  cmd->add_option("--out,-o", o->out, "append the messages to this file instead of stdout");
  cmd->add_option("--frames", o->frames, "stop after this many processed frames");
  cmd->add_option("--device", o->device, "cpu or cuda, for an in-process model")->capture_default_str();
  cmd->add_flag("--list-settings", o->list_settings, "print every setting with its default and exit");
  cmd->callback([o, &run] { run = [o] { return run_camera(*o); }; });
}

}  // namespace vigil::cli
