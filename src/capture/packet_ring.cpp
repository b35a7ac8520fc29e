#include "capture/packet_ring.h"

#include <algorithm>

namespace vigil::capture {

void PacketRing::push(PacketPtr p) {
  if (!p) return;
  if (packets_.empty() && !p->key) return;
  newest_t_ = packets_.empty() ? p->t : std::max(newest_t_, p->t);
  bytes_ += p->data.size();
  packets_.push_back(std::move(p));
  trim();
}

void PacketRing::clear() {
  packets_.clear();
  bytes_ = 0;
  newest_t_ = 0;
}

// Drops the first group of pictures (the keyframe and what follows it up to the next keyframe).
void PacketRing::drop_front_group() {
  do {
    bytes_ -= packets_.front()->data.size();
    packets_.pop_front();
  } while (!packets_.empty() && !packets_.front()->key);
}

void PacketRing::trim() {
  const double horizon = newest_t_ - keep_s_;
  while (packets_.size() > 1) {
    // The second keyframe: when it is old enough on its own, the first group is no longer needed.
    auto next_key = std::find_if(packets_.begin() + 1, packets_.end(), [](const PacketPtr& p) { return p->key; });
    if (next_key == packets_.end()) break;
    if ((*next_key)->t > horizon && bytes_ <= max_bytes_) break;
    drop_front_group();
  }
  // One group alone over the byte cap (a stream with very rare keyframes): it cannot start a clip any more.
  while (bytes_ > max_bytes_ && !packets_.empty()) drop_front_group();
}

std::vector<PacketPtr> PacketRing::since(double from_t) const {
  std::size_t start = 0;
  for (std::size_t i = 0; i < packets_.size(); ++i)
    if (packets_[i]->key && packets_[i]->t <= from_t) start = i;
  return {packets_.begin() + static_cast<std::ptrdiff_t>(start), packets_.end()};
}

}  // namespace vigil::capture
