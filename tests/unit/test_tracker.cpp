// The tracker on synthetic box sequences, scored MOT-style against the known identities: objects crossing paths,
// an occlusion shorter than the max age, a new object after one left, confirmation, a tag never changing, ids only
// for confirmed tracks, frame time rather than frame count. The Hungarian assignment against brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "track/assignment.h"
#include "track/tracker.h"

using namespace vigil;
using namespace vigil::track;

namespace {

// One ground-truth object: where its box is at frame k (nullopt: not detected in that frame).
struct Truth {
  std::string tag;
  std::function<std::optional<vision::Box>(int)> at;
};

vision::Box box_at(double cx, double cy, double w = 0.08, double h = 0.2) {
  return {static_cast<float>(cx - w / 2), static_cast<float>(cy - h / 2), static_cast<float>(w), static_cast<float>(h)};
}

struct Score {
  int switches = 0;        // a truth object's id changed from one confirmed id to another
  int fragments = 0;       // frames a confirmed object was seen but had no id (after its first id)
  std::map<int, std::set<std::uint64_t>> ids;  // per truth object, every id it had
};

// Runs `frames` frames at `fps` through the tracker (detections shuffled each frame), scoring identity as MOT
// does: a switch is each change of a truth object's id from one non-zero id to another.
Score run(const std::vector<Truth>& truth, int frames, double fps, TrackerOptions o = {}, unsigned seed = 1) {
  Tracker tracker(o);
  std::mt19937 rng(seed);
  Score s;
  std::map<int, std::uint64_t> last;
  for (int k = 0; k < frames; ++k) {
    std::vector<Detection> dets;
    std::vector<int> owner;
    for (std::size_t i = 0; i < truth.size(); ++i)
      if (auto b = truth[i].at(k)) {
        dets.push_back({truth[i].tag, 0.9f, *b});
        owner.push_back(static_cast<int>(i));
      }
    std::vector<std::size_t> order(dets.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<Detection> shuffled;
    for (auto i : order) shuffled.push_back(dets[i]);
    const auto step = tracker.update(shuffled, k / fps);
    for (std::size_t j = 0; j < order.size(); ++j) {
      const int who = owner[order[j]];
      const std::uint64_t id = step.ids[j];
      if (id == 0) {
        if (last.count(who)) ++s.fragments;
        continue;
      }
      s.ids[who].insert(id);
      if (last.count(who) && last[who] != id) ++s.switches;
      last[who] = id;
    }
  }
  return s;
}

// A truth object moving in a straight line from (x0, y0) to (x1, y1) between frames f0 and f1.
Truth walker(std::string tag, int f0, int f1, double x0, double y0, double x1, double y1, std::set<int> hidden = {}) {
  return {std::move(tag), [=](int k) -> std::optional<vision::Box> {
            if (k < f0 || k > f1 || hidden.count(k)) return std::nullopt;
            const double a = f1 == f0 ? 0 : static_cast<double>(k - f0) / (f1 - f0);
            return box_at(x0 + a * (x1 - x0), y0 + a * (y1 - y0));
          }};
}

}  // namespace

TEST(Tracker, TwoPeopleCrossingPathsKeepTheirIds) {
  // Left-to-right and right-to-left on slightly different rows; their boxes overlap for several frames.
  const auto s = run({walker("person", 0, 60, 0.1, 0.50, 0.9, 0.55), walker("person", 0, 60, 0.9, 0.52, 0.1, 0.47)}, 61, 10);
  EXPECT_EQ(s.switches, 0);
  EXPECT_EQ(s.ids.at(0).size(), 1u);
  EXPECT_EQ(s.ids.at(1).size(), 1u);
  EXPECT_NE(*s.ids.at(0).begin(), *s.ids.at(1).begin());
}

TEST(Tracker, CrossingWithTheOneBehindHiddenKeepsBothIds) {
  // The second walker, a little farther away (higher in the picture), is not detected while the first passes in
  // front of it (frames 27-33 at 10 fps: 0.7 s).
  std::set<int> hidden;
  for (int k = 27; k <= 33; ++k) hidden.insert(k);
  const auto s = run({walker("person", 0, 60, 0.1, 0.50, 0.9, 0.50), walker("person", 0, 60, 0.9, 0.44, 0.1, 0.44, hidden)}, 61, 10);
  EXPECT_EQ(s.switches, 0);
  EXPECT_EQ(s.ids.at(0).size(), 1u);
  EXPECT_EQ(s.ids.at(1).size(), 1u);
}

TEST(Tracker, OcclusionShorterThanMaxAgeKeepsTheId) {
  std::set<int> hidden;
  for (int k = 20; k < 35; ++k) hidden.insert(k);  // 1.5 s at 10 fps, max age 2 s
  const auto s = run({walker("person", 0, 60, 0.2, 0.5, 0.6, 0.5, hidden)}, 61, 10);
  EXPECT_EQ(s.switches, 0);
  EXPECT_EQ(s.ids.at(0).size(), 1u);
}

TEST(Tracker, OcclusionLongerThanMaxAgeGivesANewId) {
  std::set<int> hidden;
  for (int k = 20; k < 45; ++k) hidden.insert(k);  // 2.5 s
  const auto s = run({walker("person", 0, 60, 0.2, 0.5, 0.6, 0.5, hidden)}, 61, 10);
  EXPECT_EQ(s.ids.at(0).size(), 2u);
}

TEST(Tracker, MaxAgeIsInSecondsNotFrames) {
  // The same 1.5 s gap at 30 fps (45 frames) keeps the id; ages follow the frames' timestamps.
  std::set<int> hidden;
  for (int k = 60; k < 105; ++k) hidden.insert(k);
  const auto s = run({walker("person", 0, 180, 0.2, 0.5, 0.6, 0.5, hidden)}, 181, 30);
  EXPECT_EQ(s.switches, 0);
  EXPECT_EQ(s.ids.at(0).size(), 1u);
}

TEST(Tracker, ANewObjectGetsANewIdAndEndedTracksAreReported) {
  Tracker t;
  std::vector<std::uint64_t> first_ids, second_ids;
  std::vector<Track> ended;
  for (int k = 0; k < 100; ++k) {
    std::vector<Detection> d;
    if (k < 30) d.push_back({"person", 0.9f, box_at(0.3 + 0.005 * k, 0.5)});
    if (k >= 60) d.push_back({"person", 0.9f, box_at(0.3 + 0.005 * (k - 60), 0.5)});  // same place, later
    auto step = t.update(d, k * 0.1);
    for (auto& e : step.ended) ended.push_back(e);
    if (!d.empty() && step.ids[0] != 0) (k < 30 ? first_ids : second_ids).push_back(step.ids[0]);
  }
  ASSERT_FALSE(first_ids.empty());
  ASSERT_FALSE(second_ids.empty());
  EXPECT_EQ(first_ids.front(), 1u);
  EXPECT_EQ(second_ids.front(), 2u);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].id, 1u);
  EXPECT_NEAR(ended[0].last_s - ended[0].first_s, 2.9, 1e-9);
}

TEST(Tracker, ConfirmsAfterNHitsAndNeverNumbersAFlash) {
  TrackerOptions o;
  o.confirm_hits = 3;
  Tracker t(o);
  // A one-frame false detection, then a real object.
  EXPECT_EQ(t.update({{"car", 0.9f, box_at(0.8, 0.8)}}, 0.0).ids[0], 0u);
  for (int k = 1; k <= 2; ++k) EXPECT_EQ(t.update({{"car", 0.9f, box_at(0.2, 0.5)}}, k * 0.1).ids[0], 0u);
  EXPECT_EQ(t.update({{"car", 0.9f, box_at(0.2, 0.5)}}, 0.3).ids[0], 1u);  // third hit in a row: id 1, not 2
}

TEST(Tracker, ATrackKeepsItsTag) {
  Tracker t;
  for (int k = 0; k < 5; ++k) t.update({{"person", 0.9f, box_at(0.5, 0.5)}}, k * 0.1);
  // A box of another tag at the same place is a new track, not the person relabelled.
  auto step = t.update({{"dog", 0.9f, box_at(0.5, 0.5)}}, 0.5);
  EXPECT_EQ(step.ids[0], 0u);
  bool found = false;
  for (const auto& tr : t.tracks()) {
    if (tr.id != 1) continue;
    found = true;
    EXPECT_EQ(tr.tag, "person");
  }
  EXPECT_TRUE(found);
}

TEST(Tracker, LowScoreBoxesExtendConfirmedTracksButStartNone) {
  Tracker t;
  for (int k = 0; k < 5; ++k) t.update({{"person", 0.9f, box_at(0.5, 0.5)}}, k * 0.1);
  // The person's score dips (partly hidden): pass 2 keeps the id.
  auto step = t.update({{"person", 0.3f, box_at(0.5, 0.5)}}, 0.5);
  EXPECT_EQ(step.ids[0], 1u);
  // A low-score box elsewhere never starts a track.
  for (int k = 6; k < 12; ++k) step = t.update({{"person", 0.3f, box_at(0.1, 0.1)}}, k * 0.1);
  EXPECT_EQ(step.ids[0], 0u);
}

TEST(Assignment, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + trial % 5, cols = 1 + (trial / 5) % 5;
    std::vector<std::vector<double>> c(rows, std::vector<double>(cols));
    for (auto& r : c)
      for (auto& x : r) x = u(rng);
    const double forbidden = 0.7;
    // Brute force: every injective map of the smaller side, cost of allowed pairs, count of allowed pairs.
    // The assignment minimises the square problem with forbidden pairs at `forbidden`: compare that objective.
    auto objective = [&](const std::vector<int>& a) {
      double total = 0;
      int used = 0;
      for (int r = 0; r < rows; ++r)
        if (a[r] >= 0) {
          total += std::min(c[r][a[r]], forbidden);
          ++used;
        }
      return total + (std::min(rows, cols) - used) * forbidden;
    };
    std::vector<int> perm(std::max(rows, cols));
    std::iota(perm.begin(), perm.end(), 0);
    double best = 1e9;
    do {
      std::vector<int> a(rows, -1);
      for (int r = 0; r < rows; ++r)
        if (rows <= cols || perm[r] < cols) a[r] = rows <= cols ? perm[r] : perm[r];
      for (int r = 0; r < rows; ++r)
        if (a[r] >= cols) a[r] = -1;
      best = std::min(best, objective(a));
    } while (std::next_permutation(perm.begin(), perm.end()));
    const auto got = min_cost_assignment(c, forbidden);
    std::set<int> cols_used;
    for (int r = 0; r < rows; ++r)
      if (got[r] >= 0) {
        EXPECT_LT(c[r][got[r]], forbidden);
        EXPECT_TRUE(cols_used.insert(got[r]).second);
      }
    EXPECT_NEAR(objective(got), best, 1e-9) << "trial " << trial;
  }
}
