// Who may do what on vigil's edge listener, the MQTT-over-TLS endpoint where modules written with the Azure IoT
// SDKs connect as they would to edgeHub (spec azure-iot.md §1.2, §2.1–2.2, §3). Pure: the broker plugin
// (src/broker/edge_plugin.cpp) and the runtime both use it.
//
// Identities. A module connects with client id "{device}/{module}", user name "{hub host}/{device}/{module}/?api-version=…"
// and a SAS token signed with its module key. Module keys are never stored or handed out: each is
// HMAC-SHA256(master key, "vigil module key\n{device}/{module}"), made by whoever holds the master key (the plugin
// to check a token, the workload API to sign one). The hub itself connects as "vigil-hub" with its own secret.
//
// Twin relay. IoT Hub's twin topics ($iothub/twin/…) are the same for every module, so a plain broker would hand one
// module's answers to all. The plugin takes a module's twin request off the wire and republishes it, for the
// hub only, on vigil/edge/{device}/{module}/{rest}; the hub answers on vigil/to/{device}/{module}/{$iothub topic},
// which the plugin delivers to that one client under the $iothub topic the SDK expects. When a module subscribes to
// its own topics (its inputs), the plugin tells the hub on vigil/edge/{device}/{module}/subscribed: until then the
// broker would drop what the hub sends it (its session is new), so the hub holds it in the outbox.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigil::hub {

inline constexpr const char* kEdgeHubUser = "vigil-hub";

// The raw 32-byte key of one module.
std::string edge_module_key(const std::string& master_key, const std::string& device, const std::string& module);
// The SAS resource URI a module's token must be for.
std::string edge_module_resource(const std::string& hub_host, const std::string& device, const std::string& module);

struct EdgeModuleId {
  std::string device, module;
};
// The identity a CONNECT claims: the client id must be "{device}/{module}" and the user name must start with
// "{hub_host}/{device}/{module}/" (then "?api-version=…" and more, which are not checked).
std::optional<EdgeModuleId> edge_claimed_module(std::string_view client_id, std::string_view username,
                                                std::string_view hub_host);

enum class EdgeAccess { Read, Write, Subscribe, Unsubscribe };
// What a module may do: send on its own messages/events topic and the twin's request topics; subscribe to and
// receive its own devices/{d}/modules/{m}/… topics and $iothub/… (which only the plugin's relay ever fills).
bool edge_module_may(EdgeAccess access, std::string_view topic, const EdgeModuleId& id);

// The relay's topics.
std::string edge_request_topic(const EdgeModuleId& id, std::string_view iothub_topic);  // "$iothub/twin/GET/?$rid=1" → vigil/edge/d/m/twin/GET/?$rid=1
std::string edge_reply_topic(const EdgeModuleId& id, std::string_view iothub_topic);    // → vigil/to/d/m/$iothub/…
std::string edge_subscribed_topic(const EdgeModuleId& id);                             // vigil/edge/d/m/subscribed
inline constexpr const char* kEdgeSubscribed = "subscribed";  // its EdgeRelayed::topic
struct EdgeRelayed {
  EdgeModuleId id;
  std::string topic;  // request: what follows vigil/edge/d/m/ (e.g. twin/GET/?$rid=1); reply: the $iothub topic
};
std::optional<EdgeRelayed> parse_edge_request(std::string_view topic);
std::optional<EdgeRelayed> parse_edge_reply(std::string_view topic);

}  // namespace vigil::hub
