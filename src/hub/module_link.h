// ModuleLink: the ModuleContext of a module in its own process (`vigil run --isolate`, `vigil module`): it joins the
// hub over MQTT with edgeHub's topics, exactly as a module in another language does (hub/mqtt_transport.h is the
// hub's side). send() publishes on devices/{d}/modules/{m}/messages/events/<bag> with QoS 1 and waits for the PUBACK,
// retrying (0.5 s doubling to 5 s) while the broker is away, until stop();
// input messages arrive on devices/{d}/modules/{m}/inputs/{input}/<bag> and are handed to the input handler on a
// worker thread of the link's own (never on the MQTT network thread, where a send() waiting for its PUBACK would
// wait for itself). The session is persistent, so the broker keeps what arrives while the module restarts.
//
// Calls between modules in separate processes (an isolated alert module asks the camera that sent a prediction for
// that frame, to make a snapshot): a request on devices/{d}/modules/{target}/calls/{method}/{caller}/{id}, answered
// on devices/{d}/modules/{caller}/replies/{id}. QoS 0: a call that is lost times out, and nothing waits longer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/module_context.h"
#include "hub/mqtt_client.h"

namespace vigil::hub {

class ModuleLink : public ModuleContext {
 public:
  ModuleLink(MqttOptions broker, std::string device, std::string module, Metrics& metrics);
  ~ModuleLink() override;  // stop()

  // Before start(): receive the module's inputs.
  void on_input(std::function<void(const Message&)> handler);
  // Before start(): answer calls of `method` (on the MQTT network thread: keep it short).
  using CallHandler = std::function<std::string(const std::string& request)>;
  void serve(const std::string& method, CallHandler handler);
  // Asks `module` and waits for its answer; Timeout when none came in time (the module is down, or does not serve it).
  Result<std::string> call(const std::string& module, const std::string& method, const std::string& request,
                           std::chrono::milliseconds timeout);
  Status start();
  void stop();

  const std::string& module_id() const override { return module_; }
  Metrics& metrics() override { return metrics_; }
  void send(const std::string& output, Message m) override;

 private:
  void work();
  void on_mqtt(const std::string& topic, const std::string& payload);

  std::string device_, module_;
  Metrics& metrics_;
  MqttClient client_;
  std::function<void(const Message&)> handler_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Message> inbox_;
  std::map<std::string, CallHandler> methods_;
  std::map<std::string, std::optional<std::string>> replies_;  // by call id: set when the answer came
  std::condition_variable replied_;
  std::uint64_t next_call_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace vigil::hub
