// The Custom Vision prediction envelope, as the exported container writes it (spec azure-iot.md §5.2):
//   {"id":"","project":"","iteration":"","created":"2026-11-25T12:00:00.123456Z","predictions":[...]}
// Classification: every label with probability > 1e-8 (rounded to 8 decimals), label order, tagId "",
// boundingBox null. Detection: by descending probability, tagId = label index, normalised boundingBox.
// vigil's tracker adds "objectId" next to a detection's boundingBox and, when objects left the view at this frame,
// "endedObjects": [ids] to the envelope; Custom Vision clients ignore both.
// One difference, on purpose: `created` ends in "Z" (it is UTC), as the cloud API writes it.
#pragma once

#include <chrono>
#include <string>

#include "core/result.h"
#include "vision/prediction.h"

namespace vigil::vision {

std::string prediction_envelope(const Prediction& p, std::chrono::system_clock::time_point created);

double round8(double v);

// Reads an envelope written by vigil serve or a Custom Vision container (or the bare predictions array).
// A prediction with a non-null boundingBox makes the result a detection. Errors: InvalidArgument, naming
// what is missing.
Result<Prediction> parse_prediction_envelope(const std::string& json);

}  // namespace vigil::vision
