#include "capture/object_tracking.h"

#include <nlohmann/json.hpp>

namespace vigil::capture {

bool ObjectTracking::apply(vision::Prediction& p, std::string& envelope_json,
                           std::chrono::system_clock::time_point frame_time) {
  if (p.task != vision::Task::Detection) return false;
  std::vector<track::Detection> detections;
  detections.reserve(p.tags.size());
  for (const auto& t : p.tags) detections.push_back({t.tag, t.probability, t.box.value_or(vision::Box{})});
  const double t_s = std::chrono::duration<double>(frame_time.time_since_epoch()).count();
  const auto step = tracker_.update(detections, t_s);
  bool any = false;
  for (std::size_t i = 0; i < p.tags.size(); ++i) {
    if (step.ids[i] == 0) continue;
    p.tags[i].object_id = object_id(step.ids[i]);
    any = true;
  }
  for (const auto& e : step.ended) p.ended_objects.push_back(object_id(e.id));
  if (!any && p.ended_objects.empty()) return false;

  auto doc = nlohmann::ordered_json::parse(envelope_json, nullptr, false);
  if (doc.is_discarded()) return true;
  nlohmann::ordered_json* preds = doc.is_object() && doc.contains("predictions") ? &doc["predictions"] : &doc;
  if (preds->is_array() && preds->size() == p.tags.size())
    for (std::size_t i = 0; i < p.tags.size(); ++i)
      if (!p.tags[i].object_id.empty() && (*preds)[i].is_object()) (*preds)[i]["objectId"] = p.tags[i].object_id;
  if (!p.ended_objects.empty() && doc.is_object()) doc["endedObjects"] = p.ended_objects;
  envelope_json = doc.dump();
  return true;
}

}  // namespace vigil::capture
