// parse_rules: one handler per key, in a table; the list of known keys in the error comes from the table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <regex>

#include <nlohmann/json.hpp>

#include "alert/rules.h"

namespace vigil::alert {
namespace {

using Handler = std::function<Status(AlertRules&, const nlohmann::json&, const std::string& key)>;

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

Error bad(const std::string& key, const std::string& what) {
  return make_error(ErrorCode::InvalidArgument, "alert rule '" + key + "': " + what);
}

Result<double> fraction(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number() || !(v.get<double>() >= 0) || v.get<double>() > 1) return bad(key, "must be a number from 0 to 1");
  return v.get<double>();
}

Result<double> seconds(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number() || !(v.get<double>() >= 0) || v.get<double>() > 1e7)
    return bad(key, "must be a number of seconds, 0 or more");
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

Result<std::vector<Point>> points(const nlohmann::json& v, const std::string& key, std::size_t min) {
  if (!v.is_array() || v.size() < min)
    return bad(key, "needs at least " + std::to_string(min) + " [x, y] points");
  std::vector<Point> out;
  for (const auto& pt : v) {
    if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number() || !(pt[0].get<double>() >= 0) ||
        pt[0].get<double>() > 1 || !(pt[1].get<double>() >= 0) || pt[1].get<double>() > 1)
      return bad(key, "points are [x, y] with x and y from 0 to 1 (fractions of the image)");
    out.push_back({pt[0].get<double>(), pt[1].get<double>()});
  }
  return out;
}

// A zone: a list of points, or {"name", "points", "loiterSeconds", "tags"}.
Result<Zone> zone(const nlohmann::json& v, const std::string& key) {
  Zone z;
  if (v.is_array()) {
    auto p = points(v, key, 3);
    if (!p) return p.error();
    z.points = std::move(*p);
    return z;
  }
  if (!v.is_object()) return bad(key, "each zone is a list of [x, y] points or {\"name\", \"points\", \"loiterSeconds\"}");
  for (const auto& [k, item] : v.items()) {
    if (k == "name" && item.is_string()) z.name = item.get<std::string>();
    else if (k == "points") {
      auto p = points(item, key + ".points", 3);
      if (!p) return p.error();
      z.points = std::move(*p);
    } else if (k == "loiterSeconds") {
      auto s = seconds(item, key + ".loiterSeconds");
      if (!s) return s.error();
      z.loiter_s = *s;
    } else if (k == "tags") {
      auto t = tag_set(item, key + ".tags");
      if (!t) return t.error();
      z.tags = std::move(*t);
    } else {
      return bad(key, "unknown or invalid '" + k + "' (known: name, points, loiterSeconds, tags)");
    }
  }
  if (z.points.empty()) return bad(key, "a zone needs \"points\"");
  return z;
}

Result<Line> line(const nlohmann::json& v, const std::string& key) {
  if (!v.is_object()) return bad(key, "each line is {\"name\", \"points\": [[x, y], …], \"direction\"}");
  Line l;
  for (const auto& [k, item] : v.items()) {
    if (k == "name" && item.is_string()) l.name = item.get<std::string>();
    else if (k == "points") {
      auto p = points(item, key + ".points", 2);
      if (!p) return p.error();
      l.points = std::move(*p);
    } else if (k == "direction") {
      auto d = parse_direction(item.is_string() ? item.get<std::string>() : "");
      if (!d) return bad(key + ".direction", "must be \"any\", \"leftToRight\" or \"rightToLeft\"");
      l.direction = *d;
    } else if (k == "margin") {
      auto f = fraction(item, key + ".margin");
      if (!f) return f.error();
      l.margin = *f;
    } else {
      return bad(key, "unknown or invalid '" + k + "' (known: name, points, direction, margin)");
    }
  }
  if (l.name.empty() || l.points.empty()) return bad(key, "a line needs a \"name\" and \"points\"");
  return l;
}

template <typename T>
Handler number(T AlertRules::*field, Result<T> (*check)(const nlohmann::json&, const std::string&)) {
  return [=](AlertRules& r, const nlohmann::json& v, const std::string& key) -> Status {
    auto x = check(v, key);
    if (!x) return x.error();
    r.*field = *x;
    return ok_status();
  };
}

Handler flag(bool AlertRules::*field) {
  return [=](AlertRules& r, const nlohmann::json& v, const std::string& key) -> Status {
    if (!v.is_boolean()) return bad(key, "must be true or false");
    r.*field = v.get<bool>();
    return ok_status();
  };
}

Handler optional_fraction(std::optional<double> AlertRules::*field) {
  return [=](AlertRules& r, const nlohmann::json& v, const std::string& key) -> Status {
    if (v.is_null()) {
      (r.*field).reset();
      return ok_status();
    }
    auto f = fraction(v, key);
    if (!f) return f.error();
    r.*field = *f;
    return ok_status();
  };
}

template <typename T>
Handler list(std::vector<T> AlertRules::*field, Result<T> (*item)(const nlohmann::json&, const std::string&)) {
  return [=](AlertRules& r, const nlohmann::json& v, const std::string& key) -> Status {
    if (!v.is_array()) return bad(key, "must be a list");
    std::vector<T> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto x = item(v[i], key + "[" + std::to_string(i) + "]");
      if (!x) return x.error();
      out.push_back(std::move(*x));
    }
    r.*field = std::move(out);
    return ok_status();
  };
}

Status confirm(AlertRules& r, const nlohmann::json& v, const std::string& key) {
  const char* what = "must be {\"n\": N, \"m\": M} with 1 <= N <= M <= 100";
  if (!v.is_object() || !v.contains("n") || !v.contains("m") || !v["n"].is_number_integer() || !v["m"].is_number_integer())
    return bad(key, what);
  const int n = v["n"], m = v["m"];
  if (n < 1 || m < n || m > 100) return bad(key, what);
  r.confirm_n = n;
  r.confirm_m = m;
  return ok_status();
}

Status tag_thresholds(AlertRules& r, const nlohmann::json& v, const std::string& key) {
  if (!v.is_object()) return bad(key, "must be an object of tag: threshold");
  r.tag_thresholds.clear();
  for (const auto& [tag, t] : v.items()) {
    auto f = fraction(t, key + "." + tag);
    if (!f) return f.error();
    r.tag_thresholds[tag] = *f;
  }
  return ok_status();
}

Status active_hours(AlertRules& r, const nlohmann::json& v, const std::string& key) {
  if (v.is_null()) {
    r.active_minutes.reset();
    return ok_status();
  }
  static const std::regex re(R"(^(\d\d):(\d\d)-(\d\d):(\d\d)$)");
  std::smatch m;
  const std::string s = v.is_string() ? v.get<std::string>() : "";
  if (!std::regex_match(s, m, re) || std::stoi(m[1]) > 24 || std::stoi(m[3]) > 24 || std::stoi(m[2]) > 59 ||
      std::stoi(m[4]) > 59)
    return bad(key, "must be \"HH:MM-HH:MM\" (UTC), e.g. \"22:00-06:00\"");
  r.active_minutes = std::make_pair(std::stoi(m[1]) * 60 + std::stoi(m[2]), std::stoi(m[3]) * 60 + std::stoi(m[4]));
  return ok_status();
}

Status alert_per(AlertRules& r, const nlohmann::json& v, const std::string& key) {
  const std::string s = v.is_string() ? v.get<std::string>() : "";
  if (s != "frame" && s != "object") return bad(key, "must be \"frame\" (the tutorial's rule) or \"object\"");
  r.per_object = s == "object";
  return ok_status();
}

Status snapshot_frame(AlertRules& r, const nlohmann::json& v, const std::string& key) {
  const std::string s = v.is_string() ? v.get<std::string>() : "";
  if (s != "best" && s != "alert") return bad(key, "must be \"best\" (the object's best frame in its first second) or \"alert\"");
  r.snapshot_best = s == "best";
  return ok_status();
}

Handler tag_list(std::set<std::string> AlertRules::*field) {
  return [=](AlertRules& r, const nlohmann::json& v, const std::string& key) -> Status {
    auto s = tag_set(v, key);
    if (!s) return s.error();
    r.*field = std::move(*s);
    return ok_status();
  };
}

const std::vector<std::pair<std::string, Handler>>& handlers() {
  static const std::vector<std::pair<std::string, Handler>> table = {
      {"threshold", number(&AlertRules::threshold, fraction)},
      {"tagThresholds", tag_thresholds},
      {"ignore", tag_list(&AlertRules::ignore)},
      {"only", tag_list(&AlertRules::only)},
      {"confirm", confirm},
      {"releaseThreshold", optional_fraction(&AlertRules::release_threshold)},
      {"cooldownSeconds", number(&AlertRules::cooldown_s, seconds)},
      {"minBoxArea", number(&AlertRules::min_box_area, fraction)},
      {"zones", list(&AlertRules::zones, zone)},
      {"activeHours", active_hours},
      {"snapshot", flag(&AlertRules::snapshot)},
      {"alertPer", alert_per},
      {"snapshotFrame", snapshot_frame},
      {"endedEvents", flag(&AlertRules::ended_events)},
      {"stationarySeconds", number(&AlertRules::stationary_s, seconds)},
      {"stationaryIou", number(&AlertRules::stationary_iou, fraction)},
      {"alertOnStationary", flag(&AlertRules::alert_on_stationary)},
      {"lines", list(&AlertRules::lines, line)},
  };
  return table;
}

}  // namespace

Result<AlertRules> parse_rules(const nlohmann::json& j, const AlertRules& base) {
  if (!j.is_object()) return make_error(ErrorCode::InvalidArgument, "alert rules must be a JSON object");
  AlertRules r = base;
  for (const auto& item : j.items()) {
    const std::string key = item.key();
    const nlohmann::json& v = item.value();
    const auto& table = handlers();
    auto it = std::find_if(table.begin(), table.end(), [&](const auto& h) { return h.first == key; });
    if (it == table.end()) {
      std::string known;
      for (const auto& h : table) known += (known.empty() ? "" : ", ") + h.first;
      return bad(key, "unknown (known: " + known + ")");
    }
    if (auto s = it->second(r, v, key); !s) return s.error();
  }
  if (r.release_threshold && *r.release_threshold > r.threshold)
    return bad("releaseThreshold", "must not be above threshold (" + fmt(r.threshold) + ")");
  return r;
}

}  // namespace vigil::alert
