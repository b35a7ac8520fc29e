// CameraModule: one camera. A capture thread (CaptureLoop) keeps the newest frame; the camera's processing
// thread takes it, prepares it (CONVERT_TO_GRAY, RESIZE_*), asks the motion gate whether it is worth a
// forward pass, runs the inference (in-process or HTTP), and sends the prediction JSON on `output1` when
// it has tags (or always, with SEND_EMPTY). Health changes go out on `health`. The annotated frame and the
// camera's status are published to its http::CameraView for the preview page.
//
//   capture thread: source.read ─▶ [newest frame] ─▶ processing thread: prepare ─▶ gate ─▶ infer ─▶ output1
//                                                                                       └─▶ http::CameraView
//
// output1 message: body = the prediction envelope (with objectId per tracked box and endedObjects when objects
// left: object_tracking.h); contentType application/json, contentEncoding utf-8; properties camera, frameNumber,
// captureTime (the frame's time, ISO 8601 UTC), source. A frame is sent when it has tags, when objects left at it,
// or always with SEND_EMPTY. Rate (MAX_FPS) and motion gate decisions use the frame's time (capture_loop.h).
// health message:  {"camera","state","previous","reason","source","time"} on every change of state.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "capture/camera_settings.h"
#include "http/camera_view.h"
#include "http/preview_server.h"
#include "capture/capture_loop.h"
#include "capture/clip_recorder.h"
#include "capture/frame_inference.h"
#include "capture/motion_gate.h"
#include "capture/object_tracking.h"
#include "core/module_context.h"
#include "vision/annotate.h"
#include "vision/model_runner.h"

namespace vigil::capture {

struct CameraCounters {
  std::uint64_t captured = 0, processed = 0, inferred = 0, skipped = 0, dropped = 0, errors = 0, sent = 0;
};

class CameraModule {
 public:
  // `inference` may be null (IMAGE_PROCESSING_ENDPOINT empty): frames are captured and previewed only.
  CameraModule(ModuleContext& context, CameraSettings settings, SourceSpec spec, std::unique_ptr<FrameSource> source,
               std::unique_ptr<FrameInference> inference);
  ~CameraModule();  // stop()
  CameraModule(const CameraModule&) = delete;
  CameraModule& operator=(const CameraModule&) = delete;

  // Before start(): called on the processing thread with each frame whose prediction is about to be sent
  // (the alert snapshots' frame store).
  using FrameObserver = std::function<void(const std::string& camera, std::uint64_t frame, const cv::Mat& image)>;
  void set_frame_observer(FrameObserver observer) { frame_observer_ = std::move(observer); }
  // Before start(): what to draw under the boxes on the preview (the alert rules' zones and lines).
  using OverlaySource = std::function<vision::Overlay()>;
  void set_overlay_source(OverlaySource source) { overlay_source_ = std::move(source); }
  // Before start(): where this camera's clips are kept (with CLIPS on); none: no clips.
  void set_clip_registry(std::shared_ptr<ClipRegistry> clips) { clips_ = std::move(clips); }

  void start();
  void stop();  // any thread; returns when both threads have ended
  // Blocks until the processing thread ends: a finite source without LOOP_VIDEO was read to its end and every
  // frame taken was processed, or stop() was called.
  void wait();
  bool finished() const { return finished_.load(); }

  const std::string& id() const { return id_; }
  http::CameraView& view() { return *view_; }
  // The view outlives the module while someone (the preview server) holds it.
  std::shared_ptr<http::CameraView> shared_view() const { return view_; }
  CameraCounters counters() const;
  nlohmann::json status() const;
  // False while the source has been stalled or lost for UNHEALTHY_SECONDS or more.
  bool healthy() const;

 private:
  void run();   // the processing thread: loop() behind an exception boundary
  void loop();
  cv::Mat prepare(const cv::Mat& frame) const;
  void on_health(const HealthChange& change);
  void process(const Frame& frame);
  void refresh_status();
  bool due(std::chrono::steady_clock::time_point frame_time, std::chrono::duration<double> interval);  // MAX_FPS

  ModuleContext& context_;
  const CameraSettings settings_;
  const SourceSpec spec_;
  const std::string id_;
  std::unique_ptr<FrameInference> inference_;
  FrameObserver frame_observer_;
  OverlaySource overlay_source_;
  std::unique_ptr<MotionGate> gate_;
  std::unique_ptr<ObjectTracking> tracking_;  // detectors with TRACK on
  std::unique_ptr<CaptureLoop> capture_;
  std::shared_ptr<ClipRegistry> clips_;
  std::shared_ptr<ClipRecorder> recorder_;  // with clips on; set in start()
  std::shared_ptr<http::CameraView> view_;
  std::thread thread_;
  std::atomic<bool> stopping_{false}, finished_{false};

  std::atomic<std::uint64_t> processed_{0}, inferred_{0}, skipped_{0}, rate_dropped_{0}, errors_{0}, sent_{0};
  std::optional<vision::Prediction> last_prediction_;  // processing thread only
  std::string last_error_;                               // processing thread only
  double fps_ = 0, infer_ms_ = 0;                        // processing thread only
  std::chrono::steady_clock::time_point fps_window_start_{};  // wall time
  std::chrono::steady_clock::time_point next_due_{};          // MAX_FPS, frame time
  std::uint64_t fps_window_frames_ = 0;
};

// The preview's access and HTTPS settings of a camera.
inline http::PreviewSecurity preview_security(const CameraSettings& s) {
  return {s.preview_users, s.preview_token, s.tls_cert_file, s.tls_key_file};
}

// Chooses and loads what IMAGE_PROCESSING_ENDPOINT names when it is not an HTTP URL (a model folder or
// builtin:person); the caller may hand out one shared runner for several cameras.
using ModelProvider = std::function<Result<std::shared_ptr<vision::ModelRunner>>(const std::string& model)>;

// Builds a camera from its settings. Errors name the setting at fault (a bad VIDEO_PATH, a model that does
// not load). A source that cannot be opened yet is not an error: the camera starts and keeps retrying.
Result<std::unique_ptr<CameraModule>> make_camera_module(ModuleContext& context, const CameraSettings& settings,
                                                         const ModelProvider& models);

}  // namespace vigil::capture
