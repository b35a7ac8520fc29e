#include "hub/module_twins.h"

#include "core/text.h"

namespace vigil::hub {
namespace {

using nlohmann::json;

// "?$rid=7&…" → "7" (empty when there is none).
std::string request_id(const std::string& request) {
  const auto q = request.find('?');
  if (q == std::string::npos) return "";
  for (std::string_view field : split(std::string_view(request).substr(q + 1), '&'))
    if (field.substr(0, 5) == "$rid=") return std::string(field.substr(5));
  return "";
}

ModuleTwins::Reply reply(int status, const std::string& rid, std::string body, std::optional<std::int64_t> version = {}) {
  std::string topic = "$iothub/twin/res/" + std::to_string(status) + "/?$rid=" + rid;
  if (version) topic += "&$version=" + std::to_string(*version);
  return {topic, std::move(body)};
}

std::string error_body(const std::string& message) { return json{{"message", message}}.dump(); }

}  // namespace

void merge_patch(json& target, const json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) target.erase(key);
    else merge_patch(target[key], value);
  }
}

json diff_patch(const json& from, const json& to) {
  json patch = json::object();
  for (const auto& [key, value] : from.items())
    if (!to.contains(key)) patch[key] = nullptr;
  for (const auto& [key, value] : to.items()) {
    if (from.contains(key) && from[key] == value) continue;
    if (from.contains(key) && from[key].is_object() && value.is_object()) patch[key] = diff_patch(from[key], value);
    else patch[key] = value;
  }
  return patch;
}

std::optional<json> ModuleTwins::set_desired(const std::string& module, const json& desired) {
  json doc = desired.is_object() ? desired : json::object();
  doc.erase("$version");
  std::lock_guard lock(mutex_);
  Twin& t = twins_[module];
  const bool first = !t.desired_set;
  t.desired_set = true;
  json patch = diff_patch(t.desired, doc);
  if (patch.empty()) return std::nullopt;
  t.desired = std::move(doc);
  ++t.desired_version;
  if (first) return std::nullopt;
  patch["$version"] = t.desired_version;
  return patch;
}

json ModuleTwins::twin(const std::string& module) const {
  std::lock_guard lock(mutex_);
  auto it = twins_.find(module);
  const Twin t = it == twins_.end() ? Twin{} : it->second;
  json desired = t.desired, reported = t.reported;
  desired["$version"] = t.desired_version;
  reported["$version"] = t.reported_version;
  return json{{"desired", desired}, {"reported", reported}};
}

std::map<std::string, json> ModuleTwins::reported() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, json> out;
  for (const auto& [module, t] : twins_) {
    if (t.reported.empty()) continue;
    json r = t.reported;
    r["$version"] = t.reported_version;
    out[module] = std::move(r);
  }
  return out;
}

std::optional<ModuleTwins::Reply> ModuleTwins::answer(const std::string& module, const std::string& request,
                                                      const std::string& body) {
  const std::string rid = request_id(request);
  if (request.rfind("twin/GET/", 0) == 0) return reply(200, rid, twin(module).dump());
  if (request.rfind("twin/PATCH/properties/reported/", 0) == 0) {
    json patch = json::parse(body, nullptr, false);
    if (patch.is_discarded() || !patch.is_object())
      return reply(400, rid, error_body("a reported-properties patch must be a JSON object"));
    patch.erase("$version");
    std::lock_guard lock(mutex_);
    Twin& t = twins_[module];
    merge_patch(t.reported, patch);
    return reply(204, rid, "", ++t.reported_version);
  }
  if (rid.empty()) return std::nullopt;  // not a request the SDKs make; nothing to answer
  return reply(404, rid, error_body("vigil's hub serves twin GET and reported-property PATCH only"));
}

}  // namespace vigil::hub
