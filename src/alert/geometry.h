// The picture's geometry the alert rules use, in normalised image coordinates (0..1, y down): zones (polygons,
// optionally named, with a loitering time) and lines (named polylines that objects cross), and the test whether
// an object's reference point crossed a line between two frames. Pure.
//
// Which side of a line a point is on: walking along the line from its first point to its last, as the picture is
// seen, "left" is on the walker's left hand. For a line drawn from left to right across the picture, "left" is the
// upper part and "right" the lower part; so "leftToRight" is moving down the picture across it.
//
// Crossing with hysteresis: a point counts as on a side only once it is at least `margin` away from the line and
// beside one of its segments; jitter within the margin changes nothing; going round an end forgets the side.
//
//   Unknown ── beside the line, >= margin away ──▶ Left / Right ── the other side, >= margin away ──▶ CROSSED
//      ▲                                              │                                           (now that side)
//      └──────────── beyond one of the line's ends ───┘
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vigil::alert {

struct Point {
  double x = 0, y = 0;  // normalised image coordinates
};
using Polygon = std::vector<Point>;

bool inside(const Polygon& polygon, Point p);  // ray casting; points on an edge count as inside

struct Zone {
  std::string name;            // "" for the unnamed zones of the list form
  Polygon points;
  double loiter_s = 0;         // > 0: an object that stays inside this long alerts "loitering"
  std::set<std::string> tags;  // loitering only for these tags (empty: all)
};

enum class Side { Unknown = 0, Left = -1, Right = 1 };
enum class Direction { Any, LeftToRight, RightToLeft };
const char* direction_name(Direction d);  // "any", "leftToRight", "rightToLeft"
std::optional<Direction> parse_direction(const std::string& text);

struct Line {
  std::string name;
  std::vector<Point> points;  // at least 2
  Direction direction = Direction::Any;  // which crossings alert
  double margin = 0.02;                  // hysteresis, in image fractions
};

// Which side of `line` p is on: Unknown when it is within the margin, or beyond the line's ends (then `beyond`).
struct Placement {
  Side side = Side::Unknown;
  bool beyond = false;
};
Placement place(const Line& line, Point p);

// Follows one object's side of one line. Returns the direction of a crossing at this point, if it made one.
class CrossingState {
 public:
  std::optional<Direction> update(const Line& line, Point p);

 private:
  Side side_ = Side::Unknown;
};

}  // namespace vigil::alert
