// Docker's health-check rules, pure: the createOptions' "Healthcheck" object read into a HealthCheckSpec
// (deploy/manifest.h), and the verdict over a run of check results. deploy/health_check.h runs the checks.
//   "createOptions": "{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"curl -fs http://localhost:8080/ || exit 1\"],
//                      \"Interval\": 30000000000, \"Timeout\": 10000000000, \"Retries\": 3, \"StartPeriod\": 0}}"
// Test is ["CMD", program, args…], ["CMD-SHELL", command] (run with /bin/sh -c) or ["NONE"]; durations are in
// nanoseconds (Docker's unit), defaults 30 s / 30 s / 3 retries / no start period.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "deploy/manifest.h"

namespace vigil::deploy {

// `create_options`: the module's whole createOptions object. nullopt when it has no Healthcheck (or Test NONE).
// `where` names the place in errors.
Result<std::optional<HealthCheckSpec>> parse_healthcheck(const nlohmann::json& create_options, const std::string& where);

// A module turns unhealthy after `retries` failures in a row; failures in the start period do not count until a
// first success; a success makes it healthy again.
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

}  // namespace vigil::deploy
