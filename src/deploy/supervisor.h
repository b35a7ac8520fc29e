// Supervisor: edgeAgent's job for the modules of one deployment. It starts them in startupOrder, notices when one
// ends (a child process exits, an in-process camera reaches the end of its file, a start fails), restarts it per
// its restartPolicy with edgeAgent's back-off (deploy/restart_policy.h), and stops them in reverse order. It knows
// nothing about what a module does: a ModuleStarter makes running instances from specs.
//
// Threads: start_all(), stop_all() and the accessors from any one controlling thread; a watcher thread of its own
// calls tick() every 100 ms between start_all() and stop_all(). A module that fails never stops the others.
// Two locks: `control_` orders the operations that start and stop instances (they may block: a camera that takes
// seconds to open, a child that takes seconds to end); `mutex_` guards only the states, never across a blocking
// call, so states() and all_done() answer at once while a module starts or stops.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "deploy/manifest.h"
#include "deploy/restart_policy.h"

namespace vigil::deploy {

// One running incarnation of a module.
class ModuleInstance {
 public:
  virtual ~ModuleInstance() = default;
  virtual void stop() = 0;                         // returns when it has stopped
  virtual std::optional<int> exit_code() = 0;      // set once it ended by itself
  virtual bool healthy() { return true; }
  // Applies new desired properties at run time (validated first; an invalid update changes nothing).
  virtual Status update_desired(const nlohmann::json&) { return ok_status(); }
  // True when it takes new desired properties only by starting again (a module in its own process).
  virtual bool restarts_for_desired() const { return false; }
};

using ModuleStarter = std::function<Result<std::unique_ptr<ModuleInstance>>(const ModuleSpec&)>;

struct ModuleState {
  std::string name, kind, image;
  RuntimeStatus status = RuntimeStatus::Unknown;
  std::int64_t started_at_ms = 0, exited_at_ms = 0;  // Unix time; 0 = never
  std::optional<int> exit_code;
  int restart_count = 0;
  double next_restart_in_s = 0;  // while in backoff
  std::string last_error;        // why the last start failed
};

class Supervisor {
 public:
  using Clock = std::chrono::steady_clock;
  Supervisor(std::vector<ModuleSpec> modules, ModuleStarter starter, AgentSettings agent, bool restarts = true);
  ~Supervisor();  // stop_all()

  void start_all(bool watch = true);  // watch: start the watcher thread (tests drive tick() themselves)
  void stop_all();
  // Stops the running modules of one kind (e.g. "camera") and keeps them stopped; the watcher goes on.
  void stop_kind(const std::string& kind);
  // One pass of the watcher: exits, health, restarts due. Public for tests that drive time themselves.
  void tick(Clock::time_point now);

  std::vector<ModuleState> states() const;
  // Applies desired properties to a running module; NotFound when it is not running.
  Status update_desired(const std::string& module, const nlohmann::json& desired);
  // A module's spec changed (its env, image, createOptions or status): restarts it with the new one, as edgeAgent
  // does (not counted as a restart), stops it ("status": "stopped") or starts a stopped one; a module in back-off
  // keeps the spec for its next start; a failed one gets another chance. NotFound: no such module.
  Status replace(const ModuleSpec& spec);
  // True when every module (of `kind`, e.g. "camera", when given) has ended and none waits for a restart: a
  // replay's cameras have read their clips.
  bool all_done(const std::string& kind = "") const;

 private:
  struct Slot {
    ModuleSpec spec;
    std::unique_ptr<ModuleInstance> instance;
    bool running = false;  // instance != nullptr, readable under mutex_ alone
    ModuleState state;
    Clock::time_point started{}, restart_at{};
  };
  // All four with control_ held and mutex_ not held; they take mutex_ only to publish.
  void start(Slot& slot, Clock::time_point now);
  void on_exit(Slot& slot, int code, bool unhealthy, Clock::time_point now);
  void halt(Slot& slot);           // stops its running instance and lets it go
  void stop_for_good(Slot& slot);  // halt (when running), logged, and status Stopped: not restarted
  Slot* find(const std::string& module);

  std::vector<std::unique_ptr<Slot>> slots_;  // the vector is fixed after construction
  ModuleStarter starter_;
  AgentSettings agent_;
  bool restarts_;
  std::mutex control_;        // held by whoever starts or stops instances; Slot::spec and Slot::instance under it
  mutable std::mutex mutex_;  // Slot::state, Slot::running
  std::thread watcher_;
  std::atomic<bool> stopping_{false};
};

}  // namespace vigil::deploy
