// libFuzzer target for what a client of the edge listener controls (hub/edge_identity.h, hub/sas.h,
// hub/module_twins.h): the input is split at '\n' into a client id, a user name, a password, a topic and a body.
// Any of them must give an identity, a token, a decision or an answer, never a crash, a hang or undefined behaviour.
// Build and run: make fuzz   (corpus in fuzz/corpus/edge)
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hub/edge_identity.h"
#include "hub/module_twins.h"
#include "hub/sas.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> part(5);
  std::size_t at = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\n' && at < part.size() - 1) ++at;
    else part[at] += static_cast<char>(data[i]);
  }
  using namespace vigil::hub;
  const auto id = edge_claimed_module(part[0], part[1], "hub.local");
  if (auto token = parse_sas_token(part[2]))
    (void)check_sas_token(*token, edge_module_resource("hub.local", "d", "m"), std::string(32, 'k'), 1700000000);
  const EdgeModuleId who = id ? *id : EdgeModuleId{"d", "m"};
  for (auto access : {EdgeAccess::Read, EdgeAccess::Write, EdgeAccess::Subscribe, EdgeAccess::Unsubscribe})
    (void)edge_module_may(access, part[3], who);
  if (auto r = parse_edge_request(part[3])) {
    ModuleTwins twins;
    (void)twins.set_desired(r->id.module, nlohmann::json::parse(part[4], nullptr, false));
    (void)twins.answer(r->id.module, r->topic, part[4]);
    (void)twins.reported();
  }
  (void)parse_edge_reply(part[3]);
  return 0;
}
