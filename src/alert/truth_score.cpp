#include "alert/truth_score.h"

#include <cmath>
#include <map>
#include <set>

namespace vigil::alert {
namespace {

Error bad(const std::string& what) {
  return make_error(ErrorCode::InvalidArgument, "truth file: " + what);
}

std::uint64_t frame_field(const nlohmann::json& j, const char* key, bool& ok) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() < 1) {
    ok = false;
    return 0;
  }
  return it->get<std::uint64_t>();
}

std::string text_field(const nlohmann::json& j, const char* key, bool& ok, bool required = true) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    if (required) ok = false;
    return "";
  }
  return it->get<std::string>();
}

double ratio(std::size_t a, std::size_t b) { return b == 0 ? 1.0 : std::round(1000.0 * static_cast<double>(a) / static_cast<double>(b)) / 1000; }

nlohmann::json pr(std::size_t matched_alerts, std::size_t alerts, std::size_t matched_truth, std::size_t truth) {
  return {{"alerts", alerts}, {"truth", truth}, {"precision", ratio(matched_alerts, alerts)},
          {"recall", ratio(matched_truth, truth)}};
}

// Each alert of `event` is matched to the first truth entry not matched yet that `fits` it.
template <typename T, typename Fits>
nlohmann::json match_events(const std::vector<ScoredAlert>& alerts, const std::string& event, const std::vector<T>& truth,
                            Fits fits) {
  std::vector<bool> matched(truth.size(), false);
  std::size_t n = 0, good = 0;
  for (const auto& a : alerts) {
    if (a.event != event) continue;
    ++n;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      if (matched[i] || !fits(a, truth[i])) continue;
      matched[i] = true;
      ++good;
      break;
    }
  }
  return pr(good, n, good, truth.size());
}

}  // namespace

Result<Truth> parse_truth(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("objects") || !j["objects"].is_array())
    return bad("expected {\"objects\": [{\"id\", \"tag\", \"firstFrame\", \"lastFrame\"}, …]}");
  Truth t;
  if (j.contains("fps")) {
    if (!j["fps"].is_number() || !(j["fps"].get<double>() > 0) || j["fps"].get<double>() > 1000) return bad("'fps' must be a number above 0");
    t.fps = j["fps"].get<double>();
  }
  for (const auto& o : j["objects"]) {
    bool ok = o.is_object();
    if (!ok) return bad("each object is {\"id\", \"tag\", \"firstFrame\", \"lastFrame\"}");
    TruthObject x{text_field(o, "id", ok), text_field(o, "tag", ok), frame_field(o, "firstFrame", ok), frame_field(o, "lastFrame", ok)};
    if (!ok || x.last < x.first) return bad("object " + o.dump() + " needs id, tag, firstFrame >= 1 and lastFrame >= firstFrame");
    t.objects.push_back(std::move(x));
  }
  for (const auto& c : j.value("crossings", nlohmann::json::array())) {
    bool ok = c.is_object();
    if (!ok) return bad("each crossing is {\"object\", \"line\", \"direction\", \"frame\"}");
    TruthCrossing x{text_field(c, "object", ok, false), text_field(c, "line", ok), text_field(c, "direction", ok), frame_field(c, "frame", ok)};
    if (!ok) return bad("crossing " + c.dump() + " needs line, direction and frame");
    t.crossings.push_back(std::move(x));
  }
  for (const auto& l : j.value("loitering", nlohmann::json::array())) {
    bool ok = l.is_object();
    if (!ok) return bad("each loitering is {\"object\", \"zone\", \"fromFrame\", \"toFrame\"}");
    TruthLoiter x{text_field(l, "object", ok, false), text_field(l, "zone", ok), frame_field(l, "fromFrame", ok), frame_field(l, "toFrame", ok)};
    if (!ok || x.to < x.from) return bad("loitering " + l.dump() + " needs zone, fromFrame and toFrame >= fromFrame");
    t.loitering.push_back(std::move(x));
  }
  return t;
}

ScoredAlert scored_alert(const nlohmann::json& body) {
  ScoredAlert a;
  auto text = [&](const char* k) { return body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : ""; };
  auto number = [&](const char* k) -> std::uint64_t {
    if (!body.contains(k)) return 0;
    if (body[k].is_number_unsigned()) return body[k].get<std::uint64_t>();
    if (body[k].is_string()) return std::strtoull(body[k].get<std::string>().c_str(), nullptr, 10);
    return 0;
  };
  a.event = text("event");
  a.tag = text("tag");
  a.object_id = text("objectId");
  a.line = text("line");
  a.direction = text("direction");
  a.zone = text("zone");
  a.frame = number("decidedFrame") ? number("decidedFrame") : number("frameNumber");
  return a;
}

nlohmann::json score(const Truth& truth, const std::vector<ScoredAlert>& alerts) {
  const auto window = static_cast<std::uint64_t>(std::ceil(truth.fps));  // a second of frames
  // Objects.
  std::map<std::string, std::size_t> by_object_id;  // alert objectId → truth object
  std::vector<bool> matched(truth.objects.size(), false);
  nlohmann::json delays = nlohmann::json::object();
  std::size_t object_alerts = 0, good = 0;
  for (const auto& a : alerts) {
    if (!a.event.empty() && a.event != "detected") continue;
    ++object_alerts;
    if (!a.object_id.empty() && by_object_id.count(a.object_id)) continue;  // a repeat for the same object
    for (std::size_t i = 0; i < truth.objects.size(); ++i) {
      const auto& o = truth.objects[i];
      if (matched[i] || o.tag != a.tag || a.frame < o.first || a.frame > o.last + window) continue;
      matched[i] = true;
      ++good;
      if (!a.object_id.empty()) by_object_id[a.object_id] = i;
      delays[o.id] = std::round(100.0 * static_cast<double>(a.frame - o.first) / truth.fps) / 100;
      break;
    }
  }
  nlohmann::json out;
  out["objects"] = pr(good, object_alerts, good, truth.objects.size());
  out["objects"]["firstAlertDelaySeconds"] = delays;
  out["crossings"] = match_events(alerts, "crossed", truth.crossings, [&](const ScoredAlert& a, const TruthCrossing& c) {
    const auto gap = a.frame > c.frame ? a.frame - c.frame : c.frame - a.frame;
    return c.line == a.line && c.direction == a.direction && gap <= window;
  });
  out["loitering"] = match_events(alerts, "loitering", truth.loitering, [&](const ScoredAlert& a, const TruthLoiter& l) {
    return l.zone == a.zone && a.frame >= l.from && a.frame <= l.to + window;
  });
  return out;
}

}  // namespace vigil::alert
