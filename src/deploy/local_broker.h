// LocalBroker: the mosquitto that `vigil run` starts on a free loopback port when exec (or isolated) modules need a
// broker and --broker is not given — supervised like a module: a watcher thread polls it; when it exits (killed,
// crashed) it is started again on the same port after edgeAgent-style back-off (0.5 s doubling to 10 s, reset
// after a minute up), with a WARN and a count. Persistence is on, in the state folder (broker/), so the sessions of
// the hub and the modules and their QoS 1 messages outlive a restart of the broker.
//
//   start ─▶ Up ── exits ──▶ Down (WARN) ── back-off ──▶ Up (INFO, restarts + 1)
//                                              └── spawn fails ──▶ Down again (longer back-off)
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/result.h"
#include "deploy/child_process.h"

namespace vigil::deploy {

// A second listener for modules written with the Azure IoT SDKs (deploy/edge_env.h): MQTT over TLS, no anonymous
// clients, behind the vigil_edge_auth plugin. The plain loopback listener stays as it is for vigil's own modules.
struct EdgeListener {
  std::string host;
  int port = 8883;
  std::string cert_file, key_file, plugin;
  std::vector<std::pair<std::string, std::string>> plugin_options;
};

class LocalBroker {
 public:
  // Writes mosquitto.conf in `work_dir`, starts mosquitto and waits until it listens (on both listeners with `edge`).
  static Result<std::unique_ptr<LocalBroker>> start(const std::string& work_dir, const EdgeListener* edge = nullptr);
  ~LocalBroker();  // stop()
  LocalBroker(const LocalBroker&) = delete;
  LocalBroker& operator=(const LocalBroker&) = delete;

  std::string uri() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  void stop();  // any thread

 private:
  LocalBroker(std::string conf, int port, std::string edge_host, int edge_port)
      : conf_(std::move(conf)), port_(port), edge_host_(std::move(edge_host)), edge_port_(edge_port) {}
  Status spawn();  // starts mosquitto and waits (up to 5 s) until it listens
  void watch();

  const std::string conf_;
  const int port_;
  const std::string edge_host_;  // empty without an edge listener
  const int edge_port_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unique_ptr<ChildProcess> child_;
  bool stopping_ = false;
  int restarts_ = 0;  // watcher thread
  std::thread watcher_;
};

}  // namespace vigil::deploy
