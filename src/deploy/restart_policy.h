// What edgeAgent does when a module stops (spec azure-iot.md §2.7), as pure functions of the policy, how the
// module ended and its restart history, so the supervisor's decisions are table-tested with no clock.
//
//   running ──exit──▶ decide_after_exit ──┬─ restart: Backoff for min(unit × 2^n, 300 s), then running (n += 1)
//                                         ├─ no restart, exit code 0 / stopped by us: Stopped
//                                         └─ no restart, failed; or n reached MaxRestartCount: Failed
//   A module that stayed up longer than IntensiveCareTimeInMinutes has its restart count cleared first.
//
// Policies: never (never restarted), on-failure (restarted after a non-zero exit), on-unhealthy (after a
// non-zero exit or when it reports itself unhealthy), always (after any exit, and when unhealthy).
#pragma once

#include "deploy/manifest.h"

namespace vigil::deploy {

enum class RuntimeStatus { Unknown, Backoff, Running, Unhealthy, Stopped, Failed, Dead };
const char* runtime_status_name(RuntimeStatus s);  // as iotedge list writes them: "running", "backoff", …

struct ExitFacts {
  int exit_code = 0;         // 0: ended normally
  bool unhealthy = false;    // stopped by us because it reported itself unhealthy
  double uptime_s = 0;       // how long this run lasted
};

struct RestartDecision {
  bool restart = false;
  double delay_s = 0;        // cool-off before the restart
  int restart_count = 0;     // the count after this decision
  RuntimeStatus status = RuntimeStatus::Stopped;  // Backoff while waiting to restart
};

// `restart_count`: restarts so far (before this exit).
RestartDecision decide_after_exit(RestartPolicy policy, const ExitFacts& exit, int restart_count, const AgentSettings& agent);

// on-unhealthy and always: a running module that turns unhealthy is stopped and restarted (edgeAgent).
bool restarts_when_unhealthy(RestartPolicy policy);

// min(unit × 2^n, 300) seconds.
double cool_off_seconds(int restart_count, const AgentSettings& agent);

}  // namespace vigil::deploy
