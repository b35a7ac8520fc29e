// load_model(): looks at a folder, decides which family it is, and hands over to that family's factory.
#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "vision/model.h"
#include "vision/model_factories.h"

namespace vigil::vision {
namespace fs = std::filesystem;

Result<Prediction> Model::predict(const cv::Mat& bgr) {
  auto input = prepare(bgr);
  if (!input) return input.error();
  auto raw = infer(*input);
  if (!raw) return raw.error();
  return decode(*raw, *input);
}

namespace {

constexpr const char* kExpected =
    "expected an Azure Custom Vision export (model.pb or model.onnx with labels.txt), a Darknet YOLO model "
    "(*.cfg, *.weights and *.names), or builtin:person";

std::string join_names(const std::vector<std::string>& names) {
  if (names.empty()) return "nothing";
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

std::string first_with_ext(const std::vector<std::string>& names, const std::string& ext) {
  for (const auto& n : names)
    if (n.size() > ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0) return n;
  return "";
}

bool has(const std::vector<std::string>& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

struct Manifest {
  std::optional<Task> task;
  std::string platform, model_file, label_file;
};

Result<Manifest> read_manifest(const std::string& path) {
  Manifest m;
  auto text = read_file(path, 1 << 20);
  if (!text) return text.error();
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorCode::InvalidArgument, path + " is not a JSON object");
  auto str = [&](const char* k) { return doc.contains(k) && doc[k].is_string() ? doc[k].get<std::string>() : std::string(); };
  const std::string domain = str("DomainType");
  if (domain == "Classification") m.task = Task::Classification;
  else if (domain == "ObjectDetection") m.task = Task::Detection;
  else if (!domain.empty())
    return make_error(ErrorCode::Unsupported, path + ": DomainType '" + domain + "' is not supported (expected Classification or ObjectDetection)");
  m.platform = str("Platform");
  m.model_file = str("ModelFileName");
  m.label_file = str("LabelFileName");
  return m;
}

}  // namespace

Result<std::unique_ptr<Model>> load_model(const std::string& path, const LoadOptions& options) {
  if (path == kBuiltinPerson) return make_hog_person_model(options);
  std::error_code ec;
  if (!fs::exists(path, ec))
    return make_error(ErrorCode::NotFound, "model folder '" + path + "' does not exist; " + kExpected);
  if (!fs::is_directory(path, ec))
    return make_error(ErrorCode::InvalidArgument, "'" + path + "' is a file; pass the folder that holds the model (" + kExpected + ")");

  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_regular_file()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  const std::string dir = fs::path(path).string();
  auto at = [&](const std::string& n) { return n.empty() ? std::string() : (fs::path(dir) / n).string(); };

  ModelConfig config;
  if (has(names, kModelConfigFile)) {
    auto text = read_file(at(kModelConfigFile), 1 << 20);
    if (!text) return text.error();
    auto parsed = parse_model_config(*text);
    if (!parsed) return make_error(parsed.error().code, dir + "/" + parsed.error().message);
    config = std::move(*parsed);
  }

  Manifest manifest;
  if (has(names, "cvexport.manifest")) {
    auto m = read_manifest(at("cvexport.manifest"));
    if (!m) return m.error();
    manifest = std::move(*m);
  }

  const std::string cfg = first_with_ext(names, ".cfg"), weights = first_with_ext(names, ".weights");
  std::string format = config.format.value_or("");
  if (format.empty()) {
    const std::string& mf = manifest.model_file;
    if (!cfg.empty() && !weights.empty()) format = "darknet";
    else if ((!mf.empty() && mf.size() > 3 && mf.substr(mf.size() - 3) == ".pb") || has(names, "model.pb")) format = "customvision-tf";
    else if ((!mf.empty() && mf.size() > 5 && mf.substr(mf.size() - 5) == ".onnx") || has(names, "model.onnx")) format = "customvision-onnx";
  }
  if (format.empty()) {
    if (!manifest.platform.empty() && manifest.platform != "TensorFlow" && manifest.platform != "ONNX")
      return make_error(ErrorCode::Unsupported, dir + " is a Custom Vision '" + manifest.platform +
                                                    "' export, which OpenCV cannot run; export the iteration again as TensorFlow or ONNX");
    return make_error(ErrorCode::InvalidArgument, dir + " holds " + join_names(names) + "; " + kExpected);
  }

  if (format == "darknet") {
    if (cfg.empty() || weights.empty())
      return make_error(ErrorCode::NotFound, dir + " holds " + join_names(names) + "; a Darknet model needs a *.cfg and a *.weights file");
    std::string names_file = first_with_ext(names, ".names");
    if (names_file.empty() && has(names, "labels.txt")) names_file = "labels.txt";
    return make_darknet_model({dir, at(cfg), at(weights), at(names_file)}, config, options);
  }

  CustomVisionFiles files;
  files.dir = dir;
  files.onnx = format == "customvision-onnx";
  std::string model_file = manifest.model_file;
  if (model_file.empty() || !has(names, model_file)) model_file = files.onnx ? "model.onnx" : "model.pb";
  if (!has(names, model_file))
    return make_error(ErrorCode::NotFound, dir + " holds " + join_names(names) + " but no " + model_file);
  files.model_path = at(model_file);
  std::string label_file = manifest.label_file.empty() ? "labels.txt" : manifest.label_file;
  if (!has(names, label_file) && !config.labels)
    return make_error(ErrorCode::NotFound, dir + " holds " + join_names(names) + " but no " + label_file +
                                               " (one tag per line, in the model's output order)");
  files.labels_path = at(label_file);
  files.manifest_task = manifest.task;
  return make_customvision_model(files, config, options);
}

}  // namespace vigil::vision
