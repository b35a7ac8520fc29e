// The alert module end to end through the in-process hub: the tutorial's route from the camera to the alert
// module, the tutorial's alert body on output1 to $upstream, correlation ids, runtime rule updates (valid and
// refused), bad input, and the explain trace.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <mutex>
#include <thread>

#include "alert/alert_module.h"
#include "hub/hub.h"
#include "vision/prediction_json.h"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

class Collect : public hub::EndpointSender {
 public:
  Status send(const Message& m) override {
    std::lock_guard lock(mutex);
    got.push_back(m);
    return ok_status();
  }
  std::string describe() const override { return "collect"; }
  std::vector<Message> messages() {
    std::lock_guard lock(mutex);
    return got;
  }
  std::mutex mutex;
  std::vector<Message> got;
};

Message prediction(const std::vector<std::pair<std::string, double>>& tags) {
  nlohmann::json preds = nlohmann::json::array();
  for (const auto& [t, p] : tags) preds.push_back({{"probability", p}, {"tagId", ""}, {"tagName", t}, {"boundingBox", nullptr}});
  Message m = make_json_message(nlohmann::json{{"id", ""}, {"predictions", preds}}.dump(), std::chrono::system_clock::now());
  m.properties["camera"] = "kitchen";
  m.properties["captureTime"] = "2026-11-25T12:00:00.000Z";
  return m;
}

}  // namespace

TEST(AlertModule, TheTutorialsDeploymentThroughTheHub) {
  const auto path = std::filesystem::temp_directory_path() / ("vigil-alert-" + std::to_string(::getpid()) + ".db");
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  auto outbox = hub::Outbox::open(path.string(), {});
  ASSERT_TRUE(outbox.ok());
  Metrics metrics;
  hub::HubOptions o;
  o.routes = *hub::parse_routes(nlohmann::json::parse(R"J({
    "CameraToAlert": "FROM /messages/modules/camera-module/outputs/output1 INTO BrokeredEndpoint(\"/modules/alert-module/inputs/input1\")",
    "AlertsToCloud": "FROM /messages/modules/alert-module/outputs/output1 INTO $upstream"})J"));
  hub::Hub hub(o, **outbox, metrics);
  auto upstream = std::make_shared<Collect>();
  hub.set_sender("$upstream", upstream);
  auto alert_ctx = hub.context_for("alert-module");
  alert::AlertModule alert(*alert_ctx, {});
  hub.attach_input("alert-module", "input1", [&](const Message& m) { alert.on_message(m); });
  hub.start();
  auto camera = hub.context_for("camera-module");

  Message apple = prediction({{"Apple", 0.93}, {"Banana", 0.05}, {"Negative", 0.02}});
  const std::string apple_id = apple.system.message_id;
  camera->send("output1", apple);
  camera->send("output1", prediction({{"Apple", 0.2}, {"Banana", 0.3}, {"Negative", 0.5}}));  // no alert
  camera->send("output1", prediction({{"Negative", 0.9}}));                                    // never alerts
  camera->send("output1", prediction({{"Banana", 0.61}, {"Apple", 0.39}}));
  Message junk = make_json_message("{\"hello\": 1}", std::chrono::system_clock::now());
  camera->send("output1", junk);  // not a prediction: counted, no crash
  for (int i = 0; i < 100 && upstream->messages().size() < 2; ++i) std::this_thread::sleep_for(20ms);

  // A runtime update: valid, then an invalid one that leaves the rules alone.
  EXPECT_TRUE(alert.update_rules(nlohmann::json::parse(R"({"threshold": 0.95})")).ok());
  EXPECT_FALSE(alert.update_rules(nlohmann::json::parse(R"({"threshold": "very"})")).ok());
  EXPECT_DOUBLE_EQ(alert.rules().threshold, 0.95);
  camera->send("output1", prediction({{"Apple", 0.93}}));  // below the new threshold
  std::this_thread::sleep_for(200ms);
  hub.stop();

  const auto got = upstream->messages();
  ASSERT_EQ(got.size(), 2u);
  const auto a = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(a["tag"], "Apple");
  EXPECT_NEAR(a["probability"].get<double>(), 0.93, 1e-6);
  EXPECT_EQ(a["camera"], "kitchen");
  EXPECT_EQ(a["captureTime"], "2026-11-25T12:00:00.000Z");
  EXPECT_EQ(a["alertId"], got[0].system.message_id);
  EXPECT_EQ(got[0].system.correlation_id, apple_id);
  EXPECT_EQ(got[0].system.connection_module_id, "alert-module");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(got[1].body)["tag"], "Banana");
  EXPECT_EQ(metrics.value("vigil_alert_bad_input_total"), 1);
  const auto trace = alert.explain(10);
  ASSERT_GE(trace.size(), 5u);
  EXPECT_EQ(trace[0]["alert"], false);  // the newest: 0.93 < 0.95
  EXPECT_EQ(trace[0]["trace"][0]["detail"], "0.93 < 0.95");
}

TEST(AlertModule, PerObjectAlertsAtFrameTimeWithTheBestFrame) {
  const auto path = std::filesystem::temp_directory_path() / ("vigil-alert-obj-" + std::to_string(::getpid()) + ".db");
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  auto outbox = hub::Outbox::open(path.string(), {});
  ASSERT_TRUE(outbox.ok());
  Metrics metrics;
  hub::Hub hub({}, **outbox, metrics);
  auto ctx = hub.context_for("alerts");
  // The wall clock is far from the frames' times: every decision must use the frames' captureTime.
  alert::AlertModule alert(*ctx, *alert::parse_rules(nlohmann::json::parse(
                                     R"({"alertPer": "object", "stationarySeconds": 1, "snapshot": true})")),
                           [] { return std::chrono::system_clock::time_point{} + std::chrono::hours(1); });
  std::vector<std::string> snapshot_frames;
  alert.set_snapshotter([&](const Message& in, const vision::Prediction&, const vision::Overlay&, const std::string&) {
    snapshot_frames.push_back(in.properties.at("frameNumber"));
    return std::string("/snap.jpg");
  });
  auto send = [&](int frame, double x, float score) {
    vision::Prediction p;
    p.task = vision::Task::Detection;
    p.tags.push_back({"person", 0, score, vision::Box{static_cast<float>(x), 0.5f, 0.1f, 0.3f}, frame > 20 ? "cam-1" : ""});
    Message m = make_json_message(vision::prediction_envelope(p, std::chrono::system_clock::now()), std::chrono::system_clock::now());
    m.properties["camera"] = "cam";
    m.properties["frameNumber"] = std::to_string(frame);
    char t[64];
    std::snprintf(t, sizeof t, "2026-11-25T12:00:%02d.%03dZ", frame / 10, (frame % 10) * 100);
    m.properties["captureTime"] = t;
    alert.on_message(m);
  };
  for (int f = 1; f <= 20; ++f) send(f, 0.1, 0.9f);  // no objectId yet: not an object
  const float scores[] = {0.7f, 0.97f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f};
  for (int i = 0; i < 12; ++i) send(21 + i, 0.1 + 0.03 * i, scores[i]);
  std::vector<nlohmann::json> alerts;
  for (const auto& line : nlohmann::json::parse(alert.explain(100).dump()))
    if (line["alert"] == true) alerts.push_back(line);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["objectId"], "cam-1");
  EXPECT_EQ(alerts[0]["event"], "detected");
  EXPECT_EQ(alerts[0]["frameNumber"], 31);  // decided a second after it was first seen (frame 21)…
  ASSERT_EQ(snapshot_frames.size(), 1u);
  EXPECT_EQ(snapshot_frames[0], "22");      // …showing its best frame of that second
  EXPECT_NE(metrics.render().find("vigil_objects_total{camera=\"cam\",tag=\"person\"} 1"), std::string::npos) << metrics.render();
}
