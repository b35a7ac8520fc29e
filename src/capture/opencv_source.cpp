// The only user of OpenCV's videoio: camera devices and GStreamer pipelines (and files and streams with
// CAPTURE_BACKEND=opencv) through cv::VideoCapture (FFmpeg, GStreamer and V4L2 backends as Debian builds them).
#include <cstdlib>
#include <filesystem>

#include <opencv2/videoio.hpp>

#include "capture/frame_source.h"
#include "capture/image_folder_source.h"

namespace vigil::capture {
namespace {

class VideoCaptureSource : public FrameSource {
 public:
  VideoCaptureSource(SourceSpec spec, SourceOptions options) : spec_(std::move(spec)), options_(options) {}

  Status open() override {
    close();
    std::vector<int> params;
    if (spec_.kind == SourceKind::Stream && !spec_.gstreamer_pipeline) {
      params = {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, options_.open_timeout_ms, cv::CAP_PROP_READ_TIMEOUT_MSEC,
                options_.read_timeout_ms};
    }
    bool opened = false;
    try {
      if (spec_.kind == SourceKind::Device) {
        const int index = spec_.device_index >= 0 ? spec_.device_index
                                                  : std::atoi(spec_.location.c_str() + std::string("/dev/video").size());
        opened = cap_.open(index, cv::CAP_V4L2);
        if (opened && options_.width > 0) cap_.set(cv::CAP_PROP_FRAME_WIDTH, options_.width);
        if (opened && options_.height > 0) cap_.set(cv::CAP_PROP_FRAME_HEIGHT, options_.height);
        if (opened && options_.fps > 0) cap_.set(cv::CAP_PROP_FPS, options_.fps);
      } else if (spec_.gstreamer_pipeline) {
        opened = cap_.open(spec_.location, cv::CAP_GSTREAMER);
      } else {
        if (spec_.kind == SourceKind::File && !std::filesystem::exists(spec_.location))
          return make_error(ErrorCode::NotFound, "video file '" + spec_.location + "' does not exist (check VIDEO_PATH)");
        opened = cap_.open(spec_.location, cv::CAP_FFMPEG, params);
      }
    } catch (const cv::Exception& e) {
      return make_error(ErrorCode::Unavailable, "cannot open '" + spec_.location + "': " + e.what());
    }
    if (!opened) return make_error(ErrorCode::Unavailable, open_failure_message());
    native_fps_ = spec_.kind == SourceKind::File ? cap_.get(cv::CAP_PROP_FPS) : 0;
    if (!(native_fps_ > 0 && native_fps_ < 1000)) native_fps_ = spec_.kind == SourceKind::File ? 25 : 0;
    return ok_status();
  }

  Result<cv::Mat> read() override {
    cv::Mat frame;
    bool got = false;
    try {
      got = cap_.read(frame);
    } catch (const cv::Exception& e) {
      return make_error(ErrorCode::Unavailable, std::string("read failed: ") + e.what());
    }
    if (got && !frame.empty()) return frame;
    if (spec_.kind == SourceKind::File) {
      if (!options_.loop) return cv::Mat();  // end of the file
      // Start again at the first frame; a file that yields nothing even then is broken.
      cap_.set(cv::CAP_PROP_POS_FRAMES, 0);
      if (cap_.read(frame) && !frame.empty()) return frame;
      if (auto s = open(); !s) return s.error();
      if (cap_.read(frame) && !frame.empty()) return frame;
      return make_error(ErrorCode::Unavailable, "video file '" + spec_.location + "' has no readable frames");
    }
    return make_error(ErrorCode::Unavailable, spec_.kind == SourceKind::Device ? "the camera stopped sending frames"
                                                                               : "the stream stopped sending frames");
  }

  void close() override {
    if (cap_.isOpened()) cap_.release();
  }

  double native_fps() const override { return native_fps_; }

 private:
  std::string open_failure_message() const {
    switch (spec_.kind) {
      case SourceKind::Device:
        return "cannot open camera '" + spec_.location +
               "' (is it connected? is it used by another program? is this user in the 'video' group?)";
      case SourceKind::File:
        return "cannot read video file '" + spec_.location + "' (not a video, or a codec FFmpeg lacks)";
      default:
        return "cannot connect to stream '" + spec_.location + "' (server down, wrong URL or credentials)";
    }
  }

  SourceSpec spec_;
  SourceOptions options_;
  cv::VideoCapture cap_;
  double native_fps_ = 0;
};

bool has_image_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" || ext == ".tif" ||
         ext == ".tiff";
}

}  // namespace

std::unique_ptr<FrameSource> make_frame_source(const SourceSpec& spec, const SourceOptions& options) {
  // RTSP over TCP: no lost packets (torn frames) on Wi-Fi and no UDP ports to open. Called while the
  // program starts, before other threads read the environment; a user's own setting wins.
  if (spec.kind == SourceKind::Stream && spec.location.rfind("rtsp", 0) == 0)
    setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp", 0);
  // FFmpeg's own error lines ("Connection refused" on every retry) say less than the health reports do.
  setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);
  if (spec.kind == SourceKind::ImageFolder || (spec.kind == SourceKind::File && has_image_extension(spec.location)))
    return std::make_unique<ImageFolderSource>(spec.location, options);
  // Files and streams: FFmpeg's libraries directly (their packets make clips); devices and GStreamer pipelines,
  // or CAPTURE_BACKEND=opencv: OpenCV's VideoCapture.
  if (options.backend != "opencv" && !spec.gstreamer_pipeline &&
      (spec.kind == SourceKind::File || spec.kind == SourceKind::Stream))
    return make_libav_source(spec, options);
  return std::make_unique<VideoCaptureSource>(spec, options);
}

}  // namespace vigil::capture
