// What a model says about one image: tags with probabilities and, for detectors, a normalised box each.
// Plain data, shared by every model kind and by the JSON envelope writer.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vigil::vision {

// Box in normalised image coordinates: (left, top) is the top-left corner, all values in [0, 1].
struct Box {
  float left = 0, top = 0, width = 0, height = 0;
};

struct TagScore {
  std::string tag;        // label text
  int index = 0;          // label index in the model's label list
  float probability = 0;  // 0..1
  std::optional<Box> box; // detectors only
  std::string object_id;  // detectors with tracking: the object this box belongs to ("driveway-17"), or ""
};

enum class Task { Classification, Detection };

struct Prediction {
  Task task = Task::Classification;
  std::vector<TagScore> tags;  // classification: label order; detection: by descending probability
  std::vector<std::string> ended_objects;  // tracking: objects that left the view at this frame
};

}  // namespace vigil::vision
