#include "capture/camera_module.h"

#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "core/guard.h"
#include "core/log.h"
#include "core/time_util.h"
#include "vision/annotate.h"

namespace vigil::capture {
namespace {

using Clock = std::chrono::steady_clock;

std::string iso_now() { return format_utc_iso(std::chrono::system_clock::now(), 3) + "Z"; }

nlohmann::json top_tags(const vision::Prediction& p, std::size_t n) {
  std::vector<const vision::TagScore*> order;
  for (const auto& t : p.tags) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->probability > b->probability; });
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < order.size() && i < n; ++i)
    out.push_back({{"tag", order[i]->tag}, {"probability", std::round(static_cast<double>(order[i]->probability) * 1000) / 1000}});
  return out;
}

void describe_metrics(Metrics& m) {
  m.describe("vigil_camera_frames_captured_total", "counter", "Frames read from the camera's source");
  m.describe("vigil_camera_frames_processed_total", "counter", "Frames taken by the processing thread");
  m.describe("vigil_camera_frames_inferred_total", "counter", "Frames that went through the model");
  m.describe("vigil_camera_frames_skipped_total", "counter", "Frames the motion gate kept from the model");
  m.describe("vigil_camera_frames_dropped_total", "counter", "Frames replaced by a newer one before processing");
  m.describe("vigil_camera_inference_errors_total", "counter", "Failed inferences (endpoint down, bad answer)");
  m.describe("vigil_camera_messages_sent_total", "counter", "Prediction messages sent on output1");
  m.describe("vigil_camera_reconnects_total", "counter", "Times the source was opened again after a failure");
  m.describe("vigil_camera_health", "gauge", "1 for the source's current health state, 0 for the others");
  m.describe("vigil_camera_fps", "gauge", "Frames processed per second");
}

}  // namespace

CameraModule::CameraModule(ModuleContext& context, CameraSettings settings, SourceSpec spec,
                           std::unique_ptr<FrameSource> source, std::unique_ptr<FrameInference> inference)
    : context_(context),
      settings_(std::move(settings)),
      spec_(std::move(spec)),
      id_(settings_.camera_id.empty() ? context.module_id() : settings_.camera_id),
      inference_(std::move(inference)),
      view_(std::make_shared<http::CameraView>(id_)) {
  if (settings_.motion_gate && inference_) {
    MotionOptions mo;
    mo.threshold = settings_.motion_threshold;
    mo.recheck_s = settings_.motion_recheck_s;
    gate_ = std::make_unique<MotionGate>(mo);
  }
  if (settings_.track && inference_) {
    track::TrackerOptions to;
    to.confirm_hits = settings_.track_confirm_hits;
    to.max_age_s = settings_.track_max_age_s;
    to.match_iou = settings_.track_match_iou;
    tracking_ = std::make_unique<ObjectTracking>(id_, to);
  }
  CaptureOptions co;
  co.kind = spec_.kind;
  co.realtime = settings_.realtime;
  co.stall_s = settings_.stall_s;
  co.reconnect_max_s = settings_.reconnect_max_s;
  capture_ = std::make_unique<CaptureLoop>(std::move(source), co, [this](const HealthChange& c) { on_health(c); });
  describe_metrics(context_.metrics());
  for (Health h : {Health::Connecting, Health::Live, Health::Stalled, Health::Lost, Health::Ended})
    context_.metrics().set("vigil_camera_health", {{"camera", id_}, {"state", health_name(h)}}, h == Health::Connecting);
  refresh_status();
}

CameraModule::~CameraModule() { stop(); }

void CameraModule::start() {
  LOG_INFO("camera", "[" << id_ << "] " << source_kind_name(spec_.kind) << " " << spec_.location << " → "
                         << (inference_ ? inference_->describe() : std::string("no inference (IMAGE_PROCESSING_ENDPOINT is empty)"))
                         << (gate_ ? ", motion gate on" : ""));
  if (clips_ && settings_.clips) {
    ClipOptions o;
    o.pre_roll_s = settings_.pre_roll_s;
    o.post_roll_s = settings_.post_roll_s;
    o.max_s = settings_.clip_max_s;
    o.encode_fps = settings_.max_fps > 0 ? settings_.max_fps : 10;
    recorder_ = clips_->open(id_, o);
    capture_->set_packet_sink(
        [r = recorder_](const MediaFormatPtr& f, PacketPtr p) { r->on_packet(f, std::move(p)); });
  }
  capture_->start();
  thread_ = std::thread([this] { run(); });
}

void CameraModule::stop() {
  stopping_ = true;
  capture_->stop();
  if (thread_.joinable()) thread_.join();
  if (recorder_) clips_->close(id_, recorder_);  // what open clips hold is written
  view_->close();
}

void CameraModule::wait() {
  if (thread_.joinable()) thread_.join();
}

void CameraModule::on_health(const HealthChange& c) {
  const std::string msg = std::string(health_name(c.from)) + " → " + health_name(c.to) + ": " + c.reason;
  if (c.to == Health::Lost || c.to == Health::Stalled) LOG_WARN("camera", "[" << id_ << "] " << msg);
  else LOG_INFO("camera", "[" << id_ << "] " << msg);
  auto& m = context_.metrics();
  m.set("vigil_camera_health", {{"camera", id_}, {"state", health_name(c.from)}}, 0);
  m.set("vigil_camera_health", {{"camera", id_}, {"state", health_name(c.to)}}, 1);
  nlohmann::json body = {{"camera", id_},        {"state", health_name(c.to)}, {"previous", health_name(c.from)},
                         {"reason", c.reason},   {"source", spec_.location},   {"time", iso_now()}};
  Message message = make_json_message(body.dump(), std::chrono::system_clock::now());
  message.properties["camera"] = id_;
  context_.send("health", std::move(message));
  view_->add_event({{"kind", "health"}, {"state", health_name(c.to)}, {"reason", c.reason}, {"time", body["time"]}});
}

cv::Mat CameraModule::prepare(const cv::Mat& frame) const {
  cv::Mat out = frame;
  if (settings_.convert_to_gray) {
    cv::Mat gray;
    cv::cvtColor(out, gray, cv::COLOR_BGR2GRAY);
    cv::cvtColor(gray, out, cv::COLOR_GRAY2BGR);  // models take three channels
  }
  int w = settings_.resize_width, h = settings_.resize_height;
  if (w > 0 || h > 0) {
    if (w == 0) w = std::max(1, static_cast<int>(std::lround(static_cast<double>(out.cols) * h / out.rows)));
    if (h == 0) h = std::max(1, static_cast<int>(std::lround(static_cast<double>(out.rows) * w / out.cols)));
    cv::Mat resized;
    cv::resize(out, resized, {w, h}, 0, 0, cv::INTER_AREA);
    out = resized;
  }
  return out;
}

void CameraModule::process(const Frame& frame) {
  const auto t0 = Clock::now();
  processed_.fetch_add(1);
  if (recorder_) recorder_->on_processed(frame.image, frame.captured, frame.media_t);
  const cv::Mat input = prepare(frame.image);
  bool infer = inference_ != nullptr;
  const char* gate_reason = "";
  if (infer && gate_) {
    const MotionVerdict v = gate_->check(input, frame.captured_steady);
    gate_reason = v.reason;
    if (!v.infer) {
      skipped_.fetch_add(1);
      infer = false;
    }
  }
  bool fresh = false;
  if (infer) {
    auto r = inference_->infer(input);
    if (!r) {
      errors_.fetch_add(1);
      if (last_error_ != r.error().message)
        LOG_WARN("camera", "[" << id_ << "] inference failed: " << r.error().message << " (retrying on the next frame)");
      last_error_ = r.error().message;
    } else {
      if (!last_error_.empty()) LOG_INFO("camera", "[" << id_ << "] inference works again");
      last_error_.clear();
      inferred_.fetch_add(1);
      infer_ms_ = r->infer_ms;
      fresh = true;
      const bool tracked = tracking_ && tracking_->apply(r->prediction, r->json, frame.captured);
      if (tracked && recorder_)
        for (const auto& t : r->prediction.tags)
          if (!t.object_id.empty()) recorder_->seen(t.object_id, frame.captured);
      if (!r->prediction.tags.empty() || tracked || settings_.send_empty) {
        Message m = make_json_message(std::move(r->json), std::chrono::system_clock::now());
        m.properties["camera"] = id_;
        m.properties["frameNumber"] = std::to_string(frame.number);
        m.properties["captureTime"] = format_utc_iso(frame.captured, 3) + "Z";
        m.properties["source"] = spec_.location;
        if (frame_observer_) frame_observer_(id_, frame.number, frame.image);
        context_.send("output1", std::move(m));
        sent_.fetch_add(1);
      }
      last_prediction_ = std::move(r->prediction);
    }
  }
  if (settings_.verbose) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    LOG_INFO("camera", "[" << id_ << "] frame " << frame.number << ": "
                           << (infer ? (fresh ? "inferred" : "inference failed") : (inference_ ? "static" : "captured"))
                           << (gate_ ? std::string(" (gate: ") + gate_reason + ")" : "") << ", "
                           << ms << " ms");
  }
  if (settings_.show_video) {
    cv::Mat shown = frame.image.clone();
    if (overlay_source_) vision::draw_overlay(shown, overlay_source_());
    if (last_prediction_) vision::draw_prediction(shown, *last_prediction_);
    char caption[160];
    std::snprintf(caption, sizeof caption, "%s  #%llu  %.1f fps%s", id_.c_str(),
                  static_cast<unsigned long long>(frame.number), fps_, infer ? "" : (inference_ ? "  (static)" : ""));
    vision::draw_caption(shown, caption);
    view_->publish(std::move(shown));
  }
}

void CameraModule::refresh_status() {
  const CameraCounters c = counters();
  const HealthSnapshot h = capture_->health();
  auto& m = context_.metrics();
  const Labels l = {{"camera", id_}};
  m.set("vigil_camera_frames_captured_total", l, static_cast<double>(c.captured));
  m.set("vigil_camera_frames_processed_total", l, static_cast<double>(c.processed));
  m.set("vigil_camera_frames_inferred_total", l, static_cast<double>(c.inferred));
  m.set("vigil_camera_frames_skipped_total", l, static_cast<double>(c.skipped));
  m.set("vigil_camera_frames_dropped_total", l, static_cast<double>(c.dropped));
  m.set("vigil_camera_inference_errors_total", l, static_cast<double>(c.errors));
  m.set("vigil_camera_messages_sent_total", l, static_cast<double>(c.sent));
  m.set("vigil_camera_reconnects_total", l, static_cast<double>(capture_->reconnects()));
  m.set("vigil_camera_fps", l, fps_);
  nlohmann::json s = {
      {"source", spec_.location},
      {"source_kind", source_kind_name(spec_.kind)},
      {"health", {{"state", health_name(h.state)},
                  {"reason", h.reason},
                  {"for_s", std::round(std::chrono::duration<double>(Clock::now() - h.since).count() * 10) / 10}}},
      {"inference", inference_ ? inference_->describe() : "none"},
      {"fps", std::round(fps_ * 10) / 10},
      {"infer_ms", std::round(infer_ms_ * 10) / 10},
      {"last_error", last_error_},
      {"frames", {{"captured", c.captured}, {"processed", c.processed}, {"inferred", c.inferred},
                  {"skipped", c.skipped}, {"dropped", c.dropped}, {"errors", c.errors}, {"sent", c.sent}}},
      {"top", last_prediction_ ? top_tags(*last_prediction_, 3) : nlohmann::json::array()},
  };
  view_->set_status(std::move(s));
}

bool CameraModule::due(Clock::time_point frame_time, std::chrono::duration<double> interval) {
  if (interval.count() <= 0) return true;
  const auto step = std::chrono::duration_cast<Clock::duration>(interval);
  // A grid of due times in frame time (1 ms early counts: frame times are rounded), so 5 of a 30 fps camera's
  // frames a second are taken, not every 7th; after a gap the grid starts again at the frame.
  if (next_due_ != Clock::time_point{} && frame_time + std::chrono::milliseconds(1) < next_due_) return false;
  next_due_ = next_due_ == Clock::time_point{} || frame_time - next_due_ > step ? frame_time + step : next_due_ + step;
  return true;
}

void CameraModule::run() {
  if (!guarded("camera", id_, [this] { loop(); })) errors_.fetch_add(1);  // the module ends; the supervisor restarts it
  refresh_status();
  finished_ = true;
}

void CameraModule::loop() {
  std::uint64_t last = 0;
  auto last_refresh = Clock::now();
  fps_window_start_ = Clock::now();
  const auto min_interval = settings_.max_fps > 0 ? std::chrono::duration<double>(1.0 / settings_.max_fps)
                                                  : std::chrono::duration<double>(0);
  while (!stopping_) {
    auto frame = capture_->next(last, std::chrono::milliseconds(200));
    const auto now = Clock::now();
    if (frame) {
      last = frame->number;
      if (!due(frame->captured_steady, min_interval)) {
        rate_dropped_.fetch_add(1);
      } else {
        process(*frame);
        ++fps_window_frames_;
      }
    }
    if (const double window = std::chrono::duration<double>(now - fps_window_start_).count(); window >= 1.0) {
      fps_ = static_cast<double>(fps_window_frames_) / window;
      fps_window_frames_ = 0;
      fps_window_start_ = now;
    }
    if (now - last_refresh >= std::chrono::milliseconds(250) || (!frame && capture_->ended())) {
      refresh_status();
      last_refresh = now;
    }
    if (!frame && capture_->ended()) break;
  }
}

CameraCounters CameraModule::counters() const {
  CameraCounters c;
  c.captured = capture_->captured();
  c.processed = processed_.load();
  c.inferred = inferred_.load();
  c.skipped = skipped_.load();
  c.dropped = capture_->dropped() + rate_dropped_.load();
  c.errors = errors_.load();
  c.sent = sent_.load();
  return c;
}

nlohmann::json CameraModule::status() const { return view_->status(); }

bool CameraModule::healthy() const {
  const auto h = capture_->health();
  return !down_too_long(h.state, std::chrono::steady_clock::now() - h.since, settings_.unhealthy_s);
}

Result<std::unique_ptr<CameraModule>> make_camera_module(ModuleContext& context, const CameraSettings& settings,
                                                         const ModelProvider& models) {
  std::error_code ec;
  auto spec = parse_source_spec(settings.video_path, std::filesystem::is_directory(settings.video_path, ec));
  if (!spec) return spec.error();
  SourceOptions so;
  so.loop = settings.loop_video;
  so.width = settings.capture_width;
  so.height = settings.capture_height;
  so.fps = settings.capture_fps;
  so.backend = settings.capture_backend;
  so.keyframes_only = settings.decode == "keyframes";
  so.hwaccel = settings.hwaccel;
  auto source = make_frame_source(*spec, so);

  std::unique_ptr<FrameInference> inference;
  if (is_http_endpoint(settings.endpoint)) {
    auto query = query_from_params(settings.params);
    if (!query) return query.error();
    inference = make_http_inference(settings.endpoint, *query, settings.endpoint_timeout_ms);
  } else if (!settings.endpoint.empty()) {
    auto runner = models(settings.endpoint);
    if (!runner)
      return make_error(runner.error().code, "IMAGE_PROCESSING_ENDPOINT '" + settings.endpoint + "': " +
                                                 runner.error().message +
                                                 " (give an http(s):// URL, a model folder, or builtin:person)");
    inference = make_runner_inference(std::move(*runner));
  }
  return std::make_unique<CameraModule>(context, settings, std::move(*spec), std::move(source), std::move(inference));
}

}  // namespace vigil::capture
