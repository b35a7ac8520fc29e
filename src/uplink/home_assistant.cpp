#include "uplink/home_assistant.h"

#include <cctype>

#include "core/json_text.h"

namespace vigil::uplink {

std::string ha_id(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
    else if (out.empty() || out.back() != '_') out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "x" : out;
}

std::string HomeAssistant::entity(const std::string& camera, const std::string& component, const std::string& object,
                                  const std::string& name, nlohmann::json extra, std::vector<HaPublication>& out) {
  const std::string id = ha_id(object);
  const std::string state_topic = "vigil/" + o_.device + "/ha/" + id + "/state";
  if (configs_.count(id)) return state_topic;
  nlohmann::json c = std::move(extra);
  c["name"] = name;
  c["unique_id"] = "vigil_" + ha_id(o_.device) + "_" + id;
  c["object_id"] = "vigil_" + ha_id(o_.device) + "_" + id;
  c[component == "image" ? "image_topic" : "state_topic"] = state_topic;
  c["availability_topic"] = o_.status_topic;
  c["payload_available"] = "online";
  c["payload_not_available"] = "offline";
  c["device"] = {{"identifiers", {"vigil_" + ha_id(o_.device)}},
                 {"name", "vigil " + o_.device},
                 {"manufacturer", "vigil"},
                 {"model", "vision alerts on the edge"},
                 {"sw_version", o_.version}};
  HaPublication p{o_.prefix + "/" + component + "/vigil_" + ha_id(o_.device) + "/" + id + "/config", json_text(c), ""};
  configs_[id] = p;
  const nlohmann::json record = {{"camera", camera}, {"config", p.topic}, {"state", state_topic}};
  out.push_back(std::move(p));
  out.push_back({"vigil/" + o_.device + "/ha/entities/" + id, json_text(record), ""});
  return state_topic;
}

void HomeAssistant::state(const std::string& topic, const std::string& payload, std::vector<HaPublication>& out) {
  states_[topic] = payload;
  out.push_back({topic, payload, ""});
}

std::vector<HaPublication> HomeAssistant::on_record(const std::string& topic, const std::string& payload) {
  const auto record = nlohmann::json::parse(payload, nullptr, false);
  if (!record.is_object() || o_.cameras.empty() || o_.cameras.count(string_field(record, "camera"))) return {};
  const std::string config = string_field(record, "config"), state = string_field(record, "state");
  const std::string prefix = o_.prefix + "/", mine = "vigil/" + o_.device + "/ha/";
  std::vector<HaPublication> out;
  if (config.rfind(prefix, 0) == 0) out.push_back({config, "", ""});  // only topics of this device's kind
  if (state.rfind(mine, 0) == 0) out.push_back({state, "", ""});
  out.push_back({topic, "", ""});
  return out;
}

std::vector<HaPublication> HomeAssistant::on_message(const Message& m) {
  const auto body = nlohmann::json::parse(m.body, nullptr, false);
  if (!body.is_object() || !body.contains("camera") || !body["camera"].is_string()) return {};
  if (body.contains("state") && body.contains("previous")) return health(body);
  if (string_field(body, "event") == "clip") return {};  // a follow-up of an alert already counted (deploy/evidence.h)
  if (body.contains("tag") && body["tag"].is_string()) return alert(body, m);
  return {};
}

std::vector<HaPublication> HomeAssistant::alert(const nlohmann::json& body, const Message& m) {
  std::vector<HaPublication> out;
  const std::string camera = body["camera"], tag = body["tag"];
  const std::string event = string_field(body, "event"), object = string_field(body, "objectId");
  const std::string key = camera + " " + tag;
  nlohmann::json occupancy = {{"device_class", "occupancy"}, {"payload_on", "ON"}, {"payload_off", "OFF"}};
  if (object.empty()) occupancy["off_delay"] = 60;  // per-frame alerts never say when it left
  const auto occupied = entity(camera, "binary_sensor", key + " occupancy", tag + " on " + camera, occupancy, out);
  const auto count = entity(camera, "sensor", key + " count", tag + " count on " + camera,
                            {{"state_class", "measurement"}, {"unit_of_measurement", "objects"}, {"icon", "mdi:counter"}}, out);
  auto& seen = in_view_[key];
  if (!object.empty()) {
    if (event == "ended") seen.erase(object);
    else seen.insert(object);
  }
  const bool any = object.empty() ? true : !seen.empty();
  state(occupied, any ? "ON" : "OFF", out);
  state(count, std::to_string(object.empty() ? 1 : seen.size()), out);
  if (const std::string line = string_field(body, "line"); event == "crossed" && !line.empty()) {
    const auto crossed = entity(camera, "sensor", camera + " " + line + " crossings", line + " crossings on " + camera,
                                {{"state_class", "total_increasing"}, {"icon", "mdi:transit-connection-horizontal"}}, out);
    state(crossed, std::to_string(++crossings_[camera + " " + line]), out);
  }
  std::string snapshot = string_field(body, "snapshot");
  if (auto p = m.properties.find("snapshot"); snapshot.empty() && p != m.properties.end()) snapshot = p->second;
  if (!snapshot.empty()) {
    const auto image = entity(camera, "image", camera + " snapshot", camera + " latest alert", {{"content_type", "image/jpeg"}}, out);
    out.push_back({image, "", snapshot});
  }
  return out;
}

std::vector<HaPublication> HomeAssistant::health(const nlohmann::json& body) {
  std::vector<HaPublication> out;
  const std::string camera = body["camera"];
  const auto problem = entity(camera, "binary_sensor", camera + " source problem", camera + " source problem",
                              {{"device_class", "problem"}, {"payload_on", "ON"}, {"payload_off", "OFF"},
                               {"entity_category", "diagnostic"}}, out);
  state(problem, string_field(body, "state") == "live" ? "OFF" : "ON", out);
  return out;
}

std::vector<HaPublication> HomeAssistant::on_connect() const {
  std::vector<HaPublication> out;
  for (const auto& [_, c] : configs_) out.push_back(c);
  for (const auto& [topic, payload] : states_) out.push_back({topic, payload, ""});
  return out;
}

}  // namespace vigil::uplink
