// Messages: the JSON form round-trips, binary bodies survive as base64, bad documents are refused by name.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>

#include "core/message.h"
#include "hub/property_bag.h"

using namespace vigil;

TEST(Message, JsonBodyRoundTrip) {
  Message m = make_json_message(R"({"tag":"Apple"})", std::chrono::system_clock::time_point{});
  m.properties["camera"] = "front";
  m.system.correlation_id = "c-1";
  m.system.output_name = "output1";
  const auto j = message_to_json(m);
  EXPECT_EQ(j["body"]["tag"], "Apple");  // a JSON body appears as JSON, not as a string
  EXPECT_EQ(j["contentType"], "application/json");
  EXPECT_EQ(j["systemProperties"]["creationTimeUtc"], "1970-01-01T00:00:00.000Z");
  auto back = message_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(nlohmann::json::parse(back->body), nlohmann::json::parse(m.body));
  EXPECT_EQ(back->properties, m.properties);
  EXPECT_EQ(back->system.message_id, m.system.message_id);
  EXPECT_EQ(back->system.correlation_id, "c-1");
  EXPECT_EQ(back->system.output_name, "output1");
}

TEST(Message, BinaryBodyRoundTrip) {
  for (std::size_t n = 0; n < 40; ++n) {
    Message m;
    for (std::size_t i = 0; i < n; ++i) m.body += static_cast<char>(0xF0 + i * 37);
    m.content_type = "application/octet-stream";
    const auto j = message_to_json(m);
    auto back = message_from_json(j);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->body, m.body) << n;
  }
  Message text;
  text.body = "plain text, ünïcode";
  EXPECT_EQ(message_to_json(text)["body"], "plain text, ünïcode");
}

TEST(Message, BadDocumentsAreRefusedByName) {
  const char* bad[] = {R"([])",
                       R"({"body": "x", "colour": 1})",
                       R"({"properties": {"a": 1}})",
                       R"({"systemProperties": {"messageID": "x"}})",
                       R"({"bodyBase64": "***"})"};
  for (const char* text : bad) {
    auto m = message_from_json(nlohmann::json::parse(text));
    EXPECT_FALSE(m.ok()) << text;
  }
  auto m = message_from_json(nlohmann::json::parse(R"({"body": "x", "colour": 1})"));
  EXPECT_NE(m.error().message.find("colour"), std::string::npos);
}

TEST(Message, UuidsAreVersion4AndDistinct) {
  static const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_uuid();
    EXPECT_TRUE(std::regex_match(id, v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Message, IotHubsOtherSystemPropertiesTravelThroughJsonAndPropertyBags) {
  auto m = message_from_json(nlohmann::json::parse(
      R"({"body": "x", "systemProperties": {"messageId": "m", "userId": "u", "messageSchema": "s", "to": "/d",
          "interfaceId": "i", "componentName": "c", "enqueuedTime": "2026-11-30T10:00:00Z"}})"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->system.other.at("userId"), "u");
  EXPECT_EQ(m->system.other.size(), 6u);
  auto back = message_from_json(message_to_json(*m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->system.other, m->system.other);
  // Over MQTT: the keys IoT Hub's SDKs use ($.uid, $.schema, …); enqueuedTime is IoT Hub's own and stays home.
  Message wire;
  hub::decode_property_bag(hub::encode_property_bag(*m, true, false), wire);
  EXPECT_EQ(wire.system.other.at("userId"), "u");
  EXPECT_EQ(wire.system.other.at("messageSchema"), "s");
  EXPECT_EQ(wire.system.other.at("componentName"), "c");
  EXPECT_EQ(wire.system.other.count("enqueuedTime"), 0u);
  EXPECT_TRUE(wire.properties.empty());
}
