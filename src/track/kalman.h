// A constant-velocity Kalman filter for one box: centre x, centre y, width and height, each with its velocity.
// With a process model and a measurement that treat the four coordinates alike and apart, the 8-state filter
// splits exactly into four 2-state filters (position, velocity), which is what this is. Time steps are real
// seconds (frame timestamps), so a skipped or late frame predicts further. Pure.
#pragma once

#include <array>

#include "vision/prediction.h"

namespace vigil::track {

class BoxFilter {
 public:
  explicit BoxFilter(const vision::Box& first);
  void predict(double dt_s);             // moves the state dt_s seconds ahead
  void update(const vision::Box& seen);  // folds in a measurement
  vision::Box box() const;               // the current estimate (width and height kept >= a small minimum)

 private:
  struct Axis {
    double x = 0, v = 0;                      // position, velocity
    double pxx = 0, pxv = 0, pvv = 0;         // covariance
  };
  double size() const;  // the scale noise is proportional to (the box's larger side)
  std::array<Axis, 4> axes_;  // cx, cy, w, h
};

}  // namespace vigil::track
