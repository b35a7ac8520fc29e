// vigil replay CLIP: a deployment with every camera reading CLIP once, at the clip's own timeline (frame times),
// so it alerts as the live camera would at any speed. Prints each alert and a summary; keeps the alerts, the
// summary and the snapshots in a folder (--out, default <state>/replays/<clip>-<time>); with --truth, scores the
// alerts against what is known to be in the clip (alert/truth_score.h).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "alert/truth_score.h"
#include "cli/commands.h"
#include "cli/run_options.h"
#include "cli/signals.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/time_util.h"
#include "deploy/state_dir.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

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

std::string default_out_dir(const RunOptions& o) {
  const std::string state = o.state_dir.empty() ? deploy::default_state_dir() : o.state_dir;
  return state + "/replays/" + fs::path(o.clip).stem().string() + "-" + file_stamp(std::chrono::system_clock::now());
}

Result<alert::Truth> load_truth(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::NotFound, "cannot read the truth file " + path);
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return make_error(ErrorCode::InvalidArgument, path + " is not JSON");
  return alert::parse_truth(j);
}

// Runs the deployment until every camera has read the clip (or the timeout, or a signal). 0, 1 (incomplete) or 2.
int play(deploy::Runtime& rt, const RunOptions& o) {
  SignalStop signals;
  std::atomic<bool> interrupted{false};
  signals.arm([&](int) { interrupted = true; });
  if (auto s = rt.start(); !s) {
    std::cerr << "vigil replay: " << s.error().message << "\n";
    return 1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout_s);
  bool done = false;
  while (!interrupted && !done && std::chrono::steady_clock::now() < deadline) done = rt.wait_replay_done(std::chrono::milliseconds(200));
  if (!done) std::cerr << "vigil replay: " << (interrupted ? "interrupted" : "timed out") << "; the summary covers what was read\n";
  return done ? 0 : 1;
}

nlohmann::json summarize(const RunOptions& o, const deploy::LoadedDeployment& loaded, const deploy::Runtime& rt,
                         const std::vector<Message>& alerts, double secs, const std::string& out_dir) {
  std::map<std::string, int> by_tag, by_event;
  std::vector<double> latency_ms;
  for (const auto& msg : alerts) {
    nlohmann::json body = nlohmann::json::parse(msg.body, nullptr, false);
    if (!body.is_object()) continue;
    if (body.contains("tag") && body["tag"].is_string()) ++by_tag[body["tag"].get<std::string>()];
    if (body.contains("event") && body["event"].is_string()) ++by_event[body["event"].get<std::string>()];
    if (o.realtime && body.contains("captureTime") && body["captureTime"].is_string()) {
      auto captured = parse_utc_iso(body["captureTime"].get<std::string>());
      auto created = parse_utc_iso(msg.system.creation_time_utc);
      if (captured && created) latency_ms.push_back(std::chrono::duration<double, std::milli>(*created - *captured).count());
    }
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  const auto c = rt.camera_totals();
  nlohmann::json summary = {{"clip", o.clip},
                            {"manifest", loaded.origin},
                            {"seconds", std::round(secs * 100) / 100},
                            {"frames", {{"captured", c.captured}, {"processed", c.processed}, {"inferred", c.inferred},
                                        {"skippedByMotionGate", c.skipped}, {"dropped", c.dropped}, {"errors", c.errors}}},
                            {"predictionsSent", c.sent},
                            {"alerts", alerts.size()},
                            {"alertsByTag", by_tag},
                            {"folder", out_dir},
                            {"snapshots", out_dir + "/snapshots"}};
  if (!by_event.empty()) summary["alertsByEvent"] = by_event;
  // Latency from capture to alert means something only when the clip plays at its own rate.
  if (!latency_ms.empty())
    summary["latencyMs"] = {{"min", std::round(latency_ms.front() * 10) / 10},
                            {"median", std::round(latency_ms[latency_ms.size() / 2] * 10) / 10},
                            {"max", std::round(latency_ms.back() * 10) / 10}};
  return summary;
}

int run_replay(const RunOptions& o) {
  std::error_code ec;
  if (!fs::exists(o.clip, ec)) {
    std::cerr << "vigil replay: " << o.clip << " does not exist\n";
    return 2;
  }
  std::optional<alert::Truth> truth;
  if (!o.truth.empty()) {
    auto t = load_truth(o.truth);
    if (!t) {
      std::cerr << "vigil replay: " << t.error().message << "\n";
      return 2;
    }
    truth = std::move(*t);
  }
  const std::string out_dir = o.out_dir.empty() ? default_out_dir(o) : o.out_dir;
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "vigil replay: cannot create " << out_dir << ": " << ec.message() << " (choose another with --out)\n";
    return 2;
  }
  auto loaded = deploy::load_deployment(o.manifest, o.env_file, o.sets, out_dir);
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
  deploy::RuntimeOptions ro = runtime_options(o, *loaded, out_dir);
  ro.replay_clip = fs::absolute(o.clip).string();
  ro.replay_realtime = o.realtime;
  ro.collector = collector;
  auto rt = deploy::Runtime::create(loaded->deployment, ro);
  if (!rt) {
    std::cerr << "vigil replay: " << rt.error().message << "\n";
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = play(**rt, o);
  (*rt)->stop();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const auto alerts = collector->messages();
  std::ofstream jsonl(out_dir + "/alerts.jsonl");
  std::vector<alert::ScoredAlert> scored;
  for (const auto& msg : alerts) {
    const std::string line = json_text(nlohmann::json{{"alert", message_to_json(msg)}});
    std::cout << line << "\n";
    jsonl << line << "\n";
    if (auto body = nlohmann::json::parse(msg.body, nullptr, false); body.is_object()) scored.push_back(alert::scored_alert(body));
  }
  nlohmann::json summary = summarize(o, *loaded, **rt, alerts, secs, out_dir);
  if (truth) summary["truth"] = alert::score(*truth, scored);
  std::ofstream(out_dir + "/summary.json") << json_text(summary) << "\n";
  std::cout << json_text(nlohmann::json{{"summary", summary}}) << "\n";
  std::cout.flush();
  const auto c = (*rt)->camera_totals();
  std::cerr << "vigil replay: " << c.captured << " frames, " << c.inferred << " inferred, " << alerts.size() << " alert(s)";
  for (const auto& [tag, n] : summary["alertsByTag"].items()) std::cerr << " " << tag << "=" << n;
  std::cerr << " in " << std::round(secs * 100) / 100 << " s; alerts and snapshots in " << out_dir << "\n";
  return rc;
}

}  // namespace

void add_replay_command(CLI::App& app, Action& run) {
  auto r = std::make_shared<RunOptions>();
  auto* rep = app.add_subcommand("replay", "Run a deployment with its cameras reading a clip once, on the clip's own "
                                           "timeline; print the alerts and a summary");
  rep->add_option("clip", r->clip, "video file, image or folder of images")->required();
  rep->add_option("--manifest,-m", r->manifest, "the deployment (default: the built-in one)");
  rep->add_flag("--realtime", r->realtime, "play at the clip's frame rate, dropping frames the model cannot keep up with "
                                           "(the default reads every frame as fast as it goes; both decide alike)");
  rep->add_option("--out", r->out_dir, "folder for alerts.jsonl, summary.json and snapshots/ "
                                       "(default: <state folder>/replays/<clip>-<time>)");
  rep->add_option("--truth", r->truth, "JSON of the objects in the clip (first/last frame, tag; optional crossings and "
                                       "loitering): adds precision, recall and first-alert delays to the summary");
  rep->add_option("--state-dir", r->state_dir, "state folder whose replays/ holds the default --out");
  rep->add_option("--timeout", r->timeout_s, "give up after this many seconds")->capture_default_str();
  add_common(rep, *r);
  rep->callback([r, &run] { run = [r] { return run_replay(*r); }; });
}

}  // namespace vigil::cli
