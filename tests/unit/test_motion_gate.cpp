// The motion gate: its pure decision table, the changed-pixel fraction against a counted reference, and
// its behaviour on real frames (a static scene is skipped, an object appearing is inferred at once).
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "capture/motion_gate.h"
#include "test_support.h"

using namespace vigil::capture;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(MotionGate, DecisionTable) {
  MotionOptions o;
  o.threshold = 0.01;
  o.recheck_s = 5;
  o.hold_s = 1;
  EXPECT_TRUE(MotionGate::decide(o, true, 0, 0, 0).infer);
  EXPECT_STREQ(MotionGate::decide(o, false, 0.02, 10, 0.1).reason, "motion");
  EXPECT_STREQ(MotionGate::decide(o, false, 0.001, 0.5, 0.1).reason, "hold");
  EXPECT_STREQ(MotionGate::decide(o, false, 0.001, 3, 5).reason, "recheck");
  auto v = MotionGate::decide(o, false, 0.001, 3, 4.9);
  EXPECT_FALSE(v.infer);
  EXPECT_STREQ(v.reason, "static");
}

TEST(MotionGate, ChangedFractionMatchesACountedReference) {
  cv::RNG rng(7);
  cv::Mat gray(90, 160, CV_8U), bg(90, 160, CV_32F);
  rng.fill(gray, cv::RNG::UNIFORM, 0, 256);
  rng.fill(bg, cv::RNG::UNIFORM, 0, 256);
  int changed = 0;
  for (int y = 0; y < gray.rows; ++y)
    for (int x = 0; x < gray.cols; ++x) {
      const int b = cv::saturate_cast<uchar>(bg.at<float>(y, x));
      changed += std::abs(gray.at<uchar>(y, x) - b) > 25;
    }
  EXPECT_DOUBLE_EQ(changed_fraction(gray, bg, 25), static_cast<double>(changed) / gray.total());
}

TEST(MotionGate, StaticSceneIsSkippedAndAnObjectIsNot) {
  cv::Mat scene(480, 640, CV_8UC3);
  cv::randu(scene, 0, 255);
  cv::GaussianBlur(scene, scene, {21, 21}, 0);
  MotionOptions o;
  o.recheck_s = 5;
  MotionGate gate(o);
  Clock::time_point t{};
  EXPECT_TRUE(gate.check(scene, t).infer);  // first frame
  int inferred = 0;
  for (int i = 1; i <= 40; ++i) {  // 4 s of the same scene at 10 fps, after the 1 s hold
    t += 100ms;
    inferred += gate.check(scene, t).infer;
  }
  EXPECT_LE(inferred, 11);  // only the hold second
  // A person-sized object walks in: inferred on that very frame.
  cv::Mat with = scene.clone();
  cv::rectangle(with, {300, 200, 40, 110}, {20, 20, 200}, cv::FILLED);
  t += 100ms;
  auto v = gate.check(with, t);
  EXPECT_TRUE(v.infer);
  EXPECT_STREQ(v.reason, "motion");
  // Static again: the gate re-checks after recheck_s even without motion.
  int rechecks = 0;
  for (int i = 0; i < 200; ++i) {
    t += 100ms;
    auto r = gate.check(with, t);
    rechecks += std::string(r.reason) == "recheck";
  }
  EXPECT_GE(rechecks, 3);
  EXPECT_LE(rechecks, 4);
}

TEST(MotionGate, PedestriansOnVtestCountAsMotion) {
  REQUIRE_FILE(vigil::test::kVtest);
  cv::VideoCapture cap(vigil::test::kVtest);
  MotionGate gate({});
  Clock::time_point t{};
  int motion = 0;
  cv::Mat frame;
  for (int i = 0; i < 60 && cap.read(frame); ++i) {
    t += 100ms;
    motion += std::string(gate.check(frame, t).reason) == "motion";
  }
  EXPECT_GE(motion, 50);  // people walk through every frame
}
