// JSON to text without throwing: strings that are not valid UTF-8 (property values from the wire, route
// text from a user) are written with U+FFFD in place of the bad bytes instead of raising an exception.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace vigil {

template <typename Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// A string field of an object, or "" when it is missing or not a string (bodies may come from any module).
template <typename Json>
std::string string_field(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->template get<std::string>() : "";
}

}  // namespace vigil
