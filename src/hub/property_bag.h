// The MQTT property bag of IoT Hub / edgeHub topics (spec azure-iot.md §1.6): key=value pairs joined by '&',
// URL-encoded (space as %20, never '+'), system properties under a "$." prefix (sent as "%24."), application
// properties plain. Pure.
//
//   devices/{d}/modules/{m}/messages/events/%24.on=output1&%24.mid=…&%24.ct=application%2Fjson&%24.ce=utf-8&camera=front
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/message.h"

namespace vigil::hub {

// The bag for a message: $.mid $.cid $.ct $.ce $.ctime, then $.on when `with_output`, $.cdid/$.cmid when
// `with_connection` (edgeHub stamps those on deliveries), then the application properties.
std::string encode_property_bag(const Message& m, bool with_output, bool with_connection);

// Fills the message's properties and system properties from a received bag (both "$." and "%24." accepted;
// "+" stays "+"). Unknown system keys are kept as application properties with their "$." name.
void decode_property_bag(std::string_view bag, Message& m);


// Topic shapes of module messaging (spec §2.2). parse_* return nullopt for other topics.
struct EventsTopic {
  std::string device, module;  // module empty: device telemetry
  std::string bag;
};
std::optional<EventsTopic> parse_events_topic(std::string_view topic);
struct InputTopic {
  std::string device, module, input, bag;
};
std::optional<InputTopic> parse_input_topic(std::string_view topic);
std::string module_topic(const std::string& device, const std::string& module);  // devices/{d}/modules/{m}
std::string events_topic(const std::string& device, const std::string& module);  // …/messages/events/
std::string input_topic(const std::string& device, const std::string& module, const std::string& input);

}  // namespace vigil::hub
