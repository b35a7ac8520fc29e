// Camera settings as the tutorial writes them, and the errors for bad values; VIDEO_PATH forms.
#include <gtest/gtest.h>

#include <set>

#include "capture/camera_settings.h"
#include "capture/frame_source.h"

using namespace vigil::capture;

TEST(CameraSettings, DefaultsMatchTheTutorial) {
  auto s = parse_camera_settings({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->video_path, "0");
  EXPECT_EQ(s->endpoint, "");
  EXPECT_FALSE(s->show_video);
  EXPECT_TRUE(s->loop_video);
  EXPECT_FALSE(s->convert_to_gray);
  EXPECT_EQ(s->resize_width, 0);
  EXPECT_EQ(s->preview_port, 5012);
}

TEST(CameraSettings, TutorialValuesParse) {
  auto s = parse_camera_settings({{"VIDEO_PATH", "/dev/video1"},
                                  {"IMAGE_PROCESSING_ENDPOINT", "http://custom-vision-module:80/image"},
                                  {"SHOW_VIDEO", "True"},
                                  {"VERBOSE", "FALSE"},
                                  {"LOOP_VIDEO", "false"},
                                  {"CONVERT_TO_GRAY", "True"},
                                  {"RESIZE_WIDTH", "256"},
                                  {"RESIZE_HEIGHT", "256"},
                                  {"UNRELATED_VARIABLE", "whatever"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->video_path, "/dev/video1");
  EXPECT_EQ(s->endpoint, "http://custom-vision-module:80/image");
  EXPECT_TRUE(s->show_video);
  EXPECT_FALSE(s->verbose);
  EXPECT_FALSE(s->loop_video);
  EXPECT_TRUE(s->convert_to_gray);
  EXPECT_EQ(s->resize_width, 256);
  EXPECT_EQ(s->resize_height, 256);
}

TEST(CameraSettings, BadValuesNameTheSetting) {
  const std::pair<const char*, const char*> cases[] = {
      {"SHOW_VIDEO", "maybe"},  {"LOOP_VIDEO", ""},        {"RESIZE_WIDTH", "-5"},     {"RESIZE_HEIGHT", "12px"},
      {"PREVIEW_PORT", "70000"}, {"MAX_FPS", "fast"},      {"MOTION_THRESHOLD", "2"},  {"STALL_SECONDS", "0"},
      {"IMAGE_PROCESSING_PARAMS", "{not json"}, {"RESIZE_WIDTH", "1e3"}};
  for (const auto& [name, value] : cases) {
    auto s = parse_camera_settings({{name, value}});
    ASSERT_FALSE(s.ok()) << name << "=" << value;
    EXPECT_NE(s.error().message.find(name), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().code, vigil::ErrorCode::InvalidArgument);
  }
}

TEST(CameraSettings, ParamsBecomeAQueryString) {
  EXPECT_EQ(query_from_params("").value(), "");
  EXPECT_EQ(query_from_params("?iterationId=abc&application=x").value(), "iterationId=abc&application=x");
  EXPECT_EQ(query_from_params(R"({"application": "my app", "top": 3})").value(), "application=my%20app&top=3");
  EXPECT_FALSE(query_from_params("a b").ok());
}

TEST(CameraSettings, EverySettingIsDocumentedOnce) {
  std::set<std::string> names;
  for (const auto& d : camera_setting_docs()) {
    EXPECT_FALSE(d.help.empty()) << d.name;
    EXPECT_TRUE(names.insert(d.name).second) << "declared twice: " << d.name;
    // Each documented default parses as itself.
    auto s = parse_camera_settings({{d.name, d.default_value}});
    if (d.default_value.empty() && d.name != "VIDEO_PATH") continue;
    EXPECT_TRUE(s.ok()) << d.name << ": " << (s.ok() ? "" : s.error().message);
  }
  for (const char* tutorial : {"VIDEO_PATH", "IMAGE_PROCESSING_ENDPOINT", "IMAGE_PROCESSING_PARAMS", "SHOW_VIDEO",
                               "VERBOSE", "LOOP_VIDEO", "CONVERT_TO_GRAY", "RESIZE_WIDTH", "RESIZE_HEIGHT"})
    EXPECT_TRUE(names.count(tutorial)) << tutorial;
}

TEST(SourceSpec, FormsOfVideoPath) {
  struct Case {
    const char* text;
    bool dir;
    SourceKind kind;
    int index;
  } cases[] = {
      {"0", false, SourceKind::Device, 0},
      {"2", false, SourceKind::Device, 2},
      {"/dev/video1", false, SourceKind::Device, -1},
      {"rtsp://user:pw@10.0.0.5:554/stream1", false, SourceKind::Stream, -1},
      {"http://127.0.0.1:8081/video.mjpg", false, SourceKind::Stream, -1},
      {"HTTPS://cam.example/live", false, SourceKind::Stream, -1},
      {"videotestsrc ! videoconvert ! appsink", false, SourceKind::Stream, -1},
      {"/data/clip.mp4", false, SourceKind::File, -1},
      {"file:///data/clip.mp4", false, SourceKind::File, -1},
      {"/data/frames", true, SourceKind::ImageFolder, -1},
      {"  ./relative.avi \n", false, SourceKind::File, -1},
  };
  for (const auto& c : cases) {
    auto s = parse_source_spec(c.text, c.dir);
    ASSERT_TRUE(s.ok()) << c.text;
    EXPECT_EQ(s->kind, c.kind) << c.text;
    EXPECT_EQ(s->device_index, c.index) << c.text;
  }
  EXPECT_EQ(parse_source_spec("file:///data/clip.mp4", false)->location, "/data/clip.mp4");
  EXPECT_TRUE(parse_source_spec("a ! b ! appsink", false)->gstreamer_pipeline);
  EXPECT_FALSE(parse_source_spec("", false).ok());
  EXPECT_FALSE(parse_source_spec("12345", false).ok());
  auto ftp = parse_source_spec("ftp://host/x.avi", false);
  ASSERT_FALSE(ftp.ok());
  EXPECT_NE(ftp.error().message.find("ftp"), std::string::npos);
}
