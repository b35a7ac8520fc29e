#include "track/kalman.h"

#include <algorithm>
#include <cmath>

namespace vigil::track {
namespace {

// Noise as fractions of the box's size (as DeepSORT scales them by the box height): a measurement is off by
// about 5 % of the box, an object changes its speed by about half its size per second per second.
constexpr double kMeasureStd = 0.05;
constexpr double kAccelStd = 0.5;
constexpr double kInitialVelocityStd = 1.0;  // box sizes per second: the first box tells nothing of speed
constexpr double kMinSize = 1e-3;

}  // namespace

BoxFilter::BoxFilter(const vision::Box& b) {
  const double values[4] = {b.left + b.width / 2.0, b.top + b.height / 2.0, b.width, b.height};
  for (int i = 0; i < 4; ++i) axes_[i].x = values[i];
  const double s = size();
  for (auto& a : axes_) {
    a.pxx = std::pow(2 * kMeasureStd * s, 2);
    a.pvv = std::pow(kInitialVelocityStd * s, 2);
  }
}

double BoxFilter::size() const { return std::max({axes_[2].x, axes_[3].x, kMinSize}); }

void BoxFilter::predict(double dt) {
  if (dt <= 0) return;
  const double q = std::pow(kAccelStd * size(), 2);  // white-noise acceleration
  for (auto& a : axes_) {
    a.x += a.v * dt;
    // P = F P Fᵀ + Q, F = [[1, dt], [0, 1]], Q = q [[dt⁴/4, dt³/2], [dt³/2, dt²]]
    const double pxx = a.pxx + 2 * dt * a.pxv + dt * dt * a.pvv + q * std::pow(dt, 4) / 4;
    const double pxv = a.pxv + dt * a.pvv + q * std::pow(dt, 3) / 2;
    const double pvv = a.pvv + q * dt * dt;
    a.pxx = pxx;
    a.pxv = pxv;
    a.pvv = pvv;
  }
}

void BoxFilter::update(const vision::Box& b) {
  const double seen[4] = {b.left + b.width / 2.0, b.top + b.height / 2.0, b.width, b.height};
  const double r = std::pow(kMeasureStd * std::max({static_cast<double>(b.width), static_cast<double>(b.height), kMinSize}), 2);
  for (int i = 0; i < 4; ++i) {
    Axis& a = axes_[i];
    const double s = a.pxx + r;  // innovation covariance, H = [1, 0]
    const double kx = a.pxx / s, kv = a.pxv / s;
    const double innovation = seen[i] - a.x;
    a.x += kx * innovation;
    a.v += kv * innovation;
    const double pxx = (1 - kx) * a.pxx, pxv = (1 - kx) * a.pxv, pvv = a.pvv - kv * a.pxv;
    a.pxx = pxx;
    a.pxv = pxv;
    a.pvv = pvv;
  }
}

vision::Box BoxFilter::box() const {
  const double w = std::max(axes_[2].x, kMinSize), h = std::max(axes_[3].x, kMinSize);
  return {static_cast<float>(axes_[0].x - w / 2), static_cast<float>(axes_[1].x - h / 2), static_cast<float>(w),
          static_cast<float>(h)};
}

}  // namespace vigil::track
