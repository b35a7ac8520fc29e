// The hub's MQTT transport: modules in other processes (any language, e.g. a paho-mqtt script) or on other
// hosts join the hub through a broker, with edgeHub's topics (spec azure-iot.md §2.2):
//   a module sends on an output:  publish  devices/{device}/modules/{module}/messages/events/%24.on={output}&…
//   a module receives an input:   subscribe devices/{device}/modules/{module}/#  (or …/inputs/#); deliveries
//                                 arrive on devices/{device}/modules/{module}/inputs/{input}/%24.cdid=…&%24.cmid=…
// QoS 1 both ways. The hub's own session is persistent (clean_session false), so the broker keeps what modules
// send while the hub is away; deliveries to module inputs go through the outbox, so nothing is lost while the
// broker is down. Duplicates, when they happen, carry the same messageId.
// A message is routed (and, for $upstream, committed to the outbox) inside the message handler, on libmosquitto's
// network thread. In threaded mode libmosquitto only queues the PUBACK it owes and that same thread writes it after
// the handler returns, so a hub that dies before the commit never acknowledged the message: the broker delivers it
// again to the hub's persistent session.
#pragma once

#include <memory>
#include <string>

#include "hub/hub.h"
#include "hub/mqtt_client.h"

namespace vigil::hub {

class MqttTransport {
 public:
  MqttTransport(Hub& hub, MqttClient& client, std::string device_id);
  // Subscribes to every module's events; call before client.start().
  void attach();
  // The sender for a module input served over MQTT.
  std::shared_ptr<EndpointSender> sender_for(const std::string& module, const std::string& input);

 private:
  void on_message(const std::string& topic, const std::string& payload);

  Hub& hub_;
  MqttClient& client_;
  std::string device_;
};

}  // namespace vigil::hub
