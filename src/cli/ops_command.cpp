// vigil list | logs MODULE | explain [MODULE]: read what a running (or the last) `vigil run` keeps in its state
// folder (deploy/state_dir.h), as `iotedge list` and `iotedge logs` do for IoT Edge.
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/files.h"
#include "core/time_util.h"
#include "deploy/ops_text.h"
#include "deploy/state_dir.h"

namespace vigil::cli {
namespace {

struct OpsOptions {
  std::string state_dir, module, tail = "all", since;
  bool follow = false, json = false;
  std::size_t last = 20;
};

std::string state_of(const OpsOptions& o) { return o.state_dir.empty() ? deploy::ops_state_dir() : o.state_dir; }

Result<nlohmann::json> read_json(const std::string& path) {
  auto text = read_file(path, 64u << 20);
  if (!text) return text.error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return make_error(ErrorCode::InvalidArgument, path + " is not JSON");
  return j;
}

int run_list(const OpsOptions& o) {
  const std::string dir = state_of(o);
  auto status = read_json(dir + "/status.json");
  if (!status) {
    std::cerr << "vigil list: no vigil run has used " << dir << " (start one with `vigil run`, or pass --state-dir)\n";
    return 1;
  }
  const int pid = deploy::running_pid(dir);
  std::vector<deploy::ModuleState> states;
  for (const auto& m : (*status)["modules"]) {
    auto s = deploy::state_from_json(m);
    if (pid == 0 && (s.status == deploy::RuntimeStatus::Running || s.status == deploy::RuntimeStatus::Backoff)) {
      s.status = deploy::RuntimeStatus::Unknown;  // the run that reported it is gone
    }
    states.push_back(s);
  }
  if (o.json) {
    std::cout << status->dump(2) << "\n";
    return 0;
  }
  std::cout << deploy::format_module_table(states, unix_now_ms()) << deploy::format_reported((*status)["modules"]) << std::flush;
  if (pid == 0) std::cerr << "(vigil run is not running on " << dir << "; this is what it last reported)\n";
  else std::cerr << "(the vigil run of " << dir << ", pid " << pid << ")\n";
  return 0;
}

// The time at the start of a log line ("2026-11-25T12:00:00.123Z INFO …").
std::optional<std::chrono::system_clock::time_point> line_time(const std::string& line) {
  const auto sp = line.find(' ');
  return sp == std::string::npos ? std::nullopt : parse_utc_iso(std::string_view(line).substr(0, sp));
}

int run_logs(const OpsOptions& o) {
  const std::string dir = state_of(o);
  std::string name = o.module;
  if (name == "edgeAgent" || name == "edgeHub" || name == "$edgeAgent" || name == "$edgeHub") name = "vigil";
  const std::string path = dir + "/logs/" + name + ".log";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::cerr << "vigil logs: no log for module '" << o.module << "' in " << dir << "/logs (";
    bool first = true;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/logs", ec)) {
      if (e.path().extension() != ".log") continue;
      std::cerr << (first ? "modules: " : ", ") << e.path().stem().string();
      first = false;
    }
    std::cerr << (first ? "no logs yet" : "") << ")\n";
    return 1;
  }
  std::cerr << "(" << path << ")\n";  // which state folder: a service's or a user's run
  std::optional<std::chrono::system_clock::time_point> since;
  if (!o.since.empty()) {
    auto t = deploy::parse_since(o.since, std::chrono::system_clock::now());
    if (!t) {
      std::cerr << "vigil logs: " << t.error().message << "\n";
      return 2;
    }
    since = *t;
  }
  std::size_t tail = 0;
  if (o.tail != "all") {
    try {
      tail = std::stoul(o.tail);
    } catch (...) {
      std::cerr << "vigil logs: --tail wants a number or all\n";
      return 2;
    }
  }
  std::ifstream f(path);
  std::deque<std::string> lines;
  std::string line;
  auto keep = [&](const std::string& l) {
    if (!since) return true;
    auto t = line_time(l);
    return !t || *t >= *since;  // continuation lines go with their neighbours
  };
  while (std::getline(f, line)) {
    if (!keep(line)) continue;
    lines.push_back(line);
    if (o.tail != "all" && lines.size() > tail) lines.pop_front();
  }
  for (const auto& l : lines) std::cout << l << "\n";
  std::cout.flush();
  if (!o.follow) return 0;
  for (;;) {  // -f: until interrupted
    f.clear();
    while (std::getline(f, line)) std::cout << line << "\n" << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (std::filesystem::file_size(path, ec) < static_cast<std::uintmax_t>(f.tellg() < 0 ? 0 : static_cast<std::uintmax_t>(f.tellg()))) {
      f.close();  // rotated: start the new file from its beginning
      f.open(path);
    }
  }
}

int run_explain(const OpsOptions& o) {
  const std::string dir = state_of(o) + "/explain";
  std::vector<std::string> modules;
  std::error_code ec;
  if (!o.module.empty()) modules.push_back(o.module);
  else
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().extension() == ".json") modules.push_back(e.path().stem().string());
  if (modules.empty()) {
    std::cerr << "vigil explain: no alert module has decided anything yet in " << state_of(o) << "\n";
    return 1;
  }
  for (const auto& m : modules) {
    auto traces = read_json(dir + "/" + m + ".json");
    if (!traces) {
      std::cerr << "vigil explain: nothing recorded for module '" << m << "'\n";
      return 1;
    }
    if (o.json) {
      std::cout << traces->dump(2) << "\n";
      continue;
    }
    std::cout << "== " << m << " (newest first)\n";
    std::size_t n = 0;
    for (const auto& d : *traces) {
      if (n++ >= o.last) break;
      const std::string object = d.value("objectId", "");
      const std::string event = d.value("event", "");
      std::cout << d.value("time", "") << "  " << d.value("camera", "") << "  " << d.value("tag", "")
                << (object.empty() ? "" : " " + object) << " " << d.value("probability", 0.0) << "  "
                << (d.value("alert", false) ? "ALERT" : "no alert") << (event.empty() ? "" : " " + event);
      if (d.contains("line")) std::cout << " " << d.value("line", "") << " " << d.value("direction", "");
      if (d.contains("zone")) std::cout << " " << d.value("zone", "");
      std::cout << "\n";
      for (const auto& step : d.value("trace", nlohmann::json::array()))
        std::cout << "    " << (step.value("passed", false) ? "pass " : "STOP ") << step.value("rule", "") << ": "
                  << step.value("detail", "") << "\n";
    }
  }
  return 0;
}

}  // namespace

void add_ops_commands(CLI::App& app, Action& run) {
  auto o = std::make_shared<OpsOptions>();
  auto* list = app.add_subcommand("list", "List the modules of the running deployment (NAME STATUS DESCRIPTION CONFIG)");
  list->add_option("--state-dir", o->state_dir, "the run's state folder (default as vigil run)");
  list->add_flag("--json", o->json, "print the status as JSON");
  list->callback([o, &run] { run = [o] { return run_list(*o); }; });

  auto* logs = app.add_subcommand("logs", "Show a module's log (vigil: the agent and hub)");
  logs->add_option("module", o->module, "module name")->required();
  logs->add_option("--tail", o->tail, "the last N lines, or all")->capture_default_str();
  logs->add_option("--since", o->since, "only lines since: a duration (\"10 minutes\", \"1 day\"), RFC 3339 time or Unix time");
  logs->add_flag("--follow,-f", o->follow, "keep printing new lines");
  logs->add_option("--state-dir", o->state_dir, "the run's state folder");
  logs->callback([o, &run] { run = [o] { return run_logs(*o); }; });

  auto* ex = app.add_subcommand("explain", "Why recent predictions did (not) alert: each rule an alert module applied");
  ex->add_option("module", o->module, "alert module (default: all)");
  ex->add_option("--last", o->last, "how many decisions per module")->capture_default_str();
  ex->add_flag("--json", o->json, "print the traces as JSON");
  ex->add_option("--state-dir", o->state_dir, "the run's state folder");
  ex->callback([o, &run] { run = [o] { return run_explain(*o); }; });
}

}  // namespace vigil::cli
