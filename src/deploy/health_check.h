// Health checks for modules, run as Docker runs them (the rules and the createOptions form: deploy/health_rules.h).
//   HealthProbe         a thread that runs the check every Interval in the module's folder and environment, kills
//                       it after Timeout, and logs each change with the check's last output line
//   with_health_check   wraps a running module so that the supervisor sees the probe's verdict in healthy()
// With restartPolicy on-unhealthy or always, the supervisor restarts an unhealthy module (deploy/supervisor.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "deploy/health_rules.h"
#include "deploy/supervisor.h"

namespace vigil::deploy {

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
