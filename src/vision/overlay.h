// What to draw under a frame's boxes for people (previews, snapshots): the alert rules' zones and lines, in
// normalised image coordinates. Plain data; drawn by vision/annotate.h.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace vigil::vision {

struct Shape {
  std::string name;
  std::vector<std::pair<float, float>> points;
  bool closed = false;  // zones are closed, lines open (drawn with an arrow at their end: their direction)
};
using Overlay = std::vector<Shape>;

}  // namespace vigil::vision
