#include "deploy/restart_policy.h"

#include <algorithm>
#include <cmath>

namespace vigil::deploy {

const char* runtime_status_name(RuntimeStatus s) {
  switch (s) {
    case RuntimeStatus::Unknown: return "unknown";
    case RuntimeStatus::Backoff: return "backoff";
    case RuntimeStatus::Running: return "running";
    case RuntimeStatus::Unhealthy: return "unhealthy";
    case RuntimeStatus::Stopped: return "stopped";
    case RuntimeStatus::Failed: return "failed";
    case RuntimeStatus::Dead: return "dead";
  }
  return "unknown";
}

double cool_off_seconds(int restart_count, const AgentSettings& agent) {
  const double x = agent.cool_off_unit_s * std::pow(2.0, std::min(restart_count, 30));
  return std::min(x, 300.0);
}

bool restarts_when_unhealthy(RestartPolicy policy) {
  return policy == RestartPolicy::OnUnhealthy || policy == RestartPolicy::Always;
}

RestartDecision decide_after_exit(RestartPolicy policy, const ExitFacts& exit, int restart_count,
                                  const AgentSettings& agent) {
  RestartDecision d;
  if (exit.uptime_s > agent.intensive_care_min * 60) restart_count = 0;
  d.restart_count = restart_count;
  const bool failed = exit.exit_code != 0;
  bool wanted = false;
  switch (policy) {
    case RestartPolicy::Never: wanted = false; break;
    case RestartPolicy::OnFailure: wanted = failed; break;
    case RestartPolicy::OnUnhealthy: wanted = failed || exit.unhealthy; break;
    case RestartPolicy::Always: wanted = true; break;
  }
  if (!wanted) {
    d.status = failed || exit.unhealthy ? RuntimeStatus::Failed : RuntimeStatus::Stopped;
    return d;
  }
  if (restart_count >= agent.max_restart_count) {
    d.status = RuntimeStatus::Failed;
    return d;
  }
  d.restart = true;
  d.delay_s = cool_off_seconds(restart_count, agent);
  d.restart_count = restart_count + 1;
  d.status = RuntimeStatus::Backoff;
  return d;
}

}  // namespace vigil::deploy
