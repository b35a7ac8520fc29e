// FrameSource over the FFmpeg wrapper (libav.h): video files and network streams, with their packets (for clips)
// and their own timestamps.
#include <filesystem>

#include "capture/frame_source.h"
#include "capture/libav.h"
#include "core/log.h"

namespace vigil::capture {
namespace {

class LibavSource : public FrameSource {
 public:
  LibavSource(SourceSpec spec, const SourceOptions& o) : spec_(std::move(spec)) {
    options_.loop = spec_.kind == SourceKind::File && o.loop;
    options_.keyframes_only = o.keyframes_only;
    options_.hwaccel = o.hwaccel;
    options_.open_timeout_ms = o.open_timeout_ms;
    options_.read_timeout_ms = o.read_timeout_ms;
  }

  Status open() override {
    if (spec_.kind == SourceKind::File && !std::filesystem::exists(spec_.location))
      return make_error(ErrorCode::NotFound, "video file '" + spec_.location + "' does not exist (check VIDEO_PATH)");
    auto s = reader_.open(spec_.location, options_, sink_);
    if (!s) return s;
    if (options_.hwaccel != "none" && !told_hwaccel_) {  // once: whether HWACCEL took, and why not
      told_hwaccel_ = true;
      const std::string notes = reader_.decoder_notes();
      if (notes.rfind("software", 0) == 0) LOG_WARN("camera", spec_.location << ": decoding in " << notes);
      else LOG_INFO("camera", spec_.location << ": decoding with " << notes);
    }
    fps_ = reader_.fps();
    if (spec_.kind == SourceKind::File && !(fps_ > 0)) fps_ = 25;
    return ok_status();
  }

  Result<cv::Mat> read() override {
    auto frame = reader_.read();
    if (!frame) return frame.error();
    if (!*frame) return cv::Mat();  // the end of a file that does not loop
    media_t_ = (*frame)->t;
    return std::move((*frame)->image);
  }

  void close() override { reader_.close(); }
  double native_fps() const override { return spec_.kind == SourceKind::File ? fps_ : 0; }
  double media_time() const override { return media_t_; }

  bool set_packet_sink(VideoReader::PacketSink sink) override {
    sink_ = std::move(sink);
    return true;
  }

 private:
  SourceSpec spec_;
  ReaderOptions options_;
  VideoReader reader_;
  VideoReader::PacketSink sink_;
  double fps_ = 0;
  bool told_hwaccel_ = false;
  double media_t_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace

std::unique_ptr<FrameSource> make_libav_source(const SourceSpec& spec, const SourceOptions& options) {
  return std::make_unique<LibavSource>(spec, options);
}

}  // namespace vigil::capture
