// Tracker: gives the boxes a detector finds in successive frames of one camera an identity (SORT with
// ByteTrack's second pass). Each track has a constant-velocity Kalman filter (kalman.h); each frame:
//
//   predict every track to the frame's time
//   ─▶ pass 1: boxes scoring >= high_score ↔ all tracks, Hungarian on 1 - IoU (same tag only, IoU >= match_iou)
//   ─▶ pass 2: boxes scoring in [low_score, high_score) ↔ tracks left over, IoU >= low_match_iou
//   ─▶ update matched tracks; new tentative tracks from unmatched high boxes; age out the rest
//
// A track's life (times are the frames' own timestamps, in seconds, so a replay at any speed tracks alike):
//
//   new box ─▶ Tentative ── confirm_hits hits in a row ──▶ Confirmed ── unmatched > max_age_s ──▶ Ended
//                 │ a frame without a match                  ▲   │ a frame without a match           (reported)
//                 ▼                                          └───┘ matched again within max_age_s
//              dropped (never reported, never numbered)
//
// Ids are numbered 1, 2, … per tracker when a track is confirmed, so ids are only given to real objects; a
// track keeps the tag it was born with. Pure: boxes and time in, tracks out; used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "track/kalman.h"
#include "vision/prediction.h"

namespace vigil::track {

struct TrackerOptions {
  double high_score = 0.5;     // boxes that can start a track and are matched first
  double low_score = 0.1;      // boxes below this are ignored; between the two only extend confirmed tracks
  double match_iou = 0.3;      // least IoU for a match in pass 1
  double low_match_iou = 0.5;  // least IoU for a match in pass 2
  int confirm_hits = 3;        // hits in a row before a track is confirmed and numbered
  double max_age_s = 2.0;      // a confirmed track unmatched longer than this has ended
};

struct Detection {
  std::string tag;
  float score = 0;
  vision::Box box;
};

enum class TrackState { Tentative, Confirmed, Ended };

struct Track {
  std::uint64_t id = 0;  // 0 while tentative
  std::string tag;
  TrackState state = TrackState::Tentative;
  vision::Box box;        // the filter's estimate at the last update
  vision::Box last_box;   // the last matched detection
  float score = 0;        // of the last matched detection
  double first_s = 0, last_s = 0;  // first and last matched frame
  int hits = 0;           // matched frames in all
  int streak = 0;         // matched frames in a row
};

struct TrackerStep {
  std::vector<std::uint64_t> ids;  // per input detection: its confirmed track's id, or 0
  std::vector<Track> ended;        // confirmed tracks that ended at this step
};

double iou(const vision::Box& a, const vision::Box& b);

class Tracker {
 public:
  explicit Tracker(TrackerOptions options = {}) : options_(options) {}

  // One frame's detections at time t_s (seconds, non-decreasing; an earlier time is taken as equal).
  TrackerStep update(const std::vector<Detection>& detections, double t_s);
  // Live tracks, tentative and confirmed.
  std::vector<Track> tracks() const;

 private:
  struct Live {
    Track track;
    BoxFilter filter;
  };
  // Matches `candidates` (indices into detections) to `pool` (indices into live_); returns pairs.
  std::vector<std::pair<std::size_t, std::size_t>> associate(const std::vector<Detection>& detections,
                                                             const std::vector<std::size_t>& candidates,
                                                             const std::vector<std::size_t>& pool, double min_iou) const;

  TrackerOptions options_;
  std::vector<Live> live_;
  std::uint64_t next_id_ = 1;
  double now_s_ = 0;
  bool started_ = false;
};

}  // namespace vigil::track
