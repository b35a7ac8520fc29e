// The Custom Vision prediction envelope, as the exported container writes it (spec azure-iot.md §5.2):
//   {"id":"","project":"","iteration":"","created":"2026-11-25T12:00:00.123456Z","predictions":[...]}
// Classification: every label with probability > 1e-8 (rounded to 8 decimals), label order, tagId "",
// boundingBox null. Detection: by descending probability, tagId = label index, normalised boundingBox.
// One difference, on purpose: `created` ends in "Z" (it is UTC), as the cloud API writes it.
#pragma once

#include <chrono>
#include <string>

#include "vision/prediction.h"

namespace vigil::vision {

std::string prediction_envelope(const Prediction& p, std::chrono::system_clock::time_point created);

double round8(double v);

}  // namespace vigil::vision
