// Scores a replay's alerts against what a person says is in the clip (vigil replay --truth FILE). Pure.
//
// The truth file (JSON):
//   {"fps": 10,                                       the clip's frame rate (for delays; default 10)
//    "objects":   [{"id": "A", "tag": "person", "firstFrame": 21, "lastFrame": 111}, …],
//    "crossings": [{"object": "A", "line": "gate", "direction": "leftToRight", "frame": 66}, …],   optional
//    "loitering": [{"object": "C", "zone": "door", "fromFrame": 231, "toFrame": 290}, …]}          optional
// Frames are numbered from 1, as vigil numbers them.
//
// Objects: each "detected" alert (or per-frame alert) is matched to a truth object of its tag in view at the alert's
// frame and not matched yet; alerts of an objectId already matched, and alerts that match nothing, are false.
// precision = matched alerts / alerts, recall = matched objects / objects, and per object the delay from its first
// frame to its alert. Crossings match on line and direction within a second of the truth's frame; loitering on zone
// while the object is (or a second after it was) there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace vigil::alert {

struct TruthObject {
  std::string id, tag;
  std::uint64_t first = 0, last = 0;
};
struct TruthCrossing {
  std::string object, line, direction;
  std::uint64_t frame = 0;
};
struct TruthLoiter {
  std::string object, zone;
  std::uint64_t from = 0, to = 0;
};
struct Truth {
  double fps = 10;
  std::vector<TruthObject> objects;
  std::vector<TruthCrossing> crossings;
  std::vector<TruthLoiter> loitering;
};

Result<Truth> parse_truth(const nlohmann::json& j);

// One alert as the replay printed it (its body).
struct ScoredAlert {
  std::string event, tag, object_id, line, direction, zone;
  std::uint64_t frame = 0;  // the frame the alert was decided at
};
ScoredAlert scored_alert(const nlohmann::json& body);

nlohmann::json score(const Truth& truth, const std::vector<ScoredAlert>& alerts);

}  // namespace vigil::alert
