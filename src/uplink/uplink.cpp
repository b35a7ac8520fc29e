#include "uplink/uplink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/log.h"
#include "core/text.h"
#include "hub/mqtt_client.h"
#include "hub/property_bag.h"
#include "core/files.h"
#include "uplink/email.h"
#include "uplink/home_assistant.h"
#include "uplink/iothub.h"
#include "uplink/webhook.h"

namespace vigil::uplink {
namespace {

class FileUplink : public hub::EndpointSender {
 public:
  explicit FileUplink(std::string path) : path_(std::move(path)) {}
  ~FileUplink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status send(const Message& m) override {
    if (fd_ < 0) fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return make_error(ErrorCode::Unavailable, "cannot open " + path_ + ": " + std::strerror(errno));
    const std::string line = json_text(message_to_json(m)) + "\n";
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd_) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      return make_error(ErrorCode::Unavailable, "cannot write " + path_ + ": " + why);
    }
    return ok_status();
  }
  std::string describe() const override { return "file:" + path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// One line per message on stdout, "[module] <body>", for a person watching the console.
class ConsoleUplink : public hub::EndpointSender {
 public:
  Status send(const Message& m) override {
    const std::string line = (m.system.connection_module_id.empty() ? "" : "[" + m.system.connection_module_id + "] ") + m.body + "\n";
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
    return ok_status();
  }
  std::string describe() const override { return "console"; }

 private:
  std::mutex mutex_;
};

class MqttUplink : public hub::EndpointSender {
 public:
  MqttUplink(hub::MqttOptions o, std::string templ, std::string device, std::optional<HaOptions> ha)
      : client_(std::move(o)), template_(std::move(templ)), device_(std::move(device)) {
    if (ha) ha_.emplace(std::move(*ha));
  }
  Status start(const std::string& status_topic) {
    if (ha_) {  // the records of entities an earlier run announced: those of cameras that left the manifest go
      client_.subscribe(ha_->registry_filter(), 1);
      client_.on_message([this](const std::string& topic, const std::string& payload) {  // behind MqttClient's boundary
        std::lock_guard lock(ha_mutex_);
        publish_ha(ha_->on_record(topic, payload));
      });
    }
    client_.on_connection([this, status_topic](bool connected, const std::string&) {
      if (!connected) return;
      client_.publish_nowait(status_topic, "online", 1, true);
      std::lock_guard lock(ha_mutex_);
      if (ha_) publish_ha(ha_->on_connect());  // Home Assistant may have restarted or lost its retained topics
    });
    return client_.start();
  }
  Status send(const Message& m) override {
    std::string topic = template_;
    auto fill = [&](const std::string& key, const std::string& value) {
      for (std::size_t p; (p = topic.find(key)) != std::string::npos;) topic.replace(p, key.size(), value.empty() ? "-" : value);
    };
    fill("{device}", device_);
    fill("{module}", m.system.connection_module_id);
    fill("{output}", m.system.output_name);
    if (auto s = client_.publish(topic, json_text(message_to_json(m)), 1, false, 10000); !s) return s;
    std::lock_guard lock(ha_mutex_);
    if (ha_) {
      try {  // best effort, never a failed delivery: all of it is published again on the next connect
        publish_ha(ha_->on_message(m));
      } catch (const std::exception& e) {
        LOG_WARN("uplink", describe() << ": Home Assistant state not updated for message " << m.system.message_id << ": " << e.what());
      }
    }
    return ok_status();
  }
  std::string describe() const override { return client_.describe(); }

 private:
  void publish_ha(const std::vector<HaPublication>& pubs) {
    for (const auto& p : pubs) {
      if (p.file.empty()) {
        client_.publish_nowait(p.topic, p.payload, 1, true);
      } else if (auto jpeg = read_file(p.file, 16u << 20)) {
        client_.publish_nowait(p.topic, *jpeg, 1, true);
      }
    }
  }

  hub::MqttClient client_;
  std::string template_, device_;
  std::mutex ha_mutex_;
  std::optional<HomeAssistant> ha_;
};

}  // namespace

Result<std::shared_ptr<hub::EndpointSender>> make_uplink(const std::string& uri, const std::string& device_id,
                                                         const std::vector<std::string>& cameras) {
  if (uri.rfind("file:", 0) == 0) {
    const std::string path = uri.substr(5);
    if (path.empty()) return make_error(ErrorCode::InvalidArgument, "file: uplink without a path (file:/var/lib/vigil/alerts.jsonl)");
    return std::shared_ptr<hub::EndpointSender>(std::make_shared<FileUplink>(path));
  }
  if (uri == "console:" || uri == "console") return std::shared_ptr<hub::EndpointSender>(std::make_shared<ConsoleUplink>());
  if (uri.rfind("mqtt://", 0) == 0 || uri.rfind("mqtts://", 0) == 0) {
    std::string path, base = uri, ca, ha_prefix;
    if (const auto q = uri.find('?'); q != std::string::npos) {
      Message opts;
      hub::decode_property_bag(uri.substr(q + 1), opts);
      base = uri.substr(0, q);
      for (const auto& [k, v] : opts.properties) {
        if (k == "ca") ca = v;
        else if (k == "homeassistant") ha_prefix = v == "1" || v == "true" || v.empty() ? "homeassistant" : v;
        else return make_error(ErrorCode::InvalidArgument, "MQTT uplink option '" + k + "' is unknown (ca, homeassistant)");
      }
    }
    auto o = hub::parse_mqtt_uri(base, &path);
    if (!o) return o.error();
    o->ca_file = ca;
    o->client_id = "vigil-uplink-" + device_id;
    const std::string templ = path.size() > 1 ? path.substr(1) : "vigil/{device}/{module}/{output}";
    // A retained "online" on connect and, as the last will, "offline" when the connection dies.
    const std::string status_topic = "vigil/" + device_id + "/status";
    o->will_topic = status_topic;
    o->will_payload = "offline";
    std::optional<HaOptions> ha;
    if (!ha_prefix.empty())
      ha = HaOptions{ha_prefix, device_id, status_topic, VIGIL_VERSION, {cameras.begin(), cameras.end()}};
    auto up = std::make_shared<MqttUplink>(*o, templ, device_id, std::move(ha));
    if (auto s = up->start(status_topic); !s) return s.error();
    return std::shared_ptr<hub::EndpointSender>(up);
  }
  if (uri.rfind("iothub:", 0) == 0 || uri.rfind("HostName=", 0) == 0) return make_iothub_uplink(uri);
  if (uri.rfind("http://", 0) == 0 || uri.rfind("https://", 0) == 0) return make_webhook_uplink(uri);
  if (uri.rfind("smtp://", 0) == 0 || uri.rfind("smtps://", 0) == 0) return make_email_uplink(uri);
  return make_error(ErrorCode::Unsupported, "upstream '" + redact_secrets(uri) + "' is not supported (use console:, file:PATH, mqtt://host[:port]/topic, "
                                            "iothub:<connection string>, http(s)://webhook or smtp(s)://mail server)");
}

}  // namespace vigil::uplink
