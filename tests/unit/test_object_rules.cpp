// The per-object alert rules (alertPer "object") on synthetic tracked boxes with frame times: one alert per object,
// the best frame of its first second, parked cars that never alert (at start, found again under a new id, at any
// cooldown), line crossings with direction and jitter, loitering once per object and zone, ended events, a
// restarted camera, and the geometry's side naming.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alert/rules.h"

using namespace vigil;
using namespace vigil::alert;
using Clock = AlertEngine::Clock;

namespace {

const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(24 * 20000) + std::chrono::hours(12);

struct Obj {
  std::string id, tag;
  double cx, cy;
  float score = 0.9f;
  double w = 0.08, h = 0.2;
};

vision::Prediction frame_of(const std::vector<Obj>& objs, std::vector<std::string> ended = {}) {
  vision::Prediction p;
  p.task = vision::Task::Detection;
  for (const auto& o : objs) {
    vision::TagScore t;
    t.tag = o.tag;
    t.probability = o.score;
    t.box = vision::Box{static_cast<float>(o.cx - o.w / 2), static_cast<float>(o.cy - o.h), static_cast<float>(o.w),
                        static_cast<float>(o.h)};  // (cx, cy) is the bottom centre
    t.object_id = o.id;
    p.tags.push_back(t);
  }
  p.ended_objects = std::move(ended);
  return p;
}

// Runs frames at 10 fps; returns the alerts.
struct Runner {
  AlertEngine engine;
  std::uint64_t frame = 0;
  std::vector<Decision> alerts;
  explicit Runner(const char* rules_json) : engine(parse_rules(nlohmann::json::parse(rules_json)).value()) {}
  void step(const std::vector<Obj>& objs, std::vector<std::string> ended = {}) {
    ++frame;
    const auto now = t0 + std::chrono::milliseconds(100 * static_cast<long>(frame));
    for (auto& d : engine.evaluate("cam", frame_of(objs, std::move(ended)), now, frame))
      if (d.alert) alerts.push_back(d);
  }
  int count(const std::string& event) const {
    return static_cast<int>(std::count_if(alerts.begin(), alerts.end(), [&](const Decision& d) { return d.event == event; }));
  }
};

}  // namespace

TEST(ObjectRules, OneAlertPerObjectNeverAgain) {
  Runner r(R"({"alertPer": "object", "only": ["person"], "stationarySeconds": 2})");
  for (int k = 0; k < 30; ++k) r.step({});  // an empty street first (the camera's start)
  for (int k = 0; k < 50; ++k) r.step({{"cam-1", "person", 0.1 + 0.01 * k, 0.8}});
  for (int k = 0; k < 50; ++k) r.step({{"cam-1", "person", 0.6, 0.8}, {"cam-2", "person", 0.1 + 0.01 * k, 0.7}});
  ASSERT_EQ(r.count("detected"), 2);
  EXPECT_EQ(r.alerts[0].object_id, "cam-1");
  EXPECT_EQ(r.alerts[1].object_id, "cam-2");
}

TEST(ObjectRules, TheSnapshotIsTheBestFrameOfTheFirstSecond) {
  Runner r(R"({"alertPer": "object", "stationarySeconds": 2})");
  for (int k = 0; k < 30; ++k) r.step({});
  const float scores[] = {0.7f, 0.8f, 0.95f, 0.75f, 0.7f, 0.7f, 0.7f, 0.7f, 0.7f, 0.7f, 0.99f, 0.7f, 0.7f};
  std::uint64_t best_frame = 0;
  for (int k = 0; k < 13; ++k) {
    r.step({{"cam-1", "person", 0.1 + 0.02 * k, 0.8, scores[k]}});
    if (k == 2) best_frame = r.frame;
  }
  ASSERT_EQ(r.count("detected"), 1);
  EXPECT_EQ(r.alerts[0].frame, best_frame);      // 0.95 at 0.2 s, not 0.99 at 1.0 s
  EXPECT_FLOAT_EQ(r.alerts[0].probability, 0.95f);

  Runner fast(R"({"alertPer": "object", "snapshotFrame": "alert", "stationarySeconds": 2})");
  for (int k = 0; k < 30; ++k) fast.step({});
  for (int k = 0; k < 3; ++k) fast.step({{"cam-1", "person", 0.1 + 0.02 * k, 0.8}});
  EXPECT_EQ(fast.count("detected"), 1);  // at the confirming frame, not a second later
}

TEST(ObjectRules, ParkedCarsNeverAlertAtAnyCooldown) {
  for (const char* rules : {R"({"alertPer": "object", "cooldownSeconds": 0})", R"({"alertPer": "object", "cooldownSeconds": 60})"}) {
    Runner r(rules);
    // Two cars parked from the start; the detector loses them now and then, and the tracker numbers them anew.
    int id = 1;
    for (int cycle = 0; cycle < 20; ++cycle) {
      const std::string a = "cam-" + std::to_string(id++), b = "cam-" + std::to_string(id++);
      for (int k = 0; k < 40; ++k) {
        const double jitter = (k % 3 - 1) * 0.003;
        r.step({{a, "car", 0.3 + jitter, 0.7, 0.8f, 0.2, 0.15}, {b, "car", 0.7, 0.75 + jitter, 0.8f, 0.2, 0.15}});
      }
      r.step({}, {a, b});
    }
    EXPECT_EQ(r.count("detected"), 0) << rules;
  }
}

TEST(ObjectRules, ACarThatArrivesAlertsOnceEvenWhenFoundAgainParked) {
  Runner r(R"({"alertPer": "object", "stationarySeconds": 3})");
  for (int k = 0; k < 50; ++k) r.step({});
  for (int k = 0; k < 30; ++k) r.step({{"cam-1", "car", 0.1 + 0.02 * k, 0.7, 0.8f, 0.2, 0.15}});  // drives in
  for (int k = 0; k < 60; ++k) r.step({{"cam-1", "car", 0.68, 0.7, 0.8f, 0.2, 0.15}});             // parks
  r.step({}, {"cam-1"});
  for (int k = 0; k < 60; ++k) r.step({{"cam-2", "car", 0.68, 0.7, 0.8f, 0.2, 0.15}});             // found again
  EXPECT_EQ(r.count("detected"), 1);
  // alertOnStationary: the same car found again does alert.
  Runner all(R"({"alertPer": "object", "stationarySeconds": 3, "alertOnStationary": true})");
  for (int k = 0; k < 60; ++k) all.step({{"cam-2", "car", 0.68, 0.7, 0.8f, 0.2, 0.15}});
  EXPECT_EQ(all.count("detected"), 1);
}

TEST(ObjectRules, AnObjectStillAtStartAlertsOnceItMoves) {
  Runner r(R"({"alertPer": "object", "stationarySeconds": 3})");
  for (int k = 0; k < 60; ++k) r.step({{"cam-1", "person", 0.5, 0.8}});
  EXPECT_EQ(r.count("detected"), 0);
  for (int k = 0; k < 30; ++k) r.step({{"cam-1", "person", 0.5 + 0.01 * k, 0.8}});
  EXPECT_EQ(r.count("detected"), 1);
}

TEST(ObjectRules, LineCrossingsWithDirectionAndNoDoubleCountOnJitter) {
  // A horizontal gate across the picture, drawn left to right: moving down the picture is leftToRight.
  Runner r(R"({"alertPer": "object", "stationarySeconds": 2,
               "lines": [{"name": "gate", "points": [[0, 0.6], [1, 0.6]], "direction": "any"},
                         {"name": "in", "points": [[0, 0.6], [1, 0.6]], "direction": "leftToRight"}]})");
  for (int k = 0; k < 30; ++k) r.step({});
  // Walks down to the line, dithers on it (±0.01, within the margin), goes on down, then comes back up.
  for (int k = 0; k <= 20; ++k) r.step({{"cam-1", "person", 0.5, 0.4 + 0.01 * k}});
  for (int k = 0; k < 20; ++k) r.step({{"cam-1", "person", 0.5, 0.6 + (k % 2 ? 0.01 : -0.01)}});
  for (int k = 0; k <= 20; ++k) r.step({{"cam-1", "person", 0.5, 0.6 + 0.01 * k}});
  for (int k = 0; k <= 40; ++k) r.step({{"cam-1", "person", 0.5, 0.8 - 0.01 * k}});
  std::vector<std::pair<std::string, std::string>> crossings;
  for (const auto& d : r.alerts)
    if (d.event == "crossed") crossings.emplace_back(d.line, d.direction);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"gate", "leftToRight"}, {"in", "leftToRight"}, {"gate", "rightToLeft"}};
  EXPECT_EQ(crossings, expected);
}

TEST(ObjectRules, GoingRoundTheEndOfALineIsNoCrossing) {
  Runner r(R"({"alertPer": "object", "stationarySeconds": 2, "lines": [{"name": "fence", "points": [[0.3, 0.5], [0.6, 0.5]]}]})");
  for (int k = 0; k < 30; ++k) r.step({});
  for (int k = 0; k <= 20; ++k) r.step({{"cam-1", "person", 0.4 + 0.02 * k, 0.4}});  // above, walks right past the end
  for (int k = 0; k <= 20; ++k) r.step({{"cam-1", "person", 0.8, 0.4 + 0.01 * k}});   // down, beyond the end
  for (int k = 0; k <= 20; ++k) r.step({{"cam-1", "person", 0.8 - 0.02 * k, 0.6}});   // back left, below
  EXPECT_EQ(r.count("crossed"), 0);
}

TEST(ObjectRules, LoiteringOncePerObjectAndZoneWithItsTime) {
  Runner r(R"({"alertPer": "object", "stationarySeconds": 2,
               "zones": [{"name": "door", "points": [[0.4, 0.6], [0.6, 0.6], [0.6, 0.9], [0.4, 0.9]], "loiterSeconds": 3},
                         [[0, 0], [1, 0], [1, 1], [0, 1]]]})");
  for (int k = 0; k < 30; ++k) r.step({});
  for (int k = 0; k < 20; ++k) r.step({{"cam-1", "person", 0.1 + 0.02 * k, 0.8}});   // walks to the door
  for (int k = 0; k < 100; ++k) r.step({{"cam-1", "person", 0.5 + (k % 2) * 0.002, 0.8}});  // waits 10 s
  ASSERT_EQ(r.count("loitering"), 1);
  for (const auto& d : r.alerts)
    if (d.event == "loitering") {
      EXPECT_EQ(d.zone, "door");
      EXPECT_NEAR(d.seconds, 3.0, 0.11);
    }
}

TEST(ObjectRules, EndedEventsCarryTheTimeInView) {
  Runner r(R"({"alertPer": "object", "endedEvents": true, "stationarySeconds": 2})");
  for (int k = 0; k < 30; ++k) r.step({});
  for (int k = 0; k < 40; ++k) r.step({{"cam-1", "person", 0.1 + 0.02 * k, 0.8}});
  r.step({}, {"cam-1"});
  ASSERT_EQ(r.count("ended"), 1);
  EXPECT_NEAR(r.alerts.back().seconds, 3.9, 1e-6);
}

TEST(ObjectRules, ClassifiersAndUntrackedBoxesKeepThePerFrameRules) {
  AlertEngine e(parse_rules(nlohmann::json::parse(R"({"alertPer": "object"})")).value());
  vision::Prediction c;
  c.task = vision::Task::Classification;
  c.tags.push_back({"Apple", 0, 0.9f, std::nullopt, {}});
  EXPECT_TRUE(e.evaluate("cam", c, t0, 1)[0].alert);
  // A box without an objectId (tracking off, or not yet confirmed) is not an object.
  auto p = frame_of({{"", "person", 0.5, 0.8}});
  EXPECT_TRUE(e.evaluate("cam", p, t0, 2).empty());
}

TEST(ObjectRules, ARestartedCameraForgetsItsObjects) {
  Runner r(R"({"alertPer": "object", "stationarySeconds": 2})");
  for (int k = 0; k < 30; ++k) r.step({});
  for (int k = 0; k < 20; ++k) r.step({{"cam-1", "person", 0.1 + 0.02 * k, 0.8}});
  r.frame = 0;  // frame numbers start again: so do the ids
  for (int k = 0; k < 30; ++k) r.step({});
  for (int k = 0; k < 20; ++k) r.step({{"cam-1", "person", 0.1 + 0.02 * k, 0.8}});
  EXPECT_EQ(r.count("detected"), 2);
}

TEST(ObjectRules, BadKeysAreRefusedByName) {
  const std::pair<const char*, const char*> bad[] = {
      {R"({"alertPer": "track"})", "alertPer"},
      {R"({"lines": [{"name": "a", "points": [[0, 0]]}]})", "lines[0]"},
      {R"({"lines": [{"name": "a", "points": [[0, 0], [1, 1]], "direction": "up"}]})", "direction"},
      {R"({"lines": [{"points": [[0, 0], [1, 1]]}]})", "lines[0]"},
      {R"({"zones": [{"name": "d", "points": [[0, 0], [1, 0], [1, 1]], "loiterSeconds": -1}]})", "loiterSeconds"},
      {R"({"stationaryIou": 2})", "stationaryIou"},
      {R"({"snapshotFrame": "first"})", "snapshotFrame"},
  };
  for (const auto& [json, key] : bad) {
    auto r = parse_rules(nlohmann::json::parse(json));
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
  }
}

TEST(Geometry, SidesAsSeenWalkingAlongTheLine) {
  const Line across{"a", {{0, 0.5}, {1, 0.5}}, Direction::Any, 0.02};
  EXPECT_EQ(place(across, {0.5, 0.2}).side, Side::Left);   // above a left-to-right line: its left
  EXPECT_EQ(place(across, {0.5, 0.8}).side, Side::Right);
  EXPECT_EQ(place(across, {0.5, 0.51}).side, Side::Unknown);  // within the margin
  EXPECT_TRUE(place(across, {1.2, 0.8}).beyond);
  const Line bent{"b", {{0.2, 0.2}, {0.5, 0.5}, {0.5, 0.9}}, Direction::Any, 0.02};
  EXPECT_EQ(place(bent, {0.4, 0.7}).side, Side::Right);  // walking down the second segment, x < 0.5 is the right
  EXPECT_EQ(place(bent, {0.6, 0.7}).side, Side::Left);
}
