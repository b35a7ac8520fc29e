#include "uplink/iothub.h"

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "core/base64.h"
#include "core/log.h"
#include "hub/mqtt_client.h"
#include "hub/property_bag.h"
#include "core/text.h"
#include "hub/sas.h"

namespace vigil::uplink {
namespace {

constexpr const char* kApiVersion = "2021-04-12";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class IotHubUplink : public hub::EndpointSender {
 public:
  IotHubUplink(ConnectionString cs, IotHubOptions o) : cs_(std::move(cs)), o_(std::move(o)), id_(iothub_identity(cs_)) {}

  Status connect() {
    std::string password = cs_.shared_access_signature;
    if (password.empty()) {
      issued_ = now_s();
      auto token = hub::sas_token(id_.resource_uri, cs_.shared_access_key, issued_ + o_.token_ttl_s,
                             cs_.module_id.empty() ? cs_.shared_access_key_name : "");
      if (!token) return token.error();
      password = *token;
    }
    hub::MqttOptions mo;
    mo.host = cs_.gateway_host_name.empty() ? cs_.host_name : cs_.gateway_host_name;
    mo.port = o_.port;
    mo.tls = true;
    mo.ca_file = o_.ca_file;
    mo.client_id = id_.client_id;
    mo.clean_session = false;
    mo.username = id_.username;
    mo.password = password;
    mo.keepalive_s = 60;
    if (client_) client_->stop();
    client_ = std::make_unique<hub::MqttClient>(mo);
    return client_->start();
  }

  Status send(const Message& m) override {
    // Renew the SAS token at 80 % of its lifetime: the hub closes connections whose token expired.
    if (cs_.shared_access_signature.empty() && now_s() - issued_ >= o_.token_ttl_s * 8 / 10) {
      LOG_INFO("uplink", "renewing the IoT Hub SAS token");
      if (auto s = connect(); !s) return s;
    }
    for (int i = 0; i < 50 && !client_->connected(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return client_->publish(id_.telemetry_topic + hub::encode_property_bag(m, false, false), m.body, 1, false, 10000);
  }

  std::string describe() const override { return "IoT Hub " + cs_.host_name + " as " + id_.client_id; }

 private:
  ConnectionString cs_;
  IotHubOptions o_;
  IotHubIdentity id_;
  std::unique_ptr<hub::MqttClient> client_;
  std::int64_t issued_ = 0;
};

}  // namespace

Result<ConnectionString> parse_connection_string(const std::string& text) {
  ConnectionString cs;
  std::map<std::string, std::string*> fields = {
      {"HostName", &cs.host_name},
      {"DeviceId", &cs.device_id},
      {"ModuleId", &cs.module_id},
      {"SharedAccessKey", &cs.shared_access_key},
      {"SharedAccessKeyName", &cs.shared_access_key_name},
      {"SharedAccessSignature", &cs.shared_access_signature},
      {"GatewayHostName", &cs.gateway_host_name},
  };
  std::map<std::string, bool> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find(';', start);
    const std::string pair = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() + 1 : end + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string::npos) return make_error(ErrorCode::InvalidArgument, "connection string part '" + pair + "' has no '='");
    const std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (seen[key]) return make_error(ErrorCode::InvalidArgument, "connection string has " + key + " twice");
    seen[key] = true;
    if (key == "x509") {
      cs.x509 = value == "true";
      continue;
    }
    auto f = fields.find(key);
    if (f == fields.end())
      return make_error(ErrorCode::InvalidArgument, "connection string has an unknown key '" + key + "'");
    *f->second = value;
  }
  if (cs.host_name.empty()) return make_error(ErrorCode::InvalidArgument, "connection string has no HostName");
  if (cs.device_id.empty())
    return make_error(ErrorCode::InvalidArgument, "connection string has no DeviceId (a device or module connection string is needed)");
  if (cs.shared_access_key.empty() && cs.shared_access_signature.empty() && !cs.x509)
    return make_error(ErrorCode::InvalidArgument, "connection string has no SharedAccessKey (or SharedAccessSignature)");
  if (cs.x509) return make_error(ErrorCode::Unsupported, "x509 connection strings are not supported yet; use a SharedAccessKey");
  return cs;
}

IotHubIdentity iothub_identity(const ConnectionString& cs) {
  IotHubIdentity id;
  const bool module = !cs.module_id.empty();
  id.client_id = module ? cs.device_id + "/" + cs.module_id : cs.device_id;
  id.username = cs.host_name + "/" + id.client_id + "/?api-version=" + kApiVersion;
  id.resource_uri = cs.host_name + "/devices/" + cs.device_id + (module ? "/modules/" + cs.module_id : "");
  id.telemetry_topic = "devices/" + cs.device_id + (module ? "/modules/" + cs.module_id : "") + "/messages/events/";
  return id;
}

Result<std::shared_ptr<hub::EndpointSender>> make_iothub_uplink(const std::string& uri) {
  std::string text = uri.rfind("iothub:", 0) == 0 ? uri.substr(7) : uri;
  IotHubOptions o;
  if (const auto q = text.find('?'); q != std::string::npos) {
    const auto params = text.substr(q + 1);
    text = text.substr(0, q);
    for (const auto& [k, v] : [&] {
           Message tmp;
           hub::decode_property_bag(params, tmp);
           return tmp.properties;
         }()) {
      if (k == "port") {
        const auto port = parse_port(v);
        if (!port) return make_error(ErrorCode::InvalidArgument, "iothub uplink: port '" + v + "' must be from 1 to 65535");
        o.port = *port;
      } else if (k == "ca") o.ca_file = v;
      else return make_error(ErrorCode::InvalidArgument, "iothub uplink: unknown option '" + k + "' (port, ca)");
    }
  }
  auto cs = parse_connection_string(text);
  if (!cs) return cs.error();
  auto up = std::make_shared<IotHubUplink>(*cs, o);
  if (auto s = up->connect(); !s) return s.error();
  return std::shared_ptr<hub::EndpointSender>(up);
}

}  // namespace vigil::uplink
