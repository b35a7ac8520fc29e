// Health checks for modules, as Docker runs them from a container's create options, so a manifest's
//   "createOptions": "{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"curl -fs http://localhost:8080/ || exit 1\"],
//                      \"Interval\": 30000000000, \"Timeout\": 10000000000, \"Retries\": 3, \"StartPeriod\": 0}}"
// works unchanged. Test is ["CMD", program, args…], ["CMD-SHELL", command] (run with /bin/sh -c) or ["NONE"];
// durations are in nanoseconds (Docker's unit), defaults 30 s / 30 s / 3 retries / no start period.
//
//   parse_healthcheck   the createOptions' "Healthcheck" object → a HealthCheckSpec (pure)
//   HealthVerdict       Docker's rule (pure): a module turns unhealthy after Retries failures in a row; failures in
//                       the start period do not count until a first success; a success makes it healthy again
//   HealthProbe         a thread that runs the check every Interval in the module's folder and environment, kills
//                       it after Timeout, and logs each change with the check's last output line
//   with_health_check   wraps a running module so that the supervisor sees the probe's verdict in healthy()
//
// With restartPolicy on-unhealthy or always, the supervisor restarts an unhealthy module (deploy/supervisor.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "deploy/supervisor.h"

namespace vigil::deploy {

// HealthCheckSpec is part of the module's spec (deploy/manifest.h).
// `create_options`: the module's whole createOptions object. nullopt when it has no Healthcheck (or Test NONE).
// `where` names the place in errors.
Result<std::optional<HealthCheckSpec>> parse_healthcheck(const nlohmann::json& create_options, const std::string& where);

class HealthVerdict {
 public:
  HealthVerdict(int retries, double start_period_s) : retries_(retries), start_period_s_(start_period_s) {}
  // One check's result, `since_start_s` after the module started. True when healthy() changed.
  bool record(bool passed, double since_start_s);
  bool healthy() const { return healthy_; }
  int failing_streak() const { return streak_; }

 private:
  int retries_;
  double start_period_s_;
  bool started_ = false;  // a check has passed (ends the start period early)
  bool healthy_ = true;   // "starting" counts as healthy: nothing says otherwise yet
  int streak_ = 0;
};

class HealthProbe {
 public:
  HealthProbe(std::string module, HealthCheckSpec spec, std::map<std::string, std::string> env, std::string cwd);
  ~HealthProbe();  // stop()
  void stop();
  bool healthy() const;

 private:
  void run();
  // Runs the check once: passed, and its last output line (or why it failed to run).
  std::pair<bool, std::string> check_once();

  const std::string module_;
  const HealthCheckSpec spec_;
  const std::map<std::string, std::string> env_;
  const std::string cwd_;
  const std::chrono::steady_clock::time_point started_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  HealthVerdict verdict_;
  std::thread thread_;
};

// The module as the supervisor sees it: the module's own healthy() and the probe's verdict together.
std::unique_ptr<ModuleInstance> with_health_check(std::unique_ptr<ModuleInstance> module, std::unique_ptr<HealthProbe> probe);

}  // namespace vigil::deploy
