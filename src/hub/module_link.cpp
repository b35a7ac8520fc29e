#include "hub/module_link.h"

#include "core/log.h"
#include "hub/property_bag.h"

namespace vigil::hub {
namespace {

constexpr std::size_t kInboxLimit = 1000;  // as the hub's local input queues: the oldest go first

MqttOptions with_identity(MqttOptions o, const std::string& device, const std::string& module) {
  o.client_id = device + "/" + module;
  o.clean_session = false;
  return o;
}

}  // namespace

ModuleLink::ModuleLink(MqttOptions broker, std::string device, std::string module, Metrics& metrics)
    : device_(std::move(device)), module_(std::move(module)), metrics_(metrics),
      client_(with_identity(std::move(broker), device_, module_)) {}

ModuleLink::~ModuleLink() { stop(); }

void ModuleLink::on_input(std::function<void(const Message&)> handler) {
  handler_ = std::move(handler);
  client_.subscribe("devices/" + device_ + "/modules/" + module_ + "/inputs/#", 1);
  client_.on_message([this](const std::string& topic, const std::string& payload) {
    auto t = parse_input_topic(topic);
    if (!t) return;
    Message m;
    m.body = payload;
    decode_property_bag(t->bag, m);
    m.system.input_name = t->input;
    {
      std::lock_guard lock(mutex_);
      if (inbox_.size() >= kInboxLimit) inbox_.pop_front();
      inbox_.push_back(std::move(m));
    }
    wake_.notify_one();
  });
}

Status ModuleLink::start() {
  if (handler_) worker_ = std::thread([this] { work(); });
  return client_.start();
}

void ModuleLink::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  client_.stop();
}

void ModuleLink::work() {
  for (;;) {
    Message m;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) return;
      m = std::move(inbox_.front());
      inbox_.pop_front();
    }
    handler_(m);
  }
}

void ModuleLink::send(const std::string& output, Message m) {
  m.system.connection_device_id = device_;
  m.system.connection_module_id = module_;
  m.system.output_name = output;
  if (m.system.message_id.empty()) m.system.message_id = new_uuid();
  const std::string topic = events_topic(device_, module_) + encode_property_bag(m, true, false);
  // Until the broker takes it (an alert must not be lost while the broker restarts), or the link stops.
  std::chrono::duration<double> delay(0.5);
  for (bool warned = false;; delay = std::min(delay * 2, std::chrono::duration<double>(5))) {
    auto s = client_.publish(topic, m.body, 1, false, 10000);
    if (s) {
      if (warned) LOG_INFO("module", "[" << module_ << "] the hub's broker takes messages again");
      return;
    }
    std::unique_lock lock(mutex_);
    if (stopping_) {
      LOG_ERROR("module", "[" << module_ << "] message on " << output << " not sent, the module is stopping: " << s.error().message);
      return;
    }
    if (!warned) LOG_WARN("module", "[" << module_ << "] the hub's broker does not take " << output << " (" << s.error().message << "); retrying");
    warned = true;
    wake_.wait_for(lock, delay, [&] { return stopping_; });
  }
}

}  // namespace vigil::hub
