// ClipRecorder: one camera's event clips. It keeps the last seconds of the camera's encoded video in a PacketRing
// and, when an alert asks, writes clips/<alertId>.mp4 from PRE_ROLL_S before the alert's frame to POST_ROLL_S
// after it, extended while the alert's object is still in view, at most CLIP_MAX_S long.
//   packet sources (FFmpeg files and streams): the camera's own packets, remuxed — no decode, no encode;
//   raw sources (V4L2 devices, GStreamer pipelines, image folders, codecs MP4 cannot hold): the processed frames, encoded (libav.h's
//     VideoEncoder) on the recorder's own thread; a frame that arrives while it is busy is left out, so the
//     camera never waits for it.
// Clips are written on the recorder's writer thread; `done` is called there once per clip.
//
// A clip's life:
//   request ──▶ Open (collects packets from the ring's keyframe at or before alert − pre-roll)
//                 │  seen(object) / a request for the same object: end = max(end, then + post-roll) ≤ start + max
//                 ▼  a packet past the end, the stream's format changing (a reconnect), or close()
//               Writing (writer thread) ──▶ done(ClipDone)
//
// Times: alerts name their frame by its frame time (capture_loop.h's Frame::captured); on_frame() links frame time
// to the source's media clock, which the packets carry. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "capture/libav.h"
#include "capture/packet_ring.h"

namespace vigil::capture {

using WallTime = std::chrono::system_clock::time_point;

struct ClipOptions {
  std::string dir;  // where clips go (created by the caller)
  double pre_roll_s = 5, post_roll_s = 5, max_s = 60;
  double encode_fps = 10;  // raw sources: the encoder's nominal rate (frames keep their own times)
};

struct ClipDone {
  std::string camera, path, object_id, codec;
  std::vector<std::string> alert_ids;  // the first names the file
  double seconds = 0;                  // the clip's length, read back from the file
  double pre_roll_s = 0;               // how long before the (first) alert's frame it starts
  std::uintmax_t bytes = 0;
  bool remuxed = false;                // the camera's own packets (false: encoded from frames)
  std::string error;                   // not empty: no clip was written, and why
};

class ClipRecorder {
 public:
  using Done = std::function<void(const ClipDone&)>;
  ClipRecorder(std::string camera, ClipOptions options, Done done);
  ~ClipRecorder();  // close()
  ClipRecorder(const ClipRecorder&) = delete;
  ClipRecorder& operator=(const ClipRecorder&) = delete;

  // Capture thread, packet sources: every video packet, in decode order. Packets of a codec MP4 cannot hold
  // (msmpeg4, …) are not kept: that camera's clips are encoded like a raw source's.
  void on_packet(const MediaFormatPtr& format, PacketPtr packet);
  // Processing thread: each processed frame, with its frame time and media time (NaN when the source has none).
  // For a source with usable packets it links the two clocks; otherwise the frame is encoded.
  void on_processed(const cv::Mat& frame, WallTime frame_time, double media_t);
  // Processing thread: a tracked object is in view at this frame.
  void seen(const std::string& object_id, WallTime frame_time);

  // Any thread: a clip for `alert_id` around the frame at `frame_time`. An open clip of the same object takes the
  // alert instead (one clip per object). False (with `why`) when there is nothing to cut from yet.
  bool request(const std::string& alert_id, WallTime frame_time, const std::string& object_id, std::string* why = nullptr);

  // Writes what the open clips hold, waits for the writer, stops the threads. Idempotent.
  void close();

 private:
  struct Open {
    std::vector<std::string> ids;
    std::string object;
    double alert_t = 0, end_t = 0, cap_t = 0;
    MediaFormatPtr format;
    std::vector<PacketPtr> packets;
    bool remuxed = true;
  };
  double media_of(WallTime t) const;  // under mutex_
  void push_locked(const MediaFormatPtr& format, PacketPtr packet);
  void finish_locked(std::size_t i);
  void finish_all_locked();
  void write_loop();
  void encode_loop();
  void write(Open clip);

  const std::string camera_;
  const ClipOptions options_;
  const Done done_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  PacketRing ring_;
  MediaFormatPtr format_;
  std::optional<std::pair<WallTime, double>> clock_;  // a frame time and its media time
  std::vector<Open> open_;
  std::deque<Open> writing_;
  std::optional<std::pair<cv::Mat, WallTime>> to_encode_;
  MediaFormatPtr source_format_;  // the source's packets' format, remuxable or not
  bool source_packets_ = false;   // the source's own packets are kept (else processed frames are encoded)
  bool stopping_ = false, closed_ = false;
  std::thread writer_, encoder_;
};

// The clip recorders of the cameras in this process, by camera id: the alert side asks here for clips.
// Thread-safe.
class ClipRegistry {
 public:
  ClipRegistry(std::string dir, ClipRecorder::Done done) : dir_(std::move(dir)), done_(std::move(done)) {}
  // A camera starting (a restarted one replaces its old recorder).
  std::shared_ptr<ClipRecorder> open(const std::string& camera, ClipOptions options);
  void close(const std::string& camera, const std::shared_ptr<ClipRecorder>& recorder);
  bool request(const std::string& camera, const std::string& alert_id, WallTime frame_time, const std::string& object_id,
               std::string* why = nullptr);
  const std::string& dir() const { return dir_; }

 private:
  const std::string dir_;
  const ClipRecorder::Done done_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<ClipRecorder>> recorders_;
};

}  // namespace vigil::capture
