// Scoring a replay's alerts against a truth file: repeats for one object and alerts for nothing cost precision,
// objects never alerted cost recall, delays from an object's first frame, crossings and loitering matched on their
// line/zone, direction and time; bad truth files are refused by name.
#include <gtest/gtest.h>

#include "alert/truth_score.h"

using namespace vigil::alert;

namespace {

Truth truth() {
  return parse_truth(nlohmann::json::parse(R"({"fps": 10,
    "objects": [{"id": "A", "tag": "person", "firstFrame": 10, "lastFrame": 50},
                {"id": "B", "tag": "person", "firstFrame": 40, "lastFrame": 90},
                {"id": "C", "tag": "car", "firstFrame": 100, "lastFrame": 120}],
    "crossings": [{"object": "A", "line": "gate", "direction": "leftToRight", "frame": 30}],
    "loitering": [{"object": "B", "zone": "door", "fromFrame": 50, "toFrame": 80}]})")).value();
}

ScoredAlert alert(const char* event, const char* tag, const char* id, std::uint64_t frame) {
  ScoredAlert a;
  a.event = event;
  a.tag = tag;
  a.object_id = id;
  a.frame = frame;
  return a;
}

}  // namespace

TEST(TruthScore, OneAlertPerObjectIsPerfect) {
  const auto s = score(truth(), {alert("detected", "person", "c-1", 15), alert("detected", "person", "c-2", 48),
                                 alert("detected", "car", "c-3", 103)});
  EXPECT_EQ(s["objects"]["precision"], 1.0);
  EXPECT_EQ(s["objects"]["recall"], 1.0);
  EXPECT_DOUBLE_EQ(s["objects"]["firstAlertDelaySeconds"]["A"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["objects"]["firstAlertDelaySeconds"]["B"].get<double>(), 0.8);
}

TEST(TruthScore, RepeatsAndStrayAlertsCostPrecisionMissesCostRecall) {
  const auto s = score(truth(), {alert("detected", "person", "c-1", 15), alert("detected", "person", "c-1", 20),
                                 alert("detected", "car", "c-9", 60), alert("", "person", "", 45)});
  // c-1 twice (one repeat), a car where none was, and a per-frame alert that matches B.
  EXPECT_EQ(s["objects"]["alerts"], 4);
  EXPECT_DOUBLE_EQ(s["objects"]["precision"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["objects"]["recall"].get<double>(), 0.667);
}

TEST(TruthScore, CrossingsAndLoiteringMatchOnPlaceDirectionAndTime) {
  ScoredAlert right = alert("crossed", "person", "c-1", 34), wrong_way = alert("crossed", "person", "c-1", 31);
  right.line = wrong_way.line = "gate";
  right.direction = "leftToRight";
  wrong_way.direction = "rightToLeft";
  ScoredAlert late = alert("crossed", "person", "c-1", 45);
  late.line = "gate";
  late.direction = "leftToRight";
  ScoredAlert loiter = alert("loitering", "person", "c-2", 85);
  loiter.zone = "door";
  const auto s = score(truth(), {right, wrong_way, late, loiter});
  EXPECT_EQ(s["crossings"]["alerts"], 3);
  EXPECT_DOUBLE_EQ(s["crossings"]["precision"].get<double>(), 0.333);
  EXPECT_EQ(s["crossings"]["recall"], 1.0);
  EXPECT_EQ(s["loitering"]["recall"], 1.0);  // within a second after the truth's last frame
}

TEST(TruthScore, AlertBodiesAndBadFiles) {
  const auto a = scored_alert(nlohmann::json::parse(R"({"event": "detected", "tag": "person", "objectId": "x-1",
                                                        "frameNumber": "12", "decidedFrame": 19})"));
  EXPECT_EQ(a.frame, 19u);  // decided at 19, showing 12
  EXPECT_EQ(scored_alert(nlohmann::json::parse(R"({"tag": "Apple", "frameNumber": "7"})")).frame, 7u);
  for (const char* bad : {R"([])", R"({"objects": [{"tag": "person", "firstFrame": 1, "lastFrame": 2}]})",
                          R"({"objects": [{"id": "a", "tag": "p", "firstFrame": 5, "lastFrame": 2}]})",
                          R"({"objects": [], "fps": 0})", R"({"objects": [], "crossings": [{"line": "g"}]})"}) {
    auto t = parse_truth(nlohmann::json::parse(bad));
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_NE(t.error().message.find("truth file"), std::string::npos);
  }
}
