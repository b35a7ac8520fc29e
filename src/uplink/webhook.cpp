#include "uplink/webhook.h"

#include <thread>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "core/json_text.h"
#include "http/http_client.h"
#include "hub/property_bag.h"
#include "core/text.h"
#include "core/crypto.h"

namespace vigil::uplink {
namespace {

bool utf8_json(const Message& m) {
  return iequals(m.content_type, "application/json") && iequals(m.content_encoding, "utf-8");
}

class WebhookUplink : public hub::EndpointSender {
 public:
  WebhookUplink(std::string url, bool eventgrid, std::string secret, std::string topic, std::size_t inflight)
      : url_(std::move(url)), eventgrid_(eventgrid), secret_(std::move(secret)), topic_(std::move(topic)) {
    for (std::size_t i = 0; i < inflight; ++i) clients_.push_back(std::make_unique<http::HttpClient>(http::FetchLimits{1u << 20, 30000, 10000}));
  }

  Status send(const Message& m) override { return post(*clients_[0], m); }

  std::size_t parallel() const override { return clients_.size(); }

  // One request per message, all in flight at once (at most parallel()), each on its own connection.
  std::vector<Status> send_batch(const std::vector<const Message*>& batch) override {
    std::vector<Status> out(batch.size(), ok_status());
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < batch.size(); ++i)
      threads.emplace_back([&, i] { out[i] = guarded_post(*clients_[i], *batch[i]); });
    if (!batch.empty()) out[0] = guarded_post(*clients_[0], *batch[0]);
    for (auto& t : threads) t.join();
    return out;
  }

  std::string describe() const override { return redact_secrets(url_); }

 private:
  Status guarded_post(http::HttpClient& client, const Message& m) {
    try {
      return post(client, m);
    } catch (const std::exception& e) {
      return make_error(ErrorCode::Internal, std::string("webhook: ") + e.what());
    }
  }

  Status post(http::HttpClient& client, const Message& m) {
    const std::string body = eventgrid_ ? json_text(nlohmann::json::array({event_grid_event(m, topic_)}))
                                        : json_text(message_to_json(m));
    std::vector<std::pair<std::string, std::string>> headers = {{"Idempotency-Key", m.system.message_id}};
    if (eventgrid_) headers.emplace_back("aeg-event-type", "Notification");
    if (!secret_.empty()) headers.emplace_back("X-Vigil-Signature", "sha256=" + hmac_sha256_hex(secret_, body));
    auto reply = client.post(url_, body, "application/json", headers);
    if (!reply) return reply.error();
    if (reply->status < 200 || reply->status >= 300)
      return make_error(ErrorCode::Unavailable, redact_secrets(url_) + " answered HTTP " + std::to_string(reply->status));
    return ok_status();
  }

  std::string url_;
  bool eventgrid_;
  std::string secret_, topic_;
  std::vector<std::unique_ptr<http::HttpClient>> clients_;  // one connection per request in flight
};

}  // namespace

std::string hmac_sha256_hex(const std::string& secret, const std::string& data) {
  return hex_encode(hmac_sha256(secret, data));
}

nlohmann::json event_grid_event(const Message& m, const std::string& topic) {
  const auto& s = m.system;
  nlohmann::json data;
  if (utf8_json(m)) {
    auto parsed = nlohmann::json::parse(m.body, nullptr, false);
    data["body"] = parsed.is_discarded() ? nlohmann::json(base64_encode(m.body)) : parsed;
  } else {
    data["body"] = base64_encode(m.body);
  }
  data["properties"] = m.properties;
  nlohmann::json sys = nlohmann::json::object();
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) sys[k] = v;
  };
  put("iothub-content-type", m.content_type);
  put("iothub-content-encoding", m.content_encoding);
  put("iothub-connection-device-id", s.connection_device_id);
  put("iothub-connection-module-id", s.connection_module_id);
  put("iothub-enqueuedtime", s.creation_time_utc);
  sys["iothub-message-source"] = "Telemetry";
  put("message-id", s.message_id);
  put("correlation-id", s.correlation_id);
  data["systemProperties"] = sys;
  std::string subject = "devices/" + s.connection_device_id;
  if (!s.connection_module_id.empty()) subject += "/" + s.connection_module_id;
  return {{"id", s.message_id},
          {"topic", topic.empty() ? "/vigil/devices/" + s.connection_device_id : topic},
          {"subject", subject},
          {"eventType", "Microsoft.Devices.DeviceTelemetry"},
          {"eventTime", s.creation_time_utc},
          {"data", data},
          {"dataVersion", ""},
          {"metadataVersion", "1"}};
}

Result<std::shared_ptr<hub::EndpointSender>> make_webhook_uplink(const std::string& uri) {
  std::string url = uri;
  bool eventgrid = false;
  std::string secret, topic;
  std::size_t inflight = 4;
  if (const auto hash = url.find('#'); hash != std::string::npos) {
    Message opts;
    hub::decode_property_bag(url.substr(hash + 1), opts);
    url = url.substr(0, hash);
    for (const auto& [k, v] : opts.properties) {
      if (k == "format") {
        if (v != "eventgrid" && v != "message")
          return make_error(ErrorCode::InvalidArgument, "webhook format must be message or eventgrid (got '" + v + "')");
        eventgrid = v == "eventgrid";
      } else if (k == "secret") {
        secret = v;
      } else if (k == "topic") {
        topic = v;
      } else if (k == "inflight") {
        const auto n = parse_whole(v, 1, 64);
        if (!n)
          return make_error(ErrorCode::InvalidArgument, "webhook inflight must be a whole number from 1 to 64 (got '" + v + "')");
        inflight = static_cast<std::size_t>(*n);
      } else {
        return make_error(ErrorCode::InvalidArgument, "webhook option '" + k + "' is unknown (format, secret, topic, inflight)");
      }
    }
  }
  return std::shared_ptr<hub::EndpointSender>(std::make_shared<WebhookUplink>(url, eventgrid, secret, topic, inflight));
}

}  // namespace vigil::uplink
