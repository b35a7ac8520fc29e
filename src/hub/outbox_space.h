// The outbox's room on its volume: how much is free, how much to keep free, and a ballast file that is given up
// when the volume fills so that the store can still checkpoint its log and evict (a full disk never wedges it).
//
//   Ok ──free < reserve──▶ Low ──a write fails (no space)──▶ Full
//   ▲                       │ ▲                                │
//   └────free ≥ reserve─────┘ └──────a write succeeds──────────┘      Full ──free ≥ reserve──▶ Ok
//
// Ok: the store grows. Low: a WARN; a store that has reached its capacity stops growing (the oldest messages make
// room for new ones, counted as evicted), a smaller one goes on in its free pages, then the ballast's space, and
// evicts only when a write still fails. Full: even that failed; new messages are refused until space returns. Sizes scale with the volume, so a 2 MB
// volume and a 64 GB card both work. Not thread-safe: the outbox calls it under its own mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vigil::hub {

enum class SpaceState { Ok, Low, Full };
const char* space_state_name(SpaceState s);

struct VolumeSpace {
  std::uint64_t free = 0, total = 0;  // bytes an unprivileged writer may use / the volume's size
};
// statvfs of the folder holding `path`; nullopt when it cannot be read.
std::optional<VolumeSpace> volume_space(const std::string& path);

struct SpaceLimits {
  std::uint64_t reserve = 0;      // keep this much free: below it the store stops growing …
  std::uint64_t capacity = 0;     // … once it is this big itself (the volume less the reserve); a small store on a
                                  // volume others filled goes on, on its free pages and the ballast
  std::uint64_t ballast = 0;      // the ballast file's size
  std::uint64_t wal_bytes = 0;    // the write-ahead log is checkpointed and truncated at about this size
};
// From the volume's size and the wanted reserve (capped at 1/8 of the volume).
SpaceLimits space_limits(std::uint64_t volume_total, std::uint64_t wanted_reserve);

// The ballast: `<store>.reserve`, made when there is room, given up when the volume is full.
class Ballast {
 public:
  Ballast(std::string path, std::uint64_t bytes) : path_(std::move(path)), bytes_(bytes) {}
  bool present() const;
  void make();     // best effort; a partial file is removed
  bool release();  // true when it was there and is gone now

 private:
  std::string path_;
  std::uint64_t bytes_;
};

}  // namespace vigil::hub
