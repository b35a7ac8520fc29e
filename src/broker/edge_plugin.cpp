// vigil_edge_auth.so: the mosquitto plugin (plugin API version 5, mosquitto 2.0) behind vigil's edge listener, where
// modules written with the Azure IoT SDKs connect as they would to edgeHub. It is the broker's only extension;
// vigil writes its options into mosquitto.conf (deploy/local_broker.cpp):
//   plugin_opt_device_id  the edge device's id       plugin_opt_hub_host     the IoT Hub host name modules sign for
//   plugin_opt_master_key_file  the master key file   plugin_opt_hub_secret_file  the hub's own password
// It does three things (the rules themselves are pure, in hub/edge_identity.h):
//   - authentication: the hub by its secret; a module by a SAS token for its own identity, checked against its
//     module key; a token that expires later ends the connection at its next message (the SDKs renew theirs before);
//   - access: a module reaches only its own topics and the twin's;
//   - the twin relay: a module's $iothub/… request goes to the hub alone, and the hub's answer to that module alone;
//     a module's subscription to its own topics is told to the hub, which holds its input messages until then.
// mosquitto runs plugins on its one thread, so the state here needs no lock. Nothing here logs a token or a key.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/crypto.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "hub/edge_identity.h"
#include "hub/sas.h"

namespace {

using vigil::hub::EdgeAccess;
using vigil::hub::EdgeModuleId;

struct Plugin {
  mosquitto_plugin_id_t* id = nullptr;
  std::string device, hub_host, master_key, hub_secret;
  struct Expiry {
    const mosquitto* client;  // the connection it is for: a client id taken over by a new connection gets a new one
    std::time_t at;
  };
  std::map<std::string, Expiry> expiries;  // client id → when its token expires
};

bool read_secret(const char* path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return !out.empty();
}

bool is_hub(const Plugin& p, mosquitto* client) {
  const char* user = mosquitto_client_username(client);
  return user && std::strcmp(user, vigil::hub::kEdgeHubUser) == 0 && !p.hub_secret.empty();
}

std::optional<EdgeModuleId> module_of(const Plugin& p, mosquitto* client) {
  const char* id = mosquitto_client_id(client);
  const char* user = mosquitto_client_username(client);
  if (!id || !user) return std::nullopt;
  auto m = vigil::hub::edge_claimed_module(id, user, p.hub_host);
  if (!m || m->device != p.device) return std::nullopt;
  return m;
}

// A module whose token has expired is disconnected at its next message in or out, as IoT Hub disconnects it when the
// token expires (mosquitto 2.0.11 gives plugins no timer: its tick event is not sent with per-listener settings). Its
// message is not acknowledged, so the SDK sends it again after reconnecting with a fresh token.
bool expired(Plugin& p, mosquitto* client) {
  const char* id = mosquitto_client_id(client);
  auto it = id ? p.expiries.find(id) : p.expiries.end();
  if (it == p.expiries.end() || it->second.client != client || it->second.at > std::time(nullptr)) return false;
  mosquitto_log_printf(MOSQ_LOG_WARNING, "vigil: the SAS token of '%s' has expired; disconnecting it", id);
  p.expiries.erase(it);
  mosquitto_kick_client_by_clientid(id, false);
  return true;
}

int refuse(mosquitto* client, const std::string& why) {
  const char* id = mosquitto_client_id(client);
  mosquitto_log_printf(MOSQ_LOG_WARNING, "vigil: refused the connection of '%s' from %s: %s", id ? id : "",
                       mosquitto_client_address(client) ? mosquitto_client_address(client) : "?", why.c_str());
  return MOSQ_ERR_AUTH;
}

int on_basic_auth(int, void* event, void* data) {
  auto& p = *static_cast<Plugin*>(data);
  auto* e = static_cast<mosquitto_evt_basic_auth*>(event);
  if (!e->username) return refuse(e->client, "no user name (the edge listener takes SAS tokens only)");
  const std::string password = e->password ? e->password : "";
  if (std::strcmp(e->username, vigil::hub::kEdgeHubUser) == 0) {
    const bool ok = !p.hub_secret.empty() && password.size() == p.hub_secret.size() &&
                    CRYPTO_memcmp(password.data(), p.hub_secret.data(), password.size()) == 0;
    return ok ? MOSQ_ERR_SUCCESS : refuse(e->client, "wrong password for the hub's user");
  }
  const char* client_id = mosquitto_client_id(e->client);
  auto id = vigil::hub::edge_claimed_module(client_id ? client_id : "", e->username, p.hub_host);
  if (!id)
    return refuse(e->client, "the client id must be '" + p.device + "/MODULE' and the user name '" + p.hub_host + "/" +
                                 p.device + "/MODULE/?api-version=…' (IOTEDGE_IOTHUBHOSTNAME, IOTEDGE_DEVICEID)");
  if (id->device != p.device) return refuse(e->client, "this edge device is '" + p.device + "', not '" + id->device + "'");
  auto token = vigil::hub::parse_sas_token(password);
  if (!token) return refuse(e->client, token.error().message);
  const std::string key = vigil::hub::edge_module_key(p.master_key, id->device, id->module);
  if (auto s = vigil::hub::check_sas_token(*token, vigil::hub::edge_module_resource(p.hub_host, id->device, id->module),
                                           key, std::time(nullptr));
      !s)
    return refuse(e->client, s.error().message);
  p.expiries[client_id] = {e->client, static_cast<std::time_t>(token->expiry)};
  return MOSQ_ERR_SUCCESS;
}

int on_acl_check(int, void* event, void* data) {
  auto& p = *static_cast<Plugin*>(data);
  auto* e = static_cast<mosquitto_evt_acl_check*>(event);
  if (is_hub(p, e->client)) return MOSQ_ERR_SUCCESS;
  auto id = module_of(p, e->client);
  if (!id || !e->topic) return MOSQ_ERR_ACL_DENIED;
  if (expired(p, e->client)) return MOSQ_ERR_ACL_DENIED;
  EdgeAccess access = EdgeAccess::Read;
  switch (e->access) {
    case MOSQ_ACL_READ: access = EdgeAccess::Read; break;
    case MOSQ_ACL_WRITE: access = EdgeAccess::Write; break;
    case MOSQ_ACL_SUBSCRIBE: access = EdgeAccess::Subscribe; break;
    case MOSQ_ACL_UNSUBSCRIBE: access = EdgeAccess::Unsubscribe; break;
    default: return MOSQ_ERR_ACL_DENIED;
  }
  if (vigil::hub::edge_module_may(access, e->topic, *id)) {
    // Its own topics: from now on the broker keeps what the hub sends it (the subscription is added right after this
    // check, on this same thread, before the hub's next packet is read).
    if (access == EdgeAccess::Subscribe && std::strncmp(e->topic, "devices/", 8) == 0) {
      const std::string notice = vigil::hub::edge_subscribed_topic(*id);
      mosquitto_broker_publish_copy(nullptr, notice.c_str(), 0, nullptr, 1, false, nullptr);
    }
    return MOSQ_ERR_SUCCESS;
  }
  if (access != EdgeAccess::Read)
    mosquitto_log_printf(MOSQ_LOG_WARNING, "vigil: module '%s' may not %s '%s'", id->module.c_str(),
                         access == EdgeAccess::Write ? "publish to" : "subscribe to", e->topic);
  return MOSQ_ERR_ACL_DENIED;
}

// Returning ACL_DENIED drops the original message after its acknowledgement; the copy goes where it belongs.
int on_message(int, void* event, void* data) {
  auto& p = *static_cast<Plugin*>(data);
  auto* e = static_cast<mosquitto_evt_message*>(event);
  if (!e->topic) return MOSQ_ERR_SUCCESS;
  if (is_hub(p, e->client)) {
    auto reply = vigil::hub::parse_edge_reply(e->topic);
    if (!reply) return MOSQ_ERR_SUCCESS;
    const std::string client = reply->id.device + "/" + reply->id.module;
    mosquitto_broker_publish_copy(client.c_str(), reply->topic.c_str(), static_cast<int>(e->payloadlen), e->payload, 0,
                                  false, nullptr);
    return MOSQ_ERR_ACL_DENIED;
  }
  if (std::strncmp(e->topic, "$iothub/", 8) != 0) return MOSQ_ERR_SUCCESS;
  auto id = module_of(p, e->client);
  if (!id) return MOSQ_ERR_ACL_DENIED;
  const std::string topic = vigil::hub::edge_request_topic(*id, e->topic);
  mosquitto_broker_publish_copy(nullptr, topic.c_str(), static_cast<int>(e->payloadlen), e->payload, 1, false, nullptr);
  return MOSQ_ERR_ACL_DENIED;
}

int on_disconnect(int, void* event, void* data) {
  auto& p = *static_cast<Plugin*>(data);
  const mosquitto* client = static_cast<mosquitto_evt_disconnect*>(event)->client;
  // The old connection of a client id that reconnected ends after the new one was let in: its entry stays.
  if (const char* id = mosquitto_client_id(client); id)
    if (auto it = p.expiries.find(id); it != p.expiries.end() && it->second.client == client) p.expiries.erase(it);
  return MOSQ_ERR_SUCCESS;
}

constexpr int kEvents[] = {MOSQ_EVT_BASIC_AUTH, MOSQ_EVT_ACL_CHECK, MOSQ_EVT_MESSAGE, MOSQ_EVT_DISCONNECT};
constexpr MOSQ_FUNC_generic_callback kCallbacks[] = {on_basic_auth, on_acl_check, on_message, on_disconnect};

}  // namespace

extern "C" {

int mosquitto_plugin_version(int count, const int* versions) {
  for (int i = 0; i < count; ++i)
    if (versions[i] == 5) return 5;
  return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata, mosquitto_opt* options, int option_count) {
  auto p = std::make_unique<Plugin>();
  p->id = identifier;
  for (int i = 0; i < option_count; ++i) {
    const std::string key = options[i].key ? options[i].key : "", value = options[i].value ? options[i].value : "";
    if (key == "device_id") p->device = value;
    else if (key == "hub_host") p->hub_host = value;
    else if (key == "master_key_file" && !read_secret(value.c_str(), p->master_key)) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "vigil: cannot read the master key file %s", value.c_str());
      return MOSQ_ERR_INVAL;
    } else if (key == "hub_secret_file" && !read_secret(value.c_str(), p->hub_secret)) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "vigil: cannot read the hub secret file %s", value.c_str());
      return MOSQ_ERR_INVAL;
    }
  }
  if (p->device.empty() || p->hub_host.empty() || p->master_key.empty() || p->hub_secret.empty()) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "vigil: the edge plugin needs plugin_opt_device_id, _hub_host, _master_key_file "
                                       "and _hub_secret_file");
    return MOSQ_ERR_INVAL;
  }
  for (std::size_t i = 0; i < std::size(kEvents); ++i)
    if (int rc = mosquitto_callback_register(identifier, kEvents[i], kCallbacks[i], nullptr, p.get()); rc != MOSQ_ERR_SUCCESS)
      return rc;
  *userdata = p.release();
  return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
  auto* p = static_cast<Plugin*>(userdata);
  if (!p) return MOSQ_ERR_SUCCESS;
  for (std::size_t i = 0; i < std::size(kEvents); ++i) mosquitto_callback_unregister(p->id, kEvents[i], kCallbacks[i], nullptr);
  delete p;
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
