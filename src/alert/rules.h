// The alert rules: which predictions become alerts. Pure code with the time passed in; no threads, no I/O.
// The defaults are the tutorial's rule: for each prediction, the tag with the highest probability at or above
// 0.6 alerts, unless it is "Negative" — on every such frame (no confirmation, no cooldown).
//
// Each rule below is optional and off (or neutral) by default. Per (camera, tag):
//
//   prediction ─▶ ignore list ─▶ threshold (per tag) ─▶ min box area ─▶ zones ─▶ N of last M frames
//              ─▶ episode (hysteresis: one alert until the score falls below release_threshold)
//              ─▶ active hours ─▶ cooldown ─▶ ALERT
//
// For classifiers only the top tag of a frame is considered (as in the tutorial); for detectors every tag, with
// its best box that passes the box rules. Every decision carries a trace: which rule passed or stopped it.
// With alertPer "object" detections are judged per tracked object instead (object_rules.h).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "alert/geometry.h"
#include "core/result.h"
#include "vision/overlay.h"
#include "vision/prediction.h"

namespace vigil::alert {

struct AlertRules {
  double threshold = 0.6;
  std::map<std::string, double> tag_thresholds;     // overrides per tag
  std::set<std::string> ignore = {"Negative"};      // never alert
  std::set<std::string> only;                        // when not empty: only these tags alert
  int confirm_n = 1, confirm_m = 1;                  // at least N of the last M frames qualify
  std::optional<double> release_threshold;           // hysteresis: an episode ends only below this
  double cooldown_s = 0;                             // per camera and tag
  double min_box_area = 0;                           // detectors: fraction of the image
  std::vector<Zone> zones;                           // detectors: the box's bottom-centre must be in one
  std::optional<std::pair<int, int>> active_minutes; // [from, to) minutes after midnight (UTC); may wrap
  bool snapshot = false;                             // attach/store the frame (the module acts on it)
  // Per object (object_rules.h); detections need the camera's tracking (their objectId).
  bool per_object = false;                           // alertPer "object": one alert per object, not per frame
  bool snapshot_best = true;                         // the object's best frame in its first second, else the alert's
  bool ended_events = false;                         // an "ended" event when an alerted object leaves
  double stationary_s = 10;                          // an object whose box stayed this long is stationary
  double stationary_iou = 0.8;                       // … overlapping its own box of stationary_s ago this much
  bool alert_on_stationary = false;                  // objects already still at start (or in a parked spot) alert too
  std::vector<Line> lines;                           // crossing a line alerts "crossed"
};

// Reads rules from JSON (the module's desired properties / settings): threshold, tagThresholds, ignore, only,
// confirm {"n","m"}, releaseThreshold, cooldownSeconds, minBoxArea, zones [[[x,y],…] or {"name","points",
// "loiterSeconds","tags"}, …], activeHours "HH:MM-HH:MM", snapshot; per object: alertPer "frame"|"object",
// snapshotFrame "best"|"alert", endedEvents, stationarySeconds, stationaryIou, alertOnStationary, lines
// [{"name","points","direction","margin"}, …]. Unknown keys and bad values are errors naming the key. Keys not
// given keep `base`'s values. (rules_parse.cpp)
Result<AlertRules> parse_rules(const nlohmann::json& j, const AlertRules& base = {});

struct TraceStep {
  std::string rule;    // "ignore", "threshold", "minBoxArea", "zones", "confirm", "episode", "activeHours", "cooldown"
  bool passed = true;
  std::string detail;  // e.g. "0.72 >= 0.60"
};

struct Decision {
  std::string camera, tag;
  double probability = 0;
  std::optional<vision::Box> box;
  bool alert = false;
  std::vector<TraceStep> trace;
  // Per object: which object, and what happened to it.
  std::string object_id;
  std::string event;            // "detected", "crossed", "loitering", "ended"; "" for per-frame alerts
  std::string line, direction;  // crossed
  std::string zone;             // loitering
  double seconds = 0;           // loitering: time in the zone; ended: time in view
  std::uint64_t frame = 0;      // the frame to show (0: the prediction's own)
};

inline Decision make_decision(std::string camera, std::string tag, double probability, std::optional<vision::Box> box) {
  Decision d;
  d.camera = std::move(camera);
  d.tag = std::move(tag);
  d.probability = probability;
  d.box = box;
  return d;
}

// The checks both engines share. Pure.
double threshold_for(const AlertRules& rules, const std::string& tag);
// "ignore"/"only"/"threshold" (and, when it passes, the box checks) for one tag score; appends to `trace`.
bool tag_qualifies(const AlertRules& rules, const vision::TagScore& t, std::vector<TraceStep>& trace);
// minBoxArea and zones for one box; appends to `trace`.
bool box_qualifies(const AlertRules& rules, const vision::Box& box, std::vector<TraceStep>& trace);
// activeHours at `now`: nullopt when the rule is off, else the step (passed or not).
std::optional<TraceStep> active_hours_step(const AlertRules& rules, std::chrono::system_clock::time_point now);
Point foot_of(const vision::Box& box);  // bottom centre: where an object stands

// The zones and lines to draw on previews and snapshots.
vision::Overlay overlay_of(const AlertRules& rules);

class ObjectEngine;

class AlertEngine {
 public:
  using Clock = std::chrono::system_clock;
  explicit AlertEngine(AlertRules rules);
  ~AlertEngine();

  // One decision per tag considered in this prediction (see above); `now` is the frame's time. With alertPer
  // "object", detections go to the ObjectEngine (one decision per object and event; `frame` is the prediction's
  // frame number); classifications keep the per-frame rules.
  std::vector<Decision> evaluate(const std::string& camera, const vision::Prediction& p, Clock::time_point now,
                                 std::uint64_t frame = 0);

  // Replaces the rules at once; per-tag history, episodes and objects are kept.
  void set_rules(AlertRules rules) { rules_ = std::move(rules); }
  const AlertRules& rules() const { return rules_; }
  // Tracked objects seen so far, by (camera, tag).
  const std::map<std::pair<std::string, std::string>, std::uint64_t>& objects_total() const;

 private:
  struct TagState {
    std::deque<bool> history;
    bool active = false;
    std::optional<Clock::time_point> last_alert;
  };
  struct Candidate;
  std::vector<Candidate> candidates(const vision::Prediction& p) const;
  Decision decide(const std::string& camera, Candidate& c, Clock::time_point now);
  void forget_absent(const std::string& camera, const vision::Prediction& p, const std::set<std::string>& seen);

  AlertRules rules_;
  std::map<std::pair<std::string, std::string>, TagState> state_;  // (camera, tag)
  std::unique_ptr<ObjectEngine> objects_;
};

nlohmann::json decision_to_json(const Decision& d);

}  // namespace vigil::alert
