// Inputs that once ended the process, kept as regression tests: ports beyond an int in URIs and manifests, NaN and
// infinite numbers in camera settings, a frame source and a model that throw (a bug in a part ends that part, never
// the process: the exception boundaries of core/guard.h), and a full disk under status.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "capture/camera_module.h"
#include "capture/camera_settings.h"
#include "core/guard.h"
#include "core/net.h"
#include "core/text.h"
#include "deploy/state_dir.h"
#include "hub/mqtt_client.h"
#include "vision/model_runner.h"

using namespace vigil;

TEST(CrashInputs, PortsBeyondRangeAreErrorsNotAborts) {
  for (const char* uri : {"mqtt://host:99999999999", "mqtt://host:0", "mqtt://host:65536", "mqtts://u:p@h:18446744073709551617/x"}) {
    auto o = hub::parse_mqtt_uri(uri);
    ASSERT_FALSE(o.ok()) << uri;
    EXPECT_NE(o.error().message.find("1 to 65535"), std::string::npos) << o.error().message;
  }
  EXPECT_EQ(hub::parse_mqtt_uri("mqtt://host:1883")->port, 1883);
  EXPECT_FALSE(endpoint_host("http://host:99999999999/x").has_value());
  EXPECT_EQ(parse_port("65535"), 65535);
  EXPECT_FALSE(parse_port("0").has_value());
  EXPECT_EQ(parse_port("0", true), 0);
  for (const char* bad : {"", "-1", "+80", "80 ", "8o", "1e3", "99999999999999999999999"}) EXPECT_FALSE(parse_port(bad).has_value()) << bad;
}

TEST(CrashInputs, NonFiniteCameraNumbersAreRefusedByName) {
  for (const char* v : {"NaN", "nan", "inf", "-inf", "1e99"}) {
    auto s = capture::parse_camera_settings({{"MAX_FPS", v}});
    ASSERT_FALSE(s.ok()) << v;
    EXPECT_NE(s.error().message.find("MAX_FPS"), std::string::npos);
  }
  EXPECT_FALSE(capture::parse_camera_settings({{"TRACK_MAX_AGE_S", "nan"}}).ok());
}

namespace {

class ThrowingSource : public capture::FrameSource {
 public:
  Status open() override { return ok_status(); }
  Result<cv::Mat> read() override { throw std::runtime_error("a decoder bug"); }
  void close() override {}
  double native_fps() const override { return 10; }
};

class NullContext : public ModuleContext {
 public:
  const std::string& module_id() const override { return id_; }
  Metrics& metrics() override { return metrics_; }
  void send(const std::string&, Message) override {}

 private:
  std::string id_ = "cam";
  Metrics metrics_;
};

class ThrowingModel : public vision::Model {
 public:
  const vision::ModelInfo& info() const override { return info_; }
  Result<vision::PreparedInput> prepare(const cv::Mat& bgr) const override { return vision::PreparedInput{bgr, bgr.size()}; }
  Result<vision::RawOutput> infer(const vision::PreparedInput&) override { throw std::out_of_range("a label index"); }
  vision::Prediction decode(const vision::RawOutput&, const vision::PreparedInput&) const override { return {}; }

 private:
  vision::ModelInfo info_;
};

}  // namespace

TEST(CrashInputs, ASourceThatThrowsEndsItsCameraNotTheProcess) {
  NullContext ctx;
  capture::SourceSpec spec;
  spec.kind = capture::SourceKind::File;
  spec.location = "bug.avi";
  const auto before = guard_failures().load();
  capture::CameraModule cam(ctx, {}, spec, std::make_unique<ThrowingSource>(), nullptr);
  cam.start();
  cam.wait();  // returns: the capture thread's boundary ended the source, the camera saw the end
  EXPECT_TRUE(cam.finished());
  EXPECT_GT(guard_failures().load(), before);
}

TEST(CrashInputs, AModelThatThrowsAnswersAnErrorAndKeepsServing) {
  std::vector<std::unique_ptr<vision::Model>> models;
  models.push_back(std::make_unique<ThrowingModel>());
  vision::ModelRunner runner(std::move(models));
  const cv::Mat image(8, 8, CV_8UC3, cv::Scalar(1, 2, 3));
  for (int i = 0; i < 2; ++i) {  // the owner thread survives the first
    auto r = runner.predict(image);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
  }
}

TEST(CrashInputs, AFullDiskLeavesStatusJsonWhole) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-full-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto state = deploy::StateDir::open(dir.string());
  ASSERT_TRUE(state.ok()) << state.error().message;
  ASSERT_TRUE((*state)->write_json("status.json", {{"modules", 3}}).ok());
  // The next write lands on a full device (ENOSPC when the buffer is written, as on a full volume).
  std::filesystem::create_symlink("/dev/full", dir / "status.json.tmp");
  auto s = (*state)->write_json("status.json", {{"modules", std::string(100000, 'x')}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("disk full"), std::string::npos) << s.error().message;
  std::ifstream in(dir / "status.json");
  EXPECT_EQ(nlohmann::json::parse(in)["modules"], 3);  // the old file, whole
  state->reset();
  std::filesystem::remove_all(dir);
}

TEST(CrashInputs, AMisspelledCameraSettingIsWarnedAboutWithTheRightName) {
  const auto w = capture::unknown_setting_warnings({{"VIDEO_PAHT", "clip.mp4"}, {"MAX_FPS", "5"}, {"FAVOURITE_COLOUR", "red"}});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("FAVOURITE_COLOUR is not a camera setting"), std::string::npos) << w[0];
  EXPECT_EQ(w[0].find("did you mean"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("did you mean VIDEO_PATH?"), std::string::npos) << w[1];
}

TEST(CrashInputs, SecretsAreRedactedFromWhatIsShown) {
  EXPECT_EQ(redact_secrets("mqtts://alice:s3cret@broker:8883/alerts"), "mqtts://alice:***@broker:8883/alerts");
  EXPECT_EQ(redact_secrets("iothub:HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=abc+/=="),
            "iothub:HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=***");
  EXPECT_EQ(redact_secrets("http://127.0.0.1:8088/alerts#format=eventgrid&secret=change-me"),
            "http://127.0.0.1:8088/alerts#format=eventgrid&secret=***");
  EXPECT_EQ(redact_secrets("SharedAccessSignature sr=h%2Fdevices%2Fd&sig=AbC%3D&se=1"), "SharedAccessSignature sr=h%2Fdevices%2Fd&sig=***&se=1");
  EXPECT_EQ(redact_secrets("smtp://me%40x.com:pw@mail:587/?from=a@b&to=c@d"), "smtp://me%40x.com:***@mail:587/?from=a@b&to=c@d");
  EXPECT_EQ(redact_secrets("file:alerts.jsonl"), "file:alerts.jsonl");
  EXPECT_EQ(redact_secrets("https://user@host/x"), "https://user@host/x");
}

TEST(CrashInputs, AnMqttHostThatDoesNotResolveIsRetriedNotFatal) {
  auto o = hub::parse_mqtt_uri("mqtt://nohost.invalid:1883");  // .invalid never resolves (RFC 2606)
  ASSERT_TRUE(o.ok());
  hub::MqttClient client(*o);
  auto s = client.start();
  EXPECT_TRUE(s.ok()) << s.error().message;  // a box that boots before its network still starts
  EXPECT_FALSE(client.connected());
  client.stop();
}
