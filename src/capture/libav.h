// The one wrapper around FFmpeg's libraries (libavformat, libavcodec, libavutil, libswscale): nothing else includes
// their headers. Three jobs:
//   VideoReader   demux + decode a file or stream to BGR frames, handing every encoded video packet to the caller
//                 on the way (for clips), with the stream's own timestamps; keyframe-only decoding; hardware
//                 decoding through libavcodec's hwaccel where the device has one.
//   VideoEncoder  encode BGR frames (H.264 through libx264, else MJPEG) for sources that give no packets.
//   write_clip    remux packets into an MP4 file: no decode, no encode.
// Each object is used by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "capture/packet_ring.h"
#include "core/result.h"

namespace vigil::capture {

// A video stream's codec parameters and time base: what a muxer needs to write its packets. Immutable.
class MediaFormat;
using MediaFormatPtr = std::shared_ptr<const MediaFormat>;
std::string describe_format(const MediaFormat& f);  // "h264 768x576"
std::string codec_name(const MediaFormat& f);        // "h264"
bool can_remux(const MediaFormat& f);                // its packets fit in an MP4 clip as they are

struct ReaderOptions {
  bool loop = false;              // a file starts again at its end (timestamps go on growing)
  bool keyframes_only = false;    // DECODE=keyframes: decode only keyframes (packets are all still handed out)
  std::string hwaccel = "none";   // HWACCEL: none, auto, or a libavutil device type (vaapi, cuda, …); v4l2m2m: a decoder
  int open_timeout_ms = 10000, read_timeout_ms = 5000;  // network streams
};

struct DecodedFrame {
  cv::Mat image;   // BGR
  double t = 0;    // presentation time in seconds from the stream's start (grows across loops)
};

class VideoReader {
 public:
  using PacketSink = std::function<void(const MediaFormatPtr&, PacketPtr)>;
  VideoReader();
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  // `url`: a file path or a network URL (rtsp is read over TCP). `packets` (may be empty) gets each video packet
  // in decode order, on the calling thread, before the frame it belongs to is returned.
  Status open(const std::string& url, const ReaderOptions& options, PacketSink packets);
  // The next frame; nullopt at the end of a file that does not loop; Unavailable/Timeout when the stream failed.
  Result<std::optional<DecodedFrame>> read();
  void close();

  double fps() const;                  // the stream's frame rate when it says, else 0
  MediaFormatPtr format() const;       // null before open()
  std::string decoder_notes() const;   // how it decodes ("software", "vaapi", a fallback and why)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class VideoEncoder {
 public:
  // H.264 (libx264, fast and small) when libavcodec has it, else MJPEG. `fps` sets the time base only: frames are
  // stamped with their own times.
  static Result<std::unique_ptr<VideoEncoder>> open(int width, int height, double fps);
  ~VideoEncoder();
  // Encodes one frame (resized when its size differs from the encoder's) stamped `t` seconds; returns the packets
  // that came out (none, one, or a few).
  Result<std::vector<PacketPtr>> encode(const cv::Mat& bgr, double t);
  MediaFormatPtr format() const;

 private:
  VideoEncoder();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes `packets` (decode order, the first a keyframe) as an MP4 file at `path`, timestamps shifted to start at 0.
// Returns the clip's length in seconds (the sum of its packets' durations).
Result<double> write_clip(const std::string& path, const MediaFormat& format, const std::vector<PacketPtr>& packets);

// Reads a video file's length and codec back (tests, `vigil` diagnostics).
struct ClipInfo {
  std::string codec;
  int width = 0, height = 0;
  double seconds = 0;
  std::int64_t frames = 0;
};
Result<ClipInfo> probe_clip(const std::string& path);

}  // namespace vigil::capture
