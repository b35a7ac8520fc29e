// vigil run [MANIFEST]: the main job — a deployment's modules, hub and uplinks in this process, supervised, with
// status, logs and alert traces in the state folder for `vigil list|logs|explain`. With no manifest, the built-in
// default (deploy/load.h). The manifest is watched: changed desired properties (alert rules) apply at once.
// vigil replay CLIP: the same deployment with every camera reading CLIP once; prints each alert and a summary.
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/signals.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/time_util.h"
#include "deploy/load.h"
#include "deploy/ops_text.h"
#include "deploy/runtime.h"
#include "deploy/state_dir.h"

namespace vigil::cli {
namespace {

struct RunOptions {
  std::string manifest, env_file, state_dir, device_id = "vigil", broker, device = "cpu";
  bool isolate = false;
  std::vector<std::string> upstream, sets;
  // replay
  std::string clip;
  bool realtime = false;
  double timeout_s = 3600;
};

std::int64_t mtime_of(const std::string& path) {
  struct stat st {};
  return path.empty() || stat(path.c_str(), &st) != 0 ? 0 : static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

deploy::RuntimeOptions runtime_options(const RunOptions& o, const deploy::LoadedDeployment& loaded, const std::string& work) {
  deploy::RuntimeOptions ro;
  ro.base_dir = loaded.base_dir;
  ro.work_dir = work;
  ro.device_id = o.device_id;
  ro.broker = o.broker;
  ro.model_device = o.device;
  return ro;
}

void print_warnings(const deploy::Deployment& d) {
  for (const auto& w : d.warnings) LOG_WARN("agent", w);
}

// status.json every time (it carries updatedAt); an alert module's traces only when they changed.
void write_state(deploy::StateDir& state, deploy::Runtime& rt, const deploy::LoadedDeployment& loaded, std::int64_t started,
                 std::map<std::string, nlohmann::json>& written_traces) {
  nlohmann::json modules = nlohmann::json::array();
  for (const auto& s : rt.supervisor().states()) modules.push_back(deploy::state_to_json(s));
  (void)state.write_json("status.json", {{"pid", static_cast<int>(getpid())},
                                         {"manifest", loaded.origin},
                                         {"startedAt", started},
                                         {"updatedAt", unix_now_ms()},
                                         {"modules", modules}});
  for (auto& [module, traces] : rt.explain()) {
    auto& last = written_traces[module];
    if (last == traces) continue;
    (void)state.write_json("explain/" + module + ".json", traces);
    last = std::move(traces);
  }
}

int run_deployment(const RunOptions& o) {
  const std::string state_dir = o.state_dir.empty() ? deploy::default_state_dir() : o.state_dir;
  auto loaded = deploy::load_deployment(o.manifest, o.env_file, o.sets, state_dir);
  if (!loaded) {
    std::cerr << "vigil run: " << loaded.error().message << "\n";
    return 2;
  }
  SignalStop signals;  // before any thread starts
  auto state = deploy::StateDir::open(state_dir);
  if (!state) {
    std::cerr << "vigil run: " << state.error().message << "\n";
    return 2;
  }
  std::vector<std::string> names;
  for (const auto& m : loaded->deployment.modules) names.push_back(m.name);
  (*state)->set_modules(names, {});
  log::set_sink([s = state->get()](std::string_view, const std::string& message, const std::string& line) { s->log_line(message, line); });
  print_warnings(loaded->deployment);

  deploy::RuntimeOptions ro = runtime_options(o, *loaded, state_dir);
  ro.extra_uplinks = o.upstream;
  if (o.isolate) {
    ro.isolate = true;
    std::error_code ec;
    ro.self_exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (!loaded->manifest_path.empty()) ro.module_args = {"--manifest", std::filesystem::absolute(loaded->manifest_path).string()};
    if (!o.env_file.empty()) ro.module_args.insert(ro.module_args.end(), {"--env-file", std::filesystem::absolute(o.env_file).string()});
    for (const auto& s : o.sets) ro.module_args.insert(ro.module_args.end(), {"--set", s});
  }
  auto rt = deploy::Runtime::create(loaded->deployment, ro);
  if (!rt) {
    log::set_sink({});
    std::cerr << "vigil run: " << rt.error().message << "\n";
    return 2;
  }
  (*state)->set_modules(names, (*rt)->log_aliases());
  std::mutex m;
  std::condition_variable cv;
  bool stop = false;
  signals.arm([&](int sig) {
    LOG_INFO("agent", "signal " << sig << ": stopping");
    std::lock_guard lock(m);
    stop = true;
    cv.notify_all();
  });
  if (auto s = (*rt)->start(); !s) {
    LOG_ERROR("agent", s.error().message);
    (*rt)->stop();
    log::set_sink({});
    return 1;
  }
  LOG_INFO("agent", "running " << loaded->origin << ": " << names.size() << " module(s); state in " << state_dir
                               << " (vigil list, vigil logs MODULE, vigil explain)");
  const std::int64_t started = unix_now_ms();
  std::int64_t manifest_mtime = mtime_of(loaded->manifest_path);
  std::map<std::string, nlohmann::json> written_traces;
  for (;;) {
    write_state(**state, **rt, *loaded, started, written_traces);
    if (const auto mt = mtime_of(loaded->manifest_path); mt != manifest_mtime) {
      manifest_mtime = mt;
      auto updated = deploy::load_deployment(o.manifest, o.env_file, o.sets, state_dir);
      if (!updated) LOG_ERROR("agent", "the changed manifest is not applied: " << updated.error().message);
      else (*rt)->apply_desired(updated->deployment);
    }
    std::unique_lock lock(m);
    if (cv.wait_for(lock, std::chrono::seconds(1), [&] { return stop; })) break;
  }
  (*rt)->stop();
  write_state(**state, **rt, *loaded, started, written_traces);
  LOG_INFO("agent", "stopped; what waits for delivery stays in " << state_dir << "/outbox.db");
  log::set_sink({});
  return 0;
}

// Keeps what the deployment sends upstream during a replay.
class Collector : public hub::EndpointSender {
 public:
  Status send(const Message& msg) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(msg);
    return ok_status();
  }
  std::string describe() const override { return "replay collector"; }
  std::vector<Message> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Message> messages_;
};

int run_replay(const RunOptions& o) {
  std::error_code ec;
  if (!std::filesystem::exists(o.clip, ec)) {
    std::cerr << "vigil replay: " << o.clip << " does not exist\n";
    return 2;
  }
  const std::string work = std::filesystem::temp_directory_path().string() + "/vigil-replay-" + std::to_string(getpid());
  auto loaded = deploy::load_deployment(o.manifest, o.env_file, o.sets, work);
  if (!loaded) {
    std::cerr << "vigil replay: " << loaded.error().message << "\n";
    return 2;
  }
  bool has_camera = false;
  for (const auto& mod : loaded->deployment.modules) has_camera |= mod.kind == deploy::ModuleKind::Camera && mod.running;
  if (!has_camera) {
    std::cerr << "vigil replay: " << loaded->origin << " has no running vigil:camera module to read the clip\n";
    return 2;
  }
  print_warnings(loaded->deployment);
  auto collector = std::make_shared<Collector>();
  deploy::RuntimeOptions ro = runtime_options(o, *loaded, work);
  ro.replay_clip = std::filesystem::absolute(o.clip).string();
  ro.replay_realtime = o.realtime;
  ro.collector = collector;
  SignalStop signals;
  int rc = 0;
  {
    auto rt = deploy::Runtime::create(loaded->deployment, ro);
    if (!rt) {
      std::cerr << "vigil replay: " << rt.error().message << "\n";
      std::filesystem::remove_all(work, ec);
      return 2;
    }
    std::atomic<bool> interrupted{false};
    signals.arm([&](int) { interrupted = true; });
    const auto t0 = std::chrono::steady_clock::now();
    if (auto s = (*rt)->start(); !s) {
      std::cerr << "vigil replay: " << s.error().message << "\n";
      rc = 1;
    } else {
      const auto deadline = t0 + std::chrono::duration<double>(o.timeout_s);
      bool done = false;
      while (!interrupted && !done && std::chrono::steady_clock::now() < deadline) done = (*rt)->wait_replay_done(std::chrono::milliseconds(200));
      if (!done) {
        std::cerr << "vigil replay: " << (interrupted ? "interrupted" : "timed out") << "; the summary covers what was read\n";
        rc = 1;
      }
    }
    (*rt)->stop();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::map<std::string, int> by_tag;
    std::vector<double> latency_ms;
    for (const auto& msg : collector->messages()) {
      nlohmann::json body = nlohmann::json::parse(msg.body, nullptr, false);
      std::cout << json_text(nlohmann::json{{"alert", message_to_json(msg)}}) << "\n";
      if (body.is_object() && body.contains("tag") && body["tag"].is_string()) ++by_tag[body["tag"].get<std::string>()];
      if (body.is_object() && body.contains("captureTime") && body["captureTime"].is_string()) {
        auto captured = parse_utc_iso(body["captureTime"].get<std::string>());
        auto created = parse_utc_iso(msg.system.creation_time_utc);
        if (captured && created) latency_ms.push_back(std::chrono::duration<double, std::milli>(*created - *captured).count());
      }
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    const auto c = (*rt)->camera_totals();
    nlohmann::json summary = {{"clip", o.clip},
                              {"manifest", loaded->origin},
                              {"seconds", std::round(secs * 100) / 100},
                              {"frames", {{"captured", c.captured}, {"processed", c.processed}, {"inferred", c.inferred},
                                          {"skippedByMotionGate", c.skipped}, {"dropped", c.dropped}, {"errors", c.errors}}},
                              {"predictionsSent", c.sent},
                              {"alerts", collector->messages().size()},
                              {"alertsByTag", by_tag}};
    if (!latency_ms.empty())
      summary["latencyMs"] = {{"min", std::round(latency_ms.front() * 10) / 10},
                              {"median", std::round(latency_ms[latency_ms.size() / 2] * 10) / 10},
                              {"max", std::round(latency_ms.back() * 10) / 10}};
    std::cout << json_text(nlohmann::json{{"summary", summary}}) << "\n";
    std::cout.flush();
    std::cerr << "vigil replay: " << c.captured << " frames, " << c.inferred << " inferred, " << collector->messages().size()
              << " alert(s)";
    for (const auto& [tag, n] : by_tag) std::cerr << " " << tag << "=" << n;
    std::cerr << " in " << std::round(secs * 100) / 100 << " s\n";
  }
  std::filesystem::remove_all(work, ec);
  return rc;
}

void add_common(CLI::App* cmd, RunOptions& o) {
  cmd->add_option("--env-file", o.env_file, "variables for $VAR in the manifest (default: .env next to it)");
  cmd->add_option("--set,-s", o.sets, "MODULE.KEY=VALUE: a module's env setting (repeatable)");
  cmd->add_option("--device-id", o.device_id, "this device's id (connectionDeviceId, topics)")->capture_default_str();
  cmd->add_option("--broker", o.broker, "MQTT broker for vigil:exec modules (default: a local mosquitto)");
  cmd->add_option("--device", o.device, "cpu or cuda, for the models")->capture_default_str();
}

}  // namespace

void add_run_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a deployment manifest (or, with none, the built-in default)");
  cmd->add_option("manifest", o->manifest, "IoT Edge deployment manifest (deployment.template.json) or vigil's compact form");
  add_common(cmd, *o);
  cmd->add_option("--state-dir", o->state_dir, "status, logs, outbox (default $VIGIL_STATE_DIR or ~/.local/state/vigil)");
  cmd->add_flag("--isolate", o->isolate, "run each vigil module as its own process, joined over MQTT (a crash takes down only that module)");
  cmd->add_option("--upstream", o->upstream, "another uplink for $upstream (repeatable): console:, file:PATH, mqtt://…, "
                                             "iothub:…, https://…, smtp://…");
  cmd->callback([o, &run] { run = [o] { return run_deployment(*o); }; });

  auto r = std::make_shared<RunOptions>();
  auto* rep = app.add_subcommand("replay", "Run a deployment with its cameras reading a clip once; print the alerts and a summary");
  rep->add_option("clip", r->clip, "video file, image or folder of images")->required();
  rep->add_option("--manifest,-m", r->manifest, "the deployment (default: the built-in one)");
  rep->add_flag("--realtime", r->realtime, "play at the clip's frame rate, dropping frames the model cannot keep up with");
  rep->add_option("--timeout", r->timeout_s, "give up after this many seconds")->capture_default_str();
  add_common(rep, *r);
  rep->callback([r, &run] { run = [r] { return run_replay(*r); }; });
}

}  // namespace vigil::cli
