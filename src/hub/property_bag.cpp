#include "hub/property_bag.h"
#include "core/text.h"

#include <vector>

namespace vigil::hub {
namespace {

struct SysKey {
  const char* wire;
  std::string SystemProperties::*field;
};
const SysKey kSysKeys[] = {
    {"mid", &SystemProperties::message_id},          {"cid", &SystemProperties::correlation_id},
    {"ctime", &SystemProperties::creation_time_utc}, {"on", &SystemProperties::output_name},
    {"cdid", &SystemProperties::connection_device_id}, {"cmid", &SystemProperties::connection_module_id},
};

void add(std::string& bag, std::string_view key, std::string_view value) {
  if (!bag.empty()) bag += '&';
  bag += key;
  bag += '=';
  bag += url_encode(value);
}

}  // namespace

std::string encode_property_bag(const Message& m, bool with_output, bool with_connection) {
  std::string bag;
  const auto& s = m.system;
  if (!s.message_id.empty()) add(bag, "%24.mid", s.message_id);
  if (!s.correlation_id.empty()) add(bag, "%24.cid", s.correlation_id);
  if (!m.content_type.empty()) add(bag, "%24.ct", m.content_type);
  if (!m.content_encoding.empty()) add(bag, "%24.ce", m.content_encoding);
  if (!s.creation_time_utc.empty()) add(bag, "%24.ctime", s.creation_time_utc);
  if (with_output && !s.output_name.empty()) add(bag, "%24.on", s.output_name);
  if (with_connection) {
    if (!s.connection_device_id.empty()) add(bag, "%24.cdid", s.connection_device_id);
    if (!s.connection_module_id.empty()) add(bag, "%24.cmid", s.connection_module_id);
  }
  for (const auto& o : other_system_properties())
    if (auto it = s.other.find(o.name); it != s.other.end() && *o.wire) add(bag, std::string("%24.") + o.wire, it->second);
  for (const auto& [k, v] : m.properties) add(bag, url_encode(k), v);
  return bag;
}

void decode_property_bag(std::string_view bag, Message& m) {
  while (!bag.empty() && bag.back() == '/') bag.remove_suffix(1);
  if (bag.empty()) return;
  for (std::string_view pair : split(bag, '&')) {
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string key = url_decode(pair.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (key.rfind("$.", 0) == 0) {
      const std::string name = key.substr(2);
      if (name == "ct") {
        m.content_type = value;
        continue;
      }
      if (name == "ce") {
        m.content_encoding = value;
        continue;
      }
      bool known = false;
      for (const auto& k : kSysKeys)
        if (name == k.wire) {
          m.system.*k.field = value;
          known = true;
        }
      for (const auto& o : other_system_properties())
        if (*o.wire && name == o.wire) {
          m.system.other[o.name] = value;
          known = true;
        }
      if (known) continue;
    }
    m.properties[key] = value;
  }
}

std::string module_topic(const std::string& device, const std::string& module) {
  return "devices/" + device + "/modules/" + module;
}

std::string events_topic(const std::string& device, const std::string& module) {
  return "devices/" + device + (module.empty() ? "" : "/modules/" + module) + "/messages/events/";
}

std::string input_topic(const std::string& device, const std::string& module, const std::string& input) {
  return "devices/" + device + "/modules/" + module + "/inputs/" + input + "/";
}

std::optional<EventsTopic> parse_events_topic(std::string_view topic) {
  const auto parts = split(topic, '/');
  // devices/{d}/messages/events[/bag]  or  devices/{d}/modules/{m}/messages/events[/bag]
  EventsTopic t;
  std::size_t i = 0;
  if (parts.size() < 4 || parts[0] != "devices" || parts[1].empty()) return std::nullopt;
  t.device = std::string(parts[1]);
  i = 2;
  if (parts[i] == "modules") {
    if (parts.size() < 6 || parts[3].empty()) return std::nullopt;
    t.module = std::string(parts[3]);
    i = 4;
  }
  if (parts.size() < i + 2 || parts[i] != "messages" || parts[i + 1] != "events") return std::nullopt;
  std::string bag;
  for (std::size_t k = i + 2; k < parts.size(); ++k) {
    if (!bag.empty()) bag += '/';
    bag += parts[k];
  }
  t.bag = bag;
  return t;
}

std::optional<InputTopic> parse_input_topic(std::string_view topic) {
  const auto parts = split(topic, '/');
  if (parts.size() < 6 || parts[0] != "devices" || parts[2] != "modules" || parts[4] != "inputs") return std::nullopt;
  InputTopic t{std::string(parts[1]), std::string(parts[3]), std::string(parts[5]), {}};
  for (std::size_t k = 6; k < parts.size(); ++k) {
    if (!t.bag.empty()) t.bag += '/';
    t.bag += parts[k];
  }
  return t;
}

}  // namespace vigil::hub
