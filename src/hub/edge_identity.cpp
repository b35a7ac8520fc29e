#include "hub/edge_identity.h"

#include "core/crypto.h"

namespace vigil::hub {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "d/m/rest" → id and rest; device and module ids never hold '/' (spec azure-iot.md §1.8).
std::optional<EdgeRelayed> split_id(std::string_view s) {
  const auto a = s.find('/');
  if (a == std::string_view::npos || a == 0) return std::nullopt;
  const auto b = s.find('/', a + 1);
  if (b == std::string_view::npos || b == a + 1 || b + 1 >= s.size()) return std::nullopt;
  return EdgeRelayed{{std::string(s.substr(0, a)), std::string(s.substr(a + 1, b - a - 1))}, std::string(s.substr(b + 1))};
}

}  // namespace

std::string edge_module_key(const std::string& master_key, const std::string& device, const std::string& module) {
  return hmac_sha256(master_key, "vigil module key\n" + device + "/" + module);
}

std::string edge_module_resource(const std::string& hub_host, const std::string& device, const std::string& module) {
  return hub_host + "/devices/" + device + "/modules/" + module;
}

std::optional<EdgeModuleId> edge_claimed_module(std::string_view client_id, std::string_view username,
                                                std::string_view hub_host) {
  const auto slash = client_id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == client_id.size() ||
      client_id.find('/', slash + 1) != std::string_view::npos)
    return std::nullopt;
  const std::string prefix = std::string(hub_host) + "/" + std::string(client_id) + "/";
  if (!starts_with(username, prefix)) return std::nullopt;
  return EdgeModuleId{std::string(client_id.substr(0, slash)), std::string(client_id.substr(slash + 1))};
}

bool edge_module_may(EdgeAccess access, std::string_view topic, const EdgeModuleId& id) {
  const std::string own = "devices/" + id.device + "/modules/" + id.module + "/";
  switch (access) {
    case EdgeAccess::Write:
      return starts_with(topic, own + "messages/events") || starts_with(topic, "$iothub/twin/GET/") ||
             starts_with(topic, "$iothub/twin/PATCH/properties/reported/");
    case EdgeAccess::Read:
    case EdgeAccess::Subscribe:
    case EdgeAccess::Unsubscribe:
      return starts_with(topic, own) || starts_with(topic, "$iothub/");
  }
  return false;
}

std::string edge_request_topic(const EdgeModuleId& id, std::string_view iothub_topic) {
  return "vigil/edge/" + id.device + "/" + id.module + "/" + std::string(iothub_topic.substr(std::string_view("$iothub/").size()));
}

std::string edge_reply_topic(const EdgeModuleId& id, std::string_view iothub_topic) {
  return "vigil/to/" + id.device + "/" + id.module + "/" + std::string(iothub_topic);
}

std::string edge_subscribed_topic(const EdgeModuleId& id) {
  return "vigil/edge/" + id.device + "/" + id.module + "/" + kEdgeSubscribed;
}

std::optional<EdgeRelayed> parse_edge_request(std::string_view topic) {
  if (!starts_with(topic, "vigil/edge/")) return std::nullopt;
  return split_id(topic.substr(11));
}

std::optional<EdgeRelayed> parse_edge_reply(std::string_view topic) {
  if (!starts_with(topic, "vigil/to/")) return std::nullopt;
  auto r = split_id(topic.substr(9));
  if (!r || !starts_with(r->topic, "$iothub/")) return std::nullopt;
  return r;
}

}  // namespace vigil::hub
