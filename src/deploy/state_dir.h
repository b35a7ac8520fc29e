// StateDir: what a running `vigil run` leaves on disk for `vigil list`, `vigil logs` and `vigil explain` (other
// processes) and for its own next start. One folder (default $VIGIL_STATE_DIR, else $XDG_STATE_HOME/vigil, else
// ~/.local/state/vigil):
//   run.lock            held (flock) by the running `vigil run`; a second one on the same folder is refused
//   status.json         {"pid", "manifest", "startedAt", "modules": [ModuleState…]}, rewritten every second
//   logs/MODULE.log     each module's lines (vigil.log: the agent and hub); rotated to .1 at 10 MB
//   explain/MODULE.json an alert module's recent decisions with their traces
//   outbox.db           the hub's store-and-forward queues
//   snapshots/          alert snapshots (JPEG)
// Log routing: a line whose message starts with "[NAME]" goes to NAME's log when NAME is a module (or an alias,
// e.g. a camera's CAMERA_ID); every other line goes to vigil.log.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace vigil::deploy {

std::string default_state_dir();
// Where `vigil list|logs|explain|outbox` look without --state-dir: default_state_dir() when a vigil run has used it,
// else the service's /var/lib/vigil when that one has (the Debian package's vigil.service), else default_state_dir().
std::string ops_state_dir();
inline constexpr const char* kServiceStateDir = "/var/lib/vigil";

class StateDir {
 public:
  // Creates the folder and takes its lock. Fails when another `vigil run` holds it.
  static Result<std::unique_ptr<StateDir>> open(const std::string& path);
  ~StateDir();

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Routes log lines to per-module files (see above). `aliases`: other names of a module → the module.
  void set_modules(const std::vector<std::string>& modules, const std::map<std::string, std::string>& aliases);
  void log_line(const std::string& message, const std::string& line);  // thread-safe

  Status write_json(const std::string& name, const nlohmann::json& j);  // atomic (temp file + rename)

 private:
  StateDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  void append_log(const std::string& module, const std::string& line);  // under mutex_

  std::string path_;
  int lock_fd_;
  std::mutex mutex_;
  std::map<std::string, std::string> owners_;  // name or alias → module
  struct LogFile {
    std::ofstream file;
    std::uintmax_t bytes = 0;  // its size, counted as we write (no stat per line)
  };
  std::map<std::string, LogFile> logs_;
};

// The pid of the `vigil run` holding `path`'s lock, or 0 when none does.
int running_pid(const std::string& path);

}  // namespace vigil::deploy
