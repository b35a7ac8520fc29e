// PacketRing: the last few seconds of a camera's encoded video, kept so that a clip can start before the moment
// that asked for it (pre-roll) without decoding or encoding anything. Packets are appended in decode order as the
// source reads them; the ring always starts at a keyframe and drops whole groups of pictures from the front, so
// that what it holds is decodable from its first packet. Pure; used by one thread at a time (the clip recorder
// holds it under its lock).
//
//   [K p p p p K p p p K p p]   K = keyframe; t = each packet's media time in seconds
//    └── dropped once the next K is itself at or before newest − keep_s
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace vigil::capture {

// One encoded packet. `pts`/`dts`/`duration` are in the stream's own time base (MediaFormat); `t` is the
// presentation time in seconds on the camera's media clock (monotonic across file loops).
struct EncodedPacket {
  std::vector<std::uint8_t> data;
  std::int64_t pts = 0, dts = 0, duration = 0;
  double t = 0;
  bool key = false;
};
using PacketPtr = std::shared_ptr<const EncodedPacket>;

class PacketRing {
 public:
  // Keeps at least the last `keep_s` seconds (from a keyframe at or before newest − keep_s when one is held) and,
  // whatever the group length, never more than `max_bytes`.
  PacketRing(double keep_s, std::size_t max_bytes) : keep_s_(keep_s), max_bytes_(max_bytes) {}

  void push(PacketPtr p);  // a packet before the first keyframe is dropped: nothing could decode it
  void clear();            // the stream changed (a reconnect): old packets no longer fit the new format

  // The packets from the last keyframe at or before `from_t` (or the oldest keyframe held, when none is that old)
  // to the newest, in order.
  std::vector<PacketPtr> since(double from_t) const;

  bool empty() const { return packets_.empty(); }
  double newest_t() const { return newest_t_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void trim();
  void drop_front_group();

  double keep_s_;
  std::size_t max_bytes_;
  std::deque<PacketPtr> packets_;
  std::size_t bytes_ = 0;
  double newest_t_ = 0;
};

}  // namespace vigil::capture
