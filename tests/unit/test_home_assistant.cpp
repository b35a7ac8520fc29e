// Home Assistant discovery's pure part: object ids, per-frame alerts (no objectId: on, then off by itself), and
// configs published once, again after a reconnect.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "uplink/home_assistant.h"

using vigil::uplink::ha_id;
using vigil::uplink::HaOptions;
using vigil::uplink::HomeAssistant;

namespace {

vigil::Message alert(const nlohmann::json& body) {
  vigil::Message m;
  m.body = body.dump();
  return m;
}

}  // namespace

TEST(HomeAssistant, ObjectIdsAreLowerCaseWordsJoinedByUnderscores) {
  EXPECT_EQ(ha_id("Front Door person"), "front_door_person");
  EXPECT_EQ(ha_id("cam-1 / gate"), "cam_1_gate");
  EXPECT_EQ(ha_id("***"), "x");
}

TEST(HomeAssistant, PerFrameAlertsTurnOnAndLetHomeAssistantTurnThemOff) {
  HomeAssistant ha(HaOptions{"homeassistant", "edge", "vigil/edge/status", "0.1.0"});
  const auto first = ha.on_message(alert({{"tag", "Apple"}, {"camera", "kitchen"}}));
  ASSERT_EQ(first.size(), 4u);  // two configs, two states
  const auto occupancy = nlohmann::json::parse(first[0].payload);
  EXPECT_EQ(first[0].topic, "homeassistant/binary_sensor/vigil_edge/kitchen_apple_occupancy/config");
  EXPECT_EQ(occupancy["off_delay"], 60);
  EXPECT_EQ(first[2].payload, "ON");
  const auto again = ha.on_message(alert({{"tag", "Apple"}, {"camera", "kitchen"}}));
  EXPECT_EQ(again.size(), 2u);  // states only: the configs were published
  EXPECT_TRUE(ha.on_message(alert({{"no", "camera"}})).empty());
  EXPECT_TRUE(ha.on_message(vigil::Message{}).empty());  // not JSON: nothing
  const auto reconnect = ha.on_connect();
  EXPECT_EQ(reconnect.size(), 4u);  // both configs and both last states
}
