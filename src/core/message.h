// Message: what modules send each other and upstream, shaped like an IoT Edge / IoT Hub message
// (spec azure-iot.md §1.6, §2.2): body bytes, content type and encoding, application properties, and the
// system properties the hub sets. Plain data; the JSON form below is how messages appear in files, on the
// console, over the MQTT transport, and in `vigil route eval --message FILE`:
//
//   {"body": <JSON value when contentType is JSON and the body parses, else a string>,
//    "bodyBase64": "..."            (instead of "body" when the bytes are not valid UTF-8),
//    "contentType": "application/json", "contentEncoding": "utf-8",
//    "properties": {"camera": "front", ...},
//    "systemProperties": {"messageId": "...", "correlationId": "...", "creationTimeUtc": "...",
//                         "connectionDeviceId": "...", "connectionModuleId": "...", "outputName": "output1"}}
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"

namespace vigil {

struct SystemProperties {
  std::string message_id;
  std::string correlation_id;
  std::string creation_time_utc;  // ISO 8601 UTC, e.g. 2026-11-25T12:00:00.123Z
  std::string connection_device_id;
  std::string connection_module_id;
  std::string output_name;
  std::string input_name;  // set on delivery to a module input
  // IoT Hub's other system properties, by their route names (other_system_properties()): userId, to,
  // messageSchema, interfaceId, componentName, expiryTimeUtc, enqueuedTime, connectionDeviceGenerationId,
  // connectionAuthMethod. Carried as they came; routes can test them.
  std::map<std::string, std::string> other;
};

// The names `other` may hold, and their MQTT property bag keys ("" for those only IoT Hub sets).
struct OtherSystemProperty {
  const char* name;
  const char* wire;
};
const std::vector<OtherSystemProperty>& other_system_properties();

struct Message {
  std::string body;
  std::string content_type;      // e.g. application/json
  std::string content_encoding;  // e.g. utf-8
  std::map<std::string, std::string> properties;
  SystemProperties system;
};

// A JSON message body: contentType application/json, contentEncoding utf-8, a fresh messageId and the
// creation time set.
Message make_json_message(std::string body, std::chrono::system_clock::time_point now);

// A random RFC 4122 version 4 UUID, lower-case. Thread-safe.
std::string new_uuid();

nlohmann::json message_to_json(const Message& m);
Result<Message> message_from_json(const nlohmann::json& j);

}  // namespace vigil
