#include "alert/rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "alert/object_rules.h"

namespace vigil::alert {
namespace {

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

}  // namespace

double threshold_for(const AlertRules& rules, const std::string& tag) {
  auto it = rules.tag_thresholds.find(tag);
  return it == rules.tag_thresholds.end() ? rules.threshold : it->second;
}

Point foot_of(const vision::Box& b) { return {b.left + b.width / 2.0, static_cast<double>(b.top) + b.height}; }

bool box_qualifies(const AlertRules& rules, const vision::Box& box, std::vector<TraceStep>& trace) {
  if (rules.min_box_area > 0) {
    const double area = static_cast<double>(box.width) * box.height;
    const bool ok = area >= rules.min_box_area;
    char detail[64];
    std::snprintf(detail, sizeof detail, "%.4f %s %.4f of the image", area, ok ? ">=" : "<", rules.min_box_area);
    trace.push_back({"minBoxArea", ok, detail});
    if (!ok) return false;
  }
  if (!rules.zones.empty()) {
    const Point foot = foot_of(box);
    const bool ok = std::any_of(rules.zones.begin(), rules.zones.end(), [&](const Zone& z) { return inside(z.points, foot); });
    trace.push_back({"zones", ok, "bottom-centre (" + fmt(foot.x) + ", " + fmt(foot.y) + ") " +
                                      (ok ? "inside a zone" : "outside every zone")});
    return ok;
  }
  return true;
}

bool tag_qualifies(const AlertRules& rules, const vision::TagScore& t, std::vector<TraceStep>& trace) {
  if (rules.ignore.count(t.tag)) {
    trace.push_back({"ignore", false, "'" + t.tag + "' is in the ignore list"});
    return false;
  }
  if (!rules.only.empty() && !rules.only.count(t.tag)) {
    trace.push_back({"only", false, "'" + t.tag + "' is not in the list of tags that alert"});
    return false;
  }
  const double limit = threshold_for(rules, t.tag);
  const bool ok = t.probability >= limit;
  trace.push_back({"threshold", ok, fmt(t.probability) + (ok ? " >= " : " < ") + fmt(limit)});
  return ok && (!t.box || box_qualifies(rules, *t.box, trace));
}

std::optional<TraceStep> active_hours_step(const AlertRules& rules, std::chrono::system_clock::time_point now) {
  if (!rules.active_minutes) return std::nullopt;
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const int minute = static_cast<int>((secs % 86400) / 60);
  const auto [from, to] = *rules.active_minutes;
  const bool ok = from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d:%02d UTC %s %02d:%02d-%02d:%02d", minute / 60, minute % 60,
                ok ? "within" : "outside", from / 60, from % 60, to / 60, to % 60);
  return TraceStep{"activeHours", ok, buf};
}

vision::Overlay overlay_of(const AlertRules& rules) {
  vision::Overlay out;
  auto shape = [](const std::string& name, const std::vector<Point>& points, bool closed) {
    vision::Shape s{name, {}, closed};
    for (const auto& p : points) s.points.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
    return s;
  };
  for (const auto& z : rules.zones) out.push_back(shape(z.name, z.points, true));
  for (const auto& l : rules.lines) out.push_back(shape(l.name, l.points, false));
  return out;
}

struct AlertEngine::Candidate {
  vision::TagScore score;
  std::vector<TraceStep> trace;
  bool ok = false;
};

AlertEngine::AlertEngine(AlertRules rules) : rules_(std::move(rules)), objects_(std::make_unique<ObjectEngine>()) {}
AlertEngine::~AlertEngine() = default;

const std::map<std::pair<std::string, std::string>, std::uint64_t>& AlertEngine::objects_total() const {
  return objects_->objects_total();
}

// The classifier's top tag, or each detected tag with its best box: one that passes, the most probable.
std::vector<AlertEngine::Candidate> AlertEngine::candidates(const vision::Prediction& p) const {
  std::vector<Candidate> out;
  if (p.task == vision::Task::Classification) {
    const auto top = std::max_element(p.tags.begin(), p.tags.end(),
                                      [](const auto& a, const auto& b) { return a.probability < b.probability; });
    if (top != p.tags.end()) {
      Candidate c{*top, {}, false};
      c.ok = tag_qualifies(rules_, c.score, c.trace);
      out.push_back(std::move(c));
    }
    return out;
  }
  std::map<std::string, Candidate> best;
  for (const auto& t : p.tags) {
    Candidate c{t, {}, false};
    c.ok = tag_qualifies(rules_, t, c.trace);
    auto it = best.find(t.tag);
    if (it == best.end() || (c.ok && !it->second.ok) ||
        (c.ok == it->second.ok && c.score.probability > it->second.score.probability))
      best[t.tag] = std::move(c);
  }
  for (auto& [_, c] : best) out.push_back(std::move(c));
  return out;
}

Decision AlertEngine::decide(const std::string& camera, Candidate& c, Clock::time_point now) {
  Decision d = make_decision(camera, c.score.tag, c.score.probability, c.score.box);
  d.trace = std::move(c.trace);
  TagState& s = state_[{camera, c.score.tag}];
  s.history.push_back(c.ok);
  while (static_cast<int>(s.history.size()) > rules_.confirm_m) s.history.pop_front();
  if (!c.ok) {
    if (s.active && (!rules_.release_threshold || c.score.probability < *rules_.release_threshold)) {
      s.active = false;
      d.trace.push_back({"episode", false, "ended: " + fmt(c.score.probability) + " below the release threshold"});
    }
    return d;
  }
  const int hits = static_cast<int>(std::count(s.history.begin(), s.history.end(), true));
  if (hits < rules_.confirm_n) {
    d.trace.push_back({"confirm", false, std::to_string(hits) + " of the last " + std::to_string(s.history.size()) +
                                             " frames, " + std::to_string(rules_.confirm_n) + " needed"});
    return d;
  }
  if (rules_.confirm_m > 1)
    d.trace.push_back({"confirm", true, std::to_string(hits) + " of the last " + std::to_string(rules_.confirm_m)});
  if (rules_.release_threshold && s.active) {
    d.trace.push_back({"episode", false, "already alerted; waits until the score falls below " + fmt(*rules_.release_threshold)});
    return d;
  }
  if (auto step = active_hours_step(rules_, now)) {
    d.trace.push_back(*step);
    if (!step->passed) return d;
  }
  if (rules_.cooldown_s > 0 && s.last_alert) {
    const double since = std::chrono::duration<double>(now - *s.last_alert).count();
    const bool ok = since >= rules_.cooldown_s;
    d.trace.push_back({"cooldown", ok, fmt(since) + " s since the last alert, " + fmt(rules_.cooldown_s) + " s needed"});
    if (!ok) return d;
  }
  d.alert = true;
  s.last_alert = now;
  if (rules_.release_threshold) s.active = true;
  return d;
}

// Tags seen before but not considered now: a frame without them.
void AlertEngine::forget_absent(const std::string& camera, const vision::Prediction& p, const std::set<std::string>& seen) {
  for (auto& [key, s] : state_) {
    if (key.first != camera || seen.count(key.second)) continue;
    s.history.push_back(false);
    while (static_cast<int>(s.history.size()) > rules_.confirm_m) s.history.pop_front();
    double prob = 0;
    for (const auto& t : p.tags)
      if (t.tag == key.second) prob = std::max(prob, static_cast<double>(t.probability));
    if (s.active && (!rules_.release_threshold || prob < *rules_.release_threshold)) s.active = false;
  }
}

std::vector<Decision> AlertEngine::evaluate(const std::string& camera, const vision::Prediction& p, Clock::time_point now,
                                            std::uint64_t frame) {
  if (rules_.per_object && p.task == vision::Task::Detection) return objects_->evaluate(rules_, camera, p, now, frame);
  std::vector<Decision> out;
  std::set<std::string> seen;
  for (auto& c : candidates(p)) {
    seen.insert(c.score.tag);
    out.push_back(decide(camera, c, now));
  }
  forget_absent(camera, p, seen);
  return out;
}

nlohmann::json decision_to_json(const Decision& d) {
  nlohmann::json j = {{"camera", d.camera}, {"tag", d.tag}, {"probability", std::round(d.probability * 1e4) / 1e4},
                      {"alert", d.alert}};
  if (!d.object_id.empty()) j["objectId"] = d.object_id;
  if (!d.event.empty()) j["event"] = d.event;
  if (!d.line.empty()) j["line"] = d.line, j["direction"] = d.direction;
  if (!d.zone.empty()) j["zone"] = d.zone;
  if (d.seconds > 0) j["seconds"] = std::round(d.seconds * 100) / 100;
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& s : d.trace) trace.push_back({{"rule", s.rule}, {"passed", s.passed}, {"detail", s.detail}});
  j["trace"] = trace;
  return j;
}

}  // namespace vigil::alert
