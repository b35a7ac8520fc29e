#include "hub/mqtt_transport.h"

#include <functional>

#include "core/log.h"
#include "hub/edge_identity.h"
#include "hub/property_bag.h"

namespace vigil::hub {
namespace {

// Whether a module may be sent to yet (an SDK module: once it has subscribed); null for "always".
using ReadyCheck = std::function<bool()>;

class InputSender : public EndpointSender {
 public:
  InputSender(MqttClient& client, std::string device, std::string module, std::string input, ReadyCheck ready)
      : client_(client), device_(std::move(device)), module_(std::move(module)), input_(std::move(input)), ready_(std::move(ready)) {}
  Status send(const Message& m) override { return send_batch({&m}).front(); }
  // A round of messages in flight at once, each acknowledged by the broker (the broker keeps their order).
  std::size_t parallel() const override { return 32; }
  std::vector<Status> send_batch(const std::vector<const Message*>& batch) override {
    if (ready_ && !ready_())
      return std::vector<Status>(batch.size(), make_error(ErrorCode::Unavailable, "module " + module_ +
                                                                                    " has not connected and subscribed to its inputs yet"));
    std::vector<std::pair<std::string, std::string>> messages;
    for (const Message* m : batch) messages.emplace_back(input_topic(device_, module_, input_) + encode_property_bag(*m, false, true), m->body);
    return client_.publish_all(messages, 1, 10000);
  }
  std::string describe() const override { return "module " + module_ + " over " + client_.describe(); }

 private:
  MqttClient& client_;
  std::string device_, module_, input_;
  ReadyCheck ready_;
};

}  // namespace

MqttTransport::MqttTransport(Hub& hub, MqttClient& client, std::string device_id)
    : hub_(hub), client_(client), device_(std::move(device_id)) {}

void MqttTransport::attach() {
  client_.on_message([this](const std::string& topic, const std::string& payload) { on_message(topic, payload); });
  client_.subscribe("devices/" + device_ + "/modules/+/messages/events/#", 1);
  client_.subscribe("devices/" + device_ + "/modules/+/messages/events", 1);
  if (twins_) client_.subscribe("vigil/edge/" + device_ + "/+/#", 1);
}

bool MqttTransport::subscribed(const std::string& module) const {
  std::lock_guard lock(mutex_);
  return subscribed_.count(module) > 0;
}

Status MqttTransport::push_desired(const std::string& module, const nlohmann::json& patch) {
  const std::string version = std::to_string(patch.value("$version", 0));
  return client_.publish(edge_reply_topic({device_, module}, "$iothub/twin/PATCH/properties/desired/?$version=" + version),
                         patch.dump(), 1, false, 3000);
}

void MqttTransport::on_twin_request(const std::string& topic, const std::string& payload) {
  auto request = parse_edge_request(topic);
  if (!twins_ || !request || request->id.device != device_) return;
  if (request->topic == kEdgeSubscribed) {
    std::lock_guard lock(mutex_);
    if (subscribed_.insert(request->id.module).second)
      LOG_INFO("hub", "[" << request->id.module << "] subscribed to its inputs: messages for it flow from now on");
    return;
  }
  auto reply = twins_->answer(request->id.module, request->topic, payload);
  if (!reply) {
    LOG_DEBUG("hub", "no answer for the twin request " << request->topic << " of " << request->id.module);
    return;
  }
  LOG_DEBUG("hub", "twin: " << request->id.module << " " << request->topic << " → " << reply->topic);
  client_.publish_nowait(edge_reply_topic(request->id, reply->topic), reply->body, 1, false);
}

void MqttTransport::serve_edge(ModuleTwins& twins, std::set<std::string> sdk_modules) {
  twins_ = &twins;
  sdk_modules_ = std::move(sdk_modules);
}

std::shared_ptr<EndpointSender> MqttTransport::sender_for(const std::string& module, const std::string& input) {
  ReadyCheck ready;
  if (sdk_modules_.count(module))
    ready = [this, module] { return subscribed(module); };
  return std::make_shared<InputSender>(client_, device_, module, input, std::move(ready));
}

void MqttTransport::on_message(const std::string& topic, const std::string& payload) {
  if (topic.rfind("vigil/edge/", 0) == 0) return on_twin_request(topic, payload);
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
