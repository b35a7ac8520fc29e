// Which uplink a waiting queue belongs to. Uplink queues are named by position ($upstream, $upstream/2, …); the
// outbox remembers which uplink (its URI without secrets) each name stood for. When the list of uplinks changes
// between runs, a queue follows its uplink to its new name, and the queue of an uplink that is gone is kept aside
// ("$upstream-gone:<uplink>") instead of being delivered somewhere else. Pure.
//
//   waiting queue E, remembered for uplink U ─┬─ E is still U's ─────────────────▶ stays
//                                             ├─ U is now at F ──────────────────▶ E → F (merged in arrival order)
//                                             └─ U is not configured any more ───▶ E → $upstream-gone:U (kept, reported)
//   $upstream-gone:U, when U is configured again ──────────────────────────────────▶ U's endpoint
// Queues remembered for no uplink (a store from before this was kept) stay where they are.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace vigil::hub {

struct QueueMove {
  std::string from, to, uplink;
  bool gone = false;  // its uplink is no longer configured
};

// `remembered`: endpoint → uplink from the last run; `current`: endpoint → uplink now; `waiting`: endpoints that
// hold messages.
std::vector<QueueMove> plan_queue_moves(const std::map<std::string, std::string>& remembered,
                                        const std::map<std::string, std::string>& current,
                                        const std::set<std::string>& waiting);

inline const char* kGonePrefix = "$upstream-gone:";

}  // namespace vigil::hub
