#include "hub/module_link.h"

#include "core/guard.h"
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
      client_(with_identity(std::move(broker), device_, module_)) {
  client_.subscribe(module_topic(device_, module_) + "/replies/#", 0);
  client_.on_message([this](const std::string& topic, const std::string& payload) { on_mqtt(topic, payload); });
}

ModuleLink::~ModuleLink() { stop(); }

void ModuleLink::on_input(std::function<void(const Message&)> handler) {
  handler_ = std::move(handler);
  client_.subscribe(module_topic(device_, module_) + "/inputs/#", 1);
}

void ModuleLink::serve(const std::string& method, CallHandler handler) {
  {
    std::lock_guard lock(mutex_);
    methods_[method] = std::move(handler);
  }
  client_.subscribe(module_topic(device_, module_) + "/calls/" + method + "/#", 0);
}

void ModuleLink::on_mqtt(const std::string& topic, const std::string& payload) {
  const std::string mine = module_topic(device_, module_) + "/";
  if (topic.rfind(mine, 0) != 0) return;
  const std::string rest = topic.substr(mine.size());
  if (rest.rfind("replies/", 0) == 0) {
    std::lock_guard lock(mutex_);
    auto it = replies_.find(rest.substr(8));
    if (it == replies_.end()) return;  // a call that already timed out
    it->second = payload;
    replied_.notify_all();
    return;
  }
  if (rest.rfind("calls/", 0) == 0) {  // calls/{method}/{caller}/{id}
    const std::string path = rest.substr(6);
    const auto a = path.find('/'), b = a == std::string::npos ? a : path.find('/', a + 1);
    if (b == std::string::npos) return;
    CallHandler handler;
    {
      std::lock_guard lock(mutex_);
      auto it = methods_.find(path.substr(0, a));
      if (it == methods_.end()) return;
      handler = it->second;
    }
    const std::string caller = path.substr(a + 1, b - a - 1), id = path.substr(b + 1);
    client_.publish_nowait(module_topic(device_, caller) + "/replies/" + id, handler(payload), 0, false);
    return;
  }
  auto t = parse_input_topic(topic);
  if (!t || !handler_) return;
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
}

Result<std::string> ModuleLink::call(const std::string& module, const std::string& method, const std::string& request,
                                     std::chrono::milliseconds timeout) {
  std::string id;
  {
    std::lock_guard lock(mutex_);
    id = std::to_string(++next_call_);
    replies_[id] = std::nullopt;
  }
  client_.publish_nowait(module_topic(device_, module) + "/calls/" + method + "/" + module_ + "/" + id, request, 0, false);
  std::unique_lock lock(mutex_);
  replied_.wait_for(lock, timeout, [&] { return stopping_ || replies_[id].has_value(); });
  auto answer = std::move(replies_[id]);
  replies_.erase(id);
  if (!answer) return make_error(ErrorCode::Timeout, module + " did not answer " + method + " within " +
                                                         std::to_string(timeout.count()) + " ms");
  return *answer;
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
  replied_.notify_all();
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
    (void)guarded("module", module_, [&] { handler_(m); });  // one bad message, not the module's end
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
