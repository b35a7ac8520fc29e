#include "core/message.h"

#include <mutex>
#include <random>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "core/time_util.h"

namespace vigil {
namespace {

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 9;
    if (extra == 9 || i + extra >= s.size() + (extra == 0)) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += extra + 1;
  }
  return true;
}

bool is_json_type(const std::string& content_type) {
  return content_type.rfind("application/json", 0) == 0;
}

struct SysField {
  const char* name;
  std::string SystemProperties::*field;
};
const SysField kSysFields[] = {
    {"messageId", &SystemProperties::message_id},
    {"correlationId", &SystemProperties::correlation_id},
    {"creationTimeUtc", &SystemProperties::creation_time_utc},
    {"connectionDeviceId", &SystemProperties::connection_device_id},
    {"connectionModuleId", &SystemProperties::connection_module_id},
    {"outputName", &SystemProperties::output_name},
    {"inputName", &SystemProperties::input_name},
};

const OtherSystemProperty* other_property(const std::string& name) {
  for (const auto& o : other_system_properties())
    if (name == o.name) return &o;
  return nullptr;
}

}  // namespace

const std::vector<OtherSystemProperty>& other_system_properties() {
  static const std::vector<OtherSystemProperty> list = {
      {"userId", "uid"},         {"to", "to"},
      {"messageSchema", "schema"}, {"interfaceId", "ifid"},
      {"componentName", "sub"},  {"expiryTimeUtc", "exp"},
      {"enqueuedTime", ""},      {"connectionDeviceGenerationId", ""},
      {"connectionAuthMethod", ""},
  };
  return list;
}

std::string new_uuid() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t hi, lo;
  {
    std::lock_guard lock(mutex);
    hi = rng();
    lo = rng();
  }
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

Message make_json_message(std::string body, std::chrono::system_clock::time_point now) {
  Message m;
  m.body = std::move(body);
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.system.message_id = new_uuid();
  m.system.creation_time_utc = format_utc_iso(now, 3) + "Z";
  return m;
}

nlohmann::json message_to_json(const Message& m) {
  nlohmann::json j = nlohmann::json::object();
  bool done = false;
  if (is_json_type(m.content_type)) {
    auto parsed = nlohmann::json::parse(m.body, nullptr, false);
    if (!parsed.is_discarded()) {
      j["body"] = std::move(parsed);
      done = true;
    }
  }
  if (!done) {
    if (valid_utf8(m.body)) j["body"] = m.body;
    else j["bodyBase64"] = base64_encode(m.body);
  }
  if (!m.content_type.empty()) j["contentType"] = m.content_type;
  if (!m.content_encoding.empty()) j["contentEncoding"] = m.content_encoding;
  j["properties"] = m.properties;
  nlohmann::json sys = nlohmann::json::object();
  for (const auto& f : kSysFields)
    if (!(m.system.*f.field).empty()) sys[f.name] = m.system.*f.field;
  for (const auto& [k, v] : m.system.other) sys[k] = v;
  j["systemProperties"] = std::move(sys);
  return j;
}

Result<Message> message_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return make_error(ErrorCode::InvalidArgument, "a message must be a JSON object");
  Message m;
  for (const auto& [key, value] : j.items()) {
    if (key == "body") {
      m.body = value.is_string() ? value.get<std::string>() : value.dump();
    } else if (key == "bodyBase64") {
      if (!value.is_string()) return make_error(ErrorCode::InvalidArgument, "bodyBase64 must be a string");
      auto bytes = base64_decode(value.get<std::string>());
      if (!bytes) return make_error(ErrorCode::InvalidArgument, "bodyBase64 is not valid base64");
      m.body = std::move(*bytes);
    } else if (key == "contentType" || key == "contentEncoding") {
      if (!value.is_string()) return make_error(ErrorCode::InvalidArgument, key + " must be a string");
      (key == "contentType" ? m.content_type : m.content_encoding) = value.get<std::string>();
    } else if (key == "properties") {
      if (!value.is_object()) return make_error(ErrorCode::InvalidArgument, "properties must be an object of strings");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string())
          return make_error(ErrorCode::InvalidArgument, "property '" + k + "' must be a string (IoT Hub properties are strings)");
        m.properties[k] = v.get<std::string>();
      }
    } else if (key == "systemProperties") {
      if (!value.is_object()) return make_error(ErrorCode::InvalidArgument, "systemProperties must be an object");
      for (const auto& [k, v] : value.items()) {
        const SysField* field = nullptr;
        for (const auto& f : kSysFields)
          if (k == f.name) field = &f;
        if (!field && !other_property(k)) {
          std::string names;
          for (const auto& f : kSysFields) names += std::string(names.empty() ? "" : ", ") + f.name;
          for (const auto& o : other_system_properties()) names += std::string(", ") + o.name;
          return make_error(ErrorCode::InvalidArgument, "unknown system property '" + k + "' (IoT Hub's are " + names + ")");
        }
        if (!v.is_string()) return make_error(ErrorCode::InvalidArgument, "system property '" + k + "' must be a string");
        if (field) m.system.*(field->field) = v.get<std::string>();
        else m.system.other[k] = v.get<std::string>();
      }
    } else {
      return make_error(ErrorCode::InvalidArgument,
                        "unknown message key '" + key +
                            "' (expected body, bodyBase64, contentType, contentEncoding, properties, systemProperties)");
    }
  }
  return m;
}

}  // namespace vigil
