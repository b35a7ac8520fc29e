// The hub's MQTT transport: modules in other processes (any language, e.g. a paho-mqtt script) or on other
// hosts join the hub through a broker, with edgeHub's topics (spec azure-iot.md §2.2):
//   a module sends on an output:  publish  devices/{device}/modules/{module}/messages/events/%24.on={output}&…
//   a module receives an input:   subscribe devices/{device}/modules/{module}/#  (or …/inputs/#); deliveries
//                                 arrive on devices/{device}/modules/{module}/inputs/{input}/%24.cdid=…&%24.cmid=…
// QoS 1 both ways. The hub's own session is persistent (clean_session false), so the broker keeps what modules
// send while the hub is away; deliveries to module inputs go through the outbox, so nothing is lost while the
// broker is down. Duplicates, when they happen, carry the same messageId.
// With SDK modules (vigil:iotedge) the hub also answers their twin requests, which the broker plugin relays on
// vigil/edge/{device}/{module}/twin/… (hub/edge_identity.h), from a ModuleTwins, and sends desired-property patches.
// A message is routed (and, for $upstream, committed to the outbox) inside the message handler, on libmosquitto's
// network thread. In threaded mode libmosquitto only queues the PUBACK it owes and that same thread writes it after
// the handler returns, so a hub that dies before the commit never acknowledged the message: the broker delivers it
// again to the hub's persistent session.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "hub/hub.h"
#include "hub/module_twins.h"
#include "hub/mqtt_client.h"

namespace vigil::hub {

class MqttTransport {
 public:
  MqttTransport(Hub& hub, MqttClient& client, std::string device_id);
  // Serve the twins of `sdk_modules` from `twins` (which must outlive this), and hold their input messages in the
  // outbox until they have subscribed; call before attach().
  void serve_edge(ModuleTwins& twins, std::set<std::string> sdk_modules);
  // Subscribes to every module's events (and the twin relay); call before client.start().
  void attach();
  // Sends `module` a desired-properties patch (ModuleTwins::set_desired's). A module that is not connected misses
  // it and reads the whole twin when it connects, as under edgeHub.
  Status push_desired(const std::string& module, const nlohmann::json& patch);
  // The sender for a module input served over MQTT.
  std::shared_ptr<EndpointSender> sender_for(const std::string& module, const std::string& input);

 private:
  void on_message(const std::string& topic, const std::string& payload);
  void on_twin_request(const std::string& topic, const std::string& payload);
  bool subscribed(const std::string& module) const;

  Hub& hub_;
  MqttClient& client_;
  std::string device_;
  ModuleTwins* twins_ = nullptr;
  std::set<std::string> sdk_modules_;
  mutable std::mutex mutex_;
  std::set<std::string> subscribed_;  // SDK modules that have subscribed to their inputs
};

}  // namespace vigil::hub
