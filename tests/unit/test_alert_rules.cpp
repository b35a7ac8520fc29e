// The alert rules with a fake clock: the tutorial's default, per-tag thresholds and ignore/only lists,
// N-of-M confirmation, hysteresis episodes, cooldown, box area and zones, active hours, the trace of each
// decision, runtime rule changes, and rule parsing errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alert/rules.h"

using namespace vigil;
using namespace vigil::alert;
using namespace std::chrono_literals;
using Clock = AlertEngine::Clock;

namespace {

vision::Prediction classify(std::vector<std::pair<std::string, float>> tags) {
  vision::Prediction p;
  p.task = vision::Task::Classification;
  int i = 0;
  for (auto& [t, prob] : tags) p.tags.push_back({t, i++, prob, std::nullopt, {}});
  return p;
}

vision::Prediction detect(std::vector<std::tuple<std::string, float, vision::Box>> boxes) {
  vision::Prediction p;
  p.task = vision::Task::Detection;
  for (auto& [t, prob, b] : boxes) p.tags.push_back({t, 0, prob, b, {}});
  return p;
}

std::vector<std::string> alerts(const std::vector<Decision>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds)
    if (d.alert) out.push_back(d.tag);
  return out;
}

const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(24 * 20000);  // a day at 00:00 UTC

AlertRules rules(const char* json) { return parse_rules(nlohmann::json::parse(json)).value(); }

}  // namespace

TEST(AlertRules, TheTutorialsRule) {
  AlertEngine e({});
  EXPECT_EQ(alerts(e.evaluate("cam", classify({{"Apple", 0.72f}, {"Banana", 0.2f}, {"Negative", 0.08f}}), t0)),
            (std::vector<std::string>{"Apple"}));
  EXPECT_EQ(alerts(e.evaluate("cam", classify({{"Apple", 0.72f}}), t0 + 1s)), (std::vector<std::string>{"Apple"}));  // every frame
  EXPECT_TRUE(alerts(e.evaluate("cam", classify({{"Apple", 0.59f}, {"Banana", 0.3f}}), t0 + 2s)).empty());
  EXPECT_EQ(alerts(e.evaluate("cam", classify({{"Apple", 0.1f}, {"Banana", 0.6f}}), t0 + 3s)), (std::vector<std::string>{"Banana"}));
  auto negative = e.evaluate("cam", classify({{"Apple", 0.2f}, {"Negative", 0.8f}}), t0 + 4s);
  ASSERT_EQ(negative.size(), 1u);
  EXPECT_FALSE(negative[0].alert);
  EXPECT_EQ(negative[0].trace[0].rule, "ignore");
  // Only the top tag of a classifier counts, even when a second one is above the threshold too.
  EXPECT_EQ(alerts(e.evaluate("cam", classify({{"Apple", 0.65f}, {"Banana", 0.61f}}), t0 + 5s)), (std::vector<std::string>{"Apple"}));
}

TEST(AlertRules, PerTagThresholdsIgnoreAndOnly) {
  AlertEngine e(rules(R"({"tagThresholds": {"car": 0.9}, "ignore": ["dog"], "only": ["person", "car", "dog"]})"));
  const vision::Box b{0.1f, 0.1f, 0.2f, 0.4f};
  auto ds = e.evaluate("cam", detect({{"person", 0.7f, b}, {"car", 0.8f, b}, {"dog", 0.99f, b}, {"bicycle", 0.99f, b}}), t0);
  EXPECT_EQ(alerts(ds), (std::vector<std::string>{"person"}));
  for (const auto& d : ds) {
    if (d.tag == "car") {
      EXPECT_EQ(d.trace.back().detail, "0.80 < 0.90");
    } else if (d.tag == "dog") {
      EXPECT_EQ(d.trace.back().rule, "ignore");
    } else if (d.tag == "bicycle") {
      EXPECT_EQ(d.trace.back().rule, "only");
    }
  }
}

TEST(AlertRules, ConfirmNOfMFrames) {
  AlertEngine e(rules(R"({"confirm": {"n": 3, "m": 5}})"));
  const float seq[] = {0.9f, 0.1f, 0.9f, 0.1f, 0.9f, 0.9f, 0.1f, 0.1f, 0.1f, 0.9f};
  const bool expected[] = {false, false, false, false, true, true, false, false, false, false};
  // Naive reference: alert when this frame qualifies and >= 3 of the last 5 (including this one) do.
  for (int i = 0; i < 10; ++i) {
    int hits = 0;
    for (int k = std::max(0, i - 4); k <= i; ++k) hits += seq[k] >= 0.6f;
    EXPECT_EQ(expected[i], seq[i] >= 0.6f && hits >= 3) << i;
    auto ds = e.evaluate("cam", classify({{"Apple", seq[i]}, {"Banana", 1 - seq[i]}}), t0 + i * 1s);
    const bool got = !alerts(ds).empty() && alerts(ds)[0] == "Apple";
    EXPECT_EQ(got, expected[i]) << "frame " << i;
  }
}

TEST(AlertRules, HysteresisAlertsOncePerEpisode) {
  AlertEngine e(rules(R"({"releaseThreshold": 0.4, "only": ["person"]})"));
  const vision::Box b{0.4f, 0.4f, 0.1f, 0.3f};
  const float scores[] = {0.7f, 0.8f, 0.5f, 0.65f, 0.3f, 0.7f, 0.9f};
  const bool expected[] = {true, false, false, false, false, true, false};
  for (int i = 0; i < 7; ++i) {
    auto ds = e.evaluate("cam", detect({{"person", scores[i], b}}), t0 + i * 1s);
    EXPECT_EQ(!alerts(ds).empty(), expected[i]) << "frame " << i;
  }
  // A frame without the tag at all also ends the episode.
  AlertEngine f(rules(R"({"releaseThreshold": 0.4})"));
  EXPECT_FALSE(alerts(f.evaluate("cam", detect({{"person", 0.9f, b}}), t0)).empty());
  EXPECT_TRUE(alerts(f.evaluate("cam", detect({{"person", 0.9f, b}}), t0 + 1s)).empty());
  (void)f.evaluate("cam", detect({}), t0 + 2s);
  EXPECT_FALSE(alerts(f.evaluate("cam", detect({{"person", 0.9f, b}}), t0 + 3s)).empty());
}

TEST(AlertRules, CooldownPerCameraAndTag) {
  AlertEngine e(rules(R"({"cooldownSeconds": 30})"));
  auto apple = classify({{"Apple", 0.9f}});
  EXPECT_FALSE(alerts(e.evaluate("a", apple, t0)).empty());
  EXPECT_TRUE(alerts(e.evaluate("a", apple, t0 + 10s)).empty());
  EXPECT_FALSE(alerts(e.evaluate("b", apple, t0 + 10s)).empty());  // another camera has its own cooldown
  EXPECT_FALSE(alerts(e.evaluate("a", classify({{"Banana", 0.9f}}), t0 + 11s)).empty());  // another tag too
  auto late = e.evaluate("a", apple, t0 + 29s);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].trace.back().rule, "cooldown");
  EXPECT_FALSE(alerts(e.evaluate("a", apple, t0 + 30s)).empty());
}

TEST(AlertRules, BoxAreaAndZones) {
  // Zone: the left half of the image's bottom half (a driveway).
  AlertEngine e(rules(R"({"minBoxArea": 0.01, "zones": [[[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]]]})"));
  const vision::Box tiny{0.1f, 0.6f, 0.05f, 0.1f};     // area 0.005
  const vision::Box in_zone{0.1f, 0.5f, 0.2f, 0.3f};   // feet at (0.2, 0.8)
  const vision::Box outside{0.6f, 0.5f, 0.2f, 0.3f};   // feet at (0.7, 0.8)
  auto ds = e.evaluate("cam", detect({{"person", 0.9f, tiny}}), t0);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_FALSE(ds[0].alert);
  EXPECT_EQ(ds[0].trace.back().rule, "minBoxArea");
  ds = e.evaluate("cam", detect({{"person", 0.9f, outside}}), t0 + 1s);
  EXPECT_FALSE(ds[0].alert);
  EXPECT_EQ(ds[0].trace.back().rule, "zones");
  // The best box that passes wins over a more probable one that does not.
  ds = e.evaluate("cam", detect({{"person", 0.95f, outside}, {"person", 0.7f, in_zone}}), t0 + 2s);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].alert);
  EXPECT_NEAR(ds[0].probability, 0.7, 1e-6);
}

TEST(AlertRules, PointInPolygonAgainstANaiveGrid) {
  const Polygon l_shape = {{0.1, 0.1}, {0.6, 0.1}, {0.6, 0.3}, {0.3, 0.3}, {0.3, 0.8}, {0.1, 0.8}};
  for (int i = 0; i <= 40; ++i)
    for (int k = 0; k <= 40; ++k) {
      const double x = i / 40.0 + 0.003, y = k / 40.0 + 0.003;  // off the grid lines
      const bool naive = (x > 0.1 && x < 0.6 && y > 0.1 && y < 0.3) || (x > 0.1 && x < 0.3 && y > 0.1 && y < 0.8);
      EXPECT_EQ(inside(l_shape, {x, y}), naive) << x << "," << y;
    }
  EXPECT_TRUE(inside(l_shape, {0.1, 0.5}));  // on an edge
}

TEST(AlertRules, ActiveHoursWrapAroundMidnight) {
  AlertEngine e(rules(R"({"activeHours": "22:00-06:00"})"));
  auto apple = classify({{"Apple", 0.9f}});
  EXPECT_FALSE(alerts(e.evaluate("c", apple, t0 + 23h)).empty());
  EXPECT_FALSE(alerts(e.evaluate("c", apple, t0 + 24h + 5h + 59min)).empty());
  auto day = e.evaluate("c", apple, t0 + 24h + 12h);
  EXPECT_TRUE(alerts(day).empty());
  EXPECT_EQ(day[0].trace.back().rule, "activeHours");
}

TEST(AlertRules, RuntimeChangeKeepsStateAndBadRulesAreRefused) {
  AlertEngine e({});
  EXPECT_FALSE(alerts(e.evaluate("c", classify({{"Apple", 0.65f}}), t0)).empty());
  auto stricter = parse_rules(nlohmann::json::parse(R"({"threshold": 0.8})"), e.rules());
  ASSERT_TRUE(stricter.ok());
  e.set_rules(*stricter);
  EXPECT_TRUE(alerts(e.evaluate("c", classify({{"Apple", 0.65f}}), t0 + 1s)).empty());
  EXPECT_TRUE(e.rules().ignore.count("Negative"));  // untouched keys keep their values
  const std::pair<const char*, const char*> bad[] = {
      {R"({"threshold": 1.5})", "threshold"},
      {R"({"threshold": "high"})", "threshold"},
      {R"({"confirm": {"n": 4, "m": 3}})", "confirm"},
      {R"({"cooldownSeconds": -1})", "cooldownSeconds"},
      {R"({"zones": [[[0, 0], [1, 0]]]})", "zones"},
      {R"({"zones": [[[0, 0], [2, 0], [1, 1]]]})", "zones"},
      {R"({"activeHours": "late"})", "activeHours"},
      {R"({"releaseThreshold": 0.9})", "releaseThreshold"},
      {R"({"treshold": 0.5})", "treshold"},
      {R"({"ignore": "Negative"})", "ignore"},
  };
  for (const auto& [json, key] : bad) {
    auto r = parse_rules(nlohmann::json::parse(json));
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
  }
}

TEST(AlertRules, TraceAsJson) {
  AlertEngine e(rules(R"({"cooldownSeconds": 5})"));
  (void)e.evaluate("c", classify({{"Apple", 0.9f}}), t0);
  const auto d = e.evaluate("c", classify({{"Apple", 0.9f}}), t0 + 1s)[0];
  const auto j = decision_to_json(d);
  EXPECT_EQ(j["alert"], false);
  EXPECT_EQ(j["trace"][0]["rule"], "threshold");
  EXPECT_EQ(j["trace"][1]["rule"], "cooldown");
  EXPECT_EQ(j["trace"][1]["passed"], false);
}
