// Decoding and NMS against naive references written straight from the definitions.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "vision/decode.h"

using namespace vigil::vision;

namespace {

// IoU by counting cells of a fine grid: slow, obviously right.
double naive_iou(const Box& a, const Box& b) {
  const int n = 400;
  long inter = 0, uni = 0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double px = (x + 0.5) / n, py = (y + 0.5) / n;
      const bool ina = px >= a.left && px < a.left + a.width && py >= a.top && py < a.top + a.height;
      const bool inb = px >= b.left && px < b.left + b.width && py >= b.top && py < b.top + b.height;
      inter += ina && inb;
      uni += ina || inb;
    }
  return uni ? static_cast<double>(inter) / uni : 0.0;
}

// NMS by its definition: a box is kept iff no kept box of higher rank (score, then input order) overlaps it
// too much. Evaluated by recursion over ranks, with no sorting shortcut shared with the code under test.
std::vector<int> naive_nms(const std::vector<Detection>& d, float thr, bool agnostic) {
  const int n = static_cast<int>(d.size());
  auto outranks = [&](int i, int j) { return d[i].score > d[j].score || (d[i].score == d[j].score && i < j); };
  std::vector<int> state(n, -1);  // -1 unknown, 0 dropped, 1 kept
  std::function<bool(int)> kept = [&](int j) {
    if (state[j] >= 0) return state[j] == 1;
    bool keep = true;
    for (int i = 0; i < n && keep; ++i)
      if (i != j && outranks(i, j) && (agnostic || d[i].cls == d[j].cls) && iou(d[i].box, d[j].box) > thr && kept(i))
        keep = false;
    state[j] = keep;
    return keep;
  };
  std::vector<int> out;
  for (int j = 0; j < n; ++j)
    if (kept(j)) out.push_back(j);
  std::sort(out.begin(), out.end(), [&](int a, int b) { return outranks(a, b); });
  return out;
}

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

}  // namespace

TEST(Decode, IouMatchesCellCounting) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.f, 0.6f);
  for (int t = 0; t < 30; ++t) {
    Box a{u(rng), u(rng), u(rng) + 0.05f, u(rng) + 0.05f}, b{u(rng), u(rng), u(rng) + 0.05f, u(rng) + 0.05f};
    EXPECT_NEAR(iou(a, b), naive_iou(a, b), 0.02) << t;
  }
  EXPECT_FLOAT_EQ(iou({0, 0, 0.5f, 0.5f}, {0, 0, 0.5f, 0.5f}), 1.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 0.2f, 0.2f}, {0.5f, 0.5f, 0.2f, 0.2f}), 0.f);
}

TEST(Decode, NmsMatchesDefinitionOnRandomBoxes) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> pos(0.f, 0.7f), size(0.05f, 0.3f), score(0.f, 1.f);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Detection> dets;
    const int n = 1 + trial % 25;
    for (int i = 0; i < n; ++i)
      dets.push_back({static_cast<int>(rng() % 3), score(rng), {pos(rng), pos(rng), size(rng), size(rng)}});
    for (bool agnostic : {true, false}) {
      auto got = nms(dets, 0.45f, agnostic, 1000);
      auto want = naive_nms(dets, 0.45f, agnostic);
      ASSERT_EQ(got.size(), want.size()) << "trial " << trial;
      for (std::size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(got[k].score, dets[want[k]].score);
        EXPECT_EQ(got[k].cls, dets[want[k]].cls);
      }
    }
  }
}

TEST(Decode, NmsCapsAndSorts) {
  std::vector<Detection> dets;
  for (int i = 0; i < 10; ++i) dets.push_back({0, 0.1f * i, {0.09f * i, 0, 0.05f, 0.05f}});
  auto kept = nms(dets, 0.45f, true, 3);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_FLOAT_EQ(kept[2].score, 0.7f);
}

TEST(Decode, YoloRowsKeepBestClassAboveThreshold) {
  // cx cy w h obj s0 s1 s2
  const float rows[] = {0.5f, 0.5f, 0.2f, 0.4f, 0.9f, 0.1f, 0.8f, 0.3f,   // class 1 at 0.8
                        0.1f, 0.1f, 0.4f, 0.4f, 0.9f, 0.1f, 0.2f, 0.24f,  // best 0.24 < 0.25: dropped
                        0.95f, 0.5f, 0.2f, 0.2f, 0.9f, 0.5f, 0.f, 0.f};   // off the right edge: clamped
  auto d = decode_yolo_rows(rows, 3, 8, 0.25f);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].cls, 1);
  EXPECT_FLOAT_EQ(d[0].score, 0.8f);
  EXPECT_NEAR(d[0].box.left, 0.4f, 1e-6);
  EXPECT_NEAR(d[0].box.top, 0.3f, 1e-6);
  EXPECT_NEAR(d[0].box.height, 0.4f, 1e-6);
  EXPECT_NEAR(d[1].box.left + d[1].box.width, 1.f, 1e-6);
  EXPECT_NEAR(d[1].box.width, 0.15f, 1e-6);
}

TEST(Decode, CustomVisionGridMatchesSpecFormulas) {
  const int A = 5, C = 3, H = 3, W = 4, K = A * (5 + C);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 1.5f);
  std::vector<float> grid(static_cast<std::size_t>(K * H * W));
  for (auto& v : grid) v = nd(rng);
  auto got = decode_customvision_grid(grid.data(), K, H, W, C, 0.05f);

  // Reference straight from spec §5, in double precision, cell by cell.
  std::vector<Detection> want;
  auto at = [&](int ch, int i, int j) { return static_cast<double>(grid[(ch * H + i) * W + j]); };
  for (int i = 0; i < H; ++i)
    for (int j = 0; j < W; ++j)
      for (int a = 0; a < A; ++a) {
        const int b = a * (5 + C);
        double e[C], sum = 0;
        for (int c = 0; c < C; ++c) sum += (e[c] = std::exp(at(b + 5 + c, i, j)));
        int best = 0;
        for (int c = 1; c < C; ++c) if (e[c] > e[best]) best = c;
        const double score = e[best] / sum * sigmoid(static_cast<float>(at(b + 4, i, j)));
        if (score < 0.05) continue;
        const double x = (at(b, i, j) + j) / W, y = (at(b + 1, i, j) + i) / H;
        const double w = std::exp(at(b + 2, i, j)) * kCustomVisionAnchors[a].first / W;
        const double h = std::exp(at(b + 3, i, j)) * kCustomVisionAnchors[a].second / H;
        want.push_back({best, static_cast<float>(score), clamp_box(float(x - w / 2), float(y - h / 2), float(w), float(h))});
      }
  ASSERT_EQ(got.size(), want.size());
  ASSERT_GT(got.size(), 3u);
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k].cls, want[k].cls);
    EXPECT_NEAR(got[k].score, want[k].score, 1e-5);
    EXPECT_NEAR(got[k].box.left, want[k].box.left, 1e-5);
    EXPECT_NEAR(got[k].box.top, want[k].box.top, 1e-5);
    EXPECT_NEAR(got[k].box.width, want[k].box.width, 1e-5);
    EXPECT_NEAR(got[k].box.height, want[k].box.height, 1e-5);
  }
}

TEST(Decode, GridWithWrongChannelCountGivesNothing) {
  std::vector<float> grid(36, 0.f);
  EXPECT_TRUE(decode_customvision_grid(grid.data(), 36, 1, 1, 3, 0.f).empty());
}
