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
      if (!t.object_id.empty()) e["objectId"] = t.object_id;
    }
    preds.push_back(std::move(e));
  }
  ordered_json doc;
  doc["id"] = "";
  doc["project"] = "";
  doc["iteration"] = "";
  doc["created"] = format_utc_iso(created, 6) + "Z";
  doc["predictions"] = std::move(preds);
  if (!p.ended_objects.empty()) doc["endedObjects"] = p.ended_objects;
  return doc.dump();
}

Result<Prediction> parse_prediction_envelope(const std::string& text) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return make_error(ErrorCode::InvalidArgument, "the answer is not JSON");
  const nlohmann::json* preds = &doc;
  Prediction out;
  if (doc.is_object()) {
    auto it = doc.find("predictions");
    if (it == doc.end()) return make_error(ErrorCode::InvalidArgument, "the answer has no 'predictions' array");
    preds = &*it;
    if (auto ended = doc.find("endedObjects"); ended != doc.end() && ended->is_array())
      for (const auto& id : *ended)
        if (id.is_string()) out.ended_objects.push_back(id.get<std::string>());
  }
  if (!preds->is_array()) return make_error(ErrorCode::InvalidArgument, "'predictions' is not an array");
  for (const auto& e : *preds) {
    if (!e.is_object() || !e.contains("tagName") || !e["tagName"].is_string() || !e.contains("probability") ||
        !e["probability"].is_number())
      return make_error(ErrorCode::InvalidArgument, "a prediction lacks a string tagName or a numeric probability");
    TagScore t;
    t.tag = e["tagName"].get<std::string>();
    t.probability = e["probability"].get<float>();
    if (e.contains("tagId") && e["tagId"].is_number_integer()) t.index = e["tagId"].get<int>();
    if (auto b = e.find("boundingBox"); b != e.end() && b->is_object()) {
      Box box;
      box.left = b->value("left", 0.0f);
      box.top = b->value("top", 0.0f);
      box.width = b->value("width", 0.0f);
      box.height = b->value("height", 0.0f);
      t.box = box;
      out.task = Task::Detection;
    }
    if (auto id = e.find("objectId"); id != e.end() && id->is_string()) t.object_id = id->get<std::string>();
    out.tags.push_back(std::move(t));
  }
  return out;
}

}  // namespace vigil::vision
