#include "vision/prediction_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/time_util.h"

namespace vigil::vision {

double round8(double v) { return std::round(v * 1e8) / 1e8; }

std::string prediction_envelope(const Prediction& p, std::chrono::system_clock::time_point created) {
  using nlohmann::ordered_json;
  ordered_json preds = ordered_json::array();
  for (const auto& t : p.tags) {
    const double prob = round8(t.probability);
    ordered_json e;
    e["probability"] = prob;
    if (p.task == Task::Classification) {
      if (!(prob > 1e-8)) continue;
      e["tagId"] = "";
      e["tagName"] = t.tag;
      e["boundingBox"] = nullptr;
    } else {
      e["tagId"] = t.index;
      e["tagName"] = t.tag;
      const Box b = t.box.value_or(Box{});
      e["boundingBox"] = {{"left", round8(b.left)}, {"top", round8(b.top)},
                          {"width", round8(b.width)}, {"height", round8(b.height)}};
    }
    preds.push_back(std::move(e));
  }
  ordered_json doc;
  doc["id"] = "";
  doc["project"] = "";
  doc["iteration"] = "";
  doc["created"] = format_utc_iso(created, 6) + "Z";
  doc["predictions"] = std::move(preds);
  return doc.dump();
}

}  // namespace vigil::vision
