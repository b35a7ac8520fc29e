// ModuleTwins: the module twins the hub keeps for modules written with the Azure IoT SDKs (spec azure-iot.md §3).
// Desired properties come from the manifest (modulesContent.{module}.properties.desired): each change is a new
// "$version" and a patch of what changed (a removed member is null). Reported properties come from the modules'
// PATCHes, merged as IoT Hub merges them (objects member by member, null deletes), each a new "$version".
// `answer` serves the requests the broker plugin relays (hub/edge_identity.h): GET → 200 with the whole twin,
// PATCH of reported properties → 204 with the new version, anything else → 400 or 404. Thread-safe; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace vigil::hub {

// RFC 7386 merge: `patch`'s members replace `target`'s, objects merge member by member, null removes.
void merge_patch(nlohmann::json& target, const nlohmann::json& patch);
// The patch that turns `from` into `to` (members that changed, null for those removed); empty when equal.
nlohmann::json diff_patch(const nlohmann::json& from, const nlohmann::json& to);

class ModuleTwins {
 public:
  // The manifest's desired properties for `module` now. Returns the patch to send the module, with its "$version",
  // when they changed since the last call (nothing the first time: the module reads them with GET).
  std::optional<nlohmann::json> set_desired(const std::string& module, const nlohmann::json& desired);

  // {"desired": {…, "$version": n}, "reported": {…, "$version": m}}
  nlohmann::json twin(const std::string& module) const;
  // Every module's reported properties (with "$version"), for status and `vigil list`.
  std::map<std::string, nlohmann::json> reported() const;

  struct Reply {
    std::string topic;  // $iothub/twin/res/{status}/?$rid={rid}[&$version={v}]
    std::string body;
  };
  // `request`: the relayed topic after vigil/edge/{device}/{module}/, e.g. "twin/GET/?$rid=7".
  std::optional<Reply> answer(const std::string& module, const std::string& request, const std::string& body);

 private:
  struct Twin {
    nlohmann::json desired = nlohmann::json::object(), reported = nlohmann::json::object();
    std::int64_t desired_version = 1, reported_version = 1;
    bool desired_set = false;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Twin> twins_;
};

}  // namespace vigil::hub
