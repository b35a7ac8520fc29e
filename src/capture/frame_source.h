// FrameSource: where frames come from. One interface for camera devices, video files, network streams
// and folders of still images; `parse_source_spec` decides which from the VIDEO_PATH text and
// `make_frame_source` builds it. A source is used by one thread (the capture loop) only.
//
// Lifecycle: open() ─▶ read()… ─▶ close() ─▶ open() again to reconnect.
//   read() returns a frame; an empty Mat at the end of a finite source that does not loop; or an error
//   (Unavailable/Timeout) when the device or stream failed — the capture loop then closes and reconnects.
#pragma once

#include <limits>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "capture/libav.h"
#include "core/result.h"

namespace vigil::capture {

enum class SourceKind { Device, File, Stream, ImageFolder };

struct SourceSpec {
  SourceKind kind = SourceKind::Device;
  std::string location;  // device path or index text, file or folder path, URL, or GStreamer pipeline
  int device_index = -1; // Device given as a number
  bool gstreamer_pipeline = false;
};

// Pure. "0" or "/dev/video0" → Device; "rtsp://…", "http://…" and other URLs, or a GStreamer pipeline
// ("… ! appsink") → Stream; an existing folder → ImageFolder; anything else → File (checked at open).
Result<SourceSpec> parse_source_spec(const std::string& video_path, bool is_directory);

const char* source_kind_name(SourceKind kind);

// Live sources (devices, streams) produce frames on their own clock; finite ones (files, folders) are read
// as fast as asked, and the capture loop paces them.
inline bool is_live(SourceKind kind) { return kind == SourceKind::Device || kind == SourceKind::Stream; }

struct SourceOptions {
  bool loop = true;                      // files and folders start again at the end
  int width = 0, height = 0;             // requested device resolution
  double fps = 0;                        // requested device rate; folder rate
  int open_timeout_ms = 10000, read_timeout_ms = 5000;  // network streams
  std::string backend = "ffmpeg";  // files and streams: FFmpeg's libraries (packets, timestamps) or "opencv"
  bool keyframes_only = false;     // FFmpeg backend: decode keyframes only
  std::string hwaccel = "none";    // FFmpeg backend: hardware decoding (libav.h)
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual Status open() = 0;
  virtual Result<cv::Mat> read() = 0;
  virtual void close() = 0;
  // The source's own frame rate when it knows it (files, folders), else 0.
  virtual double native_fps() const = 0;
  // The time of the frame read() returned last, in seconds on the source's own media clock (files: from their
  // timestamps, growing across loops); NaN when the source has none.
  virtual double media_time() const { return std::numeric_limits<double>::quiet_NaN(); }
  // Sources that read encoded video (the FFmpeg backend) hand every video packet to `sink`, on the capture thread,
  // for clips. Before open(). False when the source has no packets: clips of it are encoded from its frames.
  virtual bool set_packet_sink(VideoReader::PacketSink sink) { (void)sink; return false; }
};

std::unique_ptr<FrameSource> make_frame_source(const SourceSpec& spec, const SourceOptions& options);
// The FFmpeg backend alone (make_frame_source chooses it for files and streams).
std::unique_ptr<FrameSource> make_libav_source(const SourceSpec& spec, const SourceOptions& options);

}  // namespace vigil::capture
