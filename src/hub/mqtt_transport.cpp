#include "hub/mqtt_transport.h"

#include "core/log.h"
#include "hub/property_bag.h"

namespace vigil::hub {
namespace {

class InputSender : public EndpointSender {
 public:
  InputSender(MqttClient& client, std::string device, std::string module, std::string input)
      : client_(client), device_(std::move(device)), module_(std::move(module)), input_(std::move(input)) {}
  Status send(const Message& m) override {
    return client_.publish(input_topic(device_, module_, input_) + encode_property_bag(m, false, true), m.body, 1,
                           false, 10000);
  }
  std::string describe() const override { return "module " + module_ + " over " + client_.describe(); }

 private:
  MqttClient& client_;
  std::string device_, module_, input_;
};

}  // namespace

MqttTransport::MqttTransport(Hub& hub, MqttClient& client, std::string device_id)
    : hub_(hub), client_(client), device_(std::move(device_id)) {}

void MqttTransport::attach() {
  client_.on_message([this](const std::string& topic, const std::string& payload) { on_message(topic, payload); });
  client_.subscribe("devices/" + device_ + "/modules/+/messages/events/#", 1);
  client_.subscribe("devices/" + device_ + "/modules/+/messages/events", 1);
}

std::shared_ptr<EndpointSender> MqttTransport::sender_for(const std::string& module, const std::string& input) {
  return std::make_shared<InputSender>(client_, device_, module, input);
}

void MqttTransport::on_message(const std::string& topic, const std::string& payload) {
  auto t = parse_events_topic(topic);
  if (!t || t->device != device_) {
    LOG_DEBUG("hub", "ignoring MQTT topic " << topic);
    return;
  }
  Message m;
  m.body = payload;
  decode_property_bag(t->bag, m);
  const std::string output = m.system.output_name;
  LOG_DEBUG("hub", "MQTT in: " << t->module << "/" << output << " " << m.system.message_id << " " << payload.substr(0, 60));
  (void)hub_.send(t->module, output, std::move(m));  // a refusal is logged and counted by the hub
}

}  // namespace vigil::hub
