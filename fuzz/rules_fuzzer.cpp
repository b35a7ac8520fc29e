// libFuzzer target for the alert rules (a vigil:alert module's desired properties) and replay truth files: any text
// must give rules or an error naming the key, never a crash, a hang or undefined behaviour. Rules that read are also
// applied on top of the example's rules. Build and run: make fuzz   (corpus in fuzz/corpus/rules)
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "alert/rules.h"
#include "alert/truth_score.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = nlohmann::json::parse(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size,
                                       nullptr, false);
  if (j.is_discarded()) return 0;
  if (auto r = vigil::alert::parse_rules(j)) (void)vigil::alert::parse_rules(j, *r);
  if (auto t = vigil::alert::parse_truth(j)) (void)vigil::alert::score(*t, {vigil::alert::scored_alert(j)});
  return 0;
}
