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
  HomeAssistant ha(HaOptions{"homeassistant", "edge", "vigil/edge/status", "0.1.0", {}});
  const auto first = ha.on_message(alert({{"tag", "Apple"}, {"camera", "kitchen"}}));
  ASSERT_EQ(first.size(), 6u);  // two configs with their records, two states
  const auto occupancy = nlohmann::json::parse(first[0].payload);
  EXPECT_EQ(first[0].topic, "homeassistant/binary_sensor/vigil_edge/kitchen_apple_occupancy/config");
  EXPECT_EQ(occupancy["off_delay"], 60);
  EXPECT_EQ(first[1].topic, "vigil/edge/ha/entities/kitchen_apple_occupancy");
  EXPECT_EQ(first[4].payload, "ON");
  EXPECT_EQ(first[5].payload, "1");
  const auto again = ha.on_message(alert({{"tag", "Apple"}, {"camera", "kitchen"}}));
  EXPECT_EQ(again.size(), 2u);  // states only: the configs were published
  EXPECT_TRUE(ha.on_message(alert({{"no", "camera"}})).empty());
  EXPECT_TRUE(ha.on_message(vigil::Message{}).empty());  // not JSON: nothing
  // Fields of the wrong type (any module may send upstream) are no crash, and no object.
  const auto odd = ha.on_message(alert({{"tag", "Apple"}, {"camera", "kitchen"}, {"event", 3}, {"objectId", {1}}, {"line", 2}}));
  EXPECT_EQ(odd.size(), 2u);
  EXPECT_TRUE(ha.on_message(alert({{"camera", "kitchen"}, {"state", 1}, {"previous", "live"}})).size() >= 1u);
  const auto reconnect = ha.on_connect();
  EXPECT_EQ(reconnect.size(), 6u);  // three configs (with the health problem) and their last states
}

TEST(HomeAssistant, TheEntitiesOfACameraThatLeftTheManifestAreRemoved) {
  HomeAssistant ha(HaOptions{"homeassistant", "edge", "vigil/edge/status", "0.1.0", {"front"}});
  const std::string record = R"({"camera": "back", "config": "homeassistant/sensor/vigil_edge/back_person_count/config",
                                 "state": "vigil/edge/ha/back_person_count/state"})";
  const auto gone = ha.on_record("vigil/edge/ha/entities/back_person_count", record);
  ASSERT_EQ(gone.size(), 3u);
  for (const auto& p : gone) EXPECT_EQ(p.payload, "");  // empty retained: removed
  EXPECT_EQ(gone[0].topic, "homeassistant/sensor/vigil_edge/back_person_count/config");
  EXPECT_TRUE(ha.on_record("vigil/edge/ha/entities/front_x", R"({"camera": "front", "config": "c", "state": "s"})").empty());
  EXPECT_TRUE(ha.on_record("vigil/edge/ha/entities/x", "").empty());  // our own removal coming back
  EXPECT_TRUE(ha.on_record("vigil/edge/ha/entities/x", R"({"camera": 7})").size() == 1u);  // odd: only the record goes
  HomeAssistant hub_only(HaOptions{"homeassistant", "edge", "vigil/edge/status", "0.1.0", {}});
  EXPECT_TRUE(hub_only.on_record("vigil/edge/ha/entities/back_person_count", record).empty());  // cameras unknown
}
