#include "deploy/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/environment.h"
#include "core/guard.h"

namespace vigil::deploy {

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(ChildOptions o) {
  if (o.argv.empty()) return make_error(ErrorCode::InvalidArgument, "no command to run");
  std::map<std::string, std::string> env = environment_variables();
  for (const auto& [k, v] : o.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : o.argv) argv.push_back(s.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return make_error(ErrorCode::Internal, std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, o.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all_default;
  sigemptyset(&none);
  sigemptyset(&all_default);
  sigaddset(&all_default, SIGINT);
  sigaddset(&all_default, SIGTERM);
  sigaddset(&all_default, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);          // vigil blocks SIGINT/SIGTERM in its threads; children must not
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return make_error(ErrorCode::NotFound, "cannot start '" + o.argv[0] + "': " + std::strerror(rc) +
                                               (rc == ENOENT ? " (is it installed and on PATH?)" : ""));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, fds[0], std::move(o.on_line)));
}

ChildProcess::ChildProcess(int pid, int fd, std::function<void(const std::string&)> on_line)
    : pid_(pid), fd_(fd), on_line_(std::move(on_line)) {
  reader_ = std::thread([this] { (void)guarded("exec", "output reader", [this] { read_lines(); }); });
}

ChildProcess::~ChildProcess() {
  stop();
  if (reader_.joinable()) reader_.join();
  close(fd_);
}

void ChildProcess::read_lines() {
  std::string pending;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      if (on_line_) on_line_(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty() && on_line_) on_line_(pending);
}

std::optional<int> ChildProcess::poll() {
  std::lock_guard lock(mutex_);
  if (status_) return status_;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return status_;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (poll()) return;
  kill(-pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!poll() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!poll()) {
    kill(-pid_, SIGKILL);
    while (!poll()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid_, SIGKILL);  // whatever else is left in its group
}

}  // namespace vigil::deploy
