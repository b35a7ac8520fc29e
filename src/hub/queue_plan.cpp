#include "hub/queue_plan.h"

namespace vigil::hub {

std::vector<QueueMove> plan_queue_moves(const std::map<std::string, std::string>& remembered,
                                        const std::map<std::string, std::string>& current,
                                        const std::set<std::string>& waiting) {
  std::map<std::string, std::string> endpoint_of;  // uplink → its endpoint now
  for (const auto& [endpoint, uplink] : current) endpoint_of.emplace(uplink, endpoint);
  std::vector<QueueMove> moves;
  for (const auto& e : waiting) {
    if (e.rfind(kGonePrefix, 0) == 0) {  // set aside in an earlier run: back to its uplink if it is configured again
      const std::string uplink = e.substr(std::char_traits<char>::length(kGonePrefix));
      if (auto to = endpoint_of.find(uplink); to != endpoint_of.end()) moves.push_back({e, to->second, uplink, false});
      continue;
    }
    auto was = remembered.find(e);
    if (was == remembered.end()) continue;
    const std::string& uplink = was->second;
    if (auto now = current.find(e); now != current.end() && now->second == uplink) continue;
    if (auto to = endpoint_of.find(uplink); to != endpoint_of.end()) moves.push_back({e, to->second, uplink, false});
    else moves.push_back({e, kGonePrefix + uplink, uplink, true});
  }
  return moves;
}

}  // namespace vigil::hub
