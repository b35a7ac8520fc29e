// ChildProcess: one external program (a vigil:exec module, or a vigil module run with --isolate), started with
// posix_spawn in its own process group, its stdout and stderr read line by line on a thread of its own and handed
// to `on_line`. stop() sends SIGTERM to the group, waits up to `grace`, then SIGKILL. The only user of
// posix_spawn/waitpid.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"

namespace vigil::deploy {

struct ChildOptions {
  std::vector<std::string> argv;                   // argv[0] is looked up on PATH when it has no '/'
  std::map<std::string, std::string> env;          // added to (and overriding) this process's environment
  std::string cwd;                                 // empty: this process's
  std::function<void(const std::string& line)> on_line;  // stdout and stderr, one line at a time
};

class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> spawn(ChildOptions options);
  ~ChildProcess();  // stop()

  // The exit status once it ended: the exit code, or 128 + the signal that killed it.
  std::optional<int> poll();
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));
  int pid() const { return pid_; }

 private:
  ChildProcess(int pid, int fd, std::function<void(const std::string&)> on_line);
  void read_lines();

  int pid_;
  int fd_;
  std::function<void(const std::string&)> on_line_;
  std::thread reader_;
  std::mutex mutex_;
  std::optional<int> status_;
};

}  // namespace vigil::deploy
