// Azure Custom Vision exports (TensorFlow .pb or ONNX), classification and object detection.
//
//   head        output(s)                                   decode
//   Classifier  1×N probabilities (sigmoid in TF exports)   one TagScore per label, label order
//   Grid        [1, 5·(5+C), H, W] YOLOv2 grid (non-S1 OD)   decode_customvision_grid + class-agnostic NMS
//   S1Boxes     detected_boxes [N,4] x1y1x2y2, detected_classes [N], detected_scores [N]
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/files.h"
#include "vision/decode.h"
#include "vision/dnn_net.h"
#include "vision/model_factories.h"
#include "vision/onnx_info.h"
#include "vision/preprocess.h"
#include "vision/tf_graph.h"

namespace vigil::vision {
namespace {

enum class Head { Classifier, Grid, S1Boxes };

constexpr float kDetectThreshold = 0.10f;  // the exported container's defaults
constexpr float kDetectIou = 0.45f;
constexpr int kDetectMax = 20;
constexpr int kDefaultClassifierSize = 227;

class CustomVisionModel final : public Model {
 public:
  CustomVisionModel(ModelInfo info, DnnNet net, Head head, BlobOptions blob, DetectParams detect)
      : info_(std::move(info)), net_(std::move(net)), head_(head), blob_(blob), detect_(detect) {}

  const ModelInfo& info() const override { return info_; }

  Result<PreparedInput> prepare(const cv::Mat& bgr) const override {
    if (bgr.empty() || bgr.type() != CV_8UC3) return make_error(ErrorCode::InvalidArgument, "expected an 8-bit BGR image");
    cv::Mat sized;
    if (info_.task == Task::Classification) {
      sized = classification_crop(bgr, info_.input_size);
    } else {
      cv::resize(bgr, sized, info_.input_size, 0, 0, cv::INTER_LINEAR);
    }
    return PreparedInput{to_blob(sized, blob_), bgr.size()};
  }

  Result<RawOutput> infer(const PreparedInput& input) override { return net_.forward(input.blob); }

  Prediction decode(const RawOutput& raw, const PreparedInput&) const override {
    Prediction p;
    p.task = info_.task;
    if (head_ == Head::Classifier) {
      const cv::Mat& out = raw.at(0);
      const auto* v = out.ptr<float>();
      for (std::size_t i = 0; i < info_.labels.size() && i < out.total(); ++i)
        p.tags.push_back({info_.labels[i], static_cast<int>(i), v[i], std::nullopt, {}});
      return p;
    }
    std::vector<Detection> dets;
    if (head_ == Head::Grid) {
      const cv::Mat& out = raw.at(0);
      dets = decode_customvision_grid(out.ptr<float>(), out.size[1], out.size[2], out.size[3],
                                      static_cast<int>(info_.labels.size()), detect_.threshold);
    } else {
      const cv::Mat& boxes = raw.at(0);
      const cv::Mat& classes = raw.at(1);
      const cv::Mat& scores = raw.at(2);
      const std::size_t n = scores.total();
      for (std::size_t i = 0; i < n && 4 * i + 3 < boxes.total() && i < classes.total(); ++i) {
        const float s = scores.ptr<float>()[i];
        if (s < detect_.threshold) continue;
        const float* b = boxes.ptr<float>() + 4 * i;
        dets.push_back({static_cast<int>(classes.ptr<float>()[i]), s, clamp_box(b[0], b[1], b[2] - b[0], b[3] - b[1])});
      }
    }
    p.tags = label_detections(std::move(dets), info_.labels, detect_);
    return p;
  }

 private:
  ModelInfo info_;
  DnnNet net_;
  Head head_;
  BlobOptions blob_;
  DetectParams detect_;
};

// Checks that a warm-up forward pass produces what the head expects; fills in nothing, only validates.
Status check_outputs(DnnNet& net, Head head, const cv::Size& size, std::size_t labels) {
  const int dims[4] = {1, 3, size.height, size.width};
  auto out = net.forward(cv::Mat(4, dims, CV_32F, cv::Scalar(0)));
  if (!out) return out.error();
  const auto n = labels;
  if (head == Head::Classifier) {
    if (out->empty() || (*out)[0].total() != n)
      return make_error(ErrorCode::InvalidArgument,
                        "the model outputs " + std::to_string(out->empty() ? 0 : (*out)[0].total()) +
                            " values but there are " + std::to_string(n) + " labels; check labels.txt");
  } else if (head == Head::Grid) {
    const int want = static_cast<int>(kCustomVisionAnchors.size() * (5 + n));
    if (out->empty() || (*out)[0].dims != 4 || (*out)[0].size[1] != want)
      return make_error(ErrorCode::InvalidArgument,
                        "the detector's output is not a [1, " + std::to_string(want) +
                            ", H, W] grid for 5 anchors and " + std::to_string(n) + " labels; check labels.txt");
  } else if (out->size() != 3) {
    return make_error(ErrorCode::InvalidArgument, "the S1 detector did not produce boxes, classes and scores");
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<Model>> make_customvision_model(const CustomVisionFiles& files, const ModelConfig& config,
                                                       const LoadOptions& options) {
  ModelInfo info;
  info.source = files.dir;
  info.device = options.device;
  info.format = files.onnx ? "customvision-onnx" : "customvision-tf";

  if (config.labels) {
    info.labels = *config.labels;
  } else {
    auto text = read_file(files.labels_path, 1 << 20);
    if (!text) return make_error(ErrorCode::NotFound, files.dir + ": labels.txt is missing or unreadable (" + text.error().message + ")");
    info.labels = split_lines(*text);
    if (info.labels.empty()) return make_error(ErrorCode::InvalidArgument, files.labels_path + " holds no labels");
  }

  auto bytes = read_file(files.model_path);
  if (!bytes) return bytes.error();

  BlobOptions blob;
  Head head = Head::Classifier;
  Task task = config.task.value_or(files.manifest_task.value_or(Task::Classification));
  std::vector<std::string> wanted_outputs;
  Result<DnnNet> net = make_error(ErrorCode::Internal, "unset");

  if (!files.onnx) {
    auto graph = inspect_tf_graph(*bytes);
    if (!graph) return make_error(graph.error().code, files.model_path + ": " + graph.error().message);
    info.input_size = {graph->input_width, graph->input_height};
    const bool s1_boxes = graph->has_node("detected_boxes") && graph->has_node("detected_scores");
    if (s1_boxes) task = Task::Detection;
    if (task == Task::Detection) {
      head = s1_boxes ? Head::S1Boxes : Head::Grid;
      if (s1_boxes) {
        wanted_outputs = {"detected_boxes", "detected_classes", "detected_scores"};
        info.variant = "S1";
      }
      blob.swap_rb = s1_boxes;  // S1 takes RGB
    } else if (!graph->has_node("loss")) {
      blob.swap_rb = true;      // no `loss` node: the compact [S1] classifier, RGB input
      info.variant = "S1";
    } else {
      wanted_outputs = {"loss"};
    }
    if (graph->has_data_bn) {
      auto stripped = strip_data_bn(*bytes);
      if (!stripped) return make_error(stripped.error().code, files.model_path + ": " + stripped.error().message);
      blob.norm = stripped->norm;
      info.variant = info.variant.empty() ? "data_bn rewritten" : info.variant + ", data_bn rewritten";
      net = DnnNet::from_tensorflow(stripped->graph_def);
    } else {
      net = DnnNet::from_tensorflow(*bytes);
    }
  } else {
    auto onnx = inspect_onnx(*bytes);
    if (!onnx) return make_error(onnx.error().code, files.model_path + ": " + onnx.error().message);
    const auto& in = onnx->inputs[0];
    if (in.dims.size() == 4 && in.dims[2] > 0 && in.dims[3] > 0)
      info.input_size = {static_cast<int>(in.dims[3]), static_cast<int>(in.dims[2])};
    auto meta = [&](const char* k) { auto it = onnx->metadata.find(k); return it == onnx->metadata.end() ? std::string() : it->second; };
    blob.swap_rb = meta("Image.BitmapPixelFormat") != "Bgr8";
    blob.pixel_scale = meta("Image.NominalPixelRange") == "NominalRange_0_255" ? 1.f : 1.f / 255.f;
    bool s1_boxes = false;
    for (const auto& o : onnx->outputs) s1_boxes = s1_boxes || o.name == "detected_boxes";
    if (s1_boxes) {
      task = Task::Detection;
      head = Head::S1Boxes;
      info.variant = "S1";
      wanted_outputs = {"detected_boxes", "detected_classes", "detected_scores"};
    } else if (!config.task && !files.manifest_task && onnx->outputs[0].dims.size() == 4) {
      task = Task::Detection;
      head = Head::Grid;
    } else {
      head = task == Task::Detection ? Head::Grid : Head::Classifier;
    }
    net = DnnNet::from_onnx(*bytes);
  }
  if (!net) return make_error(net.error().code, files.model_path + ": " + net.error().message);

  info.task = task;
  if (config.input_width) info.input_size.width = *config.input_width;
  if (config.input_height) info.input_size.height = *config.input_height;
  if (info.input_size.width <= 0 || info.input_size.height <= 0) {
    if (task == Task::Detection)
      return make_error(ErrorCode::InvalidArgument, files.model_path + ": the model does not state its input size; set input_width and input_height in vigil-model.json");
    info.input_size = {kDefaultClassifierSize, kDefaultClassifierSize};
  }
  if (config.rgb) blob.swap_rb = *config.rgb;
  if (config.pixel_scale) blob.pixel_scale = *config.pixel_scale;
  if (config.mean) blob.norm.mean = {(*config.mean)[0], (*config.mean)[1], (*config.mean)[2]};
  if (config.outputs) wanted_outputs = *config.outputs;

  if (auto s = net->set_device(options.device); !s) return s.error();
  net->select_outputs(wanted_outputs);
  if (auto s = check_outputs(*net, head, info.input_size, info.labels.size()); !s)
    return make_error(s.error().code, files.model_path + ": " + s.error().message);

  const DetectParams detect{config.threshold.value_or(kDetectThreshold), config.nms_iou.value_or(kDetectIou),
                            /*class_agnostic=*/true, static_cast<std::size_t>(config.max_detections.value_or(kDetectMax))};
  return std::unique_ptr<Model>(new CustomVisionModel(std::move(info), std::move(*net), head, blob, detect));
}

}  // namespace vigil::vision
