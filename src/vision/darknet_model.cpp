// Darknet YOLO (cfg + weights + names) through OpenCV's Darknet importer. Input: RGB 0..1 stretched to the
// [net] width × height of the cfg. Outputs: one Region/YOLO layer per scale, rows as drawn in decode.h.
#include <fstream>
#include <regex>

#include <opencv2/imgproc.hpp>

#include "core/files.h"
#include "vision/decode.h"
#include "vision/dnn_net.h"
#include "vision/model_factories.h"
#include "vision/preprocess.h"

namespace vigil::vision {
namespace {

constexpr float kYoloThreshold = 0.25f;
constexpr float kYoloIou = 0.45f;
constexpr int kYoloMax = 100;

class DarknetModel final : public Model {
 public:
  DarknetModel(ModelInfo info, DnnNet net, BlobOptions blob, DetectParams detect)
      : info_(std::move(info)), net_(std::move(net)), blob_(blob), detect_(detect) {}

  const ModelInfo& info() const override { return info_; }

  Result<PreparedInput> prepare(const cv::Mat& bgr) const override {
    if (bgr.empty() || bgr.type() != CV_8UC3) return make_error(ErrorCode::InvalidArgument, "expected an 8-bit BGR image");
    cv::Mat sized;
    cv::resize(bgr, sized, info_.input_size, 0, 0, cv::INTER_LINEAR);
    return PreparedInput{to_blob(sized, blob_), bgr.size()};
  }

  Result<RawOutput> infer(const PreparedInput& input) override { return net_.forward(input.blob); }

  Prediction decode(const RawOutput& raw, const PreparedInput&) const override {
    std::vector<Detection> dets;
    for (const auto& out : raw) {
      if (out.dims != 2) continue;
      auto d = decode_yolo_rows(out.ptr<float>(), out.rows, out.cols, detect_.threshold);
      dets.insert(dets.end(), d.begin(), d.end());
    }
    Prediction p;
    p.task = Task::Detection;
    p.tags = label_detections(std::move(dets), info_.labels, detect_);
    return p;
  }

 private:
  ModelInfo info_;
  DnnNet net_;
  BlobOptions blob_;
  DetectParams detect_;
};

// [net] width/height and the classes= of the last [yolo]/[region] section.
struct CfgFacts {
  int width = 0, height = 0, classes = -1;
};

CfgFacts read_cfg(const std::string& text) {
  CfgFacts f;
  std::string section;
  static const std::regex kv(R"(^\s*([A-Za-z_]+)\s*=\s*([^#\s]+))");
  for (const auto& line : split_lines(text)) {
    if (line[0] == '[') {
      section = line;
      continue;
    }
    std::smatch m;
    if (!std::regex_search(line, m, kv)) continue;
    const std::string key = m[1], value = m[2];
    try {
      if (section == "[net]" && key == "width") f.width = std::stoi(value);
      if (section == "[net]" && key == "height") f.height = std::stoi(value);
      if ((section == "[yolo]" || section == "[region]") && key == "classes") f.classes = std::stoi(value);
    } catch (const std::exception&) {
    }
  }
  return f;
}

}  // namespace

Result<std::unique_ptr<Model>> make_darknet_model(const DarknetFiles& files, const ModelConfig& config,
                                                  const LoadOptions& options) {
  ModelInfo info;
  info.format = "darknet";
  info.task = Task::Detection;
  info.source = files.dir;
  info.device = options.device;

  auto cfg_text = read_file(files.cfg_path, 1 << 20);
  if (!cfg_text) return cfg_text.error();
  const CfgFacts facts = read_cfg(*cfg_text);
  info.input_size = {config.input_width.value_or(facts.width), config.input_height.value_or(facts.height)};
  if (info.input_size.width <= 0 || info.input_size.height <= 0)
    return make_error(ErrorCode::InvalidArgument, files.cfg_path + ": no width/height in its [net] section");

  if (config.labels) {
    info.labels = *config.labels;
  } else {
    if (files.names_path.empty())
      return make_error(ErrorCode::NotFound, files.dir + ": no *.names or labels.txt next to " + files.cfg_path);
    auto names = read_file(files.names_path, 1 << 20);
    if (!names) return names.error();
    info.labels = split_lines(*names);
  }
  if (facts.classes >= 0 && static_cast<std::size_t>(facts.classes) != info.labels.size())
    return make_error(ErrorCode::InvalidArgument, files.cfg_path + " declares classes=" + std::to_string(facts.classes) +
                                                      " but " + (config.labels ? std::string("vigil-model.json") : files.names_path) +
                                                      " has " + std::to_string(info.labels.size()) + " labels");

  auto net = DnnNet::from_darknet(files.cfg_path, files.weights_path);
  if (!net) return make_error(net.error().code, files.dir + ": " + net.error().message);
  if (auto s = net->set_device(options.device); !s) return s.error();
  if (config.outputs) net->select_outputs(*config.outputs);

  BlobOptions blob;
  blob.swap_rb = config.rgb.value_or(true);
  blob.pixel_scale = config.pixel_scale.value_or(1.f / 255.f);
  if (config.mean) blob.norm.mean = {(*config.mean)[0], (*config.mean)[1], (*config.mean)[2]};

  const int dims[4] = {1, 3, info.input_size.height, info.input_size.width};
  if (auto warm = net->forward(cv::Mat(4, dims, CV_32F, cv::Scalar(0))); !warm)
    return make_error(warm.error().code, files.dir + ": " + warm.error().message);

  const DetectParams detect{config.threshold.value_or(kYoloThreshold), config.nms_iou.value_or(kYoloIou),
                            /*class_agnostic=*/false, static_cast<std::size_t>(config.max_detections.value_or(kYoloMax))};
  return std::unique_ptr<Model>(new DarknetModel(std::move(info), std::move(*net), blob, detect));
}

}  // namespace vigil::vision
