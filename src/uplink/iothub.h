// Azure IoT Hub over MQTT 3.1.1 on TLS (spec azure-iot.md §1): connection strings, SAS tokens, and an uplink that
// sends each message as device (or module) telemetry with its properties in the topic's property bag.
// The pure parts (parsing, signing) are separate from the connection so they can be checked against the spec's
// test vectors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "hub/hub.h"

namespace vigil::uplink {

struct ConnectionString {
  std::string host_name, device_id, module_id, shared_access_key, shared_access_key_name, shared_access_signature,
      gateway_host_name;
  bool x509 = false;
};

// "HostName=…;DeviceId=…;SharedAccessKey=…" (split on the first '=' of each pair; unknown or repeated keys and
// incomplete combinations are errors that say what is missing).
Result<ConnectionString> parse_connection_string(const std::string& text);

// The MQTT identity for a connection string: client id, user name (with api-version), and the resource URI.
struct IotHubIdentity {
  std::string client_id, username, resource_uri, telemetry_topic;
};
IotHubIdentity iothub_identity(const ConnectionString& cs);

struct IotHubOptions {
  int port = 8883;
  std::string ca_file;           // default: the system's CAs
  std::int64_t token_ttl_s = 3600;  // renewed at 80 % of its lifetime
};

// `iothub:` URIs: "iothub:HostName=…;DeviceId=…;SharedAccessKey=…[?port=8883&ca=/path/ca.pem]", or the bare
// connection string.
Result<std::shared_ptr<hub::EndpointSender>> make_iothub_uplink(const std::string& uri);

}  // namespace vigil::uplink
