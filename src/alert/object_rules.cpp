#include "alert/object_rules.h"

#include <algorithm>
#include <cstdio>

#include "track/tracker.h"

namespace vigil::alert {
namespace {

constexpr double kBestFrameWindowS = 1.0 - 1e-6;  // the snapshot is the object's best frame in its first second
constexpr double kMovedForS = 1.0;         // a quiet object must be away from its first place this long
constexpr double kSpotIou = 0.5;           // a new object this much over a remembered still spot is that object
constexpr double kSpotMemoryS = 3600;
constexpr double kForgetUnseenS = 60;      // an object never reported ended is dropped after this long unseen

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

double seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

bool tag_allowed(const AlertRules& rules, const std::string& tag) {
  return !rules.ignore.count(tag) && (rules.only.empty() || rules.only.count(tag));
}

}  // namespace

bool ObjectEngine::on_spot(const Camera& c, const std::string& tag, const vision::Box& box) const {
  for (const auto& s : c.spots)
    if (s.tag == tag && track::iou(s.box, box) >= kSpotIou) return true;
  for (const auto& [_, o] : c.objects)
    if (o.tag == tag && (o.stationary || (o.quiet && !o.moved)) && track::iou(o.box, box) >= kSpotIou) return true;
  return false;
}

ObjectEngine::Object& ObjectEngine::object_for(const AlertRules& rules, Camera& c, const vision::TagScore& t, double now_s) {
  auto it = c.objects.find(t.object_id);
  if (it != c.objects.end()) return it->second;
  Object o;
  o.id = t.object_id;
  o.tag = t.tag;
  o.first_s = now_s;
  o.first_box = o.box = t.box.value_or(vision::Box{});
  o.quiet = !rules.alert_on_stationary && (now_s - c.start_s < rules.stationary_s || on_spot(c, t.tag, o.box));
  return c.objects.emplace(t.object_id, std::move(o)).first->second;
}

// Position, motion and the stationary test; the best frame of its first second.
void ObjectEngine::follow(const AlertRules& rules, Object& o, const vision::TagScore& t, double now_s, std::uint64_t frame) {
  o.last_s = now_s;
  o.box = t.box.value_or(vision::Box{});
  o.score = t.probability;
  if (track::iou(o.box, o.first_box) < rules.stationary_iou) {
    if (o.away_since < 0) o.away_since = now_s;
    if (now_s - o.away_since >= kMovedForS) o.moved = true;
  } else {
    o.away_since = -1;
  }
  o.path.emplace_back(now_s, o.box);
  const double then = now_s - rules.stationary_s;
  while (o.path.size() > 1 && o.path[1].first <= then) o.path.pop_front();
  o.stationary = o.path.front().first <= then && track::iou(o.path.front().second, o.box) >= rules.stationary_iou;
  if (o.phase != Phase::Alerted && now_s - o.first_s < kBestFrameWindowS && t.probability > o.best_score) {
    o.best_score = t.probability;
    o.best_box = o.box;
    o.best_frame = frame;
  }
}

Decision ObjectEngine::event(const std::string& camera, const Object& o, const char* name) const {
  Decision d = make_decision(camera, o.tag, o.score, o.box);
  d.alert = true;
  d.object_id = o.id;
  d.event = name;
  return d;
}

void ObjectEngine::try_detect(const AlertRules& rules, Camera& c, Object& o, bool qualifies,
                              std::chrono::system_clock::time_point now, Decision& d) {
  const double now_s = seconds_of(now);
  o.history.push_back(qualifies);
  while (static_cast<int>(o.history.size()) > rules.confirm_m) o.history.pop_front();
  if (!qualifies) return;
  const int hits = static_cast<int>(std::count(o.history.begin(), o.history.end(), true));
  if (hits < rules.confirm_n) {
    d.trace.push_back({"confirm", false, std::to_string(hits) + " of its last " + std::to_string(o.history.size()) +
                                             " frames, " + std::to_string(rules.confirm_n) + " needed"});
    return;
  }
  d.trace.push_back({"confirm", true, std::to_string(hits) + " of its last " + std::to_string(o.history.size())});
  if (o.quiet && !o.moved) {
    d.trace.push_back({"stationary", false, "still since the camera started or on a parked spot; alerts once it moves "
                                            "(alertOnStationary: true alerts at once)"});
    return;
  }
  if (auto step = active_hours_step(rules, now)) {
    d.trace.push_back(*step);
    if (!step->passed) return;
  }
  if (auto last = c.last_alert.find(o.tag); rules.cooldown_s > 0 && last != c.last_alert.end()) {
    const double since = now_s - last->second;
    const bool ok = since >= rules.cooldown_s;
    d.trace.push_back({"cooldown", ok, fmt(since) + " s since the last " + o.tag + " alert, " + fmt(rules.cooldown_s) + " s needed"});
    if (!ok) return;
  }
  c.last_alert[o.tag] = now_s;
  o.phase = Phase::Pending;
  d.trace.push_back({"detected", true, "object confirmed"});
}

// Lines and loitering zones, by the object's bottom centre.
void ObjectEngine::places(const AlertRules& rules, Object& o, std::chrono::system_clock::time_point now,
                          const std::string& camera, std::vector<Decision>& out) {
  const bool loiter_zones = std::any_of(rules.zones.begin(), rules.zones.end(), [](const Zone& z) { return z.loiter_s > 0; });
  if ((rules.lines.empty() && !loiter_zones) || (o.quiet && !o.moved) || !tag_allowed(rules, o.tag)) return;
  const auto hours = active_hours_step(rules, now);
  const bool active = !hours || hours->passed;
  const double now_s = seconds_of(now);
  const Point foot = foot_of(o.box);
  for (const auto& line : rules.lines) {
    const auto crossed = o.lines[line.name].update(line, foot);
    if (!crossed || !active || (line.direction != Direction::Any && line.direction != *crossed)) continue;
    Decision d = event(camera, o, "crossed");
    d.line = line.name;
    d.direction = direction_name(*crossed);
    d.trace.push_back({"line", true, "bottom-centre crossed '" + line.name + "' " + d.direction});
    out.push_back(std::move(d));
  }
  for (std::size_t i = 0; i < rules.zones.size(); ++i) {
    const Zone& zone = rules.zones[i];
    if (zone.loiter_s <= 0 || (!zone.tags.empty() && !zone.tags.count(o.tag))) continue;
    const std::string key = zone.name.empty() ? "zone " + std::to_string(i + 1) : zone.name;
    if (!inside(zone.points, foot)) {
      o.zone_since.erase(key);
      continue;
    }
    const double since = o.zone_since.emplace(key, now_s).first->second;
    if (now_s - since < zone.loiter_s || o.loitered.count(key) || !active) continue;
    o.loitered.insert(key);
    Decision d = event(camera, o, "loitering");
    d.zone = key;
    d.seconds = now_s - since;
    d.trace.push_back({"loiter", true, fmt(d.seconds) + " s in '" + key + "', " + fmt(zone.loiter_s) + " s needed"});
    out.push_back(std::move(d));
  }
}

void ObjectEngine::finish(const AlertRules& rules, Camera& c, const std::string& id, std::vector<Decision>& out,
                          const std::string& camera) {
  auto it = c.objects.find(id);
  if (it == c.objects.end()) return;
  Object& o = it->second;
  if (o.phase == Phase::Pending) {
    Decision d = event(camera, o, "detected");
    d.probability = o.best_score;
    d.box = o.best_box;
    d.frame = rules.snapshot_best ? o.best_frame : 0;
    d.trace.push_back({"detected", true, "object confirmed; sent as it left, before its first second was over"});
    out.push_back(std::move(d));
    o.phase = Phase::Alerted;
  }
  if (rules.ended_events && o.phase == Phase::Alerted) {
    Decision d = event(camera, o, "ended");
    d.seconds = o.last_s - o.first_s;
    d.trace.push_back({"ended", true, "left after " + fmt(d.seconds) + " s in view"});
    out.push_back(std::move(d));
  }
  if (o.stationary || !o.moved) {  // remember its spot (once: a flickering parked car refreshes the same one)
    auto same = std::find_if(c.spots.begin(), c.spots.end(),
                             [&](const Spot& s) { return s.tag == o.tag && track::iou(s.box, o.box) >= kSpotIou; });
    if (same != c.spots.end()) *same = {o.tag, o.box, o.last_s};
    else c.spots.push_back({o.tag, o.box, o.last_s});
  }
  c.objects.erase(it);
}

std::vector<Decision> ObjectEngine::evaluate(const AlertRules& rules, const std::string& camera, const vision::Prediction& p,
                                             std::chrono::system_clock::time_point now, std::uint64_t frame) {
  const double now_s = seconds_of(now);
  Camera& c = cameras_[camera];
  if (frame != 0 && frame < c.last_frame) {  // the camera started again: its ids start again too
    c.objects.clear();
    c.start_s = -1;
  }
  if (c.start_s < 0) c.start_s = now_s;
  if (frame != 0) c.last_frame = frame;

  std::vector<Decision> out;
  for (const auto& t : p.tags) {
    if (t.object_id.empty() || !t.box) continue;  // not (yet) an object
    const bool known = c.objects.count(t.object_id) > 0;
    Object& o = object_for(rules, c, t, now_s);
    if (!known) ++totals_[{camera, o.tag}];
    follow(rules, o, t, now_s, frame);
    Decision d = make_decision(camera, o.tag, t.probability, o.box);
    d.object_id = o.id;
    const bool qualifies = tag_qualifies(rules, t, d.trace);
    if (o.phase == Phase::Watching) try_detect(rules, c, o, qualifies, now, d);
    if (o.phase == Phase::Pending && (!rules.snapshot_best || now_s - o.first_s >= kBestFrameWindowS)) {
      d.alert = true;
      d.event = "detected";
      if (rules.snapshot_best && o.best_frame != 0) {
        d.probability = o.best_score;
        d.box = o.best_box;
        d.frame = o.best_frame;
      }
      o.phase = Phase::Alerted;
    }
    out.push_back(std::move(d));
    places(rules, o, now, camera, out);
  }
  for (const auto& id : p.ended_objects) finish(rules, c, id, out, camera);
  std::vector<std::string> stale;
  for (const auto& [id, o] : c.objects)
    if (now_s - o.last_s > kForgetUnseenS) stale.push_back(id);
  for (const auto& id : stale) finish(rules, c, id, out, camera);
  std::erase_if(c.spots, [&](const Spot& s) { return now_s - s.at_s > kSpotMemoryS; });
  return out;
}

}  // namespace vigil::alert
