// The capture loop with real sources (an image folder, vtest.avi) and with a scripted flaky source: every
// frame in order when lossless, newest-frame-wins when live, reconnect with back-off, health reports.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <deque>
#include <filesystem>
#include <fstream>

#include "capture/capture_loop.h"
#include "capture/image_folder_source.h"
#include "test_support.h"

using namespace vigil;
using namespace vigil::capture;
using namespace std::chrono_literals;

namespace {

std::string make_folder(int n) {
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-frames-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    cv::Mat img(48, 64, CV_8UC3, cv::Scalar(i * 10, 0, 0));
    char name[32];
    std::snprintf(name, sizeof name, "f%03d.png", i);
    cv::imwrite((dir / name).string(), img);
  }
  std::ofstream((dir / "zz-notes.txt").string()) << "not an image";
  return dir.string();
}

// A source that follows a script: "F" a frame, "E" a read error, "O" an open failure.
class ScriptedSource : public FrameSource {
 public:
  explicit ScriptedSource(std::string script) : script_(std::move(script)) {}
  Status open() override {
    ++opens;
    if (pos_ < script_.size() && script_[pos_] == 'O') {
      ++pos_;
      return make_error(ErrorCode::Unavailable, "connection refused");
    }
    return ok_status();
  }
  Result<cv::Mat> read() override {
    if (pos_ >= script_.size()) {
      std::this_thread::sleep_for(5ms);
      return make_error(ErrorCode::Unavailable, "script over");
    }
    const char c = script_[pos_++];
    if (c == 'E') return make_error(ErrorCode::Unavailable, "the stream stopped sending frames");
    return cv::Mat(8, 8, CV_8UC3, cv::Scalar(static_cast<double>(pos_), 0, 0));
  }
  void close() override {}
  double native_fps() const override { return 0; }
  int opens = 0;

 private:
  std::string script_;
  std::size_t pos_ = 0;
};

}  // namespace

TEST(CaptureLoop, LosslessFolderGivesEveryFrameInOrderThenEnds) {
  const std::string dir = make_folder(12);
  SourceOptions so;
  so.loop = false;
  CaptureOptions co;
  co.kind = SourceKind::ImageFolder;
  co.realtime = false;
  std::vector<Health> states;
  CaptureLoop loop(std::make_unique<ImageFolderSource>(dir, so), co, [&](const HealthChange& c) { states.push_back(c.to); });
  loop.start();
  std::vector<double> blues;
  std::uint64_t last = 0;
  for (;;) {
    auto f = loop.next(last, 2s);
    if (!f) break;
    EXPECT_EQ(f->number, last + 1);
    last = f->number;
    blues.push_back(f->image.at<cv::Vec3b>(0, 0)[0]);
    std::this_thread::sleep_for(3ms);  // a slow consumer loses nothing in lossless mode
  }
  EXPECT_TRUE(loop.ended());
  ASSERT_EQ(blues.size(), 12u);  // the .txt file is skipped
  for (int i = 0; i < 12; ++i) EXPECT_EQ(blues[i], i * 10);
  EXPECT_EQ(loop.dropped(), 0u);
  EXPECT_EQ(states, (std::vector<Health>{Health::Live, Health::Ended}));
  std::filesystem::remove_all(dir);
}

TEST(CaptureLoop, RealtimeFolderPlaysAtItsFrameRate) {
  const std::string dir = make_folder(5);
  SourceOptions so;
  so.loop = true;
  so.fps = 20;
  CaptureOptions co;
  co.kind = SourceKind::ImageFolder;
  CaptureLoop loop(std::make_unique<ImageFolderSource>(dir, so), co, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  loop.start();
  std::this_thread::sleep_for(1s);
  loop.stop();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // 20 frames a second, looping over 5 images; nobody consumes, so all but the newest are dropped.
  EXPECT_NEAR(static_cast<double>(loop.captured()), 20 * secs, 4);
  EXPECT_EQ(loop.dropped(), loop.captured() - 1);
  std::filesystem::remove_all(dir);
}

TEST(CaptureLoop, ReconnectsWithBackoffAndReportsHealth) {
  auto source = std::make_unique<ScriptedSource>("OOFFFEOFFF");
  auto* raw = source.get();
  CaptureOptions co;
  co.kind = SourceKind::Stream;
  co.reconnect_initial_s = 0.01;
  co.reconnect_max_s = 0.05;
  std::mutex m;
  std::vector<std::pair<Health, std::string>> changes;
  CaptureLoop loop(std::move(source), co, [&](const HealthChange& c) {
    std::lock_guard lock(m);
    changes.emplace_back(c.to, c.reason);
  });
  loop.start();
  std::uint64_t last = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (loop.captured() < 6 && std::chrono::steady_clock::now() < deadline) {
    if (auto f = loop.next(last, 50ms)) last = f->number;
  }
  std::this_thread::sleep_for(50ms);
  loop.stop();
  EXPECT_EQ(loop.captured(), 6u);
  EXPECT_GE(raw->opens, 5);  // two refused, one good, one after the read error (+ one more), …
  EXPECT_GE(loop.reconnects(), 2u);
  std::lock_guard lock(m);
  ASSERT_GE(changes.size(), 4u);
  EXPECT_EQ(changes[0].first, Health::Lost);
  EXPECT_EQ(changes[0].second, "connection refused");
  EXPECT_EQ(changes[1].first, Health::Live);
  EXPECT_EQ(changes[2].first, Health::Lost);
  EXPECT_EQ(changes[2].second, "the stream stopped sending frames");
  EXPECT_EQ(changes[3].first, Health::Live);
}

TEST(CaptureLoop, VtestFileThroughOpenCv) {
  REQUIRE_FILE(test::kVtest);
  auto spec = parse_source_spec(test::kVtest, false);
  ASSERT_TRUE(spec.ok());
  SourceOptions so;
  so.loop = false;
  auto source = make_frame_source(*spec, so);
  ASSERT_TRUE(source->open().ok());
  EXPECT_NEAR(source->native_fps(), 10, 0.01);
  auto f = source->read();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->cols, 768);
  EXPECT_EQ(f->rows, 576);

  auto missing = make_frame_source(*parse_source_spec("/nonexistent/clip.avi", false), so);
  auto s = missing->open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::NotFound);
  EXPECT_NE(s.error().message.find("VIDEO_PATH"), std::string::npos);
}
