// vigil run [MANIFEST]: the main job — a deployment's modules, hub and uplinks in this process, supervised, with
// status, logs and alert traces in the state folder for `vigil list|logs|explain`. With no manifest, the built-in
// default (deploy/load.h). The manifest is watched: changed desired properties (alert rules) apply at once,
// a module whose env or image changed restarts with it.
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/run_options.h"
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

std::int64_t mtime_of(const std::string& path) {
  struct stat st {};
  return path.empty() || stat(path.c_str(), &st) != 0 ? 0 : static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// status.json every time (it carries updatedAt); an alert module's traces only when they changed.
void write_state(deploy::StateDir& state, deploy::Runtime& rt, const deploy::LoadedDeployment& loaded, std::int64_t started,
                 std::map<std::string, nlohmann::json>& written_traces) {
  nlohmann::json modules = nlohmann::json::array();
  const auto reported = rt.reported_properties();
  for (const auto& s : rt.supervisor().states()) {
    modules.push_back(deploy::state_to_json(s));
    if (auto r = reported.find(s.name); r != reported.end()) modules.back()["reported"] = r->second;
  }
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
      else (*rt)->apply_changes(updated->deployment);
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

}  // namespace

deploy::RuntimeOptions runtime_options(const RunOptions& o, const deploy::LoadedDeployment& loaded, const std::string& work) {
  deploy::RuntimeOptions ro;
  ro.base_dir = loaded.base_dir;
  ro.work_dir = work;
  ro.device_id = o.device_id;
  ro.broker = o.broker;
  ro.edge_listen = o.edge_listen;
  std::error_code ec;
  ro.self_exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  ro.model_device = o.device;
  ro.retention.public_url = o.public_url;
  ro.retention.max_age_days = o.clips_max_days;
  ro.retention.max_bytes = static_cast<std::uint64_t>(o.clips_max_mb * 1024 * 1024);
  return ro;
}

void print_warnings(const deploy::Deployment& d) {
  for (const auto& w : d.warnings) LOG_WARN("agent", w);
}

void add_common(CLI::App* cmd, RunOptions& o) {
  cmd->add_option("--env-file", o.env_file, "variables for $VAR in the manifest (default: .env next to it)");
  cmd->add_option("--set,-s", o.sets, "MODULE.KEY=VALUE: a module's env setting (repeatable)");
  cmd->add_option("--device-id", o.device_id, "this device's id (connectionDeviceId, topics)")->capture_default_str();
  cmd->add_option("--broker", o.broker, "MQTT broker for vigil:exec modules (default: a local mosquitto)");
  cmd->add_option("--edge-listen", o.edge_listen, "HOST[:PORT] where vigil:iotedge modules connect, as to edgeHub "
                  "(MQTT over TLS; the Azure IoT SDKs use port 8883)")->capture_default_str();
  cmd->add_option("--device", o.device, "cpu or cuda, for the models")->capture_default_str();
}

void add_run_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a deployment manifest (or, with none, the built-in default)");
  cmd->add_option("manifest", o->manifest, "IoT Edge deployment manifest (deployment.template.json) or vigil's compact form");
  add_common(cmd, *o);
  cmd->add_option("--state-dir", o->state_dir, "status, logs, outbox (default $VIGIL_STATE_DIR or ~/.local/state/vigil)");
  cmd->add_option("--public-url", o->public_url, "where people reach this vigil's preview (https://cam.example.org:5012): "
                  "clip messages then carry a clipUrl link to the clip")->envname("VIGIL_PUBLIC_URL");
  cmd->add_option("--clips-max-days", o->clips_max_days, "keep clips this many days")->capture_default_str()->check(CLI::Range(0.01, 36500.0));
  cmd->add_option("--clips-max-mb", o->clips_max_mb, "keep at most this many MB of clips (default: a quarter of the state volume, at most 2048)")
      ->check(CLI::Range(1.0, 1e7));
  cmd->add_flag("--isolate", o->isolate, "run each vigil module as its own process, joined over MQTT (a crash takes down only that module)");
  cmd->add_option("--upstream", o->upstream, "another uplink for $upstream (repeatable): console:, file:PATH, mqtt://…, "
                                             "iothub:…, https://…, smtp://…");
  auto print_default = std::make_shared<std::string>();
  cmd->add_option("--print-default-manifest", *print_default,
                  "print the built-in default manifest with VIDEO as its camera (e.g. /dev/video0) and exit; a start for "
                  "/etc/vigil/deployment.json")->type_name("VIDEO");
  cmd->callback([o, print_default, &run] {
    if (!print_default->empty())
      run = [o, print_default] {  // with --state-dir, its alerts file there (a manifest's relative paths are its own)
        const std::string alerts = o->state_dir.empty() ? "alerts.jsonl" : o->state_dir + "/alerts.jsonl";
        std::cout << deploy::default_manifest(*print_default, alerts).dump(2) << "\n";
        return 0;
      };
    else
      run = [o] { return run_deployment(*o); };
  });
}

}  // namespace vigil::cli
