// The one wrapper around libmosquitto: a client that connects in the background, reconnects with back-off
// (1 s doubling to 30 s; also after the errors libmosquitto's own loop gives up on, such as a failed TLS handshake),
// re-subscribes after every reconnect, and reports PUBACKs. Handlers run on its network thread; publish() may be
// called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"

struct mosquitto;
struct mosquitto_message;

namespace vigil::hub {

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;
  bool clean_session = false;  // a persistent session: the broker keeps QoS 1 messages while we are away
  std::string username, password;
  bool tls = false;
  std::string ca_file;  // TLS: the CA to trust (default: the system's)
  int keepalive_s = 30;
  int reconnect_max_s = 30;  // reconnect back-off: 1 s doubling to this
  std::string will_topic, will_payload;  // a last will, retained, when will_topic is set
  bool will_retain = true;
};

// mqtt://[user[:password]@]host[:port][/path] and mqtts://… (port 1883 / 8883). The path is returned in `path`.
Result<MqttOptions> parse_mqtt_uri(const std::string& uri, std::string* path = nullptr);

class MqttClient {
 public:
  using MessageHandler = std::function<void(const std::string& topic, const std::string& payload)>;
  using ConnectionHandler = std::function<void(bool connected, const std::string& why)>;

  explicit MqttClient(MqttOptions options);
  ~MqttClient();  // stop()
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  void on_message(MessageHandler h) { on_message_ = std::move(h); }
  void on_connection(ConnectionHandler h) { on_connection_ = std::move(h); }
  void subscribe(const std::string& filter, int qos);  // before or after start()

  Status start();  // connects in the background; an unreachable broker is retried, not an error
  void stop();

  // Publishes and waits until the broker acknowledged (QoS 1) or the message left (QoS 0), up to `timeout_ms`.
  // Unavailable when not connected; Timeout when no PUBACK came in time (the library may still deliver it).
  Status publish(const std::string& topic, const std::string& payload, int qos, bool retain, int timeout_ms);
  // Publishes them all (in order, not retained), then waits for each acknowledgement, all within `timeout_ms`: one
  // Status per message, in order.
  std::vector<Status> publish_all(const std::vector<std::pair<std::string, std::string>>& messages, int qos, int timeout_ms);
  // Fire and forget (safe from the connection handler, on the network thread).
  void publish_nowait(const std::string& topic, const std::string& payload, int qos, bool retain);
  bool connected() const { return connected_.load(); }
  const std::string& describe() const;  // mqtt[s]://host:port (built once: the callbacks name it per message)

 private:
  Result<int> send_publish(const std::string& topic, const std::string& payload, int qos, bool retain);  // its mid
  Status wait_ack(int mid, std::chrono::steady_clock::time_point deadline);
  void network_loop();  // the network thread: libmosquitto's loop a step at a time, reconnecting itself
  static void handle_connect(mosquitto*, void* self, int rc);
  static void handle_disconnect(mosquitto*, void* self, int rc);
  static void handle_message(mosquitto*, void* self, const ::mosquitto_message* m);
  static void handle_publish(mosquitto*, void* self, int mid);
  static void handle_subscribe(mosquitto*, void* self, int mid, int count, const int* granted);

  MqttOptions options_;
  const std::string name_;
  mosquitto* mosq_ = nullptr;
  MessageHandler on_message_;
  ConnectionHandler on_connection_;
  std::mutex mutex_;
  std::condition_variable acked_;
  std::map<std::string, int> subscriptions_;
  std::map<int, bool> waiting_;  // mids a publish() waits for → acknowledged yet
  std::map<int, std::chrono::steady_clock::time_point> early_acks_;  // acknowledged before anyone waited (5 s at most)
  std::atomic<bool> connected_{false}, started_{false};
  std::condition_variable stopped_;
  std::thread network_;
  std::atomic<int> unacked_subscriptions_{0};  // of the current connection: INFO "subscribed" when it reaches 0
};

}  // namespace vigil::hub
