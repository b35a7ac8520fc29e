// ObjectEngine: the alert rules per tracked object (alertPer "object"). The camera's tracker gives each detection
// an objectId (capture/object_tracking.h); this decides, per object, with the frame's time:
//
//   first seen ─▶ Watching ── its own N of M frames pass the tag and box rules, activeHours, cooldown ──▶ Pending
//                   │  (quiet: still since the camera started, or on a spot where a still object was:              │
//                   │   waits until it has moved for a second, unless alertOnStationary)                          │
//                   │                              1 s after first seen (its best frame so far), or at once ──────┘
//                   │                                                                                  ▼
//                   └──────────── ended (or unseen for a minute) ─▶ forgotten          Alerted: one "detected"
//
//   at any time (quiet ones only once they have moved): crossing a line ─▶ "crossed" (each crossing, in the line's
//   direction); inside a zone with loiterSeconds for that long ─▶ "loitering" (once per object and zone);
//   an Alerted object that ends ─▶ "ended" with its time in view (endedEvents).
//
// Stationary: the object's box overlaps its own box of stationarySeconds ago by stationaryIou or more. An object that
// ends while stationary or unmoved leaves its spot remembered (an hour), so the same parked car found again under
// a new id does not alert again. A camera whose frame numbers start again (it restarted) forgets its objects.
// Pure: the time is passed in; used under the alert module's lock.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "alert/rules.h"

namespace vigil::alert {

class ObjectEngine {
 public:
  std::vector<Decision> evaluate(const AlertRules& rules, const std::string& camera, const vision::Prediction& p,
                                 std::chrono::system_clock::time_point now, std::uint64_t frame);
  // Objects seen so far, by (camera, tag).
  const std::map<std::pair<std::string, std::string>, std::uint64_t>& objects_total() const { return totals_; }

 private:
  enum class Phase { Watching, Pending, Alerted };
  struct Object {
    std::string id, tag;
    double first_s = 0, last_s = 0;
    vision::Box first_box, box;
    float score = 0;
    std::deque<bool> history;                          // its last M frames: qualified or not
    std::deque<std::pair<double, vision::Box>> path;   // for the stationary test
    bool quiet = false, moved = false, stationary = false;
    double away_since = -1;                            // its box left its first place at (frame time)
    Phase phase = Phase::Watching;
    float best_score = -1;
    vision::Box best_box;
    std::uint64_t best_frame = 0;
    std::map<std::string, CrossingState> lines;
    std::map<std::string, double> zone_since;
    std::set<std::string> loitered;
  };
  struct Spot {
    std::string tag;
    vision::Box box;
    double at_s = 0;
  };
  struct Camera {
    std::map<std::string, Object> objects;
    std::vector<Spot> spots;  // where still objects were
    std::map<std::string, double> last_alert;  // tag → time, for cooldownSeconds
    double start_s = -1;
    std::uint64_t last_frame = 0;
  };

  Object& object_for(const AlertRules& rules, Camera& c, const vision::TagScore& t, double now_s);
  void follow(const AlertRules& rules, Object& o, const vision::TagScore& t, double now_s, std::uint64_t frame);
  void try_detect(const AlertRules& rules, Camera& c, Object& o, bool qualifies, std::chrono::system_clock::time_point now,
                  Decision& d);
  void places(const AlertRules& rules, Object& o, std::chrono::system_clock::time_point now, const std::string& camera,
              std::vector<Decision>& out);
  void finish(const AlertRules& rules, Camera& c, const std::string& id, std::vector<Decision>& out,
              const std::string& camera);
  Decision event(const std::string& camera, const Object& o, const char* name) const;
  bool on_spot(const Camera& c, const std::string& tag, const vision::Box& box) const;

  std::map<std::string, Camera> cameras_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> totals_;
};

}  // namespace vigil::alert
