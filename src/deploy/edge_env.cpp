#include "deploy/edge_env.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/files.h"
#include "core/log.h"
#include "core/text.h"
#include "hub/edge_identity.h"

namespace vigil::deploy {
namespace {

constexpr const char* kApiVersion = "2019-01-30";  // the workload API version IoT Edge 1.x modules are given

http::HttpResponse answer(int status, const nlohmann::json& body) {
  http::HttpResponse out;
  out.status = status;
  out.body = body.dump();
  return out;
}

http::HttpResponse refuse(int status, const std::string& message) { return answer(status, {{"message", message}}); }

// A secret made once (`fresh`, written 0600) and read again on later starts.
Result<std::string> ensure_secret(const std::string& path, const std::string& fresh) {
  if (std::filesystem::exists(path)) {
    auto s = read_file(path, 4096);
    if (s && !s->empty()) return s;
    return make_error(ErrorCode::InvalidArgument, "cannot read " + path + " (delete it to make a new one; modules then need a restart)");
  }
  if (auto s = write_file_atomic(path, fresh, 0600); !s) return s.error();
  return fresh;
}

std::string generation_id(const std::string& master, const std::string& device, const std::string& module) {
  return hex_encode(hmac_sha256(master, "vigil generation id\n" + device + "/" + module)).substr(0, 16);
}

}  // namespace

Result<EdgeSettings> parse_edge_listen(const std::string& text) {
  EdgeSettings s;
  std::string host = text, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return make_error(ErrorCode::InvalidArgument, "--edge-listen '" + text + "': no ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return make_error(ErrorCode::InvalidArgument, "--edge-listen '" + text + "': write [ADDRESS]:PORT");
      port = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return make_error(ErrorCode::InvalidArgument, "--edge-listen '" + text + "': no host (e.g. 127.0.0.1:8883)");
  s.host = host;
  if (!port.empty()) {
    auto p = parse_port(port);
    if (!p) return make_error(ErrorCode::InvalidArgument, "--edge-listen '" + text + "': the port must be 1-65535");
    s.port = *p;
  }
  return s;
}

Result<std::string> find_edge_plugin(const std::string& self_exe) {
  const auto dir = std::filesystem::path(self_exe).parent_path();
  for (const auto& candidate : {dir / "vigil_edge_auth.so", dir / ".." / "lib" / "vigil" / "vigil_edge_auth.so"})
    if (std::filesystem::exists(candidate)) return std::filesystem::weakly_canonical(candidate).string();
  return make_error(ErrorCode::NotFound, "vigil:iotedge modules need the broker plugin vigil_edge_auth.so, which is "
                                         "neither next to " + self_exe + " nor in ../lib/vigil/ (rebuild, or reinstall the package)");
}

http::HttpResponse workload_answer(const http::HttpRequest& r, const std::string& module, const std::string& generation_id,
                                   const std::string& module_key, const std::string& trust_bundle) {
  if (r.method == "GET" && r.path == "/trust-bundle") return answer(200, {{"certificate", trust_bundle}});
  const std::string prefix = "/modules/";
  if (r.path.rfind(prefix, 0) != 0) return refuse(404, "no such workload API: " + r.method + " " + r.path);
  const auto parts = split(std::string_view(r.path).substr(prefix.size()), '/');
  if (parts.size() != 4 || parts[1] != "genid" || parts[3] != "sign" || r.method != "POST")
    return refuse(404, "no such workload API: " + r.method + " " + r.path);
  if (url_decode(parts[0]) != module) return refuse(403, "this socket signs for module '" + module + "' only");
  if (url_decode(parts[2]) != generation_id) return refuse(404, "module '" + module + "' has another generation id");
  const auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_string())
    return refuse(400, R"(the body must be {"keyId": "primary", "algo": "HMACSHA256", "data": "<base64>"})");
  if (body.value("algo", "") != "HMACSHA256") return refuse(400, "algo must be HMACSHA256");
  if (const auto key_id = body.value("keyId", ""); key_id != "primary" && key_id != "secondary")
    return refuse(400, "keyId must be primary or secondary");
  auto data = base64_decode(body["data"].get<std::string>());
  if (!data) return refuse(400, "data is not base64");
  return answer(200, {{"digest", base64_encode(hmac_sha256(module_key, *data))}});
}

Result<std::unique_ptr<EdgeEnvironment>> EdgeEnvironment::create(const std::string& state_dir, const std::string& device_id,
                                                                  EdgeSettings settings, const std::string& plugin_path) {
  std::unique_ptr<EdgeEnvironment> e(new EdgeEnvironment);
  e->dir_ = state_dir + "/edge";
  e->device_ = device_id;
  e->settings_ = std::move(settings);
  e->plugin_ = plugin_path;
  std::error_code ec;
  std::filesystem::create_directories(e->dir_, ec);
  std::filesystem::permissions(e->dir_, std::filesystem::perms::owner_all, ec);
  auto master = ensure_secret(e->dir_ + "/master.key", random_bytes(32));
  if (!master) return master.error();
  auto secret = ensure_secret(e->dir_ + "/hub.secret", hex_encode(random_bytes(24)));  // a printable password
  if (!secret) return secret.error();
  e->master_key_ = *master;
  e->hub_secret_ = *secret;
  std::vector<std::string> names{e->settings_.host};
  for (const char* n : {"127.0.0.1", "localhost"})
    if (e->settings_.host != n) names.push_back(n);
  auto pki = ensure_edge_pki(e->dir_, names);
  if (!pki) return pki.error();
  e->pki_ = *pki;
  return e;
}

EdgeEnvironment::~EdgeEnvironment() = default;

EdgeListener EdgeEnvironment::listener() const {
  return {settings_.host, settings_.port, pki_.cert_file, pki_.key_file, plugin_,
          {{"device_id", device_}, {"hub_host", settings_.hub_host}, {"master_key_file", dir_ + "/master.key"},
           {"hub_secret_file", dir_ + "/hub.secret"}}};
}

hub::MqttOptions EdgeEnvironment::hub_client() const {
  hub::MqttOptions o;
  o.host = settings_.host;
  o.port = settings_.port;
  o.tls = true;
  o.ca_file = pki_.ca_file;
  o.username = hub::kEdgeHubUser;
  o.password = hub_secret_;
  return o;
}

Result<std::map<std::string, std::string>> EdgeEnvironment::module_env(const std::string& module) {
  if (module.empty() || module.find('/') != std::string::npos)
    return make_error(ErrorCode::InvalidArgument, "module '" + module + "': an IoT Edge module's name cannot hold '/'");
  const std::string generation = generation_id(master_key_, device_, module), socket = dir_ + "/" + module + ".sock";
  {
    std::lock_guard lock(mutex_);
    if (!workloads_.count(module)) {
      auto server = http::UnixHttpServer::start(
          socket, [=, key = hub::edge_module_key(master_key_, device_, module), bundle = pki_.ca_pem](const http::HttpRequest& r) {
            return workload_answer(r, module, generation, key, bundle);
          });
      if (!server) return make_error(server.error().code, "module " + module + ": its workload API: " + server.error().message);
      workloads_[module] = std::move(*server);
    }
  }
  const bool default_port = settings_.port == 8883;
  return std::map<std::string, std::string>{
      {"IOTEDGE_IOTHUBHOSTNAME", settings_.hub_host},
      {"IOTEDGE_DEVICEID", device_},
      {"IOTEDGE_MODULEID", module},
      {"IOTEDGE_GATEWAYHOSTNAME", default_port ? settings_.host : settings_.host + ":" + std::to_string(settings_.port)},
      {"IOTEDGE_WORKLOADURI", "unix://" + socket},
      {"IOTEDGE_AUTHSCHEME", "sasToken"},
      {"IOTEDGE_MODULEGENERATIONID", generation},
      {"IOTEDGE_APIVERSION", kApiVersion},
  };
}

}  // namespace vigil::deploy
