#include "hub/mqtt_client.h"

#include <mosquitto.h>

#include <algorithm>
#include <chrono>
#include <regex>

#include "core/guard.h"
#include "core/log.h"
#include "core/text.h"

namespace vigil::hub {
namespace {

void lib_init() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string connack_text(int rc) {
  switch (rc) {
    case 0: return "connected";
    case 1: return "the broker refused the protocol version";
    case 2: return "the broker refused the client id";
    case 3: return "the broker is unavailable";
    case 4: return "bad user name or password";
    case 5: return "not authorised";
    default: return mosquitto_strerror(rc);
  }
}

}  // namespace

Result<MqttOptions> parse_mqtt_uri(const std::string& uri, std::string* path) {
  static const std::regex re(R"(^(mqtts?)://(?:([^:@/]*)(?::([^@/]*))?@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(uri, m, re))
    return make_error(ErrorCode::InvalidArgument, "'" + uri + "' is not an MQTT URI (mqtt://host[:port] or mqtts://user:pass@host:8883)");
  MqttOptions o;
  o.tls = m[1] == "mqtts";
  o.username = url_decode(m[2].str());  // user:pass may be percent-encoded, as in any URI
  o.password = url_decode(m[3].str());
  o.host = m[4];
  const auto port = m[5].matched ? parse_port(m[5].str()) : std::optional<int>(o.tls ? 8883 : 1883);
  if (!port)
    return make_error(ErrorCode::InvalidArgument, "the port '" + m[5].str() + "' of an MQTT URI must be from 1 to 65535");
  o.port = *port;
  if (path) *path = m[6].matched ? m[6].str() : "";
  return o;
}

MqttClient::MqttClient(MqttOptions options)
    : options_(std::move(options)),
      name_(std::string(options_.tls ? "mqtts://" : "mqtt://") + options_.host + ":" + std::to_string(options_.port)) {
  lib_init();
  mosq_ = mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(),
                        options_.client_id.empty() ? true : options_.clean_session, this);
}

MqttClient::~MqttClient() {
  stop();
  if (mosq_) mosquitto_destroy(mosq_);
}

const std::string& MqttClient::describe() const { return name_; }

void MqttClient::subscribe(const std::string& filter, int qos) {
  {
    std::lock_guard lock(mutex_);
    subscriptions_[filter] = qos;
  }
  if (connected_) mosquitto_subscribe(mosq_, nullptr, filter.c_str(), qos);
}

Status MqttClient::start() {
  if (!mosq_) return make_error(ErrorCode::Internal, "libmosquitto could not create a client");
  mosquitto_connect_callback_set(mosq_, &MqttClient::handle_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttClient::handle_disconnect);
  mosquitto_message_callback_set(mosq_, &MqttClient::handle_message);
  mosquitto_publish_callback_set(mosq_, &MqttClient::handle_publish);
  mosquitto_subscribe_callback_set(mosq_, &MqttClient::handle_subscribe);
  mosquitto_max_inflight_messages_set(mosq_, 100);
  if (!options_.username.empty())
    mosquitto_username_pw_set(mosq_, options_.username.c_str(), options_.password.empty() ? nullptr : options_.password.c_str());
  if (options_.tls) {
    const char* ca = options_.ca_file.empty() ? nullptr : options_.ca_file.c_str();
    const char* capath = ca ? nullptr : "/etc/ssl/certs";
    if (const int rc = mosquitto_tls_set(mosq_, ca, capath, nullptr, nullptr, nullptr); rc != MOSQ_ERR_SUCCESS)
      return make_error(ErrorCode::InvalidArgument, "TLS set-up for " + describe() + ": " + mosquitto_strerror(rc) +
                                                        " (check the CA file)");
  }
  if (!options_.will_topic.empty())
    mosquitto_will_set(mosq_, options_.will_topic.c_str(), static_cast<int>(options_.will_payload.size()),
                       options_.will_payload.data(), 1, options_.will_retain);
  const int rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, options_.keepalive_s);
  // Refused or a name that does not resolve (yet: a box that boots before its network): retried in the background.
  const bool later = rc == MOSQ_ERR_ERRNO || rc == MOSQ_ERR_EAI;
  if (rc != MOSQ_ERR_SUCCESS && !later)
    return make_error(ErrorCode::InvalidArgument, "cannot connect to " + describe() + ": " + mosquitto_strerror(rc));
  if (later) LOG_WARN("mqtt", describe() << " is not reachable yet (" << mosquitto_strerror(rc) << "); retrying in the background");
  mosquitto_threaded_set(mosq_, true);  // publish() and subscribe() come from other threads
  started_ = true;
  network_ = std::thread([this] { (void)guarded("mqtt", describe(), [this] { network_loop(); }); });
  return ok_status();
}

// The network thread. libmosquitto's own loop (mosquitto_loop_forever) gives up for good on errors it deems fatal —
// a TLS handshake that fails (a broker that is restarting closes the socket mid-handshake), a name that stops
// resolving — and sleeps where stop() cannot wake it; so this thread runs the loop one step at a time and reconnects
// itself, with back-off, for as long as the client runs.
void MqttClient::network_loop() {
  int delay_s = 1, draining = 0;
  bool warned = false;  // one WARN per outage; the retries after it are DEBUG
  for (;;) {
    const int rc = mosquitto_loop(mosq_, started_ ? 1000 : 50, 1);
    if (!started_) {  // stop(): the DISCONNECT goes out (up to 1 s), then libmosquitto closes the socket
      if (rc != MOSQ_ERR_SUCCESS || ++draining > 20) return;
      continue;
    }
    if (rc == MOSQ_ERR_SUCCESS) {
      if (connected_) delay_s = 1, warned = false;
      continue;
    }
    connected_ = false;
    const bool quiet = warned || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_NO_CONN;  // a loss was said by handle_disconnect
    if (quiet) LOG_DEBUG("mqtt", describe() << ": " << mosquitto_strerror(rc) << "; reconnecting in " << delay_s << " s");
    else LOG_WARN("mqtt", describe() << ": " << mosquitto_strerror(rc) << "; reconnecting in " << delay_s << " s");
    warned = true;
    {
      std::unique_lock lock(mutex_);
      if (stopped_.wait_for(lock, std::chrono::seconds(delay_s), [this] { return !started_; })) return;
    }
    delay_s = std::min(delay_s * 2, std::max(1, options_.reconnect_max_s));
    (void)mosquitto_reconnect(mosq_);  // when it fails, the next step says so and waits again
  }
}

void MqttClient::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_.exchange(false)) return;
  }
  stopped_.notify_all();
  mosquitto_disconnect(mosq_);  // a last DISCONNECT when connected; the thread ends at its next step
  if (network_.joinable()) network_.join();
  connected_ = false;
  acked_.notify_all();
}

Result<int> MqttClient::send_publish(const std::string& topic, const std::string& payload, int qos, bool retain) {
  if (!connected_) return make_error(ErrorCode::Unavailable, describe() + " is not connected");
  int mid = 0;
  const int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS)
    return make_error(rc == MOSQ_ERR_PAYLOAD_SIZE ? ErrorCode::TooLarge : ErrorCode::Unavailable,
                      "publish to " + describe() + ": " + mosquitto_strerror(rc));
  std::lock_guard lock(mutex_);
  // The acknowledgement may have come on the network thread before this thread took the lock.
  auto early = early_acks_.find(mid);
  waiting_[mid] = early != early_acks_.end();
  if (early != early_acks_.end()) early_acks_.erase(early);
  return mid;
}

Status MqttClient::wait_ack(int mid, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  const bool ok = acked_.wait_until(lock, deadline, [&] { return waiting_[mid] || !started_; });
  waiting_.erase(mid);
  if (!ok) return make_error(ErrorCode::Timeout, describe() + " did not acknowledge in time");
  if (!started_) return make_error(ErrorCode::Unavailable, "the client stopped");
  return ok_status();
}

Status MqttClient::publish(const std::string& topic, const std::string& payload, int qos, bool retain, int timeout_ms) {
  auto mid = send_publish(topic, payload, qos, retain);
  if (!mid) return mid.error();
  return wait_ack(*mid, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
}

std::vector<Status> MqttClient::publish_all(const std::vector<std::pair<std::string, std::string>>& messages, int qos,
                                            int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<Result<int>> mids;
  for (const auto& [topic, payload] : messages) mids.push_back(send_publish(topic, payload, qos, false));
  std::vector<Status> out;
  for (auto& mid : mids) out.push_back(mid ? wait_ack(*mid, deadline) : Status(mid.error()));
  return out;
}

void MqttClient::publish_nowait(const std::string& topic, const std::string& payload, int qos, bool retain) {
  mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
}

void MqttClient::handle_connect(mosquitto* mosq, void* obj, int rc) {
  auto* self = static_cast<MqttClient*>(obj);
  if (rc != 0) {
    LOG_WARN("mqtt", self->describe() << ": " << connack_text(rc));
    if (self->on_connection_) (void)guarded("mqtt", self->describe(), [&] { self->on_connection_(false, connack_text(rc)); });
    return;
  }
  std::map<std::string, int> subs;
  {
    std::lock_guard lock(self->mutex_);
    subs = self->subscriptions_;
  }
  self->unacked_subscriptions_ = static_cast<int>(subs.size());
  for (const auto& [filter, qos] : subs) mosquitto_subscribe(mosq, nullptr, filter.c_str(), qos);
  self->connected_ = true;
  LOG_INFO("mqtt", "connected to " << self->describe());
  if (self->on_connection_) (void)guarded("mqtt", self->describe(), [&] { self->on_connection_(true, "connected"); });
}

void MqttClient::handle_disconnect(mosquitto*, void* obj, int rc) {
  auto* self = static_cast<MqttClient*>(obj);
  const bool was = self->connected_.exchange(false);
  if (was && rc != 0) LOG_WARN("mqtt", "lost " << self->describe() << " (" << mosquitto_strerror(rc) << "); reconnecting");
  if (self->on_connection_)
    (void)guarded("mqtt", self->describe(), [&] { self->on_connection_(false, rc == 0 ? "disconnected" : mosquitto_strerror(rc)); });
}

void MqttClient::handle_message(mosquitto*, void* obj, const ::mosquitto_message* m) {
  auto* self = static_cast<MqttClient*>(obj);
  if (!self->on_message_) return;
  (void)guarded("mqtt", self->describe(), [&] {
    self->on_message_(m->topic ? m->topic : "",
                      std::string(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen)));
  });
}

void MqttClient::handle_subscribe(mosquitto*, void* obj, int, int, const int*) {
  auto* self = static_cast<MqttClient*>(obj);
  if (--self->unacked_subscriptions_ == 0)  // the last SUBACK of this connection's subscriptions
    LOG_INFO("mqtt", "subscribed on " << self->describe() << ": messages for this client flow from now on");
}

void MqttClient::handle_publish(mosquitto*, void* obj, int mid) {
  auto* self = static_cast<MqttClient*>(obj);
  {
    std::lock_guard lock(self->mutex_);
    if (auto w = self->waiting_.find(mid); w != self->waiting_.end()) {
      w->second = true;
    } else {
      // Not (yet) waited for: a publish_nowait, a publish that gave up, or one about to wait. Kept briefly, so that a
      // message id used again after the 16-bit ids wrap never finds a stale acknowledgement.
      const auto now = std::chrono::steady_clock::now();
      std::erase_if(self->early_acks_, [&](const auto& e) { return now - e.second > std::chrono::seconds(5); });
      self->early_acks_[mid] = now;
    }
  }
  self->acked_.notify_all();
}

}  // namespace vigil::hub
