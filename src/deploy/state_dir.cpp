#include "deploy/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace vigil::deploy {
namespace fs = std::filesystem;
namespace {

constexpr std::uintmax_t kMaxLogBytes = 10u << 20;

}  // namespace

std::string default_state_dir() {
  if (const char* v = std::getenv("VIGIL_STATE_DIR"); v && *v) return v;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/vigil";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/vigil";
  return "/var/lib/vigil";
}

std::string ops_state_dir() {
  std::error_code ec;
  const std::string mine = default_state_dir();
  if (!fs::exists(mine + "/status.json", ec) && fs::exists(std::string(kServiceStateDir) + "/status.json", ec))
    return kServiceStateDir;
  return mine;
}

Result<std::unique_ptr<StateDir>> StateDir::open(const std::string& path) {
  std::error_code ec;
  for (const char* sub : {"", "/logs", "/explain", "/snapshots"}) {
    fs::create_directories(path + sub, ec);
    if (ec) return make_error(ErrorCode::InvalidArgument, "cannot create the state folder " + path + sub + ": " +
                                                               ec.message() + " (choose another with --state-dir)");
  }
  const std::string lock = path + "/run.lock";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorCode::InvalidArgument, "cannot open " + lock + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return make_error(ErrorCode::Unavailable, "another vigil run (pid " + std::to_string(running_pid(path)) +
                                                  ") uses the state folder " + path +
                                                  "; stop it, or give this one its own --state-dir");
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0)
    return make_error(ErrorCode::Internal, "cannot write " + lock);
  return std::unique_ptr<StateDir>(new StateDir(path, fd));
}

StateDir::~StateDir() { ::close(lock_fd_); }

void StateDir::set_modules(const std::vector<std::string>& modules, const std::map<std::string, std::string>& aliases) {
  std::lock_guard lock(mutex_);
  owners_.clear();
  for (const auto& m : modules) owners_[m] = m;
  for (const auto& [alias, m] : aliases) owners_.emplace(alias, m);
}

void StateDir::append_log(const std::string& module, const std::string& line) {
  LogFile& log = logs_[module];
  const std::string path = path_ + "/logs/" + module + ".log";
  std::error_code ec;
  if (log.file.is_open() && log.bytes > kMaxLogBytes) {
    log.file.close();
    fs::rename(path, path + ".1", ec);
  }
  if (!log.file.is_open()) {
    log.file.open(path, std::ios::app);
    const auto size = fs::file_size(path, ec);
    log.bytes = ec ? 0 : size;
  }
  log.file << line << '\n';
  log.file.flush();
  log.bytes += line.size() + 1;
}

void StateDir::log_line(const std::string& message, const std::string& line) {
  std::lock_guard lock(mutex_);
  std::string module = "vigil";
  if (message.size() > 2 && message[0] == '[') {
    const auto close = message.find(']');
    if (close != std::string::npos)
      if (auto it = owners_.find(message.substr(1, close - 1)); it != owners_.end()) module = it->second;
  }
  append_log(module, line);
}

Status StateDir::write_json(const std::string& name, const nlohmann::json& j) {
  const std::string target = file(name), tmp = target + ".tmp";
  std::error_code ec;
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return make_error(ErrorCode::Internal, "cannot write " + tmp);
    f << j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    f.close();  // a full disk shows here, when the buffer is written: then the old file stays whole
    if (f.fail()) {
      fs::remove(tmp, ec);
      return make_error(ErrorCode::Internal, "cannot write " + tmp + " (is the disk full?); " + target + " is unchanged");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) return make_error(ErrorCode::Internal, "cannot replace " + target + ": " + ec.message());
  return ok_status();
}

int running_pid(const std::string& path) {
  const std::string lock = path + "/run.lock";
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  int pid = 0;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {  // held: read who holds it
    char buf[32] = {0};
    if (pread(fd, buf, sizeof buf - 1, 0) > 0) pid = std::atoi(buf);
    if (pid == 0) pid = -1;
  }
  ::close(fd);
  return pid;
}

}  // namespace vigil::deploy
