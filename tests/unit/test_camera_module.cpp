// The camera module end to end in-process: real photos through the real Apple/Banana model, messages on
// output1 with the tutorial's body and vigil's properties, health on `health`, and the motion gate on a
// static scene.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <mutex>

#include "capture/camera_module.h"
#include "test_support.h"

using namespace vigil;
using namespace vigil::capture;

namespace {

class CollectingContext : public ModuleContext {
 public:
  const std::string& module_id() const override { return id_; }
  Metrics& metrics() override { return metrics_; }
  void send(const std::string& output, Message m) override {
    std::lock_guard lock(mutex_);
    sent.emplace_back(output, std::move(m));
  }
  std::vector<Message> on(const std::string& output) {
    std::lock_guard lock(mutex_);
    std::vector<Message> out;
    for (const auto& [o, m] : sent)
      if (o == output) out.push_back(m);
    return out;
  }
  std::vector<std::pair<std::string, Message>> sent;

 private:
  std::string id_ = "camera-module";
  Metrics metrics_;
  std::mutex mutex_;
};

ModelProvider load_models() {
  return [](const std::string& path) -> Result<std::shared_ptr<vision::ModelRunner>> {
    auto r = vision::make_model_runner(path, {}, 1);
    if (!r) return r.error();
    return std::shared_ptr<vision::ModelRunner>(std::move(*r));
  };
}

std::string top_tag(const std::string& body) {
  const auto j = nlohmann::json::parse(body);
  std::string best;
  double p = -1;
  for (const auto& e : j["predictions"])
    if (e["probability"].get<double>() > p) {
      p = e["probability"];
      best = e["tagName"];
    }
  return best;
}

}  // namespace

TEST(CameraModule, PhotosThroughTheAppleBananaModel) {
  const std::string model = test::shared_path("models/cv-applebanana-tf");
  REQUIRE_FILE(model);
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-cam-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* name : {"apple1.jpg", "banana2.jpg", "apple2.jpg"})
    std::filesystem::copy_file(test::shared_path(std::string("media/") + name), dir / name,
                               std::filesystem::copy_options::overwrite_existing);

  CameraSettings s;
  s.video_path = dir.string();
  s.endpoint = model;
  s.loop_video = false;
  s.realtime = false;
  s.motion_gate = false;
  s.camera_id = "kitchen";
  CollectingContext ctx;
  auto cam = make_camera_module(ctx, s, load_models());
  ASSERT_TRUE(cam.ok()) << cam.error().message;
  (*cam)->start();
  (*cam)->wait();

  const auto out = ctx.on("output1");
  ASSERT_EQ(out.size(), 3u);
  const char* expected[] = {"Apple", "Apple", "Banana"};  // by file name: apple1, apple2, banana2
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(top_tag(out[i].body), expected[i]) << i;
    EXPECT_EQ(out[i].content_type, "application/json");
    EXPECT_EQ(out[i].content_encoding, "utf-8");
    EXPECT_EQ(out[i].properties.at("camera"), "kitchen");
    EXPECT_EQ(out[i].properties.at("frameNumber"), std::to_string(i + 1));
    EXPECT_EQ(out[i].properties.at("captureTime").size(), 24u);  // 2026-11-25T12:00:00.123Z
    EXPECT_FALSE(out[i].system.message_id.empty());
  }
  const auto health = ctx.on("health");
  ASSERT_EQ(health.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(health[0].body)["state"], "live");
  EXPECT_EQ(nlohmann::json::parse(health[1].body)["state"], "ended");
  const auto c = (*cam)->counters();
  EXPECT_EQ(c.inferred, 3u);
  EXPECT_EQ(c.sent, 3u);
  EXPECT_EQ(ctx.metrics().value("vigil_camera_frames_inferred_total", {{"camera", "kitchen"}}), 3);
  std::filesystem::remove_all(dir);
}

TEST(CameraModule, StaticSceneSkipsInferenceButRechecks) {
  REQUIRE_FILE(test::shared_path("media/apple1.jpg"));
  CameraSettings s;
  s.video_path = test::shared_path("media/apple1.jpg");  // one still image, looping: a static scene
  s.endpoint = "builtin:person";
  s.capture_fps = 50;
  s.motion_recheck_s = 0.5;
  CollectingContext ctx;
  auto cam = make_camera_module(ctx, s, load_models());
  ASSERT_TRUE(cam.ok()) << cam.error().message;
  (*cam)->start();
  // Until 150 frames went through, however fast this machine is (3 s at 50 fps; up to 45 s): the first second (the
  // hold after the first frame's "motion") is inferred, then one recheck every 0.5 s, so at any rate most are skipped.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
  while ((*cam)->counters().processed < 150 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  (*cam)->stop();
  const auto c = (*cam)->counters();
  ASSERT_GE(c.processed, 150u);
  EXPECT_GE(c.skipped, c.processed / 2) << "processed " << c.processed << ", inferred " << c.inferred;
  EXPECT_GE(c.inferred, 2u);
  EXPECT_EQ(c.inferred + c.skipped, c.processed);
}

TEST(CameraModule, BadEndpointIsNamed) {
  CameraSettings s;
  s.video_path = "/nonexistent.avi";
  s.endpoint = "/nonexistent-model-folder";
  CollectingContext ctx;
  auto cam = make_camera_module(ctx, s, load_models());
  ASSERT_FALSE(cam.ok());
  EXPECT_NE(cam.error().message.find("IMAGE_PROCESSING_ENDPOINT"), std::string::npos) << cam.error().message;
}
