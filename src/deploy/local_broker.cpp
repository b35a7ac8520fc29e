#include "deploy/local_broker.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "capture/health.h"
#include "core/guard.h"
#include "core/log.h"
#include "core/net.h"

namespace vigil::deploy {

namespace {

// Per-listener security: the plain loopback listener lets vigil's own modules in as before; the edge listener only
// the hub and modules with valid SAS tokens (the plugin decides).
std::string edge_conf(const EdgeListener& e) {
  std::string c = "listener " + std::to_string(e.port) + " " + e.host + "\nallow_anonymous false\ncertfile " + e.cert_file +
                  "\nkeyfile " + e.key_file + "\nplugin " + e.plugin + "\n";
  for (const auto& [key, value] : e.plugin_options) c += "plugin_opt_" + key + " " + value + "\n";
  return c;
}

}  // namespace

Result<std::unique_ptr<LocalBroker>> LocalBroker::start(const std::string& work_dir, const EdgeListener* edge) {
  auto port = free_loopback_port();
  if (!port) return port.error();
  if (edge && tcp_connects(edge->host, edge->port, 200))
    return make_error(ErrorCode::Unavailable, "the edge listener's address " + edge->host + ":" + std::to_string(edge->port) +
                                                  " is in use (another edgeHub or MQTT broker?); stop it, or pass "
                                                  "--edge-listen HOST:PORT");
  const std::string conf = work_dir + "/mosquitto.conf", store = work_dir + "/broker/";
  std::error_code ec;
  std::filesystem::create_directories(store, ec);
  {
    std::ofstream f(conf, std::ios::trunc);
    f << "# written by vigil run for its modules over MQTT\n" << (edge ? "per_listener_settings true\n" : "")
      << "listener " << *port << " 127.0.0.1\nallow_anonymous true\n" << (edge ? edge_conf(*edge) : "")
      << "# sessions and QoS 1 messages outlive a restart of the broker (saved on every change)\n"
      << "persistence true\npersistence_location " << store << "\nautosave_interval 1\nautosave_on_changes true\n"
      // Started as root, mosquitto would drop to its own user, which cannot reach a state folder under /root or a
      // private temporary folder: it runs as vigil's user, as vigil's child, on loopback only.
      << (::geteuid() == 0 ? "user root\n" : "");
    if (!f) return make_error(ErrorCode::Unavailable, "cannot write " + conf);
  }
  std::unique_ptr<LocalBroker> b(new LocalBroker(conf, *port, edge ? edge->host : "", edge ? edge->port : 0));
  if (auto s = b->spawn(); !s) return s.error();
  b->watcher_ = std::thread([p = b.get()] { (void)guarded("broker", "watcher", [p] { p->watch(); }); });
  return b;
}

LocalBroker::~LocalBroker() { stop(); }

Status LocalBroker::spawn() {
  ChildOptions co;
  co.argv = {"mosquitto", "-c", conf_};
  co.on_line = [](const std::string& line) {  // the edge plugin's refusals matter to the user; the rest is chatter
    if (line.find("vigil: ") != std::string::npos) LOG_WARN("broker", line.substr(line.find("vigil: ") + 7));
    else LOG_DEBUG("broker", line);
  };
  auto child = ChildProcess::spawn(co);
  if (!child)
    return make_error(ErrorCode::Unavailable, "modules over MQTT need a broker: " + child.error().message +
                                                  " (install mosquitto, or pass --broker mqtt://host:port)");
  const auto listening = [this] {
    return tcp_connects("127.0.0.1", port_, 200) && (edge_host_.empty() || tcp_connects(edge_host_, edge_port_, 200));
  };
  for (int i = 0; i < 250 && !listening(); ++i) {
    if (auto code = (*child)->poll())
      return make_error(ErrorCode::Unavailable, "the local mosquitto exited with code " + std::to_string(*code) +
                                                    " (run `mosquitto -c " + conf_ + "` to see why)");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard lock(mutex_);
  child_ = std::move(*child);
  return ok_status();
}

void LocalBroker::watch() {
  capture::Backoff backoff(0.5, 10);
  auto up_since = std::chrono::steady_clock::now();
  for (;;) {
    std::optional<int> code;
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; })) return;
      code = child_ ? child_->poll() : std::optional<int>(-1);
    }
    if (!code) {
      if (std::chrono::steady_clock::now() - up_since > std::chrono::minutes(1)) backoff.reset();
      continue;
    }
    const double delay = backoff.next_delay_s();
    LOG_WARN("broker", "the local MQTT broker exited (status " << *code << "); modules over MQTT wait; restarting it on "
                                                               << uri() << " in " << delay << " s");
    {
      std::unique_lock lock(mutex_);
      child_.reset();
      if (wake_.wait_for(lock, std::chrono::duration<double>(delay), [this] { return stopping_; })) return;
    }
    if (auto s = spawn(); !s) {
      LOG_ERROR("broker", s.error().message);
      continue;
    }
    ++restarts_;
    up_since = std::chrono::steady_clock::now();
    LOG_INFO("broker", "the local MQTT broker is up again on " << uri() << " (restart " << restarts_ << ")");
  }
}

void LocalBroker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  std::lock_guard lock(mutex_);
  if (child_) child_->stop(std::chrono::milliseconds(3000));
  child_.reset();
}

}  // namespace vigil::deploy
