// The source health state machine driven by a fake clock, the reconnect back-off, and frame fingerprints.
#include <gtest/gtest.h>

#include "capture/health.h"

using namespace vigil::capture;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(Health, ConnectingLiveStalledLiveLostLive) {
  const Clock::time_point t0{};
  HealthTracker h(5.0, /*detect_frozen=*/true, t0);
  EXPECT_EQ(h.state(), Health::Connecting);
  auto c = h.on_frame(1, t0 + 1s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->from, Health::Connecting);
  EXPECT_EQ(c->to, Health::Live);
  EXPECT_FALSE(h.on_frame(2, t0 + 2s));   // still live: no new report
  EXPECT_FALSE(h.on_tick(t0 + 6s));       // 4 s since the last new frame
  c = h.on_tick(t0 + 7s);                 // 5 s
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to, Health::Stalled);
  EXPECT_NE(c->reason.find("no new frame"), std::string::npos) << c->reason;
  c = h.on_frame(3, t0 + 8s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->from, Health::Stalled);
  EXPECT_EQ(c->to, Health::Live);
  c = h.on_failure("the stream stopped sending frames", t0 + 9s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to, Health::Lost);
  EXPECT_FALSE(h.on_failure("connection refused", t0 + 10s));  // one report per change
  EXPECT_EQ(h.reason(), "connection refused");                   // but the latest cause is kept
  EXPECT_FALSE(h.on_tick(t0 + 60s));                             // lost does not become stalled
  c = h.on_frame(4, t0 + 61s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->from, Health::Lost);
  EXPECT_EQ(c->to, Health::Live);
}

TEST(Health, AFrozenStreamStalls) {
  const Clock::time_point t0{};
  HealthTracker h(2.0, true, t0);
  ASSERT_TRUE(h.on_frame(42, t0));
  for (int i = 1; i < 20; ++i) {
    auto c = h.on_frame(42, t0 + i * 100ms);  // the same picture again and again
    EXPECT_FALSE(c) << i;
  }
  auto c = h.on_frame(42, t0 + 2100ms);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to, Health::Stalled);
  EXPECT_NE(c->reason.find("same frame"), std::string::npos) << c->reason;
  c = h.on_frame(43, t0 + 2200ms);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to, Health::Live);
}

TEST(Health, FilesDoNotCountRepeatsAndEnd) {
  const Clock::time_point t0{};
  HealthTracker h(1.0, /*detect_frozen=*/false, t0);
  ASSERT_TRUE(h.on_frame(7, t0));
  EXPECT_FALSE(h.on_frame(7, t0 + 900ms));
  EXPECT_FALSE(h.on_frame(7, t0 + 1800ms));  // identical frames are still new frames for a file
  auto c = h.on_end(t0 + 2s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to, Health::Ended);
  EXPECT_FALSE(h.on_failure("x", t0 + 3s));
  EXPECT_FALSE(h.on_frame(8, t0 + 3s));
  EXPECT_EQ(h.state(), Health::Ended);
}

TEST(Backoff, DoublesUpToTheCapAndResets) {
  Backoff b(0.5, 30);
  const double expected[] = {0.5, 1, 2, 4, 8, 16, 30, 30, 30};
  for (double e : expected) EXPECT_DOUBLE_EQ(b.next_delay_s(), e);
  b.reset();
  EXPECT_DOUBLE_EQ(b.next_delay_s(), 0.5);
  Backoff many(1, 300);
  for (int i = 0; i < 100; ++i) EXPECT_LE(many.next_delay_s(), 300);
}

TEST(Fingerprint, SeesChangesAndIgnoresCopies) {
  cv::Mat a(120, 160, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::Mat b = a.clone();
  EXPECT_EQ(frame_fingerprint(a), frame_fingerprint(b));
  b.at<cv::Vec3b>(0, 77)[1] = 21;  // one channel of one pixel in a sampled row
  EXPECT_NE(frame_fingerprint(a), frame_fingerprint(b));
}
