#include "track/tracker.h"

#include <algorithm>

#include "track/assignment.h"

namespace vigil::track {

double iou(const vision::Box& a, const vision::Box& b) {
  const double x1 = std::max(a.left, b.left), y1 = std::max(a.top, b.top);
  const double x2 = std::min(a.left + a.width, b.left + b.width), y2 = std::min(a.top + a.height, b.top + b.height);
  const double inter = std::max(0.0, x2 - x1) * std::max(0.0, y2 - y1);
  const double uni = static_cast<double>(a.width) * a.height + static_cast<double>(b.width) * b.height - inter;
  return uni > 0 ? inter / uni : 0;
}

std::vector<std::pair<std::size_t, std::size_t>> Tracker::associate(const std::vector<Detection>& detections,
                                                                    const std::vector<std::size_t>& candidates,
                                                                    const std::vector<std::size_t>& pool,
                                                                    double min_iou) const {
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  if (candidates.empty() || pool.empty()) return pairs;
  const double forbidden = 1.0 - min_iou + 1e-9;  // cost above this: no match
  std::vector<std::vector<double>> cost(candidates.size(), std::vector<double>(pool.size(), 2.0));
  for (std::size_t r = 0; r < candidates.size(); ++r) {
    const Detection& d = detections[candidates[r]];
    for (std::size_t c = 0; c < pool.size(); ++c) {
      const Track& t = live_[pool[c]].track;
      if (t.tag == d.tag) cost[r][c] = 1.0 - iou(d.box, t.box);
    }
  }
  const auto match = min_cost_assignment(cost, forbidden);
  for (std::size_t r = 0; r < match.size(); ++r)
    if (match[r] >= 0) pairs.emplace_back(candidates[r], pool[static_cast<std::size_t>(match[r])]);
  return pairs;
}

TrackerStep Tracker::update(const std::vector<Detection>& detections, double t_s) {
  const double dt = started_ ? std::max(0.0, t_s - now_s_) : 0.0;
  now_s_ = started_ ? std::max(now_s_, t_s) : t_s;
  started_ = true;
  for (auto& l : live_) {
    l.filter.predict(dt);
    l.track.box = l.filter.box();
  }

  std::vector<std::size_t> high, low, all_tracks;
  for (std::size_t i = 0; i < detections.size(); ++i) {
    if (detections[i].score >= options_.high_score) high.push_back(i);
    else if (detections[i].score >= options_.low_score) low.push_back(i);
  }
  for (std::size_t i = 0; i < live_.size(); ++i) all_tracks.push_back(i);

  std::vector<bool> track_matched(live_.size(), false), detection_matched(detections.size(), false);
  auto pairs = associate(detections, high, all_tracks, options_.match_iou);
  std::vector<std::size_t> leftover;
  for (const auto& [d, t] : pairs) track_matched[t] = detection_matched[d] = true;
  for (std::size_t i = 0; i < live_.size(); ++i)
    if (!track_matched[i]) leftover.push_back(i);
  for (const auto& p : associate(detections, low, leftover, options_.low_match_iou)) {
    pairs.push_back(p);
    track_matched[p.second] = detection_matched[p.first] = true;
  }

  TrackerStep step;
  step.ids.assign(detections.size(), 0);
  for (const auto& [d, t] : pairs) {
    Live& l = live_[t];
    l.filter.update(detections[d].box);
    l.track.box = l.filter.box();
    l.track.last_box = detections[d].box;
    l.track.score = detections[d].score;
    l.track.last_s = now_s_;
    ++l.track.hits;
    ++l.track.streak;
    if (l.track.state == TrackState::Tentative && l.track.streak >= options_.confirm_hits) {
      l.track.state = TrackState::Confirmed;
      l.track.id = next_id_++;
    }
    if (l.track.state == TrackState::Confirmed) step.ids[d] = l.track.id;
  }

  std::vector<Live> kept;
  kept.reserve(live_.size() + high.size());
  for (std::size_t i = 0; i < live_.size(); ++i) {
    Live& l = live_[i];
    if (!track_matched[i]) {
      l.track.streak = 0;
      if (l.track.state == TrackState::Tentative) continue;  // dropped at its first miss
      if (now_s_ - l.track.last_s > options_.max_age_s) {
        l.track.state = TrackState::Ended;
        step.ended.push_back(l.track);
        continue;
      }
    }
    kept.push_back(std::move(l));
  }
  for (std::size_t d : high) {
    if (detection_matched[d]) continue;
    Live l{Track{}, BoxFilter(detections[d].box)};
    l.track.tag = detections[d].tag;
    l.track.box = l.track.last_box = detections[d].box;
    l.track.score = detections[d].score;
    l.track.first_s = l.track.last_s = now_s_;
    l.track.hits = l.track.streak = 1;
    if (options_.confirm_hits <= 1) {
      l.track.state = TrackState::Confirmed;
      l.track.id = next_id_++;
      step.ids[d] = l.track.id;
    }
    kept.push_back(std::move(l));
  }
  live_ = std::move(kept);
  return step;
}

std::vector<Track> Tracker::tracks() const {
  std::vector<Track> out;
  out.reserve(live_.size());
  for (const auto& l : live_) out.push_back(l.track);
  return out;
}

}  // namespace vigil::track
