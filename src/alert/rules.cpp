#include "alert/rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

#include <nlohmann/json.hpp>

namespace vigil::alert {
namespace {

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

Error bad(const std::string& key, const std::string& what) {
  return make_error(ErrorCode::InvalidArgument, "alert rule '" + key + "': " + what);
}

Result<double> fraction(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) return bad(key, "must be a number from 0 to 1");
  return v.get<double>();
}

Result<std::set<std::string>> tag_set(const nlohmann::json& v, const std::string& key) {
  if (!v.is_array()) return bad(key, "must be a list of tag names");
  std::set<std::string> out;
  for (const auto& t : v) {
    if (!t.is_string()) return bad(key, "must be a list of tag names");
    out.insert(t.get<std::string>());
  }
  return out;
}

}  // namespace

bool inside(const Polygon& poly, Point p) {
  bool in = false;
  for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const Point a = poly[i], b = poly[j];
    // On the edge: inside.
    const double cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
    if (std::fabs(cross) < 1e-12 && p.x >= std::min(a.x, b.x) && p.x <= std::max(a.x, b.x) &&
        p.y >= std::min(a.y, b.y) && p.y <= std::max(a.y, b.y))
      return true;
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) in = !in;
  }
  return in;
}

Result<AlertRules> parse_rules(const nlohmann::json& j, const AlertRules& base) {
  if (!j.is_object()) return make_error(ErrorCode::InvalidArgument, "alert rules must be a JSON object");
  AlertRules r = base;
  for (const auto& [key, v] : j.items()) {
    if (key == "threshold") {
      auto f = fraction(v, key);
      if (!f) return f.error();
      r.threshold = *f;
    } else if (key == "tagThresholds") {
      if (!v.is_object()) return bad(key, "must be an object of tag: threshold");
      r.tag_thresholds.clear();
      for (const auto& [tag, t] : v.items()) {
        auto f = fraction(t, key + "." + tag);
        if (!f) return f.error();
        r.tag_thresholds[tag] = *f;
      }
    } else if (key == "ignore" || key == "only") {
      auto s = tag_set(v, key);
      if (!s) return s.error();
      (key == "ignore" ? r.ignore : r.only) = *s;
    } else if (key == "confirm") {
      if (!v.is_object() || !v.contains("n") || !v.contains("m") || !v["n"].is_number_integer() || !v["m"].is_number_integer())
        return bad(key, "must be {\"n\": N, \"m\": M} with 1 <= N <= M <= 100");
      const int n = v["n"], m = v["m"];
      if (n < 1 || m < n || m > 100) return bad(key, "must be {\"n\": N, \"m\": M} with 1 <= N <= M <= 100");
      r.confirm_n = n;
      r.confirm_m = m;
    } else if (key == "releaseThreshold") {
      if (v.is_null()) {
        r.release_threshold.reset();
        continue;
      }
      auto f = fraction(v, key);
      if (!f) return f.error();
      r.release_threshold = *f;
    } else if (key == "cooldownSeconds") {
      if (!v.is_number() || v.get<double>() < 0) return bad(key, "must be a number of seconds, 0 or more");
      r.cooldown_s = v;
    } else if (key == "minBoxArea") {
      auto f = fraction(v, key);
      if (!f) return f.error();
      r.min_box_area = *f;
    } else if (key == "zones") {
      if (!v.is_array()) return bad(key, "must be a list of polygons, each a list of [x, y] points from 0 to 1");
      r.zones.clear();
      for (const auto& poly : v) {
        if (!poly.is_array() || poly.size() < 3) return bad(key, "each zone needs at least 3 [x, y] points");
        Polygon p;
        for (const auto& pt : poly) {
          if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number() || pt[0].get<double>() < 0 ||
              pt[0].get<double>() > 1 || pt[1].get<double>() < 0 || pt[1].get<double>() > 1)
            return bad(key, "points are [x, y] with x and y from 0 to 1 (fractions of the image)");
          p.push_back({pt[0].get<double>(), pt[1].get<double>()});
        }
        r.zones.push_back(std::move(p));
      }
    } else if (key == "activeHours") {
      if (v.is_null()) {
        r.active_minutes.reset();
        continue;
      }
      static const std::regex re(R"(^(\d\d):(\d\d)-(\d\d):(\d\d)$)");
      std::smatch m;
      const std::string s = v.is_string() ? v.get<std::string>() : "";
      if (!std::regex_match(s, m, re) || std::stoi(m[1]) > 24 || std::stoi(m[3]) > 24 || std::stoi(m[2]) > 59 ||
          std::stoi(m[4]) > 59)
        return bad(key, "must be \"HH:MM-HH:MM\" (UTC), e.g. \"22:00-06:00\"");
      r.active_minutes = std::make_pair(std::stoi(m[1]) * 60 + std::stoi(m[2]), std::stoi(m[3]) * 60 + std::stoi(m[4]));
    } else if (key == "snapshot") {
      if (!v.is_boolean()) return bad(key, "must be true or false");
      r.snapshot = v;
    } else {
      return bad(key, "unknown (known: threshold, tagThresholds, ignore, only, confirm, releaseThreshold, "
                      "cooldownSeconds, minBoxArea, zones, activeHours, snapshot)");
    }
  }
  if (r.release_threshold && *r.release_threshold > r.threshold)
    return bad("releaseThreshold", "must not be above threshold (" + fmt(r.threshold) + ")");
  return r;
}

double AlertEngine::threshold_for(const std::string& tag) const {
  auto it = rules_.tag_thresholds.find(tag);
  return it == rules_.tag_thresholds.end() ? rules_.threshold : it->second;
}

std::vector<Decision> AlertEngine::evaluate(const std::string& camera, const vision::Prediction& p, Clock::time_point now) {
  // The candidates: the classifier's top tag, or each detected tag with its best box that passes the box rules.
  struct Candidate {
    std::string tag;
    double probability = 0;
    std::optional<vision::Box> box;
    std::vector<TraceStep> box_trace;
    bool box_ok = true;
  };
  std::vector<Candidate> candidates;
  if (p.task == vision::Task::Classification) {
    const auto top = std::max_element(p.tags.begin(), p.tags.end(),
                                      [](const auto& a, const auto& b) { return a.probability < b.probability; });
    if (top != p.tags.end()) candidates.push_back({top->tag, top->probability, std::nullopt, {}, true});
  } else {
    std::map<std::string, Candidate> best;
    for (const auto& t : p.tags) {
      Candidate c{t.tag, t.probability, t.box, {}, true};
      if (t.box && rules_.min_box_area > 0) {
        const double area = static_cast<double>(t.box->width) * t.box->height;
        const bool ok = area >= rules_.min_box_area;
        c.box_trace.push_back({"minBoxArea", ok, fmt(area) + (ok ? " >= " : " < ") + fmt(rules_.min_box_area)});
        c.box_ok = c.box_ok && ok;
      }
      if (t.box && !rules_.zones.empty() && c.box_ok) {
        const Point foot{t.box->left + t.box->width / 2.0, t.box->top + t.box->height};  // where it stands
        const bool ok = std::any_of(rules_.zones.begin(), rules_.zones.end(), [&](const Polygon& z) { return inside(z, foot); });
        c.box_trace.push_back({"zones", ok, "bottom-centre (" + fmt(foot.x) + ", " + fmt(foot.y) + ") " + (ok ? "inside a zone" : "outside every zone")});
        c.box_ok = ok;
      }
      auto it = best.find(t.tag);
      // Prefer a box that passes; among those the most probable.
      if (it == best.end() || (c.box_ok && !it->second.box_ok) ||
          (c.box_ok == it->second.box_ok && c.probability > it->second.probability))
        best[t.tag] = std::move(c);
    }
    for (auto& [_, c] : best) candidates.push_back(std::move(c));
  }

  std::vector<Decision> out;
  std::set<std::string> seen;
  for (auto& c : candidates) {
    seen.insert(c.tag);
    Decision d{camera, c.tag, c.probability, c.box, false, {}};
    TagState& s = state_[{camera, c.tag}];
    bool qualifies = true;
    if (rules_.ignore.count(c.tag)) {
      d.trace.push_back({"ignore", false, "'" + c.tag + "' is in the ignore list"});
      qualifies = false;
    } else if (!rules_.only.empty() && !rules_.only.count(c.tag)) {
      d.trace.push_back({"only", false, "'" + c.tag + "' is not in the list of tags that alert"});
      qualifies = false;
    } else {
      const double limit = threshold_for(c.tag);
      const bool ok = c.probability >= limit;
      d.trace.push_back({"threshold", ok, fmt(c.probability) + (ok ? " >= " : " < ") + fmt(limit)});
      qualifies = ok;
      if (ok) {
        for (auto& step : c.box_trace) d.trace.push_back(step);
        qualifies = c.box_ok;
      }
    }
    s.history.push_back(qualifies);
    while (static_cast<int>(s.history.size()) > rules_.confirm_m) s.history.pop_front();
    if (!qualifies) {
      if (s.active && (!rules_.release_threshold || c.probability < *rules_.release_threshold)) {
        s.active = false;
        d.trace.push_back({"episode", false, "ended: " + fmt(c.probability) + " below the release threshold"});
      }
      out.push_back(std::move(d));
      continue;
    }
    const int hits = static_cast<int>(std::count(s.history.begin(), s.history.end(), true));
    if (hits < rules_.confirm_n) {
      d.trace.push_back({"confirm", false, std::to_string(hits) + " of the last " + std::to_string(s.history.size()) +
                                               " frames, " + std::to_string(rules_.confirm_n) + " needed"});
      out.push_back(std::move(d));
      continue;
    }
    if (rules_.confirm_m > 1)
      d.trace.push_back({"confirm", true, std::to_string(hits) + " of the last " + std::to_string(rules_.confirm_m)});
    if (rules_.release_threshold && s.active) {
      d.trace.push_back({"episode", false, "already alerted; waits until the score falls below " + fmt(*rules_.release_threshold)});
      out.push_back(std::move(d));
      continue;
    }
    if (rules_.active_minutes) {
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
      const int minute = static_cast<int>((secs % 86400) / 60);
      const auto [from, to] = *rules_.active_minutes;
      const bool ok = from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%02d:%02d UTC %s %02d:%02d-%02d:%02d", minute / 60, minute % 60,
                    ok ? "within" : "outside", from / 60, from % 60, to / 60, to % 60);
      d.trace.push_back({"activeHours", ok, buf});
      if (!ok) {
        out.push_back(std::move(d));
        continue;
      }
    }
    if (rules_.cooldown_s > 0 && s.last_alert) {
      const double since = std::chrono::duration<double>(now - *s.last_alert).count();
      const bool ok = since >= rules_.cooldown_s;
      d.trace.push_back({"cooldown", ok, fmt(since) + " s since the last alert, " + fmt(rules_.cooldown_s) + " s needed"});
      if (!ok) {
        out.push_back(std::move(d));
        continue;
      }
    }
    d.alert = true;
    s.last_alert = now;
    if (rules_.release_threshold) s.active = true;
    out.push_back(std::move(d));
  }
  // Tags seen before but not considered now: a frame without them.
  for (auto& [key, s] : state_) {
    if (key.first != camera || seen.count(key.second)) continue;
    s.history.push_back(false);
    while (static_cast<int>(s.history.size()) > rules_.confirm_m) s.history.pop_front();
    double prob = 0;
    for (const auto& t : p.tags)
      if (t.tag == key.second) prob = std::max(prob, static_cast<double>(t.probability));
    if (s.active && (!rules_.release_threshold || prob < *rules_.release_threshold)) s.active = false;
  }
  return out;
}

nlohmann::json decision_to_json(const Decision& d) {
  nlohmann::json j = {{"camera", d.camera}, {"tag", d.tag}, {"probability", std::round(d.probability * 1e4) / 1e4},
                      {"alert", d.alert}};
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& s : d.trace) trace.push_back({{"rule", s.rule}, {"passed", s.passed}, {"detail", s.detail}});
  j["trace"] = trace;
  return j;
}

}  // namespace vigil::alert
