// Home Assistant MQTT discovery for an MQTT uplink (`mqtt://host/…?homeassistant=1`): what the messages going
// upstream mean as Home Assistant entities, grouped under one device (this vigil, with its version) whose
// availability is the uplink's retained online/offline status (its last will). Pure: messages in, publications out;
// the uplink publishes them. Entities appear the first time their camera, tag or line shows up in an alert:
//
//   binary_sensor  <camera> <tag> occupancy   ON while an object of that tag is in view (per-object alerts:
//                                             `detected` … `ended`; per-frame alerts: ON, OFF 60 s after the last)
//   sensor         <camera> <tag> count       objects of that tag in view
//   sensor         <camera> <line> crossings  line crossings since vigil started (total_increasing)
//   image          <camera> snapshot          the latest alert snapshot (JPEG)
//   binary_sensor  <camera> source problem    ON while the camera's source is not live (its `health` output)
//
// Configs go to <prefix>/<component>/vigil_<device>/<object>/config, states to vigil/<device>/ha/<object>/state;
// both retained. A retained registry of the entities lets the next run remove those of cameras that left the
// manifest. Not thread-safe: the uplink calls it under its own lock.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/message.h"

namespace vigil::uplink {

struct HaPublication {
  std::string topic;
  std::string payload;
  std::string file;  // when set, the payload is this file's bytes (a snapshot JPEG), read by the uplink
};

struct HaOptions {
  std::string prefix = "homeassistant";
  std::string device;        // vigil's device id
  std::string status_topic;  // the uplink's online/offline topic
  std::string version;
  std::set<std::string> cameras;  // the deployment's cameras; empty: not known (vigil hub), nothing is removed
};

class HomeAssistant {
 public:
  explicit HomeAssistant(HaOptions options) : o_(std::move(options)) {}
  // What one upstream message changes: configs for entities seen for the first time, then their states.
  std::vector<HaPublication> on_message(const Message& m);
  // After a (re)connect: every config so far and the current states.
  std::vector<HaPublication> on_connect() const;
  // Each entity also has a retained record, vigil/<device>/ha/entities/<object> = {"camera", "config", "state"}; the
  // uplink subscribes to them (registry_filter()) and hands each one in here. One of a camera no longer in the
  // deployment removes its entity (an empty retained config, as Home Assistant's discovery defines), its state and
  // the record itself.
  std::vector<HaPublication> on_record(const std::string& topic, const std::string& payload);
  std::string registry_filter() const { return "vigil/" + o_.device + "/ha/entities/+"; }

 private:
  std::vector<HaPublication> alert(const nlohmann::json& body, const Message& m);
  std::vector<HaPublication> health(const nlohmann::json& body);
  // The entity's config the first time (appended to `out`); returns its state topic.
  std::string entity(const std::string& camera, const std::string& component, const std::string& object,
                     const std::string& name, nlohmann::json extra, std::vector<HaPublication>& out);
  void state(const std::string& topic, const std::string& payload, std::vector<HaPublication>& out);

  HaOptions o_;
  std::map<std::string, HaPublication> configs_;  // by object id
  std::map<std::string, std::string> states_;     // topic → last payload
  std::map<std::string, std::set<std::string>> in_view_;  // camera/tag → object ids
  std::map<std::string, std::uint64_t> crossings_;        // camera/line → count
};

// "Front Door" → "front_door": Home Assistant's object ids take [a-z0-9_].
std::string ha_id(const std::string& text);

}  // namespace vigil::uplink
