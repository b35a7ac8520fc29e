// The tracker's cost per frame (track/tracker.h) against its floor, in one run. For N boxes a frame (N people
// walking straight lines at random speeds across the picture, each missed 5 % of the time, plus 5 % false boxes):
//   floor:   the N×N IoU matrix alone, which any IoU tracker computes;
//   tracker: Tracker::update (Kalman predict, two Hungarian passes, births and deaths).
// Prints one JSON line per N. usage: vigil_tracker_bench [frames]
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "track/tracker.h"

using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

struct Walker {
  double x, y, vx, vy;
};

std::vector<std::vector<track::Detection>> scene(int n, int frames, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1), v(-0.02, 0.02);
  std::vector<Walker> w(static_cast<std::size_t>(n));
  for (auto& p : w) p = {u(rng), u(rng), v(rng), v(rng)};
  std::vector<std::vector<track::Detection>> out;
  for (int k = 0; k < frames; ++k) {
    std::vector<track::Detection> d;
    for (auto& p : w) {
      p.x += p.vx;
      p.y += p.vy;
      if (p.x < 0 || p.x > 1) p.vx = -p.vx;
      if (p.y < 0 || p.y > 1) p.vy = -p.vy;
      if (u(rng) < 0.05) continue;  // missed
      d.push_back({"person", static_cast<float>(0.5 + 0.5 * u(rng)),
                   {static_cast<float>(p.x - 0.02), static_cast<float>(p.y - 0.05), 0.04f, 0.1f}});
    }
    for (int i = 0; i < n / 20; ++i)  // false boxes
      d.push_back({"person", static_cast<float>(0.3 + 0.5 * u(rng)), {static_cast<float>(u(rng)), static_cast<float>(u(rng)), 0.04f, 0.1f}});
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int frames = argc > 1 ? std::atoi(argv[1]) : 2000;
  for (int n : {10, 50, 200}) {
    const auto s = scene(n, frames, 42);
    double sink = 0;
    auto t0 = Clock::now();
    for (const auto& d : s)
      for (const auto& a : d)
        for (const auto& b : d) sink += track::iou(a.box, b.box);
    const double floor_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / frames;
    track::Tracker tracker;
    std::size_t confirmed = 0;
    t0 = Clock::now();
    for (int k = 0; k < frames; ++k) {
      const auto step = tracker.update(s[static_cast<std::size_t>(k)], k * 0.1);
      for (auto id : step.ids) confirmed += id != 0;
    }
    const double tracker_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / frames;
    std::printf("{\"boxes\": %d, \"frames\": %d, \"floor_iou_matrix_us\": %.1f, \"tracker_us\": %.1f, \"ratio\": %.1f, "
                "\"tracked_fraction\": %.3f, \"sink\": %.0f}\n",
                n, frames, floor_us, tracker_us, tracker_us / floor_us,
                static_cast<double>(confirmed) / static_cast<double>(n) / frames, sink);
  }
  return 0;
}
