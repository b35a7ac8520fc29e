// EdgeEnvironment: what `vigil run` gives modules written with the Azure IoT SDKs ("image": "vigil:iotedge COMMAND"),
// so that they run unchanged, as under IoT Edge 1.x (spec azure-iot.md §2.1):
//   - edge/ in the state folder: the master key and the hub's secret (made once, 0600), vigil's local CA (made once)
//     and the edge listener's server certificate (deploy/edge_pki.h);
//   - the edge listener: MQTT over TLS on --edge-listen (127.0.0.1:8883 by default) in the local mosquitto, behind
//     the vigil_edge_auth plugin (SAS tokens checked, each module confined to its topics, the twin relayed);
//   - per module, a workload API on edge/<module>.sock (GET /trust-bundle; POST /modules/<module>/genid/<id>/sign,
//     for that module only), and the IOTEDGE_* variables that point the SDK at both.
// Module keys never leave vigil: the workload API signs with them (hub/edge_identity.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "deploy/edge_pki.h"
#include "deploy/local_broker.h"
#include "http/http_server.h"
#include "http/unix_http_server.h"
#include "hub/mqtt_client.h"

namespace vigil::deploy {

struct EdgeSettings {
  std::string host = "127.0.0.1";  // where the edge listener listens, and the modules' IOTEDGE_GATEWAYHOSTNAME
  int port = 8883;                 // the SDKs' MQTT port; another port works only with SDKs that take host:port
  std::string hub_host = "vigil.local";  // IOTEDGE_IOTHUBHOSTNAME: the name in the modules' user names and tokens
};
// "HOST[:PORT]" (an IPv6 address in brackets).
Result<EdgeSettings> parse_edge_listen(const std::string& text);

// Where vigil_edge_auth.so is: next to the vigil binary (a build folder), or in ../lib/vigil/ (installed).
Result<std::string> find_edge_plugin(const std::string& self_exe);

// The workload API's answer to `r` on the socket of `module` (pure).
http::HttpResponse workload_answer(const http::HttpRequest& r, const std::string& module, const std::string& generation_id,
                                   const std::string& module_key, const std::string& trust_bundle);

class EdgeEnvironment {
 public:
  static Result<std::unique_ptr<EdgeEnvironment>> create(const std::string& state_dir, const std::string& device_id,
                                                         EdgeSettings settings, const std::string& plugin_path);
  ~EdgeEnvironment();

  EdgeListener listener() const;        // what the local mosquitto adds for it
  hub::MqttOptions hub_client() const;  // the hub's own connection to the edge listener
  // Starts the module's workload API (once) and returns the variables the SDKs read.
  Result<std::map<std::string, std::string>> module_env(const std::string& module);

 private:
  EdgeEnvironment() = default;
  std::string dir_, device_, master_key_, hub_secret_, plugin_;
  EdgeSettings settings_;
  EdgePki pki_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<http::UnixHttpServer>> workloads_;
};

}  // namespace vigil::deploy
