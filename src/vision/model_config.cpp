#include "vision/model_config.h"

#include <nlohmann/json.hpp>

namespace vigil::vision {
namespace {

using nlohmann::json;

Error bad(const std::string& key, const std::string& expected) {
  return make_error(ErrorCode::InvalidArgument,
                    std::string(kModelConfigFile) + ": key '" + key + "' must be " + expected);
}

std::optional<Error> read_key(const std::string& key, const json& v, ModelConfig& c) {
  auto positive_int = [&](std::optional<int>& out) -> std::optional<Error> {
    if (!v.is_number_integer() || v.get<long long>() <= 0 || v.get<long long>() > 8192) return bad(key, "an integer from 1 to 8192");
    out = v.get<int>();
    return std::nullopt;
  };
  auto unit_float = [&](std::optional<float>& out) -> std::optional<Error> {
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) return bad(key, "a number from 0 to 1");
    out = v.get<float>();
    return std::nullopt;
  };
  auto strings = [&](std::optional<std::vector<std::string>>& out) -> std::optional<Error> {
    if (!v.is_array() || v.empty()) return bad(key, "a non-empty array of strings");
    std::vector<std::string> list;
    for (const auto& e : v) {
      if (!e.is_string()) return bad(key, "a non-empty array of strings");
      list.push_back(e.get<std::string>());
    }
    out = std::move(list);
    return std::nullopt;
  };

  if (key == "format") {
    if (!v.is_string()) return bad(key, "\"customvision-tf\", \"customvision-onnx\" or \"darknet\"");
    const auto s = v.get<std::string>();
    if (s != "customvision-tf" && s != "customvision-onnx" && s != "darknet")
      return bad(key, "\"customvision-tf\", \"customvision-onnx\" or \"darknet\"");
    c.format = s;
  } else if (key == "task") {
    if (v == "classification") c.task = Task::Classification;
    else if (v == "detection") c.task = Task::Detection;
    else return bad(key, "\"classification\" or \"detection\"");
  } else if (key == "labels") {
    return strings(c.labels);
  } else if (key == "outputs") {
    return strings(c.outputs);
  } else if (key == "input_width") {
    return positive_int(c.input_width);
  } else if (key == "input_height") {
    return positive_int(c.input_height);
  } else if (key == "color_order") {
    if (v == "rgb") c.rgb = true;
    else if (v == "bgr") c.rgb = false;
    else return bad(key, "\"rgb\" or \"bgr\"");
  } else if (key == "pixel_range") {
    if (v == "0-255") c.pixel_scale = 1.f;
    else if (v == "0-1") c.pixel_scale = 1.f / 255.f;
    else return bad(key, "\"0-255\" or \"0-1\"");
  } else if (key == "mean") {
    if (!v.is_array() || v.size() != 3) return bad(key, "an array of 3 numbers");
    std::vector<float> m;
    for (const auto& e : v) {
      if (!e.is_number()) return bad(key, "an array of 3 numbers");
      m.push_back(e.get<float>());
    }
    c.mean = m;
  } else if (key == "threshold") {
    return unit_float(c.threshold);
  } else if (key == "nms_iou") {
    return unit_float(c.nms_iou);
  } else if (key == "max_detections") {
    return positive_int(c.max_detections);
  } else {
    return make_error(ErrorCode::InvalidArgument,
                      std::string(kModelConfigFile) + ": unknown key '" + key +
                          "' (known: format, task, labels, input_width, input_height, color_order, pixel_range, "
                          "mean, threshold, nms_iou, max_detections, outputs; see docs/models.md)");
  }
  return std::nullopt;
}

}  // namespace

Result<ModelConfig> parse_model_config(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return make_error(ErrorCode::InvalidArgument, std::string(kModelConfigFile) + " is not valid JSON");
  if (!doc.is_object()) return make_error(ErrorCode::InvalidArgument, std::string(kModelConfigFile) + " must hold a JSON object");
  ModelConfig c;
  for (const auto& [key, value] : doc.items()) {
    if (key.rfind("//", 0) == 0 || key == "comment") continue;  // room for notes
    if (auto err = read_key(key, value, c)) return *err;
  }
  return c;
}

}  // namespace vigil::vision
