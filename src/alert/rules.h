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
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"
#include "vision/prediction.h"

namespace vigil::alert {

struct Point {
  double x = 0, y = 0;  // normalised image coordinates
};
using Polygon = std::vector<Point>;

struct AlertRules {
  double threshold = 0.6;
  std::map<std::string, double> tag_thresholds;     // overrides per tag
  std::set<std::string> ignore = {"Negative"};      // never alert
  std::set<std::string> only;                        // when not empty: only these tags alert
  int confirm_n = 1, confirm_m = 1;                  // at least N of the last M frames qualify
  std::optional<double> release_threshold;           // hysteresis: an episode ends only below this
  double cooldown_s = 0;                             // per camera and tag
  double min_box_area = 0;                           // detectors: fraction of the image
  std::vector<Polygon> zones;                        // detectors: the box's bottom-centre must be in one
  std::optional<std::pair<int, int>> active_minutes; // [from, to) minutes after midnight (UTC); may wrap
  bool snapshot = false;                             // attach/store the frame (the module acts on it)
};

// Reads rules from JSON (the module's desired properties / settings): threshold, tagThresholds, ignore, only,
// confirm {"n","m"}, releaseThreshold, cooldownSeconds, minBoxArea, zones [[[x,y],…],…], activeHours "HH:MM-HH:MM",
// snapshot. Unknown keys and bad values are errors naming the key. Keys not given keep `base`'s values.
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
};

bool inside(const Polygon& polygon, Point p);  // ray casting; points on an edge count as inside

class AlertEngine {
 public:
  using Clock = std::chrono::system_clock;
  explicit AlertEngine(AlertRules rules) : rules_(std::move(rules)) {}

  // One decision per tag considered in this prediction (see above).
  std::vector<Decision> evaluate(const std::string& camera, const vision::Prediction& p, Clock::time_point now);

  // Replaces the rules at once; per-tag history and episodes are kept.
  void set_rules(AlertRules rules) { rules_ = std::move(rules); }
  const AlertRules& rules() const { return rules_; }

 private:
  struct TagState {
    std::deque<bool> history;
    bool active = false;
    std::optional<Clock::time_point> last_alert;
  };
  double threshold_for(const std::string& tag) const;

  AlertRules rules_;
  std::map<std::pair<std::string, std::string>, TagState> state_;  // (camera, tag)
};

nlohmann::json decision_to_json(const Decision& d);

}  // namespace vigil::alert
