#include "alert/geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil::alert {

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

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::LeftToRight: return "leftToRight";
    case Direction::RightToLeft: return "rightToLeft";
    case Direction::Any: break;
  }
  return "any";
}

std::optional<Direction> parse_direction(const std::string& text) {
  if (text == "any") return Direction::Any;
  if (text == "leftToRight") return Direction::LeftToRight;
  if (text == "rightToLeft") return Direction::RightToLeft;
  return std::nullopt;
}

Placement place(const Line& line, Point p) {
  // The nearest segment decides; a point whose nearest place on the line is one of its two ends is beyond it.
  double best = std::numeric_limits<double>::infinity();
  double signed_distance = 0;
  bool beyond = true;
  for (std::size_t i = 0; i + 1 < line.points.size(); ++i) {
    const Point a = line.points[i], b = line.points[i + 1];
    const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
    if (len2 <= 0) continue;
    const double t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2;
    const double tc = std::clamp(t, 0.0, 1.0);
    const double d = std::hypot(p.x - (a.x + tc * dx), p.y - (a.y + tc * dy));
    if (d < best) {
      best = d;
      // Cross product with y down: negative is the walker's left hand.
      signed_distance = (dx * (p.y - a.y) - dy * (p.x - a.x)) / std::sqrt(len2);
      const bool first_end = i == 0 && t < 0, last_end = i + 2 == line.points.size() && t > 1;
      beyond = first_end || last_end;
    }
  }
  if (beyond) return {Side::Unknown, true};
  if (std::fabs(signed_distance) < line.margin) return {Side::Unknown, false};
  return {signed_distance < 0 ? Side::Left : Side::Right, false};
}

std::optional<Direction> CrossingState::update(const Line& line, Point p) {
  const auto [now, beyond] = place(line, p);
  if (beyond) side_ = Side::Unknown;  // went round an end: not a crossing
  if (now == Side::Unknown) return std::nullopt;
  const Side before = side_;
  side_ = now;
  if (before == Side::Unknown || before == now) return std::nullopt;
  return now == Side::Right ? Direction::LeftToRight : Direction::RightToLeft;
}

}  // namespace vigil::alert
